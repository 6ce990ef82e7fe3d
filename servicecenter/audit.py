"""Writing the append-only audit log. Every sensitive read, export and state change calls ``record``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from . import auditchain
from .idquery import mask_text
from .models import AuditEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

Event = AuditEvent.Event
Outcome = AuditEvent.Outcome


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # django-axes has already resolved the client address (proxy-aware); use the same one.
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR") or None


def record(
    event: str,
    *,
    user: User | AnonymousUser | None = None,
    request: HttpRequest | None = None,
    target: Model | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    username: str = "",
    action: str = "",
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
) -> AuditEvent:
    """One audit row. ``action`` is the precise event type (``petitions.close``,
    ``servicecenter.user.roles``); ``old``/``new`` are the changed values as data."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    signed_in = user if user is not None and getattr(user, "is_authenticated", False) else None
    event_row = AuditEvent(
        at=timezone.now(),
        user_id=signed_in.pk if signed_in is not None else None,
        username=_text(signed_in.get_username() if signed_in is not None else username)[:150],
        ip=client_ip(request),
        event=event,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=_text(str(target))[:200] if target is not None else "",
        target_label=_text(target_label(target)),
        action=action[:60],
        old_values=_jsonable(old),
        new_values=_jsonable(new),
        outcome=outcome,
        # Second line of defence: whatever a caller passes, no resident ID number is kept whole.
        detail=_text(detail)[:500],
    )
    if connection.in_atomic_block:
        return _append(event_row)
    with transaction.atomic():
        return _append(event_row)


def _append(row: AuditEvent) -> AuditEvent:
    """Chain the row to the last one of its chain (auditchain.py) and write it."""
    row.chain = auditchain.take_chain()
    row.prev_hash = auditchain.last_hash(row.chain)
    values = {name: getattr(row, name) for name in auditchain.HASHED_FIELDS}
    row.row_hash = auditchain.row_hash(row.prev_hash, values)
    row.save(force_insert=True)
    return row


def target_label(target: Model | None) -> str:
    """What the log shows for a target: its kind in Chinese and its name (信访事项 XF-…)."""
    if target is None:
        return ""
    return f"{target._meta.verbose_name} {target}"[:200]


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    out: dict[str, Any] = {}
    for k, v in values.items():
        v = v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v)
        out[_text(str(k))] = _text(v) if isinstance(v, str) else v
    return out


def _text(value: str) -> str:
    """What an audit row keeps of a text: ID numbers masked, and no NUL (PostgreSQL refuses it in
    text and JSON, and a denied request for ``/exports/%00/`` must still leave its row)."""
    return mask_text(value).replace("\x00", "\\0")
