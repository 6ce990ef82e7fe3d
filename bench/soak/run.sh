#!/usr/bin/env bash
# Soak: the load test's working day for 30 minutes on gunicorn + PostgreSQL, with every worker's
# memory sampled. Goal: 0 errors, p95 steady, each worker grows by at most 50 MB after warm-up.
#
#   bench/soak/run.sh                       # 100,000 people, 50 staff, 30 min, max_requests=0 (~35 min)
#   bench/soak/run.sh --hostile 10          # then 10 min of bench/load/locustfile.py's Hostile mix
#   bench/soak/run.sh --max-requests 2000   # with deploy/gunicorn.conf.py's recycling (what is deployed)
#   bench/soak/run.sh --quick               # 5,000 people, 10 staff, 3 min (+1 min hostile): the script works
#
# gunicorn runs with deploy/gunicorn.conf.py (DEBUG=0, random keys), one sync worker per core, and by
# default max_requests=0 so that a worker lives through the whole run and its growth is seen; the
# deployed config recycles workers after 2,000 (± 200) requests either way. memory.py samples each
# worker's RSS and USS every 15 s; the locustfile writes the response times minute by minute.
# Options: --scale N, --users N, --minutes M, --hostile M, --max-requests N, --out DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCALE=100000
USERS=50
MINUTES=30
HOSTILE=0
MAX_REQUESTS=0
OUT=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --quick) SCALE=5000 USERS=10 MINUTES=3 HOSTILE=1 ;;
        --scale) SCALE=$2; shift ;;
        --users) USERS=$2; shift ;;
        --minutes) MINUTES=$2; shift ;;
        --hostile) HOSTILE=$2; shift ;;
        --max-requests) MAX_REQUESTS=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

if [ -z "${BENCH_SOAK_INNER:-}" ]; then
    OUT=${OUT:-$(mktemp -d /tmp/sc-soak-results.XXXXXX)}
    mkdir -p "$OUT" && chmod 755 "$OUT"
    BENCH_SOAK_INNER=1 exec "$ROOT/tests/pg/with-postgres.sh" "$0" --scale "$SCALE" --users "$USERS" \
        --minutes "$MINUTES" --hostile "$HOSTILE" --max-requests "$MAX_REQUESTS" --out "$OUT"
fi

cd "$ROOT"
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin
WORK=$(mktemp -d /tmp/sc-soak.XXXXXX)
GUNICORN_PID=""
SAMPLER_PID=""
cleanup() {
    set +e
    [ -n "$SAMPLER_PID" ] && kill -TERM "$SAMPLER_PID" 2>/dev/null && wait "$SAMPLER_PID" 2>/dev/null
    [ -n "$GUNICORN_PID" ] && kill -TERM "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export DEBUG=0 LOG_LEVEL=WARNING PYTHONUNBUFFERED=1 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1
export SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export FIELD_ENCRYPTION_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
export MEDIA_ROOT=$WORK/media STATIC_ROOT=$WORK/static
# The large exports go to the background: nobody runs a worker here, and none is needed (the mix's
# exports are a few dozen rows).
export TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend

echo "== setup: migrate, seed_demo --scale $SCALE, VACUUM (ANALYZE), collectstatic"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --force --scale "$SCALE" >"$OUT/seed.log" 2>&1
"$PY" - <<'PY'
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("SET client_min_messages = error")
    conn.execute("VACUUM (ANALYZE)")
PY
"$PY" manage.py collectstatic --noinput -v0

PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
HOST=http://127.0.0.1:$PORT
WORKERS=$(nproc)
GUNICORN_BIND=127.0.0.1:$PORT GUNICORN_WORKERS=$WORKERS GUNICORN_MAX_REQUESTS=$MAX_REQUESTS \
    GUNICORN_MAX_REQUESTS_JITTER=$((MAX_REQUESTS / 10)) GUNICORN_ACCESS_LOG="" GUNICORN_LOG_LEVEL=warning \
    "$BIN/gunicorn" --config "$ROOT/deploy/gunicorn.conf.py" servicecenter.wsgi >"$OUT/gunicorn.log" 2>&1 &
GUNICORN_PID=$!
for _ in $(seq 150); do
    curl -fs -o /dev/null "$HOST/healthz" && break
    kill -0 "$GUNICORN_PID" 2>/dev/null || { cat "$OUT/gunicorn.log"; exit 1; }
    sleep 0.2
done
echo "gunicorn: $WORKERS workers, max_requests=$MAX_REQUESTS on $HOST"

BLOCK=200
run_phase() {  # NAME CLASS USERS MINUTES DESCRIPTION
    local name=$1 class=$2 users=$3 minutes=$4 description=$5
    BLOCK=$((BLOCK + 1))
    printf '{"description": "%s", "users": %s, "minutes": %s, "max_requests": %s}\n' \
        "$description" "$users" "$minutes" "$MAX_REQUESTS" >"$OUT/${name}_meta.json"
    "$PY" "$HERE/memory.py" "$GUNICORN_PID" "$OUT/${name}_memory.csv" 15 &
    SAMPLER_PID=$!
    echo "== $name: $description"
    LOAD_PAUSE=1 LOAD_ID_BLOCK=$BLOCK LOAD_MINUTES_FILE="$OUT/${name}_minutes.json" \
        timeout --kill-after=10 $((minutes * 60 + 120)) \
        "$BIN/locust" -f "$ROOT/bench/load/locustfile.py" --headless --host "$HOST" --users "$users" \
        --spawn-rate 5 --run-time "$((minutes * 60))s" --stop-timeout 10 --csv "$OUT/$name" --only-summary \
        --loglevel WARNING --exit-code-on-error 0 "$class" >"$OUT/$name.log" 2>&1 \
        || { echo "locust $name failed"; tail -30 "$OUT/$name.log"; exit 1; }
    kill -TERM "$SAMPLER_PID"; wait "$SAMPLER_PID" || true
    SAMPLER_PID=""
}

run_phase soak Staff "$USERS" "$MINUTES" "the working day: $USERS staff with 1–3 s pauses for $MINUTES minutes"
if [ "$HOSTILE" -gt 0 ]; then
    run_phase hostile Hostile 8 "$HOSTILE" "hostile requests: 8 clients without pauses for $HOSTILE minutes (random paths, long random searches, bad cursors and ids, wrong methods, posts without a token)"
fi

cat >"$OUT/meta.json" <<JSON
{"scale": $SCALE, "workers": $WORKERS, "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM",
 "commit": "$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"}
JSON
"$PY" "$HERE/summary.py" "$OUT"
