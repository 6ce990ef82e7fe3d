"""List page benchmark: the people list at a million rows, against raw SQL and Django's admin.

For each case (a user and a filter) it measures, in this process, with Django's test client (the
whole middleware stack, the template, everything but the network):

* ``ours``  — ``GET /people/?…`` page 1: median of ``--runs`` requests, in ms;
* ``ref``   — the raw SQL the page needs at the least, through a plain cursor in the same run: the
  page query Django compiles for this filter (``ORDER BY … LIMIT 50``, unit and employer joined) plus
  ``SELECT COUNT(*)`` over the same filter — what any list with a total has to pay;
* the goal ``ours ≤ 3 × ref + 10 ms`` and whether it is met;
* queries per request (all / those reading the people tables) for page 1 and a deep page;
* page 1000 (fewer pages when the list is shorter), opened through the 下一页 link of page 999 as the
  list itself renders it, against page 1 — goal ≤ 2 — and what ``OFFSET`` would cost for that page
  in raw SQL;
* Django admin's changelist for the same user and filter (``bench/bench_admin.py``: a separate
  AdminSite and URLconf; same access policy, search and joins), page 1 and the same deep page.

    DATABASE_URL=postgres://…/bench python bench/list_pages.py              # 1,000,000 people
    python bench/list_pages.py --rows 10000 --runs 3                         # smoke run (CI)

The database gets ``--rows`` bulk people from ``manage.py seed_demo --scale`` first (idempotent: quick
when they are there). Runs with ``DEBUG`` off in this process; the PostgreSQL session has ``jit = off``
(see README: JIT only ever inflates the reference ``COUNT``, never our queries). Exit status 0 when
the pages work; the goals are printed (PASS / FAIL), not enforced, unless ``--strict``.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
PER_PAGE = 50
DEEP_PAGE = 1000


@dataclass
class Case:
    key: str
    label: str
    username: str
    params: dict[str, str]
    admin_params: dict[str, str]


CASES = [
    Case("city", "市中心，全部", "city_sup", {}, {}),
    Case("station", "服务站，全部", "s11_clerk", {}, {}),
    Case("empty-unit", "无人员的单位", "bench_unit_auditor", {}, {}),
    Case("name-3", "姓名 张建国", "city_sup", {"q": "张建国"}, {"q": "张建国"}),
    Case("name-2", "姓名 张伟", "city_sup", {"q": "张伟"}, {"q": "张伟"}),
    Case("pinyin", "拼音 zw", "city_sup", {"q": "zw"}, {"q": "zw"}),
    Case("station-pinyin", "服务站，拼音 zw", "s11_clerk", {"q": "zw"}, {"q": "zw"}),
    Case("birth-order", "按出生日期排序", "city_sup", {"ordering": "birth_date"}, {"o": "3"}),
]


@dataclass
class Result:
    case: str
    label: str
    rows: int = 0
    count_shown: str = ""
    ours_ms: float = 0.0
    ours_cpu_ms: float = 0.0
    ref_page_ms: float = 0.0
    ref_count_ms: float = 0.0
    queries: int = 0
    data_queries: int = 0
    deep_page: int = 0
    deep_ms: float = 0.0
    deep_data_queries: int = 0
    offset_ms: float = 0.0
    admin_ms: float = 0.0
    admin_queries: int = 0
    admin_deep_ms: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ref_ms(self) -> float:
        return self.ref_page_ms + self.ref_count_ms

    @property
    def budget_ms(self) -> float:
        return 3 * self.ref_ms + 10

    @property
    def goal_met(self) -> bool:
        return self.ours_ms <= self.budget_ms

    @property
    def deep_ratio(self) -> float | None:
        return self.deep_ms / self.ours_ms if self.deep_page and self.ours_ms else None


# --- setup ------------------------------------------------------------------------------------------


def setup_django() -> None:
    sys.path[:0] = [str(BASE_DIR), str(BASE_DIR / "bench")]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")
    import django

    django.setup()


def seed(rows: int) -> None:
    started = time.monotonic()
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--noinput", "-v0"], check=True)
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), "seed_demo", "--scale", str(rows)], check=True)
    print(f"数据准备 {time.monotonic() - started:.0f} 秒")


def machine() -> dict[str, str]:
    from django.db import connection

    info = {"python": platform.python_version(), "cpus": str(os.cpu_count()), "database": connection.vendor}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                           if line.startswith("model name"))
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory"] = f"{int(meminfo[meminfo.index('MemTotal:') + 1]) / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            info["server"] = "PostgreSQL " + cursor.fetchone()[0]
            for name in ("shared_buffers", "work_mem", "jit"):
                cursor.execute(f"SHOW {name}")
                info[name] = cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sqlite_version()")
            info["server"] = "SQLite " + cursor.fetchone()[0]
    return info


def prepare_session() -> None:
    from django.conf import settings
    from django.db.backends.signals import connection_created

    settings.DEBUG = False  # no query log, as in production
    warnings.filterwarnings("ignore", message="No directory at")

    def no_jit(sender: Any, connection: Any, **kwargs: Any) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET jit = off")

    connection_created.connect(no_jit, weak=False)
    from django.db import connection

    connection.close()


EMPTY_UNIT_USER = "bench_unit_auditor"


def ensure_empty_unit_user() -> None:
    """A reader at a unit that has no people (a base union): the case that reads most rows.

    An auditor, not a clerk: ``seed_petitions`` files cases at every unit that has case-handling
    staff (and links their complainants to it), which would give this unit people of its own. The
    earlier benchmark user ``bench_base_clerk`` is switched off for the same reason.
    """
    from servicecenter.models import OrgUnit, User
    from servicecenter.roles import Role
    from servicecenter.staff import staff_set_roles

    User.objects.filter(username="bench_base_clerk").update(is_active=False)
    unit = OrgUnit.objects.get(code="330600I010101")
    user, _ = User.objects.get_or_create(username=EMPTY_UNIT_USER, defaults={"org_unit": unit,
                                                                               "full_name": "基准测试审计员"})
    if user.password_changed_at is None:  # else the password-expiry middleware asks for a new one
        user.set_password(secrets.token_urlsafe(16))
        user.save()
    staff_set_roles(user=user, roles=[Role.AUDITOR])


# --- measuring ---------------------------------------------------------------------------------------------


def measure(fn: Callable[[], Any], runs: int, warmup: int = 2) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (the Python side), in ms."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall) * 1000, statistics.median(cpu) * 1000


def median_ms(fn: Callable[[], Any], runs: int, warmup: int = 2) -> float:
    return measure(fn, runs, warmup)[0]


def get_ok(client: Any, url: str, params: dict | None = None) -> Any:
    response = client.get(url, params or {})
    if response.status_code != 200:
        raise RuntimeError(f"{url} {params}: HTTP {response.status_code}")
    return response


def count_queries(fn: Callable[[], Any], table: str = "servicecenter_person") -> tuple[int, int]:
    """Queries run by ``fn``: all of them, and those reading ``table`` (the list's data)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    sqls = [q["sql"] for q in ctx.captured_queries]
    return len(sqls), sum(1 for s in sqls if table in s)


def filtered(case: Case, user: Any) -> Any:
    """The queryset the people list builds for this user and filter (view: person_list)."""
    from django.http import QueryDict

    from servicecenter.access import visible
    from servicecenter.filters import PersonFilter
    from servicecenter.models import Person

    data = QueryDict(mutable=True)
    data.update(case.params)
    base = visible(Person.objects.select_related("org_unit", "employer"), user)
    return PersonFilter(data or None, queryset=base, user=user).qs


def next_link(response: Any) -> str | None:
    """The 下一页 link of a rendered list page (``templates/pagination.html``), as the user gets it."""
    text = response.content.decode()
    marker = text.find('rel="next"')
    if marker < 0:
        return None
    start = text.rfind('href="', 0, marker) + len('href="')
    return html.unescape(text[start:text.index('"', start)])


def deep_page_params(client: Any, url: str, params: dict[str, str], qs: Any, deep: int) -> dict[str, str]:
    """The query of page ``deep``, taken from the 下一页 link of page ``deep - 1`` as the list renders
    it. Page ``deep - 1`` itself is opened with the cursor its own predecessor's link would carry
    (the ordering values of the row before it), which saves clicking through every page before."""
    from django.http import QueryDict

    from servicecenter import listing

    order = listing._ordering(qs, None)
    keys = listing._keyset(qs.model, order)
    previous = {**params}
    if deep > 2:
        offset = (deep - 2) * PER_PAGE - 1
        values = list(qs.order_by(*listing._order_by(keys)).values_list(*[k.path for k in keys])[offset:offset + 1][0])
        previous.update(page=str(deep - 1), cursor=listing._encode_cursor(listing.NEXT, keys, values))
    link = next_link(get_ok(client, url, previous))
    if link is None:
        raise RuntimeError(f"{url} {previous}: page {deep - 1} has no 下一页 link")
    return QueryDict(link.lstrip("?")).dict()


def raw_ms(sql: str, params: Any, runs: int) -> float:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return median_ms(run, runs)


def measure_list(result: Result, client: Any, url: str, params: dict[str, str], qs: Any, runs: int,
                 table: str) -> Result:
    """Page 1 of ``url`` against the reference SQL for ``qs`` (the queryset the view pages), and a
    deep page reached through the list's own 下一页 link; fills ``result``."""
    from django.db import connection

    from servicecenter import listing

    # ours, page 1
    response = get_ok(client, url, params)
    text = response.content.decode()
    marker = 'data-testid="list-count">'
    result.count_shown = text[text.index(marker) + len(marker):].split("<", 1)[0].strip()
    result.ours_ms, result.ours_cpu_ms = measure(lambda: get_ok(client, url, params), runs)
    result.queries, result.data_queries = count_queries(lambda: get_ok(client, url, params), table)

    # the reference: the page query and the full COUNT, as raw SQL
    order = listing._ordering(qs, None)
    keys = listing._keyset(qs.model, order)
    page_qs = qs.order_by(*listing._order_by(keys))[:PER_PAGE]
    page_sql, page_params = page_qs.query.get_compiler(qs.db).as_sql()
    count_inner, count_params = qs.order_by().values("pk").query.get_compiler(qs.db).as_sql()
    count_sql = f"SELECT COUNT(*) FROM ({count_inner}) AS t"  # noqa: S608
    result.ref_page_ms = raw_ms(page_sql, page_params, runs)
    result.ref_count_ms = raw_ms(count_sql, count_params, max(3, runs // 3))
    with connection.cursor() as cursor:
        cursor.execute(count_sql, count_params)
        result.rows = cursor.fetchone()[0]

    # a deep page, reached through the list's own 下一页 link
    pages = math.ceil(result.rows / PER_PAGE)
    deep = min(DEEP_PAGE, pages)
    if deep >= 2:
        deep_params = deep_page_params(client, url, params, qs, deep)
        deep_response = get_ok(client, url, deep_params)
        if f"第 {deep}" not in deep_response.content.decode():
            result.notes.append(f"page {deep}: its number is not shown")
        result.deep_page = deep
        result.deep_ms = median_ms(lambda: get_ok(client, url, deep_params), runs)
        _, result.deep_data_queries = count_queries(lambda: get_ok(client, url, deep_params), table)
        offset_qs = qs.order_by(*listing._order_by(keys))[(deep - 1) * PER_PAGE: deep * PER_PAGE]
        offset_sql, offset_params = offset_qs.query.get_compiler(qs.db).as_sql()
        result.offset_ms = raw_ms(offset_sql, offset_params, max(3, runs // 3))
    return result


def run_case(case: Case, runs: int) -> Result:
    from django.test import Client
    from django.test.utils import override_settings

    from servicecenter.models import User

    user = User.objects.get(username=case.username)
    client = Client()
    client.force_login(user)
    result = measure_list(Result(case.key, case.label), client, "/people/", case.params, filtered(case, user), runs,
                          "servicecenter_person")
    deep = result.deep_page

    # Django admin's changelist, same user, same filter
    with override_settings(ROOT_URLCONF="bench_admin"):
        admin_url = "/bench-admin/servicecenter/person/"
        admin_response = get_ok(client, admin_url, case.admin_params)
        if result.rows and "result_list" not in admin_response.content.decode():
            result.notes.append("admin shows no rows")
        result.admin_ms = median_ms(lambda: get_ok(client, admin_url, case.admin_params), max(3, runs // 3), 1)
        result.admin_queries, _ = count_queries(lambda: get_ok(client, admin_url, case.admin_params))
        if deep >= 2:
            admin_deep = {**case.admin_params, "p": str(deep)}
            result.admin_deep_ms = median_ms(lambda: get_ok(client, admin_url, admin_deep), max(3, runs // 3), 1)
    return result


# --- report -----------------------------------------------------------------------------------------------


def table(results: list[Result], admin: bool = True) -> str:
    head = ("case", "rows", "shown", "ours ms", "(cpu)", "ref ms (page+count)", "3×ref+10", "goal", "queries all/data",
            "page N", "N/1", "deep data q", "OFFSET N ms", "admin ms", "admin q", "admin/ours", "admin N ms")
    lines = []
    for r in results:
        lines.append((
            r.case, f"{r.rows:,}", r.count_shown, f"{r.ours_ms:.1f}", f"{r.ours_cpu_ms:.1f}",
            f"{r.ref_ms:.1f} ({r.ref_page_ms:.1f}+{r.ref_count_ms:.1f})", f"{r.budget_ms:.1f}",
            "PASS" if r.goal_met else "FAIL", f"{r.queries}/{r.data_queries}",
            str(r.deep_page or "-"), f"{r.deep_ratio:.2f}" if r.deep_ratio else "-",
            str(r.deep_data_queries or "-"), f"{r.offset_ms:.1f}" if r.deep_page else "-",
            f"{r.admin_ms:.1f}", str(r.admin_queries), f"{r.admin_ms / r.ours_ms:.1f}×" if r.ours_ms else "-",
            f"{r.admin_deep_ms:.1f}" if r.deep_page else "-",
        ))
    if not admin:
        head, lines = head[:-4], [line[:-4] for line in lines]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    out = [" | ".join(str(x).ljust(w) for x, w in zip(head, widths, strict=True))]
    out.append("-|-".join("-" * w for w in widths))
    out += [" | ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def verdicts(name: str, results: list[Result], max_data_queries: int = 5) -> bool:
    """One line per goal and case: the figure, its reference, the ratio, PASS or FAIL (``bench/full.sh``
    collects these lines). Returns whether every goal was met."""
    ok = True

    def line(passed: bool, text: str) -> None:
        nonlocal ok
        ok = ok and passed
        print(f"{'PASS' if passed else 'FAIL'}  {name} {text}")

    for r in results:
        line(r.goal_met, f"{r.case}: page 1 {r.ours_ms:.1f} ms vs ref {r.ref_ms:.1f} ms (page {r.ref_page_ms:.1f} + "
                         f"count {r.ref_count_ms:.1f}) = {r.ours_ms / max(r.ref_ms, 1e-6):.2f}× ref; goal ≤ 3×ref+10 = "
                         f"{r.budget_ms:.1f} ms")
        if r.deep_page:
            line(r.deep_ratio <= 2, f"{r.case}: page {r.deep_page} {r.deep_ms:.1f} ms vs page 1 {r.ours_ms:.1f} ms = "
                                    f"{r.deep_ratio:.2f}×; goal ≤ 2× (OFFSET for that page: {r.offset_ms:.1f} ms SQL)")
        worst = max(r.data_queries, r.deep_data_queries)
        line(worst <= max_data_queries, f"{r.case}: {r.queries} queries, {worst} on the data (page 1 and page "
                                         f"{r.deep_page or 1}); goal ≤ {max_data_queries}")
        for note in r.notes:
            print(f"NOTE  {name} {r.case}: {note}")
        if r.admin_ms:
            print(f"INFO  {name} {r.case}: Django admin {r.admin_ms:.1f} ms ({r.admin_queries} queries) = "
                  f"{r.admin_ms / r.ours_ms:.1f}× ours" + (f"; admin page {r.deep_page} {r.admin_deep_ms:.1f} ms"
                                                            if r.deep_page else ""))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="bulk people (seed_demo --scale)")
    parser.add_argument("--runs", type=int, default=11, help="requests per measurement (median)")
    parser.add_argument("--cases", default=",".join(c.key for c in CASES))
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is not met")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    if not args.no_seed:
        seed(args.rows)
    setup_django()
    ensure_empty_unit_user()
    prepare_session()

    from servicecenter.models import Person

    info = machine()
    total = Person.objects.count()
    print(" · ".join(f"{k}: {v}" for k, v in info.items()))
    print(f"职工列表：{total:,} 人；每项取 {args.runs} 次中位数")
    if total < args.rows:
        print(f"警告：库中只有 {total:,} 人，少于 --rows {args.rows:,}")
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
    print(table(results))
    print()
    ok = verdicts("people list", results)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "people": total,
                                               "results": [asdict(r) | {"ref_ms": r.ref_ms, "goal_met": r.goal_met}
                                                           for r in results]}, ensure_ascii=False, indent=1))
    # A benchmark reports; it fails only when the page itself is broken (an exception above), or with
    # --strict when a goal is not met.
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
