"""Roster benchmark: 困难职工花名册 (``/hardship/roster/``) and the file list at 200,000 files.

The same measurement as ``bench/list_pages.py`` (whose helpers it uses): for each case — a user and
a filter — in this process, with Django's test client:

* ``ours`` — page 1, median of ``--runs`` requests (ms), and the CPU time of the Python side;
* ``ref``  — the raw SQL such a page needs at the least, through a plain cursor: the page query
  exactly as Django compiles it for this user and filter (``ORDER BY … LIMIT 50`` with the applicant
  and the unit joined, the scope rule applied) plus ``SELECT COUNT(*)`` over the same filter; goal
  ``ours ≤ 3 × ref + 10 ms``;
* queries per request (all / those reading ``hardship_hardshipfile``), page 1 and the deep page;
  goal ≤ 5 on the data;
* page 1000 (fewer when the list is shorter), opened through the 下一页 link of page 999 as the
  list renders it: goal ≤ 2 × page 1; beside it what ``OFFSET`` costs for that page in raw SQL.

Cases: the city supervisor (every archived file, approved by the districts) and a station clerk (one
station's files), unfiltered and by 困难类别 / 复核到期, a search by the applicant's pinyin initials,
and the working list of every file.

    DATABASE_URL=postgres://…/bench python bench/hardship_pages.py                 # 200,000 files
    python bench/hardship_pages.py --files 10000 --rows 10000 --runs 3            # smoke run (CI)

The database gets ``--files`` files (and ``--rows`` people) from ``manage.py seed_demo`` first unless
``--no-seed``. Exit status 0 when the pages work; the goals are printed (PASS / FAIL), and enforced
only with ``--strict``.
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
    url: str
    params: dict[str, str]


ROSTER = "/hardship/roster/"
CASES = [
    Case("city", "市中心，花名册", "city_sup", ROSTER, {}),
    Case("city-extreme", "市中心，特困职工", "city_sup", ROSTER, {"grade": "extreme"}),
    Case("city-due", "市中心，复核到期", "city_sup", ROSTER, {"recheck": "due"}),
    Case("city-pinyin", "市中心，申请人 zw", "city_sup", ROSTER, {"q": "zw"}),
    Case("station", "服务站，花名册", "s11_clerk", ROSTER, {}),
    Case("station-due", "服务站，复核到期", "s11_clerk", ROSTER, {"recheck": "due"}),
    Case("district-list", "区中心，档案登记簿", "d1_sup", "/hardship/", {}),
]


def seed(rows: int, files: int) -> None:
    started = time.monotonic()
    manage = str(BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([sys.executable, manage, "seed_demo", "--scale", str(rows), "--count", f"hardship={files}"],
                   check=True)
    print(f"数据准备 {time.monotonic() - started:.0f} 秒")


def filtered(case: Case, user: Any) -> Any:
    """The queryset the page lists for this user and filter (views: roster / file_list)."""
    from django.http import QueryDict

    from hardship import selectors
    from hardship.filters import FileFilter, RosterFilter

    data = QueryDict(mutable=True)
    data.update(case.params)
    if case.url == ROSTER:
        return RosterFilter(data or None, queryset=selectors.roster_for(user), user=user).qs
    return FileFilter(data or None, queryset=selectors.files_for(user), user=user).qs


def run_case(case: Case, runs: int) -> Result:
    from django.test import Client

    from servicecenter.models import User

    user = User.objects.get(username=case.username)
    client = Client()
    client.force_login(user)
    return measure_list(Result(case.key, case.label), client, case.url, case.params, filtered(case, user), runs,
                        "hardship_hardshipfile")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=200_000, help="files (seed_demo --count hardship=N)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="bulk people (seed_demo --scale)")
    parser.add_argument("--runs", type=int, default=11, help="requests per measurement (median)")
    parser.add_argument("--cases", default=",".join(c.key for c in CASES))
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    if not args.no_seed:
        seed(args.rows, args.files)
    setup_django()
    prepare_session()

    from hardship.models import HardshipFile

    info = machine()
    total = HardshipFile.objects.count()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"困难职工档案：{total:,} 份；每项取 {args.runs} 次中位数")
    if total < args.files:
        print(f"警告：库中只有 {total:,} 份档案，少于 --files {args.files:,}")
    wanted = args.cases.split(",")
    results = []
    for case in CASES:
        if case.key not in wanted:
            continue
        started = time.monotonic()
        result = run_case(case, args.runs)
        results.append(result)
        print(f"  {case.key:15} {case.label:14} ours {result.ours_ms:8.1f} ms  ref {result.ref_ms:8.1f} ms  "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    print()
    print(table(results, admin=False))
    print()
    ok = verdicts("hardship roster", results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "files": total,
                                               "results": [asdict(r) | {"ref_ms": r.ref_ms, "goal_met": r.goal_met}
                                                           for r in results]}, ensure_ascii=False, indent=1))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
