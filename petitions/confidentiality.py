"""Who leads a unit, and who may see a confidential complainant's identity.

On a confidential petition (投诉、控告、举报, 严格保密) the complainant's name, ID number and phone
are shown only to the case's handler and to the owning unit's supervisors; everyone else who can
see the case gets "（保密）" — on pages, in search, in registers and in printed forms.

Stations and posts have no supervisors of their own: a station is led by its district center. So
"the owning unit's supervisors" are the supervisors sitting in the owning unit, or, for a station
or post, in its parent unit. The same rule decides whose inbox a group or urgent petition goes to
(the leadership plus the level above it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q

from servicecenter.access import Action, role_allows
from servicecenter.models import OrgUnit

MASK = "（保密）"
LED_FROM_ABOVE = (OrgUnit.Kind.STATION, OrgUnit.Kind.POST)


def leadership_units(unit: OrgUnit) -> list[OrgUnit]:
    """The unit whose supervisors lead ``unit``'s cases: the unit itself, plus its parent for a
    station or post."""
    out = [unit]
    if unit.kind in LED_FROM_ABOVE and unit.parent_id:
        out.append(unit.parent)
    return out


def escalation_units(unit: OrgUnit) -> list[OrgUnit]:
    """Units told at once of a group or urgent petition owned by ``unit``: its leadership and the
    level above that (a station's case reaches the station, its district and the city)."""
    out = leadership_units(unit)
    top = out[-1]
    if top.parent_id:
        out.append(top.parent)
    return out


def leads_q(user: Any, prefix: str = "") -> Q:
    """Petitions whose owning unit this supervisor leads (an empty match for other roles)."""
    if not role_allows(user, Action.APPROVE) or not user.org_unit_id:
        return Q(pk__in=[])
    unit = user.org_unit_id
    return Q(**{f"{prefix}org_unit_id": unit}) | Q(**{f"{prefix}org_unit__parent_id": unit,
                                                        f"{prefix}org_unit__kind__in": LED_FROM_ABOVE})


def identity_q(user: Any, prefix: str = "") -> Q:
    """Petitions whose complainant this user may see by name."""
    return Q(**{f"{prefix}is_confidential": False}) | Q(**{f"{prefix}handler_id": user.pk}) | leads_q(user, prefix)


def identity_annotation(user: Any) -> ExpressionWrapper:
    return ExpressionWrapper(identity_q(user), output_field=BooleanField())


def leads(user: Any, petition: Any) -> bool:
    if not role_allows(user, Action.APPROVE) or not user.org_unit_id:
        return False
    unit = petition.org_unit
    return unit.pk == user.org_unit_id or (unit.kind in LED_FROM_ABOVE and unit.parent_id == user.org_unit_id)


def identity_visible(user: Any, petition: Any) -> bool:
    return not petition.is_confidential or petition.handler_id == user.pk or leads(user, petition)


@dataclass(frozen=True)
class Complainant:
    """What a page or form may show of the complainant."""

    shown: bool
    name: str
    sex: str
    age: str
    id_number: str
    phone: str
    address: str
    person_pk: int | None


def complainant(petition: Any, user: Any, *, shown: bool | None = None) -> Complainant:
    if shown is None:
        shown = identity_visible(user, petition)
    if not shown:
        return Complainant(False, MASK, MASK, MASK, MASK, MASK, MASK, None)
    p = petition.person
    return Complainant(True, p.name, p.get_sex_display(), str(p.age), p.id_number_masked, p.phone, p.address, p.pk)
