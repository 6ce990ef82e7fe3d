"""Reads: the petitions a user may see, the deadline lists and the inboxes. Every query starts
from ``access.visible``; overdue and due soon are the kernel clock's one definition. Which steps a
page offers is the workflow's (``workflow.py``)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from servicecenter import access, clocks
from servicecenter.access import role_allows, visible
from servicecenter.models import OrgUnit, Person, User
from servicecenter.people import person_lookup, person_search
from servicecenter.validators import normalise_resident_id, normalise_uscc

from .confidentiality import identity_annotation
from .models import Escalation, FollowUp, HotlineOrder, Notice, Petition, Submission, Task, TaskTarget

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    ListedPetition = WithAnnotations[Petition, "IdentityShown"]  # a row of petitions_for()

# The deadline clocks (servicecenter/clocks.py): where their fields are.
CLOCK = clocks.ClockSpec(Petition, "办结期限", names={"started_on": "accepted_on"})
NOTICE_CLOCK = clocks.ClockSpec(Notice, "回复/整改期限",
                                names={"started_on": "issued_on", "due_date": "deadline", "stopped_on": "responded_on"})
TASK_CLOCK = clocks.ClockSpec(TaskTarget, "报告期限", names={"stopped_on": "reported_on"})
HOTLINE_CLOCK = clocks.ClockSpec(HotlineOrder, "12351平台办理时限",
                                 names={"started_on": "called_on", "stopped_on": "answered_on"})
ACKNOWLEDGE = "petitions.acknowledge"
REVIEW = "petitions.review"

Status = Petition.Status
LIST_RELATED = ("person__employer", "category", "org_unit", "handler", "employer")


class IdentityShown(TypedDict):
    identity_shown: bool


def petitions_for(user: User) -> QuerySet[ListedPetition]:
    """The user's petitions, with what a list row shows joined in and ``identity_shown`` telling
    whether the complainant may be named."""
    return visible(Petition.objects.select_related(*LIST_RELATED), user).annotate(
        identity_shown=identity_annotation(user))


def overdue_q(today: datetime.date | None = None) -> Q:
    """Open past the due date, or closed late (the register's and the list's 逾期)."""
    return CLOCK.overdue_ever_q(today or timezone.localdate())


def overdue_open_q(today: datetime.date | None = None) -> Q:
    return CLOCK.overdue_q(today or timezone.localdate())


def due_soon_q(days: int, today: datetime.date | None = None) -> Q:
    return CLOCK.due_soon_q(today or timezone.localdate(), days)


def due_soon_days(user: User) -> int:
    return clocks.due_soon_days(user.org_unit if user.org_unit_id else None)


def escalation_inbox(user: User) -> QuerySet[Escalation]:
    """Group or urgent petitions waiting for this supervisor's unit to acknowledge them."""
    if not role_allows(user, ACKNOWLEDGE) or not user.org_unit_id:
        return Escalation.objects.none()
    return (Escalation.objects.filter(org_unit_id=user.org_unit_id, acknowledged_at__isnull=True,
                                      petition__in=visible(Petition.objects.all(), user).values("pk"))
            .select_related("petition__org_unit", "petition__category", "petition__person__employer",
                            "petition__handler")
            .order_by("created_at"))


def reviews_awaiting(user: User) -> QuerySet[FollowUp]:
    """Unsatisfied follow-ups on cases this supervisor leads, waiting for a decision."""
    if not role_allows(user, REVIEW):
        return FollowUp.objects.none()
    cases = visible(Petition.objects.all(), user).filter(access.leads_q(user, REVIEW)).values("pk")
    return (FollowUp.objects.filter(petition__in=cases, satisfaction=FollowUp.Satisfaction.UNSATISFIED, review="")
            .select_related("petition__org_unit", "petition__person__employer", "petition__handler", "done_by")
            .order_by("done_at"))


def pending_follow_ups(user: User) -> QuerySet[FollowUp]:
    cases = visible(Petition.objects.all(), user).values("pk")
    return (FollowUp.objects.filter(petition__in=cases, status=FollowUp.Status.PENDING)
            .select_related("petition__org_unit", "petition__person__employer", "petition__handler",
                            "petition__category")
            .order_by("created_at"))


def notices_for(user: User) -> QuerySet[Notice]:
    cases = visible(Petition.objects.all(), user).values("pk")
    return Notice.objects.filter(petition__in=cases).select_related("petition", "employer", "issued_by")


