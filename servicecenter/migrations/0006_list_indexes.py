"""Indexes for the list pages at a million rows (see bench/README.md for the measurements).

- ``person (birth_date, id)`` and ``person (name_initials, id)``: the list's "出生日期" and "姓名拼音"
  orderings with the primary key as tie-breaker, which is what keyset paging asks for; without them
  ordering by birth date sorts every visible row (seconds at a million people).
- ``personlink (org_unit_id, person_id)``: "people linked into these units" straight from the index.
- PostgreSQL only: ``pg_trgm`` GIN indexes on person and employer names, so ``name LIKE '%张建国%'``
  (search by part of a name, three characters or more) reads a few index pages instead of the table.
  One- and two-character searches have no trigram and still scan (see bench/README.md).

Raw SQL rather than ``Meta.indexes`` so that the models stay the same on every database (the trigram
indexes exist only on PostgreSQL) and ``makemigrations --check`` stays clean. ``IF NOT EXISTS``
makes the migration safe to re-run on a database where an operator created them by hand.
"""

from django.db import migrations, transaction

COMMON = [
    ("person_birth_date_id", "CREATE INDEX IF NOT EXISTS person_birth_date_id "
                             "ON servicecenter_person (birth_date, id)"),
    ("person_initials_id", "CREATE INDEX IF NOT EXISTS person_initials_id "
                           "ON servicecenter_person (name_initials, id)"),
    ("personlink_unit_person", "CREATE INDEX IF NOT EXISTS personlink_unit_person "
                               "ON servicecenter_personlink (org_unit_id, person_id)"),
]
TRIGRAM = [
    ("person_name_trgm", "CREATE INDEX IF NOT EXISTS person_name_trgm "
                         "ON servicecenter_person USING gin (name gin_trgm_ops)"),
    ("employer_name_trgm", "CREATE INDEX IF NOT EXISTS employer_name_trgm "
                           "ON servicecenter_employer USING gin (name gin_trgm_ops)"),
]


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    with connection.cursor() as cursor:
        for _, sql in COMMON:
            cursor.execute(sql)
        if connection.vendor != "postgresql":
            return
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            print("\n  pg_trgm 不可用（未安装 postgresql-contrib），跳过姓名三元组索引。")
            return
        try:
            with transaction.atomic(using=connection.alias):
                # Trusted since PostgreSQL 13: the database owner may create it without superuser.
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as exc:  # noqa: BLE001 - a missing privilege must not stop the deploy
            print(f"\n  无法创建 pg_trgm 扩展（{exc}），跳过姓名三元组索引。")
            return
        for _, sql in TRIGRAM:
            cursor.execute(sql)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    names = [name for name, _ in COMMON]
    if connection.vendor == "postgresql":
        names += [name for name, _ in TRIGRAM]
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("servicecenter", "0005_exportjob")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
