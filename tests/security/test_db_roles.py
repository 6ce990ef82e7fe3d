"""PostgreSQL: the application's role cannot alter, drop or rewrite the audit table (issue 14 §4)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from servicecenter import audit
from servicecenter.auditguard import postgres_app_grants


@pytest.mark.postgres
def test_the_app_role_may_insert_but_not_change_or_drop_the_guard(users):
    audit.record(audit.Event.EXPORT, user=users["d1_sup"], detail="before")
    with connection.cursor() as cursor:
        # Rolled back with the test's transaction (tests/pg/with-postgres.sh gives CREATEROLE).
        cursor.execute("CREATE ROLE sc_app_probe NOLOGIN")
        cursor.execute("GRANT sc_app_probe TO CURRENT_USER")
        for sql in postgres_app_grants("sc_app_probe"):
            cursor.execute(sql)
        cursor.execute("SET ROLE sc_app_probe")
        try:
            audit.record(audit.Event.EXPORT, user=users["d1_sup"], detail="as the app")  # allowed
            for sql in ["UPDATE servicecenter_auditevent SET detail = 'x'",
                        "DELETE FROM servicecenter_auditevent",
                        "TRUNCATE servicecenter_auditevent",
                        "ALTER TABLE servicecenter_auditevent DISABLE TRIGGER auditevent_append_only",
                        "DROP TRIGGER auditevent_append_only ON servicecenter_auditevent",
                        "DROP TABLE servicecenter_auditevent"]:
                with pytest.raises(DatabaseError, match="permission denied|must be owner"), transaction.atomic():
                    cursor.execute(sql)
        finally:
            cursor.execute("RESET ROLE")
