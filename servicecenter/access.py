"""THE access policy: which records a user may see, and whether they may act on one.

Nothing else decides these questions. Lists, detail pages, exports, PDFs, attachments and every
service function go through ``visible`` / ``can`` / ``require``.

- A role held in a unit applies to that unit and everything below it (one prefix query on
  ``OrgUnit.path``), never to siblings or parents.
- A record outside the user's scope is reported as "not found" (404), so its existence is not
  confirmed; a record in scope that the user's roles may not act on is "forbidden" (403).
- The system administrator and the security auditor see no person or case data at all.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet, Subquery
from django.http import Http404

from .roles import CASE_ROLES, Role

if TYPE_CHECKING:
    from .models import OrgUnit, User

M = TypeVar("M", bound=Model)


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    APPROVE = "approve"
    EXPORT = "export"
    REVEAL = "reveal"
    ADMINISTER = "administer"
    READ_AUDIT_LOG = "read_audit_log"


_ROLE_ALLOWS = {
    Action.VIEW: lambda r: r.reads_cases,
    Action.CHANGE: lambda r: r.changes_cases,
    Action.APPROVE: lambda r: r.approves,
    Action.EXPORT: lambda r: r.exports,
    Action.REVEAL: lambda r: r.reveals_identity,
    Action.ADMINISTER: lambda r: r is Role.SYSADMIN,
    Action.READ_AUDIT_LOG: lambda r: r is Role.SECAUDIT,
}


def _active(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def role_allows(user: User, action: Action) -> bool:
    """Whether any of the user's roles permits the action at all (scope aside)."""
    if not _active(user):
        return False
    return any(_ROLE_ALLOWS[action](role) for role in user.roles)


def reads_cases(user: User) -> bool:
    return _active(user) and user.org_unit_id is not None and bool(user.roles & CASE_ROLES)


def scope_units(user: User) -> QuerySet[OrgUnit]:
    """The units whose records the user may see: their own unit and everything below it."""
    from .models import OrgUnit

    if not reads_cases(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=user.org_unit.path)


def scope_unit_ids(user: User) -> list[int]:
    """The ids of ``scope_units(user)``, read once per user object (that is, once per request).

    Rules filter with them as literal values (``org_unit_id IN (3, 17, …)``), so PostgreSQL can
    tell from its per-unit statistics how many rows the user sees and pick the plan that fits a
    station with few people as well as the city with all of them. ``IN (SELECT …)`` inside the OR
    of the person rule is a blind guess (half the table): a station's list then claimed "about
    750,000" and a unit with no people read the whole table to show an empty page.
    """
    from .models import OrgUnit
    from .models import User as UserModel

    if not reads_cases(user):
        return []
    cached = getattr(user, "_scope_unit_ids", None)
    if cached is None or cached[0] != user.org_unit_id:
        # One query for the user's own unit (which pages show anyway) and everything below it.
        own_path = OrgUnit.objects.filter(pk=user.org_unit_id).values("path")[:1]
        units = list(OrgUnit.objects.filter(path__startswith=Subquery(own_path)))
        for unit in units:
            if unit.pk == user.org_unit_id and not UserModel.org_unit.is_cached(user):
                user.org_unit = unit
        cached = (user.org_unit_id, [unit.pk for unit in units])
        user._scope_unit_ids = cached
    return cached[1]


class _PkInArray(Func):
    """``pk = ANY(ARRAY(subquery))`` on PostgreSQL: computed once before the scan and, unlike
    ``EXISTS`` or ``IN (SELECT …)``, usable as an index condition inside an OR (a BitmapOr)."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _linked_scope(queryset: QuerySet, user: User, link_model: type[Model], link_field: str) -> QuerySet:
    """Owned by a unit in scope, or linked to one (a record filed there, or attached by a clerk)."""
    units = scope_unit_ids(user)
    linked = link_model.objects.filter(org_unit__in=units).values(link_field)
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return queryset.filter(Q(org_unit__in=units) | Q(_PkInArray(F("pk"), ArraySubquery(linked))))
    return queryset.filter(Q(org_unit__in=units) | Q(pk__in=linked))


def _person_scope(queryset: QuerySet, user: User) -> QuerySet:
    from .models import PersonLink

    return _linked_scope(queryset, user, PersonLink, "person_id")


def _employer_scope(queryset: QuerySet, user: User) -> QuerySet:
    from .models import EmployerLink

    return _linked_scope(queryset, user, EmployerLink, "employer_id")


def _owned_by_unit(queryset: QuerySet, user: User) -> QuerySet:
    return queryset.filter(org_unit__in=scope_unit_ids(user))


def _petition_scope(queryset: QuerySet, user: User) -> QuerySet:
    """Petitions owned in the user's subtree, minus those the user recused from (利害关系回避)."""
    return _owned_by_unit(queryset, user).exclude(recusals__user=user)


# Models whose scope is not simply "owned by a unit in the user's subtree". Keyed by
# "app_label.model_name" so that apps never import each other to get their rule applied.
_SCOPE_RULES = {
    "servicecenter.person": _person_scope,
    "servicecenter.employer": _employer_scope,
    "petitions.petition": _petition_scope,
}


def visible(queryset: QuerySet[M], user: User) -> QuerySet[M]:
    """The part of ``queryset`` the user may see."""
    model = queryset.model
    label = model._meta.label_lower
    if label == "servicecenter.auditevent":
        return queryset if role_allows(user, Action.READ_AUDIT_LOG) else queryset.none()
    if label == "servicecenter.orgunit":
        if role_allows(user, Action.ADMINISTER):
            return queryset
        return queryset.filter(pk__in=scope_units(user).values("pk"))
    if not reads_cases(user):
        return queryset.none()
    rule = _SCOPE_RULES.get(label, _owned_by_unit)
    return rule(queryset, user)


def in_scope(user: User, obj: Model) -> bool:
    if not reads_cases(user):
        return False
    unit_path = _unit_path_of(obj)
    if unit_path is not None:
        return unit_path.startswith(user.org_unit.path)
    return visible(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def _unit_path_of(obj: Model) -> str | None:
    """The owning unit's path for records scoped only by their unit; None when the rule is richer."""
    if obj._meta.label_lower == "servicecenter.orgunit":
        return obj.path
    if obj._meta.label_lower in _SCOPE_RULES or not hasattr(obj, "org_unit_id"):
        return None
    return obj.org_unit.path


def can(user: User, action: Action, obj: Model | None = None) -> bool:
    """Whether the user may do ``action`` to ``obj`` (or, with no object, anywhere in their scope)."""
    if not role_allows(user, action):
        return False
    if action in (Action.ADMINISTER, Action.READ_AUDIT_LOG) or obj is None:
        return True
    return in_scope(user, obj)


def require(user: User, action: Action, obj: Model | None = None) -> None:
    """Raise 404 when the object is outside the user's scope, 403 when the role does not allow it."""
    if obj is not None and action not in (Action.ADMINISTER, Action.READ_AUDIT_LOG) and not in_scope(user, obj):
        raise Http404("未找到该记录。")
    if not can(user, action, obj):
        raise PermissionDenied("您的角色无权执行此操作。")


def get_visible_or_404(queryset: QuerySet[M], user: User, **lookup: Any) -> M:
    """Fetch one record through the policy; anything the user may not see is simply not found."""
    try:
        return visible(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("未找到该记录。") from None


def assignable_units(user: User) -> QuerySet[OrgUnit]:
    """Units a user may file new records under: their own and those below it."""
    return scope_units(user).filter(is_active=True)
