"""Writing the append-only audit log. Every sensitive read, export and state change calls ``record``."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from .models import AuditEvent

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
    user: Any = None,
    request: HttpRequest | None = None,
    target: Model | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: str = "",
    username: str = "",
) -> AuditEvent:
    if user is None and request is not None:
        user = getattr(request, "user", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user_id=user.pk if authenticated else None,
        username=(user.get_username() if authenticated else username)[:150],
        ip=client_ip(request),
        event=event,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        outcome=outcome,
        detail=detail[:500],
    )
