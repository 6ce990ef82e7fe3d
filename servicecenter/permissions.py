"""What each role may do: one table of permissions, filled by the core and by each app's declaration.

A permission is a code (``"view"`` for the core's own, ``"<app>.<action>"`` for an app's), a
Chinese label and the roles that hold it. ``access.can`` / ``access.require`` answer from this table
plus scope; nothing else reads it. An app declares its permissions once, in its ``ServiceApp``; a
permission naming an unknown role, or declared twice, stops the start-up with a clear message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ImproperlyConfigured

from .roles import CASE_ROLES, Role


class Action(StrEnum):
    """The core's own permissions (people, employers, registers, administration, audit)."""

    VIEW = "view"
    CHANGE = "change"
    EXPORT = "export"
    REVEAL = "reveal"
    ADMINISTER = "administer"
    READ_AUDIT_LOG = "read_audit_log"


@dataclass(frozen=True)
class Permission:
    code: str
    label: str
    roles: frozenset[Role]
    # An unscoped permission is not about records (administering accounts, reading the audit log):
    # it is granted by the role alone.
    scoped: bool = True

    @classmethod
    def of(cls, code: str, label: str, roles: Iterable[Role | str], *, scoped: bool = True) -> Permission:
        try:
            held = frozenset(Role(r) for r in roles)
        except ValueError as exc:
            raise ImproperlyConfigured(f"权限“{code}”（{label}）声明了未知角色：{exc}") from None
        return cls(code, label, held, scoped)


_TABLE: dict[str, Permission] = {}
_OWNER: dict[str, str] = {}


def declare(owner: str, permissions: Iterable[Permission]) -> None:
    """Add ``owner``'s permissions to the table. The same owner declaring again (Django runs
    ``ready()`` again when a test changes ``INSTALLED_APPS``) replaces its earlier entries."""
    for code in [c for c, o in _OWNER.items() if o == owner]:
        del _TABLE[code], _OWNER[code]
    for permission in permissions:
        if permission.code in _TABLE:
            raise ImproperlyConfigured(f"权限“{permission.code}”已由 {_OWNER[permission.code]} 声明，{owner} 不能重复声明。")
        _TABLE[permission.code] = permission
        _OWNER[permission.code] = owner


def get(code: str) -> Permission:
    try:
        return _TABLE[code]
    except KeyError:
        raise ImproperlyConfigured(f"未声明的权限：“{code}”。") from None


def is_declared(code: str) -> bool:
    return code in _TABLE


def all_permissions() -> list[Permission]:
    return sorted(_TABLE.values(), key=lambda p: p.code)


def owner_of(code: str) -> str:
    return _OWNER[code]


CORE_PERMISSIONS = [
    Permission.of(Action.VIEW, "查看业务数据", CASE_ROLES),
    Permission.of(Action.CHANGE, "登记和修改职工、用人单位", [Role.CLERK, Role.WORKER, Role.SUPERVISOR]),
    Permission.of(Action.EXPORT, "导出职工、用人单位名册", [Role.SUPERVISOR, Role.AUDITOR]),
    # The auditor reads masked numbers: the read-only role makes no POST at all.
    Permission.of(Action.REVEAL, "查看完整身份证号码", [Role.CLERK, Role.WORKER, Role.SUPERVISOR]),
    Permission.of(Action.ADMINISTER, "系统管理（单位、账号、参数）", [Role.SYSADMIN], scoped=False),
    Permission.of(Action.READ_AUDIT_LOG, "查阅审计日志", [Role.SECAUDIT], scoped=False),
    # Monthly summaries (servicecenter/summaries.py): the station worker files them (DOMAIN §1), a
    # supervisor files a district's or the city's; the supervisor of the unit above reviews them.
    Permission.of("summary_file", "填报、报送本单位月度汇总", [Role.WORKER, Role.SUPERVISOR]),
    Permission.of("summary_accept", "审核下级月度汇总（审核通过、退回、免报、重新打开）和备案", [Role.SUPERVISOR]),
]
declare("servicecenter", CORE_PERMISSIONS)
