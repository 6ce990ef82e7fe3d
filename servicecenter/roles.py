"""Staff roles (DOMAIN.md §1). What each role may do is the permission table (``permissions.py``),
which ``access.py`` reads."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    CLERK = "clerk", "窗口接待员"
    WORKER = "worker", "服务站工作人员"
    SUPERVISOR = "supervisor", "审批人"
    ACCOUNTANT = "accountant", "会计"
    CASHIER = "cashier", "出纳"
    AUDITOR = "auditor", "审计员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECAUDIT = "secaudit", "安全审计员"

    @property
    def reads_cases(self) -> bool:
        """A case role: it works on people and records in its unit's subtree."""
        return self in CASE_ROLES

    @property
    def duty_group(self) -> str:
        """Roles in different groups may not be held together (separation of duties)."""
        if self is Role.SYSADMIN:
            return "system"
        if self is Role.SECAUDIT:
            return "security-audit"
        return "case"


CASE_ROLES = frozenset({Role.CLERK, Role.WORKER, Role.SUPERVISOR, Role.ACCOUNTANT, Role.CASHIER, Role.AUDITOR})
