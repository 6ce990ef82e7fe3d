"""The navigation a user sees: the core's pages and each installed app's entry, each shown to the
users whose roles hold its permission. Case staff see the services, the system administrator sees
administration, the security auditor sees the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import reverse

from . import registry
from .access import reads_cases, role_allows
from .permissions import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User


def _exports(user: User | AnonymousUser) -> bool:
    from .exportjobs import export_permissions

    return any(role_allows(user, p) for p in export_permissions())


def nav_items(user: User | AnonymousUser | None) -> list[tuple[str, str]]:
    """(label, URL name) pairs, in order."""
    if user is None or not user.is_authenticated:
        return []
    items = [("工作台", "dashboard")]
    if reads_cases(user):
        items += [("待办", "inbox"), ("职工", "person_list"), ("用人单位", "employer_list")]
        items += [(e.label, e.url_name) for app in registry.service_apps() for e in app.nav
                  if role_allows(user, e.permission)]
        items.append(("统计报表", "reports"))
    if _exports(user):
        items.append(("我的导出", "export_job_list"))
    if role_allows(user, Action.ADMINISTER):
        items.append(("系统管理", "admin:index"))
    if role_allows(user, Action.READ_AUDIT_LOG):
        items.append(("审计日志", "audit_log"))
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    from .inbox import inbox_count

    path = request.path
    nav = []
    for label, name in nav_items(user):
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        entry: dict[str, Any] = {"label": label, "url": url, "active": active}
        if name == "inbox":
            # A callable: counted only when a page draws the navigation (not for a PDF), and kept
            # in the session for a minute (inbox.inbox_count).
            entry["count"] = lambda: inbox_count(request)
        nav.append(entry)
    return {"nav": nav, "role_names": "、".join(sorted(r.label for r in user.roles))}
