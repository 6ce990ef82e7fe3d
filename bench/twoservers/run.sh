#!/usr/bin/env bash
# Two app servers behind nginx, on loopback: nginx (deploy/nginx/servicecenter.conf, TLS) in front of two
# gunicorns (deploy/gunicorn.conf.py) on different ports, one db_worker, one throwaway PostgreSQL, one
# shared MEDIA_ROOT. See bench/load/README.md ("Two app servers behind nginx").
#
#   bench/twoservers/run.sh                  # 20,000 people; 30 staff × 180 s per mode (~10 min)
#   bench/twoservers/run.sh --quick          # 2,000 people; 10 staff × 60 s, drain mode only
#   bench/twoservers/run.sh --mode abrupt    # restart without taking the server out of nginx first
#
# 1. check_shared.py: one session served by both servers; a background export written by the worker
#    and downloaded from both.
# 2. The load test's working day (bench/load/locustfile.py, class Staff, 1–3 s pauses) through nginx,
#    while app server A and then B are each stopped (SIGTERM: gunicorn lets the requests in progress
#    finish) and started again:
#      drain  — as docs/deploy.md says: deploy/nginx-drain down A (nginx reload), stop, start, wait
#               for /readyz, nginx-drain up A; then the same for B
#      abrupt — stop and start with nginx unaware (it skips a server that refuses connections)
#    Zero failed requests is the goal of every mode; the summary says what each got.
# Options: --scale N, --users N, --duration S (per mode), --mode drain|abrupt|both, --workers N
# (gunicorn workers per server), --out DIR. Everything started is stopped on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SCALE=20000
USERS=30
DURATION=180
MODE=both
WORKERS=2
OUT=""
while [ "$#" -gt 0 ]; do
    case "$1" in
        --quick) SCALE=2000 USERS=10 DURATION=60 MODE=drain ;;
        --scale) SCALE=$2; shift ;;
        --users) USERS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --mode) MODE=$2; shift ;;
        --workers) WORKERS=$2; shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
case "$MODE" in drain|abrupt|both) ;; *) echo "--mode drain|abrupt|both" >&2; exit 2 ;; esac

if [ -z "${BENCH_TWO_INNER:-}" ]; then
    OUT=${OUT:-$(mktemp -d /tmp/sc-twoservers-results.XXXXXX)}
    mkdir -p "$OUT" && chmod 755 "$OUT"
    BENCH_TWO_INNER=1 exec "$ROOT/tests/pg/with-postgres.sh" "$0" --scale "$SCALE" --users "$USERS" \
        --duration "$DURATION" --mode "$MODE" --workers "$WORKERS" --out "$OUT"
fi

cd "$ROOT"
PY=$ROOT/.venv/bin/python
BIN=$ROOT/.venv/bin
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "nginx is not installed (apt-get install nginx)"; exit 1; }
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
WORK=$(mktemp -d /tmp/sc-twoservers.XXXXXX)
chmod 755 "$WORK"
declare -A PIDS=()
cleanup() {
    set +e
    for name in "${!PIDS[@]}"; do kill -TERM "${PIDS[$name]}" 2>/dev/null; done
    for name in "${!PIDS[@]}"; do wait "${PIDS[$name]}" 2>/dev/null; done
    [ -f "$WORK/nginx/nginx.pid" ] && "$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -s quit 2>/dev/null
    sleep 0.5
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }
log() { printf '%s %s\n' "$(date +%T)" "$*" | tee -a "$OUT/timeline.txt"; }

export DEBUG=0 LOG_LEVEL=WARNING PYTHONUNBUFFERED=1
export SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')
export FIELD_ENCRYPTION_KEY=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(48))')
export ALLOWED_HOSTS=127.0.0.1,fw.example.org BEHIND_TLS_PROXY=1 PROXY_COUNT=1
export MEDIA_ROOT=$WORK/media STATIC_ROOT=$WORK/static
PORT_A=$(free_port); PORT_B=$(free_port); PORT_TLS=$(free_port)
BASE=https://127.0.0.1:$PORT_TLS
: >"$OUT/timeline.txt"

log "setup: migrate, seed_demo --scale $SCALE, VACUUM ANALYZE, collectstatic"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --force --scale "$SCALE" >"$OUT/seed.log" 2>&1
"$PY" - <<'PY'
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("SET client_min_messages = error")
    conn.execute("VACUUM (ANALYZE)")
PY
"$PY" manage.py collectstatic --noinput -v0
# Background exports from 100 rows on (default 50,000), so that check_shared.py gets one at this size.
"$PY" manage.py shell --no-imports -c "
from servicecenter.models import OrgUnit, Parameter
Parameter.objects.update_or_create(key='exports.background_rows', org_unit=OrgUnit.objects.get(parent=None),
                                   year=None, defaults={'value': '100'})"

start_worker() {
    "$PY" manage.py db_worker --no-reload --interval 1 >>"$OUT/worker.log" 2>&1 &
    PIDS[worker]=$!
}
start_app() {  # NAME PORT
    GUNICORN_BIND=127.0.0.1:$2 GUNICORN_WORKERS=$WORKERS GUNICORN_PROC_NAME=sc-$1 \
        GUNICORN_ACCESS_LOG="$OUT/access-$1.log" GUNICORN_LOG_LEVEL=info \
        "$BIN/gunicorn" --config "$ROOT/deploy/gunicorn.conf.py" servicecenter.wsgi >>"$OUT/gunicorn-$1.log" 2>&1 &
    PIDS[$1]=$!
    for _ in $(seq 150); do
        if curl -fs -o /dev/null -H 'Host: 127.0.0.1' "http://127.0.0.1:$2/readyz"; then return 0; fi
        kill -0 "${PIDS[$1]}" 2>/dev/null || { echo "gunicorn $1 did not start"; tail "$OUT/gunicorn-$1.log"; exit 1; }
        sleep 0.2
    done
    echo "gunicorn $1 not ready"; exit 1
}
stop_app() {  # NAME: SIGTERM, as systemd does; gunicorn finishes the requests in progress
    kill -TERM "${PIDS[$1]}"
    wait "${PIDS[$1]}" 2>/dev/null || true
    unset "PIDS[$1]"
}

