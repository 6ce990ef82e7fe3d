"""A hypothesis state machine over the ledger: at least 10,000 random operations (income,
allocation, hold, release, pay — from a hold or directly —, reverse, a retry with the same key and
a retry with the same key and another amount). After every step the database agrees with a plain
Python model of the accounts, every account's entries sum to its balance and holds, the balance is
never negative and the holds never exceed it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from funds import ledger
from funds.models import FundAccount, FundSource, LedgerEntry

D = Decimal
AMOUNTS = st.integers(min_value=1, max_value=60_000).map(lambda cents: D(cents) / 100)
STEPS, EXAMPLES = 100, 120
OPERATIONS = {"count": 0}


class LedgerMachine(RuleBasedStateMachine):
    user = None
    units: list = []

    def __init__(self) -> None:
        super().__init__()
        source = FundSource.objects.create(number=f"T-{uuid.uuid4().hex[:12]}", org_unit=self.units[0],
                                           kind=FundSource.Kind.DONATION, donor="测试", received_on="2026-01-01",
                                           amount=D("1"), created_by=self.user)
        self.accounts = [FundAccount.objects.create(org_unit=u, source=source) for u in self.units]
        self.model = {a.pk: [D(0), D(0)] for a in self.accounts}
        self.holds: list[LedgerEntry] = []  # open holds
        self.reversible: list[LedgerEntry] = []
        self.posted: list[tuple[str, dict]] = []  # (key, call) of successful payments, for retries

    def _available(self, pk: int) -> Decimal:
        balance, held = self.model[pk]
        return balance - held

    def _count(self) -> None:
        OPERATIONS["count"] += 1

    @rule(i=st.integers(0, 2), amount=AMOUNTS)
    def income(self, i, amount):
        self._count()
        account = self.accounts[i]
        entry = ledger.post_income(account=account, amount=amount, key=uuid.uuid4().hex, by=self.user)
        self.model[account.pk][0] += amount
        self.reversible.append(entry)

    @rule(i=st.integers(0, 2), j=st.integers(0, 2), amount=AMOUNTS)
    def allocate(self, i, j, amount):
        self._count()
        if i == j:
            return
        a, b = self.accounts[i], self.accounts[j]
        try:
            out, incoming = ledger.allocate(source=a, target=b, amount=amount, key=uuid.uuid4().hex, by=self.user)
        except ValidationError:
            assert amount > self._available(a.pk)
            return
        assert amount <= self._available(a.pk)
        self.model[a.pk][0] -= amount
        self.model[b.pk][0] += amount
        self.reversible += [out, incoming]

    @rule(i=st.integers(0, 2), amount=AMOUNTS)
    def hold(self, i, amount):
        self._count()
        account = self.accounts[i]
        try:
            h = ledger.hold(account=account, amount=amount, key=uuid.uuid4().hex, by=self.user)
        except ValidationError:
            assert amount > self._available(account.pk)
            return
        assert amount <= self._available(account.pk)
        self.model[account.pk][1] += amount
        self.holds.append(h)

    @precondition(lambda self: self.holds)
    @rule(n=st.integers(0, 1000))
    def release(self, n):
        self._count()
        h = self.holds.pop(n % len(self.holds))
        ledger.release(hold_entry=h, key=uuid.uuid4().hex, by=self.user)
        self.model[h.account_id][1] -= h.amount
        with pytest.raises(ValidationError):  # settled once
            ledger.release(hold_entry=h, key=uuid.uuid4().hex, by=self.user)

    @precondition(lambda self: self.holds)
    @rule(n=st.integers(0, 1000))
    def pay_hold(self, n):
        self._count()
        h = self.holds.pop(n % len(self.holds))
        account = next(a for a in self.accounts if a.pk == h.account_id)
        k = uuid.uuid4().hex
        entry = ledger.disburse(account=account, amount=h.amount, key=k, by=self.user, hold_entry=h)
        self.model[h.account_id][0] -= h.amount
        self.model[h.account_id][1] -= h.amount
        self.reversible.append(entry)
        self.posted.append((k, {"account": account, "amount": h.amount, "hold_entry": h}))

    @rule(i=st.integers(0, 2), amount=AMOUNTS)
    def pay(self, i, amount):
        self._count()
        account = self.accounts[i]
        k = uuid.uuid4().hex
        try:
            entry = ledger.disburse(account=account, amount=amount, key=k, by=self.user)
        except ValidationError as exc:
            assert amount > self._available(account.pk) and "可用余额不足" in str(exc)
            return
        assert amount <= self._available(account.pk)
        self.model[account.pk][0] -= amount
        self.reversible.append(entry)
        self.posted.append((k, {"account": account, "amount": amount}))

    @precondition(lambda self: self.reversible)
    @rule(n=st.integers(0, 1000))
    def reverse(self, n):
        self._count()
        entry = self.reversible.pop(n % len(self.reversible))
        delta = -entry.balance_delta_yuan
        try:
            rev = ledger.reverse(entry=entry, key=uuid.uuid4().hex, by=self.user, reason="测试冲正")
        except ValidationError:
            assert delta < 0 and -delta > self._available(entry.account_id)
            return
        assert delta >= 0 or -delta <= self._available(entry.account_id)
        self.model[entry.account_id][0] += delta
        with pytest.raises(ValidationError):  # a reversal is never reversed
            ledger.reverse(entry=rev, key=uuid.uuid4().hex, by=self.user, reason="再冲正")

    @precondition(lambda self: self.posted)
    @rule(n=st.integers(0, 1000))
    def retry_same_key(self, n):
        self._count()
        k, call = self.posted[n % len(self.posted)]
        again = ledger.disburse(key=k, by=self.user, **call)
        assert again.key == k  # the first entry, nothing posted again

    @precondition(lambda self: self.posted)
    @rule(n=st.integers(0, 1000), extra=AMOUNTS)
    def retry_other_amount(self, n, extra):
        self._count()
        k, call = self.posted[n % len(self.posted)]
        with pytest.raises(ValidationError, match="幂等键"):
            ledger.disburse(key=k, by=self.user, account=call["account"], amount=call["amount"] + extra)

    @invariant()
    def database_matches_the_model(self):
        for account in self.accounts:
            account.refresh_from_db()
            balance, held = self.model[account.pk]
            assert (account.balance, account.held) == (balance, held)
            assert ledger.ledger_sum(account) == (account.balance, account.held)
            assert account.balance >= 0 and 0 <= account.held <= account.balance


def test_ten_thousand_random_ledger_operations_keep_the_books(users, units):
    LedgerMachine.user = users["d1_accountant"]
    LedgerMachine.units = [units["330602"], units["330602001"], units["330602002"]]
    OPERATIONS["count"] = 0
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate]))
    assert OPERATIONS["count"] >= 10_000, OPERATIONS["count"]
