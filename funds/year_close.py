"""年度结账 (issue 12 item 7: "a year close that freezes the year's figures"), and what budgets have
used (the dashboard's card).

The accountant (``funds.manage``) closes an ended year for a unit in scope: the year's figures of
the unit and everything below it are computed once and frozen as canonical JSON with their
SHA-256 (``servicecenter.figures.to_json`` / ``digest``, the helpers that freeze the monthly
summaries). ``verify`` re-hashes the stored figures. After the close, nothing dated in that year
may be recorded at the unit or below it: a fund source received, a grant paid, a budget set
(``refuse_if_closed``, called by the services; the refusal is at the date's field). A correction
of a closed year's entry is a reversal, posted now — in the open year; the frozen figures stay.

Frozen figures: money received per source kind (count, amount, by 到账日期); per relief type the
grants paid (count, distinct households, amount, by 发放日期); allocations out and in (by the
entry's posting time); and each account's balance and holds at the year's end (the sum of its
entries posted before the next 1 January).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from servicecenter import access, audit, figures

from .ledger import guarded
from .models import Budget, FundAccount, FundSource, Grant, LedgerEntry, ReliefType, YearClose, yuan
from .workflow import MANAGE

if TYPE_CHECKING:
    from servicecenter.models import OrgUnit, User

ZERO = Decimal("0.00")
K = LedgerEntry.Kind


def _fail(message: str, field: str | None = None, code: str = "invalid") -> None:
    raise ValidationError({field: message} if field else message, code=code)


# --- closed years ---------------------------------------------------------------------------------------


def closed(unit: OrgUnit, year: int) -> YearClose | None:
    """The close that covers ``unit`` for ``year`` (its own or one of a unit above), if any."""
    return (YearClose.objects.select_related("org_unit").filter(org_unit__path__in=unit.ancestor_paths(), year=year)
            .order_by("org_unit__depth").first())


def refuse_if_closed(unit: OrgUnit, day: datetime.date | int, field: str, what: str) -> None:
    """A Chinese refusal at ``field`` when ``day``'s year is closed for ``unit``."""
    year = day if isinstance(day, int) else day.year
    yc = closed(unit, year)
    if yc is not None:
        _fail(f"{yc.org_unit}{year}年度已结账，不能再登记该年度的{what}；请按本年度日期办理"
              "（更正已结账年度的分录请冲正，冲正记入本年度）。", field, "closed")


# --- the year's figures --------------------------------------------------------------------------------


def _bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    return (datetime.datetime(year, 1, 1, tzinfo=tz), datetime.datetime(year + 1, 1, 1, tzinfo=tz))


def compute(unit: OrgUnit, year: int) -> dict[str, Any]:
    """The year's figures of ``unit`` and everything below it (six queries)."""
    sub = Q(org_unit__path__startswith=unit.path)
    start, end = _bounds(year)
    cent = Decimal("0.01")
    kinds: dict[str, dict[str, Any]] = {
        r["kind"]: dict(r) for r in FundSource.objects.filter(sub, received_on__year=year).values("kind")
        .annotate(n=Count("id"), amount=Sum("amount")).order_by()}
    received: dict[str, dict[str, Any]] = {
        k: {"label": str(label), "count": kinds.get(k, {}).get("n", 0),
            "amount": (kinds.get(k, {}).get("amount") or ZERO).quantize(cent)}
        for k, label in FundSource.Kind.choices}
    paid = Grant.objects.filter(sub, status=Grant.Status.PAID, paid_on__year=year)
    rows: dict[str, dict[str, Any]] = {
        r["relief_type"]: dict(r) for r in paid.values("relief_type")
        .annotate(n=Count("id"), households=Count("household", distinct=True), amount=Sum("amount")).order_by()}
    grants: dict[str, dict[str, Any]] = {
        t: {"label": str(label), "count": rows.get(t, {}).get("n", 0), "households": rows.get(t, {}).get("households", 0),
            "amount": (rows.get(t, {}).get("amount") or ZERO).quantize(cent)}
        for t, label in ReliefType.choices}
    households = paid.aggregate(n=Count("household", distinct=True))["n"]
    alloc = dict(LedgerEntry.objects.filter(sub, kind__in=[K.ALLOCATION_OUT, K.ALLOCATION_IN], at__gte=start,
                                            at__lt=end).values_list("kind").annotate(s=Sum("balance_delta"))
                 .values_list("kind", "s").order_by())
    sums = {r["account_id"]: r for r in LedgerEntry.objects.filter(sub, at__lt=end).values("account_id")
            .annotate(b=Sum("balance_delta"), h=Sum("held_delta")).order_by()}
    accounts: list[dict[str, Any]] = [{"account": a.pk, "unit": a.org_unit.code, "unit_name": a.org_unit.name, "source": a.source.number,
                 "kind": a.source.get_kind_display(), "balance": yuan(sums[a.pk]["b"]), "held": yuan(sums[a.pk]["h"])}
                for a in FundAccount.objects.filter(sub, pk__in=list(sums)).select_related("org_unit", "source")
                .order_by("org_unit__path", "id")]
    return {
        "received": received,
        "received_total": sum((r["amount"] for r in received.values()), ZERO),
        "grants": grants,
        "grants_total": {"count": sum(r["count"] for r in grants.values()), "households": households,
                         "amount": sum((r["amount"] for r in grants.values()), ZERO)},
        "allocations": {"out": yuan(-(alloc.get(K.ALLOCATION_OUT) or 0)), "in": yuan(alloc.get(K.ALLOCATION_IN) or 0)},
        "accounts": accounts,
        "balance_total": sum((a["balance"] for a in accounts), ZERO),
    }


