"""Access for every petitions URL: anonymous → login, outsiders (a sibling station) → 404 on
another station's case, its PDFs, notices and attachments, the read-only auditor → 403 on every
POST, GET on a POST-only URL → 405; plus the case-less roles see nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from petitions import services
from petitions.models import Petition
from petitions.views import STEPS
from servicecenter.models import Attachment


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(out, "PNG")
    return out.getvalue()


PNG = _png()


@pytest.fixture
def world(users, petition, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk = users["s11_clerk"]
    notice = services.notice_issue(petition=petition, by=clerk, kind="suggestion", content="建议按月足额支付工资")
    services.petition_attach(petition=petition, by=clerk, upload=SimpleUploadedFile("收据.png", PNG, "image/png"))
    task = services.task_create(by=users["d1_sup"], title="排查欠薪", content="排查辖区欠薪隐患",
                                due_date=timezone.localdate() + datetime.timedelta(days=7),
                                units=[clerk.org_unit])
    return {"petition": petition, "notice": notice, "attachment": Attachment.objects.get(), "task": task,
            "target": task.targets.get()}


def object_get_urls(w):
    p, n = w["petition"].pk, w["notice"].pk
    return [f"/petitions/{p}/", f"/petitions/{p}/print.pdf", f"/petitions/{p}/report.pdf",
            f"/petitions/{p}/notices/{n}/print.pdf", f"/attachments/{w['attachment'].pk}/"]


def object_post_urls(w):
    p, n = w["petition"].pk, w["notice"].pk
    return ([f"/petitions/{p}/{step.replace('_', '-')}/" for step in STEPS]
            + [f"/attachments/petitions.petition/{p}/", f"/petitions/{p}/notices/{n}/response/"])


LIST_URLS = ["/petitions/", "/petitions/new/", "/petitions/export.xlsx", "/petitions/escalations/",
             "/petitions/follow-ups/", "/petitions/notices/", "/petitions/tasks/", "/petitions/tasks/new/"]


def test_anonymous_is_sent_to_login_everywhere(client, world):
    urls = LIST_URLS + object_get_urls(world) + [f"/petitions/tasks/{world['task'].pk}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in object_post_urls(world) + ["/petitions/new/", "/petitions/tasks/new/",
                                          f"/petitions/tasks/targets/{world['target'].pk}/report/"]:
        response = client.post(url, {"reason": "x"})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    assert Petition.objects.get().status == "open"


def test_sibling_station_gets_404_on_every_object_url(client_for, world):
    client = client_for("s12_clerk")
    for url in object_get_urls(world) + [f"/petitions/tasks/{world['task'].pk}/"]:
        assert client.get(url).status_code == 404, url
    for url in object_post_urls(world) + [f"/petitions/tasks/targets/{world['target'].pk}/report/"]:
        assert client.post(url, {"reason": "x", "result": "x"}).status_code == 404, url
    assert world["petition"].number not in client.get("/petitions/").content.decode()
    assert Petition.objects.get().events.count() == 3  # intake, notice, attach: nothing more


def test_other_district_supervisor_gets_404(client_for, world):
    client = client_for("d2_sup")
    for url in object_get_urls(world):
        assert client.get(url).status_code == 404, url


def test_owning_station_gets_every_page(client_for, world):
    client = client_for("s11_clerk")
    for url in object_get_urls(world)[:2] + object_get_urls(world)[3:] + [f"/petitions/tasks/{world['task'].pk}/"]:
        assert client.get(url).status_code == 200, url
    # No completion report before closing: back to the case with a message.
    assert client.get(f"/petitions/{world['petition'].pk}/report.pdf").status_code == 302


@pytest.mark.parametrize("username", ["d1_sup", "city_sup", "auditor"])
def test_units_above_see_the_case(client_for, world, username):
    client = client_for(username)
    for url in [object_get_urls(world)[0], object_get_urls(world)[-1], f"/petitions/tasks/{world['task'].pk}/"]:
        assert client.get(url).status_code == 200, url


def test_auditor_is_forbidden_every_post(client_for, world):
    client = client_for("auditor")
    urls = object_post_urls(world) + ["/petitions/new/", "/petitions/tasks/new/",
                                      f"/petitions/tasks/targets/{world['target'].pk}/report/"]
    for url in urls:
        assert client.post(url, {"reason": "x", "result": "x", "days": "1"}).status_code == 403, url
    assert client.get("/petitions/new/").status_code == 403
    assert Petition.objects.get().events.count() == 3


def test_get_on_a_step_url_leads_back_to_the_record(client_for, world):
    """A step is a POST; a reloaded or bookmarked step URL lands on the record, never a bare 405."""
    client = client_for("s11_clerk")
    p, n = world["petition"].pk, world["notice"].pk
    for url in [f"/petitions/{p}/{step.replace('_', '-')}/" for step in STEPS] + [f"/petitions/{p}/notices/{n}/response/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/petitions/{p}/", url
    response = client.get(f"/petitions/tasks/targets/{world['target'].pk}/report/")
    assert response.status_code == 302 and response["Location"] == f"/petitions/tasks/{world['task'].pk}/"
    assert client.get(f"/attachments/petitions.petition/{p}/").status_code == 405  # an upload, not a step
    # and outside scope the step URL is not found, GET or POST
    assert client_for("s12_clerk").get(f"/petitions/{p}/close/").status_code == 404


def test_supervisor_only_steps_are_forbidden_to_the_clerk(client_for, world):
    client = client_for("s11_clerk")
    for step in ["extend", "reopen", "review", "acknowledge"]:
        assert client.post(f"/petitions/{world['petition'].pk}/{step}/", {"reason": "x", "days": "1"}).status_code == 403


def test_clerk_may_not_export_but_supervisor_and_auditor_may(client_for, world):
    assert client_for("s11_clerk").get("/petitions/export.xlsx").status_code == 403
    assert client_for("d1_sup").get("/petitions/export.xlsx").status_code == 200
    assert client_for("auditor").get("/petitions/export.xlsx").status_code == 200


@pytest.mark.parametrize("username", ["sysadmin", "secaudit"])
def test_roles_without_case_data_see_nothing(client_for, world, username):
    client = client_for(username)
    assert client.get("/petitions/").status_code == 403
    assert client.get(f"/petitions/{world['petition'].pk}/").status_code == 404


def test_attachment_upload_and_download_by_the_station(client_for, world, settings):
    client = client_for("s11_clerk")
    response = client.post(f"/attachments/petitions.petition/{world['petition'].pk}/",
                           {"file": SimpleUploadedFile("照片.png", PNG, "image/png"), "description": "现场照片"})
    assert response.status_code == 302
    assert Attachment.objects.count() == 2
    download = client.get(f"/attachments/{world['attachment'].pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    bad = client.post(f"/attachments/petitions.petition/{world['petition'].pk}/",
                      {"file": SimpleUploadedFile("x.png", b"not an image", "image/png")})
    assert bad.status_code == 302 and Attachment.objects.count() == 2


def test_unknown_ids_are_404(client_for, world):
    client = client_for("s11_clerk")
    for url in ["/petitions/999999/", "/petitions/999999/print.pdf", f"/petitions/{world['petition'].pk}/notices/99999/print.pdf",
                "/petitions/tasks/99999/"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/petitions/{world['petition'].pk}/notices/99999/response/", {}).status_code == 404


def test_read_only_pages_refuse_post(client_for, world):
    client = client_for("s11_clerk")
    p, n = world["petition"].pk, world["notice"].pk
    for url in ["/petitions/", "/petitions/export.xlsx", "/petitions/escalations/", "/petitions/follow-ups/",
                "/petitions/notices/", "/petitions/tasks/", f"/petitions/tasks/{world['task'].pk}/",
                f"/petitions/{p}/", f"/petitions/{p}/print.pdf", f"/petitions/{p}/report.pdf",
                f"/petitions/{p}/notices/{n}/print.pdf"]:
        assert client.post(url, {}).status_code == 405, url
