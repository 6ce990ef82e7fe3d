"""Login, logout and password change (Django's views with our forms, templates and audit).

Logout is Django's ``LogoutView`` as it is: POST only (a GET is 405 and logs nobody out). Login
failures, lockouts and logouts are audited from the authentication signals (``loginaudit.py``).
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.validators import MaxLengthValidator
from django.http import HttpResponse
from django.urls import reverse, reverse_lazy

from .. import audit
from ..forms import LoginForm
from ..http import StaffRequest


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

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
