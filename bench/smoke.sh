#!/usr/bin/env bash
# Every benchmark on a small database (10,000 people), so that none of them rots between the runs at
# full scale. A few minutes on two cores. Exit status: non-zero if any benchmark fails to run (the
# figures are printed, not judged: at 10,000 rows they say little).
#
#   bench/smoke.sh                               # a throwaway SQLite database in a temp folder
#   tests/pg/with-postgres.sh bench/smoke.sh     # a throwaway PostgreSQL server
#   DATABASE_URL=postgres://…/db bench/smoke.sh  # that database (gets the demo data and 10,000 people)
#   SMOKE_SKIP_LOAD=1 bench/smoke.sh             # without the load test (bench/load/run.sh --quick, ~2 min)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROWS=${ROWS:-10000}
export DEBUG=1  # seed_demo refuses to write demo data with DEBUG off

if [ -z "${DATABASE_URL:-}" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    export DATABASE_URL="sqlite:///$tmp/bench.sqlite3"
fi
echo "== bench smoke run: $ROWS rows on ${DATABASE_URL%%:*}"

started=$(date +%s)
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py seed_demo --scale "$ROWS"

echo "== list pages"
"$PY" bench/list_pages.py --rows "$ROWS" --runs 3 --no-seed
echo "== list pages, with the changes proposed in bench/README.md"
"$PY" bench/list_pages.py --rows "$ROWS" --runs 3 --no-seed --scope proposed --fast-select --cases city,station,empty-unit

if [ -f bench/export_bench.py ]; then
    echo "== export"
    "$PY" bench/export_bench.py --rows "$ROWS" --repeat 1
fi
if [ -f bench/pdf_bench.py ]; then
    echo "== pdf"
    "$PY" bench/pdf_bench.py --repeat 3
fi
if [ -x bench/load/run.sh ] && [ -z "${SMOKE_SKIP_LOAD:-}" ]; then
    # Its own throwaway PostgreSQL and gunicorn, whatever DATABASE_URL says; needs the server binaries.
    if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
        echo "== load (quick)"
        bench/load/run.sh --quick
    else
        echo "== load: SKIPPED (no PostgreSQL server binaries on this machine)"
    fi
fi
echo "== bench smoke run done in $(( $(date +%s) - started )) s"
