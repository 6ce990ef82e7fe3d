"""THE access policy: which records a user may see, whether they may act on one, and who leads a unit.

Nothing else decides these questions. Lists, detail pages, exports, PDFs, attachments and every
service function go through ``visible`` / ``can`` / ``require``; the org-unit decisions the apps
need (who leads a unit, which staff may take a case, which units are below mine) are here too.

- A permission (``permissions.py``: the core's own and each app's declared ones) says which roles
  may do something; a role held in a unit applies to that unit and everything below it (one
  prefix query on ``OrgUnit.path``), never to siblings or parents.
- A record outside the user's scope is reported as "not found" (404), so its existence is not
  confirmed; a record in scope that the user's roles may not act on is "forbidden" (403).
- Scope is "owned by a unit in the subtree" unless the model's app declares a richer rule
  (``ServiceApp.scope_rules``), built from the pieces below.
- The system administrator and the security auditor see no person or case data at all.
- Leadership: a unit is led by its own supervisors; a station (or post) is led by its district.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connections
from django.db.models import BooleanField, F, Func, Model, Q, QuerySet, Subquery
from django.http import Http404

from . import permissions, registry
from .permissions import Action
from .roles import CASE_ROLES

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import OrgUnit, User

    AnyUser = User | AnonymousUser

M = TypeVar("M", bound=Model)

__all__ = ["Action", "can", "require", "visible", "get_visible_or_404", "role_allows", "leads"]


# The checks below are TypeGuards: where one holds, the user is a signed-in staff account (never
# AnonymousUser), and the type checker lets the caller use it as a ``User`` without a cast.


def _active(user: AnyUser | None) -> TypeGuard[User]:
    return bool(user and user.is_authenticated and user.is_active)


def role_allows(user: AnyUser, permission: str) -> TypeGuard[User]:
    """Whether any of the user's roles holds the permission at all (scope aside)."""
    if not _active(user):
        return False
    held = permissions.get(permission).roles
    return bool(user.roles & held)


def reads_cases(user: AnyUser) -> TypeGuard[User]:
    return _active(user) and user.org_unit_id is not None and bool(user.roles & CASE_ROLES)


def _own_unit(user: User) -> OrgUnit:
    """The unit of a user ``reads_cases`` accepted."""
    unit = user.org_unit
    # reads_cases() checked org_unit_id, and the foreign key is PROTECT: the unit is there.
    assert unit is not None
    return unit


def _own_unit_id(user: User) -> int:
    """``_own_unit(user).pk`` without loading the unit."""
    unit_id = user.org_unit_id
    assert unit_id is not None  # reads_cases() checked it
    return unit_id


# --- Scope ------------------------------------------------------------------------------------------


def scope_units(user: AnyUser) -> QuerySet[OrgUnit]:
    """The units whose records the user may see: their own unit and everything below it."""
    from .models import OrgUnit

    if not reads_cases(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=_own_unit(user).path)


def scope_unit_ids(user: AnyUser) -> list[int]:
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
    unit_id = _own_unit_id(user)
    cached = getattr(user, "_scope_unit_ids", None)
    if cached is None or cached[0] != unit_id:
        # One query for the user's own unit (which pages show anyway) and everything below it.
        own_path = OrgUnit.objects.filter(pk=unit_id).values("path")[:1]
        units = list(OrgUnit.objects.filter(path__startswith=Subquery(own_path)))
        for unit in units:
            if unit.pk == unit_id and not UserModel.org_unit.is_cached(user):
                user.org_unit = unit
        cached = (unit_id, [unit.pk for unit in units])
        user._scope_unit_ids = cached
    return cached[1]


class _PkInArray(Func):
    """``pk = ANY(ARRAY(subquery))`` on PostgreSQL: computed once before the scan and, unlike
    ``EXISTS`` or ``IN (SELECT …)``, usable as an index condition inside an OR (a BitmapOr)."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def owned_in_scope(queryset: QuerySet[M], user: AnyUser, field: str = "org_unit") -> QuerySet[M]:
    """Records whose ``field`` (a unit) is in the user's subtree: the default rule."""
    return queryset.filter(**{f"{field}__in": scope_unit_ids(user)})


