"""What 法律援助 and 劳动争议调解 contribute to shared pages, the inbox and the monthly summary.

- ``person_section``: the person's applications and mediations the user may see.
- ``employer_section``: disputes against the employer (applications, mediations), with the counts,
  marked as a repeat offender at ``legalaid.repeat_offender_cases`` or more.
- ``dashboard_section``: reviews due, urgent limitations, assignments due, hearings this week,
  mediations past their limit.
- ``inbox_items``: the handler's applications to review (urgent limitation first), grants waiting
  for a lawyer, mediations past their limit to tell the parties. Decisions waiting for a supervisor
  come from the approvals kernel.
- ``FIGURES`` / ``monthly_figures``: the month's figures; how each is counted is in docs/legalaid.md.
  ``figure_table(tree, units, periods)``: the same for many units and periods in a fixed number of
  queries (roll-ups, statistics, dashboards).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from servicecenter.access import role_allows
from servicecenter.figures import Bucket, Period, UnitTree, tabulate
from servicecenter.inbox import InboxItem
from servicecenter.models import OrgUnit
from servicecenter.registry import Figure, Section

from .declaration import ASSIGN, HANDLE, MEDIATE
from .models import Application, Consultation, ExecutionRecord, Mediation
from .selectors import (
    ASSIGN_CLOCK,
    LIMIT_CLOCK,
    REVIEW_CLOCK,
    applications_for,
    dispute_counts,
    hearings_between,
    mediations_for,
    repeat_threshold,
    urgent_days,
    urgent_q,
    week_bounds,
)

S = Application.Status
SECTION_LIMIT = 20
DASHBOARD_LIMIT = 8
UNDER_REVIEW = (S.DRAFT, S.REVIEW, S.SUPPLEMENT)


def person_section(person: Any, user: Any) -> Section:
    apps = list(applications_for(user).filter(applicant=person).order_by("-received_on", "-id")[:SECTION_LIMIT])
    meds = list(mediations_for(user).filter(workers=person).order_by("-applied_on", "-id")[:SECTION_LIMIT])
    return Section(title="法律援助与劳动争议调解", template="legalaid/section_person.html",
                   context={"applications": apps, "mediations": meds})


def employer_section(employer: Any, user: Any) -> Section:
    apps = list(applications_for(user).filter(employer=employer).order_by("-received_on", "-id")[:SECTION_LIMIT])
    meds = list(mediations_for(user).filter(employer=employer).order_by("-applied_on", "-id")[:SECTION_LIMIT])
    n_apps, n_meds = dispute_counts(user, [employer.pk]).get(employer.pk, (0, 0))
    threshold = repeat_threshold(user)
    return Section(title="涉及本单位的劳动争议", template="legalaid/section_employer.html", context={
        "applications": apps, "mediations": meds, "n_applications": n_apps, "n_mediations": n_meds,
        "total": n_apps + n_meds, "repeat": n_apps + n_meds >= threshold, "threshold": threshold})


def dashboard_section(user: Any) -> Section | None:
    """The dashboard card for users who handle legal aid. ``context``: counts and short lists of
    reviews due (running review clocks due within the due-soon days or overdue), urgent
    limitations, grants waiting for a lawyer, hearings this week and mediations past their limit."""
    if not role_allows(user, HANDLE):
        return None
    from servicecenter.clocks import due_soon_days

    today = timezone.localdate()
    soon = due_soon_days(user.org_unit if user.org_unit_id else None)
    apps = applications_for(user)
    reviews = apps.filter(status=S.REVIEW).filter(REVIEW_CLOCK.overdue_q(today) | REVIEW_CLOCK.due_soon_q(today, soon))
    urgent = apps.filter(urgent_q(today, urgent_days(user)))
    assign = apps.filter(status=S.GRANTED)
    first, last = week_bounds(today)
    hearings = hearings_between(user, first, last)
    limits = mediations_for(user).filter(LIMIT_CLOCK.overdue_q(today), status=Mediation.Status.OPEN,
                                         parties_notified_on__isnull=True)
    return Section(title="法律援助与劳动争议调解", template="legalaid/dashboard_section.html", url="/legalaid/", context={
        "reviews": list(reviews.order_by("review_due_date", "pk")[:DASHBOARD_LIMIT]), "reviews_count": reviews.count(),
        "urgent": list(urgent.order_by("limitation_ends_on", "pk")[:DASHBOARD_LIMIT]), "urgent_count": urgent.count(),
        "assign": list(assign.order_by("assign_due_date", "pk")[:DASHBOARD_LIMIT]), "assign_count": assign.count(),
        "assign_overdue": assign.filter(ASSIGN_CLOCK.overdue_q(today)).count(),
        "hearings": list(hearings[:DASHBOARD_LIMIT]), "hearings_count": hearings.count(),
        "limits_count": limits.count(), "due_soon_days": soon, "urgent_days": urgent_days(user),
    })


def inbox_items(user: Any) -> list[InboxItem]:
    """What waits for this user: applications they handle that are under review (urgent limitation
    at the top), grants in their scope waiting for a lawyer, mediations past their limit. Three
    queries."""
    today = timezone.localdate()
    items: list[InboxItem] = []
    if role_allows(user, HANDLE):
        days = urgent_days(user)
        mine = applications_for(user).filter(handler=user, status__in=UNDER_REVIEW).order_by("received_on", "pk")
        for a in mine[:200]:
            urgent = a.limitation_ends_on is not None and a.limitation_ends_on <= today + datetime.timedelta(days=days)
            kind = {S.DRAFT: "法律援助申请待补全", S.REVIEW: "法律援助申请待审查",
                    S.SUPPLEMENT: "法律援助申请待补充材料"}[S(a.status)]
            if urgent:
                kind = f"时效紧急（{a.limitation_ends_on:%Y-%m-%d}届满）：" + kind
            items.append(InboxItem(kind=kind, title=a.number, url=a.get_absolute_url(),
                                   since=_aware(a.completed_on or a.received_on),
                                   due=a.limitation_ends_on if urgent else a.review_due_date,
                                   unit=str(a.org_unit), app="法律援助", urgent=urgent))
    if role_allows(user, ASSIGN):
        for a in applications_for(user).filter(status=S.GRANTED).order_by("assign_due_date", "pk")[:200]:
            items.append(InboxItem(kind="已批准援助，待指派律师", title=a.number, url=a.get_absolute_url(),
                                   since=_aware(a.decided_on or a.received_on), due=a.assign_due_date,
                                   unit=str(a.org_unit), app="法律援助"))
    if role_allows(user, MEDIATE):
        limits = mediations_for(user).filter(LIMIT_CLOCK.overdue_q(today), status=Mediation.Status.OPEN,
                                             parties_notified_on__isnull=True).order_by("limit_due_date", "pk")
        for m in limits[:200]:
            items.append(InboxItem(kind="调解期满未达成协议，待告知可申请仲裁", title=m.number,
                                   url=m.get_absolute_url(), since=_aware(m.applied_on), due=m.limit_due_date,
                                   unit=str(m.org_unit), app="劳动争议调解"))
    return items


def _aware(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(8, 0)))


# --- the monthly figures --------------------------------------------------------------------------------

CLOSURE_NOTE = "调解办结率 = 当月受理的调解案件中月末前已调结（达成协议或调解不成终止）的件数 ÷ 当月受理的调解件数"
EXECUTION_NOTE = "调解协议执行率 = 履行期限在当月届满的调解协议中月末前已全部履行的件数 ÷ 履行期限在当月届满的调解协议件数"

FIGURES = (
    Figure("consultations", "法律咨询", counts_by="咨询时间", unit="人次"),
    Figure("applications", "受理法律援助申请", counts_by="受理日期"),
    Figure("granted", "批准援助", counts_by="审批日期"),
    Figure("refused", "不予援助", counts_by="审批日期"),
    Figure("closed", "法律援助结案", counts_by="结案日期"),
    Figure("recovered_aid", "法律援助为职工挽回经济损失", counts_by="结案日期", unit="元",
           note="结案时登记的职工实际到手金额之和（不是请求金额，也不是裁判/协议金额）"),
    Figure("mediations", "受理劳动争议调解", counts_by="申请日期"),
    Figure("mediations_concluded", "当月受理当月调结", counts_by="申请日期"),
    Figure("agreements", "达成调解协议", counts_by="协议日期"),
    Figure("agreements_due", "调解协议履行期限届满", counts_by="履行期限"),
    Figure("executed", "其中已全部履行", counts_by="履行期限"),
    Figure("recovered_mediation", "调解为职工挽回经济损失", counts_by="履行登记日期", unit="元",
           note="当月登记的调解协议履行中职工实际到手的金额（每次登记只计新到手的部分）"),
    Figure("recovered", "挽回经济损失合计", counts_by="结案日期/履行登记日期", unit="元", headline=True,
           note="法律援助与调解两项实际到手金额之和：挽回经济损失一律按职工实际到手计算"),
    Figure("closure_rate", "调解办结率", kind="rate", unit="%", numerator="mediations_concluded",
           denominator="mediations", note=CLOSURE_NOTE),
    Figure("execution_rate", "调解协议执行率", kind="rate", unit="%", numerator="executed",
           denominator="agreements_due", note=EXECUTION_NOTE),
)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _money(value: Any) -> Decimal:
    return (value or Decimal("0")).quantize(Decimal("0.01"))


def monthly_figures(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """``FIGURES`` for ``unit`` and everything below it, the days ``first`` to ``last`` (no user
    scope: the caller has checked the user may see ``unit``). Eight queries whatever the units."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    below = {"org_unit__path__startswith": unit.path}
    consultations = Consultation.objects.filter(**below, at__gte=start, at__lt=end).count()
    apps = Application.objects.filter(**below)
    received = apps.filter(received_on__range=(first, last)).count()
    decided = apps.filter(decided_on__range=(first, last)).aggregate(
        granted=Count("pk", filter=~Q(status=S.REFUSED)), refused=Count("pk", filter=Q(status=S.REFUSED)))
    closed = apps.filter(status=S.CLOSED, closed_on__range=(first, last)).aggregate(
        closed=Count("pk"), recovered=Sum("amount_received"))
    meds = Mediation.objects.filter(**below)
    accepted = meds.filter(applied_on__range=(first, last)).aggregate(
        mediations=Count("pk"),
        concluded=Count("pk", filter=Q(agreed_on__lte=last) | Q(failed_on__lte=last)))
    agreements = meds.filter(agreed_on__range=(first, last)).count()
    due = meds.filter(pay_by__range=(first, last), agreed_on__isnull=False).aggregate(
        due=Count("pk"), executed=Count("pk", filter=Q(executed_on__lte=last)))
    paid = ExecutionRecord.objects.filter(mediation__org_unit__path__startswith=unit.path,
                                          recorded_on__range=(first, last)).aggregate(paid=Sum("received"))["paid"]
    out: dict[str, Any] = {
        "consultations": consultations, "applications": received, "granted": decided["granted"],
        "refused": decided["refused"], "closed": closed["closed"], "recovered_aid": _money(closed["recovered"]),
        "mediations": accepted["mediations"], "mediations_concluded": accepted["concluded"],
        "agreements": agreements, "agreements_due": due["due"], "executed": due["executed"],
        "recovered_mediation": _money(paid),
    }
    out["recovered"] = out["recovered_aid"] + out["recovered_mediation"]
    out["closure_rate"] = _rate(out["mediations_concluded"], out["mediations"])
    out["execution_rate"] = _rate(out["executed"], out["agreements_due"])
    return out


