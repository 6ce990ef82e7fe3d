"""Upgrade test: a database made and filled by the previous release, migrated forward by this code,
loses no row and changes no value it should keep.

    tests/pg/with-postgres.sh .venv/bin/python tests/upgrade/from_previous_release.py [--from COMMIT]

The previous release is the commit before the service kernel's migrations (there are no release tags
yet): d91b021, "Petition register exports go to the background …". Its tree is unpacked with
``git archive`` into a temporary folder (the repository is not touched), and with its own code:
``migrate`` and ``seed_demo --scale N --petitions N`` on the throwaway PostgreSQL. Then this code's
``migrate``. Compared, table by table: every table is still there, the same number of rows with the
same primary keys, and every column both versions have holds the same values (a checksum per column,
keyed by the primary key). Columns a migration rewrites or drops on purpose are listed in EXPECTED
with the reason, and what they became is checked. Exit status 1 on any loss. (.ci/run step.)
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
PY = str(ROOT / ".venv" / "bin" / "python")
PREVIOUS = "d91b021"
# (table, column): why this release changes or drops it on purpose.
EXPECTED: dict[tuple[str, str], str] = {
    ("petitions_petition", "was_overdue"): "petitions 0004: replaced by the clock's late_from (checked below)",
}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
        raise SystemExit(f"upgrade test: {' '.join(args[1:])} failed in {cwd}")


def snapshot(url: str) -> dict[str, dict]:
    """{table: {"rows": n, "pk": [cols], "keys": checksum of the keys, "columns": {col: checksum}}}."""
    out: dict[str, dict] = {}
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        for table in tables:
            pk = [r[0] for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY a.attnum",
                [f'public."{table}"'])]
            columns = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s",
                [table])]
            key = sql.SQL(" || ':' || ").join(sql.SQL("coalesce({}::text, '')").format(sql.Identifier(c)) for c in pk) \
                if pk else sql.SQL("t::text")

            def digest(expr: sql.Composable) -> sql.Composable:
                return sql.SQL("coalesce(sum(('x' || substr(md5({}), 1, 15))::bit(60)::bigint::numeric), 0)").format(expr)

            parts = [sql.SQL("count(*)"), digest(key)]
            for column in columns:
                parts.append(digest(sql.SQL("{} || '|' || coalesce({}::text, '<null>')").format(
                    key, sql.Identifier(column))))
            row = conn.execute(sql.SQL("SELECT {} FROM {} t").format(sql.SQL(", ").join(parts),
                                                                     sql.Identifier(table))).fetchone()
            out[table] = {"rows": row[0], "pk": pk, "keys": str(row[1]),
                          "columns": {c: str(v) for c, v in zip(columns, row[2:], strict=True)}}
            # Small tables in full: a migration may add rows to them (content types, permissions, its
            # own record), and then every old row must still be there, unchanged.
            if row[0] <= SMALL and pk:
                out[table]["full"] = rows_by_key(conn, table, pk, columns)
    return out


SMALL = 5000


def rows_by_key(conn: psycopg.Connection, table: str, pk: list[str], columns: list[str]) -> dict[str, dict]:
    query = sql.SQL("SELECT {}, {} FROM {}").format(
        sql.SQL(" || ':' || ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in pk),
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns), sql.Identifier(table))
    return {r[0]: dict(zip(columns, r[1:], strict=True)) for r in conn.execute(query)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="previous", default=PREVIOUS, help=f"the previous release (default {PREVIOUS})")
    parser.add_argument("--scale", type=int, default=2000)
    parser.add_argument("--petitions", type=int, default=3000)
    options = parser.parse_args()
    url = os.environ["DATABASE_URL"]

    with tempfile.TemporaryDirectory(prefix="sc-upgrade.") as tmp:
        work = Path(tmp)
        previous = work / "previous"
        previous.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", options.previous], capture_output=True,
                                 check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(previous, filter="data")
        subject = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s", options.previous],
                                 capture_output=True, text=True, check=True).stdout.strip()
        current = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "HEAD"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        env = {k: v for k, v in os.environ.items() if k not in ("MEDIA_ROOT", "DEBUG")}
        env.update(MEDIA_ROOT=str(work / "media"), DJANGO_SETTINGS_MODULE="servicecenter.settings")
        timings = {}

        print(f"== previous release: {subject}")
        start = time.perf_counter()
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], previous, env)
        run([PY, "manage.py", "seed_demo", "--force", "--scale", str(options.scale), "--petitions",
             str(options.petitions)], previous, env)
        timings["previous release: migrate + seed_demo"] = time.perf_counter() - start
        with psycopg.connect(url) as conn:
            overdue_before = {r[0] for r in conn.execute("SELECT id FROM petitions_petition WHERE was_overdue")}
            due_before = dict(conn.execute("SELECT id, due_date FROM petitions_petition").fetchall())
        before = snapshot(url)

        print(f"== this code ({current}): migrate")
        start = time.perf_counter()
        run([PY, "manage.py", "migrate", "--noinput", "-v0"], ROOT, env)
        timings["this code: migrate forward"] = time.perf_counter() - start
        run([PY, "manage.py", "migrate", "--check"], ROOT, env)
        after = snapshot(url)

        problems: list[str] = []
        grown: list[str] = []  # tables the migrations added rows to (every old row checked)
        for table, old in before.items():
            new = after.get(table)
            if new is None:
                problems.append(f"table {table} is gone")
                continue
            if new["rows"] > old["rows"] and "full" in old:
                with psycopg.connect(url) as conn:
                    now = rows_by_key(conn, table, old["pk"], [c for c in old["columns"] if c in new["columns"]])
                gone = [k for k in old["full"] if k not in now]
                changed = [k for k in old["full"] if k in now and any(
                    old["full"][k][c] != now[k][c] for c in now[k])]
                if gone or changed:
                    problems.append(f"{table}: {len(gone)} old rows gone, {len(changed)} changed")
                grown.append(f"{table} +{new['rows'] - old['rows']}")
                continue
            if new["rows"] != old["rows"]:
                problems.append(f"{table}: {old['rows']} rows before, {new['rows']} after")
            elif new["keys"] != old["keys"]:
                problems.append(f"{table}: the same number of rows but other primary keys")
            for column, checksum in old["columns"].items():
                expected = EXPECTED.get((table, column))
                if column not in new["columns"]:
                    if not expected:
                        problems.append(f"{table}.{column} was dropped")
                elif new["columns"][column] != checksum and not expected:
                    problems.append(f"{table}.{column}: values changed")
        # What the dropped column became: the same cases are late, and every due date is the same.
        with psycopg.connect(url) as conn:
            late_after = {r[0] for r in conn.execute("SELECT id FROM petitions_petition WHERE late_from IS NOT NULL")}
            due_after = dict(conn.execute("SELECT id, due_date FROM petitions_petition").fetchall())
        if not overdue_before <= late_after:
            problems.append(f"{len(overdue_before - late_after)} petitions that were overdue lost their late_from")
        if due_after != due_before:
            problems.append("petition due dates changed")

        rows = sum(t["rows"] for t in before.values())
        added = sorted(set(after) - set(before))
        print("\n======== upgrade ========")
        print(f"  from {subject}")
        print(f"  to   {current}")
        print(f"  compared {len(before)} tables, {rows:,} rows, "
              f"{sum(len(t['columns']) for t in before.values())} columns (values per primary key)")
        print(f"  new tables: {', '.join(added) or 'none'}")
        print(f"  rows added by the migrations (every old row still there, unchanged): {', '.join(grown) or 'none'}")
        for (table, column), why in EXPECTED.items():
            print(f"  expected change: {table}.{column} — {why}")
        print(f"  overdue petitions before: {len(overdue_before)}, with late_from after: "
              f"{len(overdue_before & late_after)}; due dates unchanged: {due_after == due_before}")
        for name, seconds in timings.items():
            print(f"  {name:<42} {seconds:6.1f} s")
        print(f"  rows lost: {sum(max(0, t['rows'] - after.get(n, {'rows': 0})['rows']) for n, t in before.items())}; "
              f"problems: {len(problems)}")
        for problem in problems:
            print(f"    - {problem}")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
