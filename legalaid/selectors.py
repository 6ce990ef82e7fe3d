"""Reads: what a user may see, the clocks' fields, the urgent queue, caseloads and the conflict
check. Every list starts from ``access.visible``; overdue and due soon are the kernel clock's."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from servicecenter import access, clocks
from servicecenter.access import visible
from servicecenter.models import Employer, User
from servicecenter.parameters import param

from .models import Advisor, AdvisorTie, Application, Consultation, Mediation, Progress, ReceptionDay

# The deadline clocks (servicecenter/clocks.py): the fields each one lives in.
REVIEW_CLOCK = clocks.ClockSpec(Application, "审查期限", prefix="review_")
ASSIGN_CLOCK = clocks.ClockSpec(Application, "指派期限", prefix="assign_")
LIMIT_CLOCK = clocks.ClockSpec(Mediation, "调解期限", prefix="limit_")

S = Application.Status
LIST_RELATED = ("applicant", "employer", "org_unit", "advisor", "handler")
MEDIATION_RELATED = ("employer", "org_unit", "mediator")


def advisor_scope(queryset: QuerySet[Advisor], user: User) -> QuerySet[Advisor]:
    """An advisor registered in the user's subtree, or by a unit above the user's (the city's
    lawyers serve its districts and stations)."""
    units = access.scope_unit_ids(user)
    if not units or user.org_unit is None:
        return queryset.none()
    return queryset.filter(Q(org_unit__in=units) | Q(org_unit__path__in=user.org_unit.ancestor_paths()))


def applications_for(user: Any) -> QuerySet[Application]:
    return visible(Application.objects.select_related(*LIST_RELATED), user)


# What a row of the application list shows: the list reads only these columns (an application
# has some eighty, its applicant an encrypted ID number), so a page of 50 costs what it shows.
LIST_ONLY = ("number", "received_on", "status", "matter", "limitation_ends_on", "review_due_date", "org_unit__name",
             "applicant__name", "employer__name", "advisor__name", "handler__full_name", "handler__username")


def application_rows_for(user: Any) -> QuerySet[Application]:
    return visible(Application.objects.select_related("applicant", "employer", "org_unit", "advisor", "handler")
                   .only(*LIST_ONLY), user)


def mediations_for(user: Any) -> QuerySet[Mediation]:
    return visible(Mediation.objects.select_related(*MEDIATION_RELATED), user)


def consultations_for(user: Any) -> QuerySet[Consultation]:
    return visible(Consultation.objects.select_related("person", "org_unit", "advisor", "taken_by"), user)


def advisors_for(user: Any) -> QuerySet[Advisor]:
    return visible(Advisor.objects.select_related("org_unit"), user)


def reception_days_for(user: Any, first: datetime.date, last: datetime.date) -> QuerySet[ReceptionDay]:
    return (visible(ReceptionDay.objects.select_related("advisor", "org_unit"), user)
            .filter(on__range=(first, last)).order_by("on", "session", "org_unit__path"))


# --- the limitation guard's queue ------------------------------------------------------------------


def urgent_days(user: Any) -> int:
    unit = user.org_unit if getattr(user, "org_unit_id", None) else None
    if unit is None:
        from servicecenter.parameters import SPECS

        return SPECS["legalaid.limitation_urgent_days"].default
    return param("legalaid.limitation_urgent_days", unit)


def urgent_q(today: datetime.date, days: int) -> Q:
    """Open applications whose limitation ends within ``days`` days (or has already ended)."""
    return Q(status__in=Application.OPEN_STATES, limitation_ends_on__lte=today + datetime.timedelta(days=days))


# --- advisors: caseload and the conflict check --------------------------------------------------------


def caseloads(advisor_ids: list[int]) -> dict[int, int]:
    """Open cases per advisor: legal-aid cases in hand and mediations under way (two queries)."""
    out: Counter[int] = Counter()
    for pk, n in (Application.objects.filter(advisor_id__in=advisor_ids, status=S.ASSIGNED)
                  .values_list("advisor_id").annotate(n=Count("pk")).order_by()):
        out[pk] += n
    for pk, n in (Mediation.objects.filter(mediator_id__in=advisor_ids, status=Mediation.Status.OPEN)
                  .values_list("mediator_id").annotate(n=Count("pk")).order_by()):
        out[pk] += n
    return dict(out)


def assignable_advisors(user: Any, kinds: tuple[str, ...]) -> QuerySet[Advisor]:
    return advisors_for(user).filter(is_active=True, kind__in=kinds).order_by("kind", "name", "id")


def _case_named(case: Application | Mediation, user: Any) -> str:
    """A case number the user may see, or a neutral phrase (the conflict exists either way)."""
    if visible(type(case)._default_manager.filter(pk=case.pk), user).exists():
        return case.number
    return "其他单位的一件案件"


def conflicts(advisor: Advisor, employer: Employer | None, *, user: Any,
              application: Application | None = None, mediation: Mediation | None = None) -> list[str]:
    """Why ``advisor`` may not act against ``employer``: a recorded tie with it, or acting for it
    (as its agent) in another legal-aid case or mediation. Empty when there is no conflict."""
    if employer is None:
        return []
    reasons = []
    for tie in AdvisorTie.objects.filter(advisor=advisor, employer=employer):
        note = f"（{tie.note}）" if tie.note else ""
        reasons.append(f"{advisor}{tie.get_relation_display()}{note}：{employer}")
    apps = Application.objects.filter(opposing_agent=advisor, employer=employer)
    if application is not None:
        apps = apps.exclude(pk=application.pk)
    for case in apps.order_by("pk")[:5]:
        reasons.append(f"{advisor}在{_case_named(case, user)}中担任{employer}的代理人")
    meds = Mediation.objects.filter(employer_agent=advisor, employer=employer)
    if mediation is not None:
        meds = meds.exclude(pk=mediation.pk)
    for case in meds.order_by("pk")[:5]:
        reasons.append(f"{advisor}在调解案件{_case_named(case, user)}中担任{employer}的委托代理人")
    return reasons


# --- employers: disputes against them -----------------------------------------------------------------


def dispute_counts(user: Any, employer_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """(legal-aid applications, mediations) against each employer, in the user's scope."""
    apps = applications_for(user).exclude(employer__isnull=True)
    meds = mediations_for(user)
    if employer_ids is not None:
        apps, meds = apps.filter(employer_id__in=employer_ids), meds.filter(employer_id__in=employer_ids)
    out: dict[int, list[int]] = {}
    for pk, n in apps.values_list("employer_id").annotate(n=Count("pk")).order_by():
        out.setdefault(pk, [0, 0])[0] = n
    for pk, n in meds.values_list("employer_id").annotate(n=Count("pk")).order_by():
        out.setdefault(pk, [0, 0])[1] = n
    return {pk: (a, m) for pk, (a, m) in out.items()}


