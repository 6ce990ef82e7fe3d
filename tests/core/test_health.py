"""``/healthz`` and ``/readyz``: anonymous, no data, cheap, and 503 with the failing check named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command, get_commands
from django.test import Client

from servicecenter import health

ROOT = Path(__file__).resolve().parents[2]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = DB_TASKS
    health._font["checked"] = 0.0
    return settings.MEDIA_ROOT


def readyz(client: Client | None = None) -> tuple[int, dict]:
    response = (client or Client()).get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_healthz_answers_anonymous_without_touching_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert Client().post("/healthz").status_code == 405


def test_readyz_is_ok_with_a_live_worker(db, media, django_assert_num_queries):
    health.beat()
    with django_assert_num_queries(2):  # SELECT 1, the applied migrations
        status, body = readyz()
    assert status == 200, body
    assert body == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "media": "ok",
                                                "worker": "ok", "cjk_font": "ok"}}
    # The probe's scratch file is gone again; only the heartbeat stays.
    assert [p.name.startswith(health.HEARTBEAT_PREFIX) for p in (media / health.HEALTH_DIR_NAME).iterdir()] == [True]


def test_readyz_is_cheap_enough_to_call_every_second(db, media):
    health.beat()
    client = Client()
    readyz(client)  # the first call reads the migration graph and asks fc-list
    start = time.perf_counter()
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.05, f"{per_call * 1000:.1f} ms per /readyz"


def test_readyz_fails_when_no_worker_was_seen(db, media, settings):
    status, body = readyz()
    assert status == 503 and body["status"] == "fail" and body["checks"]["worker"] == "fail"
    assert body["checks"]["database"] == "ok"
    # A heartbeat older than READYZ_WORKER_MINUTES does not count either.
    health.beat()
    old = time.time() - settings.READYZ_WORKER_MINUTES * 60 - 5
    for path in (media / health.HEALTH_DIR_NAME).iterdir():
        os.utime(path, (old, old))
    assert readyz()[1]["checks"]["worker"] == "fail"
    health.beat()
    assert readyz()[0] == 200


def test_readyz_needs_no_worker_when_tasks_run_in_process(db, media, settings):
    settings.TASKS = IMMEDIATE_TASKS
    status, body = readyz()
    assert status == 200 and body["checks"]["worker"] == "not required"


def test_readyz_fails_when_media_is_not_writable(db, media, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"  # below a plain file: nothing can be created there
    status, body = readyz()
    assert status == 503 and body["checks"]["media"] == "fail"


def test_readyz_fails_when_a_migration_is_not_applied(db, media, monkeypatch):
    health.beat()
    leaves = health._code_migrations() | {("servicecenter", "9999_from_the_future", ())}
    monkeypatch.setattr(health, "_code_migrations", lambda: leaves)
    status, body = readyz()
    assert status == 503 and body["checks"]["migrations"] == "fail" and body["checks"]["database"] == "ok"


def test_readyz_fails_without_the_cjk_font(db, media, settings):
    health.beat()
    settings.PDF_CJK_FONT_FAMILY = "没有这种字体"
    status, body = readyz()
    assert status == 503 and body["checks"]["cjk_font"] == "fail"


def test_readyz_with_the_database_down_is_a_503_that_reveals_nothing(tmp_path):
    """A real process with production settings and a database that refuses connections; over plain
    HTTP (a load balancer's probe), which SECURE_SSL_REDIRECT must not turn into a redirect."""
    script = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "c = Client()\n"
        "r = c.get('/readyz'); h = c.get('/healthz')\n"
        "print(json.dumps({'status': r.status_code, 'body': r.content.decode(), 'healthz': h.status_code}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SECRET_", "FIELD_"))}
    env.update(DJANGO_SETTINGS_MODULE="servicecenter.settings", DEBUG="0", ALLOWED_HOSTS="testserver",
               SECRET_KEY="s" * 50, FIELD_ENCRYPTION_KEY="f" * 40, MEDIA_ROOT=str(tmp_path),
               DATABASE_URL="postgres://geheim:topsecret@127.0.0.1:9/nosuchdb", DATABASE_CONNECT_TIMEOUT="2")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["healthz"] == 200
    assert out["status"] == 503
    body = json.loads(out["body"])
    assert body["checks"]["database"] == "fail" and body["checks"]["migrations"] == "fail"
    for secret in ("geheim", "topsecret", "nosuchdb", "127.0.0.1", str(tmp_path)):
        assert secret not in out["body"]


def test_the_worker_writes_a_heartbeat_while_it_runs(db, media):
    assert get_commands()["db_worker"] == "servicecenter"  # ours, not django_tasks_db's own
    stop = health.start_heartbeat(interval=0.05)
    try:
        assert health.newest_heartbeat() is not None and health.newest_heartbeat() < 5
    finally:
        stop()
    assert health.newest_heartbeat() is None  # removed on exit


def test_db_worker_command_beats_and_cleans_up(db, media, monkeypatch):
    seen = []
    from django_tasks_db.management.commands import db_worker

    # The loop itself is django-tasks-db's; what is ours is the heartbeat around it.
    def run(self):  # noqa: ANN001, ANN202
        seen.append(health.newest_heartbeat())

    monkeypatch.setattr(db_worker.Worker, "run", run)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert seen and seen[0] is not None
    assert health.newest_heartbeat() is None
