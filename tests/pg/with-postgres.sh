#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL server, then stop the server and delete its files.
#
#   tests/pg/with-postgres.sh make test
#   tests/pg/with-postgres.sh .venv/bin/python -m pytest -m 'not e2e'
#
# The server listens on 127.0.0.1 on a free port, lives in a mktemp folder and is gone when the
# command ends (also on failure or Ctrl-C). The command sees DATABASE_URL for a role that may create
# databases (and PG_TEST_SOCKET / PG_TEST_PORT / PG_TEST_BIN for the superuser, see below) (the test runner creates test_<name>, and one per xdist worker). The exit status is the
# command's. As root the server runs as the `postgres` OS user (PostgreSQL refuses to run as root).
# Needs the PostgreSQL server binaries (Debian: apt-get install postgresql); PGBIN overrides where
# they are, PGPORT the port, PG_TMPDIR the parent folder.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    PGBIN=$(dirname "$(command -v initdb || echo /nonexistent/initdb)")
fi
if [ ! -x "$PGBIN/initdb" ]; then
    echo "PostgreSQL server binaries not found (apt-get install postgresql, or set PGBIN)" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=${PG_OS_USER:-postgres}
    # From inside the server's folder: the caller's directory may be closed to that user.
    as_pg() { (cd "$PGTMP" && runuser -u "$PG_OS_USER" -- "$@"); }
else
    PG_OS_USER=$(id -un)
    as_pg() { "$@"; }
fi

# Under /tmp by default, not $TMPDIR: the postgres user must be able to reach it.
PGTMP=$(mktemp -d "${PG_TMPDIR:-/tmp}/sc-pg.XXXXXX")
cleanup() {
    if [ -f "$PGTMP/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGTMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 700 "$PGTMP"
[ "$(id -u)" -eq 0 ] && chown "$PG_OS_USER:" "$PGTMP"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

PGPORT=${PGPORT:-$(free_port)}
PGPASS=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
# PG_TEST_USER / PG_TEST_DB: another name for the role and database (tests/deploy/ creates its own
# "servicecenter" role, as docs/deploy.md says).
DB_USER=${PG_TEST_USER:-servicecenter}
DB_NAME=${PG_TEST_DB:-servicecenter}

# Only the superuser over the private socket is trusted; TCP connections need the password.
as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$PGTMP/initdb.log" 2>&1 \
    || { cat "$PGTMP/initdb.log" >&2; exit 1; }

# A disposable test server: durability off makes the many CREATE/DROP DATABASE of a test run fast.
as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=100" >/dev/null \
    || { cat "$PGTMP/server.log" >&2; exit 1; }

as_pg "$PGBIN/psql" -h "$PGTMP" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL
CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$PGPASS';
CREATE DATABASE $DB_NAME OWNER $DB_USER;
SQL

export DATABASE_URL="postgres://$DB_USER:$PGPASS@127.0.0.1:$PGPORT/$DB_NAME"
# For commands that need the superuser (tests/deploy/, the upgrade test): `psql -h "$PG_TEST_SOCKET"
# -p "$PG_TEST_PORT" -U postgres` over the server's private socket (as root or the postgres user).
export PG_TEST_SOCKET="$PGTMP" PG_TEST_PORT="$PGPORT" PG_TEST_BIN="$PGBIN"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PGPORT (data in $PGTMP)"

status=0
"$@" || status=$?
exit "$status"
