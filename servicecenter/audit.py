"""Writing the append-only audit log. Every sensitive read, export and state change calls ``record``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Model
from django.http import HttpRequest

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
    return AuditEvent.objects.create(
        user_id=signed_in.pk if signed_in is not None else None,
        username=(signed_in.get_username() if signed_in is not None else username)[:150],
        ip=client_ip(request),
        event=event,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        target_label=target_label(target),
        action=action[:60],
        old_values=_jsonable(old),
        new_values=_jsonable(new),
        outcome=outcome,
        detail=detail[:500],
    )


def target_label(target: Model | None) -> str:
    """What the log shows for a target: its kind in Chinese and its name (信访事项 XF-…)."""
    if target is None:
        return ""
    return f"{target._meta.verbose_name} {target}"[:200]


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {str(k): v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v)
            for k, v in values.items()}
