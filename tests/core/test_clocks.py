"""The deadline clock (servicecenter/clocks.py) against a brute-force walk, day by day.

The property test runs random sequences of pause / resume / extend / holiday edits on random
calendars and compares, after every step, the clock's due date with the day on which a walk from the
start, counting one day at a time (working days only in that mode, skipping paused days), reaches the
deadline — then rolls a calendar due date off a day off. It also checks that a pause never shortens a
deadline and that overdue means "after the due day". The database tests check a holiday edit moves
the open deadlines it affects (audited) and leaves the others alone.
"""

from __future__ import annotations

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecenter import clocks
from servicecenter.models import AuditEvent, CalendarDay
from servicecenter.workdays import Calendar

D = datetime.date
ONE = datetime.timedelta(days=1)
START = D(2026, 9, 1)
SPAN = 200  # the calendars below cover START … START + SPAN days (more than any deadline here)


def brute_due(clock: clocks.Clock, calendar: Calendar) -> datetime.date:
    """Walk from the day after the start; a day counts unless paused, or (working days) a day off."""
    assert clock.started_on is not None and clock.deadline_days is not None
    paused = {p + ONE * i for p, r in clock.pauses for i in range(1, (r - p).days + 1)}
    day, counted, wanted = clock.started_on, 0, clock.deadline_days + clock.extension_days
    while counted < wanted:
        day += ONE
        if day in paused or (clock.in_working_days and not calendar.is_working(day)):
            continue
        counted += 1
    if not clock.in_working_days and clock.rolls_over:
        while not calendar.is_working(day):
            day += ONE
    return day


def calendars() -> st.SearchStrategy[dict[datetime.date, str]]:
    """Random exceptions: weekday holidays (some in long runs) and worked weekend days."""
    day = st.integers(min_value=0, max_value=SPAN).map(lambda n: START + ONE * n)
    holiday_runs = st.lists(st.tuples(day, st.integers(1, 9)), max_size=4)
    workdays = st.lists(day, max_size=4)

    def build(runs: list, worked: list) -> dict[datetime.date, str]:
        out: dict[datetime.date, str] = {}
        for first, length in runs:
            for i in range(length):
                out[first + ONE * i] = CalendarDay.Kind.HOLIDAY
        for d in worked:
            if d.weekday() >= 5:
                out[d] = CalendarDay.Kind.WORKDAY
        return out

    return st.builds(build, holiday_runs, workdays)


# An operation: (days to wait first, what to do, a number for it). "pause_near" waits until a day
# close to the due date (two before to two after) and pauses there: the edges a pause can hit.
operations = st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["pause", "pause_near", "resume", "extend",
                                                                      "holiday", "workday", "clear"]),
                                st.integers(0, SPAN)), max_size=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exceptions=calendars(), days=st.integers(1, 40), working=st.booleans(), rolls=st.booleans(), ops=operations)
def test_the_clock_agrees_with_a_day_by_day_walk(exceptions, days, working, rolls, ops):
    calendar = Calendar.of(exceptions)
    clock = clocks.start(START, days, in_working_days=working, rolls_over=rolls, calendar=calendar)
    today = START
    for wait, op, n in ops:
        today += ONE * wait
        if op == "pause_near":
            today = max(today, clock.due_date + ONE * (n % 5 - 2))
            op = "pause"
        if op == "pause" and clock.paused_since is None:
            before = clock.due_date
            clock = clocks.pause(clock, today, calendar)
            assert clock.due_date == before  # pausing alone moves nothing
        elif op == "resume" and clock.paused_since is not None:
            before = clock.due_date  # (a holiday edit while paused may have moved it either way)
            clock, taken = clocks.resume(clock, today, calendar)
            assert taken >= 0
            assert clock.due_date >= before, "a pause shortened the deadline"
        elif op == "extend":
            before = clock.due_date
            clock = clocks.extend(clock, n % 10 + 1, calendar)
            assert clock.due_date > before or (not working and rolls)  # rolled days may absorb a short extension
            assert clock.due_date >= before
        elif op in ("holiday", "workday", "clear"):
            day = START + ONE * n
            if op == "clear":
                exceptions.pop(day, None)
            elif op == "holiday":
                exceptions[day] = CalendarDay.Kind.HOLIDAY
            elif day.weekday() >= 5:
                exceptions[day] = CalendarDay.Kind.WORKDAY
            calendar = Calendar.of(exceptions)
            clock = clocks.settled(clock, calendar)
        # The open pause has no end yet: the due date is as if it ended on the day it began.
        assert clock.due_date == brute_due(clock, calendar), (clock, sorted(exceptions.items()))
        if clock.in_working_days:
            assert calendar.is_working(clock.due_date)
        # Overdue: only after the due day, never while paused before the due date.
        due = clock.due_date
        assert not clock.is_overdue(due)
        assert clock.is_overdue(due + ONE) is (clock.paused_since is None or clock.paused_since > due)


def test_the_due_day_itself_is_not_overdue_and_the_next_is():
    clock = clocks.start(START, 30, calendar=Calendar.of({}))  # 10-01 is a Thursday here: no roll
    assert clock.due_date == D(2026, 10, 1)
    assert not clock.is_overdue(D(2026, 10, 1)) and clock.is_overdue(D(2026, 10, 2))
    assert clocks.view(clock, D(2026, 10, 1)).text == "今日到期"
    assert clocks.view(clock, D(2026, 10, 3)).text == "已逾期2天"
    assert clocks.view(clock, D(2026, 9, 28)).text == "剩3天"


