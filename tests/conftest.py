"""Shared fixtures: the demo organisation with one account per role, and helpers to make people.

Users follow the demo naming: ``s11_clerk`` works at station 1 of district 1, ``s12_clerk`` at its
sibling station (the outsider for station 1's records), ``d1_sup`` above both, ``d2_sup`` in the
other district, ``city_sup``/``auditor`` at the top.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from servicecenter import demo
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.orgunits import orgunit_save
from servicecenter.people import person_create
from servicecenter.staff import staff_set_roles

PASSWORD = "Test@Pass2026"
_serial = itertools.count(1)


def pytest_collection_modifyitems(config: Any, items: list) -> None:
    for item in items:
        if "postgres" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only (set DATABASE_URL)"))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength makes every account fixture take a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db: Any) -> dict[str, OrgUnit]:
    out: dict[str, OrgUnit] = {}
    for spec in demo.ORGANISATION:
        out[spec.code] = orgunit_save(OrgUnit(code=spec.code, name=spec.name, kind=spec.kind,
                                              parent=out[spec.parent] if spec.parent else None))
    return out


@pytest.fixture
def users(units: dict[str, OrgUnit], django_user_model: type[User]) -> dict[str, User]:
    out = {}
    for spec in demo.ACCOUNTS:
        user = User(username=spec.username, full_name=spec.full_name, org_unit=units[spec.unit])
        user.set_password(PASSWORD)
        user.save()
        staff_set_roles(user=user, roles=spec.roles)
        out[spec.username] = User.objects.get(pk=user.pk)
    return out


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for(users: dict[str, User]) -> Any:
    return lambda username: login(users[username])


def new_id_number(*, male: bool = True, birth: Any = None) -> str:
    import datetime

    n = next(_serial)
    birth = birth or datetime.date(1980, 1, 1) + datetime.timedelta(days=n)
    return demo.resident_id("330602", birth, n % 400, male=male)


def make_person(by: User, unit: OrgUnit | None = None, **data: Any) -> Person:
    data.setdefault("name", "张三")
    data.setdefault("phone", "13800000000")
    id_number = data.pop("id_number", None) or new_id_number()
    return person_create(by=by, org_unit=unit or by.org_unit, id_number=id_number, **data)


def make_employer(unit: OrgUnit, **data: Any) -> Employer:
    n = next(_serial)
    data.setdefault("name", f"测试单位{n}有限公司")
    return Employer.objects.create(credit_code=demo.credit_code(unit.code[:6], 500000 + n), org_unit=unit, **data)


@pytest.fixture
def station_person(users: dict[str, User], units: dict[str, OrgUnit]) -> Person:
    """A person registered at station 330602001 (s11's station)."""
    return make_person(users["s11_clerk"], name="张三丰")
