"""Fixtures for the monthly summaries: petitions written straight into the table at chosen dates
(figures are about dates, not about the intake form), and a month that has ended."""

from __future__ import annotations

import datetime
import itertools
import uuid
from typing import Any

import pytest
from django.utils import timezone

from petitions.models import Category, FollowUp, Notice, Petition
from servicecenter.figures import Period, last_ended_month
from servicecenter.models import OrgUnit, Person, User
from tests.conftest import make_employer, make_person

_numbers = itertools.count(1)
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


def put_petition(unit: OrgUnit, person: Person, received: datetime.datetime, *, by: User,
                 closed: datetime.datetime | None = None, late: bool = False, group: bool = False,
                 category: Category | None = None, channel: str = "visit",
                 due: datetime.date | None = None) -> Petition:
    """A petition as the records would hold it: received (and closed) at the given moments.
    ``late``: the due date had passed when it was closed (or by now, if open)."""
    accepted = timezone.localtime(received).date()
    due = due or accepted + datetime.timedelta(days=30)
    if late:
        due = min(due, (timezone.localtime(closed).date() if closed else accepted) - datetime.timedelta(days=1))
    late_from = due + datetime.timedelta(days=1)
    stopped = timezone.localtime(closed).date() if closed else None
    if closed and stopped <= due:
        late_from = None
    return Petition.objects.create(
        number=f"XF-TEST-{next(_numbers):06d}", org_unit=unit, received_unit=unit, received_at=received,
        received_by=by, channel=channel, person=person, headcount=6 if group else 1, is_group=group,
        category=category or Category.objects.order_by("order").first(), facts="测试", request="测试",
        accepted_on=accepted, due_date=due, late_from=late_from, stopped_on=stopped, closed_at=closed,
        status=Petition.Status.CLOSED if closed else Petition.Status.OPEN, intake_token=uuid.uuid4())


def put_follow_up(petition: Petition, when: datetime.datetime, satisfaction: str, by: User) -> FollowUp:
    return FollowUp.objects.create(petition=petition, status=FollowUp.Status.DONE, method="phone",
                                   satisfaction=satisfaction, done_by=by, done_at=when)


def put_notice(petition: Petition, day: datetime.date, by: User) -> Notice:
    employer = petition.employer or make_employer(petition.org_unit)
    return Notice.objects.create(petition=petition, employer=employer, kind="suggestion",
                                 number=f"JY-TEST-{next(_numbers):06d}", content="建议", issued_on=day, issued_by=by)


@pytest.fixture
def month() -> Period:
    """The last month that has ended (summaries can be submitted for it)."""
    return last_ended_month()


@pytest.fixture
def people(users: dict[str, User]) -> list[Person]:
    clerk = users["s11_clerk"]
    return [make_person(clerk, name=f"来访人{i}") for i in range(6)]


@pytest.fixture
def ctx(users: dict, units: dict, month: Period, people: list[Person]) -> Any:
    """A small world: the demo units and accounts, six people, the last ended month."""

    class Ctx:
        pass

    c = Ctx()
    c.users, c.units, c.month, c.people = users, units, month, people
    return c
