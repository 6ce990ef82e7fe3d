"""Where the load test's requests spend their time: per page and account, in this process (Django's
test client, the whole middleware stack, no network), the median time, the number of SQL queries and
the time spent in them.

    DATABASE_URL=postgres://… DEBUG=0 SECURE_SSL_REDIRECT=0 python bench/load/profile_endpoints.py
    … python bench/load/profile_endpoints.py --runs 10 --profile "/people/?q=zs" --as s11_clerk

Run against a database that ``run.sh`` (or ``seed_demo --scale N``) has filled. ``--profile URL``
adds a pyinstrument profile of that page when pyinstrument is installed, else cProfile's top 25.
Writes to the database: a few registrations as s11_clerk (``POST /people/new/``, ID numbers born
1940–1959 in 330603), sessions, and the audit rows that logins, views and exports write.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicecenter.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from servicecenter.demo import mobile, person_name, resident_id  # noqa: E402
from servicecenter.models import User  # noqa: E402

ACCOUNTS = ["s11_clerk", "d1_sup", "city_sup", "auditor"]
PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026!")


def new_client() -> Client:
    # The host the server is configured for (run.sh sets ALLOWED_HOSTS=127.0.0.1), not "testserver".
    return Client(HTTP_HOST=os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")[0].strip() or "127.0.0.1")


def measure(client: Client | None, method: str, url: str, runs: int, data: dict | None = None,
            data_factory=None) -> tuple[float, int, float, int]:  # noqa: ANN001
    """Median ms, queries, ms in SQL (of the median run), status. ``client=None``: a new client for
    every run (a login must not find the previous run's session)."""
    samples = []
    fresh = client is None
    for n in range(runs + 1):
        if fresh:
            client = new_client()
        payload = data_factory() if data_factory else data
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.post(url, payload) if method == "POST" else client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = (time.perf_counter() - start) * 1000
        sql = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        if n:  # the first run warms caches and is not counted
            samples.append((elapsed, len(ctx.captured_queries), sql, response.status_code))
    samples.sort()
    return samples[len(samples) // 2]


_serial = iter(range(10**6))


def new_person(unit_id: int) -> dict:
    n = next(_serial) + 900_000 + random.randrange(10**5) * 7  # outside the load test's blocks
    day, order = divmod(n, 1000)
    rng = random.Random(n)
    return {"name": person_name(rng), "phone": mobile(rng), "address": "绍兴市剖析路1号",
            "id_number": resident_id("330603", datetime.date(1940, 1, 1) + datetime.timedelta(days=day % 7305),
                                     order // 2, male=bool(order % 2)),
            "org_unit": unit_id, "employer": "", "model_worker": "", "jobless_certificate": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", help="URL to profile (GET)")
    parser.add_argument("--as", dest="as_user", default="s11_clerk")
    args = parser.parse_args()

    print(f"database: {connection.vendor}, DEBUG={os.environ.get('DEBUG', '1')}, runs={args.runs}\n")
    print("| account | request | status | median ms | queries | SQL ms |")
    print("|---|---|---:|---:|---:|---:|")
    for username in ACCOUNTS:
        user = User.objects.get(username=username)
        client = new_client()
        # Real logins (PBKDF2, axes, audit), then the pages with a session made by force_login.
        ms, queries, sql, status = measure(None, "POST", "/accounts/login/", 3,
                                           {"username": username, "password": PASSWORD})
        print(f"| {username} | POST /accounts/login/ | {status} | {ms:.1f} | {queries} | {sql:.1f} |")
        client.force_login(user)
        list_html = client.get("/people/").content.decode()
        pks = re.findall(r'href="/people/(\d+)/"', list_html)
        names = re.findall(r'href="/people/\d+/">([^<]+)</a>', list_html)
        pages = [("GET", "/"), ("GET", "/people/"), ("GET", "/employers/"), ("GET", "/people/?q=zs"),
                 ("GET", "/people/?q=%E7%8E%8B"), ("GET", f"/people/{pks[0]}/")]
        if username != "auditor":  # the read-only role has no registration form
            pages.append(("GET", "/people/new/"))
        if username in ("d1_sup", "city_sup", "auditor") and names:
            pages.append(("GET", f"/people/export.xlsx?q={names[0]}"))
        for method, url in pages:
            ms, queries, sql, status = measure(client, method, url, args.runs)
            print(f"| {username} | {method} {url} | {status} | {ms:.1f} | {queries} | {sql:.1f} |")
        if username == "s11_clerk":
            ms, queries, sql, status = measure(client, "POST", "/people/new/", args.runs,
                                               data_factory=lambda u=user: new_person(u.org_unit_id))
            print(f"| {username} | POST /people/new/ | {status} | {ms:.1f} | {queries} | {sql:.1f} |")

    if args.profile:
        client = new_client()
        client.force_login(User.objects.get(username=args.as_user))
        client.get(args.profile)
        try:
            from pyinstrument import Profiler
        except ImportError:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.runs):
                client.get(args.profile)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        else:
            profiler = Profiler(interval=0.0005)
            profiler.start()
            for _ in range(args.runs):
                client.get(args.profile)
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
