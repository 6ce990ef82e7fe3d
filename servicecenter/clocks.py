"""Deadline clocks: one definition of a deadline for every app (a petition's 30 days, a legal-aid
review's 7 working days, a hardship notice's 5 working days, a notice to an employer, a task from
above).

A clock counts days after its start day (the start day itself is not counted): ``deadline_days``
plus any extension, in calendar days or in working days on the holiday table. While it is paused
no day counts. The due date is the day on which the last counted day falls; in calendar days a due
date on a holiday or weekend moves to the next working day (``clock.roll_to_working_day``, on by
default). A clock with a fixed date (a notice's deadline, a task's report date) is a calendar
clock whose length is the distance to that date, with no roll-over.

Conventions, the same everywhere:
- a pause from day P to day R leaves the days after P up to and including R uncounted (paused and
  resumed on the same day: nothing); a pause that starts on or after the due date does not move it;
- **overdue** means: not stopped and ``late_from <= today``, where ``late_from`` is the day after
  the due date — so the due day itself is not overdue; a clock stopped late keeps ``late_from``, so
  "overdue ever" (``overdue_ever_q``) includes records closed late; a clock paused before its due
  date has no ``late_from`` (it cannot become late while nobody counts);
- **due soon**: running and due within ``clock.due_soon_days`` days (the due day included).

Both lists are one range on the ``late_from`` column, which is what makes the overdue list as fast
as any other list (``late_from`` is indexed).

The computation (``compute_due``) is pure: given the clock's fields and a ``workdays.Calendar``
it gives the due date; ``tests/core/test_clocks.py`` checks it against a brute-force walk day by day
under random pauses, extensions and holiday edits. Editing the holiday table recomputes every open
clock whose window contains the edited day (``recompute_for_days``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .workdays import Calendar

if TYPE_CHECKING:
    from .models import OrgUnit

ONE_DAY = datetime.timedelta(days=1)
LOGICAL = ("started_on", "deadline_days", "in_working_days", "rolls_over", "extension_days", "pauses",
           "paused_since", "paused_days", "due_date", "late_from", "stopped_on")


# --- The clock's value and its pure computation -------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    started_on: datetime.date | None
    deadline_days: int | None  # None: no deadline at all
    in_working_days: bool = False
    rolls_over: bool = True
    extension_days: int = 0
    pauses: tuple[tuple[datetime.date, datetime.date], ...] = ()
    paused_since: datetime.date | None = None
    paused_days: int = 0
    due_date: datetime.date | None = None
    late_from: datetime.date | None = None
    stopped_on: datetime.date | None = None
    fixed: bool = False  # the due date was set by a person: nothing moves it

    @property
    def is_running(self) -> bool:
        return self.stopped_on is None and self.paused_since is None

    @property
    def is_paused(self) -> bool:
        return self.stopped_on is None and self.paused_since is not None

    @property
    def is_stopped(self) -> bool:
        return self.stopped_on is not None

    def unit_word(self) -> str:
        return "个工作日" if self.in_working_days else "天"

    def is_overdue(self, today: datetime.date) -> bool:
        return self.stopped_on is None and self.late_from is not None and self.late_from <= today

    def was_overdue(self, today: datetime.date | None = None) -> bool:
        """Late now, or stopped late."""
        if self.late_from is None:
            return False
        return self.stopped_on is not None or (today is not None and self.late_from <= today)


def compute_due(clock: Clock, calendar: Calendar) -> datetime.date | None:
    """The due date of ``clock`` from its start, length, extension and finished pauses."""
    if clock.fixed:
        return clock.due_date
    if clock.deadline_days is None:
        return None
    counted = clock.deadline_days + clock.extension_days
    start = clock.started_on
    if start is None:
        return None
    if clock.in_working_days:
        due = calendar.add_working_days(start, counted) if counted > 0 else start
    else:
        due = start + ONE_DAY * counted
    for paused, resumed in sorted(clock.pauses):
        if paused >= due:
            continue  # the deadline had been reached before the pause began
        if clock.in_working_days:
            due = calendar.add_working_days(due, calendar.working_days_between(paused, resumed))
        else:
            due += resumed - paused
    if not clock.in_working_days and clock.rolls_over:
        due = calendar.next_working_day(due)
    return due


def _late_from(clock: Clock, due: datetime.date | None) -> datetime.date | None:
    if due is None:
        return None
    if clock.stopped_on is not None:
        return due + ONE_DAY if clock.stopped_on > due else None
    if clock.paused_since is not None:
        return due + ONE_DAY if clock.paused_since > due else None
    return due + ONE_DAY


def settled(clock: Clock, calendar: Calendar) -> Clock:
    """``clock`` with its due date and ``late_from`` recomputed."""
    due = compute_due(clock, calendar)
    return replace(clock, due_date=due, late_from=_late_from(clock, due))


def paused_length(clock: Clock, paused: datetime.date, resumed: datetime.date, calendar: Calendar) -> int:
    """How many counted days a pause from ``paused`` to ``resumed`` took out."""
    if clock.in_working_days:
        return max(calendar.working_days_between(paused, resumed), 0)
    return max((resumed - paused).days, 0)


def _refuse(message: str) -> None:
    raise ValidationError(message, code="state")


def start(started_on: datetime.date, deadline_days: int | None, *, in_working_days: bool = False,
          rolls_over: bool = True, calendar: Calendar | None = None) -> Clock:
    return settled(Clock(started_on, deadline_days, in_working_days, rolls_over), calendar or Calendar())


def fixed(started_on: datetime.date | None, due_date: datetime.date | None) -> Clock:
    """A clock that ends on a date someone set (a notice's deadline, a task's report date)."""
    days = None if due_date is None or started_on is None else (due_date - started_on).days
    return settled(Clock(started_on, days, False, False, due_date=due_date, fixed=True), Calendar())


def pause(clock: Clock, day: datetime.date, calendar: Calendar | None = None) -> Clock:
    if clock.is_stopped:
        _refuse("期限已结束，不能暂停计时。")
    if clock.paused_since is not None:
        _refuse(f"计时已于{clock.paused_since:%Y-%m-%d}暂停。")
    if clock.pauses and day < clock.pauses[-1][1]:
        _refuse("暂停日期不能早于上次恢复计时的日期。")
    return settled(replace(clock, paused_since=day), calendar or Calendar())


def resume(clock: Clock, day: datetime.date, calendar: Calendar | None = None) -> tuple[Clock, int]:
    """Restart the clock; returns it with the counted days the pause took out."""
    if clock.paused_since is None:
        _refuse("计时未暂停，无需恢复。")
    calendar = calendar or Calendar()
    since = clock.paused_since
    assert since is not None
    day = max(day, since)
    taken = paused_length(clock, since, day, calendar) if since < (clock.due_date or since) else 0
    resumed = replace(clock, pauses=(*clock.pauses, (since, day)), paused_since=None,
                      paused_days=clock.paused_days + taken)
    return settled(resumed, calendar), taken


def extend(clock: Clock, days: int, calendar: Calendar | None = None) -> Clock:
    if clock.is_stopped:
        _refuse("期限已结束，不能延期。")
    if days < 1:
        raise ValidationError({"days": "延期天数至少为1。"})
    return settled(replace(clock, extension_days=clock.extension_days + days), calendar or Calendar())


def stop(clock: Clock, day: datetime.date, calendar: Calendar | None = None) -> Clock:
    """End the clock (closed, answered, reported). An open pause ends with it."""
    if clock.is_stopped:
        return clock
    calendar = calendar or Calendar()
    if clock.paused_since is not None:
        clock, _ = resume(clock, day, calendar)
    return settled(replace(clock, stopped_on=day), calendar)


def restart(clock: Clock, calendar: Calendar | None = None) -> Clock:
    """Run a stopped clock again (a case reopened): same due date, counted from where it stood."""
    return settled(replace(clock, stopped_on=None), calendar or Calendar())


# --- The clock on a model -------------------------------------------------------------------------


def clock_fields(prefix: str = "", *, label: str = "期限") -> type[models.Model]:
    """An abstract model with one clock's fields, for a model with a deadline:
    ``class Application(clock_fields("review_", label="审查期限"), models.Model)``. Pair it with
    ``ClockSpec(Application, label, prefix="review_")``."""

    class Meta:
        abstract = True

    attrs: dict[str, Any] = {
        "__module__": __name__,
        "Meta": Meta,
        f"{prefix}started_on": models.DateField(f"{label}起算日", null=True, blank=True),
        f"{prefix}deadline_days": models.PositiveIntegerField(f"{label}天数", null=True, blank=True),
        f"{prefix}in_working_days": models.BooleanField(f"{label}按工作日计", default=False),
        f"{prefix}rolls_over": models.BooleanField(f"{label}遇节假日顺延", default=True),
        f"{prefix}extension_days": models.PositiveIntegerField(f"{label}延期天数", default=0),
        f"{prefix}pauses": models.JSONField(f"{label}暂停记录", default=list, blank=True),
        f"{prefix}paused_since": models.DateField(f"{label}暂停自", null=True, blank=True),
        f"{prefix}paused_days": models.PositiveIntegerField(f"{label}累计暂停", default=0),
        f"{prefix}due_date": models.DateField(label, null=True, blank=True),
        f"{prefix}late_from": models.DateField(f"{label}逾期起始日", null=True, blank=True, db_index=True),
        f"{prefix}stopped_on": models.DateField(f"{label}结束日", null=True, blank=True),
    }
    return type(f"Clock_{prefix or 'main'}", (models.Model,), attrs)


def _parse_pauses(raw: Any) -> tuple[tuple[datetime.date, datetime.date], ...]:
    out = []
    for pair in raw or ():
        a, b = pair
        out.append((a if isinstance(a, datetime.date) else datetime.date.fromisoformat(a),
                    b if isinstance(b, datetime.date) else datetime.date.fromisoformat(b)))
    return tuple(out)


@dataclass(frozen=True)
class ClockSpec:
    """Where one clock's fields are on a model. ``names`` maps a logical field (``started_on``,
    ``due_date`` …) to the model's own name where it differs from ``prefix + logical``. A model
    without a ``deadline_days`` field has a fixed due date (set by a person, not computed)."""

    model: type[models.Model]
    label: str
    prefix: str = ""
    names: Mapping[str, str] = field(default_factory=dict)

    def f(self, logical: str) -> str:
        return self.names.get(logical, self.prefix + logical)

    def has(self, logical: str) -> bool:
        try:
            self.model._meta.get_field(self.f(logical))
        except Exception:  # noqa: BLE001 — FieldDoesNotExist
            return False
        return True

    def read(self, obj: models.Model) -> Clock:
        def get(name: str, default: Any = None) -> Any:
            return getattr(obj, self.f(name)) if self.has(name) else default

        started, due = get("started_on"), get("due_date")
        days = get("deadline_days")
        is_fixed = not self.has("deadline_days")
        if is_fixed and started is not None and due is not None:
            days = (due - started).days  # a fixed date: its length is the distance to it
        return Clock(
            started_on=started, deadline_days=days,
            in_working_days=bool(get("in_working_days", False)), rolls_over=bool(get("rolls_over", False)),
            extension_days=get("extension_days", 0) or 0, pauses=_parse_pauses(get("pauses", ())),
            paused_since=get("paused_since"), paused_days=get("paused_days", 0) or 0,
            due_date=due, late_from=get("late_from"), stopped_on=get("stopped_on"), fixed=is_fixed,
        )

    def write(self, obj: models.Model, clock: Clock) -> list[str]:
        """Put ``clock`` on ``obj``; returns the fields that changed (for ``save(update_fields=…)``)."""
        changed = []
        for name in LOGICAL:
            if not self.has(name) or (clock.fixed and name in ("started_on", "due_date")):
                continue
            value: Any = getattr(clock, name)
            if name == "pauses":
                value = [[a.isoformat(), b.isoformat()] for a, b in value]
            attr = self.f(name)
            if getattr(obj, attr) != value:
                setattr(obj, attr, value)
                changed.append(attr)
        return changed

    # Queries: one definition of overdue and due soon for every list, card and register.
    # The due-date bounds below follow from the late_from ones (late_from is the day after the due
    # date whenever it is set); stated as well, they let an index on the due date serve the list.
    def overdue_q(self, today: datetime.date) -> Q:
        """Late now: running or paused after the due date, not stopped."""
        lookups: dict[str, Any] = {f"{self.f('late_from')}__lte": today, f"{self.f('due_date')}__lt": today}
        if self.has("stopped_on"):
            lookups[f"{self.f('stopped_on')}__isnull"] = True
        return Q(**lookups)

    def overdue_ever_q(self, today: datetime.date) -> Q:
        """Late now, or stopped late (closed after its due date)."""
        return Q(**{f"{self.f('late_from')}__lte": today})

    def stopped_late_q(self) -> Q:
        """Stopped after the due date (closed late)."""
        return Q(**{f"{self.f('late_from')}__isnull": False, f"{self.f('stopped_on')}__isnull": False})

    def due_soon_q(self, today: datetime.date, days: int) -> Q:
        """Running (neither stopped nor paused) and due between today and ``days`` days from now,
        both included — for a running clock the same as ``late_from`` in the day after that range,
        but said with the due date alone the planner estimates it right."""
        lookups: dict[str, Any] = {f"{self.f('due_date')}__gte": today,
                                   f"{self.f('due_date')}__lte": today + ONE_DAY * days}
        for name in ("stopped_on", "paused_since"):  # a clock that cannot pause (or stop) has no such field
            if self.has(name):
                lookups[f"{self.f(name)}__isnull"] = True
        return Q(**lookups)

    def paused_q(self) -> Q:
        return Q(**{f"{self.f('paused_since')}__isnull": False, f"{self.f('stopped_on')}__isnull": True})

    def open_q(self) -> Q:
        return Q(**{f"{self.f('stopped_on')}__isnull": True, f"{self.f('due_date')}__isnull": False})


def due_soon_days(unit: OrgUnit | None) -> int:
    from .parameters import SPECS, param

    return param("clock.due_soon_days", unit) if unit is not None else SPECS["clock.due_soon_days"].default


def rolls_over(unit: OrgUnit) -> bool:
    from .parameters import param

    return bool(param("clock.roll_to_working_day", unit))


# --- What a page shows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    due_date: datetime.date | None
    text: str  # 剩 3 个工作日 / 今日到期 / 已逾期 2 天 / 暂停计时（自 …）/ 已结束
    state: str  # running | due_today | overdue | paused | stopped | none
    days_left: int | None


def view(clock: Clock, today: datetime.date, calendar: Calendar | None = None) -> ClockView:
    """How a page shows the clock. Working-day clocks count working days left."""
    due = clock.due_date
    if due is None:
        return ClockView(None, "无期限", "none", None)
    if clock.is_stopped:
        late = "（逾期）" if clock.late_from is not None else ""
        return ClockView(due, f"已结束{late}", "stopped", None)
    if clock.is_paused:
        late = "，已逾期" if clock.is_overdue(today) else ""
        return ClockView(due, f"暂停计时（自{clock.paused_since:%Y-%m-%d}）{late}", "paused", None)
    if clock.in_working_days:
        left = (calendar or Calendar()).working_days_between(today, due)
    else:
        left = (due - today).days
    if clock.is_overdue(today):
        return ClockView(due, f"已逾期{(today - due).days}天", "overdue", left)
    if due == today:
        return ClockView(due, "今日到期", "due_today", 0)
    return ClockView(due, f"剩{left}{clock.unit_word()}", "running", left)


# --- Holiday edits -------------------------------------------------------------------------------------


def recompute_for_days(days: Iterable[datetime.date], specs: Iterable[ClockSpec]) -> list[tuple[models.Model, ClockSpec, datetime.date | None, datetime.date | None]]:
    """Recompute every open clock of ``specs`` whose window (start … due, plus the longest pause
    that can still move it) contains one of ``days``; returns (record, spec, old due, new due) for
    those whose due date changed. The caller writes the audit rows."""
    days = sorted(set(days))
    if not days:
        return []
    calendar = Calendar()
    changed = []
    for spec in specs:
        if not spec.has("deadline_days"):
            continue
        first, last = days[0], days[-1]
        window = Q(**{f"{spec.f('started_on')}__lte": last}) & (
            Q(**{f"{spec.f('due_date')}__gte": first}) | Q(**{f"{spec.f('paused_since')}__isnull": False}))
        for obj in spec.model._default_manager.filter(spec.open_q(), window).iterator(chunk_size=500):
            before = spec.read(obj)
            after = settled(before, calendar)
            fields = spec.write(obj, after)
            if fields:
                obj.save(update_fields=fields)
                changed.append((obj, spec, before.due_date, after.due_date))
    return changed
