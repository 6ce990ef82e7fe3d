"""What the 帮扶资金与物资 app contributes to shared pages, the inbox and the monthly summary
(declared in ``declaration.py``).

- ``person_section``: the person's grants and the goods they received, as far as the user may see;
- ``dashboard_section``: grants waiting for this user's approval, grants waiting to be paid (and
  the money held for them), this year's payments;
- ``inbox_items``: applications to verify (the counter), approved grants to pay (the cashier);
  approvals come from the kernel;
- ``FIGURES`` / ``monthly_figures`` / ``figure_table``: grants paid and their amount by type, the
  households helped (distinct), donations received, goods issued from the help supermarket (件) and
  the people who received them (distinct), budget execution (paid within a budget ÷ the year's
  budgets, a rate).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from servicecenter import access, approvals
from servicecenter.access import role_allows, visible
from servicecenter.figures import Period, UnitTree, tabulate
from servicecenter.inbox import InboxItem
from servicecenter.models import OrgUnit
from servicecenter.registry import Figure, Section

from . import holds, year_close
from .models import Budget, FundSource, Grant, ReliefType, StockMovement, yuan
from .workflow import APPLY, APPROVAL, APPROVE, PAY

S = Grant.Status
SECTION_LIMIT = 20
EXPIRING_DAYS = 7  # the dashboard's and the inbox's "holds expiring" window
LOW_SHOWN = 5


def person_section(person: Any, user: Any) -> Section:
    rows = list(visible(Grant.objects.filter(person=person), user).order_by("-id")[:SECTION_LIMIT])
    from .stock import person_goods

    goods = list(visible(person_goods(person), user).select_related("grant").order_by("-id")[:SECTION_LIMIT])
    return Section(title="帮扶资金与物资", template="funds/section_person.html",
                   context={"grants": rows, "more": len(rows) == SECTION_LIMIT, "goods": goods})


def _yuan(value: Decimal | None) -> Decimal:
    """An amount summed by the database, to the cent (SQLite's SUM of decimals drops the zeros)."""
    return (value or Decimal(0)).quantize(Decimal("0.01"))


def _waiting_approvals(user: Any) -> list[Any]:
    return [a for a in approvals.waiting_for(user) if a.kind == APPROVAL]


def dashboard_section(user: Any) -> Section | None:
    if not access.reads_cases(user):
        return None
    base = visible(Grant.objects.all(), user)
    year = str(timezone.localdate().year)
    to_pay = base.filter(status=S.APPROVED).aggregate(n=Count("id"), held=Sum("amount"))
    paid = base.filter(status=S.PAID, period=year).aggregate(n=Count("id"), amount=Sum("amount"))
    from .stock import low_stock_items

    expiring = holds.expiring_soon(base, EXPIRING_DAYS).aggregate(n=Count("id"), held=Sum("amount"))  # type: ignore[attr-defined]
    low = list(low_stock_items(user).select_related("org_unit").order_by("on_hand", "id")[:LOW_SHOWN + 1])
    return Section(title="帮扶资金与物资", template="funds/dashboard_section.html", url="/funds/", context={
        "approvals": _waiting_approvals(user), "to_pay": to_pay["n"], "held": _yuan(to_pay["held"]),
        "paid_count": paid["n"], "paid_amount": _yuan(paid["amount"]),
        "expiring": expiring["n"], "expiring_held": _yuan(expiring["held"]), "expiring_days": EXPIRING_DAYS,
        "budgets": year_close.budget_use(user, int(year), limit=SECTION_LIMIT),
        "low_stock": low[:LOW_SHOWN], "low_stock_more": len(low) > LOW_SHOWN})


def inbox_items(user: Any) -> list[InboxItem]:
    """Applications to verify at the user's unit (the counter) and approved grants to pay (the
    cashier, whatever unit below). The decisions are the kernel's approval items."""
    if not access.reads_cases(user):
        return []
    items: list[InboxItem] = []
    base = visible(Grant.objects.select_related("person", "org_unit"), user)
    if role_allows(user, APPLY):
        for g in base.filter(org_unit_id=user.org_unit_id, status=S.APPLIED).order_by("id")[:100]:
            items.append(InboxItem(kind="救助申请待核实", title=str(g), url=g.get_absolute_url(), record=g,
                                   since=timezone.make_aware(datetime.datetime.combine(g.applied_on, datetime.time(9))),
                                   unit=str(g.org_unit), app="帮扶资金与物资"))
    soon = timezone.localdate() + datetime.timedelta(days=EXPIRING_DAYS)
    if role_allows(user, PAY):
        for g in base.filter(status=S.APPROVED).order_by("approved_on", "id")[:100]:
            assert g.approved_on is not None
            items.append(InboxItem(kind="救助待发放", title=str(g), url=g.get_absolute_url(), record=g,
                                   since=timezone.make_aware(datetime.datetime.combine(g.approved_on, datetime.time(9))),
                                   due=g.hold_expires_on, urgent=bool(g.hold_expires_on and g.hold_expires_on < soon),
                                   unit=str(g.org_unit), app="帮扶资金与物资"))
    if role_allows(user, APPROVE):  # the approver: holds about to lapse (or lapsed, not yet released)
        for g in (base.filter(status=S.APPROVED, hold_expires_on__lt=soon).filter(access.leads_q(user, APPROVE))
                  .order_by("hold_expires_on", "id")[:100]):
            assert g.approved_on is not None
            items.append(InboxItem(kind="救助冻结即将到期", title=str(g), url=g.get_absolute_url(), record=g,
                                   since=timezone.make_aware(datetime.datetime.combine(g.approved_on, datetime.time(9))),
                                   due=g.hold_expires_on, unit=str(g.org_unit), app="帮扶资金与物资"))
    return items


# --- Monthly figures ----------------------------------------------------------------------------------

FIGURES = (
    Figure("grants_paid", "发放救助", counts_by="发放日期", headline=True),
    *(Figure(f"paid_{t.value}", f"发放{t.label}", counts_by="发放日期") for t in ReliefType),
    Figure("amount_paid", "发放救助金额", counts_by="发放日期", unit="元", headline=True),
    Figure("households_helped", "救助户数", counts_by="发放日期", kind="distinct", unit="户",
           note="当月获发放救助的户（困难职工档案或个人），按户去重"),
    Figure("donations", "接收资金", counts_by="到账日期", unit="元", note="当月到账的各类资金来源金额"),
    Figure("budget_spent", "预算内发放金额", counts_by="发放日期", unit="元",
           note="当期发放、占用年度预算的救助金额，计入预算所属单位"),
    Figure("budget_amount", "年度预算", counts_by="预算年度", unit="元", note="当期所在年度各类救助预算之和"),
    Figure("budget_rate", "预算执行率", kind="rate", unit="%", numerator="budget_spent", denominator="budget_amount",
           note="预算内发放金额 ÷ 年度预算"),
    Figure("goods_issued", "物资发放件数", counts_by="发放日期", note="帮扶超市当月发放出库的物品数量（按计量单位合计）"),
    Figure("goods_recipients", "物资受助人次", counts_by="发放日期", kind="distinct", unit="人",
           note="当月从帮扶超市领取物资的人，按人去重"),
)


def _paid_in(first: datetime.date, last: datetime.date) -> Q:
    return Q(status=S.PAID, paid_on__gte=first, paid_on__lte=last)


def monthly_figures(unit: OrgUnit, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    grants = Grant.objects.filter(org_unit__path__startswith=unit.path).filter(_paid_in(first, last))
    by_type = dict(grants.values_list("relief_type").annotate(n=Count("id")).values_list("relief_type", "n"))
    totals = grants.aggregate(n=Count("id"), amount=Sum("amount"), households=Count("household", distinct=True))
    donations = FundSource.objects.filter(org_unit__path__startswith=unit.path, received_on__gte=first,
                                          received_on__lte=last).aggregate(s=Sum("amount"))["s"]
    spent = Grant.objects.filter(budget__org_unit__path__startswith=unit.path).filter(
        _paid_in(first, last)).aggregate(s=Sum("amount"))["s"]
    budget = Budget.objects.filter(org_unit__path__startswith=unit.path, year=last.year).aggregate(
        s=Sum("amount_cents"))["s"]
    goods = StockMovement.objects.filter(org_unit__path__startswith=unit.path, kind=StockMovement.Kind.ISSUE,
                                         day__gte=first, day__lte=last).aggregate(
        n=Sum("delta"), people=Count("person", distinct=True))
    return {"grants_paid": totals["n"], **{f"paid_{t.value}": by_type.get(t.value, 0) for t in ReliefType},
            "amount_paid": _yuan(totals["amount"]), "households_helped": totals["households"],
            "donations": _yuan(donations), "budget_spent": _yuan(spent),
            "budget_amount": yuan(budget), "goods_issued": -(goods["n"] or 0), "goods_recipients": goods["people"]}


def figure_table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], dict]:
    """``monthly_figures`` for every unit × period at once (``servicecenter.figures.tabulate``): one
    query for the paid grants' additive figures, one per depth for the distinct households, one
    for the money received, one for the goods issued and one per depth for their distinct
    recipients — whatever the number of units and periods."""
    out: dict[tuple[int, int], dict] = {}
    paid = Grant.objects.filter(status=S.PAID)
    tabulate(paid, tree, units, periods, into=out, date_field="paid_on", additive={
        "grants_paid": Count("pk"), "amount_paid": Sum("amount"),
        **{f"paid_{t.value}": Count("pk", filter=Q(relief_type=t.value)) for t in ReliefType}},
        distinct={"households_helped": Count("household", distinct=True)})
    tabulate(FundSource.objects.all(), tree, units, periods, into=out, date_field="received_on",
             additive={"donations": Sum("amount")})
    # Budget execution: the paid grants that used a budget, by the budget's unit; the budgets of
    # the period's year (one query for all periods).
    tabulate(paid.filter(budget__isnull=False), tree, units, periods, into=out, unit_field="budget__org_unit",
             date_field="paid_on", additive={"budget_spent": Sum("amount")})
    tabulate(Budget.objects.all(), tree, units, periods, into=out,
             at_end={"budget_amount": lambda p: Sum("amount_cents", filter=Q(year=p.last.year))})
    tabulate(StockMovement.objects.filter(kind=StockMovement.Kind.ISSUE), tree, units, periods, into=out,
             date_field="day", additive={"goods_issued": Sum("delta")},
             distinct={"goods_recipients": Count("person", distinct=True)})
    for values in out.values():
        for code in ("amount_paid", "donations", "budget_spent"):
            values[code] = _yuan(values.get(code))
        values["budget_amount"] = yuan(values.get("budget_amount"))
        values["goods_issued"] = -(values.get("goods_issued") or 0)
    return out