def payload(yc: YearClose) -> dict[str, Any]:
    """What the hash covers: whose figures, which year, the figures."""
    return {"unit": yc.org_unit.code, "year": yc.year, "figures": yc.figures}


def verify(yc: YearClose) -> bool:
    """Whether the stored figures still match the hash taken at the close."""
    return bool(yc.sha256) and figures.digest(payload(yc)) == yc.sha256


@guarded("funds.year_close")
def year_close(*, by: User, org_unit: OrgUnit | None, year: Any) -> YearClose:
    """年度结账: freeze the ended ``year``'s figures of ``org_unit`` (and below); afterwards nothing
    dated in that year is recorded there."""
    access.require(by, MANAGE)
    if org_unit is None or not access.scope_units(by).filter(pk=org_unit.pk).exists():
        _fail("请从列表中选择本单位或下级单位。", "org_unit")
    assert org_unit is not None
    try:
        year = int(str(year).strip())
    except (TypeError, ValueError):
        _fail("请填写年度，例如 2025。", "year")
    today = timezone.localdate()
    if not 2000 <= year <= 2100:
        _fail("请填写年度，例如 2025。", "year")
    if year >= today.year:
        _fail(f"只能结账已结束的年度（{year}年度尚未结束）。", "year")
    done = closed(org_unit, year)
    if done is not None:
        _fail(f"{done.org_unit}{year}年度已结账（{timezone.localtime(done.closed_at):%Y-%m-%d %H:%M}），不能重复结账。",
              "year", "closed")
    data = figures.to_json(compute(org_unit, year))
    yc = YearClose(org_unit=org_unit, year=year, figures=data, closed_by=by)
    yc.sha256 = figures.digest(payload(yc))
    try:
        with transaction.atomic():
            yc.save()
    except IntegrityError:  # closed by someone else at the same moment
        _fail(f"{org_unit}{year}年度已结账，不能重复结账。", "year", "closed")
    audit.record(audit.Event.STATE, user=by, target=yc, action="funds.year_close",
                 detail=f"{org_unit}{year}年度结账", new={"year": year, "sha256": yc.sha256})
    return yc


# --- budgets used (the dashboard) ------------------------------------------------------------------------


def budget_use(user: User, year: int, limit: int = 20) -> list[dict[str, Any]]:
    """Each budget of ``year`` in the user's scope: amount, committed (reserved or paid) and the
    share used (%, one decimal) — one query."""
    rows = access.visible(Budget.objects.filter(year=year).select_related("org_unit"), user).order_by(
        "org_unit__path", "relief_type")[:limit]
    return [{"budget": b, "amount": b.amount, "committed": b.committed,
             "used": figures.rate(b.committed_cents, b.amount_cents)} for b in rows]
