"""Login, logout and password change (Django's views with our forms, templates and audit).

Logout is Django's ``LogoutView`` as it is: POST only (a GET is 405 and logs nobody out). Login
failures, lockouts and logouts are audited from the authentication signals (``loginaudit.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxLengthValidator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .. import audit, staff
from ..forms import LoginForm
from ..http import StaffRequest
from ..models import AccountChange, AuditEvent
from ..roles import Role

SPRAY_DETAIL = "同一地址尝试多个用户名，已暂停登录"


def spraying_from(request: Any) -> bool:
    """Whether failed logins from this address named ``LOGIN_SPRAY_USERNAMES`` or more different
    usernames in the last ``LOGIN_SPRAY_MINUTES`` minutes."""
    ip = audit.client_ip(request)
    if not ip:
        return False
    since = timezone.now() - timedelta(minutes=settings.LOGIN_SPRAY_MINUTES)
    names = (AuditEvent.objects.filter(event=AuditEvent.Event.LOGIN_FAILED, ip=ip, at__gte=since)
             .exclude(action="servicecenter.login.throttled").values("username").distinct())
    return names[: settings.LOGIN_SPRAY_USERNAMES].count() >= settings.LOGIN_SPRAY_USERNAMES


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        # Password spraying: many usernames tried from one address. The per-username lockout
        # (django-axes) never trips, so the address itself is slowed down here.
        if spraying_from(request):
            username = str(request.POST.get("username", ""))[:150]
            audit.record(audit.Event.LOGIN_FAILED, request=request, username=username, outcome=audit.Outcome.DENIED,
                         action="servicecenter.login.throttled", detail=SPRAY_DETAIL)
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, f"该地址登录失败次数过多，请 {settings.LOGIN_SPRAY_MINUTES} 分钟后再试。")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        # Django's AuthenticationForm sets the username's max_length after the field is built, so
        # it is never checked: an over-long name reached authenticate() and axes' varchar(255)
        # column (a 500 on PostgreSQL). Checked here, such a name fails at the field instead.
        field = cast(forms.CharField, form.fields["username"])
        field.validators.append(MaxLengthValidator(field.max_length))
        return form

    # The stubs give RedirectURLMixin.get_redirect_url a request parameter Django 5.2 does not have.
    def get_redirect_url(self) -> str:  # type: ignore[override]
        """The safe ``next`` URL, unless it points back at login or at logout: Django raises a
        redirection-loop error for the first when the user is logged in, and the second answers a
        GET with 405."""
        url = super().get_redirect_url()
        if url and urlsplit(url).path in {reverse("login"), reverse("logout")}:
            return ""
        return url


class PasswordChangeView(auth_views.PasswordChangeView):
    request: StaffRequest  # Django's view is login_required
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("dashboard")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(audit.Event.PASSWORD, request=self.request, target=self.request.user)
        messages.success(self.request, "密码已修改。")
        return response


@require_http_methods(["GET", "HEAD", "POST"])
def account_changes(request: StaffRequest) -> HttpResponse:
    """账号变更确认: changes to privileged accounts and to one's own account wait here for a second
    person (another system administrator; the security auditor for that account). Both sides see
    them: who asked sees their own requests, the confirmer the ones they may decide."""
    user = request.user
    if not user.has_role(Role.SYSADMIN, Role.SECAUDIT):
        raise PermissionDenied("只有系统管理员和安全审计员可以查看账号变更申请。")
    error = ""
    if request.method == "POST":
        change = AccountChange.objects.filter(pk=request.POST.get("change") or 0).first() \
            if str(request.POST.get("change", "")).isdigit() else None
        if change is None:
            raise Http404("未找到该申请。")
        try:
            staff.account_change_decide(change=change, by=user, approve=request.POST.get("decision") == "approve",
                                        note=request.POST.get("note", ""), request=request)
        except (ValidationError, PermissionDenied) as exc:
            error = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        else:
            messages.success(request, "已处理。")
            return redirect("account_changes")
    pending = list(AccountChange.objects.filter(status=AccountChange.Status.PENDING)
               .select_related("user", "requested_by"))
    rows = [{"change": c, "role": staff.confirmer_role(c.user, c.changes),
             "can_decide": _may_decide(user, c)} for c in pending]
    recent = AccountChange.objects.exclude(status=AccountChange.Status.PENDING).select_related(
        "user", "requested_by", "decided_by")[:50]
    return render(request, "registration/account_changes.html", {"rows": rows, "recent": recent, "error": error},
                  status=400 if error else 200)


def _may_decide(user: Any, change: AccountChange) -> bool:
    role = staff.confirmer_role(change.user, change.changes)
    if not user.has_role(role) or user.pk == change.requested_by_id:
        return False
    return not (role is Role.SYSADMIN and user.pk == change.user_id)
