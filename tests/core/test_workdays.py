"""Working days on China's calendar, around the 2026 National Day holiday.

chinese-calendar (and so migration 0003) has, for autumn 2026: Mid-Autumn Festival Fri 25 – Sun
27 September off; National Day Thu 1 – Wed 7 October off; Sunday 20 September and Saturday
10 October worked (调休).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from servicecenter.models import CalendarDay
from servicecenter.workdays import (
    add_working_days,
    calendar_rows,
    calendar_seed,
    is_working_day,
    working_days_between,
)

D = datetime.date
HOLIDAY, WORKDAY = CalendarDay.Kind.HOLIDAY, CalendarDay.Kind.WORKDAY


@pytest.fixture(autouse=True)
def calendar(db: Any) -> None:
    # Migration 0003 seeds the table; a transactional test elsewhere may have emptied it since.
    calendar_seed(range(2025, 2028))


def test_the_seed_knows_the_2026_national_day_holiday() -> None:
    rows = {(r.date, r.kind, r.name) for r in calendar_rows(CalendarDay, range(2026, 2027))}
    for day in [D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 5), D(2026, 10, 6), D(2026, 10, 7)]:
        assert (day, HOLIDAY.value, "国庆节") in rows
    assert (D(2026, 9, 25), HOLIDAY.value, "中秋节") in rows
    assert (D(2026, 9, 20), WORKDAY.value, "国庆节调休") in rows
    assert (D(2026, 10, 10), WORKDAY.value, "国庆节调休") in rows
    # Weekend days of a holiday are off by the weekday rule already: no row needed.
    assert not any(day in {D(2026, 10, 3), D(2026, 10, 4)} for day, _, _ in rows)
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).kind == HOLIDAY
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).kind == WORKDAY


@pytest.mark.parametrize(("day", "working"), [
    (D(2026, 9, 30), True),    # Wednesday before the holiday
    (D(2026, 10, 1), False),   # National Day
    (D(2026, 10, 3), False),   # Saturday inside the holiday
    (D(2026, 10, 7), False),   # last day off
    (D(2026, 10, 8), True),
    (D(2026, 10, 10), True),   # Saturday worked
    (D(2026, 10, 11), False),  # ordinary Sunday
    (D(2026, 9, 20), True),    # Sunday worked
    (D(2026, 9, 25), False),   # Mid-Autumn, a Friday
    (D(2026, 6, 3), True),     # ordinary Wednesday
])
def test_is_working_day(day: datetime.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(("day", "n", "expected"), [
    (D(2026, 9, 30), 0, D(2026, 9, 30)),
    (D(2026, 10, 3), 0, D(2026, 10, 3)),     # n = 0 is the day itself, even a day off
    (D(2026, 9, 30), 1, D(2026, 10, 8)),     # over the whole holiday
    (D(2026, 10, 1), 1, D(2026, 10, 8)),     # from inside the holiday
    (D(2026, 9, 30), 3, D(2026, 10, 10)),    # the worked Saturday counts …
    (D(2026, 9, 30), 4, D(2026, 10, 12)),    # … the Sunday after it does not
    (D(2026, 9, 29), 2, D(2026, 10, 8)),
    (D(2026, 6, 5), 5, D(2026, 6, 12)),      # five working days from an ordinary Friday
    (D(2026, 9, 18), 1, D(2026, 9, 20)),     # from a Friday: the worked Sunday is next
    (D(2026, 9, 18), 5, D(2026, 9, 24)),     # and Mid-Autumn Friday 25th is not
    (D(2026, 9, 24), 4, D(2026, 10, 8)),     # Mid-Autumn and National Day in one go
    (D(2026, 10, 8), -1, D(2026, 9, 30)),    # backwards over the holiday
    (D(2026, 10, 12), -4, D(2026, 9, 30)),
    (D(2026, 10, 12), -1, D(2026, 10, 10)),
    (D(2026, 9, 28), -1, D(2026, 9, 24)),    # backwards over Mid-Autumn
    (D(2026, 9, 22), -2, D(2026, 9, 20)),    # the worked Sunday, counting back
])
def test_add_working_days(day: datetime.date, n: int, expected: datetime.date) -> None:
    assert add_working_days(day, n) == expected


def test_the_petition_deadline_across_national_day() -> None:
    # Received the last working day before the holiday: 30 working days later.
    due = add_working_days(D(2026, 9, 30), 30)
    assert due == D(2026, 11, 17)
    assert working_days_between(D(2026, 9, 30), due) == 30


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2026, 9, 30), D(2026, 10, 7), 0),
    (D(2026, 9, 30), D(2026, 10, 8), 1),
    (D(2026, 9, 30), D(2026, 10, 11), 3),
    (D(2026, 9, 18), D(2026, 10, 18), 16),
    (D(2026, 10, 8), D(2026, 9, 30), -1),
    (D(2026, 10, 4), D(2026, 9, 30), -1),    # backwards from a day off: 30 Sept is the one stepped on
    (D(2026, 10, 11), D(2026, 10, 10), -1),  # from Sunday back onto the worked Saturday
    (D(2026, 10, 12), D(2026, 10, 3), -3),
    (D(2026, 6, 1), D(2026, 6, 1), 0),
    (D(2026, 6, 5), D(2026, 6, 8), 1),       # Friday to Monday
])
def test_working_days_between(start: datetime.date, end: datetime.date, expected: int) -> None:
    assert working_days_between(start, end) == expected


def _brute_force(start: datetime.date, end: datetime.date) -> int:
    """Step from ``start`` to ``end`` a day at a time, counting the working days stepped onto."""
    step = datetime.timedelta(days=1 if end >= start else -1)
    count, day = 0, start
    while day != end:
        day += step
        count += is_working_day(day)
    return count if end >= start else -count


def test_between_is_the_inverse_of_add() -> None:
    # Every start day of a month around the holidays, working or not, both directions.
    for start in [D(2026, 9, 15) + datetime.timedelta(days=i) for i in range(30)]:
        for n in range(-12, 13):
            assert working_days_between(start, add_working_days(start, n)) == n, (start, n)


def test_between_agrees_with_stepping_day_by_day() -> None:
    base = D(2026, 9, 14)
    for offset in [0, 1, 3, 6, 7, 13, 19, 22, 26, 33, 40]:
        for span in [1, 2, 5, 6, 8, 15, 23, 31]:
            start = base + datetime.timedelta(days=offset)
            for end in (start + datetime.timedelta(days=span), start - datetime.timedelta(days=span)):
                assert working_days_between(start, end) == _brute_force(start, end), (start, end)


def test_swapping_two_working_days_changes_only_the_sign() -> None:
    a, b = D(2026, 9, 20), D(2026, 10, 10)  # both worked weekend days
    assert working_days_between(a, b) == -working_days_between(b, a) == 10


def test_the_table_is_the_source_of_truth() -> None:
    """An administrator's entry changes the answer, whatever chinese-calendar says."""
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    CalendarDay.objects.create(date=D(2026, 10, 8), kind=HOLIDAY, name="县庆（测试）")  # a made-up holiday
    assert not is_working_day(D(2026, 10, 8))
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 9)
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 1
    # A correction of a seeded day: the Saturday is not worked after all.
    CalendarDay.objects.filter(date=D(2026, 10, 10)).delete()
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 13)
    # Reseeding keeps the administrator's entries.
    calendar_seed(range(2026, 2027))
    assert CalendarDay.objects.get(date=D(2026, 10, 8)).name == "县庆（测试）"


