"""帮扶资金 benchmark: a ledger of 1,000,000 entries, payments under contention, the ledger register.

Three parts, in one process (the export figures from fresh subprocesses, as ``export_bench.py``):

1. **seed** — ``--entries`` ledger entries (default 1,000,000) over up to 100 fund accounts of one
   bench fund source (``BENCH-LEDGER``, at the city; an account at each unit below it), written in
   blocks of 50,000 with ``COPY`` (PostgreSQL) or ``executemany`` (SQLite), each block in its own
   transaction together with the accounts' balances. Idempotent: a second run counts the bench
   source's entries and writes only what is missing (nothing when they are there); a larger
   ``--entries`` adds the difference, continuing each account's history where it stopped.
2. **pay** — ``--payments`` payments (default 4,000) from ONE fund account by ``--threads`` payers
   (default 16), each thread on its own database connection: a payment is ``ledger.hold`` then
   ``ledger.disburse(hold_entry=…)`` — what approving (``grant_approve``: the hold) and paying
   (``grant_pay``: the hold paid) a grant post, two transactions, each with its conditional UPDATE
   of the one account row. Measured: payments/s over the whole run and the latency of each payment
   (p50, p95, max). Reference, same run, same threads: a plain INSERT of the same two rows per
   payment (autocommit: two transactions, as the ledger's two) into ``bench_funds_plain``, a table
   with the ledger's columns and indexes but none of its rules (dropped afterwards). Before it, the
   same with one payer (a quarter of the payments, at most 1,000): what a payment costs without
   contention, for reference. Then, for each account, the invariants: the ledger's sum is the
   account's balance and hold, balance ≥ 0, held ≤ balance, every hold paid once, the account
   funded for exactly the N payments is at 0, no key twice in the whole ledger, and every account's
   entries (the seeded ones too) sum to its balance. Each run leaves its account and entries behind
   (the ledger is append-only): 2 N + 1 entries more per run.
3. **export** — 资金台账 (``funds.registers.LEDGER_EXPORT``, the city supervisor's whole ledger) at
   ``--export-rows`` rows (default: ``--entries``): ``export_bench.py --register funds`` in its own
   process, its modes ``iterate`` (the ORM rows thrown away), ``raw`` (openpyxl write-only appending
   the same tuples) and ``register`` (what users get), each in a fresh subprocess, best of ``--repeat``.

Goals:

* payments ≥ 1/10 of the plain INSERT's throughput (``THROUGHPUT_GOAL``): one account row is a
  queue — every payment holds its lock from the UPDATE to the COMMIT — so the ledger cannot reach the
  plain insert's rate; a tenth is the bar for "the lock is held for a statement, not for a think";
* payment p95 ≤ 300 ms (``P95_GOAL_MS``, the load test's goal for a page) with 16 payers on one
  account: what a cashier waits, queue included;
* the invariants above, always (a failed invariant fails the run, with or without ``--strict``);
* the register: throughput ≥ 0.9 × raw openpyxl, peak RSS ≤ ORM iteration + 25 MB (export_bench.py's).

Seeding writes ``LedgerEntry`` rows directly, around ``funds/ledger.py``. That is allowed for
seeding only, because the rows are the history the ledger itself would have written and nothing
else: per account the running ``balance_after``/``held_after``, every hold settled at most once by
a release or a payment of the same amount, a unique key and the content fingerprint the ledger
computes (``ledger.fingerprint``), and the account's ``balance_cents``/``held_cents`` set to the last
entry's in the same transaction — the CHECK constraints and the append-only triggers apply to
these rows as to any. The ``pay`` part checks it afterwards (each seeded account's entries sum to
its balance). Through the ledger a movement costs 2–4 ms (part 2 measures it): half an hour to an
hour for the seed alone. The payments measured go through the ledger only.

    DATABASE_URL=postgres://…/bench python bench/funds_bench.py --strict        # 1,000,000 entries
    python bench/funds_bench.py --entries 10000 --payments 400 --repeat 1       # smoke (bench/smoke.sh)
    python bench/funds_bench.py --parts pay --payments 8000                     # one part
    python bench/funds_bench.py --parts pay --processes        # the payers as forked processes, not threads

Needs the demo accounts (``manage.py seed_demo``; run first unless ``--no-seed``). Exit status 0
when every judged goal passed; the speed goals of ``pay`` are judged only with ``--strict``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_bench  # noqa: E402 - bench/ is not a package
from list_pages import BASE_DIR, machine, setup_django  # noqa: E402

THROUGHPUT_GOAL = 0.1  # ledger payments/s ÷ plain-INSERT payments/s
P95_GOAL_MS = 300.0  # the load test's goal for a page (bench/load/README.md)
SEED_SOURCE = "BENCH-LEDGER"
PAY_PREFIX = "BENCH-PAY-"
PLAIN_TABLE = "bench_funds_plain"
BLOCK = 50_000
MAX_ACCOUNTS = 100
PARTS = ("seed", "pay", "export")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- 1. seed -----------------------------------------------------------------------------------------


def demo_users() -> dict[str, Any]:
    from servicecenter.models import User

    return {u.username: u for u in User.objects.filter(username__in=["d1_accountant", "d1_cashier", "city_sup"])}


def ensure_demo(no_seed: bool) -> dict[str, Any]:
    """The demo accounts (and the schema): ``migrate`` and, when they are missing, ``seed_demo``
    (the small demo: a few seconds) — unless ``no_seed``."""
    if not no_seed:
        manage = str(BASE_DIR / "manage.py")
        env = {**os.environ, "DEBUG": "1"}  # seed_demo refuses to write demo data with DEBUG off
        subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v0"], check=True, env=env)
        if len(demo_users()) < 3:
            subprocess.run([sys.executable, manage, "seed_demo"], check=True, env=env)
    users = demo_users()
    if len(users) < 3:
        raise SystemExit("缺少演示账号（d1_accountant、d1_cashier、city_sup）：先运行 `python manage.py seed_demo`。")
    return users


@dataclass
class _Account:
    """One seeded account's running state: what its next entry starts from."""

    pk: int
    unit: int
    balance: int = 0
    held: int = 0
    n: int = 0  # entries so far (the next key's number)
    holds: deque[tuple[int, int, str]] = field(default_factory=deque)  # open holds: (id, cents, voucher)


