#!/usr/bin/env bash
# Every benchmark on a small database (10,000 people and 10,000 petitions), so that none of them rots
# between the runs at full scale (bench/full.sh). A few minutes on two cores. Exit status: non-zero if
# any benchmark fails to run, or if an export or PDF goal fails (the list figures are printed, not
# judged: at 10,000 rows they say little).
#
#   bench/smoke.sh                               # a throwaway SQLite database in a temp folder
#   tests/pg/with-postgres.sh bench/smoke.sh     # a throwaway PostgreSQL server (what CI runs)
#   DATABASE_URL=postgres://…/db bench/smoke.sh  # that database (gets the demo data, 10,000 people, 10,000 petitions)
#   SMOKE_SKIP_LOAD=1 bench/smoke.sh             # without the load test (bench/load/run.sh --quick, ~2 min)
#   ROWS=20000 PETITIONS=5000 bench/smoke.sh     # other sizes (APPLICATIONS: legal-aid cases, HARDSHIP: hardship files, LEDGER: ledger entries)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROWS=${ROWS:-10000}
PETITIONS=${PETITIONS:-10000}
APPLICATIONS=${APPLICATIONS:-10000}
SEEKERS=${SEEKERS:-10000}  # 就业援助: seekers, and SEEKERS / 5 open postings
HARDSHIP=${HARDSHIP:-10000}
LEDGER=${LEDGER:-10000}  # 帮扶资金: ledger entries (and their register)
export DEBUG=1  # seed_demo refuses to write demo data with DEBUG off

# A scratch folder: the SQLite database (when DATABASE_URL is not set) and MEDIA_ROOT, where the
# background exports write their files (kept out of the working tree).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -z "${DATABASE_URL:-}" ]; then
    export DATABASE_URL="sqlite:///$tmp/bench.sqlite3"
fi
export MEDIA_ROOT="$tmp/media"
echo "== bench smoke run: $ROWS people, $PETITIONS petitions, $SEEKERS seekers, $HARDSHIP hardship files on ${DATABASE_URL%%:*}"

started=$(date +%s)
step() {  # step NAME COMMAND...: run it, print its time; a failure stops the run (set -e)
    local name=$1 t0
    shift
    t0=$(date +%s)
    echo
    echo "== $name"
    "$@"
    echo "-- $name: $(( $(date +%s) - t0 )) s"
}

step "seed" bash -c '"$1" manage.py migrate --noinput -v0 && "$1" manage.py seed_demo --scale "$2" --count petitions="$3" --count legalaid="$4" --count jobs="$5" --count hardship="$6"' \
    _ "$PY" "$ROWS" "$PETITIONS" "$APPLICATIONS" "$SEEKERS" "$HARDSHIP"
step "people list" "$PY" bench/list_pages.py --rows "$ROWS" --runs 3 --no-seed
step "petition list" "$PY" bench/petition_pages.py --rows "$ROWS" --petitions "$PETITIONS" --runs 3 --no-seed
step "legal-aid list" "$PY" bench/legalaid_pages.py --applications "$APPLICATIONS" --runs 3 --no-seed
step "people export" "$PY" bench/export_bench.py --rows "$ROWS" --repeat 1
step "petition export" "$PY" bench/export_bench.py --register petitions --rows "$PETITIONS" --repeat 1
step "legal-aid export" "$PY" bench/export_bench.py --register legalaid --rows "$APPLICATIONS" --repeat 1
step "jobs: matching and seeker list" "$PY" bench/jobs_bench.py --seekers "$SEEKERS" --rows "$ROWS" --runs 3 \
    --seekers-measured 2 --no-seed
step "seeker export" "$PY" bench/export_bench.py --register seekers --rows "$SEEKERS" --repeat 1
step "people export, background" "$PY" bench/export_bench.py --job
step "petition export, background" "$PY" bench/export_bench.py --job --register petitions
step "hardship roster" "$PY" bench/hardship_pages.py --rows "$ROWS" --files "$HARDSHIP" --runs 3 --no-seed
# About nine in ten bulk files are archived (the roster): export four fifths of the files.
step "hardship export" "$PY" bench/export_bench.py --register hardship --rows $((HARDSHIP * 4 / 5)) --repeat 1
step "hardship export, background" "$PY" bench/export_bench.py --job --register hardship
step "eligibility" "$PY" bench/eligibility_bench.py --runs 20
step "pdf" "$PY" bench/pdf_bench.py --repeat 3
step "roll-up" "$PY" bench/summaries_bench.py --runs 3
# The payments' speed goals are printed, not judged (no --strict); the invariants and the register's goals are.
step "funds: ledger, payments, register" "$PY" bench/funds_bench.py --entries "$LEDGER" --payments 400 --repeat 1 \
    --no-seed
if [ -x bench/load/run.sh ] && [ -z "${SMOKE_SKIP_LOAD:-}" ]; then
    # Its own throwaway PostgreSQL and gunicorn, whatever DATABASE_URL says; needs the server binaries.
    if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
        step "load (quick)" bench/load/run.sh --quick
    else
        echo "== load: SKIPPED (no PostgreSQL server binaries on this machine)"
    fi
fi
echo
echo "== bench smoke run done in $(( $(date +%s) - started )) s"