def figure_table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], dict]:
    """``monthly_figures`` for every unit × period at once (``servicecenter.figures.tabulate``):
    per pass of non-overlapping periods one query per record kind and date — consultations,
    applications received, decided, closed, mediations applied for, agreed, due, execution
    recordings (eight) — whatever the number of units and periods."""

    def concluded_by_period_end(bucket: Bucket) -> Count:
        return Count("pk", filter=Q(agreed_on__lt=bucket.end) | Q(failed_on__lt=bucket.end))

    def executed_by_period_end(bucket: Bucket) -> Count:
        return Count("pk", filter=Q(executed_on__lt=bucket.end))

    out: dict[tuple[int, int], dict] = {}  # each tabulate call adds its codes to the same cells
    tabulate(Consultation.objects.all(), tree, units, periods, into=out, date_field="at",
             additive={"consultations": Count("pk")})
    apps = Application.objects.all()
    tabulate(apps, tree, units, periods, into=out, date_field="received_on", additive={"applications": Count("pk")})
    tabulate(apps, tree, units, periods, into=out, date_field="decided_on", additive={
        "granted": Count("pk", filter=~Q(status=S.REFUSED)), "refused": Count("pk", filter=Q(status=S.REFUSED))})
    tabulate(apps.filter(status=S.CLOSED), tree, units, periods, into=out, date_field="closed_on", additive={
        "closed": Count("pk"), "recovered_aid": Sum("amount_received")})
    meds = Mediation.objects.all()
    tabulate(meds, tree, units, periods, into=out, date_field="applied_on", additive={
        "mediations": Count("pk"), "mediations_concluded": concluded_by_period_end})
    tabulate(meds, tree, units, periods, into=out, date_field="agreed_on", additive={"agreements": Count("pk")})
    tabulate(meds.filter(agreed_on__isnull=False), tree, units, periods, into=out, date_field="pay_by", additive={
        "agreements_due": Count("pk"), "executed": executed_by_period_end})
    tabulate(ExecutionRecord.objects.all(), tree, units, periods, into=out, unit_field="mediation__org_unit",
             date_field="recorded_on", additive={"recovered_mediation": Sum("received")})
    for values in out.values():
        # Sums arrive as Decimals (or the 0 a cell starts with); the core rounds money to cents.
        values["recovered_aid"] = _money(values["recovered_aid"])
        values["recovered_mediation"] = _money(values["recovered_mediation"])
        values["recovered"] = values["recovered_aid"] + values["recovered_mediation"]
    return out
