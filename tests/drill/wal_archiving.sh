#!/usr/bin/env bash
# Continuous archiving, as docs/deploy.md ("少于一天的数据损失") sets it up, tried end to end:
#
#   1. a PostgreSQL server of its own with wal_level=replica, archive_mode=on and the document's
#      archive_command (cp into an archive folder, never overwriting), archive_timeout=60
#   2. migrate + seed_demo; a base backup (pg_basebackup -Ft -z -Xnone, as in the document)
#   3. after the base backup: more work (people registered, an audit row); pg_switch_wal(), and wait
#      until the archiver has the segment
#   4. the disk is lost: the server is killed (immediate stop) and its data folder deleted
#   5. recovery: the base backup unpacked, restore_command = cp from the archive, recovery.signal;
#      start; wait for the end of recovery
#   6. every row written after the base backup is there (the people, their count, the audit row);
#      migrate --check; the phases' seconds printed
#
#   tests/drill/wal_archiving.sh          (as root or as a user who may run PostgreSQL; .ci/run step)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=$ROOT/.venv/bin/python
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ "$(id -u)" -eq 0 ]; then
    as_pg() { (cd "$WORK" && runuser -u postgres -- "$@"); }
    OWNER=postgres
else
    as_pg() { "$@"; }
    OWNER=$(id -un)
fi
WORK=$(mktemp -d /tmp/sc-wal.XXXXXX)
cleanup() {
    [ -f "$WORK/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"
chown "$OWNER:" "$WORK"
mkdir -p "$WORK/archive" "$WORK/base" "$WORK/media"
chown "$OWNER:" "$WORK/archive" "$WORK/base"
chmod 700 "$WORK/archive"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASS=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
SECONDS_AT=$SECONDS
t() { echo "-- $1: $((SECONDS - SECONDS_AT)) s"; SECONDS_AT=$SECONDS; }
psql_su() { as_pg "$PGBIN/psql" -h "$WORK" -p "$PORT" -U postgres -d servicecenter -v ON_ERROR_STOP=1 -qtA "$@"; }
start() { as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 120 start \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $WORK" >/dev/null || { cat "$WORK/server.log"; exit 1; }; }

echo "== 1. a server with WAL archiving (archive_command as in docs/deploy.md)"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust \
    --auth-host=scram-sha-256 >/dev/null
cat >>"$WORK/data/postgresql.conf" <<EOF
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $WORK/archive/%f && cp %p $WORK/archive/%f'
archive_timeout = 60
EOF
start
as_pg "$PGBIN/psql" -h "$WORK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE servicecenter LOGIN PASSWORD '$PASS'" -c "CREATE DATABASE servicecenter OWNER servicecenter"
export DATABASE_URL="postgres://servicecenter:$PASS@127.0.0.1:$PORT/servicecenter" MEDIA_ROOT="$WORK/media"
t "initdb + start"

echo "== 2. migrate, seed_demo, base backup"
"$PY" "$ROOT/manage.py" migrate --noinput -v0
"$PY" "$ROOT/manage.py" seed_demo >/dev/null
t "migrate + seed_demo"
as_pg "$PGBIN/pg_basebackup" -h "$WORK" -p "$PORT" -U postgres -D "$WORK/base/base" -Ft -z -Xnone --checkpoint=fast
t "pg_basebackup"

echo "== 3. work after the base backup"
"$PY" "$ROOT/manage.py" shell --no-imports -c "
from servicecenter import audit, demo
from servicecenter.models import User
from servicecenter.people import person_create
import datetime
clerk = User.objects.get(username='s11_clerk')
for i in range(25):
    person_create(by=clerk, org_unit=clerk.org_unit, name=f'归档后登记{i}', phone='13800000000',
                  id_number=demo.resident_id('330602', datetime.date(1950, 1, 1) + datetime.timedelta(days=i), 7, male=True))
audit.record(audit.Event.LOGIN, user=clerk, detail='after the base backup')
"
BEFORE=$(psql_su -c "SELECT count(*) || ' ' || (SELECT count(*) FROM servicecenter_person WHERE name LIKE '归档后登记%') || ' ' || (SELECT count(*) FROM servicecenter_auditevent) FROM servicecenter_person")
SEGMENT=$(psql_su -c "SELECT pg_walfile_name(pg_current_wal_lsn())")
psql_su -c "SELECT pg_switch_wal()" >/dev/null
for _ in $(seq 120); do
    [ -f "$WORK/archive/$SEGMENT" ] && break
    sleep 0.5
done
[ -f "$WORK/archive/$SEGMENT" ] || { echo "the archiver never copied $SEGMENT"; psql_su -c "SELECT * FROM pg_stat_archiver"; exit 1; }
echo "   people, of them after the base backup, audit rows: $BEFORE; archived: $(ls "$WORK/archive" | wc -l) files up to $SEGMENT"
t "work + archive"

echo "== 4. the data disk is lost"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -w stop >/dev/null
rm -rf "$WORK/data"
t "kill + delete"

echo "== 5. recovery from the base backup and the archive"
START_RECOVERY=$SECONDS
as_pg mkdir -m 700 "$WORK/data"
as_pg tar -xzf "$WORK/base/base/base.tar.gz" -C "$WORK/data"
echo "restore_command = 'cp $WORK/archive/%f %p'" | as_pg tee -a "$WORK/data/postgresql.auto.conf" >/dev/null
as_pg touch "$WORK/data/recovery.signal"
start
for _ in $(seq 240); do
    [ "$(psql_su -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
    sleep 0.5
done
[ "$(psql_su -c 'SELECT pg_is_in_recovery()')" = f ] || { echo "still in recovery"; tail -20 "$WORK/server.log"; exit 1; }
RECOVERY_S=$((SECONDS - START_RECOVERY))
t "recovery"

echo "== 6. what came back"
AFTER=$(psql_su -c "SELECT count(*) || ' ' || (SELECT count(*) FROM servicecenter_person WHERE name LIKE '归档后登记%') || ' ' || (SELECT count(*) FROM servicecenter_auditevent) FROM servicecenter_person")
"$PY" "$ROOT/manage.py" migrate --check >/dev/null
echo "   before the loss: $BEFORE   after recovery: $AFTER   (people, of them after the base backup, audit rows)"
echo "   recovery took ${RECOVERY_S} s; $(ls "$WORK/archive" | wc -l) archived WAL files replayed from the archive"
if [ "$BEFORE" != "$AFTER" ] || [ "$(echo "$AFTER" | cut -d' ' -f2)" != 25 ]; then
    echo "WAL archiving: data lost"
    exit 1
fi
echo "WAL archiving: nothing written after the base backup was lost"
