#!/usr/bin/env bash
# Every benchmark at full scale on the PostgreSQL database in DATABASE_URL (`make bench`; without
# DATABASE_URL, `make bench` runs this inside tests/pg/with-postgres.sh, a throwaway server).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:55432/bench bench/full.sh
#   ROWS=1000000 PETITIONS=1000000 APPLICATIONS=200000 SEEKERS=100000 HARDSHIP=200000 LEDGER=1000000 PAYMENTS=4000 RUNS=11 bench/full.sh   # the defaults
#   ONLY="lists petitions" bench/full.sh                         # some of the steps (names below)
#
# 1. seed       migrate, then `seed_demo --scale $ROWS --count petitions=$PETITIONS --count
#               legalaid=$APPLICATIONS --count jobs=$SEEKERS --count hardship=$HARDSHIP` (idempotent: seconds
#               when the data is there)
# 2. lists      people list at $ROWS people: ours against raw SQL and Django admin, deep pages
# 3. petitions  petition list at $PETITIONS cases: city and station, filtered and not, deep pages
#    legalaid   the legal-aid application list at $APPLICATIONS cases: city and station, filtered, deep pages
#    legalaid-export  法律援助案件登记表 at $APPLICATIONS rows: ours against raw openpyxl
# 3b. matching  就业援助 at $SEEKERS seekers and $SEEKERS/5 open postings: top 20 in SQL vs all in Python;
#               the seeker list (bench/jobs_bench.py)
# 4. export     people register at $ROWS rows: ours, raw openpyxl, django-import-export (memory too)
# 5. petition-export  petition register at $PETITIONS rows: ours against raw openpyxl
#    seeker-export    求职登记表 at $SEEKERS rows: ours against raw openpyxl
# 6. jobs       both registers through the background path (request → db_worker → file)
# 7. pdf        the person card in Chinese against the same page in Latin text
# 8. hardship   the roster (困难职工花名册) and the file register at $HARDSHIP files: city and station, deep pages
#    hardship-export  the roster register (four fifths of $HARDSHIP rows: the archived files) against raw openpyxl
#    eligibility      the evaluation of one file (read, evaluate, store the trace): goal < 20 ms
# 9. rollup     the city's monthly roll-up, 1,000 stations × 12 months, against raw SQL (the bench
#               organisation and the spreading of the petitions over it are made once per database)
# 10. funds     帮扶资金: $LEDGER ledger entries (seeded with COPY once per database), $PAYMENTS payments by
#               16 payers on one fund account against a plain INSERT of the same rows, the invariants,
#               and the 资金台账 register of the $LEDGER rows against raw openpyxl (bench/funds_bench.py)
#
# Each step prints its tables and one line per goal: PASS or FAIL, the figure, its reference and the
# ratio (INFO: a figure given for reference, without a goal). The summary at the end repeats those
# lines with each step's time. Logs and JSON in $BENCH_OUT (default: a new folder under /tmp).
# Exit status: 0 when every step ran and every goal passed; 1 when a goal failed; 2 when a step broke.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROWS=${ROWS:-1000000}
PETITIONS=${PETITIONS:-1000000}
APPLICATIONS=${APPLICATIONS:-200000}
RUNS=${RUNS:-11}
SEEKERS=${SEEKERS:-100000}  # 就业援助: seekers, and SEEKERS / 5 = 20,000 open postings
HARDSHIP=${HARDSHIP:-200000}  # 困难职工档案
LEDGER=${LEDGER:-1000000}  # 帮扶资金: ledger entries
PAYMENTS=${PAYMENTS:-4000}  # 帮扶资金: payments under contention
ONLY=${ONLY:-seed lists petitions legalaid matching export petition-export legalaid-export seeker-export jobs pdf hardship hardship-export eligibility rollup funds}
OUT=${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bench-full.XXXXXX")}
mkdir -p "$OUT"

case "${DATABASE_URL:-}" in
    postgres://*|postgresql://*|pgsql://*) ;;
    *) echo "bench/full.sh: DATABASE_URL must point at a PostgreSQL database (or run \`make bench\`)" >&2; exit 2 ;;
esac
# Background exports write their files under MEDIA_ROOT; a scratch folder keeps them out of the tree.
export MEDIA_ROOT=${MEDIA_ROOT:-$OUT/media}

started=$SECONDS
STEPS=()
NAMES=()
BROKEN=0
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

