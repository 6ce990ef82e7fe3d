"""The ledger under concurrency, on PostgreSQL (each thread its own connection; SQLite serialises
writers anyway):

- 64 payers at once on one fund: exactly ⌊balance / amount⌋ succeed, the others are refused as
  insufficient (not busy, not a 500), the balance never goes negative and the ledger sums to it;
- mixed amounts: the ledger replayed in its own order gives every recorded balance, and every
  refused payment is larger than what is left (the balance only falls, so it was refused rightly);
- the same idempotency key sent by 16 threads at once posts one entry and all get it back;
- one hold paid by 16 cashiers at once (different keys) is paid once.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from funds import ledger
from funds.models import FundAccount, LedgerEntry, yuan

from .conftest import fund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
D = Decimal


def run_parallel(n: int, work: Callable[[int], object]) -> list[object]:
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def go(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except ValidationError as exc:
            outcomes[i] = exc
        except Exception as exc:  # noqa: BLE001 — any other outcome fails the test
            outcomes[i] = RuntimeError(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return outcomes


def assert_books(account: FundAccount) -> None:
    account.refresh_from_db()
    assert account.balance_cents >= 0
    assert ledger.ledger_sum(account) == (account.balance, account.held)
    running = 0
    for entry in LedgerEntry.objects.filter(account=account).order_by("id"):
        running += entry.balance_delta
        assert entry.balance_after == running >= 0


def test_sixty_four_payers_on_one_fund(users, units):
    account = fund(users, units, "1000.00")
    user = users["d1_cashier"]
    outcomes = run_parallel(64, lambda i: ledger.disburse(account=account, amount="30.00", key=uuid.uuid4().hex,
                                                          by=user))
    paid = [o for o in outcomes if isinstance(o, LedgerEntry)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(paid) == 1000 // 30 == 33, outcomes
    assert len(refused) == 31 and all("可用余额不足" in str(o) for o in refused), outcomes
    account.refresh_from_db()
    assert account.balance == D("10.00")
    assert_books(account)


def test_mixed_amounts_match_a_sequential_reference(users, units):
    account = fund(users, units, "2000.00")
    user = users["d1_cashier"]
    rng = random.Random(12)
    amounts = [D(rng.randint(100, 9000)) / 100 for _ in range(64)]
    outcomes = run_parallel(64, lambda i: ledger.disburse(account=account, amount=amounts[i], key=f"mix-{i}-{uuid.uuid4().hex[:8]}",
                                                          by=user))
    assert not [o for o in outcomes if isinstance(o, RuntimeError)], outcomes
    paid = [amounts[i] for i, o in enumerate(outcomes) if isinstance(o, LedgerEntry)]
    refused = [amounts[i] for i, o in enumerate(outcomes) if isinstance(o, ValidationError)]
    account.refresh_from_db()
    assert account.balance == D("2000.00") - sum(paid, D(0))
    assert all(a > account.balance for a in refused)
    # Sequentially, in the ledger's order, every payment was affordable when it was made.
    entries = list(LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.DISBURSEMENT).order_by("id"))
    balance = D("2000.00")
    for entry in entries:
        assert entry.amount <= balance
        balance -= entry.amount
        assert yuan(entry.balance_after) == balance
    assert_books(account)


def test_the_same_key_from_sixteen_threads_posts_once(users, units):
    account = fund(users, units, "1000.00")
    user = users["d1_cashier"]
    k = uuid.uuid4().hex
    outcomes = run_parallel(16, lambda i: ledger.disburse(account=account, amount="100.00", key=k, by=user))
    assert all(isinstance(o, LedgerEntry) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1  # type: ignore[union-attr]
    account.refresh_from_db()
    assert account.balance == D("900.00")
    assert_books(account)


def test_one_hold_paid_by_sixteen_cashiers_at_once_is_paid_once(users, units):
    account = fund(users, units, "1000.00")
    user = users["d1_cashier"]
    h = ledger.hold(account=account, amount="500.00", key=uuid.uuid4().hex, by=user)
    outcomes = run_parallel(16, lambda i: ledger.disburse(account=account, amount="500.00", key=uuid.uuid4().hex,
                                                          by=user, hold_entry=h))
    assert sum(isinstance(o, LedgerEntry) for o in outcomes) == 1, outcomes
    assert all("已解冻或已支付" in str(o) for o in outcomes if isinstance(o, ValidationError)), outcomes
    account.refresh_from_db()
    assert (account.balance, account.held) == (D("500.00"), D("0.00"))
    assert_books(account)


def test_opposite_allocations_at_once_do_not_deadlock(users, units):
    a = fund(users, units, "1000.00")
    b, _ = FundAccount.objects.get_or_create(org_unit=units["330602001"], source=a.source)
    user = users["d1_accountant"]
    ledger.allocate(source=a, target=b, amount="500", key=uuid.uuid4().hex, by=user)

    def work(i: int) -> object:
        src, dst = (a, b) if i % 2 else (b, a)
        return ledger.allocate(source=src, target=dst, amount="1.00", key=uuid.uuid4().hex, by=user)

    outcomes = run_parallel(16, work)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert_books(a)
    assert_books(b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.balance + b.balance == D("1000.00")
