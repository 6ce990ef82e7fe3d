"""Employer pages: list, register, detail, edit, export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .. import employers, registry
from ..access import Action, can, get_visible_or_404, require, visible
from ..exports import register_response
from ..filters import EmployerFilter
from ..forms import EmployerForm, add_service_error
from ..listing import paginate
from ..models import Employer, Person
from ..registers import EMPLOYER_REGISTER


def _employers(request: HttpRequest):  # noqa: ANN202
    return visible(Employer.objects.select_related("org_unit"), request.user)


def employer_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = EmployerFilter(request.GET or None, queryset=_employers(request), user=request.user)
    page, query = paginate(request, filterset.qs)
    return render(request, "employers/list.html", {
        "filter": filterset, "page": page, "query": query,
        "can_export": can(request.user, Action.EXPORT), "can_change": can(request.user, Action.CHANGE),
    })


def employer_export(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.EXPORT)
    filterset = EmployerFilter(request.GET or None, queryset=_employers(request), user=request.user)
    return register_response(EMPLOYER_REGISTER, filterset.qs.order_by("id"), request=request,
                             unit_name=request.user.org_unit.name, detail=request.GET.urlencode())


def employer_new(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.CHANGE)
    existing = None
    if request.method == "POST":
        form = EmployerForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                employer = employers.employer_create(
                    by=request.user, org_unit=form.cleaned_data["org_unit"],
                    credit_code=form.cleaned_data["credit_code"], **form.service_data())
            except employers.DuplicateEmployer as exc:
                code = form.cleaned_data["credit_code"]
                add_service_error(form, exc)
                existing = employers.employer_lookup(by=request.user, credit_code=code)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记：{employer.name}")
                return redirect("employer_detail", pk=employer.pk)
    else:
        form = EmployerForm(user=request.user)
    return render(request, "employers/form.html", {
        "form": form, "is_new": True, "existing": existing,
        "existing_visible": isinstance(existing, Employer),
    })


def employer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    employer = get_visible_or_404(Employer.objects.select_related("org_unit"), request.user, pk=pk)
    staff = visible(Person.objects.filter(employer=employer), request.user).select_related("org_unit")[:20]
    return render(request, "employers/detail.html", {
        "employer": employer, "people": staff, "sections": registry.employer_sections(employer, request.user),
        "can_change": can(request.user, Action.CHANGE, employer),
    })


def employer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    employer = get_visible_or_404(Employer.objects.select_related("org_unit"), request.user, pk=pk)
    require(request.user, Action.CHANGE, employer)
    if request.method == "POST":
        form = EmployerForm(request.POST, instance=employer, user=request.user)
        if form.is_valid():
            try:
                employers.employer_update(by=request.user, employer=employer, **form.service_data())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存。")
                return redirect("employer_detail", pk=employer.pk)
    else:
        form = EmployerForm(instance=employer, user=request.user)
    return render(request, "employers/form.html", {"form": form, "employer": employer})
