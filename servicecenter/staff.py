"""Staff accounts and role grants, with separation of duties.

The system administrator, the security auditor and the case roles are mutually exclusive: the
person who manages accounts must not read cases, and the person who reads the audit log must be
neither.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from . import audit
from .models import StaffRole, User
from .roles import Role

_GROUP_NAMES = {"system": "系统管理员", "security-audit": "安全审计员", "case": "业务角色"}


def check_separation_of_duties(roles: Iterable[Role | str]) -> None:
    chosen = [Role(r) for r in roles]
    groups = {r.duty_group for r in chosen}
    if len(groups) > 1:
        names = "、".join(r.label for r in chosen)
        raise ValidationError(
            f"职责分离：{names} 不能由同一账号兼任（系统管理员、安全审计员与业务角色互斥）。", code="separation_of_duties"
        )


@transaction.atomic
def staff_set_roles(*, user: User, roles: Iterable[Role | str], by: User | None = None) -> None:
    """Replace the user's roles; refuses a combination that breaks separation of duties."""
    wanted = {Role(r) for r in roles}
    check_separation_of_duties(wanted)
    current = {Role(r) for r in user.role_grants.values_list("role", flat=True)}
    if wanted == current:
        return
    user.role_grants.exclude(role__in=wanted).delete()
    StaffRole.objects.bulk_create([StaffRole(user=user, role=r) for r in wanted - current])
    # Staff users reach the admin site only as system administrators.
    is_admin = Role.SYSADMIN in wanted
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("roles", None)
    audit.record(audit.Event.ROLE, user=by, target=user,
                 detail=f"{'、'.join(sorted(r.label for r in current)) or '无'} → "
                        f"{'、'.join(sorted(r.label for r in wanted)) or '无'}")
