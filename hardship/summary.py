"""What the 困难职工档案 app contributes to shared pages, the inbox and the monthly summary
(declared in ``declaration.py``).

- ``person_section(person, user)``: the person's files (as applicant or as a household member)
  that the user may see, with their status.
- ``dashboard_section(user)``: applications to review, notices ending, approvals waiting, reviews
  due (and, at the city, district lists to acknowledge).
- ``inbox_items(user)``: the same things as items to act on (approvals come from the kernel).
- ``FIGURES`` / ``monthly_figures(unit, first, last)``: the month's figures for ``unit`` and
  everything below it; ``figure_table`` the same for many units and periods in a fixed number of
  queries (the roll-up's).
- ``qualifications(person, day)``: 困难职工 / 特困职工 while the person's file is in force (the
  kernel's *qualifies as* hook; legal aid asks it).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from servicecenter import access, approvals, clocks
from servicecenter.access import role_allows, visible
from servicecenter.figures import Period, UnitTree, tabulate
from servicecenter.inbox import InboxItem
from servicecenter.models import OrgUnit
from servicecenter.qualifications import HARDSHIP_WORKER, Qualification
from servicecenter.registry import Figure, Section

from . import codes
from .models import CityReport, GradeSpan, HardshipEvent, HardshipFile, Member
from .selectors import files_for, notice_ended_q, notice_ending_q, recheck_due_q
from .workflow import ACKNOWLEDGE, APPROVAL, HANDLE

S = HardshipFile.Status
SECTION_LIMIT = 20
DASHBOARD_LIMIT = 8


def person_section(person: Any, user: Any) -> Section:
    as_member = Member.objects.filter(person=person).values("file_id")
    rows = list(files_for(user).filter(Q(applicant=person) | Q(pk__in=as_member)).order_by("-id")[:SECTION_LIMIT])
    for f in rows:
        f.as_applicant = f.applicant_id == person.pk
    return Section(title="困难职工档案", template="hardship/section_person.html",
                   context={"files": rows, "more": len(rows) == SECTION_LIMIT})


def _waiting_approvals(user: Any) -> list[Any]:
    """Submitted files this user may decide (kernel approvals of this kind, one query each)."""
    rows = [a for a in approvals.waiting_for(user) if a.kind == APPROVAL]
    files = {f.pk: f for f in files_for(user).filter(pk__in=[a.object_id for a in rows])}
    return [files[a.object_id] for a in rows if a.object_id in files]


def _acknowledgements(user: Any) -> list[CityReport]:
    if not role_allows(user, ACKNOWLEDGE) or not user.org_unit_id:
        return []
    return list(visible(CityReport.objects.select_related("org_unit"), user)
                .filter(status=CityReport.Status.OPEN, org_unit__parent_id=user.org_unit_id)
                .annotate(n=Count("files")).order_by("opened_at"))


def dashboard_section(user: Any) -> Section | None:
    """The dashboard card. ``context``: ``to_review`` (applications waiting for review, list ≤ 8)
    and ``to_review_count``; ``ending`` (notices ending within ``clock.due_soon_days``) and
    ``ending_count``; ``ready_count`` (notices over, to submit); ``approvals`` (files waiting for this
    supervisor's decision); ``due_count`` (archived files due for their yearly review);
    ``reports`` (district lists waiting for the city's acknowledgement)."""
    today = timezone.localdate()
    days = clocks.due_soon_days(user.org_unit if user.org_unit_id else None)
    base = files_for(user)
    handles = role_allows(user, HANDLE)
    to_review = base.filter(status=S.APPLIED).order_by("applied_on", "id")
    ending = base.filter(notice_ending_q(today, days)).order_by("notice_due_date", "id")
    context = {
        "to_review": list(to_review[:DASHBOARD_LIMIT]) if handles else [],
        "to_review_count": to_review.count() if handles else 0,
        "ending": list(ending[:DASHBOARD_LIMIT]), "ending_count": ending.count(), "days": days,
        "ready_count": base.filter(notice_ended_q(today)).count() if handles else 0,
        "approvals": _waiting_approvals(user),
        "due_count": base.filter(recheck_due_q(today)).count(),
        "reports": _acknowledgements(user),
        "handles": handles,
    }
    return Section(title="困难职工档案", template="hardship/dashboard_section.html", context=context, url="/hardship/")


def inbox_items(user: Any) -> list[InboxItem]:
    """What waits for this user: applications to review and notices over (to submit) at the user's
    own unit, yearly reviews due there, and district lists to acknowledge (the city). The decisions
    on submitted files are the kernel's approval items."""
    if not access.reads_cases(user):
        return []
    today = timezone.localdate()
    items: list[InboxItem] = []
    if role_allows(user, HANDLE):
        own = files_for(user).filter(org_unit_id=user.org_unit_id)
        for f in own.filter(Q(status=S.APPLIED) | notice_ended_q(today)).order_by("id")[:100]:
            kind = "困难职工申请待审核" if f.status == S.APPLIED else "公示期满待报送审批"
            items.append(InboxItem(kind=kind, title=str(f), url=f.get_absolute_url(),
                                   since=timezone.make_aware(datetime.datetime.combine(f.applied_on, datetime.time(9))),
                                   due=f.notice_due_date if f.status == S.NOTICE else None, unit=str(f.org_unit),
                                   app="困难职工档案"))
        for f in own.filter(recheck_due_q(today)).order_by("recheck_due", "id")[:100]:
            assert f.recheck_due is not None  # recheck_due_q: due on or before today
            items.append(InboxItem(kind="在档困难职工待复核", title=str(f), url=f.get_absolute_url(),
                                   since=timezone.make_aware(datetime.datetime.combine(f.recheck_due, datetime.time(9))),
                                   due=f.recheck_due, unit=str(f.org_unit), app="困难职工档案"))
    for report in _acknowledgements(user):
        items.append(InboxItem(kind="区县审批档案待确认备案", title=f"{report.org_unit} {getattr(report, 'n', 0)}份", url=report.get_absolute_url(),
                               since=report.opened_at, unit=str(report.org_unit), app="困难职工档案"))
    return items


# --- What the files say a person is (servicecenter.qualifications) ---------------------------------------


def qualifications(person: Any, day: datetime.date) -> list[Qualification]:
    """困难职工 (or 特困职工) on ``day`` when the person is the applicant of a file approved by then and
    not yet exited or closed (legal aid asks this of its applicants)."""
    f = (HardshipFile.objects.filter(applicant=person, status__in=HardshipFile.APPROVED, approved_on__lte=day)
         .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day)).order_by("-approved_on", "-id").first())
    if f is None:
        return []
    until = f.ended_on - datetime.timedelta(days=1) if f.ended_on else None
    return [Qualification(HARDSHIP_WORKER, codes.Grade(f.grade).label if f.grade else "困难职工",
                          f"困难职工档案 {f.number}", until=until)]


