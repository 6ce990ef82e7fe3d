"""Petition fixtures: a category, a person at station 330602001, a clock that can be set, and
``make_petition`` to register one through the intake service."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.utils import timezone

from petitions import services
from petitions.models import Category, Petition
from servicecenter.models import Parameter
from tests.conftest import make_employer, make_person


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.get(name="工资报酬/拖欠工资")


@pytest.fixture
def person(users: dict) -> Any:
    return make_person(users["s11_clerk"], name="赵建国", phone="13900001111")


@pytest.fixture
def employer(units: dict) -> Any:
    return make_employer(units["330602001"], name="越兴纺织印染有限公司")


@pytest.fixture
def freeze(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``freeze(datetime)`` sets "now" for the code under test (local time, Asia/Shanghai)."""

    def _freeze(when: datetime.datetime) -> datetime.datetime:
        aware = when if timezone.is_aware(when) else timezone.make_aware(when)
        monkeypatch.setattr(timezone, "now", lambda: aware)
        return aware

    return _freeze


def set_param(unit: Any, key: str, value: str) -> None:
    Parameter.objects.update_or_create(key=key, org_unit=unit, year=None, defaults={"value": value})


def make_petition(by: Any, person: Any, category: Any, **kwargs: Any) -> Petition:
    data = {
        "token": uuid.uuid4(), "org_unit": by.org_unit, "person": person, "channel": "visit",
        "received_at": timezone.now(), "headcount": 1, "category": category,
        "facts": "公司拖欠三个月工资共计一万二千元。", "request": "要求公司支付拖欠工资。",
    }
    data.update(kwargs)
    return services.petition_intake(by=by, **data)


@pytest.fixture
def petition(users: dict, person: Any, category: Category, employer: Any) -> Petition:
    """An open petition at station 330602001, received by s11_clerk (its first handler)."""
    return make_petition(users["s11_clerk"], person, category, employer=employer)
