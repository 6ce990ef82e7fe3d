"""The ledger's rules at their edges (SQLite and PostgreSQL): amounts, the available balance, holds
settled once, reversals once and never of a reversal, the idempotency key, the append-only table,
the CHECK constraints, and lock failures reported as busy — never as insufficient funds."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, transaction

from funds import ledger
from funds.models import FundAccount, LedgerEntry
from servicecenter.models import AuditEvent

from .conftest import fund

D = Decimal
K = LedgerEntry.Kind


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def account(users, units) -> FundAccount:
    return fund(users, units, "1000.00")


@pytest.fixture
def acc_user(users):
    return users["d1_accountant"]


def state(account: FundAccount) -> tuple[Decimal, Decimal]:
    account.refresh_from_db()
    return account.balance, account.held


def assert_consistent(account: FundAccount) -> None:
    account.refresh_from_db()
    assert ledger.ledger_sum(account) == (account.balance, account.held)
    assert account.balance >= 0 and 0 <= account.held <= account.balance


def test_income_is_the_first_entry_and_the_ledger_sums_to_the_balance(account):
    entry = account.entries.get()
    assert (entry.kind, entry.amount, entry.balance_after_yuan) == (K.INCOME, D("1000.00"), D("1000.00"))
    assert_consistent(account)


@pytest.mark.parametrize("amount, message", [("0", "金额须大于零"), ("-5", "金额须大于零"), ("1.005", "两位小数"),
                                             ("abc", "请填写金额"), ("NaN", "请填写金额")])
def test_bad_amounts_are_refused_at_the_field_and_nothing_changes(account, acc_user, amount, message):
    before = (state(account), LedgerEntry.objects.count())
    with pytest.raises(ValidationError) as caught:
        ledger.disburse(account=account, amount=amount, key=key(), by=acc_user)
    assert message in " ".join(caught.value.message_dict["amount"])
    assert (state(account), LedgerEntry.objects.count()) == before


def test_paying_exactly_the_balance_works_one_cent_more_is_refused(account, acc_user):
    with pytest.raises(ValidationError) as caught:
        ledger.disburse(account=account, amount="1000.01", key=key(), by=acc_user)
    assert "可用余额不足" in str(caught.value) and state(account) == (D("1000.00"), D("0"))
    ledger.disburse(account=account, amount="1000.00", key=key(), by=acc_user)
    assert state(account) == (D("0.00"), D("0.00"))
    assert_consistent(account)


def test_a_hold_reserves_money_so_a_payment_cannot_take_it(account, acc_user):
    h = ledger.hold(account=account, amount="800", key=key(), by=acc_user)
    assert state(account) == (D("1000.00"), D("800.00"))
    with pytest.raises(ValidationError, match="可用余额不足"):
        ledger.disburse(account=account, amount="200.01", key=key(), by=acc_user)
    with pytest.raises(ValidationError, match="可用余额不足"):
        ledger.hold(account=account, amount="200.01", key=key(), by=acc_user)
    ledger.disburse(account=account, amount="800", key=key(), by=acc_user, hold_entry=h)
    assert state(account) == (D("200.00"), D("0.00"))
    assert_consistent(account)


def test_a_hold_is_settled_once(account, acc_user):
    h = ledger.hold(account=account, amount="300", key=key(), by=acc_user)
    ledger.release(hold_entry=h, key=key(), by=acc_user)
    assert state(account) == (D("1000.00"), D("0.00"))
    with pytest.raises(ValidationError, match="已解冻或已支付"):
        ledger.disburse(account=account, amount="300", key=key(), by=acc_user, hold_entry=h)
    with pytest.raises(ValidationError, match="已解冻或已支付"):
        ledger.release(hold_entry=h, key=key(), by=acc_user)
    assert state(account) == (D("1000.00"), D("0.00"))
    assert_consistent(account)


def test_paying_a_hold_needs_its_amount(account, acc_user):
    h = ledger.hold(account=account, amount="300", key=key(), by=acc_user)
    with pytest.raises(ValidationError, match="须与冻结金额一致"):
        ledger.disburse(account=account, amount="299", key=key(), by=acc_user, hold_entry=h)


def test_the_same_key_with_the_same_content_returns_the_first_entry(account, acc_user):
    k = key()
    first = ledger.disburse(account=account, amount="100", key=k, by=acc_user)
    again = ledger.disburse(account=account, amount="100.00", key=k, by=acc_user)
    assert again.pk == first.pk and state(account) == (D("900.00"), D("0.00"))


def test_the_same_key_with_another_amount_is_refused_and_audited(account, acc_user):
    k = key()
    ledger.disburse(account=account, amount="100", key=k, by=acc_user)
    with pytest.raises(ValidationError) as caught:
        ledger.disburse(account=account, amount="150", key=k, by=acc_user)
    assert "幂等键已用于另一笔内容不同的记账" in str(caught.value)
    assert state(account) == (D("900.00"), D("0.00"))
    refusal = AuditEvent.objects.filter(action="funds.disburse.refused").latest("id")
    assert refusal.outcome == AuditEvent.Outcome.DENIED and "幂等键" in refusal.detail


def test_an_insufficient_payment_is_refused_in_the_audit_log(account, acc_user):
    with pytest.raises(ValidationError):
        ledger.disburse(account=account, amount="5000", key=key(), by=acc_user)
    assert "可用余额不足" in AuditEvent.objects.filter(action="funds.disburse.refused").latest("id").detail


def test_a_reversal_undoes_once_and_is_never_reversed(account, acc_user):
    pay = ledger.disburse(account=account, amount="400", key=key(), by=acc_user)
    rev = ledger.reverse(entry=pay, key=key(), by=acc_user, reason="重复支付")
    assert state(account) == (D("1000.00"), D("0.00")) and rev.reverses_id == pay.pk
    with pytest.raises(ValidationError, match="已冲正"):
        ledger.reverse(entry=pay, key=key(), by=acc_user, reason="再冲一次")
    with pytest.raises(ValidationError, match="冲正分录不能再冲正"):
        ledger.reverse(entry=rev, key=key(), by=acc_user, reason="冲正的冲正")
    with pytest.raises(ValidationError) as caught:
        ledger.reverse(entry=pay, key=key(), by=acc_user, reason="")
    assert "请填写冲正原因" in str(caught.value)
    assert_consistent(account)


def test_reversing_an_income_cannot_take_the_balance_below_zero(account, acc_user):
    income = account.entries.get(kind=K.INCOME)
    ledger.disburse(account=account, amount="600", key=key(), by=acc_user)
    with pytest.raises(ValidationError, match="可用余额不足"):
        ledger.reverse(entry=income, key=key(), by=acc_user, reason="到账登记错误")
    assert_consistent(account)


def test_holds_cannot_be_reversed(account, acc_user):
    h = ledger.hold(account=account, amount="10", key=key(), by=acc_user)
    with pytest.raises(ValidationError, match="冻结与解冻不能冲正"):
        ledger.reverse(entry=h, key=key(), by=acc_user, reason="x")


def test_allocation_moves_money_down_as_two_entries(users, units, account, acc_user):
    station = units["330602001"]
    target, _ = FundAccount.objects.get_or_create(org_unit=station, source=account.source)
    out, incoming = ledger.allocate(source=account, target=target, amount="250", key=key(), by=acc_user)
    assert (out.kind, incoming.kind) == (K.ALLOCATION_OUT, K.ALLOCATION_IN)
    assert state(account)[0] == D("750.00") and state(target)[0] == D("250.00")
    with pytest.raises(ValidationError, match="可用余额不足"):
        ledger.allocate(source=account, target=target, amount="750.01", key=key(), by=acc_user)
    assert_consistent(account)
    assert_consistent(target)


def test_the_ledger_table_refuses_update_and_delete(account):
    entry = account.entries.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(memo="改")
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).memo == entry.memo


def test_the_database_refuses_a_negative_balance_or_a_hold_above_it(account):
    with pytest.raises(IntegrityError), transaction.atomic():
        FundAccount.objects.filter(pk=account.pk).update(balance_cents=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        FundAccount.objects.filter(pk=account.pk).update(held_cents=100001)
    assert state(account) == (D("1000.00"), D("0.00"))


def test_a_lock_failure_is_reported_as_busy_not_as_insufficient_funds(account, acc_user, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(ledger, "_apply", locked)
    with pytest.raises(ledger.LedgerBusy) as caught:
        ledger.disburse(account=account, amount="10", key=key(), by=acc_user)
    assert "系统繁忙" in str(caught.value) and "余额不足" not in str(caught.value)
    assert "系统繁忙" in AuditEvent.objects.filter(action="funds.disburse.refused").latest("id").detail


@pytest.mark.django_db(transaction=True)
def test_a_lock_failure_is_retried_when_the_ledger_owns_the_transaction(users, units, monkeypatch):
    account = fund(users, units, "100.00")
    real, calls = ledger._apply, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, "_apply", flaky)
    ledger.disburse(account=account, amount="10", key=key(), by=users["d1_accountant"])
    assert len(calls) == 3 and state(account) == (D("90.00"), D("0.00"))


def test_the_ledgers_update_statement_names_the_account_table():
    # ledger._UPDATE is written by hand (UPDATE … RETURNING, one round trip inside the row lock).
    assert f"UPDATE {FundAccount._meta.db_table} SET" in ledger._UPDATE
