"""The audit log is tamper-evident (issue 14 §4): a hash chain over the rows, verified by a command."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from servicecenter import audit, auditchain
from servicecenter.models import AuditEvent


def _write_rows(users, n=5):
    for i in range(n):
        audit.record(audit.Event.EXPORT, user=users["d1_sup"], detail=f"导出 {i}", old={"a": i}, new={"b": [i]})


def test_an_untouched_log_verifies(users):
    _write_rows(users)
    report = auditchain.verify()
    assert report.first_break is None
    assert report.rows >= 5
    call_command("verify_audit_chain")


def test_a_modified_row_is_detected(users):
    _write_rows(users)
    victim = AuditEvent.objects.filter(detail="导出 2").get()
    # An attacker with the database: get past the append-only trigger, then change the row.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER auditevent_no_update")
        else:
            cursor.execute("ALTER TABLE servicecenter_auditevent DISABLE TRIGGER auditevent_append_only")
        cursor.execute("UPDATE servicecenter_auditevent SET detail = %s WHERE id = %s", ["导出 0", victim.pk])
    report = auditchain.verify()
    assert report.first_break is not None
    assert report.first_break.event_id == victim.pk
    with pytest.raises(CommandError, match=f"第 {victim.pk} 行"):
        call_command("verify_audit_chain")


def test_a_forged_insert_is_detected(users):
    _write_rows(users)
    last = AuditEvent.objects.order_by("-id").first()
    # The forger copies the chain's last hash, but cannot compute the HMAC without the key.
    forged = AuditEvent(event="login", username="secaudit", chain=last.chain, prev_hash=last.row_hash,
                        row_hash="0" * 64)
    forged.save(force_insert=True)
    report = auditchain.verify()
    assert report.first_break is not None and report.first_break.event_id == forged.pk


def test_a_deleted_row_in_the_middle_is_detected(users):
    _write_rows(users)
    # A row with a later row in its chain (on PostgreSQL rows may spread over several chains).
    victim = next(r for r in AuditEvent.objects.order_by("id")
                  if AuditEvent.objects.filter(chain=r.chain, id__gt=r.id).exists())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER auditevent_no_delete")
        else:
            cursor.execute("ALTER TABLE servicecenter_auditevent DISABLE TRIGGER auditevent_append_only")
        cursor.execute("DELETE FROM servicecenter_auditevent WHERE id = %s", [victim.pk])
    report = auditchain.verify()
    assert report.first_break is not None
    assert "不衔接" in report.first_break.reason


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_every_chain_intact(users):
    import threading

    from django.db import connections

    errors = []

    def work(k):
        try:
            for i in range(10):
                audit.record(audit.Event.EXPORT, username=f"t{k}", detail=f"{k}-{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = auditchain.verify()
    assert report.first_break is None
    assert report.rows >= 60
