"""The supermarket's movements are append-only at the database, as the ledger is (0002)."""

from django.db import migrations

TABLE = "funds_stockmovement"

SQLITE_FORWARD = [
    f"""CREATE TRIGGER funds_stock_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'stock movements are append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER funds_stock_no_delete BEFORE DELETE ON {TABLE} WHEN audit_locked()
        BEGIN SELECT RAISE(ABORT, 'stock movements are append-only: DELETE refused'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS funds_stock_no_update", "DROP TRIGGER IF EXISTS funds_stock_no_delete"]

PG_FORWARD = [
    f"""CREATE TRIGGER funds_stock_append_only BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION funds_ledger_refuse_change()""",
]
PG_BACKWARD = [f"DROP TRIGGER IF EXISTS funds_stock_append_only ON {TABLE}"]


def forward(apps, schema_editor):
    for sql in {"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    for sql in {"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("funds", "0003_help_supermarket"), ("funds", "0002_ledger_append_only")]
    operations = [migrations.RunPython(forward, backward)]
