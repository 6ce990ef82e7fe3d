"""The backup drill: seed, work, back up, destroy, restore, compare — data lost must be 0.

    tests/pg/with-postgres.sh .venv/bin/python tests/drill/drill.py [--scale N] [--petitions N]

Run by .ci/run on a throwaway PostgreSQL (DATABASE_URL, a role that may create databases). The
operator's commands, as docs/deploy.md gives them, in subprocesses:

  1. migrate + ``seed_demo --scale N --count petitions=N`` + tests/drill/activity.py (attachments,
     edits, reveals, logins, a finished background export)
  2. fingerprint: every table's row count and a content checksum (the sum of a 60-bit slice of each
     row's md5 — independent of row order), every sequence's position, every file's SHA-256
  3. ``manage.py backup``                     (timed)
  4. destroy: DROP DATABASE, delete MEDIA_ROOT (timed)
  5. CREATE DATABASE (empty), ``manage.py restore ARCHIVE`` (timed: together, the RTO of this size)
  6. fingerprint again and compare: tables, rows, contents, sequences, files; then ``migrate --check``
     and every stored ID number decrypted with the key from the environment

Prints each phase's seconds and the comparison; exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=False, text=True,
                            capture_output=capture)
    if result.returncode:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"drill: manage.py {' '.join(args)} failed ({result.returncode})")
    return result.stdout if capture else ""


def fingerprint_table(conn: psycopg.Connection, name: str) -> list:
    count, checksum = conn.execute(sql.SQL(
        "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)"
        " FROM {} t").format(sql.Identifier(name))).fetchone()
    return [count, str(checksum)]


def fingerprint(url: str, media: Path) -> dict:
    tables: dict[str, list] = {}
    sequences: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        for name in names:
            tables[name] = fingerprint_table(conn, name)
        for (name,) in conn.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"):
            sequences[name] = conn.execute(sql.SQL("SELECT last_value FROM {}").format(sql.Identifier(name))).fetchone()[0]
    files = {}
    if media.exists():
        for path in sorted(media.rglob("*")):
            rel = path.relative_to(media).as_posix()
            if path.is_file() and not rel.startswith(".health/"):
                files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"tables": tables, "sequences": sequences, "files": files}


def admin_url(url: str) -> tuple[str, str]:
    """(the maintenance database's URL, the drill database's name)."""
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl(), parts.path.lstrip("/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000, help="bulk people (seed_demo --scale)")
    parser.add_argument("--petitions", type=int, default=10_000, help="bulk petitions (seed_demo --count)")
    parser.add_argument("--attachments", type=int, default=40)
    options = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    work = Path(tempfile.mkdtemp(prefix="sc-drill."))
    media, backups = work / "media", work / "backups"
    env = {k: v for k, v in os.environ.items() if k not in ("MEDIA_ROOT", "BACKUP_DIR", "DEBUG")}
    env.update(MEDIA_ROOT=str(media), BACKUP_DIR=str(backups), DJANGO_SETTINGS_MODULE="servicecenter.settings",
               PYTHONUNBUFFERED="1")
    # A production-like key (the development default would do as well; the drill must not depend on it).
    env["FIELD_ENCRYPTION_KEY"] = "drill-" + hashlib.sha256(url.encode()).hexdigest()
    timings: dict[str, float] = {}

    def phase(name: str):  # noqa: ANN202
        class Timer:
            def __enter__(self) -> None:
                print(f"\n== {name}", flush=True)
                self.start = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                timings[name] = time.perf_counter() - self.start
                print(f"-- {name}: {timings[name]:.1f} s", flush=True)
        return Timer()

    try:
        with phase("migrate"):
            manage("migrate", "--noinput", "-v0", env=env)
        with phase(f"seed_demo --scale {options.scale} --count petitions={options.petitions}"):
            manage("seed_demo", "--force", "--scale", str(options.scale), "--count",
                   f"petitions={options.petitions}", env=env, capture=True)
        with phase("activity"):
            subprocess.run([PY, str(ROOT / "tests/drill/activity.py"), str(options.attachments)], cwd=ROOT, env=env,
                           check=True)
        with phase("fingerprint before"):
            before = fingerprint(url, media)
        rows = sum(c for c, _ in before["tables"].values())
        with psycopg.connect(url) as conn:
            db_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        media_bytes = sum(p.stat().st_size for p in media.rglob("*") if p.is_file())
        print(f"   {len(before['tables'])} tables, {rows:,} rows, {len(before['sequences'])} sequences, "
              f"{len(before['files'])} files")

        with phase("backup"):
            print(manage("backup", env=env, capture=True).rstrip())
        archive = next(backups.glob("servicecenter-*.tar"))

        maintenance, name = admin_url(url)
        with phase("destroy (DROP DATABASE, delete MEDIA_ROOT)"):
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            shutil.rmtree(media)
        with phase("restore (CREATE DATABASE + manage.py restore)"):
            with psycopg.connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(manage("restore", str(archive), env=env, capture=True).rstrip())

        with phase("fingerprint after"):
            after = fingerprint(url, media)
        manage("migrate", "--check", env=env, capture=True)
        decrypted_out = manage("shell", "--no-imports", "-c", "from servicecenter.models import Person; "
                           "print(sum(1 for p in Person.objects.iterator() if p.id_number))", env=env, capture=True)
        decrypted = int(decrypted_out.strip().splitlines()[-1])

        lost = {
            "tables missing": sorted(set(before["tables"]) - set(after["tables"])),
            "tables added": sorted(set(after["tables"]) - set(before["tables"])),
            "tables whose rows differ": sorted(t for t in before["tables"]
                                               if t in after["tables"] and before["tables"][t] != after["tables"][t]),
            "sequences that differ": sorted(s for s in before["sequences"]
                                            if before["sequences"][s] != after["sequences"].get(s)),
            "files missing or changed": sorted(f for f in before["files"] if before["files"][f] != after["files"].get(f)),
            "files added": sorted(set(after["files"]) - set(before["files"])),
        }
        people = before["tables"].get("servicecenter_person", [0])[0]
        # The comparison can fail: one changed character in one row changes the table's checksum.
        with psycopg.connect(url) as conn:
            conn.execute("UPDATE servicecenter_person SET name = name || '改' WHERE id = (SELECT min(id) FROM servicecenter_person)")
            changed = fingerprint_table(conn, "servicecenter_person")
            conn.rollback()
        sensitive = changed != after["tables"]["servicecenter_person"]
        print("\n======== drill ========")
        print(f"  database           {db_bytes / 2**20:,.1f} MB on disk (pg_database_size), files {media_bytes / 2**20:,.1f} MB")
        print(f"  archive            {archive.name}, {archive.stat().st_size / 2**20:,.1f} MB")
        print(f"  compared           {len(before['tables'])} tables, {rows:,} rows (count and content checksum), "
              f"{len(before['sequences'])} sequences, {len(before['files'])} files (SHA-256)")
        for what, items in lost.items():
            print(f"  {what:<26} {len(items)}" + (f"  {items[:5]}" if items else ""))
        print(f"  ID numbers decrypted {decrypted:,} of {people:,}")
        for name_, seconds in timings.items():
            print(f"  {name_:<58} {seconds:7.1f} s")
        rto = timings["restore (CREATE DATABASE + manage.py restore)"]
        print(f"  restore time (RTO of this size): {rto:.1f} s for {rows:,} rows and {len(before['files'])} files")
        print(f"  self-check: a one-character change in one row is seen: {'yes' if sensitive else 'NO'}")
        data_lost = sum(len(v) for v in lost.values()) + (people - decrypted)
        print(f"  data lost: {data_lost}")
        (work / "drill.json").write_text(json.dumps({"timings": timings, "rows": rows, "lost": lost}, indent=1))
        return 1 if data_lost or not sensitive else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
