"""What the 信访接待 app contributes to shared pages, the inbox and the monthly summary (declared
in ``apps.py``).

- ``person_section(person, user)``: the person's petitions the user may see. A confidential case
  is listed only to those who may see its complainant, or the person page would name them.
- ``employer_section(employer, user)``: petitions about the employer and notices issued to it.
- ``dashboard_section(user)``: today's visits, my open cases, overdue, due soon, escalations.
- ``inbox_items(user)``: escalations to acknowledge and unsatisfied follow-ups to review.
- ``employer_flags(employer_ids)``: employers with open wage-arrears petitions (欠薪), a flag other
  apps show on job postings and referrals (no complainant, only the count);
- ``FIGURES`` / ``monthly_figures(unit, first, last)``: the month's figures for ``unit`` and
  everything below it; ``figure_table(tree, units, periods)`` the same for many units and periods
  in a fixed number of queries (roll-ups, statistics, dashboards); ``BREAKDOWNS`` /
  ``monthly_breakdowns`` the cases received by category and by channel (the paper 汇总表's rows);
  ``month_summary(unit, year, month)`` is the figures and the breakdowns together.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from servicecenter.access import role_allows
from servicecenter.figures import Bucket, Period, UnitTree, tabulate
from servicecenter.inbox import InboxItem
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.registry import Breakdown, EmployerFlag, Figure, Section

from .confidentiality import complainant, identity_q
from .models import Category, FollowUp, Notice, Petition
from .selectors import (
    CLOCK,
    due_soon_days,
    due_soon_q,
    escalation_inbox,
    notices_for,
    overdue_open_q,
    pending_follow_ups,
    petitions_for,
    reviews_awaiting,
    submission_queue,
    task_targets_received,
)
from .workflow import HANDLE

if TYPE_CHECKING:
    from .selectors import ListedPetition

SECTION_LIMIT = 20
DASHBOARD_LIMIT = 8


def person_section(person: Person, user: User) -> Section:
    qs = petitions_for(user).filter(identity_q(user), person=person).order_by("-received_at")
    rows = list(qs[:SECTION_LIMIT])
    return Section(title="信访接待", template="petitions/section_petitions.html",
                   context={"petitions": rows, "more": len(rows) == SECTION_LIMIT, "show_person": False})


def employer_section(employer: Employer, user: User) -> Section:
    rows = list(petitions_for(user).filter(employer=employer).order_by("-received_at")[:SECTION_LIMIT])
    for p in rows:
        p.complainant = complainant(p, user, shown=p.identity_shown)
    notices = list(notices_for(user).filter(employer=employer).order_by("-issued_on")[:SECTION_LIMIT])
    return Section(title="信访接待与维权通知书", template="petitions/section_employer.html",
                   context={"petitions": rows, "notices": notices, "show_person": True})


def _with_complainants(rows: list[ListedPetition], user: User) -> list[ListedPetition]:
    for p in rows:
        p.complainant = complainant(p, user, shown=p.identity_shown)
    return rows


def dashboard_section(user: User) -> Section | None:
    """The dashboard card. ``context`` holds:

    - ``today_visits`` (int): petitions received today in the user's scope;
    - ``my_open`` (list, ≤ 8) and ``my_open_count``: open cases the user handles;
    - ``overdue`` (list, ≤ 8) and ``overdue_count``: open cases past their due date;
    - ``due_soon`` (list, ≤ 8), ``due_soon_count`` and ``due_soon_days`` (the parameter);
    - ``escalations`` (list of ``Escalation``, supervisors only): group/urgent cases awaiting
      this unit's acknowledgement;
    - ``reviews`` (list of ``FollowUp``, supervisors only): unsatisfied follow-ups to decide;
    - ``follow_ups_count``: closed cases waiting for their follow-up visit;
    - ``tasks_pending`` (int): 交办事项 addressed to the user's unit not yet reported.
    - ``can_intake`` / ``handles`` and ``submissions_waiting``: the 受理登记 card and the online
      submissions waiting, for those who log matters; a role that does not handle petitions sees no
      card it cannot use (the auditor reads the deadline lists; the accountant and the cashier get
      no petition section at all).
    Each petition in the lists carries ``.complainant`` (masked where it must be).
    """
    handles = role_allows(user, HANDLE)
    if not handles and not role_allows(user, "petitions.export"):
        return None
    today = timezone.localdate()
    base = petitions_for(user)
    days = due_soon_days(user)
    mine = base.filter(handler_id=user.pk, status__in=Petition.OPEN_STATES).order_by("due_date")
    overdue = base.filter(overdue_open_q(today)).order_by("due_date")
    soon = base.filter(due_soon_q(days, today)).order_by("due_date")
    supervisor = role_allows(user, "petitions.acknowledge")
    context = {
        "today_visits": base.filter(accepted_on=today).count(),
        "my_open": _with_complainants(list(mine[:DASHBOARD_LIMIT]), user),
        "my_open_count": mine.count(),
        "overdue": _with_complainants(list(overdue[:DASHBOARD_LIMIT]), user),
        "overdue_count": overdue.count(),
        "due_soon": _with_complainants(list(soon[:DASHBOARD_LIMIT]), user),
        "due_soon_count": soon.count(),
        "due_soon_days": days,
        "escalations": list(escalation_inbox(user)) if supervisor else [],
        "reviews": list(reviews_awaiting(user)) if supervisor else [],
        "follow_ups_count": pending_follow_ups(user).count(),
        "tasks_pending": task_targets_received(user).filter(status="pending").count() if handles else 0,
        "is_supervisor": supervisor,
        "user_pk": user.pk,
        "handles": handles,
        "can_intake": role_allows(user, "petitions.intake"),
        "submissions_waiting": submission_queue(user).count() if role_allows(user, "petitions.intake") else 0,
    }
    return Section(title="信访接待", template="petitions/dashboard_section.html", context=context, url="/petitions/")


def inbox_items(user: User) -> list[InboxItem]:
    """Escalations waiting for the user's unit (one query) and unsatisfied follow-ups on cases the
    user leads (one query)."""
    items = [InboxItem(kind="群体性/紧急信访待签收", title=e.petition.number,
                       url=e.petition.get_absolute_url(), since=e.created_at, due=e.petition.due_date,
                       unit=str(e.petition.org_unit), app="信访接待", urgent=True, record=e.petition)
             for e in escalation_inbox(user)]
    items += [InboxItem(kind="回访不满意待复核", title=fu.petition.number, url=fu.petition.get_absolute_url(),
                        since=fu.done_at or fu.created_at, unit=str(fu.petition.org_unit), app="信访接待",
                        record=fu.petition)
              for fu in reviews_awaiting(user)]
    return items


WAGE_ARREARS = "工资报酬/拖欠工资"


def employer_flags(employer_ids: list[int]) -> dict[int, list[EmployerFlag]]:
    """Employers with open petitions of the wage-arrears category, in one query. Whoever sees the
    employer sees the flag: it names no complainant and no case, only how many are open."""
    rows = (Petition.objects.filter(employer_id__in=employer_ids, status__in=Petition.OPEN_STATES,
                                    category__name=WAGE_ARREARS)
            .values_list("employer_id").annotate(n=Count("pk")).order_by())
    return {pk: [EmployerFlag("欠薪", f"有{n}件未办结的拖欠工资信访")] for pk, n in rows}


FIGURES = (
    Figure("received", "受理件数", counts_by="受理时间", headline=True,
           note="按受理单位统计：上报上级的事项仍计入受理它的服务站"),
    Figure("complainants", "来访人数（去重）", counts_by="受理时间", kind="distinct", unit="人",
           note="登记职工按人去重，仅留姓名电话的按电话去重，匿名事项每件计一人"),
    Figure("group", "群体性信访", counts_by="受理时间"),
    Figure("anonymous", "匿名事项", counts_by="受理时间"),
    Figure("hotline_12351", "12351热线工单", counts_by="受理时间"),
    Figure("online", "网上受理", counts_by="受理时间"),
    Figure("received_closed", "当月受理当月办结", counts_by="受理时间"),
    Figure("closed", "办结件数", counts_by="办结时间"),
    Figure("closed_on_time", "按期办结", counts_by="办结时间"),
    Figure("overdue_open", "月末逾期未办结", counts_by="月末状态", headline=True,
           note="统计期最后一日仍未办结且已过办结期限的件数"),
    Figure("follow_ups", "回访件数", counts_by="回访时间"),
    Figure("satisfied_or_fairly", "满意和基本满意", counts_by="回访时间"),
    Figure("unsatisfied", "不满意", counts_by="回访时间"),
    Figure("notices", "发出维权建议书/整改书", counts_by="发出日期", unit="份"),
    Figure("recovered", "挽回经济损失", counts_by="办结时间", unit="元", note="当月办结事项办结报告所填金额之和"),
    Figure("closure_rate", "办结率", kind="rate", unit="%", numerator="received_closed", denominator="received",
           note="当月受理且月末前办结的件数 ÷ 当月受理件数", headline=True),
    Figure("on_time_rate", "按期办结率", kind="rate", unit="%", numerator="closed_on_time", denominator="closed",
           note="当月办结中未逾期的件数 ÷ 当月办结件数"),
    Figure("satisfaction_rate", "回访满意率", kind="rate", unit="%", numerator="satisfied_or_fairly",
           denominator="follow_ups", note="（满意 + 基本满意）÷ 当月回访件数", headline=True),
)

BREAKDOWNS = (
    Breakdown("by_category", "受理件数（按问题类别）", headline=True),
    Breakdown("by_channel", "受理件数（按来访形式）"),
)


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _bounds(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def monthly_figures(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """The figures of ``FIGURES`` for ``unit`` and everything below it, for the days ``first`` to
    ``last`` (no user scope: the caller has already checked the user may see ``unit``). Five
    queries whatever the number of units.

    Receipts (受理, 来访人数, 群体性, 匿名, 12351, 网上, 当月受理当月办结) count by the unit that
    received the case — a station keeps what it received after sending it up; closing, overdue,
    follow-ups, notices and money recovered count by the unit that owns the case."""
    start, end = _bounds(first, last)
    subtree = Petition.objects.filter(org_unit__path__startswith=unit.path)
    # What a unit received stays its own after 上报: receipts count by the receiving unit.
    received_here = Petition.objects.filter(received_unit__path__startswith=unit.path)
    Identity = Petition.Identity
    received = received_here.filter(received_at__gte=start, received_at__lt=end).aggregate(
        received=Count("pk"),
        people=Count("person_id", distinct=True),
        callers=Count("caller_phone", distinct=True, filter=Q(identity=Identity.PARTIAL)),
        anonymous=Count("pk", filter=Q(identity=Identity.ANONYMOUS)),
        group=Count("pk", filter=Q(is_group=True)),
        hotline_12351=Count("pk", filter=Q(channel=Petition.Channel.HOTLINE_12351)),
        online=Count("pk", filter=Q(channel=Petition.Channel.ONLINE)),
        received_closed=Count("pk", filter=Q(closed_at__lt=end)),
    )
    received["complainants"] = received.pop("people") + received.pop("callers") + received["anonymous"]
    closed = subtree.filter(closed_at__gte=start, closed_at__lt=end).aggregate(
        closed=Count("pk"), closed_on_time=Count("pk", filter=Q(late_from__isnull=True)),
        recovered=Sum("recovered_amount"))
    closed["recovered"] = (closed["recovered"] or Decimal("0")).quantize(Decimal("0.01"))
    # Open at the end of the last day and late by then (the due day itself is not late).
    overdue_open = subtree.filter(received_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end), CLOCK.overdue_ever_q(last)).count()
    follow_ups = FollowUp.objects.filter(petition__org_unit__path__startswith=unit.path,
                                         status=FollowUp.Status.DONE, done_at__gte=start, done_at__lt=end)
    sat = follow_ups.aggregate(
        follow_ups=Count("pk"),
        satisfied=Count("pk", filter=Q(satisfaction=FollowUp.Satisfaction.SATISFIED)),
        fairly=Count("pk", filter=Q(satisfaction=FollowUp.Satisfaction.FAIRLY)),
        unsatisfied=Count("pk", filter=Q(satisfaction=FollowUp.Satisfaction.UNSATISFIED)),
    )
    notices = Notice.objects.filter(petition__org_unit__path__startswith=unit.path,
                                    issued_on__gte=first, issued_on__lte=last).count()
    out = {**received, **closed, "overdue_open": overdue_open, **sat,
           "satisfied_or_fairly": sat["satisfied"] + sat["fairly"], "notices": notices}
    out["closure_rate"] = _rate(out["received_closed"], out["received"])
    out["on_time_rate"] = _rate(out["closed_on_time"], out["closed"])
    out["satisfaction_rate"] = _rate(out["satisfied_or_fairly"], out["follow_ups"])
    return out


def figure_table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], dict]:
    """``monthly_figures`` for every unit × period at once (``servicecenter.figures.tabulate``):
    one query per record kind and date, one per depth for the distinct complainants, one for the
    overdue-at-period-end counts — whatever the number of units and periods."""

    def closed_by_period_end(bucket: Bucket) -> Count:
        return Count("pk", filter=Q(closed_at__lt=bucket.end))

    def overdue_at_end(period: Period) -> Q:
        start, end = period.bounds(moments=True)
        return Q(received_at__lt=end) & (Q(closed_at__isnull=True) | Q(closed_at__gte=end)) & CLOCK.overdue_ever_q(
            period.last)

    out: dict[tuple[int, int], dict] = {}  # each tabulate call adds its codes to the same cells
    tabulate(Petition.objects.all(), tree, units, periods, into=out, date_field="received_at", additive={
        "received": Count("pk"), "group": Count("pk", filter=Q(is_group=True)),
        "received_closed": closed_by_period_end,
    }, distinct={"complainants": Count("person_id", distinct=True)})
    tabulate(Petition.objects.all(), tree, units, periods, into=out, date_field="closed_at", additive={
        "closed": Count("pk"), "closed_on_time": Count("pk", filter=Q(late_from__isnull=True))})
    # Only cases that can be open and late at some period's end: received before the last end,
    # not closed before the first one, late by the last day.
    tabulate(_overdue_candidates(periods), tree, units, periods, into=out, at_end={"overdue_open": overdue_at_end})
    tabulate(FollowUp.objects.filter(status=FollowUp.Status.DONE), tree, units, periods, into=out,
             unit_field="petition__org_unit", date_field="done_at", additive={
                 "follow_ups": Count("pk"),
                 "satisfied_or_fairly": Count("pk", filter=Q(satisfaction__in=[
                     FollowUp.Satisfaction.SATISFIED, FollowUp.Satisfaction.FAIRLY])),
                 "unsatisfied": Count("pk", filter=Q(satisfaction=FollowUp.Satisfaction.UNSATISFIED)),
             })
    tabulate(Notice.objects.all(), tree, units, periods, into=out, unit_field="petition__org_unit",
             date_field="issued_on", additive={"notices": Count("pk")})
    return out


def _overdue_candidates(periods: Sequence[Period]) -> Any:
    if not periods:
        return Petition.objects.none()
    first_end = min(p.bounds(moments=True)[1] for p in periods)
    last_end = max(p.bounds(moments=True)[1] for p in periods)
    last_day = max(p.last for p in periods)
    return Petition.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=first_end),
                                   received_at__lt=last_end, late_from__lte=last_day)


def monthly_breakdowns(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, dict[str, int]]:
    """The cases received in the period by problem category and by channel (two queries); every
    category and channel is listed, with 0 where there was none, so the form's rows do not move."""
    start, end = _bounds(first, last)
    received = Petition.objects.filter(org_unit__path__startswith=unit.path, received_at__gte=start,
                                       received_at__lt=end)
    channel_labels = dict(Petition.Channel.choices)
    by_channel = {str(label): 0 for label in channel_labels.values()}
    for code, n in received.values_list("channel").annotate(n=Count("pk")).order_by():
        by_channel[str(channel_labels.get(code, code))] = n
    by_category = dict.fromkeys(Category.objects.filter(is_active=True).values_list("name", flat=True), 0)
    by_category.update(received.values_list("category__name").annotate(n=Count("pk")).order_by())
    return {"by_category": by_category, "by_channel": by_channel}


