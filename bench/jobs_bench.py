"""就业援助 benchmark: matching at 100,000 seekers and 20,000 open postings, and the seeker list.

Matching (issue 11): for each of ``--seekers-measured`` seekers (with skills and a desired job, any
employment type, no desired area: the widest candidate set), in this process:

* ``ours`` — ``matching.postings_for``: the top 20 postings ranked in SQL (annotations, one query
  for the page) and explained in Python for those 20 only; median of ``--runs`` (ms), and the
  number of queries it ran;
* ``ref``  — scoring every open posting in Python: the open, verified, lawful postings and their
  skills read from the database, the same hard filters and factors (``matching.python_rank``),
  sorted, the top 20 kept — same run;
* ``page`` — ``GET /jobs/seekers/<pk>/matches/`` through the test client (middleware, template).

Goals: ours ≥ 10 × faster than ref (every seeker measured); a fixed number of queries (the same for
every seeker and at every scale: ``EXPECTED_QUERIES``); ours' top 20 = ref's top 20 (scores too).

Seeker list (求职登记, ``/jobs/seekers/``): the people-list measurement of ``bench/list_pages.py``
(``measure_list``: page 1 against the raw SQL page + COUNT, a deep page reached through 下一页, queries
on the data) for the city, a station, a skill search through a synonym (电焊) and pinyin initials;
goals ≤ 3 × ref + 10 ms, deep page ≤ 2 × page 1, ≤ 5 queries on the data. The seeker register (求职登记表)
is ``bench/export_bench.py --register seekers``.

    DATABASE_URL=postgres://…/bench python bench/jobs_bench.py                       # 100,000 seekers
    python bench/jobs_bench.py --seekers 10000 --rows 10000 --runs 3                   # smoke run

The database gets ``--rows`` people and ``--seekers`` seekers (``seed_demo --scale R --count jobs=S``:
S / 5 open postings) first unless ``--no-seed``. Exit status 0 when the pages work; goals are printed
(PASS / FAIL) and enforced only with ``--strict``.
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
    count_queries,
    machine,
    measure,
    measure_list,
    prepare_session,
    setup_django,
    table,
    verdicts,
)

SPEED_GOAL = 10.0  # ref / ours
TOP = 20
# The seeker's skills and home subtree (2), the ranked page (1), the shown postings' skills, areas and
# the units above them (3), the names for the explanation (3): jobs/matching.py, postings_for.
EXPECTED_QUERIES = 9


@dataclass
class MatchResult:
    seeker: str
    candidates: int = 0
    ours_ms: float = 0.0
    ours_cpu_ms: float = 0.0
    ref_ms: float = 0.0
    ref_cpu_ms: float = 0.0
    page_ms: float = 0.0
    queries: int = 0
    page_queries: int = 0
    same_top: bool = False

    @property
    def speedup(self) -> float:
        return self.ref_ms / self.ours_ms if self.ours_ms else 0.0


def seed(rows: int, seekers: int) -> None:
    started = time.monotonic()
    manage = str(BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([sys.executable, manage, "seed_demo", "--scale", str(rows), "--count", f"jobs={seekers}"],
                   check=True)
    print(f"数据准备 {time.monotonic() - started:.0f} 秒")


def reference(seeker: Any, user: Any) -> list[tuple[int, int]]:
    """Every open posting scored in Python: what a ranking without the database would cost."""
    from django.utils import timezone

    from jobs import matching
    from jobs.models import Posting, Recruiter, open_q
    from servicecenter.access import visible

    today = timezone.localdate()
    s = matching.seeker_facts(seeker, today)
    rows = list(visible(Posting.objects.all(), user).filter(open_q(today), wording_ok=True,
                                                            recruiter__status=Recruiter.Status.VERIFIED)
                .select_related("recruiter"))
    return matching.python_rank(s, matching.posting_facts(rows, today).values())[:TOP]


def pick_seekers(n: int) -> list[Any]:
    from jobs.models import Seeker

    qs = (Seeker.objects.filter(status="seeking", employment_type="any", desired_area__isnull=True,
                                desired_occupation__isnull=False, skills__isnull=False)
          .select_related("person", "org_unit").distinct().order_by("pk"))
    step = max(qs.count() // max(n, 1), 1)
    return [s for i, s in enumerate(qs.iterator()) if i % step == 0][:n]


def run_matching(seeker: Any, user: Any, client: Any, runs: int) -> MatchResult:
    from django.utils import timezone

    from jobs import matching
    from jobs.models import Posting, Recruiter, open_q
    from servicecenter.access import visible

    result = MatchResult(seeker.number)
    base = visible(Posting.objects.all(), user)
    result.candidates = base.filter(open_q(timezone.localdate()), recruiter__status=Recruiter.Status.VERIFIED).count()
    ours = [(m.obj.pk, m.score) for m in matching.postings_for(seeker, base)[0]]
    ref = reference(seeker, user)
    result.same_top = ours == ref
    result.ours_ms, result.ours_cpu_ms = measure(lambda: matching.postings_for(seeker, base), runs)
    result.ref_ms, result.ref_cpu_ms = measure(lambda: reference(seeker, user), max(3, runs // 2), warmup=1)
    result.queries, _ = count_queries(lambda: matching.postings_for(seeker, base), "jobs_posting")
    url = f"/jobs/seekers/{seeker.pk}/matches/"
    result.page_ms, _ = measure(lambda: client.get(url), runs)
    result.page_queries, _ = count_queries(lambda: client.get(url), "jobs_posting")
    return result


def seeker_cases() -> list[tuple[str, str, str, dict[str, str]]]:
    return [("city", "市中心，全部", "city_sup", {}), ("station", "服务站，全部", "s11_clerk", {}),
            ("city-skill", "市中心，技能 电焊", "city_sup", {"skill": "电焊"}),
            ("city-pinyin", "市中心，拼音 zw", "city_sup", {"q": "zw"})]


def run_seeker_list(key: str, label: str, username: str, params: dict[str, str], runs: int) -> Result:
    from django.http import QueryDict
    from django.test import Client

    from jobs import selectors
    from jobs.filters import SeekerFilter
    from servicecenter.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    data = QueryDict(mutable=True)
    data.update(params)
    qs = SeekerFilter(data or None, queryset=selectors.seekers_for(user), user=user).qs
    return measure_list(Result(key, label), client, "/jobs/seekers/", params, qs, runs, "jobs_seeker")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seekers", type=int, default=100_000, help="seekers (seed_demo --count jobs=N)")
    parser.add_argument("--rows", type=int, default=100_000, help="bulk people (seed_demo --scale)")
    parser.add_argument("--runs", type=int, default=11, help="runs per measurement (median)")
    parser.add_argument("--seekers-measured", type=int, default=5)
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument("--only", default="matching,list", help="matching,list")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()
    if not args.no_seed:
        seed(args.rows, args.seekers)
    setup_django()
    prepare_session()
    from django.test import Client
    from django.utils import timezone

    from jobs.models import Posting, Seeker, open_q
    from servicecenter.models import User

    info = machine()
    total, postings = Seeker.objects.count(), Posting.objects.filter(open_q(timezone.localdate())).count()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"求职者 {total:,} 人，招聘中岗位 {postings:,} 个；每项取 {args.runs} 次中位数")
    if total < args.seekers:
        print(f"警告：库中只有 {total:,} 名求职者，少于 --seekers {args.seekers:,}")
    ok = True
    out: dict[str, Any] = {"machine": info, "seekers": total, "open_postings": postings}
    if "matching" in args.only:
        user = User.objects.get(username="city_sup")
        client = Client()
        client.force_login(user)
        results = []
        for seeker in pick_seekers(args.seekers_measured):
            r = run_matching(seeker, user, client, args.runs)
            results.append(r)
            print(f"  {r.seeker}: ours {r.ours_ms:7.1f} ms  ref {r.ref_ms:8.1f} ms  ({r.speedup:5.1f}×)  "
                  f"page {r.page_ms:7.1f} ms  {r.queries} queries  top 20 same: {r.same_top}", flush=True)
        print()
        print("| seeker | candidates | ours (ms) | ours CPU | ref: all in Python (ms) | ref CPU | × | page (ms) | "
              "queries (fn / page) | top 20 = ref |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in results:
            print(f"| {r.seeker} | {r.candidates:,} | {r.ours_ms:.1f} | {r.ours_cpu_ms:.1f} | {r.ref_ms:.1f} | "
                  f"{r.ref_cpu_ms:.1f} | {r.speedup:.1f} | {r.page_ms:.1f} | {r.queries} / {r.page_queries} | "
                  f"{'yes' if r.same_top else 'NO'} |")
        print()
        for r in results:
            speed_ok = r.speedup >= SPEED_GOAL
            queries_ok = r.queries == EXPECTED_QUERIES
            ok = ok and speed_ok and queries_ok and r.same_top
            print(f"{'PASS' if speed_ok else 'FAIL'}  matching {r.seeker}: top {TOP} of {r.candidates:,} in "
                  f"{r.ours_ms:.1f} ms vs every open posting scored in Python {r.ref_ms:.1f} ms = {r.speedup:.1f}× "
                  f"faster; goal ≥ {SPEED_GOAL:.0f}×")
            print(f"{'PASS' if queries_ok else 'FAIL'}  matching {r.seeker}: {r.queries} queries; goal a fixed "
                  f"{EXPECTED_QUERIES} (whatever the number of postings)")
            print(f"{'PASS' if r.same_top else 'FAIL'}  matching {r.seeker}: the SQL top {TOP} equals the Python "
                  "reference's (postings and scores)")
            print(f"INFO  matching {r.seeker}: the whole page {r.page_ms:.1f} ms ({r.page_queries} queries)")
        out["matching"] = [asdict(r) | {"speedup": r.speedup} for r in results]
    if "list" in args.only:
        results_l = []
        for key, label, username, params in seeker_cases():
            started = time.monotonic()
            r = run_seeker_list(key, label, username, params, args.runs)
            results_l.append(r)
            print(f"  {key:12} {label:14} ours {r.ours_ms:8.1f} ms  ref {r.ref_ms:8.1f} ms  "
                  f"({time.monotonic() - started:.0f} s)", flush=True)
        print()
        print(table(results_l, admin=False))
        print()
        ok = verdicts("seeker list", results_l) and ok
        out["seeker_list"] = [asdict(r) | {"ref_ms": r.ref_ms, "goal_met": r.goal_met} for r in results_l]
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
