"""Start-up checks: production secrets, and the PDF toolchain (CJK font, HarfBuzz subsetter)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_secrets(app_configs: Any, **kwargs: Any) -> list:
    problems = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        problems.append(Error("SECRET_KEY 仍是开发默认值。", hint="在环境变量中设置 SECRET_KEY。", id="sc.E001"))
    if settings.FIELD_ENCRYPTION_KEY == settings.DEV_FIELD_ENCRYPTION_KEY:
        problems.append(Error("FIELD_ENCRYPTION_KEY 仍是开发默认值。", hint="在环境变量中设置独立的 FIELD_ENCRYPTION_KEY。",
                              id="sc.E002"))
    elif len(settings.FIELD_ENCRYPTION_KEY) < 32:
        problems.append(Error("FIELD_ENCRYPTION_KEY 太短（至少32个字符）。", id="sc.E003"))
    if settings.FIELD_ENCRYPTION_KEY == settings.SECRET_KEY:
        problems.append(Error("FIELD_ENCRYPTION_KEY 不能与 SECRET_KEY 相同。", id="sc.E004"))
    return problems


@register(Tags.compatibility)
def pdf_toolchain(app_configs: Any, **kwargs: Any) -> list:
    from . import pdf

    problems = []
    if not pdf.cjk_font_installed():
        problems.append(Warning(
            f"未找到中文字体“{settings.PDF_CJK_FONT_FAMILY}”，PDF 打印将无法使用。",
            hint="安装 Debian 软件包 fonts-noto-cjk。", id="sc.W001"))
    if not pdf.harfbuzz_subsetter_available():
        problems.append(Warning(
            "WeasyPrint 未使用 HarfBuzz 字体子集化，中文 PDF 会非常慢（每页数秒）。",
            hint="安装 Debian 软件包 libharfbuzz-subset0。", id="sc.W002"))
    return problems
