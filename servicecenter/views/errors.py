from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": str(exception or "") or "您的角色无权执行此操作。"}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Many 404s are requests nobody sees (the browser's /favicon.ico, asked for by Chromium's PDF
    # viewer right after 保存并打印): they must not use up the flash messages meant for the next page.
    response = render(request, "404.html", {"messages": ()}, status=404)
    response.chinese_page = True  # type: ignore[attr-defined]  # ChineseNotFoundMiddleware leaves it alone
    return response


def public_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 404 of a host that serves only the public pages: no link into the staff system."""
    response = render(request, "public_404.html", {}, status=404)
    response.chinese_page = True  # type: ignore[attr-defined]
    return response
