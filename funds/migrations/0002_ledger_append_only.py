"""Make the ledger append-only at the database level (UPDATE and DELETE refused), as the audit table
is (servicecenter migration 0002): a correction is a reversing entry, never an edit."""

from django.db import migrations

TABLE = "funds_ledgerentry"

SQLITE_FORWARD = [
    f"""CREATE TRIGGER funds_ledger_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only: UPDATE refused'); END""",
    # audit_locked(): lifted only while manage.py flush empties the database (servicecenter/auditguard.py).
    f"""CREATE TRIGGER funds_ledger_no_delete BEFORE DELETE ON {TABLE} WHEN audit_locked()
        BEGIN SELECT RAISE(ABORT, 'ledger is append-only: DELETE refused'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS funds_ledger_no_update", "DROP TRIGGER IF EXISTS funds_ledger_no_delete"]

PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION funds_ledger_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'ledger is append-only: % refused', TG_OP; END; $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER funds_ledger_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION funds_ledger_refuse_change()""",
]
PG_BACKWARD = [f"DROP TRIGGER IF EXISTS funds_ledger_append_only ON {TABLE}",
               "DROP FUNCTION IF EXISTS funds_ledger_refuse_change()"]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql, params=None)  # the PL/pgSQL body has a literal %


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial"), ("servicecenter", "0002_audit_append_only")]
    operations = [migrations.RunPython(forward, backward)]
