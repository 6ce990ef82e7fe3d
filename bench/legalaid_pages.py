"""Legal-aid application list benchmark: 法律援助案件 (``/legalaid/applications/``) at 200,000 cases,
against raw SQL. The same measurement as ``bench/petition_pages.py`` (``list_pages.py``'s helpers):
for each case — a user and a filter — page 1 (median of ``--runs``), the reference SQL (the page
query as Django compiles it plus ``SELECT COUNT(*)``; goal ``ours ≤ 3 × ref + 10 ms``), queries per
request (goal ≤ 5 on the data, any page) and page 1000 (fewer when shorter) through the list's own
下一页 link (goal ≤ 2 × page 1).

Cases: the city supervisor (every case) and a station clerk, unfiltered and by 状态, the urgent
limitation queue (时效紧急), 审查逾期, a search by the applicant's pinyin initials, and the list
ordered by 编号 (ordering by 时效届满日, a nullable date, pages by OFFSET like any such ordering).

    DATABASE_URL=postgres://…/bench python bench/legalaid_pages.py                 # 200,000 cases
    python bench/legalaid_pages.py --applications 10000 --runs 3                     # smoke run

The register at the same size is ``bench/export_bench.py --register legalaid --rows N``. The
database gets ``--applications`` cases from ``manage.py seed_demo --count legalaid=N`` first unless
``--no-seed``. Exit status 0 when the pages work; goals printed (PASS / FAIL), enforced with ``--strict``.
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
    Case("city-status", "市中心，承办中", "city_sup", {"status": "assigned"}),
    Case("city-urgent", "市中心，时效紧急", "city_sup", {"deadline": "urgent"}),
    Case("city-review-late", "市中心，审查逾期", "city_sup", {"deadline": "review_overdue"}),
    Case("station", "服务站，全部", "s11_clerk", {}),
    Case("station-status", "服务站，已结案", "s11_clerk", {"status": "closed"}),
    Case("station-urgent", "服务站，时效紧急", "s11_clerk", {"deadline": "urgent"}),
    Case("city-applicant", "市中心，申请人 zw", "city_sup", {"applicant": "zw"}),
    Case("number-order", "市中心，按编号", "city_sup", {"ordering": "number"}),
]


def seed(applications: int) -> None:
    started = time.monotonic()
    manage = str(BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([sys.executable, manage, "seed_demo", "--count", f"legalaid={applications}"], check=True)
    print(f"数据准备 {time.monotonic() - started:.0f} 秒")


def filtered(case: Case, user: Any) -> Any:
    """The queryset the list pages for this user and filter (view: application_list)."""
    from django.http import QueryDict

    from legalaid import selectors
    from legalaid.filters import ApplicationFilter

    data = QueryDict(mutable=True)
    data.update(case.params)
    return ApplicationFilter(data or None, queryset=selectors.applications_for(user), user=user).qs


def run_case(case: Case, runs: int) -> Result:
    from django.test import Client

    from servicecenter.models import User

    user = User.objects.get(username=case.username)
    client = Client()
    client.force_login(user)
    return measure_list(Result(case.key, case.label), client, "/legalaid/applications/", case.params,
                        filtered(case, user), runs, "legalaid_application")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=200_000, help="cases (seed_demo --count legalaid=N)")
    parser.add_argument("--runs", type=int, default=11, help="requests per measurement (median)")
    parser.add_argument("--cases", default=",".join(c.key for c in CASES))
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    if not args.no_seed:
        seed(args.applications)
    setup_django()
    prepare_session()

    from legalaid.models import Application

    info = machine()
    total = Application.objects.count()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"法律援助案件列表：{total:,} 件；每项取 {args.runs} 次中位数")
    if total < args.applications:
        print(f"警告：库中只有 {total:,} 件申请，少于 --applications {args.applications:,}")
    wanted = args.cases.split(",")
    results = []
    for case in CASES:
        if case.key not in wanted:
            continue
        started = time.monotonic()
        result = run_case(case, args.runs)
        results.append(result)
        print(f"  {case.key:17} {case.label:14} ours {result.ours_ms:8.1f} ms  ref {result.ref_ms:8.1f} ms  "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    print()
    print(table(results, admin=False))
    print()
    ok = verdicts("legal-aid list", results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "applications": total,
                                               "results": [asdict(r) | {"ref_ms": r.ref_ms, "goal_met": r.goal_met}
                                                           for r in results]}, ensure_ascii=False, indent=1))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
