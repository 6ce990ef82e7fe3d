"""People (职工/来访人): registration without duplicates, search, cross-unit linking, ID reveal.

Every write is a keyword-only function that checks the access policy, runs in a transaction and
leaves an audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from pypinyin import Style, lazy_pinyin

from . import audit, encryption
from .access import Action, require, visible
from .models import OrgUnit, Person, PersonLink, User
from .validators import (
    mask_resident_id,
    normalise_phone,
    normalise_resident_id,
    resident_id_birth_date,
    resident_id_sex,
    validate_resident_id,
)

PERSON_FIELDS = ("name", "phone", "address", "employer", "is_union_member", "union_card_number",
                 "is_migrant_worker", "model_worker", "jobless_certificate", "jobless_certificate_number")


class DuplicatePerson(ValidationError):
    """The ID number belongs to a person already registered; ``person`` is that person."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__({"id_number": f"该身份证号码已登记（{person.name}），请勿重复登记。"}, code="duplicate")


def name_initials(name: str) -> str:
    """Pinyin initials, ``张三`` → ``zs``; Latin letters are kept, other characters dropped."""
    # Characters without pinyin come back one by one (pypinyin takes a list from the callback; its
    # stubs allow only a str), so a stray symbol between letters does not drop them with it.
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER,
                          errors=lambda chars: list(chars))  # type: ignore[arg-type,return-value]
    return "".join(x for x in letters if x.isalnum()).lower()[:50]


def identity_fields(id_number: str) -> dict[str, Any]:
    """The stored columns derived from a validated ID number."""
    return {
        "id_number_encrypted": encryption.encrypt(id_number),
        "id_number_hash": encryption.lookup_hash(id_number),
        "id_number_masked": mask_resident_id(id_number),
        "sex": resident_id_sex(id_number),
        "birth_date": resident_id_birth_date(id_number),
    }


def person_by_id_number(id_number: str) -> Person | None:
    """Exact lookup across the whole system (no scope); callers decide what to show of the result."""
    number = normalise_resident_id(id_number)
    return Person.objects.select_related("org_unit").filter(id_number_hash=encryption.lookup_hash(number)).first()


@transaction.atomic
def person_create(*, by: User, org_unit: OrgUnit, id_number: str, **data: Any) -> Person:
    require(by, Action.CHANGE, org_unit)
    number = validate_resident_id(id_number)
    existing = person_by_id_number(number)
    if existing is not None:
        raise DuplicatePerson(existing)
    person = Person(org_unit=org_unit, created_by=by, **identity_fields(number), **_clean(data))
    person.name_initials = name_initials(person.name)
    person.full_clean(exclude=["id_number_encrypted", "id_number_hash", "id_number_masked", "sex", "birth_date",
                               "name_initials"])
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two clerks registering the same person at the same moment: the second finds the first.
        existing = person_by_id_number(number)
        if existing is None:  # not that race: some other constraint failed
            raise
        raise DuplicatePerson(existing) from None
    audit.record(audit.Event.CREATE, user=by, target=person)
    return person


@transaction.atomic
def person_update(*, by: User, person: Person, **data: Any) -> Person:
    require(by, Action.CHANGE, person)
    changed = []
    for name, value in _clean(data).items():
        if getattr(person, name) != value:
            setattr(person, name, value)
            changed.append(name)
    if "name" in changed:
        person.name_initials = name_initials(person.name)
        changed.append("name_initials")
    if changed:
        person.full_clean(exclude=["id_number_encrypted", "id_number_hash", "id_number_masked", "sex", "birth_date",
                                   "name_initials"])
        person.save(update_fields=[*changed, "updated_at"])
    return person


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")
    out = dict(data)
    if "phone" in out:
        out["phone"] = normalise_phone(out["phone"])
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
    return out


@dataclass(frozen=True)
class ForeignPerson:
    """What a clerk may learn of a person registered outside their scope from an exact ID lookup."""

    pk: int
    name: str
    id_number_masked: str
    registering_unit: str


def person_lookup(*, by: User, id_number: str) -> Person | ForeignPerson | None:
    """Find a person by full ID number. In scope: the person. Elsewhere: only name, masked ID and
    registering unit, so the clerk can attach them instead of registering a duplicate."""
    require(by, Action.VIEW)
    person = person_by_id_number(id_number)
    if person is None:
        return None
    if visible(Person.objects.filter(pk=person.pk), by).exists():
        return person
    return ForeignPerson(person.pk, person.name, person.id_number_masked, person.org_unit.name)


@transaction.atomic
def person_attach(*, by: User, id_number: str, org_unit: OrgUnit) -> Person:
    """Make a person registered elsewhere visible in ``org_unit`` (audited). The full ID number is
    required again, so a clerk cannot attach people by guessing record numbers."""
    require(by, Action.CHANGE, org_unit)
    number = validate_resident_id(id_number)
    person = person_by_id_number(number)
    if person is None:
        raise ValidationError({"id_number": "未找到该身份证号码对应的人员。"})
    _, created = PersonLink.objects.get_or_create(person=person, org_unit=org_unit, defaults={"created_by": by})
    if created:
        audit.record(audit.Event.ATTACH, user=by, target=person, detail=f"关联到{org_unit.name}")
    return person


def person_link(*, person: Person, org_unit: OrgUnit, by: User | None = None) -> None:
    """Called by apps when they file a record about ``person`` in ``org_unit``."""
    # Whoever sees ``org_unit`` already sees people registered below it; others need the link.
    if not person.org_unit.is_within(org_unit):
        PersonLink.objects.get_or_create(person=person, org_unit=org_unit, defaults={"created_by": by})


def person_reveal_id(*, by: User, person: Person, request: HttpRequest | None = None) -> str:
    """The full ID number, for roles that need it; every reveal is audited."""
    require(by, Action.REVEAL, person)
    audit.record(audit.Event.REVEAL, user=by, request=request, target=person, detail="身份证号码")
    return person.id_number


def person_search(queryset: QuerySet[Person], text: str) -> QuerySet[Person]:
    """Name, pinyin initials, phone or full ID number, whichever the text looks like."""
    text = (text or "").strip()
    if not text:
        return queryset
    compact = normalise_resident_id(text)
    if len(compact) == 18 and compact[:17].isdigit():
        return queryset.filter(id_number_hash=encryption.lookup_hash(compact))
    digits = normalise_phone(text)
    if digits.replace("-", "").isdigit():
        return queryset.filter(phone__startswith=digits)
    if text.isascii() and text.isalpha():
        return queryset.filter(name_initials__startswith=text.lower())
    return queryset.filter(name__contains=text)
