"""Roll-up benchmark: the city's figures for 1,000 stations × 12 months, against raw SQL.

What is measured (same process, same database, best of ``--runs``):

* ``ours`` — ``rollups.monthly_table`` for the city, every district and every station below it,
  for each of the last twelve ended months: the unit tree, the parameters, the filed summaries and
  each installed app's ``figure_table`` (for petitions: cases received, closed, overdue at each
  month's end, follow-ups, notices; complainants counted distinct at every level), summed up the
  tree in Python. No summary is filed in the bench, so every cell is computed from the records.
* ``raw`` — the same figures through a plain cursor: the aggregate queries grouped by unit and
  month a hand-written report would run (one per record kind, one per level for the distinct
  complainants, one for the overdue counts), rows fetched, nothing summed up the tree.

Goals: a fixed number of queries (the same for 100 stations as for 1,000: printed, with the count
for a tenth of the units), and ``ours ≤ 3 × raw``. The totals of both are compared cell by cell
for the city (they must agree).

The bench organisation: ``--stations`` stations (default 1,000) under 10 bench districts of the
demo city; the petitions in the database (``seed_demo --count petitions=N``) are spread over those
stations and over the last eight months (ids modulo). All of it inside one transaction that is
rolled back at the end: the other benchmarks find the database as the seed left it.

    DATABASE_URL=postgres://…/bench python bench/summaries_bench.py              # after seed_demo at 1M
    python bench/summaries_bench.py --runs 3                                      # smoke (bench/smoke.sh)
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_pages import machine, setup_django  # noqa: E402 - bench/ is not a package

BENCH_DISTRICTS = 10
MONTHS_SPREAD = 8


def bench_org(stations: int) -> list[Any]:
    """The bench districts and stations under the demo city (created once, ids contiguous)."""
    from servicecenter.models import OrgUnit

    city = OrgUnit.objects.get(code="330600")
    per = -(-stations // BENCH_DISTRICTS)
    districts = []
    for d in range(BENCH_DISTRICTS):
        code = f"3306{90 + d}"
        district = OrgUnit.objects.filter(code=code).first()
        if district is None:
            district = OrgUnit.objects.create(code=code, name=f"基准测试第{d + 1}区职工服务中心", kind="district",
                                              parent=city, path=f"{city.path}{code}/", depth=city.depth + 1)
        districts.append(district)
    rows = []
    existing = set(OrgUnit.objects.filter(parent__in=districts).values_list("code", flat=True))
    for n in range(stations):
        district = districts[n // per]
        code = f"{district.code}{n % per:03d}"
        if code not in existing:
            rows.append(OrgUnit(code=code, name=f"基准{district.code[-1]}区第{n % per + 1}服务站", kind="station",
                                parent=district, path=f"{district.path}{code}/", depth=district.depth + 1))
    OrgUnit.objects.bulk_create(rows, batch_size=1000)
    return list(OrgUnit.objects.filter(parent__in=districts).order_by("pk"))


def spread_petitions(stations: list[Any]) -> None:
    """Every petition to a bench station (id modulo the station count) and back by 0–7 months
    (all its dates together), unless done already."""
    from django.db import transaction
    from django.db.models import F

    from petitions.models import FollowUp, Notice, Petition

    if Petition.objects.filter(org_unit__in=stations[:1]).exists() or not Petition.objects.exists():
        return
    ids = [s.pk for s in stations]
    if ids != list(range(ids[0], ids[0] + len(ids))):
        raise SystemExit("bench stations do not have contiguous ids; drop them and run again")
    started = time.monotonic()
    with transaction.atomic():
        Petition.objects.update(org_unit_id=F("id") % len(ids) + ids[0], received_unit_id=F("id") % len(ids) + ids[0])
        for k in range(1, MONTHS_SPREAD):
            delta = datetime.timedelta(days=30 * k)
            shifted = Petition.objects.annotate(bucket=F("id") % MONTHS_SPREAD).filter(bucket=k)
            FollowUp.objects.filter(petition__in=shifted.values("pk"), done_at__isnull=False).update(
                done_at=F("done_at") - delta)
            Notice.objects.filter(petition__in=shifted.values("pk")).update(issued_on=F("issued_on") - delta)
            shifted.update(received_at=F("received_at") - delta, accepted_on=F("accepted_on") - delta,
                           due_date=F("due_date") - delta)
            shifted.filter(closed_at__isnull=False).update(closed_at=F("closed_at") - delta,
                                                           stopped_on=F("stopped_on") - delta)
            shifted.filter(late_from__isnull=False).update(late_from=F("late_from") - delta)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE petitions_petition; ANALYZE petitions_followup; ANALYZE petitions_notice;"
                           " ANALYZE servicecenter_orgunit")
    print(f"已把 {Petition.objects.count():,} 件信访分到 {len(ids):,} 个服务站、{MONTHS_SPREAD} 个月"
          f"（{time.monotonic() - started:.0f} 秒）")


def months() -> list[Any]:
    from servicecenter.figures import last_ended_month

    out, month = [], last_ended_month()
    for _ in range(12):
        out.append(month)
        month = month.previous()
    return list(reversed(out))


def ours(units: list[Any], periods: list[Any]) -> tuple[float, int, dict]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from servicecenter import rollups
    from servicecenter.figures import UnitTree
    from servicecenter.models import OrgUnit
    from servicecenter.summaries import Chain

    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        city = OrgUnit.objects.get(code="330600")
        chain = Chain(UnitTree(city))
        wanted = [city, *chain.below(city)] if units is None else units
        table = rollups.monthly_table(chain, wanted, periods, rows={})  # as if nothing were filed yet
        elapsed = time.perf_counter() - started
    return elapsed, len(captured.captured_queries), {"table": table, "units": wanted, "city": city}


def raw(periods: list[Any]) -> tuple[float, dict]:
    """The figures as a hand-written report would aggregate them: grouped by unit and month."""
    from django.db import connection

    from servicecenter.models import OrgUnit

    city = OrgUnit.objects.get(code="330600")
    start, _ = periods[0].bounds(moments=True)
    _, end = periods[-1].bounds(moments=True)
    pg = connection.vendor == "postgresql"

    def month_of(column: str) -> str:
        return (f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')" if pg
                else f"strftime('%%Y-%%m', {column}, '+8 hours')")

    under = "u.path LIKE %s"
    prefix = city.path + "%"
    queries = [
        (f"SELECT p.org_unit_id, {month_of('p.received_at')} AS m, COUNT(*), "
         "SUM(CASE WHEN p.is_group THEN 1 ELSE 0 END), "
         f"SUM(CASE WHEN p.closed_at IS NOT NULL AND {month_of('p.closed_at')} = {month_of('p.received_at')} "
         "THEN 1 ELSE 0 END) "
         "FROM petitions_petition p JOIN servicecenter_orgunit u ON u.id = p.org_unit_id "
         f"WHERE {under} AND p.received_at >= %s AND p.received_at < %s GROUP BY 1, 2", [prefix, start, end]),
        (f"SELECT p.org_unit_id, {month_of('p.closed_at')}, COUNT(*), "
         "SUM(CASE WHEN p.late_from IS NULL THEN 1 ELSE 0 END) "
         "FROM petitions_petition p JOIN servicecenter_orgunit u ON u.id = p.org_unit_id "
         f"WHERE {under} AND p.closed_at >= %s AND p.closed_at < %s GROUP BY 1, 2", [prefix, start, end]),
        (f"SELECT p.org_unit_id, {month_of('f.done_at')}, COUNT(*), "
         "SUM(CASE WHEN f.satisfaction IN ('satisfied', 'fairly') THEN 1 ELSE 0 END), "
         "SUM(CASE WHEN f.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END) "
         "FROM petitions_followup f JOIN petitions_petition p ON p.id = f.petition_id "
         "JOIN servicecenter_orgunit u ON u.id = p.org_unit_id "
         f"WHERE {under} AND f.status = 'done' AND f.done_at >= %s AND f.done_at < %s GROUP BY 1, 2",
         [prefix, start, end]),
        ("SELECT p.org_unit_id, " + ("to_char(n.issued_on, 'YYYY-MM')" if pg else "strftime('%%Y-%%m', n.issued_on)")
         + ", COUNT(*) FROM petitions_notice n JOIN petitions_petition p ON p.id = n.petition_id "
         "JOIN servicecenter_orgunit u ON u.id = p.org_unit_id "
         f"WHERE {under} AND n.issued_on >= %s AND n.issued_on <= %s GROUP BY 1, 2",
         [prefix, periods[0].first, periods[-1].last]),
    ]
    overdue, select_params = [], []
    for period in periods:
        _, period_end = period.bounds(moments=True)
        overdue.append("SUM(CASE WHEN p.received_at < %s AND (p.closed_at IS NULL OR p.closed_at >= %s) "
                       "AND p.late_from <= %s THEN 1 ELSE 0 END)")
        select_params += [period_end, period_end, period.last]
    first_end = periods[0].bounds(moments=True)[1]
    queries.append((f"SELECT p.org_unit_id, {', '.join(overdue)} FROM petitions_petition p "
                    f"JOIN servicecenter_orgunit u ON u.id = p.org_unit_id WHERE {under} AND p.received_at < %s "
                    "AND (p.closed_at IS NULL OR p.closed_at >= %s) AND p.late_from <= %s GROUP BY 1",
                    [*select_params, prefix, end, first_end, periods[-1].last]))
    # Distinct complainants: per station (own unit), per district (its parent), for the city.
    for level in ("u.id", "u.parent_id", str(int(city.pk))):
        queries.append((f"SELECT {level}, {month_of('p.received_at')}, COUNT(DISTINCT p.person_id) "
                        "FROM petitions_petition p JOIN servicecenter_orgunit u ON u.id = p.org_unit_id "
                        f"WHERE {under} AND p.received_at >= %s AND p.received_at < %s GROUP BY 1, 2",
                        [prefix, start, end]))
    results = {}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i, (sql, args) in enumerate(queries):
            cursor.execute(sql, args)
            results[i] = cursor.fetchall()
    return time.perf_counter() - started, results


def check(result: dict, raw_rows: dict, periods: list[Any]) -> list[str]:
    """The city's received / closed / complainants per month: ours against the raw rows."""
    table, city = result["table"], result["city"]
    keys = [p.key for p in periods]
    problems = []
    received = dict.fromkeys(keys, 0)
    for _unit, month, n, *_ in raw_rows[0]:
        if month in received:
            received[month] += n
    closed = dict.fromkeys(keys, 0)
    for _unit, month, n, _ in raw_rows[1]:
        if month in closed:
            closed[month] += n
    people = {month: n for _unit, month, n in raw_rows[len(raw_rows) - 1]}
    for i, key in enumerate(keys):
        mine = table[(city.pk, i)].figures["petitions"]
        for code, theirs in (("received", received[key]), ("closed", closed[key]), ("complainants", people.get(key, 0))):
            if mine[code] != theirs:
                problems.append(f"{key} {code}: ours {mine[code]} raw {theirs}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5, help="best of N")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 when the time goal is missed too (the query count and the totals always count)")
    args = parser.parse_args()
    setup_django()

    from django.db import transaction

    with transaction.atomic():
        status = run(args)
        transaction.set_rollback(True)
    return status