step() {  # step NAME COMMAND...: run it, keep its output in $OUT/NAME.log, note its time and status
    local name=$1 t0=$SECONDS rc
    shift
    NAMES+=("$name")
    printf '\n======== %s ========  (%s)\n' "$name" "$(date '+%H:%M:%S')"
    "$@" 2>&1 | grep --line-buffered -v -e 'No directory at: .*staticfiles' -e 'mw_instance = middleware' \
        | tee "$OUT/$name.log"
    rc=${PIPESTATUS[0]}
    # A step that exits non-zero without saying FAIL broke (an error, not a missed goal).
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$OUT/$name.log"; then
        BROKEN=1
        STEPS+=("$(printf '%-16s %6d s  BROKE (exit %d, see %s)' "$name" $((SECONDS - t0)) "$rc" "$OUT/$name.log")")
    else
        STEPS+=("$(printf '%-16s %6d s' "$name" $((SECONDS - t0)))")
    fi
}

echo "bench/full.sh: $ROWS people, $PETITIONS petitions, $APPLICATIONS legal-aid cases, $SEEKERS seekers, $HARDSHIP hardship files, $LEDGER ledger entries on ${DATABASE_URL%%\?*}; logs in $OUT"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
     "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

if wanted seed; then
    # seed_demo refuses to write demo data with DEBUG off.
    step seed bash -c 'set -e; "$1" manage.py migrate --noinput -v1 | tail -n 3
        time DEBUG=1 "$1" manage.py seed_demo --scale "$2" --count petitions="$3" --count legalaid="$4" \
            --count jobs="$5" --count hardship="$6"' _ "$PY" "$ROWS" "$PETITIONS" "$APPLICATIONS" "$SEEKERS" "$HARDSHIP"
fi
wanted lists && step lists "$PY" bench/list_pages.py --rows "$ROWS" --runs "$RUNS" --no-seed --json "$OUT/lists.json"
wanted petitions && step petitions "$PY" bench/petition_pages.py --rows "$ROWS" --petitions "$PETITIONS" \
    --runs "$RUNS" --no-seed --json "$OUT/petitions.json"
wanted legalaid && step legalaid "$PY" bench/legalaid_pages.py --applications "$APPLICATIONS" --runs "$RUNS" \
    --no-seed --json "$OUT/legalaid.json"
wanted export && step export "$PY" bench/export_bench.py --rows "$ROWS" --json "$OUT/export.json"
wanted petition-export && step petition-export "$PY" bench/export_bench.py --register petitions \
    --rows "$PETITIONS" --json "$OUT/petition-export.json"
wanted legalaid-export && step legalaid-export "$PY" bench/export_bench.py --register legalaid \
    --rows "$APPLICATIONS" --json "$OUT/legalaid-export.json"
wanted matching && step matching "$PY" bench/jobs_bench.py --seekers "$SEEKERS" --rows "$ROWS" --runs "$RUNS" \
    --no-seed --json "$OUT/matching.json"
wanted seeker-export && step seeker-export "$PY" bench/export_bench.py --register seekers \
    --rows "$SEEKERS" --json "$OUT/seeker-export.json"
if wanted jobs; then
    step job-people "$PY" bench/export_bench.py --job --json "$OUT/job-people.json"
    step job-petitions "$PY" bench/export_bench.py --job --register petitions --json "$OUT/job-petitions.json"
    step job-hardship "$PY" bench/export_bench.py --job --register hardship --json "$OUT/job-hardship.json"
fi
wanted pdf && step pdf "$PY" bench/pdf_bench.py --json "$OUT/pdf.json"
wanted hardship && step hardship "$PY" bench/hardship_pages.py --rows "$ROWS" --files "$HARDSHIP" --runs "$RUNS" \
    --no-seed --json "$OUT/hardship.json"
wanted hardship-export && step hardship-export "$PY" bench/export_bench.py --register hardship \
    --rows $((HARDSHIP * 4 / 5)) --json "$OUT/hardship-export.json"
wanted eligibility && step eligibility "$PY" bench/eligibility_bench.py --json "$OUT/eligibility.json"
wanted rollup && step rollup "$PY" bench/summaries_bench.py --strict --json "$OUT/rollup.json"
wanted funds && step funds "$PY" bench/funds_bench.py --entries "$LEDGER" --payments "$PAYMENTS" --strict \
    --json "$OUT/funds.json"

printf '\n======== summary ========\n'
printf '%s\n' "${STEPS[@]}"
echo
verdicts=$(for name in "${NAMES[@]}"; do grep -E '^(PASS|FAIL|INFO|NOTE) ' "$OUT/$name.log"; done)
printf '%s\n' "$verdicts"
passed=$(grep -c '^PASS ' <<<"$verdicts")
failed=$(grep -c '^FAIL ' <<<"$verdicts")
echo
echo "$passed goals passed, $failed failed; $((SECONDS - started)) s in all; logs and JSON in $OUT"
[ "$BROKEN" -eq 0 ] || exit 2
[ "$failed" -eq 0 ] || exit 1