def _yuan(c: int) -> Decimal:
    return (Decimal(c) / 100).quantize(Decimal("0.01"))


def seed_accounts(users: dict[str, Any]) -> tuple[Any, list[_Account]]:
    """The bench source at the city and one account at each of up to 100 units below it (created
    once), with each account's state as its last entry left it."""
    from django.db.models import Count, Max

    from funds.models import FundAccount, FundSource, LedgerEntry
    from servicecenter.models import OrgUnit

    city = OrgUnit.objects.get(code="330600")
    source = FundSource.objects.filter(number=SEED_SOURCE).first()
    if source is None:
        source = FundSource.objects.create(
            number=SEED_SOURCE, org_unit=city, kind=FundSource.Kind.DONATION, donor="基准测试慈善基金（模拟）",
            received_on=datetime.date(2026, 1, 1), amount=Decimal("100000000.00"), note="bench/funds_bench.py",
            created_by=users["d1_accountant"])
    units = list(OrgUnit.objects.filter(path__startswith=city.path).order_by("path").values_list("pk", flat=True)
                 [:MAX_ACCOUNTS])
    have = set(FundAccount.objects.filter(source=source).values_list("org_unit_id", flat=True))
    FundAccount.objects.bulk_create([FundAccount(org_unit_id=u, source=source) for u in units if u not in have])
    accounts = {a.pk: _Account(a.pk, a.org_unit_id, a.balance_cents, a.held_cents)
                for a in FundAccount.objects.filter(source=source).order_by("pk")}
    for row in (LedgerEntry.objects.filter(account__source=source).values("account_id")
                .annotate(n=Count("id"), last=Max("id"))):
        accounts[row["account_id"]].n = row["n"]
    open_holds = (LedgerEntry.objects.filter(account__source=source, kind=LedgerEntry.Kind.HOLD,
                                             settled_by__isnull=True)
                  .order_by("id").values_list("account_id", "id", "amount", "voucher"))
    for account_id, pk, amount, voucher in open_holds:
        accounts[account_id].holds.append((pk, int(amount * 100), voucher))
    return source, list(accounts.values())


