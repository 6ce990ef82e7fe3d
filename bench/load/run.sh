#!/usr/bin/env bash
# Load test: gunicorn (one sync worker per core) + PostgreSQL, all on 127.0.0.1. See README.md.
#
#   bench/load/run.sh                 # 100,000 people; (a) 50 staff, 60 s; (b) 2…32 staff, no pauses (~7 min)
#   bench/load/run.sh --quick         # CI smoke: 2,000 people, 10 staff × 15 s, two short steps (~1.5 min)
#   bench/load/run.sh --scale 1000000 --out /tmp/load-1m
#
# Steps: a throwaway PostgreSQL (tests/pg/with-postgres.sh), migrate, `seed_demo --force --scale N`,
# VACUUM (ANALYZE), collectstatic, gunicorn with DEBUG=0 and random keys on 127.0.0.1, a short
# warm-up, then (a) a working day (the staff arrive and log in, then 60 s of work are measured),
# (b) saturation steps of the same mix with no pauses, and the trivial view /bench/ping/ on the same
# gunicorn; prints a summary table. Everything it started is stopped on exit (also on failure or
# Ctrl-C). Every locust run has a --run-time and targets loopback only.
#
# Options: --quick; --profile (first a per-page table of time and SQL queries: profile_endpoints.py);
#   --scale N; --out DIR (default: a new folder under /tmp); --users N, --duration S (a);
#   --steps "2 4 8 16 32", --step-seconds S (b); --ping-steps "4 16";
#   --pg-jit on|off (PostgreSQL's jit for the app's connections, through PGOPTIONS; an "options"
#   entry in the app's DATABASES settings wins, and the run reports what the connections really
#   have); --threads N (gunicorn gthread workers, N threads each; default 1 = sync workers).
# Exit status: 0 when every locust run finished with zero failed requests (the goals on latency are
# reported, not enforced), 1 otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

QUICK=0
PROFILE=0
SCALE=100000
USERS_A=50
DURATION_A=60
SPAWN_A=5
STEPS="2 4 8 16 32"
STEP_SECONDS=20
PING_STEPS="4 16"
PING_SECONDS=15
OUT=""
SCALE_SET=0
PG_JIT=default
THREADS=1

while [ "$#" -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --profile) PROFILE=1 ;;
        --scale) SCALE=$2; SCALE_SET=1; shift ;;
        --out) OUT=$2; shift ;;
        --users) USERS_A=$2; shift ;;
        --duration) DURATION_A=$2; shift ;;
        --steps) STEPS=$2; shift ;;
        --step-seconds) STEP_SECONDS=$2; shift ;;
        --ping-steps) PING_STEPS=$2; shift ;;
        --pg-jit) PG_JIT=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    [ "$SCALE_SET" = 1 ] || SCALE=2000
    USERS_A=10 DURATION_A=15 SPAWN_A=5 STEPS="2 4" STEP_SECONDS=8 PING_STEPS="4" PING_SECONDS=5
fi

# --- outside: start the throwaway PostgreSQL and come back in with DATABASE_URL set ----------------
if [ -z "${BENCH_LOAD_INNER:-}" ]; then
    OUT=${OUT:-$(mktemp -d /tmp/sc-load-results.XXXXXX)}
    mkdir -p "$OUT"
    chmod 755 "$OUT"
    args=(--scale "$SCALE" --out "$OUT" --users "$USERS_A" --duration "$DURATION_A" --steps "$STEPS"
          --step-seconds "$STEP_SECONDS" --ping-steps "$PING_STEPS" --pg-jit "$PG_JIT" --threads "$THREADS")
    [ "$QUICK" = 1 ] && args=(--quick "${args[@]}")
    [ "$PROFILE" = 1 ] && args=(--profile "${args[@]}")
    BENCH_LOAD_INNER=1 exec "$ROOT/tests/pg/with-postgres.sh" "$0" "${args[@]}"
fi

