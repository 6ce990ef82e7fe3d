"""Reads: the petitions a user may see, the deadline lists, the inboxes, and which steps a page
offers. Every query starts from ``access.visible``."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from servicecenter.access import Action, can, role_allows, visible
from servicecenter.models import OrgUnit, Person
from servicecenter.parameters import param
from servicecenter.people import person_lookup, person_search
from servicecenter.validators import normalise_resident_id, normalise_uscc

from .confidentiality import identity_annotation, leads, leads_q
from .models import Escalation, FollowUp, Notice, Petition, Task, TaskTarget

Status = Petition.Status
LIST_RELATED = ("person", "category", "org_unit", "handler", "employer")


def petitions_for(user: Any) -> QuerySet[Petition]:
    """The user's petitions, with what a list row shows joined in and ``identity_shown`` telling
    whether the complainant may be named."""
    return visible(Petition.objects.select_related(*LIST_RELATED), user).annotate(
        identity_shown=identity_annotation(user))


def overdue_q(today: datetime.date | None = None) -> Q:
    """Open past the due date (clock running), or closed late."""
    today = today or timezone.localdate()
    return (Q(status__in=Petition.OPEN_STATES, paused_since__isnull=True, due_date__lt=today)
            | Q(status=Status.CLOSED, was_overdue=True))


def overdue_open_q(today: datetime.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=Petition.OPEN_STATES, paused_since__isnull=True, due_date__lt=today)


def due_soon_q(days: int, today: datetime.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(status__in=Petition.OPEN_STATES, paused_since__isnull=True,
             due_date__gte=today, due_date__lte=today + datetime.timedelta(days=days))


def due_soon_days(user: Any) -> int:
    return param("petition.due_soon_days", user.org_unit) if user.org_unit_id else 3


def escalation_inbox(user: Any) -> QuerySet[Escalation]:
    """Group or urgent petitions waiting for this supervisor's unit to acknowledge them."""
    if not role_allows(user, Action.APPROVE) or not user.org_unit_id:
        return Escalation.objects.none()
    return (Escalation.objects.filter(org_unit_id=user.org_unit_id, acknowledged_at__isnull=True,
                                      petition__in=visible(Petition.objects.all(), user).values("pk"))
            .select_related("petition__org_unit", "petition__category", "petition__person", "petition__handler")
            .order_by("created_at"))


def reviews_awaiting(user: Any) -> QuerySet[FollowUp]:
    """Unsatisfied follow-ups on cases this supervisor leads, waiting for a decision."""
    if not role_allows(user, Action.APPROVE):
        return FollowUp.objects.none()
    cases = visible(Petition.objects.all(), user).filter(leads_q(user)).values("pk")
    return (FollowUp.objects.filter(petition__in=cases, satisfaction=FollowUp.Satisfaction.UNSATISFIED, review="")
            .select_related("petition__org_unit", "petition__person", "petition__handler", "done_by")
            .order_by("done_at"))


def pending_follow_ups(user: Any) -> QuerySet[FollowUp]:
    cases = visible(Petition.objects.all(), user).values("pk")
    return (FollowUp.objects.filter(petition__in=cases, status=FollowUp.Status.PENDING)
            .select_related("petition__org_unit", "petition__person", "petition__handler", "petition__category")
            .order_by("created_at"))


def notices_for(user: Any) -> QuerySet[Notice]:
    cases = visible(Petition.objects.all(), user).values("pk")
    return Notice.objects.filter(petition__in=cases).select_related("petition", "employer", "issued_by")


def person_candidates(user: Any, text: str, limit: int = 8) -> tuple[list[Person], Any]:
    """People matching the intake search, and a person registered elsewhere when the text is
    their full ID number (only name, masked ID and registering unit)."""
    text = (text or "").strip()
    if not text:
        return [], None
    found = list(person_search(visible(Person.objects.select_related("org_unit"), user), text)[:limit])
    foreign = None
    if not found and len(normalise_resident_id(text)) == 18:
        hit = person_lookup(by=user, id_number=text)
        if hit is not None and not isinstance(hit, Person):
            foreign = hit
    return found, foreign


def employer_candidates(user: Any, text: str, limit: int = 8) -> tuple[list, Any]:
    from servicecenter.employers import employer_lookup, employer_search
    from servicecenter.models import Employer

    text = (text or "").strip()
    if not text:
        return [], None
    found = list(employer_search(visible(Employer.objects.select_related("org_unit"), user), text)[:limit])
    foreign = None
    if not found and len(normalise_uscc(text)) == 18:
        hit = employer_lookup(by=user, credit_code=text)
        if hit is not None and not isinstance(hit, Employer):
            foreign = hit
    return found, foreign


def available_actions(petition: Petition, user: Any) -> set[str]:
    """The steps this page offers the user; the services enforce the same rules again."""
    if not can(user, Action.CHANGE, petition):
        return set()
    out: set[str] = {"recuse", "attach"}
    status = petition.status
    supervisor = role_allows(user, Action.APPROVE)
    if status in Petition.OPEN_STATES:
        out |= {"assign", "notice" if petition.employer_id else ""}
        out.add("resume" if petition.is_paused else "pause")
        if supervisor and not petition.extension_days:
            out.add("extend")
    if status == Status.OPEN:
        out.add("answer")
    if status in (Status.OPEN, Status.ASSIGNED):
        out |= {"forward"}
        if petition.org_unit.parent_id:
            out.add("send_up")
    if status == Status.FORWARDED:
        out.add("reply")
    if status in (Status.OPEN, Status.ASSIGNED, Status.REPLIED) and not petition.is_paused:
        out.add("close")
    if status == Status.CLOSED:
        window = param("petition.reopen_within_days", petition.org_unit)
        if supervisor and petition.closed_at and \
                (timezone.localdate() - timezone.localdate(petition.closed_at)).days <= window:
            out.add("reopen")
    out.discard("")
    return out


def can_acknowledge(petition: Petition, user: Any) -> bool:
    return role_allows(user, Action.APPROVE) and Escalation.objects.filter(
        petition=petition, org_unit_id=user.org_unit_id, acknowledged_at__isnull=True).exists()


def can_review(user: Any, petition: Petition) -> bool:
    return role_allows(user, Action.APPROVE) and leads(user, petition)


# --- tasks ------------------------------------------------------------------------------------------


def tasks_sent(user: Any) -> QuerySet[Task]:
    """Tasks sent by the user's unit or below it, with per-target progress."""
    return visible(Task.objects.select_related("org_unit", "created_by"), user).prefetch_related("targets__org_unit")


def task_targets_received(user: Any) -> QuerySet[TaskTarget]:
    """Parts of tasks addressed to the user's own unit."""
    if not user.org_unit_id:
        return TaskTarget.objects.none()
    return (visible(TaskTarget.objects.select_related("task__org_unit", "org_unit"), user)
            .filter(org_unit_id=user.org_unit_id).order_by("status", "task__due_date"))


def unit_choices(user: Any) -> QuerySet[OrgUnit]:
    return visible(OrgUnit.objects.all(), user)