def person_candidates(user: User, text: str, limit: int = 8) -> tuple[list[Person], Any]:
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


def employer_candidates(user: User, text: str, limit: int = 8) -> tuple[list, Any]:
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


# --- tasks ------------------------------------------------------------------------------------------


def tasks_sent(user: User) -> QuerySet[Task]:
    """Tasks sent by the user's unit or below it, with per-target progress."""
    return (visible(Task.objects.select_related("org_unit", "created_by"), user)
            .filter(org_unit__in=access.scope_unit_ids(user)).prefetch_related("targets__org_unit"))


def task_targets_received(user: User) -> QuerySet[TaskTarget]:
    """Parts of tasks addressed to the user's own unit."""
    if not access.reads_cases(user):
        return TaskTarget.objects.none()
    return (visible(TaskTarget.objects.select_related("task__org_unit", "org_unit"), user)
            .filter(org_unit_id=user.org_unit_id).order_by("status", "task__due_date"))


def task_scope(queryset: QuerySet[Task], user: User) -> QuerySet[Task]:
    """A task is seen by the sending unit's subtree and by the units it was sent to."""
    units = access.scope_unit_ids(user)
    return queryset.filter(Q(org_unit__in=units) | Q(pk__in=TaskTarget.objects.filter(org_unit__in=units)
                                                       .values("task_id")))


def petition_scope(queryset: QuerySet[Petition], user: User) -> QuerySet[Petition]:
    """Petitions owned in the user's subtree, and those a unit in it received and sent up (上报: the
    station still answers the worker, so it keeps reading the case and its answer — acting on it
    is the new owner's, ``workflow.OWNER_ONLY``); minus those the user recused from (利害关系回避)."""
    units = access.scope_unit_ids(user)
    owned = Q(org_unit__in=units)
    sent_up = sent_up_ids(user)
    if sent_up:
        # The ids, as literals: an OR with a second condition on another column would cost the
        # list its index order (LIMIT 50 on petition_unit_recent) for every station, and most
        # stations have sent nothing up.
        owned |= Q(pk__in=sent_up)
    return queryset.filter(owned).exclude(recusals__user=user)


SENT_UP_CACHE = "_petitions_sent_up"


def sent_up_ids(user: User) -> list[int]:
    """The cases received in the user's subtree and sent up out of it: read once per user object
    (a request; ``forget_sent_up`` after 上报), on the small partial index ``petition_sent_up``."""
    units = access.scope_unit_ids(user)
    cached = getattr(user, SENT_UP_CACHE, None)
    if cached is None or cached[0] != units:
        unit = user.org_unit
        ids: list[int] = []
        if units and unit is not None and unit.parent_id is not None:  # at the top nothing goes up
            ids = list(Petition.objects.filter(received_unit__in=units, sent_up_from__isnull=False)
                       .exclude(org_unit__in=units).values_list("pk", flat=True))
        cached = (units, ids)
        setattr(user, SENT_UP_CACHE, cached)
    return cached[1]


def forget_sent_up(user: User) -> None:
    if hasattr(user, SENT_UP_CACHE):
        delattr(user, SENT_UP_CACHE)


def owns(petition: Petition, user: User) -> bool:
    """Whether the case is owned in the user's subtree (not just read there after 上报)."""
    return petition.org_unit_id in access.scope_unit_ids(user)


def hotline_scope(queryset: QuerySet[HotlineOrder], user: User) -> QuerySet[HotlineOrder]:
    """A work order is seen with its case."""
    return queryset.filter(petition__in=visible(Petition.objects.all(), user).values("pk"))


def submission_queue(user: User) -> QuerySet[Submission]:
    """Online submissions waiting in the user's units (oldest first): a clerk accepts or declines."""
    return (visible(Submission.objects.select_related("org_unit", "category"), user)
            .filter(status=Submission.Status.RECEIVED).annotate(file_count=Count("files")).order_by("created_at", "id"))


def notice_scope(queryset: QuerySet[Notice], user: User) -> QuerySet[Notice]:
    """A notice is seen with its case."""
    return queryset.filter(petition__in=visible(Petition.objects.all(), user).values("pk"))


def unit_choices(user: User) -> QuerySet[OrgUnit]:
    return visible(OrgUnit.objects.all(), user)
