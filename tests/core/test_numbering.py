"""Case numbers: ``XF-330604-2026-00017``, gap-free per (kind, unit, year), safe under concurrency."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from servicecenter.models import Sequence
from servicecenter.numbering import case_number, format_case_number, next_number


class _Rollback(Exception):
    pass


def test_format(units):
    assert format_case_number("XF", units["330604"], 2026, 17) == "XF-330604-2026-00017"


def test_first_number_is_one_and_numbers_follow_on(units):
    unit = units["330604"]
    assert [case_number("XF", unit, 2026) for _ in range(3)] == [
        "XF-330604-2026-00001", "XF-330604-2026-00002", "XF-330604-2026-00003"]
    assert Sequence.objects.get(kind="XF", org_unit=unit, year=2026).last == 3


def test_counters_are_independent_per_kind_unit_and_year(units):
    d1, d2 = units["330602"], units["330604"]
    assert case_number("XF", d1, 2026) == "XF-330602-2026-00001"
    assert case_number("XF", d1, 2026) == "XF-330602-2026-00002"
    # Another kind, another unit, another year each start from 1 …
    assert case_number("KN", d1, 2026) == "KN-330602-2026-00001"
    assert case_number("XF", d2, 2026) == "XF-330604-2026-00001"
    assert case_number("XF", d1, 2027) == "XF-330602-2027-00001"
    # … and leave the first counter where it was.
    assert case_number("XF", d1, 2026) == "XF-330602-2026-00003"
    assert Sequence.objects.count() == 4


def test_rolled_back_transaction_gives_its_number_back(units):
    unit = units["330602001"]
    assert case_number("XF", unit, 2026) == "XF-330602001-2026-00001"
    with pytest.raises(_Rollback), transaction.atomic():
        assert case_number("XF", unit, 2026) == "XF-330602001-2026-00002"
        raise _Rollback
    # The record that would have carried 00002 was never saved: the next one gets 00002, no gap.
    assert case_number("XF", unit, 2026) == "XF-330602001-2026-00002"


def test_rolled_back_first_number_leaves_no_counter(units):
    unit = units["330602002"]
    with pytest.raises(_Rollback), transaction.atomic():
        assert next_number("FK", unit, 2026) == 1
        raise _Rollback
    assert not Sequence.objects.filter(kind="FK", org_unit=unit).exists()
    assert next_number("FK", unit, 2026) == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused(units):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="transaction"):
        case_number("XF", units["330604"], 2026)
    with pytest.raises(RuntimeError):
        next_number("XF", units["330604"], 2026)
    assert not Sequence.objects.exists()
    with transaction.atomic():
        assert case_number("XF", units["330604"], 2026) == "XF-330604-2026-00001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_get_distinct_gap_free_numbers(units):
    """8 threads × 25 numbers, each in its own transaction on its own connection: exactly 1..200."""
    threads_n, per_thread = 8, 25
    unit = units["330602001"]
    start = threading.Barrier(threads_n)
    issued: list[list[int]] = [[] for _ in range(threads_n)]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            start.wait(timeout=30)
            for _ in range(per_thread):
                with transaction.atomic():
                    issued[slot].append(next_number("XF", unit, 2026))
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a numbering thread hung"
    assert not errors, errors

    numbers = [n for chunk in issued for n in chunk]
    assert len(numbers) == threads_n * per_thread
    assert sorted(numbers) == list(range(1, threads_n * per_thread + 1))  # no duplicates, no gaps
    for chunk in issued:  # each thread saw its own numbers increase
        assert chunk == sorted(chunk)
    assert Sequence.objects.get(kind="XF", org_unit=unit, year=2026).last == threads_n * per_thread
    with transaction.atomic():
        assert case_number("XF", unit, 2026) == "XF-330602001-2026-00201"