def month_summary(unit: OrgUnit, year: int, month: int) -> dict[str, Any]:
    """The month's figures (``monthly_figures``) for ``unit`` and everything below it, with the
    breakdowns by channel and category.

    received, by_channel / by_category ({label: count}), group (群体性), closed (closed in the
    month), closed_on_time, on_time_rate (% of closed), received_closed (received in the month and
    closed by its end), closure_rate (% of received), overdue_open (open past due at month end),
    follow_ups, satisfied / fairly / unsatisfied, satisfaction_rate (满意+基本满意, % of follow-ups),
    notices. Rates are ``Decimal`` percentages with one decimal, or None when there is nothing to
    divide by.
    """
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    start, end = _bounds(first, last)
    received = Petition.objects.filter(received_unit__path__startswith=unit.path, received_at__gte=start,
                                       received_at__lt=end)
    channel_labels = dict(Petition.Channel.choices)
    by_channel = dict.fromkeys(channel_labels.values(), 0)
    for code, n in received.values_list("channel").annotate(n=Count("pk")).order_by():
        by_channel[channel_labels.get(code, code)] = n
    by_category = dict(received.values_list("category__name").annotate(n=Count("pk")).order_by("category__order"))
    return {"unit": unit.name, "year": year, "month": month, **monthly_figures(unit, first, last),
            "by_channel": by_channel, "by_category": by_category}
