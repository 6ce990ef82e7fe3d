"""Session rules: log out after idle time; send users whose password is too old to change it.

Both middlewares answer some requests themselves (a redirect) before the views run, and they sit
above ``MessageMiddleware`` in ``settings.MIDDLEWARE``; ``_redirect_with_message`` therefore stores
its message itself when the messages middleware has not run yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

# Touching the session on every request would write to the database on every click; once a
# minute is precise enough for a 30-minute idle limit.
_TOUCH_EVERY_SECONDS = 60
SESSION_LAST_SEEN = "last_seen"
IDLE_MESSAGE = "长时间未操作，已自动退出，请重新登录。"


def _redirect_with_message(request: HttpRequest, response: HttpResponseRedirect, level: int,
                           text: str) -> HttpResponseRedirect:
    storage = getattr(request, "_messages", None)
    if storage is not None:
        # MessageMiddleware ran before us and will store the message on the way out.
        storage.add(level, text)
        return response
    storage = default_storage(request)
    storage.add(level, text)
    storage.update(response)
    return response


def _back_to_login(request: HttpRequest) -> HttpResponseRedirect:
    """To the login page, coming back afterwards to the page asked for when that was a page (a GET);
    the target of a form post (reveal, logout …) would answer the later GET with 405."""
    if request.method in ("GET", "HEAD") and request.path != reverse("login"):
        return redirect_to_login(request.get_full_path())
    return redirect("login")


class IdleTimeoutMiddleware:
    """Logs out a session that has been idle longer than ``IDLE_TIMEOUT_SECONDS``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            if not isinstance(last_seen, int) or now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
                # Read by the logout audit receiver (loginaudit.py) so the log says why. Our own
                # attribute, which HttpRequest does not declare.
                request.logout_reason = "空闲超时自动退出"  # type: ignore[attr-defined]
                logout(request)
                response = _back_to_login(request)
                return _redirect_with_message(request, response, messages.INFO, IDLE_MESSAGE)
            if now - last_seen >= _TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class PasswordExpiryMiddleware:
    """Sends a user whose password is older than ``PASSWORD_MAX_AGE_DAYS`` to the change page; only
    that page and logout stay reachable until the password is changed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and password_expired(user):
            allowed = {reverse("password_change"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                text = f"密码已超过{settings.PASSWORD_MAX_AGE_DAYS}天未修改，请先修改密码。"
                return _redirect_with_message(request, redirect("password_change"), messages.WARNING, text)
        return self.get_response(request)


def password_expired(user: object) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if changed is None:
        return True
    return timezone.now() - changed > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)


class ChineseNotFoundMiddleware:
    """With ``DEBUG`` on (``make run``) Django answers a missing page with its English technical
    page; a new user trying the system sees the system's own Chinese 404 page instead (with
    ``DEBUG`` off ``handler404`` already does this). ``TECHNICAL_404=1`` keeps Django's page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (settings.DEBUG and not getattr(settings, "TECHNICAL_404", False) and response.status_code == 404
                and response.get("Content-Type", "").startswith("text/html")
                and not getattr(response, "chinese_page", False)):
            from django.urls import get_resolver

            # The URLconf's own handler404 (the staff page, or the public host's).
            handler: Any = get_resolver(getattr(request, "urlconf", None)).resolve_error_handler(404)
            return handler(request, None)
        return response
