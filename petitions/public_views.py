"""The public pages: a worker submits a matter online and later looks up where it stands.

No login (the core marks these views ``login_not_required``); nothing here reads a staff record
except through ``services.submission_lookup``, which shows a submission's state and published
answer to whoever holds its number and code — and nothing else of anyone."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from servicecenter.audit import client_ip
from servicecenter.forms import add_service_error

from . import forms, selfservice, services

SESSION_DONE = "petitions.public.submitted"


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "petitions/public/index.html", {})


def _codes(exc: ValidationError) -> set[str | None]:
    if hasattr(exc, "error_dict"):
        return {e.code for errors in exc.error_dict.values() for e in errors}
    return {e.code for e in exc.error_list}


def _submit_page(request: HttpRequest, form: forms.SubmitForm, status: int = 200) -> HttpResponse:
    # A new sum every time the form is shown: a token is good once (the template writes it).
    challenge = selfservice.new_challenge()
    fields = [form[name] for name in ("org_unit", "name", "phone", "id_number", "employer_name", "category",
                                      "facts", "request", "attachments")]
    return render(request, "petitions/public/submit.html", {
        "form": form, "fields": fields, "question": challenge.question, "captcha_token": challenge.token,
        "token": form["token"].value()}, status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _submit_page(request, forms.SubmitForm(initial={"token": uuid.uuid4()}))
    form = forms.SubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        return _submit_page(request, form)
    cd = form.cleaned_data
    try:
        if cd.get("website"):
            raise ValidationError({"captcha": "验证码计算结果不正确，请重新计算。"})
        selfservice.check_challenge(cd["captcha_token"], cd["captcha"])
        submission, code = services.submission_create(
            token=cd["token"], org_unit=cd["org_unit"], name=cd["name"], phone=cd["phone"],
            id_number=cd["id_number"], employer_name=cd["employer_name"], category=cd["category"],
            facts=cd["facts"], request=cd["request"], files=cd["attachments"], client=client_ip(request) or "")
    except ValidationError as exc:
        add_service_error(form, exc)
        return _submit_page(request, form, status=429 if "throttled" in _codes(exc) else 200)
    if code:
        request.session[SESSION_DONE] = {"number": submission.number, "code": code, "unit": submission.org_unit.name}
    return redirect("petitions_public:submitted")


@never_cache
@require_safe
def submitted(request: HttpRequest) -> HttpResponse:
    """The number and the code, shown once (they live in the session until this page is shown)."""
    done = request.session.pop(SESSION_DONE, None)
    if not done:
        return redirect("petitions_public:lookup")
    return render(request, "petitions/public/submitted.html", {"done": done})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """进度查询 (POST, so that the code is never in a URL or a log)."""
    status = None
    if request.method == "POST":
        form = forms.LookupForm(request.POST)
        if form.is_valid():
            try:
                status = services.submission_lookup(number=form.cleaned_data["number"], code=form.cleaned_data["code"],
                                                    client=client_ip(request) or "")
            except ValidationError as exc:
                add_service_error(form, exc)
                status_code = 429 if "throttled" in _codes(exc) else 200
                return render(request, "petitions/public/lookup.html", {"form": form}, status=status_code)
    else:
        form = forms.LookupForm()
    return render(request, "petitions/public/lookup.html", {"form": form, "status": status})
