"""Denied access is logged, aggregated per user and minute (issue 14 §8)."""

from __future__ import annotations

from django.core.cache import cache

from servicecenter.models import AuditEvent
from tests.conftest import make_person


def test_an_enumeration_leaves_a_few_rows_that_count_it(client_for, users):
    cache.clear()
    others = [make_person(users["s21_clerk"], name=f"外站{n}") for n in range(3)]
    client = client_for("s11_clerk")
    top = max(p.pk for p in others)
    for pk in range(top, top - 12, -1):
        assert client.get(f"/people/{pk}/").status_code == 404
    rows = list(AuditEvent.objects.filter(event=AuditEvent.Event.DENIED).order_by("id"))
    assert [r.new_values["count"] for r in rows] == [1, 10]
    assert all(r.username == "s11_clerk" and r.outcome == "denied" for r in rows)
    assert "/people/" in rows[0].detail
    # The security auditor sees them.
    page = client_for("secaudit").get("/audit/?event=denied").content.decode()
    assert "次被拒绝访问" in page


def test_a_role_refusal_is_logged_too(client_for):
    cache.clear()
    assert client_for("auditor").post("/people/new/", {"name": "x"}).status_code == 403
    assert AuditEvent.objects.filter(event=AuditEvent.Event.DENIED, username="auditor").count() == 1


def test_a_denied_request_with_a_nul_in_its_path_still_leaves_its_row(client_for):
    cache.clear()
    assert client_for("d1_sup").get("/exports/%00/").status_code == 404
    row = AuditEvent.objects.get(event=AuditEvent.Event.DENIED)
    assert "\x00" not in row.detail and "/exports/" in row.detail
