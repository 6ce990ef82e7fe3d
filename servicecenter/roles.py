"""Staff roles (DOMAIN.md §1) and what each may do. ``access.py`` is the only reader."""

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
        return self in CASE_ROLES

    @property
    def changes_cases(self) -> bool:
        return self in {Role.CLERK, Role.WORKER, Role.SUPERVISOR, Role.ACCOUNTANT, Role.CASHIER}

    @property
    def approves(self) -> bool:
        return self is Role.SUPERVISOR

    @property
    def exports(self) -> bool:
        return self in {Role.SUPERVISOR, Role.AUDITOR, Role.ACCOUNTANT}

    @property
    def reveals_identity(self) -> bool:
        """Roles whose work needs the full ID number (identity checks, legal papers). The auditor
        reads masked numbers: the read-only role makes no POST at all."""
        return self in {Role.CLERK, Role.WORKER, Role.SUPERVISOR}

    @property
    def duty_group(self) -> str:
        """Roles in different groups may not be held together (separation of duties)."""
        if self is Role.SYSADMIN:
            return "system"
        if self is Role.SECAUDIT:
            return "security-audit"
        return "case"


CASE_ROLES = frozenset({Role.CLERK, Role.WORKER, Role.SUPERVISOR, Role.ACCOUNTANT, Role.CASHIER, Role.AUDITOR})
