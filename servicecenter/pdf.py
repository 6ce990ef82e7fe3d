"""Printable forms: a Django template rendered to an A4 PDF by WeasyPrint with a CJK font.

Every form template extends ``print/base.html``, which sets the page size, margins and the
``PDF_CJK_FONT_FAMILY`` font. Rendering refuses to run without that font rather than printing
a form full of empty boxes.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.encoding import escape_uri_path


class PdfUnavailable(RuntimeError):
    """The machine lacks what a Chinese PDF needs; the message says what to install."""


@lru_cache(maxsize=1)
def cjk_font_installed() -> bool:
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return False
    try:
        out = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=20,  # noqa: S603
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    # One line per font, its family names separated by commas: match a whole name.
    families = {name.strip() for line in out.splitlines() for name in line.split(",")}
    return settings.PDF_CJK_FONT_FAMILY in families


@lru_cache(maxsize=1)
def harfbuzz_subsetter_available() -> bool:
    """WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset is loadable (and new enough);
    otherwise it falls back to fontTools, which takes seconds per page on a CJK font."""
    try:
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    except (ImportError, OSError):
        return False
    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


def render_pdf(template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    """The template (extending ``print/base.html``) as an A4 PDF. Raises ``PdfUnavailable``, with
    a message an operator can act on, when the machine cannot produce a readable Chinese PDF."""
    if not cjk_font_installed():
        raise PdfUnavailable(
            f"无法生成PDF：服务器未安装中文字体“{settings.PDF_CJK_FONT_FAMILY}”"
            "（请安装 Debian 软件包 fonts-noto-cjk，或用 PDF_CJK_FONT_FAMILY 指定已安装的中文字体）。"
        )
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Pango/HarfBuzz libraries missing
        raise PdfUnavailable(
            f"无法生成PDF：WeasyPrint 不可用（{exc}）。请安装 Debian 软件包 libpango-1.0-0 与 libpangoft2-1.0-0。"
        ) from exc

    html = render_to_string(template_name, {**context, "cjk_font": settings.PDF_CJK_FONT_FAMILY}, request=request)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_response(template_name: str, context: dict[str, Any], filename: str,
                 request: HttpRequest | None = None) -> HttpResponse:
    try:
        content = render_pdf(template_name, context, request)
    except PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(filename)}"
    # Our own pages may show a form inline (the case page's print preview); other sites may not.
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


def print_record(request: HttpRequest, *, record: Any, template: str, context: dict[str, Any], title: str,
                 filename: str) -> HttpResponse:
    """A printed form of ``record``: rendered, then audited once — only when a PDF was produced."""
    from . import audit

    response = pdf_response(template, context, filename, request)
    if response.status_code == 200:
        audit.record(audit.Event.PRINT, request=request, target=record, detail=title, action=f"{record._meta.app_label}.print")
    return response
