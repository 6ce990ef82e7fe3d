"""Employer pages: list, register, detail, edit, export."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from .. import employers, registry
from ..access import Action, can, get_visible_or_404, require, visible
from ..exportjobs import EMPLOYER_EXPORT, export_or_enqueue
from ..filters import EmployerFilter
from ..forms import EmployerForm, add_service_error
from ..http import StaffRequest
from ..listing import list_page
from ..models import Employer, Person


def _employers(request: StaffRequest) -> QuerySet[Employer]:
    return visible(Employer.objects.select_related("org_unit"), request.user)


@require_safe
def employer_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = EmployerFilter(request.GET or None, queryset=_employers(request), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "employers/list.html", {
        "filter": filterset, "page": page, "query": page.query,
        "can_export": can(request.user, Action.EXPORT), "can_change": can(request.user, Action.CHANGE),
    })


@require_safe
def employer_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, Action.EXPORT)
    # Same scope and filters as the list; large exports become a background job.
    return export_or_enqueue(request, EMPLOYER_EXPORT)


def employer_new(request: StaffRequest) -> HttpResponse:
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


@require_safe
def employer_detail(request: StaffRequest, pk: int) -> HttpResponse:
    employer = get_visible_or_404(Employer.objects.select_related("org_unit"), request.user, pk=pk)
    staff = visible(Person.objects.filter(employer=employer), request.user).select_related("org_unit")[:20]
    return render(request, "employers/detail.html", {
        "employer": employer, "people": staff, "sections": registry.employer_sections(employer, request.user),
        "can_change": can(request.user, Action.CHANGE, employer),
    })


def employer_edit(request: StaffRequest, pk: int) -> HttpResponse:
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
