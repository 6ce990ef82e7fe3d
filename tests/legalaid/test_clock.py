"""The review clock (7 working days from a complete application, paused while material is awaited)
and the assignment clock (3 working days from the grant): across the 2026 National Day holiday and
its worked Saturday, with a pause, and — the kernel's property test applied here — against a
brute-force day-by-day walk, driven through this app's services and the holiday editor."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legalaid import services
from legalaid.models import Application
from legalaid.selectors import REVIEW_CLOCK
from servicecenter import clocks
from servicecenter.holidays import calendar_day_save
from servicecenter.models import CalendarDay
from servicecenter.workdays import Calendar
from tests.core.test_clocks import SPAN, START, brute_due, calendars
from tests.legalaid.conftest import bring, intake, set_param

D = datetime.date
ONE = datetime.timedelta(days=1)


def test_seven_working_days_across_national_day_with_a_pause(users, applicant, employer, freeze, client_for):
    clerk = users["s11_clerk"]
    freeze(D(2026, 9, 28))  # Monday before the holiday
    a = intake(clerk, applicant, employer)
    # 9/29, 9/30, (10/1–10/7 off), 10/8, 10/9, Sat 10/10 worked, 10/12, 10/13.
    assert a.review_started_on == D(2026, 9, 28) and a.review_due_date == D(2026, 10, 13)
    freeze(D(2026, 9, 29))
    services.application_request_material(application=a, by=clerk, material="工资发放记录")
    a.refresh_from_db()
    assert a.status == Application.Status.SUPPLEMENT and a.review_paused_since == D(2026, 9, 29)
    page = client_for("s11_clerk").get(a.get_absolute_url()).content.decode()
    assert "暂停计时（自2026-09-29）" in page
    freeze(D(2026, 10, 9))
    services.application_supplement(application=a, by=clerk)
    a.refresh_from_db()
    # The pause took out 9/30, 10/8 and 10/9: three working days, so the due date moves three.
    assert a.review_paused_days == 3 and a.review_due_date == D(2026, 10, 16)
    assert "暂停3个工作日，审查期限至2026-10-16" in a.events.last().note
    freeze(D(2026, 10, 16))
    assert not REVIEW_CLOCK.read(a).is_overdue(D(2026, 10, 16))
    assert REVIEW_CLOCK.read(a).is_overdue(D(2026, 10, 17))


def test_the_decision_stops_the_review_clock_and_starts_the_assignment_clock(users, applicant, employer, freeze,
                                                                             lawyers):
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    freeze(D(2026, 9, 28))
    a = intake(clerk, applicant, employer)
    services.application_assess(application=a, by=clerk, opinion="属实。", recommend="grant")
    freeze(D(2026, 9, 30))
    services.application_grant(application=a, by=sup, forum="arbitration")
    a.refresh_from_db()
    assert a.review_stopped_on == D(2026, 9, 30) and a.review_late_from is None
    # 3 working days from Wednesday 9/30: 10/8, 10/9, 10/10 (the worked Saturday).
    assert a.assign_started_on == D(2026, 9, 30) and a.assign_due_date == D(2026, 10, 10)
    freeze(D(2026, 10, 12))
    services.application_assign(application=a, by=sup, advisor=lawyers["chen"])
    a.refresh_from_db()
    assert a.assign_stopped_on == D(2026, 10, 12) and a.assign_late_from == D(2026, 10, 11)
    assert "指派逾期" in a.events.last().note


def test_a_decision_after_the_deadline_stays_marked_late(users, applicant, employer, freeze):
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    freeze(D(2026, 9, 28))
    a = intake(clerk, applicant, employer)
    services.application_assess(application=a, by=clerk, opinion="属实。", recommend="refuse")
    freeze(D(2026, 10, 14))
    services.application_refuse(application=a, by=sup, reason="不符合条件。")
    a.refresh_from_db()
    assert a.review_late_from == D(2026, 10, 14) and REVIEW_CLOCK.read(a).was_overdue()


def test_the_length_is_a_parameter(users, units, applicant, employer, freeze):
    set_param(units["330602"], "legalaid.decision_working_days", "5")
    freeze(D(2026, 9, 28))
    a = intake(users["s11_clerk"], applicant, employer)
    assert a.review_deadline_days == 5 and a.review_due_date == D(2026, 10, 10)  # the worked Saturday


def test_a_draft_has_no_clock_until_it_is_complete(users, applicant, employer, freeze):
    freeze(D(2026, 9, 28))
    a = intake(users["s11_clerk"], applicant, employer, complete=False)
    assert a.review_due_date is None and a.status == Application.Status.DRAFT
    freeze(D(2026, 9, 30))
    services.application_complete(application=a, by=users["s11_clerk"])
    a.refresh_from_db()
    assert a.review_started_on == D(2026, 9, 30) and a.review_due_date == D(2026, 10, 15)


# --- the property test: the kernel's brute-force walk, through this app's services ---------------------

ops = st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["pause", "resume", "holiday", "workday"]),
                         st.integers(0, SPAN)), max_size=8)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(exceptions=calendars(), steps=ops, length=st.integers(1, 15))
def test_the_review_clock_agrees_with_a_day_by_day_walk(exceptions, steps, length, users, units, applicant, employer,
                                                        freeze):
    """Random calendars (written to the holiday table), a random review length, then random
    requests for material, arrivals of material and holiday edits through the admin's editor on
    random days: after each, the application's stored due date is the one a walk from the day the
    application was complete reaches, skipping days off and the days the test itself paused — the
    test keeps its own record of the pauses, so a service that records the wrong day fails."""
    clerk, admin = users["s11_clerk"], users["sysadmin"]
    CalendarDay.objects.filter(date__range=(START - ONE * 10, START + ONE * (SPAN + 60))).delete()
    CalendarDay.objects.bulk_create([CalendarDay(date=d, kind=k) for d, k in exceptions.items()])
    set_param(units["330602"], "legalaid.decision_working_days", str(length))
    today = START
    freeze(today)
    a = intake(clerk, applicant, employer)
    pauses: list[tuple[datetime.date, datetime.date]] = []
    paused_since = None
    for wait, op, n in steps:
        today += ONE * wait
        freeze(today)
        a.refresh_from_db()
        if op == "pause" and a.status == Application.Status.REVIEW:
            services.application_request_material(application=a, by=clerk, material="补充材料")
            paused_since = today
        elif op == "resume" and a.status == Application.Status.SUPPLEMENT:
            before = a.review_due_date
            services.application_supplement(application=a, by=clerk)
            pauses.append((paused_since, today))
            paused_since = None
            a.refresh_from_db()
            assert a.review_due_date >= before, "a pause shortened the deadline"
        elif op in ("holiday", "workday"):
            day = START + ONE * n
            if op == "workday" and day.weekday() < 5:
                continue
            kind = CalendarDay.Kind.HOLIDAY if op == "holiday" else CalendarDay.Kind.WORKDAY
            row = CalendarDay.objects.filter(date=day).first() or CalendarDay(date=day)
            row.kind = kind
            calendar_day_save(day=row, by=admin)
        a.refresh_from_db()
        calendar = Calendar()
        # Our own record: started on START, ``length`` working days, the pauses we made. A pause
        # that began on or after the due date moves nothing (the deadline had been reached).
        expected = clocks.Clock(START, length, in_working_days=True)
        for p, r in pauses:
            due_then = brute_due(expected, calendar)
            if p < due_then:
                expected = clocks.Clock(START, length, in_working_days=True, pauses=(*expected.pauses, (p, r)))
        assert a.review_paused_since == paused_since
        assert a.review_due_date == brute_due(expected, calendar), (steps, sorted(exceptions.items()))
        assert calendar.is_working(a.review_due_date)
        late = a.review_due_date + ONE if paused_since is None or paused_since > a.review_due_date else None
        assert a.review_late_from == late
    Application.objects.filter(pk=a.pk).delete()


@pytest.mark.parametrize("status", ["review", "supplement"])
def test_a_holiday_added_inside_an_open_review_moves_it(users, applicant, employer, freeze, status):
    """Running or paused (an open pause counts as ending the day it began), the review deadline
    moves by the working day the new holiday takes out, and the move is audited."""
    freeze(D(2026, 11, 2))  # Monday
    a = bring(intake(users["s11_clerk"], applicant, employer), status, users)
    due = a.review_due_date
    moved = calendar_day_save(day=CalendarDay(date=D(2026, 11, 4), kind=CalendarDay.Kind.HOLIDAY, name="地方节日"),
                              by=users["sysadmin"])
    a.refresh_from_db()
    assert moved == 1 and a.review_due_date == due + ONE
