"""Out of scope is 404 everywhere, attachments included; the auditor reads and exports but changes
nothing; the system administrator sees no case."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from legalaid import services
from legalaid.models import Application
from tests.legalaid.conftest import intake, mediate


def png(name="证据.png"):
    data = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(data, "PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


@pytest.fixture
def records(users, applicant, employer, lawyers, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    a = intake(users["s11_clerk"], applicant, employer)
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    files = [services.application_attach(application=a, by=users["s11_clerk"], upload=png()),
             services.mediation_attach(mediation=m, by=users["s11_clerk"], upload=png("协议.png"))]
    return a, m, files


def test_attachments_are_on_the_timeline_and_404_outside_scope(client_for, records):
    a, m, (fa, fm) = records
    assert a.events.filter(kind="attach").exists() and m.events.filter(kind="attach").exists()
    mine = client_for("s11_clerk")
    assert mine.get(f"/attachments/{fa.pk}/").status_code == 200
    for outsider in ("s12_clerk", "s21_clerk", "d2_sup"):
        c = client_for(outsider)
        assert c.get(f"/attachments/{fa.pk}/").status_code == 404
        assert c.get(f"/attachments/{fm.pk}/").status_code == 404
        assert c.post(f"/attachments/legalaid.application/{a.pk}/", {"file": png()}).status_code == 404
        assert c.post(f"/attachments/legalaid.mediation/{m.pk}/", {"file": png()}).status_code == 404
        assert c.get(a.get_absolute_url()).status_code == 404
        assert c.get(f"/legalaid/applications/{a.pk}/print.pdf").status_code == 404


def test_a_refused_upload_says_why_at_the_file_field(client_for, records):
    a, _, _ = records
    bad = SimpleUploadedFile("病毒.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = client_for("s11_clerk").post(f"/attachments/legalaid.application/{a.pk}/", {"file": bad}, follow=True)
    assert "只能上传 PDF、JPEG 或 PNG 文件" in response.content.decode()


def test_the_auditor_reads_but_changes_nothing(client_for, records):
    a, m, _ = records
    c = client_for("auditor")
    assert c.get(a.get_absolute_url()).status_code == 200
    assert c.post(f"/legalaid/applications/{a.pk}/request-material/", {"material": "x"}).status_code == 403
    assert c.post(f"/attachments/legalaid.application/{a.pk}/", {"file": png()}).status_code == 403
    assert c.get("/legalaid/applications/new/").status_code == 403
    a.refresh_from_db()
    assert a.status == Application.Status.REVIEW


def test_the_system_administrator_sees_no_case(client_for, records):
    a, m, _ = records
    c = client_for("sysadmin")
    assert c.get(a.get_absolute_url()).status_code == 404
    assert c.get("/legalaid/applications/").status_code == 403
