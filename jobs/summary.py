"""What 就业援助 contributes to shared pages, the inbox and the monthly summary (declared in
``declaration.py``).

- ``person_section``: the person's seeker record, referrals and training;
- ``employer_section``: the employer as a recruiter, its postings and the hires;
- ``dashboard_section``: new seekers, postings about to expire, referrals awaiting an outcome,
  follow-ups due, and this month's placement success rate;
- ``inbox_items``: follow-ups due, referrals waiting too long for an outcome, papers to verify;
- ``FIGURES`` / ``monthly_figures``; ``figure_table(tree, units, periods)`` the same for many
  units and periods in a fixed number of queries (roll-ups, statistics, dashboards);
  ``placement`` / ``placement_by_unit``: 中介成功率.

The placement success rate (中介成功率) is hired ÷ referred for a cohort of referrals: those made
between two dates (by referral date), counting as hired those whose hire was recorded by the "as
of" date. The monthly figure takes the month's referrals as of the month's last day, so it does not
change when it is computed again later; the dashboard takes this month's as of today.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from servicecenter import access, clocks, registry
from servicecenter.access import can, role_allows, visible
from servicecenter.figures import Bucket, Period, UnitTree, tabulate
from servicecenter.inbox import InboxItem
from servicecenter.models import OrgUnit
from servicecenter.parameters import param
from servicecenter.registry import Figure, Section

from . import selectors
from .models import Enrolment, Posting, Recruiter, Referral, Seeker
from .workflow import REFER, SEEKERS, VERIFY

SECTION_LIMIT = 20
DASHBOARD_LIMIT = 8


# --- the placement success rate ------------------------------------------------------------------


def rate(part: int, whole: int) -> Decimal | None:
    """``part ÷ whole`` as a percentage with one decimal (half up), or None with nothing to divide."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Placement:
    unit: OrgUnit
    referred: int
    hired: int

    @property
    def rate(self) -> Decimal | None:
        return rate(self.hired, self.referred)


def _cohort(first: datetime.date, last: datetime.date) -> QuerySet[Referral]:
    return Referral.objects.filter(referred_on__gte=first, referred_on__lte=last)


def _hired_by(as_of: datetime.date) -> Q:
    return Q(status=Referral.Status.HIRED, outcome_on__lte=as_of)


def placement(unit: OrgUnit, first: datetime.date, last: datetime.date, as_of: datetime.date) -> Placement:
    """The cohort of ``unit`` and the units below it (one query)."""
    counts = _cohort(first, last).filter(org_unit__path__startswith=unit.path).aggregate(
        referred=Count("pk"), hired=Count("pk", filter=_hired_by(as_of)))
    return Placement(unit, counts["referred"], counts["hired"])


def placement_by_unit(units: Iterable[OrgUnit], first: datetime.date, last: datetime.date,
                      as_of: datetime.date) -> list[Placement]:
    """Each unit's cohort with everything below it, from one grouped query over their subtrees."""
    units = list(units)
    if not units:
        return []
    within = Q()
    for u in units:
        within |= Q(org_unit__path__startswith=u.path)
    rows = list(_cohort(first, last).filter(within).values_list("org_unit__path").annotate(
        referred=Count("pk"), hired=Count("pk", filter=_hired_by(as_of))).order_by())
    out = []
    for u in units:
        referred = sum(r for path, r, _ in rows if path.startswith(u.path))
        hired = sum(h for path, _, h in rows if path.startswith(u.path))
        out.append(Placement(u, referred, hired))
    return out


# --- monthly figures -----------------------------------------------------------------------------------

FIGURES = (
    Figure("new_seekers", "新登记求职人员", counts_by="登记日期", unit="人"),
    Figure("postings", "新发布岗位", counts_by="发布日期", unit="个"),
    Figure("openings", "新发布岗位招聘人数", counts_by="发布日期", unit="人"),
    Figure("referrals", "推荐人次", counts_by="推荐日期", unit="人次"),
    Figure("hires", "推荐成功（录用）", counts_by="推荐日期（截至月末登记的录用）", unit="人次", headline=True),
    Figure("placement_rate", "中介成功率", kind="rate", unit="%", numerator="hires", denominator="referrals",
           note="当月推荐中截至月末已登记录用的人次 ÷ 当月推荐人次", headline=True),
    Figure("trainees_enrolled", "培训报名", counts_by="报名日期", unit="人次"),
    Figure("trainees_completed", "培训结业", counts_by="结业日期", unit="人次"),
)


