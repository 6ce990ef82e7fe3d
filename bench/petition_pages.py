"""Petition list benchmark: 信访接待登记簿 (``/petitions/``) at a million cases, against raw SQL.

The same measurement as ``bench/list_pages.py`` (whose helpers it uses), for the petition list: for
each case — a user and a filter — in this process, with Django's test client:

* ``ours`` — page 1, median of ``--runs`` requests (ms), and the CPU time of the Python side;
* ``ref``  — the raw SQL such a page needs at the least, through a plain cursor: the page query
  exactly as Django compiles it for this user and filter (``ORDER BY … LIMIT 50`` with the unit,
  category, complainant, employer and handler joined and the identity flag computed) plus
  ``SELECT COUNT(*)`` over the same filter; goal ``ours ≤ 3 × ref + 10 ms``;
* queries per request (all / those reading ``petitions_petition``), page 1 and the deep page;
  goal ≤ 5 on the data, whatever the page;
* page 1000 (fewer when the list is shorter), opened through the 下一页 link of page 999 as the
  list renders it: goal ≤ 2 × page 1; beside it what ``OFFSET`` costs for that page in raw SQL.

Cases: the city supervisor (every case) and a station clerk (the cases of one station), each
unfiltered and with a filter (状态 已交办; 办结期限 已逾期 / 即将到期), a search by the complainant's
pinyin initials, and the list ordered by 办结期限.

Deadline goal (the kernel's clock): page 1 of the 已逾期 and 即将到期 filters ≤ 2 × page 1 of the
unfiltered list, same run, for the city and for the station.

    DATABASE_URL=postgres://…/bench python bench/petition_pages.py               # 1,000,000 cases
    python bench/petition_pages.py --petitions 10000 --runs 3                     # smoke run (CI)

The database gets ``--petitions`` cases (and ``--rows`` people) from ``manage.py seed_demo`` first
unless ``--no-seed``. Exit status 0 when the pages work; the goals are printed (PASS / FAIL), and
enforced only with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from list_pages import (  # noqa: E402 - bench/ is not a package
    BASE_DIR,
    Result,
    machine,
    measure_list,
    prepare_session,
    setup_django,
    table,
    verdicts,
)


@dataclass
class Case:
    key: str
    label: str
    username: str
    params: dict[str, str]


CASES = [
    Case("city", "市中心，全部", "city_sup", {}),
    Case("city-status", "市中心，已交办", "city_sup", {"status": "assigned"}),
    Case("city-overdue", "市中心，已逾期", "city_sup", {"deadline": "overdue"}),
    Case("city-due-soon", "市中心，即将到期", "city_sup", {"deadline": "due_soon"}),
    Case("station", "服务站，全部", "s11_clerk", {}),
    Case("station-status", "服务站，已交办", "s11_clerk", {"status": "assigned"}),
    Case("station-overdue", "服务站，已逾期", "s11_clerk", {"deadline": "overdue"}),
    Case("station-due-soon", "服务站，即将到期", "s11_clerk", {"deadline": "due_soon"}),
    Case("city-person", "市中心，来访人 zw", "city_sup", {"person": "zw"}),
    Case("due-order", "市中心，按办结期限", "city_sup", {"ordering": "due"}),
]


def seed(rows: int, petitions: int) -> None:
    started = time.monotonic()
    manage = str(BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([sys.executable, manage, "seed_demo", "--scale", str(rows), "--count", f"petitions={petitions}"],
                   check=True)
    print(f"数据准备 {time.monotonic() - started:.0f} 秒")


def filtered(case: Case, user: Any) -> Any:
    """The queryset the petition list pages for this user and filter (view: petition_list)."""
    from django.http import QueryDict

    from petitions import selectors
    from petitions.filters import PetitionFilter

    data = QueryDict(mutable=True)
    data.update(case.params)
    return PetitionFilter(data or None, queryset=selectors.petitions_for(user), user=user).qs


def run_case(case: Case, runs: int) -> Result:
    from django.test import Client

    from servicecenter.models import User

    user = User.objects.get(username=case.username)
    client = Client()
    client.force_login(user)
    return measure_list(Result(case.key, case.label), client, "/petitions/", case.params, filtered(case, user), runs,
                        "petitions_petition")


def deadline_verdicts(results: list[Result]) -> bool:
    """Overdue and due-soon page 1 against the unfiltered page 1 of the same user, same run."""
    by_key = {r.case: r for r in results}
    ok = True
    for base in ("city", "station"):
        if base not in by_key:
            continue
        for kind in ("overdue", "due-soon"):
            r = by_key.get(f"{base}-{kind}")
            if r is None:
                continue
            ratio = r.ours_ms / by_key[base].ours_ms if by_key[base].ours_ms else float("inf")
            met = ratio <= 2.0
            ok = ok and met
            print(f"期限筛选 {r.case:18} {r.ours_ms:8.1f} ms / 未筛选 {by_key[base].ours_ms:8.1f} ms = {ratio:5.2f}×"
                  f"（目标 ≤ 2×）{'PASS' if met else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--petitions", type=int, default=1_000_000, help="cases (seed_demo --count petitions=N)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="bulk people (seed_demo --scale)")
    parser.add_argument("--runs", type=int, default=11, help="requests per measurement (median)")
    parser.add_argument("--cases", default=",".join(c.key for c in CASES))
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    if not args.no_seed:
        seed(args.rows, args.petitions)
    setup_django()
    prepare_session()

    from petitions.models import Petition

    info = machine()
    total = Petition.objects.count()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"信访列表：{total:,} 件；每项取 {args.runs} 次中位数")
    if total < args.petitions:
        print(f"警告：库中只有 {total:,} 件信访，少于 --petitions {args.petitions:,}")
    wanted = args.cases.split(",")
    results = []
    for case in CASES:
        if case.key not in wanted:
            continue
        started = time.monotonic()
        result = run_case(case, args.runs)
        results.append(result)
        print(f"  {case.key:15} {case.label:12} ours {result.ours_ms:8.1f} ms  ref {result.ref_ms:8.1f} ms  "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    print()
    print(table(results, admin=False))
    print()
    ok = verdicts("petition list", results)
    ok = deadline_verdicts(results) and ok
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "petitions": total,
                                               "results": [asdict(r) | {"ref_ms": r.ref_ms, "goal_met": r.goal_met}
                                                           for r in results]}, ensure_ascii=False, indent=1))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
