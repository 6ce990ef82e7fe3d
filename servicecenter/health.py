"""What ``/healthz`` and ``/readyz`` check, and the background worker's heartbeat they read.

``/readyz`` is called by load balancers and monitors every second or so: each check is a few
milliseconds (one ``SELECT 1``, one read of ``django_migrations``, a one-byte file written and
removed, a directory listing), and the costly parts (the migration graph on disk, ``fc-list``)
are computed once per process or once a minute. A check answers only ``ok`` / ``fail`` (or
``not required``): the reason goes to the server log, never to the anonymous caller.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

OK = "ok"
FAIL = "fail"
NOT_REQUIRED = "not required"

# Under MEDIA_ROOT, which every app server and the worker share already (attachments, exports):
# the worker's heartbeat files and the readiness probe's scratch file. Not part of a backup.
HEALTH_DIR_NAME = ".health"
HEARTBEAT_PREFIX = "worker-"
HEARTBEAT_SECONDS = 30
FONT_RECHECK_SECONDS = 60


def health_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / HEALTH_DIR_NAME


# --- the checks ---------------------------------------------------------------------------------


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


@lru_cache(maxsize=1)
def _code_migrations() -> frozenset[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """The leaf migrations of this code (read from disk once per process): (app, name, replaces)."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    leaves = []
    for app, name in loader.graph.leaf_nodes():
        migration = loader.disk_migrations.get((app, name))
        replaces = tuple(tuple(r) for r in getattr(migration, "replaces", ()) or ())
        leaves.append((app, name, replaces))
    return frozenset(leaves)


def check_migrations() -> str:
    """Every leaf migration of the running code is recorded as applied (a squashed leaf counts when
    all the migrations it replaces are)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = {(app, name) for app, name in cursor.fetchall()}
    for app, name, replaces in _code_migrations():
        if (app, name) in applied:
            continue
        if replaces and all(r in applied for r in replaces):
            continue
        logger.warning("readyz: migration %s.%s not applied", app, name)
        return FAIL
    return OK


def check_media() -> str:
    """MEDIA_ROOT takes a write: a one-byte file created, flushed to disk and removed."""
    folder = health_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix="probe-", delete=True) as f:
        f.write(b"1")
        f.flush()
        os.fsync(f.fileno())
    return OK


def uses_worker() -> bool:
    """Background tasks wait for a ``db_worker`` (the database backend) unless they run in-process."""
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return "Immediate" not in backend and "Dummy" not in backend


def newest_heartbeat() -> float | None:
    """Seconds since any worker last wrote its heartbeat, or None when none ever did."""
    newest = None
    try:
        with os.scandir(health_dir()) as entries:
            for entry in entries:
                if entry.name.startswith(HEARTBEAT_PREFIX):
                    mtime = entry.stat().st_mtime
                    newest = mtime if newest is None else max(newest, mtime)
    except FileNotFoundError:
        return None
    return None if newest is None else max(0.0, time.time() - newest)


def check_worker() -> str:
    if not uses_worker():
        return NOT_REQUIRED
    age = newest_heartbeat()
    if age is None or age > settings.READYZ_WORKER_MINUTES * 60:
        logger.warning("readyz: no background worker seen for %s s", "ever" if age is None else int(age))
        return FAIL
    return OK


_font: dict[str, Any] = {"checked": 0.0, "result": FAIL}
_font_lock = threading.Lock()


def check_cjk_font() -> str:
    """fc-list is a subprocess (~20 ms): asked at most once a minute per process. pdf.py caches its
    answer for the life of the process; readiness asks afresh (a font removed later shows up)."""
    from . import pdf

    installed = getattr(pdf.cjk_font_installed, "__wrapped__", pdf.cjk_font_installed)
    with _font_lock:
        if time.monotonic() - _font["checked"] > FONT_RECHECK_SECONDS or not _font["checked"]:
            _font["result"] = OK if installed() else FAIL
            _font["checked"] = time.monotonic()
            if _font["result"] == FAIL:
                logger.warning("readyz: CJK font %r not found (fonts-noto-cjk)", settings.PDF_CJK_FONT_FAMILY)
        return str(_font["result"])


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "media": check_media,
    "worker": check_worker,
    "cjk_font": check_cjk_font,
}
# Checks that need the database are skipped once it is down (one timeout, not three).
NEEDS_DATABASE = {"migrations"}


def readiness() -> tuple[bool, dict[str, str]]:
    """(ready, {check: ok | fail | not required}) — every check, in order."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and results.get("database") == FAIL:
            results[name] = FAIL
            continue
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 — whatever broke, the answer is "fail", the reason goes to the log
            logger.warning("readyz: %s failed: %s", name, exc)
            results[name] = FAIL
    return all(r != FAIL for r in results.values()), results


# --- the worker's heartbeat ---------------------------------------------------------------------


def heartbeat_path() -> Path:
    return health_dir() / f"{HEARTBEAT_PREFIX}{socket.gethostname()}-{os.getpid()}"


def beat(path: Path | None = None) -> None:
    path = path or heartbeat_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def start_heartbeat(interval: float = HEARTBEAT_SECONDS) -> Callable[[], None]:
    """Touch this worker's heartbeat file now and every ``interval`` seconds from a daemon thread;
    returns the function that stops it and removes the file. Stale files of workers that were
    killed are removed when they are older than a day."""
    path = heartbeat_path()
    stop = threading.Event()
    _remove_stale_heartbeats()

    def beat_once() -> None:
        try:
            beat(path)
        except OSError as exc:  # MEDIA_ROOT unwritable: readyz reports it; keep trying
            logger.warning("worker heartbeat: %s", exc)

    def run() -> None:
        while not stop.wait(interval):
            beat_once()

    beat_once()  # seen from the moment it starts

    thread = threading.Thread(target=run, name="worker-heartbeat", daemon=True)
    thread.start()

    def stop_heartbeat() -> None:
        stop.set()
        thread.join(timeout=5)
        path.unlink(missing_ok=True)

    return stop_heartbeat


def _remove_stale_heartbeats(max_age: float = 24 * 3600) -> None:
    try:
        with os.scandir(health_dir()) as entries:
            for entry in entries:
                if entry.name.startswith(HEARTBEAT_PREFIX) and time.time() - entry.stat().st_mtime > max_age:
                    Path(entry.path).unlink(missing_ok=True)
    except FileNotFoundError:
        pass