def monthly_figures(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """``FIGURES`` for ``unit`` and everything below it, for the days ``first`` to ``last`` (no
    user scope: the caller has checked the user may see ``unit``). Five queries."""
    below = {"org_unit__path__startswith": unit.path}
    seekers = Seeker.objects.filter(registered_on__gte=first, registered_on__lte=last, **below).count()
    postings = Posting.objects.filter(published_on__gte=first, published_on__lte=last, **below).aggregate(
        postings=Count("pk"), openings=Sum("openings"))
    cohort = placement(unit, first, last, last)
    enrolled = Enrolment.objects.filter(enrolled_on__gte=first, enrolled_on__lte=last, **below).count()
    completed = Enrolment.objects.filter(status=Enrolment.Status.COMPLETED, completed_on__gte=first,
                                         completed_on__lte=last, **below).count()
    return {
        "new_seekers": seekers, "postings": postings["postings"], "openings": postings["openings"] or 0,
        "referrals": cohort.referred, "hires": cohort.hired, "placement_rate": cohort.rate,
        "trainees_enrolled": enrolled, "trainees_completed": completed,
    }


def figure_table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], dict]:
    """``monthly_figures`` for every unit × period at once (``servicecenter.figures.tabulate``):
    per pass of non-overlapping periods one query per record kind and date — seekers, postings,
    referrals, enrolments, completions (five) — whatever the number of units and periods."""

    def hired_by_period_end(bucket: Bucket) -> Count:
        # The cohort's hires as of the period's last day, as ``placement(unit, first, last, last)``.
        return Count("pk", filter=Q(status=Referral.Status.HIRED, outcome_on__lt=bucket.end))

    out: dict[tuple[int, int], dict] = {}  # each tabulate call adds its codes to the same cells
    tabulate(Seeker.objects.all(), tree, units, periods, into=out, date_field="registered_on",
             additive={"new_seekers": Count("pk")})
    tabulate(Posting.objects.all(), tree, units, periods, into=out, date_field="published_on",
             additive={"postings": Count("pk"), "openings": Sum("openings")})
    tabulate(Referral.objects.all(), tree, units, periods, into=out, date_field="referred_on",
             additive={"referrals": Count("pk"), "hires": hired_by_period_end})
    enrolments = Enrolment.objects.all()
    tabulate(enrolments, tree, units, periods, into=out, date_field="enrolled_on",
             additive={"trainees_enrolled": Count("pk")})
    tabulate(enrolments.filter(status=Enrolment.Status.COMPLETED), tree, units, periods, into=out,
             date_field="completed_on", additive={"trainees_completed": Count("pk")})
    return out


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


# --- shared pages --------------------------------------------------------------------------------


def person_section(person: Any, user: Any) -> Section:
    seeker = selectors.seekers_for(user).filter(person=person).first()
    referrals = list(selectors.referrals_for(user).filter(seeker__person=person)[:SECTION_LIMIT]) if seeker else []
    enrolments = list(selectors.enrolments_for(user).filter(person=person).order_by("-enrolled_on")[:SECTION_LIMIT])
    elsewhere = None
    if seeker is None:
        elsewhere = Seeker.objects.filter(person=person).values_list("org_unit__name", flat=True).first()
    return Section(title="就业援助", template="jobs/section_person.html", context={
        "seeker": seeker, "referrals": referrals, "enrolments": enrolments, "person": person,
        "elsewhere": elsewhere, "can_register": seeker is None and not elsewhere and can(user, SEEKERS, person),
    })


def employer_section(employer: Any, user: Any) -> Section:
    recruiter = selectors.recruiters_for(user).filter(employer=employer).first()
    postings = list(selectors.postings_for(user).filter(recruiter__employer=employer)[:SECTION_LIMIT])
    hires = list(selectors.referrals_for(user).filter(posting__recruiter__employer=employer,
                                                      status=Referral.Status.HIRED)[:SECTION_LIMIT])
    flags = registry.employer_flags([employer.pk]).get(employer.pk, [])
    known = recruiter is not None or Recruiter.objects.filter(employer=employer).exists()
    return Section(title="就业援助", template="jobs/section_employer.html", context={
        "recruiter": recruiter, "postings": postings, "hires": hires, "flags": flags, "employer": employer,
        "can_register": not known and can(user, "jobs.manage", employer),
    })