def run(args: argparse.Namespace) -> int:
    from petitions.models import Petition

    stations = bench_org(args.stations)
    spread_petitions(stations)
    info = machine()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    periods = months()
    print(f"市级汇总：{len(stations):,} 个基准服务站 × {len(periods)} 个月，{Petition.objects.count():,} 件信访")

    best_ours, queries, result = min((ours(None, periods) for _ in range(args.runs)), key=lambda r: r[0])
    best_raw, raw_rows = min((raw(periods) for _ in range(args.runs)), key=lambda r: r[0])
    units = result["units"]
    # The same roll-up for a tenth of the units: the number of queries must not change.
    _, tenth_queries, _ = ours(units[: max(1, len(units) // 10)], periods)
    problems = check(result, raw_rows, periods)
    ratio = best_ours / best_raw if best_raw else float("inf")
    print(f"ours {best_ours * 1000:9.1f} ms, {queries} 次查询（{len(units):,} 个单位；其十分之一 {tenth_queries} 次）")
    print(f"raw  {best_raw * 1000:9.1f} ms, {len(raw_rows)} 次查询")
    ok = True

    def line(passed: bool, text: str, judged: bool = True) -> None:
        nonlocal ok
        ok = ok and (passed or not judged)
        print(f"{'PASS' if passed else 'FAIL'}  roll-up {text}")

    # At smoke scale the time is Python's (a cell per unit and month) and the goal says little;
    # at a million cases it is the database's.
    line(ratio <= 3, f"city × {len(units)} units × 12 months: {best_ours * 1000:.1f} ms vs raw SQL "
                     f"{best_raw * 1000:.1f} ms = {ratio:.2f}×; goal ≤ 3×", judged=args.strict)
    line(queries == tenth_queries, f"{queries} queries for {len(units)} units, {tenth_queries} for a tenth; "
                                   "goal: fixed")
    line(not problems, "city totals agree with raw SQL" + (f": {problems[:3]}" if problems else ""))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "petitions": Petition.objects.count(),
                                               "units": len(units), "ours_ms": best_ours * 1000,
                                               "raw_ms": best_raw * 1000, "queries": queries,
                                               "problems": problems}, ensure_ascii=False, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