def repeat_threshold(user: Any) -> int:
    unit = user.org_unit if getattr(user, "org_unit_id", None) else None
    if unit is None:
        from servicecenter.parameters import SPECS

        return SPECS["legalaid.repeat_offender_cases"].default
    return param("legalaid.repeat_offender_cases", unit)


def repeat_offenders(user: Any, limit: int = 100) -> list[tuple[Employer, int, int]]:
    """Employers with at least ``legalaid.repeat_offender_cases`` disputes in the user's scope,
    most first: (employer, applications, mediations)."""
    minimum = repeat_threshold(user)
    counts = {pk: c for pk, c in dispute_counts(user).items() if sum(c) >= minimum}
    top = sorted(counts, key=lambda pk: (-sum(counts[pk]), pk))[:limit]
    employers = Employer.objects.in_bulk(top)
    return [(employers[pk], *counts[pk]) for pk in top if pk in employers]


# --- dashboard ---------------------------------------------------------------------------------------


def week_bounds(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return monday, monday + datetime.timedelta(days=6)


def hearings_between(user: Any, first: datetime.date, last: datetime.date) -> QuerySet[Progress]:
    cases = visible(Application.objects.filter(status=S.ASSIGNED), user).values("pk")
    return (Progress.objects.filter(kind=Progress.Kind.HEARING, on__range=(first, last), application__in=cases)
            .select_related("application__applicant", "application__advisor").order_by("on", "id"))