def _next_entry(a: _Account, source_pk: int, r: Any) -> tuple[str, int, int, int, int | None, str, str]:
    """The next movement of account ``a``: (kind, amount cents, balance delta, held delta, settles,
    voucher, memo), always one the ledger would have allowed."""
    available = a.balance - a.held
    roll = r.random()
    if available < 2_000_000 or roll < 0.04:  # below 20,000 yuan available: money comes in
        c = r.randrange(5_000_000, 50_000_000, 100)
        return "income", c, c, 0, None, f"funds.source:{source_pk}", "资金到账（模拟）"
    if roll < 0.40 or not a.holds:  # 审批: a hold
        c = r.randrange(50_000, 1_000_000, 100)
        voucher = f"bench.grant:{a.pk}-{a.n}"
        return "hold", c, 0, c, None, voucher, f"救助审批冻结（模拟）第 {a.n} 笔"
    pk, c, voucher = a.holds.popleft()
    if roll < 0.93:  # 发放: the hold paid
        return "disburse", c, -c, -c, pk, voucher, f"救助金发放（模拟）{voucher}"
    return "release", c, 0, -c, pk, voucher, "不予批准，解冻（模拟）"


COLUMNS = ("id", "key", "fingerprint", "account_id", "org_unit_id", "kind", "amount", "balance_delta", "held_delta",
           "balance_after", "held_after", "settles_id", "voucher", "memo", "by_id", "at")


def _block(accounts: list[_Account], ids: list[int], source_pk: int, by_id: int, at0: datetime.datetime,
           step: datetime.timedelta, r: Any) -> list[tuple]:
    from funds.ledger import fingerprint

    rows = []
    for i, pk in enumerate(ids):
        a = accounts[r.randrange(len(accounts))]
        kind, c, bd, hd, settles, voucher, memo = _next_entry(a, source_pk, r)
        a.balance += bd
        a.held += hd
        if kind == "hold":
            a.holds.append((pk, c, voucher))
        amount = _yuan(c)
        fp = fingerprint(kind=kind, account=a.pk, amount=amount, settles=settles, reverses=None, voucher=voucher,
                         extra="")
        rows.append((pk, f"bench-seed:{a.pk}:{a.n}", fp, a.pk, a.unit, kind, amount, bd, hd, a.balance, a.held,
                     settles, voucher, memo, by_id, at0 + step * i))
        a.n += 1
    return rows


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)  # numbers, Decimals; the texts here hold no tab, newline or backslash


def seed(entries: int, users: dict[str, Any]) -> dict[str, Any]:
    import random

    from django.db import connection, transaction
    from django.utils import timezone

    from funds.models import FundAccount, LedgerEntry

    source, accounts = seed_accounts(users)
    have = LedgerEntry.objects.filter(account__source=source).count()
    missing = entries - have
    print(f"seed: {have:,} bench entries in {len(accounts)} accounts; {max(missing, 0):,} to write", flush=True)
    if missing <= 0:
        return {"entries": have, "written": 0, "seconds": 0.0, "accounts": len(accounts)}
    now = timezone.now()
    last = LedgerEntry.objects.filter(account__source=source).order_by("-id").values_list("at", flat=True).first()
    at0 = max(last or now - datetime.timedelta(days=365), now - datetime.timedelta(days=365))
    step = (now - at0) / missing
    r = random.Random(2026 + have)
    by_id = users["d1_accountant"].pk
    table = connection.ops.quote_name(LedgerEntry._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    started = time.perf_counter()
    written = 0
    while written < missing:
        n = min(BLOCK, missing - written)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{LedgerEntry._meta.db_table}', 'id')) "
                               "FROM generate_series(1, %s)", [n])
                ids = [row[0] for row in cursor.fetchall()]
            else:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                first = cursor.fetchone()[0] + 1
                ids = list(range(first, first + n))
            rows = _block(accounts, ids, source.pk, by_id, at0 + step * written, step, r)
            if connection.vendor == "postgresql":
                data = "".join("\t".join(_copy_text(v) for v in row) + "\n" for row in rows)
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data.encode())
            else:
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
            FundAccount.objects.bulk_update([FundAccount(pk=a.pk, balance_cents=a.balance, held_cents=a.held)
                                             for a in accounts], ["balance_cents", "held_cents"])
        written += n
        rate = written / (time.perf_counter() - started)
        print(f"  {have + written:>10,} entries  ({rate:,.0f} entries/s)", flush=True)
    seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"seed: {written:,} entries in {seconds:.1f} s ({written / seconds:,.0f} entries/s)", flush=True)
    return {"entries": have + written, "written": written, "seconds": seconds, "accounts": len(accounts)}


