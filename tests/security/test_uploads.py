"""Polyglot uploads are refused (issue 14 §7): data after a PNG's IEND or a JPEG's EOI, markup in a PDF."""

from __future__ import annotations

import pytest

from servicecenter.models import Attachment
from tests.core.test_attachments import JPEG, PDF, PNG, image_bytes, media, post  # noqa: F401 - media: a fixture

SCRIPT = b"<script>alert(document.cookie)</script>"


@pytest.mark.parametrize(("name", "data"), [
    ("a.png", PNG + SCRIPT + b"IEND\xaeB`\x82"),  # a script, then a second IEND so the tail looks right
    ("a.png", PNG + SCRIPT),
    ("a.jpg", JPEG + SCRIPT + b"\xff\xd9"),
    ("a.jpg", JPEG + b"\x00" * 64 + b"\xff\xd9"),
    ("a.pdf", b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"),
    ("a.pdf", PDF.replace(b"%%EOF", b"<iframe src=x></iframe>\n%%EOF")),
    ("a.pdf", PDF.replace(b"%%EOF", b"<< /S /JavaScript /JS (app.alert(1)) >>\n%%EOF")),
])
def test_polyglots_are_refused(client_for, station_person, media, name, data):  # noqa: F811
    client = client_for("s11_clerk")
    response = post(client, station_person, name, data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "其他数据" in page or "网页或脚本内容" in page or "已损坏" in page
    assert "附件已上传" not in page
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(("name", "data"), [
    ("a.png", PNG), ("a.jpg", JPEG), ("a.pdf", PDF), ("big.jpg", image_bytes("JPEG", (300, 200), noise=True)),
    ("progressive.jpg", None), ("exif.jpg", None),
])
def test_ordinary_files_still_go_through(client_for, station_person, media, name, data):  # noqa: F811
    import io

    from PIL import Image

    if name == "progressive.jpg":
        out = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 90, 200)).save(out, "JPEG", progressive=True)
        data = out.getvalue()
    elif name == "exif.jpg":
        # A phone photo: EXIF in APP1, with a thumbnail that has its own EOI inside the segment.
        thumb = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(thumb, "JPEG")
        payload = b"Exif\x00\x00" + thumb.getvalue()
        segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
        out = io.BytesIO()
        Image.new("RGB", (64, 48), "green").save(out, "JPEG")
        data = out.getvalue()[:2] + segment + out.getvalue()[2:]
    response = post(client_for("s11_clerk"), station_person, name, data)
    assert response.status_code == 302
    assert Attachment.objects.count() == 1, client_for("s11_clerk").get(response["Location"]).content.decode()[-3000:]
