"""Employers (用人单位): one row per unified social credit code; registration, update, search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from . import audit
from .access import Action, require, visible
from .models import Employer, EmployerLink, OrgUnit, User
from .validators import normalise_phone, normalise_uscc, validate_uscc

EMPLOYER_FIELDS = ("name", "legal_representative", "address", "contact_person", "contact_phone", "industry",
                   "union_status")


class DuplicateEmployer(ValidationError):
    def __init__(self, employer: Employer) -> None:
        self.employer = employer
        super().__init__({"credit_code": f"该统一社会信用代码已登记（{employer.name}），请勿重复登记。"},
                         code="duplicate")


@dataclass(frozen=True)
class ForeignEmployer:
    pk: int
    name: str
    registering_unit: str


def employer_by_code(code: str) -> Employer | None:
    return Employer.objects.select_related("org_unit").filter(credit_code=normalise_uscc(code)).first()


@transaction.atomic
def employer_create(*, by: User, org_unit: OrgUnit, credit_code: str, **data: Any) -> Employer:
    require(by, Action.CHANGE, org_unit)
    code = validate_uscc(credit_code)
    existing = employer_by_code(code)
    if existing is not None:
        raise DuplicateEmployer(existing)
    employer = Employer(org_unit=org_unit, created_by=by, credit_code=code, **_clean(data))
    employer.full_clean()
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError:
        existing = employer_by_code(code)
        if existing is None:  # not a concurrent registration of the same code: some other constraint
            raise
        raise DuplicateEmployer(existing) from None
    audit.record(audit.Event.CREATE, user=by, target=employer)
    return employer


@transaction.atomic
def employer_update(*, by: User, employer: Employer, **data: Any) -> Employer:
    require(by, Action.CHANGE, employer)
    changed = []
    for name, value in _clean(data).items():
        if getattr(employer, name) != value:
            setattr(employer, name, value)
            changed.append(name)
    if changed:
        employer.full_clean()
        employer.save(update_fields=[*changed, "updated_at"])
    return employer


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EMPLOYER_FIELDS)
    if unknown:
        raise TypeError(f"unknown employer fields: {sorted(unknown)}")
    out = dict(data)
    if "contact_phone" in out:
        out["contact_phone"] = normalise_phone(out["contact_phone"])
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
    return out


def employer_lookup(*, by: User, credit_code: str) -> Employer | ForeignEmployer | None:
    require(by, Action.VIEW)
    employer = employer_by_code(credit_code)
    if employer is None:
        return None
    if visible(Employer.objects.filter(pk=employer.pk), by).exists():
        return employer
    return ForeignEmployer(employer.pk, employer.name, employer.org_unit.name)


@transaction.atomic
def employer_attach(*, by: User, credit_code: str, org_unit: OrgUnit) -> Employer:
    require(by, Action.CHANGE, org_unit)
    employer = employer_by_code(validate_uscc(credit_code))
    if employer is None:
        raise ValidationError({"credit_code": "未找到该统一社会信用代码对应的单位。"})
    _, created = EmployerLink.objects.get_or_create(employer=employer, org_unit=org_unit,
                                                    defaults={"created_by": by})
    if created:
        audit.record(audit.Event.ATTACH, user=by, target=employer, detail=f"关联到{org_unit.name}")
    return employer


def employer_link(*, employer: Employer, org_unit: OrgUnit, by: User | None = None) -> None:
    if not employer.org_unit.is_within(org_unit):
        EmployerLink.objects.get_or_create(employer=employer, org_unit=org_unit, defaults={"created_by": by})


def employer_search(queryset: QuerySet[Employer], text: str) -> QuerySet[Employer]:
    text = (text or "").strip()
    if not text:
        return queryset
    code = normalise_uscc(text)
    if len(code) == 18 and code[:8].isdigit():
        return queryset.filter(credit_code=code)
    return queryset.filter(Q(name__contains=text) | Q(credit_code__startswith=code))
