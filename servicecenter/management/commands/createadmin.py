"""``manage.py createadmin``: the first system-admin account (and, on an empty system, the top unit).

Interactive by default; ``--noinput`` for scripts, with the password from ``ADMIN_PASSWORD`` or
``--password-file``. The account holds the system-admin role only (separation of duties: it sees no
case data); it sets up the organisation, the staff accounts and the parameters in /admin/.
Django's ``createsuperuser`` is not used: ``is_superuser`` carries no rights in this system.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from servicecenter import audit
from servicecenter.models import OrgUnit, User
from servicecenter.orgunits import orgunit_save
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles

PASSWORD_ENV = "ADMIN_PASSWORD"


class Command(BaseCommand):
    help = ("建立系统管理员账号（首次安装时用）；系统中还没有任何单位时同时建立最上级单位。"
            "默认逐项询问；脚本中用 --noinput，密码取自环境变量 ADMIN_PASSWORD 或 --password-file。")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", help="用户名")
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument("--unit-code", help="所属单位代码（系统中还没有单位时，即新建的最上级单位的代码）")
        parser.add_argument("--unit-name", help="新建最上级单位时的名称")
        parser.add_argument("--unit-kind", default=OrgUnit.Kind.DISTRICT, choices=[k.value for k in OrgUnit.Kind],
                            help="新建最上级单位时的类型（默认 district：区县职工服务中心）")
        parser.add_argument("--password-file", type=Path, help=f"从文件第一行读取密码（否则用环境变量 {PASSWORD_ENV}）")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="不询问（供脚本使用）")

    def handle(self, *args: Any, interactive: bool, **options: Any) -> None:
        try:
            values = self._ask(options) if interactive else self._given(options)
            user = self._create(**values)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        except (KeyboardInterrupt, EOFError) as exc:
            raise CommandError("已取消，未建立账号。") from exc
        self.stdout.write(self.style.SUCCESS(
            f"已建立系统管理员 {user.username}（{user.org_unit}）。请用它登录 /admin/ 建立组织、账号与参数。"))

    # --- input ---------------------------------------------------------------------------------

    def _given(self, options: dict[str, Any]) -> dict[str, Any]:
        username = (options.get("username") or "").strip()
        if not username:
            raise CommandError("--noinput 时必须给出 --username。")
        if options.get("password_file"):
            try:
                password = options["password_file"].read_text().splitlines()[0]
            except (OSError, IndexError) as exc:
                raise CommandError(f"无法从 {options['password_file']} 读取密码。") from exc
        else:
            password = os.environ.get(PASSWORD_ENV, "")
        if not password:
            raise CommandError(f"--noinput 时须用环境变量 {PASSWORD_ENV} 或 --password-file 提供密码。")
        unit = self._unit(options.get("unit_code"), options.get("unit_name"), options["unit_kind"])
        return {"username": username, "full_name": options.get("full_name") or "", "unit": unit, "password": password}

    def _ask(self, options: dict[str, Any]) -> dict[str, Any]:
        username = options.get("username") or ""
        while not username.strip():
            username = input("用户名：").strip()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户名 {username} 已存在。")
        full_name = options.get("full_name") or input("姓名（可空）：").strip()
        code, name = options.get("unit_code"), options.get("unit_name")
        if not OrgUnit.objects.exists():
            self.stdout.write("系统中还没有任何单位：先建立最上级单位（例如本县总工会职工服务中心）。")
            while not code:
                code = input("单位代码（如行政区划代码 330602）：").strip()
            while not name:
                name = input("单位名称：").strip()
        else:
            top = OrgUnit.objects.filter(parent=None).order_by("path").first()
            default = f"{top.code} {top.name}" if top else ""
            code = code or input(f"所属单位代码（回车即 {default}）：").strip() or (top.code if top else "")
        unit = self._unit(code, name, options["unit_kind"])
        while True:
            password = getpass.getpass("密码：")
            if password != getpass.getpass("再输入一次："):
                self.stderr.write("两次输入的密码不一致。")
                continue
            try:
                validate_password(password, User(username=username, full_name=full_name))
            except ValidationError as exc:
                self.stderr.write("；".join(exc.messages))
                continue
            return {"username": username, "full_name": full_name, "unit": unit, "password": password}

    def _unit(self, code: str | None, name: str | None, kind: str) -> OrgUnit | dict[str, str]:
        """The existing unit with this code, or what to create (only on a system with no unit yet)."""
        code = (code or "").strip()
        if not code:
            top = OrgUnit.objects.filter(parent=None).order_by("path").first()
            if top is None:
                raise CommandError("系统中还没有任何单位：请用 --unit-code 与 --unit-name 给出最上级单位。")
            return top
        unit = OrgUnit.objects.filter(code=code).first()
        if unit:
            return unit
        if OrgUnit.objects.exists():
            raise CommandError(f"没有代码为 {code} 的单位。")
        if not (name or "").strip():
            raise CommandError("新建最上级单位须给出单位名称（--unit-name）。")
        return {"code": code, "name": (name or "").strip(), "kind": kind}

    # --- the write -----------------------------------------------------------------------------

    @transaction.atomic
    def _create(self, *, username: str, full_name: str, unit: OrgUnit | dict[str, str], password: str) -> User:
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户名 {username} 已存在，未做任何改动。")
        user = User(username=username, full_name=full_name)
        validate_password(password, user)
        if isinstance(unit, dict):
            unit = orgunit_save(OrgUnit(code=unit["code"], name=unit["name"], kind=unit["kind"]))
            audit.record(audit.Event.CREATE, user=None, target=unit, detail="createadmin：最上级单位")
        user.org_unit = unit
        user.set_password(password)
        user.save()
        audit.record(audit.Event.CREATE, user=None, target=user, detail="createadmin：系统管理员账号")
        staff_set_roles(user=user, roles=[Role.SYSADMIN])
        return user
