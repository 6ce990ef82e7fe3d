"""Legal-aid fixtures: lawyers (one tied to an employer), a mediator, an applicant at station
330602001, an opposing employer, ``freeze`` for "now", and helpers that bring an application or a
mediation to a given state through the services."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from legalaid import services
from legalaid.models import Advisor, Application, Forum, Matter, Mediation
from servicecenter.models import Parameter
from tests.conftest import make_employer, make_person

D = datetime.date
S = Application.Status
M = Mediation.Status


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``freeze(day_or_datetime)`` sets "now" for the code under test (Asia/Shanghai)."""

    def _freeze(when: datetime.date | datetime.datetime) -> datetime.datetime:
        if not isinstance(when, datetime.datetime):
            when = datetime.datetime.combine(when, datetime.time(10, 0))
        aware = when if timezone.is_aware(when) else timezone.make_aware(when)
        monkeypatch.setattr(timezone, "now", lambda: aware)
        return aware

    return _freeze


def set_param(unit: Any, key: str, value: str) -> None:
    Parameter.objects.update_or_create(key=key, org_unit=unit, year=None, defaults={"value": value})


def make_advisor(by: Any, unit: Any, name: str, kind: str = Advisor.Kind.LAWYER, **data: Any) -> Advisor:
    defaults = {"firm": "浙江越州律师事务所", "phone": "", "specialities": "劳动争议", "is_active": True, "note": "",
                "licence_number": "", "pledge_signed_on": None}
    if kind == Advisor.Kind.LAWYER:
        defaults["licence_number"] = f"1330620{uuid.uuid4().int % 10**10:010d}"
    if kind == Advisor.Kind.VOLUNTEER:
        defaults["pledge_signed_on"] = D(2025, 1, 10)
    defaults.update(data)
    return services.advisor_save(by=by, org_unit=unit, kind=kind, name=name, **defaults)


@pytest.fixture
def applicant(users: dict) -> Any:
    return make_person(users["s11_clerk"], name="钱小军", phone="13900002222")


@pytest.fixture
def employer(units: dict) -> Any:
    return make_employer(units["330602001"], name="鉴湖纺织印染有限公司")


@pytest.fixture
def lawyers(users: dict, units: dict) -> dict[str, Advisor]:
    sup = users["d1_sup"]
    return {"wang": make_advisor(sup, units["330602"], "王立新"),
            "chen": make_advisor(sup, units["330602"], "陈静怡"),
            "mediator": make_advisor(sup, units["330602"], "赵国平", Advisor.Kind.MEDIATOR, firm="越城区职工服务中心")}


def details(employer: Any, **overrides: Any) -> dict[str, Any]:
    data = {"qualifies": Application.Qualifies.OTHER, "qualifies_basis": "", "matter": Matter.WAGES,
            "forum": Forum.ARBITRATION, "employer": employer, "opposing_agent": None, "amount_claimed": Decimal("12000"),
            "facts": "单位拖欠三个月工资共计一万二千元。", "request": "支付拖欠工资。", "evidence": "劳动合同、工资条",
            "dispute_arose_on": timezone.localdate() - datetime.timedelta(days=40), "employment_ended_on": None,
            "award_served_on": None}
    data.update(overrides)
    return data


def intake(by: Any, applicant: Any, employer: Any, *, complete: bool = True, **overrides: Any) -> Application:
    return services.application_intake(by=by, token=uuid.uuid4(), org_unit=by.org_unit, applicant=applicant,
                                       complete=complete, **details(employer, **overrides))


def bring(application: Application, state: str, users: dict, advisor: Advisor | None = None) -> Application:
    """Move ``application`` (a draft or under review) to ``state`` through the services."""
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    a = application
    if state == S.DRAFT:
        return a
    if a.status == S.DRAFT:
        services.application_complete(application=a, by=clerk)
    if state == S.SUPPLEMENT:
        services.application_request_material(application=a, by=clerk, material="工资发放记录")
    if state in (S.GRANTED, S.ASSIGNED, S.CLOSED, S.REFUSED):
        services.application_assess(application=a, by=clerk, opinion="情况属实。",
                                    recommend="refuse" if state == S.REFUSED else "grant")
    if state == S.REFUSED:
        services.application_refuse(application=a, by=sup, reason="不符合援助条件。")
    if state in (S.GRANTED, S.ASSIGNED, S.CLOSED):
        services.application_grant(application=a, by=sup, forum=Forum.ARBITRATION)
    if state in (S.ASSIGNED, S.CLOSED):
        assert advisor is not None
        services.application_assign(application=a, by=sup, advisor=advisor)
    if state == S.CLOSED:
        services.application_close(application=a, by=clerk, outcome="won", amount_awarded=Decimal("12000"),
                                   amount_received=Decimal("12000"), summary="仲裁裁决支持，已执行到位。")
    if state == S.WITHDRAWN:
        services.application_withdraw(application=a, by=clerk, reason="已与单位和解。")
    a.refresh_from_db()
    return a


def mediate(by: Any, workers: list, employer: Any, mediator: Advisor, **kwargs: Any) -> Mediation:
    data = {"matter": Matter.WAGES, "request": "支付拖欠工资8000元。", "amount_claimed": Decimal("8000")}
    data.update(kwargs)
    return services.mediation_intake(by=by, token=uuid.uuid4(), org_unit=by.org_unit, workers=workers,
                                     employer=employer, mediator=mediator, **data)
