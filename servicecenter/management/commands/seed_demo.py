"""Demo organisation, accounts, people and employers; ``--scale N`` adds N people in bulk.

Idempotent: running it again changes nothing that is already there (passwords are reset to
``DEMO_PASSWORD`` so the README stays true).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from servicecenter import demo
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.orgunits import orgunit_save
from servicecenter.people import identity_fields, name_initials
from servicecenter.staff import staff_set_roles
from servicecenter.workdays import calendar_seed

DEFAULT_PASSWORD = "Demo@2026!"
DEMO_PEOPLE = 200
DEMO_EMPLOYERS = 30


class Command(BaseCommand):
    help = "加载演示数据（组织、账号、职工、用人单位）；--scale N 批量生成 N 名职工用于性能测试。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", type=int, default=0, help="额外批量生成的职工人数")
        parser.add_argument("--force", action="store_true", help="DEBUG 关闭时也运行（仅限测试环境）")
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, scale: int, force: bool, batch: int, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG 已关闭：演示数据不应写入生产库。确需运行请加 --force。")
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_PASSWORD)
        calendar_seed()
        units = self._organisation()
        self._accounts(units, password)
        employers = self._employers(units)
        self._people(units, employers)
        if scale:
            self._scale(units, employers, scale, batch)
        self.stdout.write(self.style.SUCCESS(
            f"演示数据就绪：{OrgUnit.objects.count()} 个单位，{User.objects.count()} 个账号，"
            f"{Person.objects.count()} 名职工，{Employer.objects.count()} 家用人单位。"))

    @transaction.atomic
    def _organisation(self) -> dict[str, OrgUnit]:
        units: dict[str, OrgUnit] = {u.code: u for u in OrgUnit.objects.all()}
        for spec in demo.ORGANISATION:
            if spec.code not in units:
                unit = OrgUnit(code=spec.code, name=spec.name, kind=spec.kind,
                               parent=units[spec.parent] if spec.parent else None)
                units[spec.code] = orgunit_save(unit)
        return units

    @transaction.atomic
    def _accounts(self, units: dict[str, OrgUnit], password: str) -> None:
        for spec in demo.ACCOUNTS:
            user, _ = User.objects.get_or_create(username=spec.username,
                                                 defaults={"full_name": spec.full_name, "org_unit": units[spec.unit]})
            user.full_name, user.org_unit, user.is_active = spec.full_name, units[spec.unit], True
            user.set_password(password)
            user.save()
            staff_set_roles(user=user, roles=spec.roles)

    @transaction.atomic
    def _employers(self, units: dict[str, OrgUnit]) -> list[Employer]:
        rng = random.Random(30)
        rows = []
        for i in range(DEMO_EMPLOYERS):
            station = units[demo.STATIONS[i % len(demo.STATIONS)]]
            word = demo.COMPANY_WORDS[i % len(demo.COMPANY_WORDS)]
            kind, industry = demo.COMPANY_KINDS[(i * 7) % len(demo.COMPANY_KINDS)]
            rows.append(Employer(
                name=f"绍兴{word}{kind}" if i < len(demo.COMPANY_WORDS) else f"绍兴市{word}{kind}",
                credit_code=demo.credit_code(station.code[:6], 1000 + i),
                legal_representative=demo.person_name(rng), address=f"绍兴市{rng.choice(demo.STREETS)}{i + 1}号",
                contact_person=demo.person_name(rng), contact_phone=demo.mobile(rng), industry=industry,
                union_status=Employer.UnionStatus.ESTABLISHED if i % 4 else Employer.UnionStatus.NONE,
                org_unit=station,
            ))
        Employer.objects.bulk_create(rows, ignore_conflicts=True)
        return list(Employer.objects.order_by("id"))

    def _person_objects(self, rows: Any, units: list[OrgUnit], employers: list[Employer], rng: random.Random,
                        now: Any) -> list[Person]:
        objects = []
        for i, row in enumerate(rows):
            number = row.pop("id_number")
            objects.append(Person(
                **row, **identity_fields(number), name_initials=name_initials(row["name"]),
                union_card_number=f"ZJ{rng.randrange(10**8):08d}" if row["is_union_member"] else "",
                employer=employers[rng.randrange(len(employers))] if employers and rng.random() < 0.8 else None,
                org_unit=units[i % len(units)], created_at=now, updated_at=now,
            ))
        return objects

    @transaction.atomic
    def _people(self, units: dict[str, OrgUnit], employers: list[Employer]) -> None:
        stations = [units[c] for c in demo.STATIONS] + [units["330602"], units["330604"]]
        rng = random.Random(7)
        people = self._person_objects(demo.people_rows(DEMO_PEOPLE), stations, employers, rng, timezone.now())
        Person.objects.bulk_create(people, ignore_conflicts=True)

    def _scale(self, units: dict[str, OrgUnit], employers: list[Employer], count: int, batch: int) -> None:
        stations = [units[c] for c in demo.STATIONS]
        rng = random.Random(11)
        started = time.monotonic()
        offset = DEMO_PEOPLE
        existing = Person.objects.count() - DEMO_PEOPLE
        offset += max(existing, 0)
        done = 0
        now = timezone.now()
        while done < count:
            size = min(batch, count - done)
            people = self._person_objects(demo.people_rows(size, offset=offset + done), stations, employers, rng, now)
            with transaction.atomic():
                Person.objects.bulk_create(people, batch_size=batch, ignore_conflicts=True)
            done += size
            if done % (batch * 20) == 0 or done == count:
                self.stdout.write(f"  {done}/{count} 名职工，{time.monotonic() - started:.0f} 秒")
