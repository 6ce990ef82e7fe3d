"""Hardship fixtures: a household that meets K1 (income), ``Kit`` to put a file in any state
through the services, and users for every role around station 330602001."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from hardship import codes, services
from hardship.models import HardshipFile, SpotCheck
from servicecenter.models import Parameter, User
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles
from tests.conftest import PASSWORD, make_person, new_id_number

S = HardshipFile.Status
D = Decimal


def set_param(unit: Any, key: str, value: str, year: int | None = None) -> None:
    Parameter.objects.update_or_create(key=key, org_unit=unit, year=year, defaults={"value": value})


def make_user(username: str, unit: Any, *roles: Role) -> User:
    user = User(username=username, full_name=username, org_unit=unit)
    user.set_password(PASSWORD)
    user.save()
    staff_set_roles(user=user, roles=roles)
    return User.objects.get(pk=user.pk)


def member(relation: str, name: str, income: str = "0", *, work: str = codes.WorkStatus.EMPLOYED,
           id_number: str = "", age: int | None = None, health: str = codes.Health.GOOD,
           schooling: str = "") -> services.MemberData:
    return services.MemberData(relation=relation, name=name, work_status=work, id_number=id_number,
                               age=age if age is not None or id_number else 40, health=health,
                               monthly_income=D(income), schooling=schooling)


def household_data(**overrides: Any) -> dict[str, Any]:
    data = {"address": "绍兴市越城区解放北路100号", "housing_type": codes.HousingType.RENTED,
            "housing_area": D("50.00"), "main_cause": codes.Cause.LAID_OFF}
    data.update(overrides)
    return data


def household(person: Any, *, members: list | None = None, incomes: list | None = None,
              **data: Any) -> services.Household:
    """By default: the applicant earning 1,800, a spouse without income, a child at school —
    per head 600.00 a month (K1 with the default 低保 1,100 × 120% = 1,320)."""
    if members is None:
        members = [member("self", person.name, "1800", id_number=person.id_number),
                   member("spouse", "王丽", "0", work=codes.WorkStatus.UNEMPLOYED, age=44),
                   member("child", "张小明", "0", work=codes.WorkStatus.STUDENT, age=13, schooling="junior")]
    return services.Household(household_data(**data), members, incomes or [])


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``freeze(date or datetime)`` sets "now" (local time, Asia/Shanghai) for the code under test."""

    def _freeze(when: Any) -> datetime.datetime:
        if isinstance(when, datetime.date) and not isinstance(when, datetime.datetime):
            when = datetime.datetime.combine(when, datetime.time(10))
        aware = when if timezone.is_aware(when) else timezone.make_aware(when)
        monkeypatch.setattr(timezone, "now", lambda: aware)
        return aware

    return _freeze


class Kit:
    """Files of station 330602001 in any state: made by the station worker, decided by the
    district supervisor (who touched nothing before)."""

    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users, self.units = users, units
        self.worker, self.sup = users["s11_worker"], users["d1_sup"]
        self.station = units["330602001"]
        # The district's draw never selects (the spot-check tests set their own ratio).
        set_param(units["330602"], "hardship.spot_check_ratio", "0")

    def person(self, **data: Any) -> Any:
        data.setdefault("name", "张建国")
        return make_person(self.worker, **data)

    def apply(self, person: Any = None, **kwargs: Any) -> HardshipFile:
        person = person or self.person(id_number=new_id_number())
        return services.file_apply(by=self.worker, token=uuid.uuid4(), org_unit=self.station,
                                   household=kwargs.pop("household", None) or household(person, **kwargs))

    def visit(self, f: HardshipFile) -> Any:
        return services.file_record_visit(file=f, by=self.worker, visited_on=timezone.localdate(), visitors="李强、王芳",
                                          findings="家庭成员、收入、住房与申请一致。")

    def make(self, state: str, **kwargs: Any) -> HardshipFile:
        f = self.apply(**kwargs)
        if state == S.APPLIED:
            return f
        self.visit(f)
        if state == S.DECLINED:
            services.file_decline(file=f, by=self.worker, reason="不符合条件")
            f.refresh_from_db()
            return f
        services.file_review(file=f, by=self.worker, opinion="情况属实", override_reason="核实属实")
        if state == S.REVIEWED:
            f.refresh_from_db()
            return f
        # Reviewed and posted three weeks ago: the notice has run.
        today = timezone.localdate()
        HardshipFile.objects.filter(pk=f.pk).update(reviewed_on=today - datetime.timedelta(days=30))
        f.refresh_from_db()
        services.file_post_notice(file=f, by=self.worker, place="社区公示栏", start=today - datetime.timedelta(days=21))
        if state == S.NOTICE:
            f.refresh_from_db()
            return f
        services.file_submit(file=f, by=self.worker, note="报请审批")
        if state == S.SUBMITTED:
            f.refresh_from_db()
            return f
        if state == S.REJECTED:
            services.file_reject(file=f, by=self.sup, reason="收入超标")
            f.refresh_from_db()
            return f
        services.file_approve(file=f, by=self.sup, grade=codes.Grade.HARDSHIP, override_reason="核实属实")
        if state == S.EXITED:
            services.file_exit(file=f, by=self.worker, reason=codes.ExitReason.REEMPLOYED, note="已再就业")
        if state == S.CLOSED:
            services.file_close(file=f, by=self.worker, reason=codes.CloseReason.MOVED)
        f.refresh_from_db()
        return f

    def select_for_spot_check(self, f: HardshipFile) -> None:
        SpotCheck.objects.filter(file=f).update(selected=True)


@pytest.fixture
def kit(users: dict, units: dict) -> Kit:
    return Kit(users, units)
