"""Editing the holiday table: every change moves the open deadlines it affects, and says so.

The administrator corrects a holiday (the State Council moves a day, a local holiday is added):
``calendar_day_save`` / ``calendar_day_delete`` change the ``CalendarDay`` row, recompute every open
deadline clock of every installed app whose window contains that day (``clocks.recompute_for_days``)
and write one audit row for the edit plus one per moved deadline (old and new due date).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest

from . import audit, clocks, registry
from .models import CalendarDay

if TYPE_CHECKING:
    from .models import User


def _recompute(day: datetime.date, by: User | None, request: HttpRequest | None) -> int:
    moved = clocks.recompute_for_days([day], registry.clock_specs())
    for obj, spec, old, new in moved:
        audit.record(audit.Event.CALENDAR, user=by, request=request, target=obj, action="servicecenter.clock.recompute",
                     detail=f"节假日调整（{day:%Y-%m-%d}）：{spec.label}由{old}改为{new}",
                     old={spec.f("due_date"): str(old)}, new={spec.f("due_date"): str(new)})
    return len(moved)


@transaction.atomic
def calendar_day_save(*, day: CalendarDay, by: User | None = None, request: HttpRequest | None = None) -> int:
    """Save ``day`` (new or changed); returns how many open deadlines moved."""
    old = CalendarDay.objects.filter(pk=day.pk).values_list("date", "kind").first() if day.pk else None
    day.save()
    audit.record(audit.Event.CALENDAR, user=by, request=request, target=day, action="servicecenter.calendar.save",
                 detail=f"{day.date:%Y-%m-%d} {day.get_kind_display()} {day.name}".strip(),
                 old={"date": str(old[0]), "kind": old[1]} if old else None,
                 new={"date": str(day.date), "kind": day.kind})
    moved = _recompute(day.date, by, request)
    if old and old[0] != day.date:
        moved += _recompute(old[0], by, request)
    return moved


@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, by: User | None = None, request: HttpRequest | None = None) -> int:
    date = day.date
    audit.record(audit.Event.CALENDAR, user=by, request=request, target=day, action="servicecenter.calendar.delete",
                 detail=f"删除 {date:%Y-%m-%d} {day.get_kind_display()}", old={"date": str(date), "kind": day.kind})
    day.delete()
    return _recompute(date, by, request)
