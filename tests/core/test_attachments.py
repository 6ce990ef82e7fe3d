"""Attachments on the person page: upload checked by content and size, stored under a random name
under MEDIA_ROOT, downloaded only through the access policy."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from servicecenter.models import Attachment, AuditEvent

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    root = tmp_path / "uploads"
    settings.MEDIA_ROOT = root
    return root


def image_bytes(fmt: str, size: tuple[int, int] = (40, 30), noise: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    if noise:
        image = Image.frombytes("RGB", size, random.Random(size[0]).randbytes(size[0] * size[1] * 3))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")
PDF = image_bytes("PDF")  # Pillow writes a real one-page PDF


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def post(client, person, name: str, data: bytes, content_type: str = "application/octet-stream", **extra):
    return client.post(f"/attachments/servicecenter.person/{person.pk}/",
                       {"file": upload(name, data, content_type), "description": "材料", **extra})


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def body(response) -> bytes:
    return b"".join(response.streaming_content)


# --- Valid uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "mime"), [
    ("身份证复印件.png", PNG, "image/png"),
    ("劳动合同.pdf", PDF, "application/pdf"),
    ("工资条.jpg", JPEG, "image/jpeg"),
])
def test_valid_upload_is_stored_and_downloads_the_same_bytes(client_for, station_person, media,
                                                              name, data, mime):
    client = client_for("s11_clerk")

    response = post(client, station_person, name, data)

    assert response.status_code == 302
    assert response["Location"] == f"/people/{station_person.pk}/#attachments"
    attachment = Attachment.objects.get()
    assert (attachment.owner, attachment.original_name, attachment.mime_type, attachment.size) == (
        station_person, name, mime, len(data))
    # Stored under MEDIA_ROOT with a random name that says nothing about the original.
    [path] = stored_files(media)
    assert path.resolve().is_relative_to(media.resolve())
    assert path.name == attachment.stored_name
    assert Path(name).stem not in path.name
    assert "static" not in path.parts
    assert path.read_bytes() == data

    page = client.get(response["Location"]).content.decode()
    assert "附件已上传" in page
    assert name in page

    download = client.get(f"/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert body(download) == data
    assert download["Content-Type"] == mime
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(event="download", username="s11_clerk",
                                     target_id=str(station_person.pk)).count() == 1


def test_declared_content_type_and_name_do_not_decide_the_type(client_for, station_person):
    # A real PNG named .pdf and declared as PDF is stored and served as what it is: a PNG.
    post(client_for("s11_clerk"), station_person, "scan.pdf", PNG, "application/pdf")
    assert Attachment.objects.get().mime_type == "image/png"
    assert Attachment.objects.get().stored_name.endswith(".png")


def test_upload_is_audited(client_for, station_person):
    post(client_for("s11_clerk"), station_person, "a.png", PNG)
    event = AuditEvent.objects.get(event="upload", target_id=str(station_person.pk),
                                   detail__startswith="上传附件")
    assert (event.username, event.detail) == ("s11_clerk", "上传附件：a.png")


# --- Refused uploads: nothing is stored ---------------------------------------------------------------


def assert_refused(response, client, person, media, message: str) -> None:
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert message in page  # the error is shown on the person page
    assert "附件已上传" not in page
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_html_renamed_jpg_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    response = post(client, station_person, "photo.jpg", HTML, "image/jpeg")
    assert_refused(response, client, station_person, media, "只能上传 PDF、JPEG 或 PNG 文件")


@pytest.mark.parametrize(("name", "data"), [
    ("page.html", HTML),
    ("virus.exe", b"MZ\x90\x00" + b"\x00" * 200),
    ("doc.docx", b"PK\x03\x04" + b"\x00" * 200),
    ("image.gif", b"GIF89a" + b"\x00" * 200),
    ("note.txt", "职工来访记录".encode()),
])
def test_other_types_are_refused(client_for, station_person, media, name, data):
    client = client_for("s11_clerk")
    assert_refused(post(client, station_person, name, data), client, station_person, media,
                   "只能上传 PDF、JPEG 或 PNG 文件")


def test_jpeg_header_followed_by_garbage_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"garbage!" * 300
    assert_refused(post(client, station_person, "photo.jpg", data), client, station_person, media,
                   "图片文件已损坏")


def test_truncated_jpeg_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    data = image_bytes("JPEG", (200, 200), noise=True)
    assert_refused(post(client, station_person, "photo.jpg", data[: len(data) // 2]), client, station_person,
                   media, "图片文件已损坏")


def test_png_signature_followed_by_garbage_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    data = b"\x89PNG\r\n\x1a\n" + b"<script>alert(1)</script>" * 20
    assert_refused(post(client, station_person, "x.png", data), client, station_person, media, "图片文件已损坏")


def test_pdf_header_followed_by_html_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    assert_refused(post(client, station_person, "x.pdf", b"%PDF-1.7\n" + HTML), client, station_person, media,
                   "PDF 文件不完整或已损坏")


def test_file_over_the_limit_is_refused(client_for, station_person, media, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    data = image_bytes("PNG", (100, 100), noise=True)
    assert len(data) > 2000
    client = client_for("s11_clerk")
    assert_refused(post(client, station_person, "big.png", data), client, station_person, media, "文件过大")


def test_file_at_the_limit_is_accepted(client_for, station_person, settings):
    settings.ATTACHMENT_MAX_BYTES = len(PNG)
    post(client_for("s11_clerk"), station_person, "exact.png", PNG)
    assert Attachment.objects.count() == 1


def test_image_with_too_many_pixels_is_refused(client_for, station_person, media, monkeypatch):
    monkeypatch.setattr("servicecenter.attachments.MAX_IMAGE_PIXELS", 100)
    client = client_for("s11_clerk")
    assert_refused(post(client, station_person, "huge.png", PNG), client, station_person, media, "图片尺寸过大")


@pytest.mark.parametrize("data", [
    {},
    {"file": ""},
    {"description": "x" * 500},
])
def test_malformed_upload_posts_are_refused_without_a_500(client_for, station_person, media, data):
    client = client_for("s11_clerk")
    response = client.post(f"/attachments/servicecenter.person/{station_person.pk}/", data)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_empty_file_is_refused(client_for, station_person, media):
    client = client_for("s11_clerk")
    response = post(client, station_person, "empty.pdf", b"")
    assert response.status_code == 302
    assert not Attachment.objects.exists()


# --- Access ------------------------------------------------------------------------------------------------


@pytest.fixture
def attachment(client_for, station_person) -> Attachment:
    post(client_for("s11_clerk"), station_person, "证明.png", PNG)
    return Attachment.objects.get()


@pytest.mark.parametrize("username", ["s11_worker", "d1_sup", "city_sup", "auditor"])
def test_staff_in_scope_download(client_for, attachment, username):
    response = client_for(username).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert body(response) == PNG


@pytest.mark.parametrize("username", ["s12_clerk", "s21_clerk", "d2_sup", "sysadmin", "secaudit"])
def test_outsiders_get_404_downloading(client_for, attachment, username):
    response = client_for(username).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event="download").exists()


def test_sibling_station_gets_404_uploading(client_for, station_person, media):
    response = post(client_for("s12_clerk"), station_person, "a.png", PNG)
    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_read_only_auditor_gets_403_uploading(client_for, station_person, media):
    response = post(client_for("auditor"), station_person, "a.png", PNG)
    assert response.status_code == 403
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_nonexistent_attachment_is_404(client_for, attachment):
    assert client_for("s11_clerk").get(f"/attachments/{attachment.pk + 1000}/").status_code == 404


def test_upload_to_nonexistent_person_is_404(client_for, users):
    assert post(client_for("s11_clerk"), type("P", (), {"pk": 999999})(), "a.png", PNG).status_code == 404


def test_anonymous_download_goes_to_login(client, attachment):
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_get_on_upload_url_is_405(client_for, station_person):
    assert client_for("s11_clerk").get(f"/attachments/servicecenter.person/{station_person.pk}/").status_code == 405


def test_post_on_download_url_is_405(client_for, attachment):
    assert client_for("s11_clerk").post(f"/attachments/{attachment.pk}/").status_code == 405


def test_missing_stored_file_is_404_not_500(client_for, attachment, media):
    for path in stored_files(media):
        path.unlink()
    assert client_for("s11_clerk").get(f"/attachments/{attachment.pk}/").status_code == 404


def test_files_are_not_reachable_by_url(client_for, attachment):
    client = client_for("s11_clerk")
    name = attachment.stored_name
    for url in [f"/media/{name[:2]}/{name}", f"/static/{name}", f"/uploads/{name[:2]}/{name}"]:
        assert client.get(url).status_code == 404
