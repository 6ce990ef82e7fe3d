"""The defects the kernel review found in petitions, each with a test that fails on the old code."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from petitions import services
from petitions.models import FollowUp, Petition
from servicecenter.models import AuditEvent

REPORT = services.CompletionReport("事实", "依据", "结果", "满意")


@pytest.fixture
def unsatisfied(petition, users):
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    services.followup_record(follow_up=FollowUp.objects.get(petition=petition), by=users["s11_clerk"],
                             method="phone", satisfaction="unsatisfied", comment="钱没到账")
    return petition


def test_a_supervisor_who_does_not_lead_the_station_cannot_reopen_it_through_the_review(unsatisfied, users,
                                                                                      client_for):
    """The city supervisor sees the station's case but does not lead the station (its district does):
    the page does not offer the review and the POST is refused with the reason, nothing changes."""
    city = client_for("city_sup")
    page = city.get(f"/petitions/{unsatisfied.pk}/")
    assert page.status_code == 200 and "review" not in page.context["actions"]
    response = city.post(f"/petitions/{unsatisfied.pk}/review/", {"decision": "reopen", "note": "重新核实"})
    assert response.status_code == 200 and "只有领导" in response.content.decode()
    assert Petition.objects.get(pk=unsatisfied.pk).status == "closed"
    assert FollowUp.objects.get(petition=unsatisfied).review == ""
    with pytest.raises(ValidationError, match="只有领导"):
        services.followup_review(follow_up=FollowUp.objects.get(petition=unsatisfied), by=users["city_sup"],
                                 reopen=True, note="x")
    # The district supervisor, who leads the station, may.
    assert "review" in client_for("d1_sup").get(f"/petitions/{unsatisfied.pk}/").context["actions"]
    services.followup_review(follow_up=FollowUp.objects.get(petition=unsatisfied), by=users["d1_sup"], reopen=True,
                             note="重新核实")
    assert Petition.objects.get(pk=unsatisfied.pk).status == "open"


@pytest.mark.parametrize("username", ["d1_cashier", "d1_accountant"])
def test_finance_staff_do_not_handle_petitions(petition, users, client_for, username):
    client = client_for(username)
    assert client.get(f"/petitions/{petition.pk}/").status_code == 200  # they may read
    assert client.post(f"/petitions/{petition.pk}/pause/", {"reason": "等待鉴定"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.petition_pause(petition=petition, by=users[username], reason="等待鉴定")
    assert Petition.objects.get(pk=petition.pk).paused_since is None
    assert client.get("/petitions/new/").status_code == 403


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def test_one_upload_writes_one_audit_row_and_one_timeline_entry(petition, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("s11_clerk")
    before = AuditEvent.objects.latest("id").id
    response = client.post(f"/attachments/petitions.petition/{petition.pk}/",
                                            {"file": SimpleUploadedFile("收据.png", _png(), "image/png")})
    assert response.status_code == 302
    assert list(AuditEvent.objects.filter(id__gt=before).values_list("action", flat=True)) == ["petitions.attach"]
    assert AuditEvent.objects.latest("id").action == "petitions.attach"
    assert petition.events.filter(kind="attach").count() == 1


def test_a_truncated_jpeg_is_refused_whatever_the_process_imported_before(station_person, client_for, settings,
                                                                          tmp_path):
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when imported."""
    import weasyprint  # noqa: F401 — what a PDF rendered earlier in the process did
    from PIL import Image, ImageFile

    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "blue").save(out, "JPEG")
    data = out.getvalue()
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    client = client_for("s11_clerk")
    try:
        response = client.post(f"/attachments/servicecenter.person/{station_person.pk}/",
                                                {"file": SimpleUploadedFile("a.jpg", data[: len(data) // 2])})
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "图片文件已损坏" in page
    from servicecenter.models import Attachment

    assert not Attachment.objects.exists()


def test_a_refused_upload_shows_its_message_at_the_file_field_with_the_description_kept(station_person, client_for,
                                                                                        settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for("s11_clerk")
    response = client.post(f"/attachments/servicecenter.person/{station_person.pk}/",
                           {"file": SimpleUploadedFile("a.png", b"<html>not an image</html>"), "description": "户口本"},
                           follow=True)
    body = response.content.decode()
    field = body[body.index('id="id_attachment_file"'):]
    assert 'aria-invalid="true"' in field[:200] and "只能上传 PDF、JPEG 或 PNG 文件" in field[:600]
    assert 'value="户口本"' in body
    # Shown once: the next visit is clean.
    assert "只能上传" not in client.get(f"/people/{station_person.pk}/").content.decode()


def test_a_print_is_audited_once_and_only_when_a_pdf_came_out(petition, client_for, monkeypatch):
    from servicecenter import pdf

    client = client_for("s11_clerk")
    assert client.get(f"/petitions/{petition.pk}/print.pdf").status_code == 200
    assert AuditEvent.objects.filter(event="print", target_id=str(petition.pk)).count() == 1
    monkeypatch.setattr(pdf, "cjk_font_installed", lambda: False)
    assert client.get(f"/petitions/{petition.pk}/print.pdf").status_code == 503
    assert AuditEvent.objects.filter(event="print", target_id=str(petition.pk)).count() == 1


def test_a_task_page_is_scoped(users, units, client_for):
    import datetime

    from django.utils import timezone

    task = services.task_create(by=users["d1_sup"], title="排查", content="排查欠薪",
                                due_date=timezone.localdate() + datetime.timedelta(days=3),
                                units=[units["330602001"]])
    assert client_for("s11_clerk").get(f"/petitions/tasks/{task.pk}/").status_code == 200  # receiving unit
    assert client_for("s12_clerk").get(f"/petitions/tasks/{task.pk}/").status_code == 404  # its sibling
    assert client_for("s21_clerk").get(f"/petitions/tasks/{task.pk}/").status_code == 404  # another district


def test_the_state_rules_live_in_one_table():
    """The page's steps, the services' checks and the URLs come from one workflow table: every step
    URL has a transition and every transition a page step."""
    from petitions.views import PAGE
    from petitions.workflow import PETITION_FLOW

    assert set(PAGE.steps) == set(PETITION_FLOW.transitions)
