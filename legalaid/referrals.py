"""Legal aid as a referral target (servicecenter/referrals.py): another service's record — a
petition, whatever app keeps it — becomes a legal-aid application draft, linked back by content
type and id (never a foreign key to that app). A failed mediation is referred the same way."""

from __future__ import annotations

import uuid

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils import timezone

from servicecenter import people
from servicecenter.access import require
from servicecenter.models import Person, User
from servicecenter.referrals import Referral, origin_of

from .declaration import APPLY
from .models import Application, ApplicationEvent, Matter, Mediation

# A source's category in words → our 案由 (the petition categories of DOMAIN §3); unknown: staff choose.
MATTER_WORDS = [("工资", Matter.WAGES), ("劳动报酬", Matter.WAGES), ("劳动合同", Matter.CONTRACT),
                ("社会保险", Matter.SOCIAL_INSURANCE), ("工伤", Matter.WORK_INJURY), ("职业病", Matter.WORK_INJURY),
                ("辞退", Matter.DISMISSAL), ("解除", Matter.DISMISSAL), ("工作时间", Matter.OVERTIME),
                ("加班", Matter.OVERTIME)]


def matter_from(category: str) -> str:
    return next((m for word, m in MATTER_WORDS if word in (category or "")), "")


def accepts(referral: Referral) -> bool:
    """Legal aid needs an identified applicant (ID number required)."""
    return referral.person is not None


def existing_draft(source: Model) -> Application | None:
    content_type, pk = origin_of(source)
    return Application.objects.filter(origin_type=content_type, origin_id=pk).order_by("pk").first()


def _draft(referral: Referral, person: Person, by: User) -> Application:
    from .services import _clean_details, _put_limitation, _save_new

    require(by, APPLY, referral.org_unit)
    content_type, pk = origin_of(referral.source)
    details = {"matter": matter_from(referral.category), "employer": referral.employer, "facts": referral.facts,
               "request": referral.request}
    cleaned = _clean_details(by, details, referral.org_unit, person)
    application = Application(org_unit=referral.org_unit, received_on=timezone.localdate(), received_by=by, handler=by,
                              token=uuid.uuid4(), applicant=person, origin_type=content_type, origin_id=pk,
                              origin_label=referral.label[:100], **cleaned)
    _put_limitation(application)
    people.person_link(person=person, org_unit=referral.org_unit, by=by)
    note = f"由{referral.label}转入" + (f"：{referral.note}" if referral.note else "")
    return _save_new(application, by, note=note, kind=ApplicationEvent.Kind.REFERRED)


def create_draft(referral: Referral) -> Application:
    """The draft of a referred record: the applicant, the employer and the facts carried over;
    the category detected (hardship file, 劳动模范) or left to staff."""
    assert referral.person is not None and referral.by is not None
    return _draft(referral, referral.person, referral.by)


def workers_without_application(mediation: Mediation) -> list[Person]:
    """The mediation's workers not yet referred to legal aid from it."""
    content_type = ContentType.objects.get_for_model(Mediation)
    referred = set(Application.objects.filter(origin_type=content_type, origin_id=mediation.pk)
                   .values_list("applicant_id", flat=True))
    return [p for p in mediation.workers.order_by("pk") if p.pk not in referred]


def draft_from_mediation(mediation: Mediation, worker: Person, by: User, note: str) -> Application:
    referral = Referral(source=mediation, label=f"劳动争议调解 {mediation.number}", org_unit=mediation.org_unit,
                        person=worker, employer=mediation.employer, category=mediation.get_matter_display(),
                        facts=mediation.facts or mediation.request, request=mediation.request, note=note, by=by)
    application = _draft(referral, worker, by)
    if not application.matter:
        application.matter = mediation.matter
        application.save(update_fields=["matter"])
    return application
