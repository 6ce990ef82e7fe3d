"""Working days on China's calendar: weekends off, public holidays off, adjusted days (调休) worked.

The exceptions live in ``CalendarDay`` (seeded from chinese-calendar, editable by the admin), so a
deadline follows what the administrator entered, not what a library knew when it was released.
"""

from __future__ import annotations

import datetime

from .models import CalendarDay

# Longer than any real run of consecutive days off (Spring Festival + weekends), so one query
# covers a whole deadline computation.
_SPAN_MARGIN = 40


def _exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    return dict(CalendarDay.objects.filter(date__range=(start, end)).values_list("date", "kind"))


def _is_working(day: datetime.date, exceptions: dict[datetime.date, str]) -> bool:
    kind = exceptions.get(day)
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    return _is_working(day, _exceptions(day, day))


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The date ``n`` working days after ``day`` (``day`` itself not counted). ``n`` = 0 returns
    ``day`` unchanged; a negative ``n`` counts backwards."""
    if n == 0:
        return day
    step = 1 if n > 0 else -1
    span = datetime.timedelta(days=abs(n) * 2 + _SPAN_MARGIN)
    lo, hi = (day, day + span) if step > 0 else (day - span, day)
    exceptions = _exceptions(lo, hi)
    remaining, current = abs(n), day
    while remaining:
        current += datetime.timedelta(days=step)
        if _is_working(current, exceptions):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative if ``end`` is earlier.

    So ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    if end == start:
        return 0
    if end < start:
        return -working_days_between(end, start)
    exceptions = _exceptions(start, end)
    return sum(
        _is_working(start + datetime.timedelta(days=i), exceptions) for i in range(1, (end - start).days + 1)
    )


def calendar_rows(model: type = CalendarDay, years: range | None = None) -> list:
    """Rows for every weekday holiday and every worked weekend day chinese-calendar knows.
    ``model`` lets the data migration pass its historical model."""
    import chinese_calendar

    rows = []
    for day, name in chinese_calendar.holidays.items():
        if (years is None or day.year in years) and day.weekday() < 5:
            rows.append(model(date=day, kind=CalendarDay.Kind.HOLIDAY.value, name=_holiday_name(name)))
    for day, name in chinese_calendar.workdays.items():
        if (years is None or day.year in years) and day.weekday() >= 5:
            rows.append(model(date=day, kind=CalendarDay.Kind.WORKDAY.value, name=_holiday_name(name) + "调休"))
    return rows


def calendar_seed(years: range | None = None) -> None:
    """Load the calendar; days already present (possibly corrected by the admin) are kept."""
    CalendarDay.objects.bulk_create(calendar_rows(CalendarDay, years), batch_size=500, ignore_conflicts=True)


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(name: str | None) -> str:
    return _HOLIDAY_NAMES.get(name or "", name or "")