# --- inside ------------------------------------------------------------------------------------------
cd "$ROOT"
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin
if ! "$PY" -c 'import locust, gunicorn' 2>/dev/null; then
    echo "locust/gunicorn missing in .venv: installing the dev dependencies (make install)"
    make --no-print-directory install
fi

WORK=$(mktemp -d /tmp/sc-load.XXXXXX)
GUNICORN_PID=""
cleanup() {
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$GUNICORN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Production-like settings: DEBUG off, fresh random keys, plain HTTP on loopback (no TLS to redirect to).
export DEBUG=0
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
FIELD_ENCRYPTION_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
export SECRET_KEY FIELD_ENCRYPTION_KEY
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0
export STATIC_ROOT=$WORK/static MEDIA_ROOT=$WORK/media
export LOG_LEVEL=WARNING PYTHONUNBUFFERED=1
if [ "$PG_JIT" = off ] || [ "$PG_JIT" = on ]; then
    export PGOPTIONS="-c jit=$PG_JIT"  # read by libpq: every connection the app opens
fi
PG_PORT=$("$PY" -c 'import os, urllib.parse as u; print(u.urlsplit(os.environ["DATABASE_URL"]).port)')

now() { date +%s.%N; }
since() { "$PY" -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

echo "== setup (results in $OUT)"
t=$(now)
"$PY" manage.py migrate --noinput >"$OUT/migrate.log" 2>&1 || { cat "$OUT/migrate.log"; exit 1; }
MIGRATE_S=$(since "$t")
echo "migrate: ${MIGRATE_S} s"
t=$(now)
"$PY" manage.py seed_demo --force --scale "$SCALE" 2>&1 | tee "$OUT/seed.log"
SEED_S=$(since "$t")
echo "seed_demo --scale $SCALE: ${SEED_S} s"
# A database in service has long been vacuumed: without this, autovacuum starts on the freshly
# loaded tables (insert threshold) in the middle of the measurements.
t=$(now)
"$PY" - <<'PY'
import os

import psycopg

with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("SET client_min_messages = error")  # system catalogs: "only the owner can vacuum"
    conn.execute("VACUUM (ANALYZE)")
PY
VACUUM_S=$(since "$t")
echo "VACUUM (ANALYZE): ${VACUUM_S} s"
"$PY" manage.py collectstatic --noinput >"$OUT/collectstatic.log" 2>&1 || { cat "$OUT/collectstatic.log"; exit 1; }
"$PY" manage.py check --deploy >"$OUT/check-deploy.log" 2>&1 || true
if [ "$PROFILE" = 1 ]; then
    echo "== per-request profile (in-process, no load): $OUT/profile.md"
    "$PY" "$HERE/profile_endpoints.py" --runs 5 2>"$OUT/profile.err" | tee "$OUT/profile.md" \
        || echo "(profile failed: $OUT/profile.err)"
fi

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
WORKERS=$(nproc)
HOST=http://127.0.0.1:$PORT
THREAD_ARGS=()
[ "$THREADS" -gt 1 ] && THREAD_ARGS=(--threads "$THREADS")
"$BIN/gunicorn" --pythonpath "$HERE" bench_wsgi:application --workers "$WORKERS" "${THREAD_ARGS[@]}" --bind "127.0.0.1:$PORT" \
    --error-logfile "$OUT/gunicorn.log" --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 100); do
    if "$PY" -c "import sys, urllib.request as r; sys.exit(r.urlopen('$HOST/bench/ping/', timeout=2).read() != b'ok')" 2>/dev/null; then
        break
    fi
    kill -0 "$GUNICORN_PID" 2>/dev/null || { echo "gunicorn did not start:"; cat "$OUT/gunicorn.log"; exit 1; }
    sleep 0.2
done
# What the app's own connections get (settings may set it, PGOPTIONS may).
JIT_NOW=$("$PY" manage.py shell -c "from django.db import connection
with connection.cursor() as c:
    c.execute('SHOW jit')
    print(c.fetchone()[0])" 2>/dev/null | tail -1)
echo "gunicorn: $WORKERS workers × $THREADS thread(s) on $HOST (pid $GUNICORN_PID); PostgreSQL jit=$JIT_NOW"

export LOAD_SERVER_PID=$GUNICORN_PID LOAD_PG_PORT=$PG_PORT
ID_BLOCK=0
# locust NAME USERS SPAWN_RATE SECONDS CLASS [ENV=VALUE ...]: one bounded run, CSV under $OUT/NAME_*.
run_locust() {
    local name=$1 users=$2 rate=$3 seconds=$4 class=$5
    shift 5
    ID_BLOCK=$((ID_BLOCK + 1))
    env "$@" LOAD_ID_BLOCK=$ID_BLOCK LOAD_CPU_FILE="$OUT/${name}_cpu.json" \
        timeout --kill-after=10 $((seconds + 60)) \
        "$BIN/locust" -f "$HERE/locustfile.py" --headless --host "$HOST" --users "$users" --spawn-rate "$rate" \
        --run-time "${seconds}s" --stop-timeout 10 --csv "$OUT/$name" --only-summary --loglevel WARNING \
        --exit-code-on-error 0 "$class" >"$OUT/$name.log" 2>&1 || { echo "locust $name failed:"; tail -30 "$OUT/$name.log"; exit 1; }
}

echo "== warm-up (4 staff, 10 s, not counted)"
run_locust warmup 4 4 10 Staff LOAD_PAUSE=0

# The staff arrive at SPAWN_A a second and log in (the arrival, reported on its own); the working day
# is then measured for DURATION_A seconds from the moment the last of them has logged in.
echo "== (a) working day: $USERS_A staff arrive ($SPAWN_A/s), then ${DURATION_A} s of work with 1–3 s pauses"
run_locust a "$USERS_A" "$SPAWN_A" $((DURATION_A + 120)) Staff LOAD_PAUSE=1 \
    LOAD_MEASURE_AFTER_LOGIN=1 LOAD_MEASURE_SECONDS="$DURATION_A" LOAD_ARRIVAL_FILE="$OUT/a_arrival.json"

echo "== (b) saturation: no pauses, ${STEP_SECONDS} s per step after every user has logged in"
for users in $STEPS; do
    # Measured for STEP_SECONDS from the moment every user has logged in (PBKDF2: ~0.4 s of CPU
    # each, so 32 simultaneous logins take a while); --run-time is only the upper bound.
    echo "   $users staff"
    run_locust "b_${users}" "$users" "$users" $((STEP_SECONDS + 90)) Staff LOAD_PAUSE=0 \
        LOAD_MEASURE_AFTER_LOGIN=1 LOAD_MEASURE_SECONDS="$STEP_SECONDS"
done
for users in $PING_STEPS; do
    echo "   /bench/ping/, $users clients"
    run_locust "ping_${users}" "$users" "$users" "$PING_SECONDS" Ping
done

cat >"$OUT/meta.json" <<JSON
{"scale": $SCALE, "seed_seconds": $SEED_S, "migrate_seconds": $MIGRATE_S, "vacuum_seconds": $VACUUM_S, "workers": $WORKERS,
 "quick": $QUICK, "users_a": $USERS_A, "duration_a": $DURATION_A, "steps": "$STEPS",
 "step_seconds": $STEP_SECONDS, "ping_steps": "$PING_STEPS", "spawn_a": $SPAWN_A,
 "threads": $THREADS, "pg_jit": "$JIT_NOW",
 "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM, $(uname -sr)",
 "cpu_model": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
 "postgres": "$(psql --version 2>/dev/null | awk '{print $3}')",
 "commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- . ':!bench/load' 2>/dev/null || echo '+changes')"}
JSON
echo
"$PY" "$HERE/summary.py" "$OUT"
