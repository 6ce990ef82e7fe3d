"""Locust scenario: service-center staff at work, against gunicorn on loopback (see README.md).

Two user classes:

* ``Staff`` — one member of staff: logs in with a demo account (the CSRF token from the GET, the
  password from ``DEMO_PASSWORD``; never a wrong one, django-axes locks a username after 5 failures),
  lands on the dashboard, then lists people and employers, filters people by pinyin initials or a
  surname, opens records picked from the list page, registers new people (station accounts) and
  exports a small filtered register (auditor and supervisors). ``LOAD_PAUSE=0`` removes the 1–3 s
  pauses (saturation runs).
* ``Ping`` — ``GET /bench/ping/`` only (``bench_urls.py``: a view that touches neither the database
  nor the session), the ceiling of the same gunicorn setup.

    locust -f bench/load/locustfile.py --headless --host http://127.0.0.1:8000 \
        --users 50 --spawn-rate 5 --run-time 60s --csv out/a Staff

Safety: traffic goes to loopback only (any other host aborts the run) and a ``--run-time`` is
required, so a run always stops by itself.

Registrations use resident ID numbers born 1940–1959 in districts the bulk data never uses (the
seeded people are born from 1960 on, in other districts), numbered from ``LOAD_ID_BLOCK`` × 10⁶ — give
every locust run against the same database its own block and no two registrations collide.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import os
import random
import re
import sys
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, between, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from servicecenter.demo import SURNAMES, mobile, person_name, resident_id  # noqa: E402

PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026!")
PAUSE = os.environ.get("LOAD_PAUSE", "1") != "0"
ID_BLOCK = int(os.environ.get("LOAD_ID_BLOCK", "0"))
# LOAD_MEASURE_AFTER_LOGIN=1: statistics restart once every user has logged in, so a saturation step
# measures the steady mix, not the burst of simultaneous logins (PBKDF2) at its start.
MEASURE_AFTER_LOGIN = os.environ.get("LOAD_MEASURE_AFTER_LOGIN", "0") == "1"
# With LOAD_MEASURE_AFTER_LOGIN=1: stop this many seconds after the statistics restart (--run-time
# stays the upper bound).
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "0") or 0)
# With LOAD_MEASURE_AFTER_LOGIN=1: where to write the statistics of the arrival (the logins and
# whatever the first users did meanwhile) before they restart.
ARRIVAL_FILE = os.environ.get("LOAD_ARRIVAL_FILE", "")
# Where to write the CPU used during the measured window (server, database, this client, machine).
CPU_FILE = os.environ.get("LOAD_CPU_FILE", "")
# bench/soak/: where to write the response times minute by minute (count, failures, p50/p95/p99).
MINUTES_FILE = os.environ.get("LOAD_MINUTES_FILE", "")

# The demo accounts that work on cases, weighted like a county's staff: most people at the station
# counters, fewer at the districts, few at the city. sysadmin/secaudit see no case pages.
#   (username, how many of every 30 simulated staff, registers people, exports)
ACCOUNTS = [
    ("s11_clerk", 5, True, False),
    ("s12_clerk", 5, True, False),
    ("s21_clerk", 5, True, False),
    ("s11_worker", 3, True, False),
    ("d1_sup", 2, False, True),
    ("d2_sup", 2, False, True),
    ("d1_accountant", 2, False, False),  # exports the fund registers, not the people register
    ("d1_cashier", 2, False, False),
    ("city_sup", 2, False, True),
    ("auditor", 2, False, True),
]
_ROTA = [a for a in ACCOUNTS for _ in range(a[1])]
random.Random(2026).shuffle(_ROTA)
_next_account = itertools.count()

# Resident ID numbers for registrations: region × birth date (1940-01-01 + day) × order code.
_ID_REGIONS = ["330603", "330604", "330682", "330684", "330685", "330622", "330623"]
_ID_BIRTH_START = datetime.date(1940, 1, 1)
_ID_DAYS = 7305  # to 1959-12-31; the seeded people are born in 1960 or later
_next_id = itertools.count(ID_BLOCK * 1_000_000)

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PERSON_LINK_RE = re.compile(r'href="/people/(\d+)/"')
ORG_UNIT_SELECT_RE = re.compile(r'<select name="org_unit"[^>]*>(.*?)</select>', re.S)
SELECTED_OPTION_RE = re.compile(r'<option value="(\d+)"[^>]*\bselected\b')
LOGIN_MARK = 'name="password"'


def next_resident_id(rng: random.Random) -> str:
    n = next(_next_id)
    region = _ID_REGIONS[n % len(_ID_REGIONS)]
    day, order = divmod(n // len(_ID_REGIONS), 1000)
    if day >= _ID_DAYS:
        raise RuntimeError("LOAD_ID_BLOCK range exhausted")
    birth = _ID_BIRTH_START + datetime.timedelta(days=day)
    return resident_id(region, birth, order // 2, male=bool(order % 2))


def _loopback(url: str | None) -> bool:
    host = urlsplit(url or "").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@events.init.add_listener
def _guard(environment, **_kwargs) -> None:  # noqa: ANN001
    """Refuse anything but a bounded run against loopback."""
    options = environment.parsed_options
    if not _loopback(environment.host):
        sys.exit(f"bench/load: refusing to load {environment.host!r} — loopback (127.0.0.1) only")
    if options is not None and not getattr(options, "run_time", None):
        sys.exit("bench/load: --run-time is required (every run must stop by itself)")


_logins = itertools.count(1)


def _logged_in(environment) -> None:  # noqa: ANN001
    users = getattr(environment.parsed_options, "num_users", None)
    if MEASURE_AFTER_LOGIN and users and next(_logins) == users:
        if ARRIVAL_FILE:
            _dump_stats(environment.runner.stats, ARRIVAL_FILE, cpu=_cpu.used(environment))
        environment.runner.stats.reset_all()
        _cpu.start()
        if MEASURE_SECONDS:
            import gevent

            gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


def _dump_stats(stats, path: str, cpu: dict | None = None) -> None:  # noqa: ANN001
    """The statistics so far, as JSON: per request name and in total."""
    import json

    def entry(e) -> dict:  # noqa: ANN001
        n = e.num_requests
        return {"requests": n, "failures": e.num_failures, "rps": round(e.total_rps, 2),
                "p50": e.get_response_time_percentile(0.5) if n else None,
                "p95": e.get_response_time_percentile(0.95) if n else None,
                "p99": e.get_response_time_percentile(0.99) if n else None,
                "max": e.max_response_time if n else None,
                "seconds": round((e.last_request_timestamp or e.start_time) - e.start_time, 1)}

    out = {e.name: entry(e) for e in stats.entries.values()}
    out["Aggregated"] = entry(stats.total)
    if cpu:
        out["_cpu"] = cpu
    Path(path).write_text(json.dumps(out, indent=1, ensure_ascii=False))


class _CpuMeter:
    """CPU seconds used between ``start`` and ``stop`` by the gunicorn tree (``LOAD_SERVER_PID``), the
    PostgreSQL server (``LOAD_PG_PORT``), this process, and the whole machine."""

    def __init__(self) -> None:
        self.before: dict[str, float] | None = None
        self.started = 0.0

    @staticmethod
    def _tree(pid: int) -> float:
        import psutil

        total = 0.0
        try:
            root = psutil.Process(pid)
            # Children that ended (PostgreSQL backends) count in their parent's children_* times.
            reaped = root.cpu_times()
            total += reaped.children_user + reaped.children_system
            for p in [root, *root.children(recursive=True)]:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        return total

    def _postmaster(self) -> int | None:
        import psutil

        port = os.environ.get("LOAD_PG_PORT")
        if not port:
            return None
        for p in psutil.process_iter(["name", "cmdline"]):
            cmd = p.info["cmdline"] or []
            if p.info["name"] == "postgres" and "-p" in cmd and port in cmd:
                return p.pid
        return None

    def snapshot(self) -> dict[str, float]:
        import psutil

        machine = psutil.cpu_times()
        own = psutil.Process().cpu_times()
        server = int(os.environ.get("LOAD_SERVER_PID", "0") or 0)
        pg = self._postmaster()
        return {
            "server": self._tree(server) if server else 0.0,
            "postgres": self._tree(pg) if pg else 0.0,
            "client": own.user + own.system,
            "machine_busy": sum(machine) - machine.idle - getattr(machine, "iowait", 0.0),
        }

    def start(self) -> None:
        if CPU_FILE:
            import time

            self.before, self.started = self.snapshot(), time.monotonic()

    def used(self, environment) -> dict | None:  # noqa: ANN001
        """CPU used since ``start``."""
        if not (CPU_FILE and self.before):
            return None
        import time

        import psutil

        after = self.snapshot()
        wall = time.monotonic() - self.started
        used = {k: round(after[k] - self.before[k], 2) for k in after}
        used["other"] = round(used["machine_busy"] - used["server"] - used["postgres"] - used["client"], 2)
        return {"wall_seconds": round(wall, 2), "cores": psutil.cpu_count(), "cpu_seconds": used,
                "requests": environment.runner.stats.total.num_requests, "load_average": os.getloadavg()}

    def stop(self, environment) -> None:  # noqa: ANN001
        used = self.used(environment)
        if used:
            import json

            Path(CPU_FILE).write_text(json.dumps(used, indent=1))


_cpu = _CpuMeter()


@events.test_start.add_listener
def _on_start(environment, **_kwargs) -> None:  # noqa: ANN001
    _cpu.start()  # restarted when the statistics restart (LOAD_MEASURE_AFTER_LOGIN)


@events.test_stop.add_listener
def _on_stop(environment, **_kwargs) -> None:  # noqa: ANN001
    _cpu.stop(environment)
    _minutes.dump()


class _Minutes:
    """Response times per minute since the start (LOAD_MINUTES_FILE): is p95 steady over a long run?"""

    def __init__(self) -> None:
        self.start: float | None = None
        self.times: dict[int, list[float]] = {}
        self.failures: dict[int, int] = {}

    def add(self, response_time: float, failed: bool) -> None:
        import time

        now = time.monotonic()
        if self.start is None:
            self.start = now
        minute = int((now - self.start) // 60)
        self.times.setdefault(minute, []).append(response_time)
        if failed:
            self.failures[minute] = self.failures.get(minute, 0) + 1

    def dump(self) -> None:
        if not MINUTES_FILE:
            return
        import json

        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        out = {m: {"requests": len(v), "failures": self.failures.get(m, 0), "p50": pct(v, 0.5),
                   "p95": pct(v, 0.95), "p99": pct(v, 0.99)} for m, v in sorted(self.times.items())}
        Path(MINUTES_FILE).write_text(json.dumps(out, indent=1))


_minutes = _Minutes()


@events.request.add_listener
def _on_request(response_time, exception=None, **_kwargs) -> None:  # noqa: ANN001
    if MINUTES_FILE:
        _minutes.add(response_time, exception is not None)


class LoopbackSecureCookies(DefaultCookiePolicy):
    """Send ``Secure`` cookies over plain HTTP, to loopback only.

    With ``DEBUG=0`` Django marks the session and CSRF cookies ``Secure``. A browser treats
    http://127.0.0.1 as a secure context and sends them; Python's cookie jar does not, so the client
    is told to do what the browser does (for loopback, nowhere else). The server keeps its
    production settings.
    """

    def return_ok_secure(self, cookie, request) -> bool:  # noqa: ANN001
        return _loopback(request.get_full_url()) or super().return_ok_secure(cookie, request)


class Staff(FastHttpUser):
    wait_time = between(1, 3) if PAUSE else constant(0)
    # The server is 2 sync workers: a request may wait behind others at saturation.
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackSecureCookies())
        self.username, _, self.registers, self.exports = _ROTA[next(_next_account) % len(_ROTA)]
        self.rng = random.Random()
        self.pks: list[str] = []
        self.names: list[str] = []
        self.login()

    # --- helpers ---------------------------------------------------------------------------------

    def page(self, url: str, name: str, *, must: str = "") -> str:
        """GET a page that must answer 200 (not a redirect to the login page); its HTML."""
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as response:
            text = response.text or ""
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code} {response.headers.get('Location', '')}")
                return ""
            if LOGIN_MARK in text and name != "GET /accounts/login/":
                response.failure("got the login form (session lost)")
                return ""
            if must and must not in text:
                response.failure(f"page lacks {must!r}")
                return ""
            response.success()
            return text

    def remember_people(self, html: str) -> None:
        pks = PERSON_LINK_RE.findall(html)
        if pks:
            self.pks = pks
            self.names = re.findall(r'href="/people/\d+/">([^<]+)</a>', html)

    def login(self) -> None:
        html = self.page("/accounts/login/", "GET /accounts/login/", must=LOGIN_MARK)
        token = CSRF_RE.search(html)
        if not token:
            return
        data = {"csrfmiddlewaretoken": token.group(1), "username": self.username, "password": PASSWORD,
                "next": ""}
        with self.client.post("/accounts/login/", data=data, name="POST /accounts/login/", allow_redirects=False,
                              catch_response=True, headers={"Referer": self.client.base_url + "/accounts/login/"}) as r:
            if r.status_code != 302:
                r.failure(f"login failed: HTTP {r.status_code}")
                return
            r.success()
        self.page("/", "GET / (dashboard)")
        _logged_in(self.environment)

    # --- what staff do ---------------------------------------------------------------------------

    @task(4)
    def list_people(self) -> None:
        self.remember_people(self.page("/people/", "GET /people/", must="<table"))

    @task(2)
    def list_employers(self) -> None:
        self.page("/employers/", "GET /employers/", must="<table")

    @task(4)
    def filter_people(self) -> None:
        if self.rng.random() < 0.5:
            q = self.rng.choice("zwlchyxsgjm") + self.rng.choice("jmhlqyxwzf")  # pinyin initials
            name = "GET /people/?q=<initials>"
        else:
            q = self.rng.choice(SURNAMES)
            name = "GET /people/?q=<surname>"
        self.remember_people(self.page("/people/?" + urlencode({"q": q}), name, must="<table"))

    @task(6)
    def open_person(self) -> None:
        if not self.pks:
            self.list_people()
        if self.pks:
            self.page(f"/people/{self.rng.choice(self.pks)}/", "GET /people/<pk>/")

    @task(2)
    def register_person(self) -> None:
        if not self.registers:
            return self.open_person()
        html = self.page("/people/new/", "GET /people/new/", must='name="id_number"')
        token = CSRF_RE.search(html)
        select = ORG_UNIT_SELECT_RE.search(html)
        unit = SELECTED_OPTION_RE.search(select.group(1)) if select else None
        if not (token and unit):
            return None
        data = {
            "csrfmiddlewaretoken": token.group(1), "name": person_name(self.rng),
            "id_number": next_resident_id(self.rng), "phone": mobile(self.rng),
            "address": f"绍兴市压力测试路{self.rng.randrange(1, 999)}号", "employer": "", "union_card_number": "",
            "model_worker": "", "jobless_certificate": "", "jobless_certificate_number": "",
            "org_unit": unit.group(1),
        }
        # Over HTTPS (bench/twoservers/, through nginx) Django's CSRF check also wants the Referer.
        with self.client.post("/people/new/", data=data, name="POST /people/new/", allow_redirects=False,
                              catch_response=True, headers={"Referer": self.client.base_url + "/people/new/"}) as r:
            location = r.headers.get("Location", "") if r.status_code == 302 else ""
            if not re.fullmatch(r"/people/\d+/", location):
                errors = re.findall(r'class="(?:field-error|errorlist[^"]*)"[^>]*>(.*?)</', r.text or "", re.S)
                r.failure(f"registration not saved: HTTP {r.status_code} {location} {errors[:2]}")
                return None
            r.success()
        self.page(location, "GET /people/<pk>/ (after registering)")
        return None

    @task(1)
    def export_people(self) -> None:
        if not self.exports:
            return self.filter_people()
        if not self.names:
            self.list_people()
        # A full name from the list: a register of a few dozen rows, streamed in the request.
        q = self.rng.choice(self.names) if self.names else self.rng.choice(SURNAMES) + "建国"
        with self.client.get("/people/export.xlsx?" + urlencode({"q": q}), name="GET /people/export.xlsx?q=<name>",
                             allow_redirects=False, catch_response=True) as r:
            kind = r.headers.get("Content-Type", "")
            if r.status_code != 200 or "spreadsheetml" not in kind:
                r.failure(f"export: HTTP {r.status_code} {kind} {r.headers.get('Location', '')}")
            elif not (r.content or b"").startswith(b"PK"):
                r.failure("export: not an xlsx file")
            else:
                r.success()
        return None


class Hostile(FastHttpUser):
    """What a scanner or a broken client sends (bench/soak/ --hostile): unknown and odd URLs, very
    long and random search strings, bad cursors and ids, wrong methods, logins that fail under
    ever-new names — each request must get its 4xx (or the login page), never a 500, and must not
    leave memory behind in the worker. Logs in once (like Staff) for the searches."""

    wait_time = constant(0)
    network_timeout = 60.0

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackSecureCookies())
        self.rng = random.Random()
        html = Staff.page(self, "/accounts/login/", "GET /accounts/login/")  # type: ignore[arg-type]
        token = CSRF_RE.search(html)
        if token:
            self.client.post("/accounts/login/", name="POST /accounts/login/", allow_redirects=False,
                             data={"csrfmiddlewaretoken": token.group(1), "username": "d1_sup", "password": PASSWORD},
                             headers={"Referer": self.client.base_url + "/accounts/login/"})

    def noise(self, n: int) -> str:
        return "".join(chr(self.rng.choice((self.rng.randrange(0x4E00, 0x9FA5), self.rng.randrange(33, 127))))
                       for _ in range(n))

    def expect(self, method: str, url: str, name: str, ok: tuple[int, ...], **kwargs) -> None:  # noqa: ANN003
        with self.client.request(method, url, name=name, allow_redirects=False, catch_response=True, **kwargs) as r:
            if r.status_code in ok:
                r.success()
            else:
                r.failure(f"HTTP {r.status_code}")

    @task(3)
    def unknown_path(self) -> None:
        path = "/" + "/".join(self.noise(self.rng.randrange(3, 30)) for _ in range(self.rng.randrange(1, 5)))
        self.expect("GET", urlencode({"": path})[1:].replace("%2F", "/"), "GET <random path>", (404, 400))

    @task(3)
    def long_search(self) -> None:
        q = self.noise(self.rng.choice((2, 30, 300, 1500)))
        self.expect("GET", "/people/?" + urlencode({"q": q, "sort": self.noise(8)}), "GET /people/?q=<noise>", (200, 400, 414))  # 414: longer than gunicorn takes

    @task(2)
    def bad_cursor(self) -> None:
        self.expect("GET", "/people/?" + urlencode({"after": self.noise(40), "page": self.noise(5)}),
                    "GET /people/?after=<noise>", (200, 400, 404))

    @task(2)
    def missing_record(self) -> None:
        self.expect("GET", f"/people/{self.rng.randrange(10**9, 10**12)}/", "GET /people/<no such pk>/", (404,))

    @task(1)
    def wrong_method(self) -> None:
        self.expect("POST", "/people/", "POST /people/ (GET only)", (403, 405))

    @task(1)
    def failed_login(self) -> None:
        # A fresh client each time: no session, no CSRF cookie; axes counts per username.
        self.expect("POST", "/accounts/login/", "POST /accounts/login/ (no token)", (403,),
                    data={"username": f"scan-{self.rng.randrange(10**9)}", "password": self.noise(12)})


class Ping(FastHttpUser):
    """The trivial view on the same gunicorn: what the setup serves when Django does next to nothing."""

    wait_time = constant(0)
    network_timeout = 60.0

    @task
    def ping(self) -> None:
        with self.client.get("/bench/ping/", name="GET /bench/ping/", allow_redirects=False,
                             catch_response=True) as r:
            if r.status_code != 200 or r.text != "ok":
                r.failure(f"ping: HTTP {r.status_code}")
