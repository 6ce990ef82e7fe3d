"""The demo generator, and what the app contributes elsewhere: the person and employer page
sections, the dashboard section and the monthly figures."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from petitions import services
from petitions.demo import seed_petitions
from petitions.models import Escalation, FollowUp, Petition, PetitionEvent, Task, TaskTarget
from petitions.summary import dashboard_section, employer_section, month_summary, person_section
from servicecenter.numbering import case_number
from tests.conftest import make_employer, make_person
from tests.petitions.conftest import make_petition

REPORT = services.CompletionReport("事实", "依据", "结果", "无异议")


@pytest.fixture
def demo_people(users, units):
    for code, clerk in [("330602001", "s11_clerk"), ("330602002", "s12_clerk"), ("330604001", "s21_clerk")]:
        for i in range(3):
            make_person(users[clerk], name=f"演示{code[-3:]}{i}")
        make_employer(units[code])


def test_seed_petitions_is_realistic_and_idempotent(demo_people, units):
    assert seed_petitions(60, rng_seed=7) == 60
    assert seed_petitions(60, rng_seed=7) == 0
    assert seed_petitions(70, rng_seed=7) == 10
    petitions = Petition.objects.all()
    assert petitions.count() == 70
    statuses = set(petitions.values_list("status", flat=True))
    assert {"closed", "open"} <= statuses and len(statuses) >= 3
    assert PetitionEvent.objects.filter(kind="intake").count() == 70
    assert FollowUp.objects.filter(petition__status="closed").count() == petitions.filter(status="closed").count()
    for p in petitions.filter(is_group=True):
        assert Escalation.objects.filter(petition=p).exists()
    assert len(set(petitions.values_list("number", flat=True))) == 70
    assert Task.objects.count() == 4 and TaskTarget.objects.filter(status="reported").exists()  # 2 per district
    # The series continues where the demo left off.
    station, year = units["330602001"], timezone.localdate().year
    issued = [int(n[-5:]) for n in petitions.filter(org_unit=station, accepted_on__year=year)
              .values_list("number", flat=True)]
    with transaction.atomic():
        assert case_number("XF", station, year).endswith(f"{max(issued, default=0) + 1:05d}")


def test_person_section_lists_visible_petitions_only(users, person, category):
    own = make_petition(users["s11_clerk"], person, category)
    secret = make_petition(users["s11_clerk"], person, category, is_confidential=True)
    services.petition_assign(petition=secret, by=users["s11_clerk"], handler=users["s11_worker"],
                             due_date=timezone.localdate())
    assert [p.pk for p in person_section(person, users["s11_clerk"]).context["petitions"]] == [own.pk]
    assert {p.pk for p in person_section(person, users["d1_sup"]).context["petitions"]} == {own.pk, secret.pk}
    assert person_section(person, users["s12_clerk"]).context["petitions"] == []


def test_employer_section_lists_petitions_and_notices(users, person, category, employer):
    p = make_petition(users["s11_clerk"], person, category, employer=employer)
    notice = services.notice_issue(petition=p, by=users["s11_clerk"], kind="suggestion", content="建议")
    section = employer_section(employer, users["s11_clerk"])
    assert [x.pk for x in section.context["petitions"]] == [p.pk]
    assert [n.pk for n in section.context["notices"]] == [notice.pk]
    assert employer_section(employer, users["s12_clerk"]).context["petitions"] == []


def test_dashboard_section(users, person, category, freeze):
    clerk = users["s11_clerk"]
    now = timezone.localtime()
    freeze(now - datetime.timedelta(days=40))
    late = make_petition(clerk, person, category)
    freeze(now - datetime.timedelta(days=28))
    soon = make_petition(clerk, person, category)
    freeze(now)
    today = make_petition(clerk, person, category, headcount=9)
    data = dashboard_section(clerk).context
    assert data["today_visits"] == 1
    assert data["my_open_count"] == 3
    assert [p.pk for p in data["overdue"]] == [late.pk] and data["overdue_count"] == 1
    assert [p.pk for p in data["due_soon"]] == [soon.pk] and data["due_soon_days"] == 3
    assert data["escalations"] == []  # a clerk has no inbox
    assert [e.petition_id for e in dashboard_section(users["d1_sup"]).context["escalations"]] == [today.pk]
    assert data["my_open"][0].complainant.name == person.name


def test_dashboard_section_template_renders(users, person, category, rf):
    from django.template.loader import render_to_string

    make_petition(users["s11_clerk"], person, category, headcount=9)
    section = dashboard_section(users["d1_sup"])
    html = render_to_string(section.template, {"data": section.context})
    assert "群体性/紧急待签收" in html and 'data-testid="escalation-count">1<' in html


def test_month_summary_for_a_subtree(users, units, person, category, freeze):
    clerk = users["s11_clerk"]
    freeze(datetime.datetime(2026, 10, 8, 9))
    a = make_petition(clerk, person, category, channel="hotline")
    b = make_petition(clerk, person, category, headcount=7)
    make_petition(users["s21_clerk"], make_person(users["s21_clerk"], name="外区"), category)  # other district
    freeze(datetime.datetime(2026, 10, 20, 9))
    services.petition_close(petition=a, by=clerk, report=REPORT)
    fu = FollowUp.objects.get(petition=a)
    services.followup_record(follow_up=fu, by=clerk, method="phone", satisfaction="fairly")
    freeze(datetime.datetime(2026, 11, 20, 9))
    services.petition_close(petition=b, by=clerk, report=REPORT)  # closed late, in November
    october = month_summary(units["330602"], 2026, 10)
    assert october["received"] == 2 and october["group"] == 1
    assert october["by_channel"]["来电"] == 1 and october["by_channel"]["来访"] == 1
    assert october["by_category"] == {"工资报酬/拖欠工资": 2}
    assert october["closed"] == 1 and october["closed_on_time"] == 1 and october["on_time_rate"] == Decimal("100.0")
    assert october["received_closed"] == 1 and october["closure_rate"] == Decimal("50.0")
    assert october["follow_ups"] == 1 and october["satisfaction_rate"] == Decimal("100.0")
    november = month_summary(units["330602"], 2026, 11)
    assert november["received"] == 0 and november["closure_rate"] is None
    assert november["closed"] == 1 and november["closed_on_time"] == 0 and november["on_time_rate"] == Decimal("0.0")
    assert month_summary(units["330600"], 2026, 10)["received"] == 3
    assert month_summary(units["330602002"], 2026, 10)["received"] == 0