def dashboard_section(user: Any) -> Section | None:
    """The dashboard card. ``context``: ``new_seekers_today`` / ``new_seekers_month``;
    ``expiring`` (≤ 8) and ``expiring_count`` (open postings ending within ``jobs.expiring_days``);
    ``awaiting`` / ``awaiting_count`` (referrals without an outcome); ``follow_ups`` /
    ``follow_ups_count`` (hires whose follow-up is late or due soon); ``placement`` (this month's
    referrals as of today, for the user's unit and everything below it)."""
    if not role_allows(user, "view") or not user.org_unit_id:
        return None
    today = timezone.localdate()
    unit = user.org_unit
    assert unit is not None  # a case role has a unit (reads_cases)
    seekers = selectors.seekers_for(user)
    days = param("jobs.expiring_days", unit)
    # Only the postings of the user's own units: another station's postings are not theirs to renew.
    expiring = (selectors.postings_for(user).filter(selectors.expiring_q(days, today),
                                                    org_unit__in=access.scope_unit_ids(user)).order_by("valid_to"))
    awaiting = selectors.referrals_for(user).filter(status__in=Referral.AWAITING).order_by("referred_on")
    soon = clocks.due_soon_days(unit)
    follow_ups = selectors.referrals_for(user).filter(selectors.follow_ups_due_q(soon, today)).order_by("follow_up_due")
    first = today.replace(day=1)
    context = {
        "new_seekers_today": seekers.filter(registered_on=today).count(),
        "new_seekers_month": seekers.filter(registered_on__gte=first).count(),
        "expiring": list(expiring[:DASHBOARD_LIMIT]), "expiring_count": expiring.count(), "expiring_days": days,
        "awaiting": list(awaiting[:DASHBOARD_LIMIT]), "awaiting_count": awaiting.count(),
        "follow_ups": list(follow_ups[:DASHBOARD_LIMIT]), "follow_ups_count": follow_ups.count(),
        "placement": placement(unit, first, today, today), "month": first,
    }
    return Section(title="就业援助", template="jobs/dashboard_section.html", context=context, url="/jobs/")


def inbox_items(user: Any) -> list[InboxItem]:
    """Follow-ups and outcomes the user's own unit must record (the referring unit records them),
    and recruiters whose papers wait for verification (three queries)."""
    if not access.reads_cases(user):
        return []
    today = timezone.localdate()
    items: list[InboxItem] = []
    if role_allows(user, REFER):
        own = visible(Referral.objects.select_related("posting__recruiter__employer", "org_unit"), user).filter(
            org_unit_id=user.org_unit_id)
        soon = clocks.due_soon_days(user.org_unit)
        for r in own.filter(selectors.follow_ups_due_q(soon, today)).order_by("follow_up_due")[:100]:
            items.append(InboxItem(kind="就业回访", title=r.number, url=r.get_absolute_url(),
                                   since=_midnight(r.start_date or r.referred_on), due=r.follow_up_due,
                                   unit=str(r.org_unit), app="就业援助"))
        assert user.org_unit is not None
        days = param("jobs.outcome_reminder_days", user.org_unit)
        for r in own.filter(selectors.awaiting_outcome_q(days, today)).order_by("referred_on")[:100]:
            items.append(InboxItem(kind="推荐结果待反馈", title=r.number, url=r.get_absolute_url(),
                                   since=_midnight(r.referred_on), due=r.referred_on + datetime.timedelta(days=days),
                                   unit=str(r.org_unit), app="就业援助"))
    if role_allows(user, VERIFY):
        pending = (visible(Recruiter.objects.select_related("employer", "org_unit"), user)
                   .filter(status__in=[Recruiter.Status.PENDING, Recruiter.Status.SUSPENDED], papers__isnull=False)
                   .distinct().order_by("created_at")[:100])
        for rec in pending:
            items.append(InboxItem(kind="用工单位证件待核验", title=rec.employer.name, url=rec.get_absolute_url(),
                                   since=rec.created_at, unit=str(rec.org_unit), app="就业援助"))
    return items


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
