"""Who may see a confidential complainant's identity.

On a confidential petition (投诉、控告、举报, 严格保密) the complainant's name, ID number and phone
are shown only to the case's handler and to the supervisors leading the owning unit (the kernel's
leadership rule: a unit's own supervisors; a station is led by its district); everyone else who
can see the case gets "（保密）" — on pages, in search, in registers and in printed forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import BooleanField, ExpressionWrapper, Q

from servicecenter import access

if TYPE_CHECKING:
    from servicecenter.models import User

    from .models import Petition

MASK = "（保密）"
ANONYMOUS = "（匿名）"
# The supervisors who lead a unit's cases hold this (they acknowledge its escalations).
LEADERSHIP = "petitions.acknowledge"


def identity_q(user: User, prefix: str = "") -> Q:
    """Petitions whose complainant this user may see by name."""
    return (Q(**{f"{prefix}is_confidential": False}) | Q(**{f"{prefix}handler_id": user.pk})
            | access.leads_q(user, LEADERSHIP, prefix))


def identity_annotation(user: User) -> ExpressionWrapper:
    return ExpressionWrapper(identity_q(user), output_field=BooleanField())


def identity_visible(user: User, petition: Petition) -> bool:
    return (not petition.is_confidential or petition.handler_id == user.pk
            or access.leads(user, petition.org_unit, LEADERSHIP))


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
    employer: str = ""  # the complainant's own employer (工作单位), not the one complained about
    employer_pk: int | None = None
    known: bool = True  # False: an anonymous matter (nothing to show, nothing to hide)


def complainant(petition: Petition, user: User, *, shown: bool | None = None) -> Complainant:
    """What ``user`` may see of the complainant: the registered person, the name and phone of a
    partly identified one, "（匿名）" for an anonymous matter — or "（保密）" everywhere on a
    confidential case the user may not name (whatever its identity: the mask says nothing)."""
    if shown is None:
        shown = identity_visible(user, petition)
    if not shown:
        return Complainant(False, MASK, MASK, MASK, MASK, MASK, MASK, None, MASK)
    p = petition.person
    if p is not None:
        employer = p.employer
        return Complainant(True, p.name, p.get_sex_display(), str(p.age), p.id_number_masked, p.phone, p.address,
                           p.pk, employer.name if employer else "", employer.pk if employer else None)
    if petition.identity == petition.Identity.PARTIAL:
        return Complainant(True, petition.caller_name, "", "", "", petition.caller_phone, "", None,
                           petition.caller_employer)
    return Complainant(True, ANONYMOUS, "", "", "", "", "", None, "", known=False)