# --- 2. payments under contention --------------------------------------------------------------------


def _amount(i: int) -> int:
    """Payment ``i``'s amount in cents: 100.00 … 999.99 yuan."""
    return 10_000 + (i * 7_919) % 90_000


def _run_threads(threads: int, payments: int, work: Any) -> tuple[float, list[float], list[str]]:
    """``threads`` threads, each on its own connection, doing ``work(i)`` for i in 0…payments−1
    (taken from one shared counter) after a common start; (wall seconds, latencies, errors)."""
    from django.db import connection

    counter = iter(range(payments))
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    ready = threading.Barrier(threads + 1)

    def payer() -> None:
        mine: list[float] = []
        try:
            connection.ensure_connection()
            ready.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                t0 = time.perf_counter()
                try:
                    work(i)
                except Exception as exc:  # noqa: BLE001 — counted and shown, the run goes on
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                mine.append(time.perf_counter() - t0)
        finally:
            with lock:
                latencies.extend(mine)
            connection.close()

    pool = [threading.Thread(target=payer) for _ in range(threads)]
    for t in pool:
        t.start()
    ready.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - started, latencies, errors


def _run_processes(processes: int, payments: int, work: Any) -> tuple[float, list[float], list[str]]:
    """The same with forked processes (as gunicorn's workers are): no shared interpreter lock."""
    import multiprocessing

    from django.db import connections

    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("i", 0)
    ready = ctx.Barrier(processes + 1)
    results = ctx.SimpleQueue()
    connections.close_all()  # each child opens its own

    def payer() -> None:
        from django.db import connection

        mine: list[float] = []
        errors: list[str] = []
        connection.ensure_connection()
        ready.wait()
        while True:
            with counter.get_lock():
                i = counter.value
                counter.value += 1
            if i >= payments:
                break
            t0 = time.perf_counter()
            try:
                work(i)
            except Exception as exc:  # noqa: BLE001 — counted and shown, the run goes on
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            mine.append(time.perf_counter() - t0)
        connection.close()
        results.put((mine, errors))

    pool = [ctx.Process(target=payer) for _ in range(processes)]
    for p in pool:
        p.start()
    ready.wait()
    started = time.perf_counter()
    latencies: list[float] = []
    errors: list[str] = []
    for _ in pool:
        mine, theirs = results.get()
        latencies.extend(mine)
        errors.extend(theirs)
    wall = time.perf_counter() - started
    for p in pool:
        p.join()
    return wall, latencies, errors


def _figures(name: str, payments: int, wall: float, latencies: list[float], errors: list[str]) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    p95 = statistics.quantiles(ms, n=100)[94] if len(ms) >= 2 else (ms[0] if ms else 0.0)
    return {"name": name, "payments": payments, "done": len(ms), "errors": len(errors), "first_errors": errors[:3],
            "seconds": wall, "per_s": len(ms) / wall if wall else 0.0, "p50_ms": statistics.median(ms) if ms else 0.0,
            "p95_ms": p95, "max_ms": ms[-1] if ms else 0.0}