# --- Monthly figures ----------------------------------------------------------------------------------

FIGURES = (
    Figure("applications", "新申请", counts_by="申请日期"),
    Figure("approved_hardship", "批准困难职工", counts_by="审批日期"),
    Figure("approved_extreme", "批准特困职工", counts_by="审批日期"),
    Figure("returned", "退回修改", counts_by="审批日期"),
    Figure("rejected", "不予批准", counts_by="审批日期"),
    Figure("exited", "解困脱困", counts_by="脱困日期"),
    Figure("closed", "注销", counts_by="注销日期"),
    Figure("active_hardship", "月末在档困难职工", counts_by="月末状态", kind="distinct", unit="人",
           note="月末在档（已审批、未脱困未注销）且当时类别为困难职工的申请人，按人去重"),
    Figure("active_extreme", "月末在档特困职工", counts_by="月末状态", kind="distinct", unit="人",
           note="月末在档且当时类别为特困职工的申请人，按人去重"),
)


def _bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def monthly_figures(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """The figures of ``FIGURES`` for ``unit`` and everything below it, for the days ``first`` to
    ``last`` (no user scope: the caller has checked the user may see ``unit``). Three queries.

    Events are counted from the files' timelines (the step names); approvals by the grade the
    approval gave. The month-end stock counts the applicants whose file's grade span (``GradeSpan``:
    from approval, changed by a yearly review, ended by exit or closing) covers the last day.
    """
    start, end = _bounds(first, last)
    applications = HardshipFile.objects.filter(org_unit__path__startswith=unit.path, applied_on__gte=first,
                                               applied_on__lte=last).count()
    events = HardshipEvent.objects.filter(file__org_unit__path__startswith=unit.path, at__gte=start, at__lt=end)
    counted = events.aggregate(**EVENT_COUNTS)
    spans = GradeSpan.objects.filter(file__org_unit__path__startswith=unit.path).filter(_in_force(last))
    stock = spans.aggregate(
        active_hardship=Count("file__applicant_id", distinct=True, filter=Q(grade=codes.Grade.HARDSHIP)),
        active_extreme=Count("file__applicant_id", distinct=True, filter=Q(grade=codes.Grade.EXTREME)))
    return {"applications": applications, **counted, **stock}


EVENT_COUNTS = {
    "approved_hardship": Count("pk", filter=Q(kind="approve", data__grade=codes.Grade.HARDSHIP)),
    "approved_extreme": Count("pk", filter=Q(kind="approve", data__grade=codes.Grade.EXTREME)),
    "returned": Count("pk", filter=Q(kind="send_back")),
    "rejected": Count("pk", filter=Q(kind="reject")),
    "exited": Count("pk", filter=Q(kind="exit")),
    "closed": Count("pk", filter=Q(kind="close")),
}


def _in_force(day: datetime.date) -> Q:
    return Q(start__lte=day) & (Q(end__isnull=True) | Q(end__gt=day))


def figure_table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], dict]:
    """``monthly_figures`` for every unit × period at once (``servicecenter.figures.tabulate``): one
    query for the applications, one per pass of periods for the timeline events, one for the
    month-end stock — whatever the number of units and periods. The stock is summed up the tree:
    with one active file per applicant, a person is in force in at most one file on any day, so the
    sum over the units is the distinct count of people."""
    out: dict[tuple[int, int], dict] = {}
    tabulate(HardshipFile.objects.all(), tree, units, periods, into=out, date_field="applied_on",
             additive={"applications": Count("pk")})
    tabulate(HardshipEvent.objects.filter(kind__in=("approve", "send_back", "reject", "exit", "close")), tree, units,
             periods, into=out, unit_field="file__org_unit", date_field="at", additive=EVENT_COUNTS)
    if periods:
        first_last, last_last = min(p.last for p in periods), max(p.last for p in periods)
        candidates = GradeSpan.objects.filter(start__lte=last_last).filter(Q(end__isnull=True) | Q(end__gt=first_last))
        tabulate(candidates, tree, units, periods, into=out, unit_field="file__org_unit", at_end={
            "active_hardship": lambda p: Q(grade=codes.Grade.HARDSHIP) & _in_force(p.last),
            "active_extreme": lambda p: Q(grade=codes.Grade.EXTREME) & _in_force(p.last),
        })
    return out
