"""Fixtures for the monthly summaries: petitions (and legal-aid and jobs records) written straight
into their tables at chosen dates (figures are about dates, not about the intake forms), and a month
that has ended."""

from __future__ import annotations

import datetime
import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jobs.models import Course, Enrolment, Occupation, Posting, Recruiter, Referral, Seeker
from legalaid.models import Advisor, Application, Consultation, ExecutionRecord, Mediation
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


# --- Legal aid and jobs records, written straight into their tables at chosen dates ---------------------


def put_consultation(unit: OrgUnit, when: datetime.datetime, *, by: User) -> Any:
    return Consultation.objects.create(org_unit=unit, at=when, channel="hotline", matter="wages", question="问",
                                       answer="答", taken_by=by, token=uuid.uuid4())


def put_application(unit: OrgUnit, person: Person, received: datetime.date, *, by: User, status: str = "review",
                    decided: datetime.date | None = None, closed: datetime.date | None = None,
                    amount_received: Any = None) -> Any:
    """A legal-aid application received (decided, closed with what the worker got) on those days."""
    return Application.objects.create(
        number=f"FY-TEST-{next(_numbers):06d}", org_unit=unit, received_on=received, received_by=by, handler=by,
        token=uuid.uuid4(), applicant=person, matter="wages", facts="测试", request="测试", status=status,
        decided_on=decided, closed_on=closed, amount_received=amount_received)


def put_mediation(unit: OrgUnit, applied: datetime.date, *, by: User, agreed: datetime.date | None = None,
                  failed: datetime.date | None = None, pay_by: datetime.date | None = None,
                  executed: datetime.date | None = None) -> Any:
    mediator = Advisor.objects.filter(org_unit=unit).first() or Advisor.objects.create(
        org_unit=unit, kind=Advisor.Kind.MEDIATOR, name="调解员")
    status = Mediation.Status.AGREED if agreed else Mediation.Status.FAILED if failed else Mediation.Status.OPEN
    return Mediation.objects.create(
        number=f"TJ-TEST-{next(_numbers):06d}", org_unit=unit, applied_on=applied, received_by=by, token=uuid.uuid4(),
        employer=make_employer(unit), mediator=mediator, matter="wages", request="测试", facts="测试", status=status,
        agreed_on=agreed, failed_on=failed, pay_by=pay_by, executed_on=executed)


def put_execution(mediation: Any, day: datetime.date, received: Any, *, by: User) -> Any:
    return ExecutionRecord.objects.create(mediation=mediation, recorded_on=day, execution="partly",
                                          amount_paid=received, received=received, by=by)


def put_seeker(unit: OrgUnit, registered: datetime.date, *, by: User) -> Any:
    return Seeker.objects.create(number=f"QZ-TEST-{next(_numbers):06d}", org_unit=unit,
                                 person=make_person(by, name="求职者"), registered_on=registered, created_by=by)


def put_posting(unit: OrgUnit, published: datetime.date | None, openings: int, *, by: User) -> Any:
    recruiter = Recruiter.objects.create(employer=make_employer(unit), org_unit=unit, contact_person="王经理",
                                         contact_phone="13905750001", created_by=by)
    day = published or datetime.date(2026, 1, 1)
    return Posting.objects.create(
        number=f"GW-TEST-{next(_numbers):06d}", org_unit=unit, recruiter=recruiter, title="操作工",
        occupation=Occupation.objects.order_by("pk").first(), openings=openings, wage_min=Decimal("3000"),
        wage_max=Decimal("4000"), area=unit, address="绍兴", contact_person="王经理", contact_phone="13905750001",
        valid_from=day, valid_to=day + datetime.timedelta(days=90), published_on=published,
        status="open" if published else "draft", created_by=by)


def put_referral(unit: OrgUnit, posting: Any, referred: datetime.date, *, by: User, status: str = "referred",
                 outcome: datetime.date | None = None) -> Any:
    """A referral made on ``referred``; its outcome (hired, rejected …) recorded on ``outcome``."""
    # The seeker registered long before (over a year), so the referral adds no new seeker to the
    # periods a test looks at.
    seeker = put_seeker(unit, referred - datetime.timedelta(days=400), by=by)
    return Referral.objects.create(number=f"TJ-JY-TEST-{next(_numbers):06d}", org_unit=unit,
                                   seeker=seeker, posting=posting, referred_on=referred,
                                   referred_by=by, status=status, outcome_on=outcome, employment_type="full")


def put_enrolment(unit: OrgUnit, enrolled: datetime.date, *, by: User, completed: datetime.date | None = None,
                  dropped: bool = False) -> Any:
    course = Course.objects.filter(org_unit=unit).first() or Course.objects.create(
        number=f"KC-TEST-{next(_numbers):06d}", org_unit=unit, name="电工培训", provider="培训学校",
        starts_on=enrolled, ends_on=enrolled + datetime.timedelta(days=60), hours=40, capacity=30,
        fee=Decimal("800"), discount_percent=Decimal("50"), created_by=by)
    status = "dropped" if dropped else "completed" if completed else "enrolled"
    return Enrolment.objects.create(course=course, person=make_person(by, name="学员"), org_unit=unit,
                                    enrolled_on=enrolled, enrolled_by=by, fee=Decimal("800"),
                                    payable=Decimal("800"), status=status, completed_on=completed)