start_worker
start_app a "$PORT_A"
start_app b "$PORT_B"

# nginx: the deployed site, pointed at this run's ports, certificate and folders.
mkdir -p "$WORK/nginx/sites" "$WORK/nginx/logs" "$WORK/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fw.example.org" \
    -addext "subjectAltName=DNS:fw.example.org,IP:127.0.0.1" \
    -keyout "$WORK/tls/privkey.pem" -out "$WORK/tls/fullchain.pem" 2>/dev/null
SITE=$WORK/nginx/sites/servicecenter.conf
sed -e "s|^\([[:space:]]*\)server 127.0.0.1:8000 \(.*\)$|\1server 127.0.0.1:$PORT_A \2\n\1server 127.0.0.1:$PORT_B \2|" \
    -e '/^[[:space:]]*# server 10.0.0.12/d' -e '/listen \[::\]/d' \
    -e "s|listen 443 |listen $PORT_TLS |" -e "s|listen 80;|listen $(free_port);|" \
    -e "s|/etc/servicecenter/tls|$WORK/tls|" -e "s|/etc/nginx/servicecenter-proxy.conf|$ROOT/deploy/nginx/servicecenter-proxy.conf|" \
    -e "s|/var/lib/servicecenter/static/|$STATIC_ROOT/|" "$ROOT/deploy/nginx/servicecenter.conf" >"$SITE"
NGINX_USER=""
[ "$(id -u)" -eq 0 ] && NGINX_USER="user www-data;"
cat >"$WORK/nginx/nginx.conf" <<EOF
$NGINX_USER
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log info;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log $WORK/nginx/logs/access.log;
    client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
    include $SITE;
}
EOF
NGINX_CMD="$NGINX_BIN -c $WORK/nginx/nginx.conf -p $WORK/nginx"
$NGINX_CMD -t -q
$NGINX_CMD
export SITE NGINX_CMD  # for deploy/nginx-drain
log "nginx $BASE → gunicorn a :$PORT_A, b :$PORT_B ($WORKERS workers each); worker; PostgreSQL; MEDIA_ROOT shared"

log "== shared sessions and exports"
"$PY" "$HERE/check_shared.py" "$BASE" "$OUT/access-a.log" "$OUT/access-b.log" "$WORK/tls/fullchain.pem" \
    | tee "$OUT/shared.txt"

run_mode() {  # MODE
    local mode=$1 block=$2
    log "== $mode: $USERS staff for ${DURATION}s; A restarted at $((DURATION / 4)) s, B at $((DURATION / 2)) s"
    : >"$OUT/${mode}_restarts.txt"
    LOAD_PAUSE=1 LOAD_ID_BLOCK=$block timeout --kill-after=10 $((DURATION + 90)) \
        "$BIN/locust" -f "$ROOT/bench/load/locustfile.py" --headless --host "$BASE" --users "$USERS" \
        --spawn-rate 5 --run-time "${DURATION}s" --stop-timeout 10 --csv "$OUT/$mode" --only-summary \
        --loglevel WARNING --exit-code-on-error 0 Staff >"$OUT/$mode.log" 2>&1 &
    local locust=$!
    local t0=$SECONDS
    for pair in "a:$PORT_A:$((DURATION / 4))" "b:$PORT_B:$((DURATION / 2))"; do
        IFS=: read -r name port at <<<"$pair"
        while [ $((SECONDS - t0)) -lt "$at" ]; do sleep 0.5; done
        local start
        start=$(now)
        if [ "$mode" = drain ]; then
            "$ROOT/deploy/nginx-drain" down "127.0.0.1:$port" >/dev/null
            sleep 2  # the nginx workers of the old configuration finish what they sent to it
        fi
        stop_app "$name"
        local stopped
        stopped=$(now)
        sleep 5  # a few seconds with one server: the other one takes everything
        start_app "$name" "$port"
        [ "$mode" = drain ] && "$ROOT/deploy/nginx-drain" up "127.0.0.1:$port" >/dev/null
        printf '%s stopped after %.1f s (drain+graceful), down %.1f s in total\n' "$name" \
            "$("$PY" -c "print($stopped - $start)")" "$("$PY" -c "print($(now) - $start)")" | tee -a "$OUT/${mode}_restarts.txt"
        log "$mode: server $name restarted"
    done
    wait "$locust" || { echo "locust failed:"; tail -30 "$OUT/$mode.log"; return 1; }
}

status=0
block=100
for mode in drain abrupt; do
    if [ "$MODE" = both ] || [ "$MODE" = "$mode" ]; then
        block=$((block + 1))
        run_mode "$mode" "$block" || status=1
    fi
done

cat >"$OUT/meta.json" <<JSON
{"scale": $SCALE, "users": $USERS, "duration": $DURATION, "workers_per_server": $WORKERS,
 "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB RAM", "nginx": "$($NGINX_BIN -v 2>&1 | cut -d/ -f2)",
 "commit": "$(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"}
JSON
cp "$WORK/nginx/logs/error.log" "$OUT/nginx-error.log" 2>/dev/null || true
"$PY" "$HERE/summary.py" "$OUT" || status=1
grep -q "served by either server: yes" "$OUT/shared.txt" || status=1
exit $status
