"""Issue 12 "Bad input", one row each: a Chinese refusal, nothing changes (money, holds, grants,
stock, ledger), and the refusal is in the audit log under the service's action."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from funds import ledger, services, stock
from funds.models import FundAccount, FundSource, Grant, LedgerEntry, ReliefType, StockItem, StockMovement
from servicecenter.models import AuditEvent

from .conftest import Grants, fund

S = Grant.Status
pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (list(FundAccount.objects.order_by("pk").values_list("pk", "balance_cents", "held_cents")),
            LedgerEntry.objects.count(), FundSource.objects.count(),
            list(Grant.objects.order_by("pk").values_list("pk", "status", "amount", "paid_entry_id")),
            list(StockItem.objects.order_by("pk").values_list("pk", "on_hand")), StockMovement.objects.count())


def _apply(g: Grants, **kw: Any) -> Callable[[], Any]:
    return lambda: g.apply(**kw)


def _own_application(g: Grants) -> Callable[[], Any]:
    grant = g.apply(by=g.sup)
    services.grant_verify(grant=grant, by=g.sup, note="核实属实")
    return lambda: services.grant_approve(grant=grant, by=g.sup, account=g.account, opinion="同意")


def _pay(g: Grants, state: str) -> Callable[[], Any]:
    grant = g.make(state)
    return lambda: services.grant_pay(grant=grant, by=g.cashier, key=uuid.uuid4().hex, method=Grant.Method.CASH)


def _restricted_source(g: Grants) -> Callable[[], Any]:
    medical_only = fund(g.users, g.units, "5000", restriction=(ReliefType.MEDICAL,))
    grant = g.make(S.VERIFIED)
    return lambda: services.grant_approve(grant=grant, by=g.sup, account=medical_only, opinion="同意")


def _shop(g: Grants) -> StockItem:
    rice = StockItem.objects.create(org_unit=g.station, name="大米", spec="10kg", unit="袋")
    stock.stock_receive(by=g.cashier, item=rice, quantity=3, key=uuid.uuid4().hex, quality_ok=True, received_by="王五",
                        day=timezone.localdate() - datetime.timedelta(days=2))
    return rice


def _issue_above_stock(g: Grants) -> Callable[[], Any]:
    rice, grant = _shop(g), g.make(S.APPROVED)
    return lambda: stock.stock_issue(by=g.cashier, grant=grant, lines=[stock.Line(rice, 4)], key=uuid.uuid4().hex)


def _back_dated(g: Grants) -> Callable[[], Any]:
    rice = _shop(g)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    stock.stock_close_day(by=g.cashier, unit=g.station, day=yesterday, counted={rice.pk: 3})
    return lambda: stock.stock_receive(by=g.cashier, item=rice, quantity=1, key=uuid.uuid4().hex, quality_ok=True,
                                       received_by="王五", day=yesterday)


def _reversal_of_reversal(g: Grants) -> Callable[[], Any]:
    accountant = g.users["d1_accountant"]
    income = g.account.entries.get(kind=LedgerEntry.Kind.INCOME)
    reversal = services.entry_reverse(by=accountant, entry=income, key=uuid.uuid4().hex, reason="到账金额录错")
    return lambda: services.entry_reverse(by=accountant, entry=reversal, key=uuid.uuid4().hex, reason="再冲一次")


def _same_key_other_amount(g: Grants) -> Callable[[], Any]:
    k = uuid.uuid4().hex
    ledger.disburse(account=g.account, amount="100", key=k, by=g.users["d1_accountant"])
    return lambda: ledger.disburse(account=g.account, amount="150", key=k, by=g.users["d1_accountant"])


def _source(amount: str) -> Callable[[Grants], Callable[[], Any]]:
    return lambda g: lambda: services.source_record(
        by=g.users["d1_accountant"], org_unit=g.units["330602"], kind=FundSource.Kind.DONATION, donor="某企业",
        received_on=timezone.localdate(), amount=amount, key=uuid.uuid4().hex)


CASES: dict[str, tuple[Callable[[Grants], Callable[[], Any]], str, str]] = {
    # name: (set up, return the bad call), the message (part), the refused action in the audit log
    "zero amount": (lambda g: _apply(g, amount="0"), "金额须大于零", "funds.grant_apply"),
    "negative amount in": (_source("-5"), "金额须大于零", "funds.source_record"),
    "above the type's limit": (lambda g: _apply(g, amount="10000.01"), "每次最多 10000 元", "funds.grant_apply"),
    "approving one's own application": (_own_application, "不能审批本人登记或核实", "funds.grant_approve"),
    "paying an unapproved grant": (lambda g: _pay(g, S.VERIFIED), "尚未审批，不能发放", "funds.grant_pay"),
    "paying an already-paid grant": (lambda g: _pay(g, S.PAID), "已发放，不能重复发放", "funds.grant_pay"),
    "a source that does not allow the type": (_restricted_source, "不能支付临时/应急救助", "funds.grant_approve"),
    "an issue above stock": (_issue_above_stock, "库存不足：现有 3袋，需发放 4袋", "funds.stock_issue"),
    "a back-dated movement into a closed day": (_back_dated, "已日结", "funds.stock_receive"),
    "a reversal of a reversal": (_reversal_of_reversal, "冲正分录不能再冲正", "funds.reverse"),
    "the same key with another amount": (_same_key_other_amount, "幂等键已用于另一笔内容不同的记账", "funds.disburse"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_refused_in_chinese_changes_nothing_and_is_audited(case, grants):
    setup, message, action = CASES[case]
    bad = setup(grants)
    before, refusals = snapshot(), AuditEvent.objects.filter(action=f"{action}.refused").count()
    with pytest.raises(ValidationError) as caught:
        bad()
    text = " ".join(caught.value.messages)
    assert message in text, text
    assert snapshot() == before
    refusal = AuditEvent.objects.filter(action=f"{action}.refused").order_by("-id").first()
    assert AuditEvent.objects.filter(action=f"{action}.refused").count() == refusals + 1
    assert refusal is not None and refusal.outcome == AuditEvent.Outcome.DENIED and message in refusal.detail
