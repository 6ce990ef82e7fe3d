"""Session rules: log out after idle time; send users whose password is too old to change it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

# Touching the session on every request would write to the database on every click; once a
# minute is precise enough for a 30-minute idle limit.
_TOUCH_EVERY_SECONDS = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get("last_seen", now)
            if now - last_seen > settings.IDLE_TIMEOUT_SECONDS:
                logout(request)
                messages.info(request, "长时间未操作，已自动退出，请重新登录。")
                return redirect(f"{reverse('login')}?next={request.path}")
            if now - last_seen >= _TOUCH_EVERY_SECONDS or "last_seen" not in request.session:
                request.session["last_seen"] = now
        return self.get_response(request)


class PasswordExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and password_expired(user):
            allowed = {reverse("password_change"), reverse("logout")}
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                messages.warning(request, f"密码已超过{settings.PASSWORD_MAX_AGE_DAYS}天未修改，请先修改密码。")
                return redirect("password_change")
        return self.get_response(request)


def password_expired(user: object) -> bool:
    changed = getattr(user, "password_changed_at", None)
    if changed is None:
        return True
    return timezone.now() - changed > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)
