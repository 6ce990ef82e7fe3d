"""The audit log is append-only in the database itself: the trigger of migration 0002 refuses UPDATE
and DELETE whichever way they arrive (ORM, instance, raw SQL), on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from servicecenter import audit
from servicecenter.models import AuditEvent

TABLE = AuditEvent._meta.db_table

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return AuditEvent.objects.create(username="s11_clerk", event=AuditEvent.Event.EXPORT,
                                     target_type="petitions.petition", target_id="1", detail="原始记录")


def assert_unchanged(event: AuditEvent) -> None:
    row = AuditEvent.objects.get(pk=event.pk)
    assert (row.username, row.event, row.detail, row.outcome, row.at) == (
        event.username, event.event, event.detail, event.outcome, event.at)


def refused(action) -> str:
    """Run ``action`` in its own savepoint; it must fail in the database. Returns the error text."""
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        action()
    return str(info.value)


def test_insert_is_allowed(event):
    assert AuditEvent.objects.filter(pk=event.pk, detail="原始记录").exists()
    second = audit.record(AuditEvent.Event.LOGIN_FAILED, username="nobody", outcome=AuditEvent.Outcome.FAILURE)
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(pk=second.pk).username == "nobody"


def test_queryset_update_is_refused(event):
    message = refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail="篡改"))
    assert "append-only" in message
    assert_unchanged(event)


def test_queryset_update_of_every_row_is_refused(event):
    refused(lambda: AuditEvent.objects.update(username="someone_else"))
    assert_unchanged(event)


def test_instance_save_is_refused(event):
    changed = AuditEvent.objects.get(pk=event.pk)
    changed.outcome = AuditEvent.Outcome.DENIED
    refused(changed.save)
    assert_unchanged(event)


def test_queryset_delete_is_refused(event):
    message = refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert "append-only" in message
    assert_unchanged(event)


def test_delete_of_every_row_is_refused(event):
    refused(lambda: AuditEvent.objects.all().delete())
    assert AuditEvent.objects.count() == 1
    assert_unchanged(event)


def test_instance_delete_is_refused(event):
    refused(AuditEvent.objects.get(pk=event.pk).delete)
    assert_unchanged(event)


def test_raw_sql_update_is_refused(event):
    def update() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET detail = %s, username = %s WHERE id = %s",  # noqa: S608
                           ["篡改", "intruder", event.pk])

    assert "append-only" in refused(update)
    assert_unchanged(event)


def test_raw_sql_delete_is_refused(event):
    def delete() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk])  # noqa: S608

    assert "append-only" in refused(delete)
    assert_unchanged(event)


def test_appending_still_works_after_refusals(event):
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(detail="篡改"))
    AuditEvent.objects.create(username="secaudit", event=AuditEvent.Event.LOGIN)
    assert AuditEvent.objects.count() == 2
    assert_unchanged(event)