def owned_or_linked(queryset: QuerySet[M], user: AnyUser, link_model: type[Model], link_field: str) -> QuerySet[M]:
    """Owned by a unit in scope, or linked to one (a record filed there, or attached by a clerk):
    ``link_model`` rows carry ``org_unit`` and point at the record through ``link_field``."""
    units = scope_unit_ids(user)
    linked = link_model._default_manager.filter(org_unit__in=units).values(link_field)
    if connections[queryset.db].vendor == "postgresql":
        from django.contrib.postgres.expressions import ArraySubquery

        return queryset.filter(Q(org_unit__in=units) | Q(_PkInArray(F("pk"), ArraySubquery(linked))))
    return queryset.filter(Q(org_unit__in=units) | Q(pk__in=linked))


def _person_scope(queryset: QuerySet, user: AnyUser) -> QuerySet:
    from .models import PersonLink

    return owned_or_linked(queryset, user, PersonLink, "person_id")


def _employer_scope(queryset: QuerySet, user: AnyUser) -> QuerySet:
    from .models import EmployerLink

    return owned_or_linked(queryset, user, EmployerLink, "employer_id")


def _core_rule(model: type[Model]) -> Any:
    from .models import Employer, Person

    return {Person: _person_scope, Employer: _employer_scope}.get(model)


def visible(queryset: QuerySet[M], user: AnyUser) -> QuerySet[M]:
    """The part of ``queryset`` the user may see."""
    from .models import AuditEvent, OrgUnit

    model = queryset.model
    if model is AuditEvent:
        return queryset if role_allows(user, Action.READ_AUDIT_LOG) else queryset.none()
    if model is OrgUnit:
        if role_allows(user, Action.ADMINISTER):
            return queryset
        return queryset.filter(pk__in=scope_units(user).values("pk"))
    if not reads_cases(user):
        return queryset.none()
    rule = _core_rule(model) or registry.scope_rule(model)
    if rule is None:
        if not any(f.name == "org_unit" for f in model._meta.concrete_fields):
            raise ImproperlyConfigured(
                f"{model._meta.label} 没有 org_unit 字段，也没有声明范围规则（ServiceApp.scope_rules）：无法判断谁能看到它。")
        rule = owned_in_scope
    return rule(queryset, user)


def _has_own_rule(model: type[Model]) -> bool:
    return _core_rule(model) is not None or registry.scope_rule(model) is not None


def in_scope(user: AnyUser, obj: Model) -> bool:
    from .models import OrgUnit

    if not reads_cases(user):
        return False
    own_path = _own_unit(user).path
    if isinstance(obj, OrgUnit):
        return obj.path.startswith(own_path)
    if not _has_own_rule(type(obj)) and hasattr(obj, "org_unit_id"):
        # hasattr() narrows only the name it checks; a model with org_unit_id has the org_unit key.
        return obj.org_unit.path.startswith(own_path)  # type: ignore[attr-defined]
    return visible(type(obj)._default_manager.filter(pk=obj.pk), user).exists()


def can(user: AnyUser, permission: str, obj: Model | None = None) -> bool:
    """Whether the user may do ``permission`` to ``obj`` (or, with no object, anywhere in their scope)."""
    if not role_allows(user, permission):
        return False
    if not permissions.get(permission).scoped or obj is None:
        return True
    return in_scope(user, obj)


def require(user: AnyUser, permission: str, obj: Model | None = None) -> None:
    """Raise 404 when the object is outside the user's scope, 403 when the role does not allow it."""
    if obj is not None and permissions.get(permission).scoped and not in_scope(user, obj):
        raise Http404("未找到该记录。")
    if not can(user, permission, obj):
        raise PermissionDenied("您的角色无权执行此操作。")


def get_visible_or_404(queryset: QuerySet[M], user: AnyUser, **lookup: Any) -> M:
    """Fetch one record through the policy; anything the user may not see is simply not found."""
    try:
        return visible(queryset, user).get(**lookup)
    # The stubs' plugin drops DoesNotExist from the abstract Model that bounds M; at run time
    # queryset.model is always a concrete model, which has it.
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError):  # type: ignore[attr-defined]
        raise Http404("未找到该记录。") from None