def _plain_table() -> None:
    """``bench_funds_plain``: the ledger's columns and (PostgreSQL) its indexes, none of its rules —
    no foreign keys, no CHECKs, no triggers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE funds_ledgerentry INCLUDING DEFAULTS "
                           "INCLUDING IDENTITY INCLUDING INDEXES)")
        else:
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} AS SELECT * FROM funds_ledgerentry WHERE 0")
            cursor.execute(f"CREATE UNIQUE INDEX {PLAIN_TABLE}_key ON {PLAIN_TABLE} (key)")


def _drop_plain() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")


def _pay_run(payments: int, threads: int, users: dict[str, Any], processes: bool = False) -> dict[str, Any]:
    """One measurement: a new account at 越城区 funded (through the ledger) for exactly ``payments``
    payments; the plain INSERT of the same rows by ``threads`` threads, then the payments by as
    many; then the invariants."""
    from django.db import connection
    from django.utils import timezone

    from funds import ledger
    from funds.models import FundAccount, FundSource
    from servicecenter.models import OrgUnit

    district = OrgUnit.objects.get(code="330602")
    accountant, cashier = users["d1_accountant"], users["d1_cashier"]
    run = timezone.now().strftime("%Y%m%d%H%M%S%f")
    total = sum(_amount(i) for i in range(payments))
    source = FundSource.objects.create(
        number=f"{PAY_PREFIX}{run}", org_unit=district, kind=FundSource.Kind.DONATION, donor="基准测试并发支付（模拟）",
        received_on=timezone.localdate(), amount=_yuan(total), note="bench/funds_bench.py", created_by=accountant)
    account = FundAccount.objects.create(org_unit=district, source=source)
    # Funded for exactly the N payments, through the ledger: when they are all paid, the balance is 0.
    ledger.post_income(account=account, amount=_yuan(total), key=f"bench-pay:{run}:income", by=accountant,
                       voucher=f"funds.source:{source.pk}", memo="并发支付基准：到账")

    def payment(i: int) -> None:
        amount = _yuan(_amount(i))
        voucher = f"bench.pay:{run}:{i}"
        h = ledger.hold(account=account, amount=amount, key=f"bench-pay:{run}:{i}:hold", by=accountant,
                        voucher=voucher, memo=f"救助审批冻结（并发基准）第 {i} 笔")
        ledger.disburse(account=account, amount=amount, key=f"bench-pay:{run}:{i}:pay", by=cashier, hold_entry=h,
                        voucher=voucher, memo=f"救助金发放（并发基准）第 {i} 笔")

    columns = ("key", "fingerprint", "account_id", "org_unit_id", "kind", "amount", "balance_delta", "held_delta",
               "balance_after", "held_after", "voucher", "memo", "by_id", "at")
    insert = (f"INSERT INTO {PLAIN_TABLE} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
              f"VALUES ({', '.join(['%s'] * len(columns))})")

    def plain(i: int) -> None:
        c = _amount(i)
        amount, voucher, now = _yuan(c), f"bench.pay:{run}:{i}", timezone.now()
        fp = ledger.fingerprint(kind="hold", account=account.pk, amount=amount, settles=None, reverses=None,
                                voucher=voucher, extra="")
        with connection.cursor() as cursor:  # autocommit: each INSERT its own transaction, as each movement
            cursor.execute(insert, [f"plain:{run}:{i}:hold", fp, account.pk, district.pk, "hold", amount, 0, c,
                                    total, c, voucher, f"救助审批冻结（并发基准）第 {i} 笔", accountant.pk, now])
            cursor.execute(insert, [f"plain:{run}:{i}:pay", fp, account.pk, district.pk, "disburse", amount, -c, -c,
                                    total - c, 0, voucher, f"救助金发放（并发基准）第 {i} 笔", cashier.pk, now])

    _plain_table()
    try:
        how = "" if threads == 1 else " (processes)" if processes else " (threads)"
        print(f"\npay: {payments:,} payments by {threads} payer{'s' if threads > 1 else ''}{how} on one account "
              f"({connection.vendor}); plain INSERT first", flush=True)
        run_payers = _run_processes if processes and threads > 1 else _run_threads
        ref = _figures("plain INSERT", payments, *run_payers(threads, payments, plain))
        ours = _figures("ledger", payments, *run_payers(threads, payments, payment))
    finally:
        _drop_plain()
    print()
    print("| payers | path | payments | done | errors | wall (s) | payments/s | rows/s | p50 ms | p95 ms | max ms |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for f in (ours, ref):
        print(f"| {threads} | {f['name']} | {f['payments']:,} | {f['done']:,} | {f['errors']} | {f['seconds']:.2f} | "
              f"{f['per_s']:,.0f} | {2 * f['per_s']:,.0f} | {f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['max_ms']:.1f} |")
    for f in (ours, ref):
        for e in f["first_errors"]:
            print(f"  {f['name']} error: {e}")
    invariants = check(account, payments, total, f"{threads} payer{'s' if threads > 1 else ''}")
    ok = all(invariants.values()) and ours["errors"] == 0 and ours["done"] == payments
    return {"threads": threads, "ledger": ours, "plain": ref, "invariants": invariants, "ok": ok,
            "ratio": ours["per_s"] / ref["per_s"] if ref["per_s"] else 0.0}


def pay(payments: int, threads: int, users: dict[str, Any], processes: bool = False
        ) -> tuple[dict[str, Any], bool, bool]:
    """The payments by one payer (for reference: the cost of a payment without contention), then by
    ``threads`` payers (judged). Returns (figures, speed goals met, invariants hold)."""
    from funds.models import LedgerEntry

    alone = _pay_run(max(min(payments // 4, 1000), 20), 1, users)
    crowd = _pay_run(payments, threads, users, processes)
    ours, ref, ratio = crowd["ledger"], crowd["plain"], crowd["ratio"]
    print()
    print(f"INFO  funds payments: 1 payer {alone['ledger']['per_s']:,.0f} payments/s (p50 "
          f"{alone['ledger']['p50_ms']:.1f} ms) vs plain INSERT {alone['plain']['per_s']:,.0f}/s = "
          f"{alone['ratio']:.3f}×; {threads} payers on one account give {ours['per_s'] / alone['ledger']['per_s']:.2f}× "
          "the 1-payer rate")
    speed_ok = ratio >= THROUGHPUT_GOAL and ours["p95_ms"] <= P95_GOAL_MS
    print(f"{_verdict(ratio >= THROUGHPUT_GOAL)}  funds payments: {threads} payers on one account "
          f"{ours['per_s']:,.0f} payments/s vs plain INSERT {ref['per_s']:,.0f}/s = {ratio:.3f}×; "
          f"goal ≥ {THROUGHPUT_GOAL}×")
    print(f"{_verdict(ours['p95_ms'] <= P95_GOAL_MS)}  funds payments: {threads} payers, p95 {ours['p95_ms']:.1f} ms "
          f"(plain INSERT {ref['p95_ms']:.1f} ms); goal ≤ {P95_GOAL_MS:.0f} ms")
    figures = {"alone": alone, "contended": crowd, "ledger_entries": LedgerEntry.objects.count()}
    return figures, speed_ok, alone["ok"] and crowd["ok"]


def check(account: Any, payments: int, total: int, label: str) -> dict[str, bool]:
    """The invariants after the run, each printed PASS/FAIL."""
    from django.db import connection
    from django.db.models import Count, F, Q, Sum

    from funds.ledger import ledger_sum
    from funds.models import FundAccount, LedgerEntry

    account.refresh_from_db()
    balance, held = ledger_sum(account)
    entries = LedgerEntry.objects.filter(account=account)
    kinds = dict(entries.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    paid_holds = entries.filter(kind="disburse", settles__isnull=False).values("settles").distinct().count()
    last_after = entries.order_by("-id").values_list("balance_after", "held_after").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM (SELECT key FROM funds_ledgerentry GROUP BY key HAVING COUNT(*) > 1) d")
        duplicate_keys = cursor.fetchone()[0]
    sums = {row["account_id"]: (row["b"], row["h"]) for row in (
        LedgerEntry.objects.values("account_id").annotate(b=Sum("balance_delta"), h=Sum("held_delta")))}
    accounts = list(FundAccount.objects.values_list("pk", "balance_cents", "held_cents"))
    off = [pk for pk, b, h in accounts if sums.get(pk, (0, 0)) != (b, h)]
    bad_rows = FundAccount.objects.filter(Q(balance_cents__lt=0) | Q(held_cents__lt=0)
                                          | Q(held_cents__gt=F("balance_cents"))).count()
    result = {
        "ledger sum = balance": (balance, held) == (account.balance, account.held),
        "balance ≥ 0, held ≤ balance": account.balance_cents >= 0 and 0 <= account.held_cents <= account.balance_cents,
        "all paid: balance 0, held 0": (account.balance_cents, account.held_cents) == (0, 0),
        "entries: 1 income + N holds + N payments": kinds == {"income": 1, "hold": payments, "disburse": payments},
        "every hold paid once": paid_holds == payments,
        "last entry's balance_after = balance": last_after == (account.balance_cents, account.held_cents),
        "no key twice in the ledger": duplicate_keys == 0,
        "every account: entries sum to its balance": not off and bad_rows == 0,
    }
    details = {
        "ledger sum = balance": f"entries {balance} / {held} 元, account {account.balance} / {account.held} 元",
        "balance ≥ 0, held ≤ balance": f"balance {account.balance} 元, held {account.held} 元",
        "all paid: balance 0, held 0": f"funded {_yuan(total)} 元 for {payments:,} payments",
        "entries: 1 income + N holds + N payments": f"{kinds}",
        "every hold paid once": f"{paid_holds:,} holds paid of {payments:,}",
        "last entry's balance_after = balance": f"{last_after}",
        "no key twice in the ledger": f"{duplicate_keys} duplicated keys in {LedgerEntry.objects.count():,} entries",
        "every account: entries sum to its balance": f"{len(accounts)} accounts, {len(off)} off, {bad_rows} "
                                                     "outside the CHECKs",
    }
    print()
    for name, ok in result.items():
        print(f"{_verdict(ok)}  funds invariant ({label}): {name} ({details[name]})")
    return result


# --- 3. the ledger register -----------------------------------------------------------------------------


def export(rows: int, repeat: int, timeout: float) -> tuple[dict[str, Any], bool]:
    """``export_bench.py --register funds`` in its own process: its children's peak RSS must not
    start from this process's (Linux keeps ``ru_maxrss`` across fork and exec, and this one has
    just seeded a million rows and run 16 payers)."""
    import tempfile

    from funds.models import LedgerEntry

    rows = min(rows, LedgerEntry.objects.count())
    print(f"\nexport (资金台账): {rows:,} rows", flush=True)
    with tempfile.TemporaryDirectory(prefix="funds-bench-") as tmp:
        out = Path(tmp) / "export.json"
        proc = subprocess.run([sys.executable, str(Path(export_bench.__file__)), "--register", "funds", "--rows",
                               str(rows), "--repeat", str(repeat), "--timeout", str(timeout), "--json", str(out)],
                              check=False)
        figures = json.loads(out.read_text()) if out.exists() else {"rows": rows, "error": proc.returncode}
    return figures, proc.returncode == 0


# --- main ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000, help="bench ledger entries to seed")
    parser.add_argument("--payments", type=int, default=4000, help="payments under contention")
    parser.add_argument("--threads", type=int, default=16, help="concurrent payers, one connection each")
    parser.add_argument("--processes", action="store_true",
                        help="the payers as forked processes (as gunicorn's workers) instead of threads")
    parser.add_argument("--export-rows", type=int, default=None, help="rows of the register (default: --entries)")
    parser.add_argument("--repeat", type=int, default=None, help="export runs per mode (default 3, 2 above 100k rows)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per export run")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts: seed,pay,export")
    parser.add_argument("--no-seed", action="store_true", help="do not run migrate/seed_demo for the demo accounts")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a speed goal of the payments is missed too")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    setup_django()
    from django.conf import settings

    settings.DEBUG = False  # no query log in the measured threads (bench/smoke.sh sets DEBUG=1 for seed_demo)
    users = ensure_demo(args.no_seed)
    info = machine()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    out: dict[str, Any] = {"machine": info}
    ok = True
    if "seed" in parts:
        out["seed"] = seed(args.entries, users)
    if "pay" in parts:
        figures, speed_ok, invariants_ok = pay(args.payments, args.threads, users, args.processes)
        out["pay"] = figures
        ok = ok and invariants_ok and (speed_ok or not args.strict)
    if "export" in parts:
        rows = args.export_rows or args.entries
        repeat = args.repeat or (3 if rows <= 100_000 else 2)
        figures, export_ok = export(rows, repeat, args.timeout)
        out["export"] = figures
        ok = ok and export_ok
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