def test_a_calendar_day_added_through_the_admin_counts(client_for: Any) -> None:
    response = client_for("sysadmin").post("/admin/servicecenter/calendarday/add/", {
        "date": "2026-10-04", "kind": "workday", "name": "加班日（测试）"})
    assert response.status_code == 302
    assert is_working_day(D(2026, 10, 4))
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 4)


def test_a_long_run_of_days_off_is_not_guessed(db: Any) -> None:
    """Days off beyond the window of one query are read, not assumed to be ordinary weekdays."""
    start = D(2026, 11, 2)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=start + datetime.timedelta(days=i), kind=HOLIDAY, name="停工（测试）") for i in range(1, 120))
    expected = start + datetime.timedelta(days=120)
    while expected.weekday() >= 5:
        expected += datetime.timedelta(days=1)
    assert add_working_days(start, 1) == expected
    assert add_working_days(expected, -1) == start
    assert working_days_between(start, expected) == 1


@pytest.mark.parametrize("n", [1, 5, 30, 250, -30, -250])
def test_one_query_each(n: int, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        add_working_days(D(2026, 9, 30), n)
    with django_assert_num_queries(1):
        working_days_between(D(2026, 1, 1), D(2027, 12, 31))
    with django_assert_num_queries(1):
        is_working_day(D(2026, 10, 1))
