"""What waits for a user (待办): one list across every app, oldest due first.

Each app contributes its own items (``ServiceApp.inbox``: escalations to acknowledge, follow-ups
to review …) with a fixed number of queries; the core adds every pending approval the user may
decide and the monthly summaries waiting for them (to accept, to resubmit, to file). Every item is
something the user can act on now, and links to its record. An item that names its record
(``record``) is checked once more against the access policy before it is shown (one query per
kind of record), so an app's mistake in its own query cannot leak a record out of scope.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    record: Any = field(default=None, compare=False, repr=False)  # the record, for the access re-check

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


def _in_scope(items: list[InboxItem], user: User) -> list[InboxItem]:
    from .access import visible

    by_model: dict[type[Model], set[int]] = {}
    for item in items:
        if isinstance(item.record, Model):
            by_model.setdefault(type(item.record), set()).add(item.record.pk)
    allowed = {model: set(visible(model._default_manager.filter(pk__in=pks), user).values_list("pk", flat=True))
               for model, pks in by_model.items()}
    return [item for item in items
            if not isinstance(item.record, Model) or item.record.pk in allowed[type(item.record)]]


def inbox_for(user: User) -> list[InboxItem]:
    from .rollups import inbox_items as summary_items

    items = approval_items(user) + summary_items(user)
    for app in registry.service_apps():
        if app.inbox is not None:
            items.extend(app.inbox(user))
    return sorted(_in_scope(items, user), key=InboxItem.sort_key)


INBOX_COUNT_KEY = "inbox_count"
INBOX_COUNT_SECONDS = 60


def inbox_count(request: Any, *, fresh: bool = False) -> int:
    """The number shown next to 待办 in the navigation. Kept in the session for a minute (like the
    idle-timeout stamp): counting on every page would add the inbox's queries to every request.
    The inbox page and the user's own summary steps refresh it at once."""
    import time

    now = int(time.time())
    cached = request.session.get(INBOX_COUNT_KEY)
    if not fresh and isinstance(cached, list) and len(cached) == 2 and now - cached[1] < INBOX_COUNT_SECONDS:
        return int(cached[0])
    count = len(inbox_for(request.user))
    remember_inbox_count(request, count)
    return count


def remember_inbox_count(request: Any, count: int) -> None:
    import time

    request.session[INBOX_COUNT_KEY] = [count, int(time.time())]


def forget_inbox_count(request: Any) -> None:
    request.session.pop(INBOX_COUNT_KEY, None)
