"""The navigation a user sees, by role: case staff see the services, the system administrator
sees administration, the security auditor sees the audit log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from .access import Action, reads_cases, role_allows

CASE_NAV = [
    ("工作台", "dashboard"),
    ("职工", "person_list"),
    ("用人单位", "employer_list"),
    ("信访接待", "petitions:landing"),
    ("困难职工档案", "hardship:landing"),
    ("法律援助", "legalaid:landing"),
    ("就业援助", "jobs:landing"),
    ("帮扶资金与物资", "funds:landing"),
    ("统计报表", "reports"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [("工作台", "dashboard")]
    if reads_cases(user):
        items = CASE_NAV
    if role_allows(user, Action.EXPORT):
        items = [*items, ("我的导出", "export_job_list")]
    if role_allows(user, Action.ADMINISTER):
        items = [*items, ("系统管理", "admin:index")]
    if role_allows(user, Action.READ_AUDIT_LOG):
        items = [*items, ("审计日志", "audit_log")]
    path = request.path
    nav = []
    for label, name in items:
        url = reverse(name)
        active = path == url if url == "/" else path.startswith(url)
        nav.append({"label": label, "url": url, "active": active})
    return {"nav": nav, "role_names": "、".join(sorted(r.label for r in user.roles))}
