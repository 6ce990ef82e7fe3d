"""What waits for a user (待办): one list across every app, oldest due first.

Each app contributes its own items (``ServiceApp.inbox``: escalations to acknowledge, follow-ups
to review …) with a fixed number of queries; the core adds every pending approval the user may
decide. Every item is something the user can act on now, and links to its record.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Model
from django.utils import timezone

from . import approvals, registry

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class InboxItem:
    kind: str  # 延期申请 / 群体性信访待签收 …
    title: str  # the record (its number), never a complainant's name
    url: str
    since: datetime.datetime  # when it started waiting
    due: datetime.date | None = None
    unit: str = ""
    app: str = ""
    urgent: bool = False

    def sort_key(self) -> tuple:
        due = self.due or timezone.localtime(self.since).date()
        return (not self.urgent, due, self.since)

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.due is not None and self.due < (today or timezone.localdate())


def approval_items(user: User) -> list[InboxItem]:
    """Pending approvals this user decides: one query for the requests, one per kind for their
    records (through the access policy: a request about a record the user cannot see is not shown)."""
    from .access import visible

    rows = list(approvals.waiting_for(user))
    by_kind: dict[str, list] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    items = []
    for code, group in by_kind.items():
        kind = approvals.kind_of(code)
        manager = kind.model._default_manager
        related = [f.name for f in kind.model._meta.concrete_fields if f.name == "org_unit"]
        records: dict[int, Model] = {o.pk: o for o in visible(manager.select_related(*related), user)
                                     .filter(pk__in=[r.object_id for r in group])}
        for row in group:
            obj = records.get(row.object_id)
            if obj is None:
                continue
            app = registry.app_of(kind.model)
            items.append(InboxItem(kind=kind.label, title=str(obj), url=kind.url(obj), since=row.requested_at,
                                   due=kind.due(obj), unit=str(getattr(obj, "org_unit", "")),
                                   app=app.name if app else ""))
    return items


def inbox_for(user: User) -> list[InboxItem]:
    items = approval_items(user)
    for app in registry.service_apps():
        if app.inbox is not None:
            items.extend(app.inbox(user))
    return sorted(items, key=InboxItem.sort_key)
