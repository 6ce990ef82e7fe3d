"""Audit rows for logins, failed logins and logouts, from Django's authentication signals.

A login refused because django-axes has locked the account is still a failed login (Django sends
``user_login_failed`` when a backend raises ``PermissionDenied``); its row says so in ``detail``.
This receiver is connected before axes' own (``servicecenter`` comes first in INSTALLED_APPS), so
the lock it sees is the one that refused this attempt, not one this attempt is about to cause.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from . import audit

if TYPE_CHECKING:
    from .models import User

LOCKED_DETAIL = "账号已锁定，拒绝登录"


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit.record(audit.Event.LOGIN, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any) -> None:
    locked = _locked_out(request, credentials)
    # The attempted username, never the session's user (someone may be logged in already).
    audit.record(audit.Event.LOGIN_FAILED, user=AnonymousUser(), request=request,
                 username=str(credentials.get("username") or ""),
                 outcome=audit.Outcome.FAILURE, detail=LOCKED_DETAIL if locked else "")


def _locked_out(request: HttpRequest | None, credentials: dict) -> bool:
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    if getattr(request, "axes_locked_out", False):
        return True
    return AxesProxyHandler.is_locked(request, credentials)


@receiver(user_logged_out, dispatch_uid="audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit.record(audit.Event.LOGOUT, user=user, request=request,
                     detail=str(getattr(request, "logout_reason", "") or ""))
