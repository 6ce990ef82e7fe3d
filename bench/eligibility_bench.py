"""Eligibility benchmark: the evaluation of one file, as a step does it (goal < 20 ms).

For ``--files`` demo files (the demo story's households: members, incomes, every profile), the
median of ``--runs`` runs of each of:

* ``evaluate_file`` — what review, approval and the yearly review call: the file's members and
  incomes read (two queries), the eleven parameters in force with their sources (one query), every
  rule evaluated, the whole trace stored as an ``Evaluation`` row (rolled back after each run);
* ``evaluate`` — the rules alone, on facts and parameters already in memory;
* ``replay`` — a stored evaluation recomputed from its JSON.

Goal: ``evaluate_file`` (the slowest file's median) < 20 ms.

    DATABASE_URL=postgres://…/bench python bench/eligibility_bench.py
    python bench/eligibility_bench.py --runs 20          # smoke run
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_pages import machine, prepare_session, setup_django  # noqa: E402 - bench/ is not a package

GOAL_MS = 20.0


class _Rollback(Exception):
    pass


def _median_ms(fn: Any, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--files", type=int, default=10, help="how many demo files to time")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    setup_django()
    prepare_session()

    from django.db import transaction
    from django.utils import timezone

    from hardship import eligibility, selectors, services
    from hardship.demo import seed_files
    from hardship.models import Evaluation, HardshipFile

    if not HardshipFile.objects.filter(members__isnull=False).exists():
        seed_files(0)
    files = list(HardshipFile.objects.filter(members__isnull=False).select_related("org_unit", "created_by")
                 .distinct().order_by("pk")[:args.files])
    if not files:
        print("没有带家庭成员的档案：先运行 seed_demo", file=sys.stderr)
        return 2
    today = timezone.localdate()
    rows = []
    for f in files:
        def stored(f: HardshipFile = f) -> None:
            try:
                with transaction.atomic():
                    services.evaluate_file(f, by=f.created_by, purpose="bench", as_of=today)
                    raise _Rollback
            except _Rollback:
                pass

        facts = selectors.facts_of(f, today)
        params = selectors.params_for(f.org_unit, today)
        evaluation = Evaluation.objects.filter(file=f).order_by("-id").first()
        rows.append({
            "file": f.pk, "members": len(facts.members),
            "evaluate_file_ms": _median_ms(stored, args.runs),
            "evaluate_ms": _median_ms(lambda facts=facts, params=params: eligibility.evaluate(facts, params), args.runs),
            "replay_ms": _median_ms(lambda e=evaluation: services.replay(e), args.runs) if evaluation else 0.0,
        })
    info = machine()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"认定核算：{len(rows)} 份档案，每项取 {args.runs} 次中位数")
    print()
    print("| file | members | evaluate_file ms | evaluate ms | replay ms |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['file']} | {r['members']} | {r['evaluate_file_ms']:.2f} | {r['evaluate_ms']:.3f} | {r['replay_ms']:.3f} |")
    worst = max(r["evaluate_file_ms"] for r in rows)
    print()
    print(f"{'PASS' if worst < GOAL_MS else 'FAIL'}  eligibility: evaluate_file {worst:.2f} ms (slowest file's median "
          f"over {args.runs} runs, reading the file and its parameters, storing the trace); goal < {GOAL_MS:.0f} ms")
    print(f"INFO  eligibility: the rules alone {max(r['evaluate_ms'] for r in rows):.3f} ms, a replay "
          f"{max(r['replay_ms'] for r in rows):.3f} ms")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "runs": args.runs, "files": rows}, indent=1))
    return 0 if worst < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
