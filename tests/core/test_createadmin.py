"""``manage.py createadmin``: the first system-admin account, interactively or from a script."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from servicecenter.models import AuditEvent, OrgUnit, User
from servicecenter.roles import Role

GOOD = "Kaishi@2026xyz"


def test_a_script_creates_the_top_unit_and_the_admin_on_an_empty_system(db, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", GOOD)
    call_command("createadmin", "--noinput", "--username", "itadmin", "--full-name", "信息科小李",
                 "--unit-code", "330602", "--unit-name", "越城区职工服务中心", verbosity=0)
    user = User.objects.get(username="itadmin")
    assert user.roles == {Role.SYSADMIN} and user.is_staff and not user.is_superuser
    assert user.org_unit.code == "330602" and user.org_unit.parent is None and user.org_unit.path == "/330602/"
    assert user.check_password(GOOD)
    created = AuditEvent.objects.filter(event=AuditEvent.Event.CREATE, detail__startswith="createadmin")
    assert {e.target_id for e in created} == {str(user.pk), str(user.org_unit.pk)}
    assert AuditEvent.objects.filter(event=AuditEvent.Event.ROLE, target_id=str(user.pk)).exists()
    # The account reaches the admin site by logging in with that password.
    client = Client()
    assert client.post("/admin/login/", {"username": "itadmin", "password": GOOD, "next": "/admin/"}).status_code == 302
    assert client.get("/admin/servicecenter/orgunit/").status_code == 200


def test_a_password_file_and_an_existing_unit(db, units, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(GOOD + "\n")
    call_command("createadmin", "--noinput", "--username", "second", "--unit-code", "330600",
                 "--password-file", str(secret), verbosity=0)
    assert User.objects.get(username="second").org_unit == units["330600"]


@pytest.mark.parametrize(("args", "env", "message"), [
    (["--username", "x", "--unit-code", "330602", "--unit-name", "区中心"], {"ADMIN_PASSWORD": "123456"}, "密码"),
    (["--username", "x", "--unit-code", "330602", "--unit-name", "区中心"], {}, "ADMIN_PASSWORD"),
    (["--username", "x", "--unit-code", "330602"], {"ADMIN_PASSWORD": GOOD}, "单位名称"),
    (["--username", "x"], {"ADMIN_PASSWORD": GOOD}, "还没有任何单位"),
    (["--unit-code", "330602", "--unit-name", "区中心"], {"ADMIN_PASSWORD": GOOD}, "--username"),
], ids=["weak-password", "no-password", "no-unit-name", "no-unit", "no-username"])
def test_bad_input_on_an_empty_system_changes_nothing(db, monkeypatch, args, env, message):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", "--noinput", *args, verbosity=0)
    assert not User.objects.exists() and not OrgUnit.objects.exists()


def test_an_existing_username_or_an_unknown_unit_is_refused(users, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", GOOD)
    with pytest.raises(CommandError, match="已存在"):
        call_command("createadmin", "--noinput", "--username", "s11_clerk", verbosity=0)
    assert User.objects.get(username="s11_clerk").roles == {Role.CLERK}
    with pytest.raises(CommandError, match="没有代码为 999999 的单位"):
        call_command("createadmin", "--noinput", "--username", "new", "--unit-code", "999999", verbosity=0)
    assert not User.objects.filter(username="new").exists()


def test_interactive_asks_again_until_the_passwords_match_and_pass(db, monkeypatch, capsys):
    answers = iter(["itadmin", "小李", "330602", "区职工服务中心"])
    passwords = iter(["Kaishi@2026xyz", "different", "short", "short", GOOD, GOOD])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    call_command("createadmin")
    err = capsys.readouterr().err
    assert "两次输入的密码不一致" in err and "密码" in err
    user = User.objects.get(username="itadmin")
    assert user.check_password(GOOD) and user.roles == {Role.SYSADMIN}
