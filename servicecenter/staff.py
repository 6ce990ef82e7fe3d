"""Staff accounts and role grants, with separation of duties.

The system administrator, the security auditor and the case roles are mutually exclusive: the
person who manages accounts must not read cases, and the person who reads the audit log must be
neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import audit
from .models import AccountChange, OrgUnit, StaffRole, User
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
    audit.record(audit.Event.ROLE, user=by, target=user, action="servicecenter.user.roles",
                 old={"roles": sorted(r.value for r in current)}, new={"roles": sorted(r.value for r in wanted)},
                 detail=f"{'、'.join(sorted(r.label for r in current)) or '无'} → "
                        f"{'、'.join(sorted(r.label for r in wanted)) or '无'}")


# --- Account administration under audit and four-eyes (issue 14 §1) ------------------------------------
#
# Every account event is a structured audit row (``audit.Event.ACCOUNT``, ``action`` below, old and
# new values). A change to a system administrator's or the security auditor's account, and any
# change to one's own roles or unit, waits for a second person (``AccountChange``): another system
# administrator, or — for the security auditor's account — the security auditor. A password set by
# an administrator must be changed at the next login (``password_changed_at`` is cleared, which
# ``PasswordExpiryMiddleware`` treats as expired).

SENSITIVE_ROLES = frozenset({Role.SYSADMIN, Role.SECAUDIT})
ACCOUNT_FIELDS = ("roles", "org_unit_id", "is_active", "password_hash")
FIELD_LABELS = {"roles": "角色", "org_unit_id": "所属单位", "is_active": "启用", "password_hash": "密码"}


def _current_roles(user: User) -> set[Role]:
    return {Role(r) for r in user.role_grants.values_list("role", flat=True)}


def account_snapshot(user: User) -> dict[str, Any]:
    return {"roles": sorted(r.value for r in _current_roles(user)), "org_unit_id": user.org_unit_id,
            "is_active": user.is_active}


def _describe(key: str, value: Any) -> str:
    if key == "roles":
        return "、".join(Role(r).label for r in sorted(value)) or "无"
    if key == "org_unit_id":
        unit = OrgUnit.objects.filter(pk=value).first() if value else None
        return unit.name if unit else "无"
    if key == "is_active":
        return "启用" if value else "停用"
    return "（由管理员设置，下次登录须修改）"


def summarise(old: dict[str, Any], changes: dict[str, Any]) -> str:
    parts = []
    for key, value in changes.items():
        if key == "password_hash":
            parts.append("设置密码（下次登录须修改）")
        else:
            parts.append(f"{FIELD_LABELS[key]}：{_describe(key, old.get(key))} → {_describe(key, value)}")
    return "；".join(parts)[:300]


def confirmer_role(user: User, changes: dict[str, Any]) -> Role:
    """Who must confirm a change to ``user``: the security auditor for that account, otherwise
    another system administrator."""
    roles = _current_roles(user) | {Role(r) for r in changes.get("roles", ())}
    return Role.SECAUDIT if Role.SECAUDIT in roles else Role.SYSADMIN


def needs_second_person(*, user: User, by: User, changes: dict[str, Any]) -> bool:
    roles = _current_roles(user) | {Role(r) for r in changes.get("roles", ())}
    if roles & SENSITIVE_ROLES:
        return True
    return user.pk == by.pk and bool({"roles", "org_unit_id"} & set(changes))


@transaction.atomic
def account_create(*, user: User, by: User, request: HttpRequest | None = None) -> User:
    """After the admin form saved a new account: its first password must be changed at first login."""
    User.objects.filter(pk=user.pk).update(password_changed_at=None)
    user.password_changed_at = None
    audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user, action="servicecenter.user.create",
                 new={"username": user.username, "full_name": user.full_name,
                      "org_unit": user.org_unit.name if user.org_unit else ""},
                 detail=f"新建账号 {user.username}")
    return user


@transaction.atomic
def account_change(*, user: User, by: User, changes: dict[str, Any],
                   request: HttpRequest | None = None) -> AccountChange | None:
    """Apply ``changes`` (keys of ``ACCOUNT_FIELDS``) to ``user`` now, or — when a second person
    must confirm — record them as a pending ``AccountChange`` and return it."""
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"unknown account fields: {sorted(unknown)}")
    old = account_snapshot(user)
    if "roles" in changes:
        changes = {**changes, "roles": sorted(Role(r).value for r in changes["roles"])}
        check_separation_of_duties(changes["roles"])
    wanted = {k: v for k, v in changes.items() if k == "password_hash" or old.get(k) != v}
    if not wanted:
        return None
    if needs_second_person(user=user, by=by, changes=wanted):
        pending = AccountChange.objects.create(
            user=user, changes=wanted, old={k: old.get(k) for k in wanted if k != "password_hash"},
            summary=summarise(old, wanted), requested_by=by)
        audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user,
                     action="servicecenter.user.change_requested",
                     old={k: old.get(k) for k in wanted if k != "password_hash"},
                     new={k: v for k, v in wanted.items() if k != "password_hash"} | (
                         {"password": "set"} if "password_hash" in wanted else {}),
                     detail=f"待{confirmer_role(user, wanted).label}确认：{pending.summary}")
        return pending
    _apply(user=user, changes=wanted, old=old, by=by, request=request)
    return None


def _apply(*, user: User, changes: dict[str, Any], old: dict[str, Any], by: User,
           request: HttpRequest | None, approved_by: User | None = None) -> None:
    note = f"（经{approved_by}确认）" if approved_by is not None else ""
    fields = []
    if "org_unit_id" in changes:
        user.org_unit_id = changes["org_unit_id"]
        fields.append("org_unit")
        audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user, action="servicecenter.user.unit",
                     old={"org_unit": _describe("org_unit_id", old.get("org_unit_id"))},
                     new={"org_unit": _describe("org_unit_id", changes["org_unit_id"])},
                     detail=f"所属单位变更{note}")
    if "is_active" in changes:
        user.is_active = bool(changes["is_active"])
        fields.append("is_active")
        audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user, action="servicecenter.user.active",
                     old={"is_active": old.get("is_active")}, new={"is_active": user.is_active},
                     detail=("启用账号" if user.is_active else "停用账号") + note)
    if "password_hash" in changes:
        user.password = changes["password_hash"]
        user.password_changed_at = None  # must be changed at the next login
        fields += ["password", "password_changed_at"]
        audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user,
                     action="servicecenter.user.password", new={"forced_change": True},
                     detail=f"管理员设置密码，下次登录须修改{note}")
    if fields:
        user.save(update_fields=fields)
    if "roles" in changes:
        staff_set_roles(user=user, roles=changes["roles"], by=by)


@transaction.atomic
def account_change_decide(*, change: AccountChange, by: User, approve: bool, note: str = "",
                          request: HttpRequest | None = None) -> AccountChange:
    change = AccountChange.objects.select_for_update().get(pk=change.pk)
    if change.status != AccountChange.Status.PENDING:
        raise ValidationError("该申请已处理。")
    role = confirmer_role(change.user, change.changes)
    if not by.has_role(role):
        raise PermissionDenied(f"该变更须由{role.label}确认。")
    if by.pk == change.requested_by_id:
        raise PermissionDenied("不能确认自己提出的申请，须由另一人确认。")
    if role is Role.SYSADMIN and by.pk == change.user_id:
        raise PermissionDenied("不能确认对本人账号的变更，须由另一名系统管理员确认。")
    if not approve and not note.strip():
        raise ValidationError({"note": "驳回须说明理由。"})
    change.status = AccountChange.Status.APPROVED if approve else AccountChange.Status.REJECTED
    change.decided_by, change.decided_at, change.decision_note = by, timezone.now(), note.strip()[:200]
    changes = dict(change.changes)
    if "password_hash" in change.changes:
        change.changes = {**change.changes, "password_hash": "（已处理）"}
    change.save()
    audit.record(audit.Event.ACCOUNT, user=by, request=request, target=change.user,
                 action="servicecenter.user.change_" + ("approved" if approve else "rejected"),
                 old=change.old, new={k: v for k, v in changes.items() if k != "password_hash"},
                 detail=f"{'批准' if approve else '驳回'} {change.requested_by} 的申请：{change.summary}"
                        + (f"（{change.decision_note}）" if change.decision_note else ""))
    if approve:
        _apply(user=change.user, changes=changes, old=account_snapshot(change.user), by=change.requested_by,
               request=request, approved_by=by)
    return change


def pending_for(user: User) -> QuerySet[AccountChange]:
    """The requests ``user`` may confirm."""
    mine = AccountChange.objects.filter(status=AccountChange.Status.PENDING).select_related("user", "requested_by")
    return mine.exclude(requested_by=user)


@transaction.atomic
def account_unlock(*, user: User, by: User, request: HttpRequest | None = None) -> int:
    """Lift a login lockout (django-axes) early; audited."""
    from axes.utils import reset

    cleared = reset(username=user.username)
    audit.record(audit.Event.ACCOUNT, user=by, request=request, target=user, action="servicecenter.user.unlock",
                 new={"attempts_cleared": cleared}, detail="解除登录锁定")
    return cleared