def assignable_units(user: AnyUser) -> QuerySet[OrgUnit]:
    """Units a user may file new records under: their own and those below it."""
    return scope_units(user).filter(is_active=True)


def units_below(user: AnyUser) -> QuerySet[OrgUnit]:
    """Active units strictly below the user's own (where tasks from above can go)."""
    if not reads_cases(user):
        return assignable_units(user)
    return assignable_units(user).exclude(pk=_own_unit_id(user))


def is_below(unit: OrgUnit, user: AnyUser) -> bool:
    """Whether ``unit`` is strictly below the user's own unit."""
    return reads_cases(user) and unit.pk != user.org_unit_id and unit.is_within(_own_unit(user))


def acts_for(user: AnyUser, unit_id: int | None) -> bool:
    """Whether the user works in exactly this unit (a unit's own report, its own inbox)."""
    return reads_cases(user) and unit_id is not None and user.org_unit_id == unit_id


def staff_holding(permission: str, units: QuerySet[OrgUnit] | Iterable[OrgUnit]) -> QuerySet[User]:
    """Active staff of ``units`` whose roles hold ``permission``."""
    from .models import User

    unit_ids: Any = units.values("pk") if isinstance(units, QuerySet) else [u.pk for u in units]
    roles = [r.value for r in permissions.get(permission).roles]
    return (User.objects.filter(is_active=True, org_unit__in=unit_ids, role_grants__role__in=roles)
            .select_related("org_unit").distinct().order_by("org_unit__path", "full_name", "username"))


def staff_in_subtree(unit: OrgUnit, permission: str) -> QuerySet[User]:
    """Active staff of ``unit`` or any unit below it whose roles hold ``permission``."""
    return staff_holding(permission, unit.subtree())


# --- Leadership ---------------------------------------------------------------------------------------


def _led_from_above(unit: OrgUnit) -> bool:
    return unit.kind in _kinds_led_from_above() and unit.parent_id is not None


def leading_unit(unit: OrgUnit) -> OrgUnit:
    """The unit whose supervisors lead ``unit``'s records: itself, or its district for a station."""
    if not _led_from_above(unit):
        return unit
    parent = unit.parent
    assert parent is not None  # _led_from_above() checked parent_id
    return parent


def leading_unit_id(unit: OrgUnit) -> int:
    if not _led_from_above(unit):
        return unit.pk
    assert unit.parent_id is not None  # _led_from_above() checked it
    return unit.parent_id


def leads(user: AnyUser, unit: OrgUnit, permission: str) -> bool:
    """Whether the user holds ``permission`` and sits in the unit that leads ``unit``."""
    return role_allows(user, permission) and user.org_unit_id == leading_unit_id(unit)


def leads_q(user: AnyUser, permission: str, prefix: str = "") -> Q:
    """Records (whose unit is at ``prefix + "org_unit"``) that the user leads with ``permission``;
    an empty match when the user does not hold it."""
    if not role_allows(user, permission) or not user.org_unit_id:
        return Q(pk__in=[])
    unit = user.org_unit_id
    kinds = _kinds_led_from_above()
    own = Q(**{f"{prefix}org_unit_id": unit}) & ~Q(**{f"{prefix}org_unit__kind__in": kinds})
    below = Q(**{f"{prefix}org_unit__parent_id": unit, f"{prefix}org_unit__kind__in": kinds})
    return own | below


def _kinds_led_from_above() -> tuple[str, ...]:
    from .models import OrgUnit

    return (OrgUnit.Kind.STATION.value, OrgUnit.Kind.POST.value)


def escalation_units(unit: OrgUnit) -> list[OrgUnit]:
    """Units told at once of a serious matter in ``unit`` (DOMAIN §3: the leadership and the higher
    union): the unit that leads it and the level above that. A station's own row would wait for
    a supervisor it does not have, so a station's matter goes to its district and the city."""
    lead = leading_unit(unit)
    out = [lead]
    if lead.parent_id and lead.parent is not None:
        out.append(lead.parent)
    return out
