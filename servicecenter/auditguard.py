"""The SQLite side of the append-only audit table.

SQLite triggers cannot read a session setting, so the trigger (migration 0002) calls
``audit_locked()``, a function registered on every connection Django opens. It returns 1 except
while the ``flush`` command (used by the test framework to empty the database) runs. A connection
that did not register it — the sqlite3 shell, say — fails on "no such function": the guard fails
closed. PostgreSQL needs none of this: its trigger blocks UPDATE and DELETE and flush uses TRUNCATE.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.backends.signals import connection_created
from django.dispatch import receiver

_state = threading.local()


def _locked() -> int:
    return 0 if getattr(_state, "unlocked", False) else 1


@receiver(connection_created, dispatch_uid="audit_guard_sqlite")
def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("audit_locked", 0, _locked, deterministic=False)


@contextmanager
def unlocked_for_flush() -> Iterator[None]:
    _state.unlocked = True
    try:
        yield
    finally:
        _state.unlocked = False


# PostgreSQL: the application connects as a role that does not own the tables. Only the owner may
# ALTER or DROP a table or its triggers, so the app's own connection can neither switch the
# append-only trigger off nor drop it; it is also refused UPDATE, DELETE and TRUNCATE on the audit
# table outright. Migrations run as the owner. ``manage.py db_grants <app role>`` prints this.
POSTGRES_APP_GRANTS = [
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "REVOKE UPDATE, DELETE, TRUNCATE ON servicecenter_auditevent FROM {role}",
]


def postgres_app_grants(role: str) -> list[str]:
    if not role.replace("_", "").isalnum():
        raise ValueError("role names here are letters, digits and _")
    return [sql.format(role=role) for sql in POSTGRES_APP_GRANTS]
