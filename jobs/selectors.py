"""Reads: what a user may see of 就业援助, the follow-up clock and the lists behind the dashboard and
the inbox. Every query starts from ``access.visible``.

Scope (declared in ``declaration.py`` as scope rules):

- a published posting (招聘中 / 已招满 / 已过期) is seen by every unit — job offers are the pool all
  stations refer from; a draft only by the unit that collected it and the units above;
- a course that is not cancelled is likewise seen everywhere (trainees come from every station);
- recruiters (their papers), seekers, referrals, enrolments and fairs: the owning unit's subtree.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from servicecenter import access, clocks
from servicecenter.access import visible
from servicecenter.models import User

from .models import Course, Enrolment, JobFair, Posting, Recruiter, Referral, Seeker

# The follow-up visit after a hire: a fixed date (start + ``jobs.follow_up_days``), late from the
# day after it, stopped by the follow-up.
FOLLOW_UP_CLOCK = clocks.ClockSpec(Referral, "就业回访期限", names={
    "started_on": "start_date", "due_date": "follow_up_due", "late_from": "follow_up_late_from",
    "stopped_on": "followed_up_on"})

PUBLISHED = (Posting.Status.OPEN, Posting.Status.FILLED, Posting.Status.EXPIRED)


def posting_scope(queryset: QuerySet[Posting], user: User) -> QuerySet[Posting]:
    return queryset.filter(Q(status__in=PUBLISHED) | Q(org_unit__in=access.scope_unit_ids(user)))


def course_scope(queryset: QuerySet[Course], user: User) -> QuerySet[Course]:
    return queryset.filter(~Q(status=Course.Status.CANCELLED) | Q(org_unit__in=access.scope_unit_ids(user)))


def today() -> datetime.date:
    return timezone.localdate()


# --- lists ------------------------------------------------------------------------------------------

POSTING_RELATED = ("recruiter__employer", "occupation", "area", "org_unit")
SEEKER_RELATED = ("person", "org_unit", "desired_occupation", "desired_area")
REFERRAL_RELATED = ("seeker__person", "posting__recruiter__employer", "org_unit", "referred_by")


def postings_for(user: Any) -> QuerySet[Posting]:
    return visible(Posting.objects.select_related(*POSTING_RELATED), user)


def seekers_for(user: Any) -> QuerySet[Seeker]:
    return visible(Seeker.objects.select_related(*SEEKER_RELATED), user)


def referrals_for(user: Any) -> QuerySet[Referral]:
    return visible(Referral.objects.select_related(*REFERRAL_RELATED), user)


def recruiters_for(user: Any) -> QuerySet[Recruiter]:
    return visible(Recruiter.objects.select_related("employer", "org_unit", "verified_by"), user)


def courses_for(user: Any) -> QuerySet[Course]:
    return visible(Course.objects.select_related("org_unit"), user)


def enrolments_for(user: Any) -> QuerySet[Enrolment]:
    return visible(Enrolment.objects.select_related("course", "person", "org_unit"), user)


def fairs_for(user: Any) -> QuerySet[JobFair]:
    return visible(JobFair.objects.select_related("org_unit"), user)


def expiring_q(days: int, day: datetime.date | None = None) -> Q:
    """Open postings whose end date falls within the next ``days`` days (today included)."""
    day = day or today()
    return Q(status=Posting.Status.OPEN, valid_to__gte=day, valid_to__lte=day + datetime.timedelta(days=days))


def follow_ups_due_q(days: int, day: datetime.date | None = None) -> Q:
    """Hires whose follow-up is late or due within ``days`` days (the kernel clock's one
    definition of overdue and due soon)."""
    day = day or today()
    return FOLLOW_UP_CLOCK.overdue_q(day) | FOLLOW_UP_CLOCK.due_soon_q(day, days)


def awaiting_outcome_q(older_than_days: int, day: datetime.date | None = None) -> Q:
    day = day or today()
    return Q(status__in=Referral.AWAITING, referred_on__lte=day - datetime.timedelta(days=older_than_days))
