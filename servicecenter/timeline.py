"""A record's timeline and the audit log, written together by one call.

Every case model keeps its timeline in a subclass of ``CaseEvent`` (kind, label, by, at, note,
from/to state, structured data) with a foreign key to the record. ``record(obj.events, …)`` writes
the event and the matching ``AuditEvent`` in the caller's transaction, so a step that fails leaves
neither, and a step that succeeds leaves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from . import audit

if TYPE_CHECKING:
    from .models import User


class CaseEvent(models.Model):
    """One step on a record's timeline: who, when, what (kind and its Chinese label), and, for a
    state change, from which state to which."""

    kind = models.CharField("事项代码", max_length=30)
    label = models.CharField("事项", max_length=50, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField("时间", default=timezone.now)
    note = models.TextField("说明", blank=True)
    from_state = models.CharField("原状态", max_length=20, blank=True, default="")
    to_state = models.CharField("新状态", max_length=20, blank=True, default="")
    data = models.JSONField("数据", default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.label or self.kind} {self.at:%Y-%m-%d %H:%M}"


def record(events: Any, kind: str, *, label: str, by: User, note: str = "", from_state: str = "",
           to_state: str = "", data: Mapping[str, Any] | None = None, old: Mapping[str, Any] | None = None,
           new: Mapping[str, Any] | None = None, audit_event: str = audit.Event.STATE,
           audit_detail: str = "", write_audit: bool = True) -> CaseEvent:
    """Add an event to a record's timeline (``events`` is the record's related manager, e.g.
    ``petition.events``) and, unless ``write_audit`` is off (the caller audited already, as an
    upload does), the audit row for it. The audit row carries the label and ``audit_detail``, not
    the note: notes are free text about people, the audit log is about who did what."""
    target = events.instance
    event = events.create(kind=kind, label=label, by=by, at=timezone.now(), note=(note or "")[:2000],
                          from_state=from_state, to_state=to_state, data=dict(data or {}))
    if write_audit:
        audit.record(audit_event, user=by, target=target, action=f"{target._meta.app_label}.{kind}",
                     detail=f"{label} {audit_detail}".strip()[:500], old=dict(old) if old else None,
                     new=dict(new) if new else None)
    return event
