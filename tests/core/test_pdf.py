"""Printable forms: an A4 PDF with the CJK font embedded, a clear refusal without the font,
start-up warnings for a missing toolchain, scope and audit."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from pypdf import PdfReader

from servicecenter import checks, pdf
from servicecenter.models import AuditEvent, Person
from tests.conftest import make_person

A4 = (595.28, 841.89)


def _fonts(reader: PdfReader) -> list[tuple[str, list[str]]]:
    """(BaseFont, [/FontFile* keys]) of every font on every page, descending into Type0 fonts."""
    out = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for face in [font, *[d.get_object() for d in font.get("/DescendantFonts", [])]]:
                descriptor = face.get("/FontDescriptor")
                if descriptor is not None:
                    files = [k for k in descriptor.get_object() if k.startswith("/FontFile")]
                    out.append((str(face["/BaseFont"]), files))
    return out


def test_person_card_is_an_a4_pdf_with_the_cjk_font(station_person: Person, client_for: Any) -> None:
    response = client_for("s11_clerk").get(f"/people/{station_person.pk}/print.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline; filename*=UTF-8''")
    assert response.content.startswith(b"%PDF-")

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "职工信息卡" in text and "张三丰" in text
    assert station_person.id_number_masked in text
    assert station_person.id_number not in text  # the card shows the masked number only
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(A4[0], abs=1)
    assert float(box.height) == pytest.approx(A4[1], abs=1)

    embedded = [name for name, files in _fonts(reader) if files]
    assert any("CJK" in name or "Noto" in name for name in embedded), _fonts(reader)
    # Everything is set in the one CJK font: no fallback font for the page numbers or anything else.
    assert all("CJK" in name for name in embedded), embedded


def test_printing_is_audited(station_person: Person, client_for: Any) -> None:
    client_for("s11_clerk").get(f"/people/{station_person.pk}/print.pdf")
    event = AuditEvent.objects.get(event=AuditEvent.Event.PRINT)
    assert event.username == "s11_clerk"
    assert event.target_id == str(station_person.pk) and event.target_type == "servicecenter.person"
    assert "职工信息卡" in event.detail


def test_out_of_scope_person_is_not_found(station_person: Person, client_for: Any) -> None:
    assert client_for("s12_clerk").get(f"/people/{station_person.pk}/print.pdf").status_code == 404
    assert client_for("d2_sup").get(f"/people/{station_person.pk}/print.pdf").status_code == 404
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.PRINT).exists()
    # … and the people above the station may print it.
    assert client_for("d1_sup").get(f"/people/{station_person.pk}/print.pdf").status_code == 200


def test_missing_font_is_a_clear_refusal(station_person: Person, client_for: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(pdf, "cjk_font_installed", lambda: False)
    with pytest.raises(pdf.PdfUnavailable, match="未安装中文字体.*fonts-noto-cjk"):
        pdf.render_pdf("people/card_pdf.html", {"person": station_person})
    response = client_for("s11_clerk").get(f"/people/{station_person.pk}/print.pdf")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "无法生成PDF" in body and "Noto Sans CJK SC" in body and "fonts-noto-cjk" in body


def test_font_detection_matches_a_whole_family_name(monkeypatch: Any, settings: Any) -> None:
    class Done:
        stdout = "Noto Sans CJK SC,Noto Sans CJK SC Regular\nNoto Serif CJK TC\n"

    monkeypatch.setattr(pdf.shutil, "which", lambda name: "/usr/bin/fc-list")
    monkeypatch.setattr(pdf.subprocess, "run", lambda *a, **k: Done())
    pdf.cjk_font_installed.cache_clear()
    try:
        settings.PDF_CJK_FONT_FAMILY = "Noto Sans CJK SC"
        assert pdf.cjk_font_installed()
        pdf.cjk_font_installed.cache_clear()
        settings.PDF_CJK_FONT_FAMILY = "Noto Sans CJK"  # a prefix of a family is not that family
        assert not pdf.cjk_font_installed()
    finally:
        pdf.cjk_font_installed.cache_clear()


def test_toolchain_check_is_silent_here() -> None:
    assert pdf.cjk_font_installed() and pdf.harfbuzz_subsetter_available()
    assert checks.pdf_toolchain(None) == []


def test_toolchain_check_warns_when_font_or_subsetter_is_missing(monkeypatch: Any) -> None:
    monkeypatch.setattr(pdf, "cjk_font_installed", lambda: False)
    assert [w.id for w in checks.pdf_toolchain(None)] == ["sc.W001"]
    monkeypatch.setattr(pdf, "harfbuzz_subsetter_available", lambda: False)
    warnings = checks.pdf_toolchain(None)
    assert [w.id for w in warnings] == ["sc.W001", "sc.W002"]
    assert "fonts-noto-cjk" in warnings[0].hint and "libharfbuzz-subset0" in warnings[1].hint
    monkeypatch.setattr(pdf, "cjk_font_installed", lambda: True)
    assert [w.id for w in checks.pdf_toolchain(None)] == ["sc.W002"]


def test_card_render_time(users: dict, capsys: Any) -> None:
    """One render of the card, after a first (cold) one: the card reads back (name, address, the
    masked number, one A4 page, the CJK font embedded), a warm render is fast enough to print at
    the counter, and the time is reported."""
    person = make_person(users["s11_clerk"], name="欧阳明月", address="绍兴市越城区府山街道胜利西路1号")
    started = time.perf_counter()
    pdf.render_pdf("people/card_pdf.html", {"person": person})
    cold = time.perf_counter() - started
    started = time.perf_counter()
    content = pdf.render_pdf("people/card_pdf.html", {"person": person})
    warm = time.perf_counter() - started
    reader = PdfReader(io.BytesIO(content))
    text = "".join((page.extract_text() or "") for page in reader.pages).replace(" ", "")
    assert content.startswith(b"%PDF-") and len(reader.pages) == 1
    assert tuple(round(float(x), 2) for x in reader.pages[0].mediabox[2:]) == A4
    assert "欧阳明月" in text and "胜利西路1号" in text and person.id_number_masked in text
    assert any(files for _, files in _fonts(reader)), "the CJK font is not embedded"
    # HarfBuzz subsetting renders the card in a fraction of a second; fontTools would take seconds.
    assert warm < 5, f"a warm render took {warm:.1f} s"
    with capsys.disabled():
        print(f"\n[pdf] 职工信息卡: first render {cold:.3f} s, next render {warm:.3f} s, {len(content) // 1024} KiB, "
              f"HarfBuzz subsetter: {pdf.harfbuzz_subsetter_available()}")
