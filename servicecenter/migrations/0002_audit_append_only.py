"""Make the audit table append-only at the database level (UPDATE and DELETE are refused)."""

from django.db import migrations

TABLE = "servicecenter_auditevent"

SQLITE_FORWARD = [
    f"""CREATE TRIGGER auditevent_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER auditevent_no_delete BEFORE DELETE ON {TABLE} WHEN audit_locked()
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS auditevent_no_update", "DROP TRIGGER IF EXISTS auditevent_no_delete"]

PG_FORWARD = [
    """CREATE OR REPLACE FUNCTION auditevent_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only: % refused', TG_OP; END; $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION auditevent_refuse_change()""",
]
PG_BACKWARD = [f"DROP TRIGGER IF EXISTS auditevent_append_only ON {TABLE}",
               "DROP FUNCTION IF EXISTS auditevent_refuse_change()"]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        # params=None: the PL/pgSQL body contains a literal % that must not be read as a placeholder.
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("servicecenter", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
