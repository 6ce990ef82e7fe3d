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
_ONE_DAY = datetime.timedelta(days=1)


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
    ``day`` unchanged; a negative ``n`` counts backwards.

    One query: the calendar rows of a window wide enough for ``n`` working days. Only if the
    administrator has declared a longer run of days off than the window allows does it read the
    next window rather than guess.
    """
    if n == 0:
        return day
    step = _ONE_DAY if n > 0 else -_ONE_DAY
    remaining, current = abs(n), day
    window = datetime.timedelta(days=remaining * 2 + _SPAN_MARGIN)
    while True:
        edge = current + window if n > 0 else current - window
        exceptions = _exceptions(current + step, edge) if n > 0 else _exceptions(edge, current + step)
        while current != edge:
            current += step
            if _is_working(current, exceptions):
                remaining -= 1
                if not remaining:
                    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """The working days one steps onto going from ``start`` to ``end``: forwards, those after
    ``start`` up to and including ``end``; backwards, those before ``start`` down to and including
    ``end``, counted negative. So ``working_days_between(d, add_working_days(d, n)) == n`` for
    every ``d`` and ``n`` (and swapping two working days only changes the sign).

    One query, and no walk over the days: Monday-to-Friday days are counted by arithmetic, then
    each calendar row in the range corrects the count (a holiday on a weekday −1, a worked
    weekend day +1).
    """
    if end >= start:
        return _working_days_in(start + _ONE_DAY, end)
    return -_working_days_in(end, start - _ONE_DAY)


def _working_days_in(first: datetime.date, last: datetime.date) -> int:
    """Working days from ``first`` to ``last``, both included (0 if ``last`` is earlier)."""
    if last < first:
        return 0
    weeks, rest = divmod((last - first).days + 1, 7)
    count = weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(rest))
    for day, kind in CalendarDay.objects.filter(date__range=(first, last)).values_list("date", "kind"):
        weekday = day.weekday() < 5
        if kind == CalendarDay.Kind.HOLIDAY and weekday:
            count -= 1
        elif kind == CalendarDay.Kind.WORKDAY and not weekday:
            count += 1
    return count


class Calendar:
    """The working-day calendar as plain Python, for computations that ask about many days (a
    deadline with pauses, a page of deadlines): the exceptions are read once per calendar year
    touched, then every question is arithmetic. ``Calendar.of(exceptions)`` builds one from a
    mapping (no database), as the property tests do."""

    def __init__(self, exceptions: dict[datetime.date, str] | None = None) -> None:
        self._fixed = exceptions is not None
        self._exceptions: dict[datetime.date, str] = dict(exceptions or {})
        self._years: set[int] = set()

    @classmethod
    def of(cls, exceptions: dict[datetime.date, str]) -> Calendar:
        return cls(exceptions)

    def _load(self, year: int) -> None:
        if self._fixed or year in self._years:
            return
        self._years.add(year)
        rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
        self._exceptions.update(rows)

    def is_working(self, day: datetime.date) -> bool:
        self._load(day.year)
        return _is_working(day, self._exceptions)

    def add_working_days(self, day: datetime.date, n: int) -> datetime.date:
        """As the module's ``add_working_days``."""
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining, current = abs(n), day
        while remaining:
            current += step
            if self.is_working(current):
                remaining -= 1
        return current

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """As the module's ``working_days_between``: working days in (start, end], negative backwards."""
        if end >= start:
            return sum(self.is_working(start + _ONE_DAY * i) for i in range(1, (end - start).days + 1))
        return -sum(self.is_working(end + _ONE_DAY * i) for i in range(0, (start - end).days))

    def next_working_day(self, day: datetime.date) -> datetime.date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working(day):
            day += _ONE_DAY
        return day


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
