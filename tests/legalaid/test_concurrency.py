"""Two people acting at once (PostgreSQL, real transactions on their own connections): a petition
referred twice at the same moment gives one draft; two supervisors granting at once decide once;
two clerks assigning at once assign one lawyer."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from legalaid import services
from legalaid.models import Application
from petitions import services as petition_services
from petitions.models import Category
from servicecenter import referrals
from servicecenter.models import Approval
from tests.legalaid.conftest import bring, intake, make_advisor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls: Callable[[], object]) -> tuple[list[object], list[BaseException]]:
    start = threading.Barrier(len(calls))
    done: list[object] = []
    refused: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            start.wait(timeout=30)
            done.append(call())
        except ValidationError as exc:
            refused.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return done, refused


def test_a_petition_referred_twice_at_once_gives_one_draft(users, applicant, employer):
    category = Category.objects.get_or_create(name="工资报酬/拖欠工资", defaults={"order": 10})[0]
    petition = petition_services.petition_intake(
        by=users["s11_clerk"], token=uuid.uuid4(), org_unit=users["s11_clerk"].org_unit, person=applicant,
        channel="visit", received_at=timezone.now(), headcount=1, category=category, facts="欠薪。", request="支付。",
        employer=employer)
    target = referrals.target_by_code("legalaid.application")
    source = referrals.source_for(type(petition))
    assert target and source
    done, refused = at_once(*[
        (lambda u=u: referrals.referral_create(target=target, source=source, obj=petition, by=users[u]))
        for u in ("s11_clerk", "s11_worker")])
    assert len(done) == 1 and len(refused) == 1 and Application.objects.count() == 1
    assert "该记录已转法律援助" in refused[0].messages[0]


def test_two_supervisors_granting_at_once_decide_once(users, units, applicant, employer):
    from servicecenter.staff import staff_set_roles

    second = type(users["d1_sup"]).objects.create(username="d1_sup2", full_name="副主席", org_unit=units["330602"])
    staff_set_roles(user=second, roles=["supervisor"])
    a = intake(users["s11_clerk"], applicant, employer)
    services.application_assess(application=a, by=users["s11_clerk"], opinion="属实。", recommend="grant")
    done, refused = at_once(
        lambda: services.application_grant(application=Application.objects.get(pk=a.pk), by=users["d1_sup"],
                                           forum="arbitration"),
        lambda: services.application_refuse(application=Application.objects.get(pk=a.pk),
                                            by=type(second).objects.get(pk=second.pk), reason="不符合条件。"))
    assert len(done) == 1 and len(refused) == 1
    a.refresh_from_db()
    assert a.status in (Application.Status.GRANTED, Application.Status.REFUSED)
    assert Approval.objects.filter(status="pending").count() == 0 and Approval.objects.count() == 1


def test_two_assignments_at_once_assign_one_lawyer(users, units, applicant, employer):
    a = bring(intake(users["s11_clerk"], applicant, employer), Application.Status.GRANTED, users)
    one = make_advisor(users["d1_sup"], units["330602"], "甲律师")
    two = make_advisor(users["d1_sup"], units["330602"], "乙律师")
    done, refused = at_once(
        lambda: services.application_assign(application=Application.objects.get(pk=a.pk), by=users["s11_clerk"],
                                            advisor=one),
        lambda: services.application_assign(application=Application.objects.get(pk=a.pk), by=users["d1_sup"],
                                            advisor=two))
    assert len(done) == 1 and len(refused) == 1
    a.refresh_from_db()
    assert a.status == Application.Status.ASSIGNED and a.events.filter(kind="assign").count() == 1