def test_a_calendar_due_date_on_a_holiday_rolls_to_the_next_working_day():
    national_day = {D(2026, 10, 1) + ONE * i: CalendarDay.Kind.HOLIDAY for i in range(7)}
    calendar = Calendar.of(national_day)
    assert clocks.start(START, 30, calendar=calendar).due_date == D(2026, 10, 8)
    assert clocks.start(START, 30, rolls_over=False, calendar=calendar).due_date == D(2026, 10, 1)


def test_working_days_left_are_counted_on_the_calendar():
    calendar = Calendar.of({D(2026, 9, 3): CalendarDay.Kind.HOLIDAY})
    clock = clocks.start(START, 5, in_working_days=True, calendar=calendar)  # Tue 9/1 → Wed 9/9
    assert clock.due_date == D(2026, 9, 9)
    assert clocks.view(clock, START, calendar).text == "剩5个工作日"


def test_closing_late_keeps_the_mark_and_closing_on_time_clears_it():
    calendar = Calendar.of({})
    clock = clocks.start(START, 10, calendar=calendar)
    late = clocks.stop(clock, clock.due_date + ONE, calendar)
    assert late.was_overdue() and not late.is_overdue(D(2027, 1, 1))
    on_time = clocks.stop(clock, clock.due_date, calendar)
    assert not on_time.was_overdue(D(2027, 1, 1)) and on_time.late_from is None
    again = clocks.restart(late, calendar)
    assert again.is_overdue(D(2027, 1, 1))


def test_pause_and_resume_refusals():
    from django.core.exceptions import ValidationError

    calendar = Calendar.of({})
    clock = clocks.start(START, 10, calendar=calendar)
    with pytest.raises(ValidationError, match="未暂停"):
        clocks.resume(clock, START, calendar)
    paused = clocks.pause(clock, START + ONE, calendar)
    with pytest.raises(ValidationError, match="暂停"):
        clocks.pause(paused, START + ONE * 2, calendar)
    stopped = clocks.stop(paused, START + ONE * 3, calendar)
    with pytest.raises(ValidationError, match="已结束"):
        clocks.pause(stopped, START + ONE * 4, calendar)


# --- holiday edits move open deadlines ---------------------------------------------------------------


@pytest.fixture
def working_petitions(units):
    from tests.petitions.conftest import set_param

    set_param(units["330602"], "petition.deadline_in_working_days", "是")


def test_a_holiday_added_inside_an_open_deadline_moves_it_and_is_audited(users, working_petitions, monkeypatch):
    from django.utils import timezone

    from petitions.models import Category, Petition
    from servicecenter.holidays import calendar_day_delete, calendar_day_save
    from tests.conftest import make_person
    from tests.petitions.conftest import make_petition

    monday = timezone.make_aware(datetime.datetime(2026, 11, 2, 10))
    monkeypatch.setattr(timezone, "now", lambda: monday)
    clerk = users["s11_clerk"]
    person = make_person(clerk)
    category = Category.objects.first()
    open_case = make_petition(clerk, person, category, received_at=monday)
    closed = make_petition(clerk, person, category, received_at=monday)
    from petitions import services

    services.petition_close(petition=closed, by=clerk, report=services.CompletionReport("事实", "依据", "结果", "满意"))
    due = open_case.due_date
    closed_due = Petition.objects.get(pk=closed.pk).due_date
    day = CalendarDay(date=D(2026, 11, 10), kind=CalendarDay.Kind.HOLIDAY, name="地方节日")
    moved = calendar_day_save(day=day, by=users["sysadmin"])
    assert moved == 1
    open_case.refresh_from_db()
    assert open_case.due_date == due + ONE * (1 if due.weekday() != 4 else 3)
    assert Petition.objects.get(pk=closed.pk).due_date == closed_due  # closed cases keep theirs
    rows = AuditEvent.objects.filter(action="servicecenter.clock.recompute")
    assert rows.count() == 1 and rows.get().target_id == str(open_case.pk)
    assert rows.get().old_values == {"due_date": str(due)}
    assert calendar_day_delete(day=day, by=users["sysadmin"]) == 1
    open_case.refresh_from_db()
    assert open_case.due_date == due


def test_the_admin_edits_the_calendar_through_the_service(client_for, users, working_petitions):
    response = client_for("sysadmin").post("/admin/servicecenter/calendarday/add/",
                                           {"date": "2027-03-01", "kind": "holiday", "name": "测试"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="servicecenter.calendar.save", username="sysadmin").exists()


def test_a_pause_on_the_due_day_neither_moves_it_nor_makes_the_case_late():
    calendar = Calendar.of({})
    clock = clocks.start(START, 10, calendar=calendar)
    due = clock.due_date
    paused = clocks.pause(clock, due, calendar)
    assert not paused.is_overdue(due + ONE * 5)  # nobody counts while paused, and it was not late yet
    resumed, taken = clocks.resume(paused, due + ONE * 5, calendar)
    assert taken == 0 and resumed.due_date == due  # the deadline had been reached: the pause moved nothing
    assert resumed.is_overdue(due + ONE * 5)
    late = clocks.pause(clocks.start(START, 10, calendar=calendar), due + ONE, calendar)
    assert late.is_overdue(due + ONE * 5)  # paused after the due date: still late
