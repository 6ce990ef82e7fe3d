"""Person pages: list, register, look up by ID, attach, detail, edit, reveal, print, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import people, registry
from ..access import Action, can, get_visible_or_404, require, visible
from ..attachments import attachment_panel
from ..exportjobs import PERSON_EXPORT, export_or_enqueue
from ..filters import PersonFilter
from ..forms import PersonForm, PersonLookupForm, add_service_error
from ..http import StaffRequest
from ..listing import list_page
from ..models import Person
from ..pdf import print_record


def _people(request: StaffRequest) -> QuerySet[Person]:
    return visible(Person.objects.select_related("org_unit", "employer"), request.user)


@require_safe
def person_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = PersonFilter(request.GET or None, queryset=_people(request), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "people/list.html", {
        "filter": filterset, "page": page, "query": page.query,
        "can_export": can(request.user, Action.EXPORT), "can_change": can(request.user, Action.CHANGE),
    })


@require_safe
def person_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, Action.EXPORT)
    # Same scope and filters as the list; large exports become a background job.
    return export_or_enqueue(request, PERSON_EXPORT)


def person_new(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.CHANGE)
    foreign = None
    if request.method == "POST":
        form = PersonForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                person = people.person_create(by=request.user, org_unit=form.cleaned_data["org_unit"],
                                              id_number=form.cleaned_data["id_number"], **form.service_data())
            except people.DuplicatePerson as exc:
                number = form.cleaned_data["id_number"]
                add_service_error(form, exc)
                found = people.person_lookup(by=request.user, id_number=number)
                foreign = found if isinstance(found, people.ForeignPerson) else None
                existing = found if isinstance(found, Person) else None
                return render(request, "people/form.html", {"form": form, "foreign": foreign,
                                                            "existing": existing, "is_new": True})
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记：{person.name}")
                return redirect("person_detail", pk=person.pk)
    else:
        form = PersonForm(user=request.user, initial={"id_number": request.GET.get("id_number", "")[:25]})
    return render(request, "people/form.html", {"form": form, "is_new": True})


@require_safe
def person_lookup(request: StaffRequest) -> HttpResponse:
    """Exact ID lookup: in scope → the person; elsewhere → a card to attach; unknown → register."""
    require(request.user, Action.VIEW)
    form = PersonLookupForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        number = form.cleaned_data["id_number"]
        found = people.person_lookup(by=request.user, id_number=number)
        if isinstance(found, Person):
            return redirect("person_detail", pk=found.pk)
        if found is None:
            messages.info(request, "系统中没有该身份证号码，请登记新人员。")
            return redirect(f"/people/new/?id_number={number}")
        context.update(foreign=found, id_number=number)
    return render(request, "people/lookup.html", context)


@require_POST
def person_attach(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.CHANGE)
    form = PersonLookupForm(request.POST)
    if not form.is_valid():
        return render(request, "people/lookup.html", {"form": form}, status=400)
    unit = request.user.org_unit
    assert unit is not None  # require(CHANGE) passed: a case role, and a case role always has a unit
    try:
        person = people.person_attach(by=request.user, id_number=form.cleaned_data["id_number"],
                                      org_unit=unit)
    except ValidationError as exc:
        add_service_error(form, exc)
        return render(request, "people/lookup.html", {"form": form}, status=400)
    messages.success(request, f"已将 {person.name} 关联到本单位。")
    return redirect("person_detail", pk=person.pk)


@require_safe
def person_detail(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("org_unit", "employer"), request.user, pk=pk)
    return _person_page(request, person)


@require_POST
def person_reveal(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("org_unit", "employer"), request.user, pk=pk)
    number = people.person_reveal_id(by=request.user, person=person, request=request)
    return _person_page(request, person, revealed_id=number)


def _person_page(request: StaffRequest, person: Person, revealed_id: str = "") -> HttpResponse:
    return render(request, "people/detail.html", {
        "person": person, "revealed_id": revealed_id, "sections": registry.person_sections(person, request.user),
        **attachment_panel(request, person),
        "can_change": can(request.user, Action.CHANGE, person),
        "can_reveal": can(request.user, Action.REVEAL, person),
    })


def person_edit(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("org_unit"), request.user, pk=pk)
    require(request.user, Action.CHANGE, person)
    if request.method == "POST":
        form = PersonForm(request.POST, instance=person, user=request.user)
        if form.is_valid():
            try:
                people.person_update(by=request.user, person=person, **form.service_data())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存。")
                return redirect("person_detail", pk=person.pk)
    else:
        form = PersonForm(instance=person, user=request.user)
    return render(request, "people/form.html", {"form": form, "person": person})


@require_safe
def person_print(request: StaffRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("org_unit", "employer"), request.user, pk=pk)
    return print_record(request, record=person, template="people/card_pdf.html", context={"person": person},
                        title="职工信息卡", filename=f"职工信息卡-{person.name}.pdf")
