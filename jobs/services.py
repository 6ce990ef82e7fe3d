"""Every change to 就业援助 records: one keyword-only function per step, atomic, checked against the
tables in ``workflow.py`` (``FLOW.begin`` first, ``FLOW.advance`` last). Bad input raises a
Chinese ``ValidationError`` at the field and changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from servicecenter import audit, clocks, registry, timeline
from servicecenter.access import require, visible
from servicecenter.attachments import attachment_add
from servicecenter.employers import employer_link
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.people import person_link, person_update
from servicecenter.validators import validate_phone

from . import wording
from .models import (
    Course,
    Education,
    EmploymentType,
    Enrolment,
    FairAttendee,
    JobFair,
    Occupation,
    Paper,
    Posting,
    Recruiter,
    Referral,
    Seeker,
    Skill,
    open_q,
)
from .selectors import FOLLOW_UP_CLOCK
from .skills import names
from .wages import check_wage_range, minimum_wage
from .workflow import (
    COURSE_FLOW,
    ENROLMENT_FLOW,
    FAIR_FLOW,
    MANAGE,
    POSTING_FLOW,
    RECRUITER_FLOW,
    REFERRAL_FLOW,
    SEEKER_FLOW,
    SEEKERS,
    TRAIN,
)

CENT = Decimal("0.01")
MIN_WORKING_AGE = 16  # 劳动法第十五条: 禁止用人单位招用未满十六周岁的未成年人


def _today() -> datetime.date:
    return timezone.localdate()


def _unit_of(by: User) -> OrgUnit:
    """The acting user's unit (every case role has one; ``require`` has refused anyone else)."""
    if by.org_unit is None:
        raise PermissionDenied("您不属于任何单位，不能办理。")
    return by.org_unit


def _fail(message: str, field: str | None = None, code: str = "invalid") -> None:
    raise ValidationError({field: message} if field else message, code=code)


def _required(value: Any, field: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        _fail(f"请填写{label}。", field)
    return text


def _raise_all(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


def _label(model: Any, name: str) -> str:
    return str(getattr(model._meta.get_field(name), "verbose_name", name))


def _event(obj: Any, kind: str, label: str, by: User, note: str = "", **audit_kw: Any) -> None:
    timeline.record(obj.events, kind, label=label, by=by, note=note, **audit_kw)


# --- recruiting employers ----------------------------------------------------------------------------


@transaction.atomic
def recruiter_register(*, by: User, employer: Employer, contact_person: str, contact_phone: str,
                       note: str = "") -> Recruiter:
    """用工单位登记: the core employer, with who recruits for it. Its papers follow."""
    if not visible(Employer.objects.filter(pk=employer.pk), by).exists():
        _fail("请选择本单位可见的用人单位。", "employer")
    require(by, MANAGE, employer)
    unit = _unit_of(by)
    existing = Recruiter.objects.filter(employer=employer).select_related("org_unit").first()
    if existing is not None:
        _fail(f"该单位已由{existing.org_unit}登记为用工单位。", "employer")
    contact_person = _required(contact_person, "contact_person", "招聘联系人")
    try:
        contact_phone = validate_phone(contact_phone)
    except ValidationError as exc:
        raise ValidationError({"contact_phone": exc.messages}) from None
    try:
        with transaction.atomic():
            recruiter = Recruiter.objects.create(employer=employer, org_unit=unit, contact_person=contact_person[:50],
                                                 contact_phone=contact_phone, note=(note or "").strip()[:200],
                                                 created_by=by)
    except IntegrityError:
        _fail("该单位已登记为用工单位。", "employer")
    employer_link(employer=employer, org_unit=unit, by=by)
    _event(recruiter, "register", "用工单位登记", by, audit_event=audit.Event.CREATE)
    return recruiter


@transaction.atomic
def recruiter_update(*, recruiter: Recruiter, by: User, contact_person: str, contact_phone: str,
                     note: str = "") -> Recruiter:
    step = RECRUITER_FLOW.begin(recruiter, by, "edit")
    recruiter.contact_person = _required(contact_person, "contact_person", "招聘联系人")[:50]
    try:
        recruiter.contact_phone = validate_phone(contact_phone)
    except ValidationError as exc:
        raise ValidationError({"contact_phone": exc.messages}) from None
    recruiter.note = (note or "").strip()[:200]
    RECRUITER_FLOW.advance(recruiter, by, step, update_fields=["contact_person", "contact_phone", "note"])
    return recruiter


@transaction.atomic
def recruiter_add_paper(*, recruiter: Recruiter, by: User, kind: str, upload: Any,
                        valid_until: datetime.date | None = None) -> Paper:
    """One of the papers (营业执照, 法定代表人身份证复印件, 授权委托书) as a scanned copy."""
    step = RECRUITER_FLOW.begin(recruiter, by, "add_paper")
    if kind not in Paper.Kind.values:
        _fail("请选择证件种类。", "kind")
    if upload is None:
        _fail("请选择证件扫描件或照片。", "file")
    if valid_until is not None and valid_until < _today():
        _fail("证件已过有效期，请上传有效的证件。", "valid_until")
    label = Paper.Kind(kind).label
    try:
        attachment = attachment_add(by=by, owner=recruiter, upload=upload, description=label, permission=MANAGE)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    paper = Paper.objects.create(recruiter=recruiter, kind=kind, attachment=attachment, valid_until=valid_until,
                                 added_by=by, added_at=timezone.now())
    RECRUITER_FLOW.advance(recruiter, by, step, note=label, audit_detail=kind)
    return paper


@transaction.atomic
def recruiter_verify(*, recruiter: Recruiter, by: User, verified_on: datetime.date | None) -> Recruiter:
    """核验: staff compared the copies with the originals on ``verified_on``; from then on the
    employer may publish postings."""
    step = RECRUITER_FLOW.begin(recruiter, by, "verify")
    if verified_on is None:
        _fail("请填写核验日期。", "verified_on")
    assert verified_on is not None
    if verified_on > _today():
        _fail("核验日期不能晚于今天。", "verified_on")
    first = recruiter.papers.order_by("added_at").values_list("added_at", flat=True).first()
    if first is not None and verified_on < timezone.localdate(first):
        _fail(f"核验日期不能早于证件上传日期（{timezone.localdate(first):%Y-%m-%d}）。", "verified_on")
    recruiter.verified_on, recruiter.verified_by = verified_on, by
    RECRUITER_FLOW.advance(recruiter, by, step, update_fields=["verified_on", "verified_by"],
                           note=f"核验日期 {verified_on:%Y-%m-%d}", new={"verified_on": str(verified_on)})
    return recruiter


@transaction.atomic
def recruiter_suspend(*, recruiter: Recruiter, by: User, reason: str) -> Recruiter:
    """暂停: papers expired or the employer is under investigation; its postings leave matching."""
    step = RECRUITER_FLOW.begin(recruiter, by, "suspend")
    reason = _required(reason, "reason", "暂停理由")
    RECRUITER_FLOW.advance(recruiter, by, step, note=reason)
    return recruiter


# --- postings ----------------------------------------------------------------------------------------

POSTING_FIELDS = ("title", "occupation", "openings", "education_min", "age_min", "age_max", "skills",
                  "requirements", "employment_type", "wage_min", "wage_max", "area", "address", "contact_person",
                  "contact_phone", "valid_from", "valid_to", "for_vulnerable")


def _lawful(errors: dict[str, str], field: str, text: str) -> None:
    message = wording.refusal(text)
    if message:
        errors.setdefault(field, message)


def _check_posting(data: dict[str, Any], user: User) -> dict[str, Any]:
    """Validate a posting's fields; every problem at its field at once."""
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写岗位名称。"
    _lawful(errors, "title", title)
    requirements = (data.get("requirements") or "").strip()
    _lawful(errors, "requirements", requirements)
    if not isinstance(data.get("occupation"), Occupation):
        errors["occupation"] = "请选择工种。"
    openings = data.get("openings")
    if not openings or openings < 1:
        errors["openings"] = "招聘人数至少为1。"
    if data.get("education_min") not in Education.values:
        errors["education_min"] = "请选择学历要求。"
    age_min, age_max = data.get("age_min"), data.get("age_max")
    if age_min is not None and age_min < MIN_WORKING_AGE:
        errors["age_min"] = f"不得招用未满{MIN_WORKING_AGE}周岁的人员（《劳动法》第十五条）。"
    if age_min is not None and age_max is not None and age_max < age_min:
        errors["age_max"] = f"年龄上限（{age_max}）不能低于下限（{age_min}）。"
    if data.get("employment_type") not in EmploymentType.values:
        errors["employment_type"] = "请选择用工形式。"
    area = data.get("area")
    if not isinstance(area, OrgUnit) or area.kind not in AREA_KINDS:
        errors["area"] = "请选择工作区域。"
        area = None
    elif not area.is_active:
        errors["area"] = "该区域已停用。"
    if not (data.get("address") or "").strip():
        errors["address"] = "请填写工作地点。"
    if not (data.get("contact_person") or "").strip():
        errors["contact_person"] = "请填写联系人。"
    try:
        data["contact_phone"] = validate_phone(data.get("contact_phone") or "")
    except ValidationError as exc:
        errors["contact_phone"] = exc.messages[0]
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if valid_from is None:
        errors["valid_from"] = "请填写有效期开始日期。"
    if valid_to is None:
        errors["valid_to"] = "请填写有效期截止日期。"
    elif valid_from is not None and valid_to < valid_from:
        errors["valid_to"] = f"有效期截止日（{valid_to:%Y-%m-%d}）不能早于开始日（{valid_from:%Y-%m-%d}）。"
    if "employment_type" not in errors:
        try:
            check_wage_range(wage_min=data.get("wage_min"), wage_max=data.get("wage_max"), area=area,
                             on=valid_from, employment_type=data["employment_type"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, messages[0])
    for field in ("wage_min", "wage_max"):
        value = data.get(field)
        if value is not None and value <= 0 and field not in errors:
            errors[field] = "工资应大于0。"
    _raise_all(errors)
    data["title"], data["requirements"] = title[:100], requirements
    data["address"] = data["address"].strip()[:200]
    data["contact_person"] = data["contact_person"].strip()[:50]
    return data


AREA_KINDS = (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.STATION, OrgUnit.Kind.POST)


def _apply_posting(posting: Posting, data: dict[str, Any]) -> list[str]:
    changed = []
    for name in POSTING_FIELDS:
        if name == "skills" or name not in data:
            continue
        value = data[name]
        field = Posting._meta.get_field(name)
        # Foreign keys by id: a new posting has no related object to read yet.
        current = getattr(posting, getattr(field, "attname", name), None)
        if current != (value.pk if field.is_relation and value is not None else value):
            setattr(posting, name, value)
            changed.append(name)
    return changed


def _set_skills(obj: Posting | Seeker, skills: Iterable[Skill] | None) -> bool:
    if skills is None:
        return False
    chosen: list[Skill] = list(skills)
    before = set(obj.skills.values_list("pk", flat=True))
    if before == {k.pk for k in chosen}:
        return False
    obj.skills.set(chosen)
    in_order = sorted(chosen, key=lambda k: (k.order, k.pk))  # the list's order
    obj.skill_names = names(in_order)[:300]
    obj.save(update_fields=["skill_names"])
    return True


@transaction.atomic
def posting_create(*, by: User, recruiter: Recruiter, publish: bool = False, **data: Any) -> Posting:
    """岗位登记 (a draft); ``publish`` publishes it at once when the employer is verified."""
    require(by, MANAGE, recruiter)
    unknown = set(data) - set(POSTING_FIELDS)
    if unknown:
        raise TypeError(f"unknown posting fields: {sorted(unknown)}")
    data = _check_posting(dict(data), by)
    skills = data.pop("skills", None) or []
    today = _today()
    posting = Posting(recruiter=recruiter, org_unit=recruiter.org_unit, created_by=by,
                      number=case_number("GW", recruiter.org_unit, today.year))
    _apply_posting(posting, data)
    posting.save()
    _set_skills(posting, skills)
    _event(posting, "create", "岗位登记", by, audit_event=audit.Event.CREATE)
    if publish:
        posting_publish(posting=posting, by=by)
    return posting


@transaction.atomic
def posting_update(*, posting: Posting, by: User, **data: Any) -> Posting:
    step = POSTING_FLOW.begin(posting, by, "edit")
    data = _check_posting(dict(data), by)
    skills = data.pop("skills", None)
    changed = _apply_posting(posting, data)
    if _set_skills(posting, skills):
        changed.append("skills")
    posting.wording_ok = True
    POSTING_FLOW.advance(posting, by, step, update_fields=[c for c in changed if c != "skills"] + ["wording_ok"],
                         note="修改：" + "、".join(_label(Posting, c) for c in changed)
                         if changed else "未改动", audit_detail=",".join(changed))
    return posting


def _recheck(posting: Posting) -> None:
    """At publication and renewal, the rules as they are today: the wording (the checker's tables
    may have grown) and the minimum wage (a new standard may apply)."""
    errors: dict[str, str] = {}
    _lawful(errors, "title", posting.title)
    _lawful(errors, "requirements", posting.requirements)
    if errors:
        _fail("岗位措辞不合法，请先修改：" + "".join(errors.values()), code="unlawful")
    floor = minimum_wage(posting.area, max(posting.valid_from, _today()), posting.employment_type)
    if posting.wage_min < floor.amount:
        _fail(f"工资下限{posting.wage_min:.2f}{floor.unit}低于现行{floor.describe()}，请先修改工资。", code="min_wage")


@transaction.atomic
def posting_publish(*, posting: Posting, by: User) -> Posting:
    step = POSTING_FLOW.begin(posting, by, "publish")
    _recheck(posting)
    posting.published_on = _today()
    POSTING_FLOW.advance(posting, by, step, update_fields=["published_on"])
    return posting


@transaction.atomic
def posting_fill(*, posting: Posting, by: User, note: str = "") -> Posting:
    step = POSTING_FLOW.begin(posting, by, "fill")
    POSTING_FLOW.advance(posting, by, step, note=(note or "").strip())
    return posting


@transaction.atomic
def posting_close(*, posting: Posting, by: User, reason: str) -> Posting:
    """停止招聘 before the end date (the employer withdrew the offer)."""
    step = POSTING_FLOW.begin(posting, by, "close")
    reason = _required(reason, "reason", "停止招聘原因")
    POSTING_FLOW.advance(posting, by, step, note=reason)
    return posting


@transaction.atomic
def posting_renew(*, posting: Posting, by: User, valid_to: datetime.date | None) -> Posting:
    """续期: open again until ``valid_to`` (a filled posting reopens: someone left)."""
    step = POSTING_FLOW.begin(posting, by, "renew")
    if valid_to is None:
        _fail("请填写新的有效期截止日。", "valid_to")
    assert valid_to is not None
    if valid_to < _today():
        _fail("有效期截止日不能早于今天。", "valid_to")
    _recheck(posting)
    before = posting.valid_to
    posting.valid_to = valid_to
    if posting.published_on is None:
        posting.published_on = _today()
    POSTING_FLOW.advance(posting, by, step, update_fields=["valid_to", "published_on"],
                         note=f"有效期延至{valid_to:%Y-%m-%d}", old={"valid_to": str(before)},
                         new={"valid_to": str(valid_to)})
    return posting


def posting_check_wording(*, postings: Iterable[Posting] | None = None) -> list[Posting]:
    """Check open and draft postings against the checker as it is now (after its tables changed):
    those that fail leave matching (``wording_ok``) until someone edits them. Returns them."""
    qs = postings if postings is not None else Posting.objects.filter(
        status__in=[Posting.Status.DRAFT, Posting.Status.OPEN])
    failed = []
    for posting in qs:
        ok = not wording.check(posting.title) and not wording.check(posting.requirements)
        if ok != posting.wording_ok:
            Posting.objects.filter(pk=posting.pk).update(wording_ok=ok)
        if not ok:
            failed.append(posting)
    return failed


# --- job seekers --------------------------------------------------------------------------------------

SEEKER_FIELDS = ("education", "skills", "diploma", "titles", "desired_occupation", "desired_area", "employment_type",
                 "desired_monthly_wage", "desired_hourly_wage", "available_from", "availability",
                 "certificate_issuer")


def _check_seeker(data: dict[str, Any], person: Person) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if data.get("education") not in Education.values or data.get("education") == Education.NONE:
        errors["education"] = "请选择文化程度。"
    if data.get("employment_type") not in Seeker.Preference.values:
        errors["employment_type"] = "请选择用工形式。"
    for field, label in (("desired_monthly_wage", "期望月工资"), ("desired_hourly_wage", "期望小时工资")):
        value = data.get(field)
        if value is not None and value <= 0:
            errors[field] = f"{label}应大于0（不填表示不限）。"
    area = data.get("desired_area")
    if area is not None and area.kind not in AREA_KINDS:
        errors["desired_area"] = "请选择地区（市、区县或街道）。"
    kind = data.get("certificate", person.jobless_certificate)
    number = (data.get("certificate_number", person.jobless_certificate_number) or "").strip()
    if kind and not number:
        errors["certificate_number"] = "请填写下岗证/失业证号码。"
    if kind and not (data.get("certificate_issuer") or "").strip():
        errors["certificate_issuer"] = "请填写发证机关。"
    if not kind and number:
        errors["certificate"] = "填写了证件号码，请选择证件种类。"
    _raise_all(errors)
    data["certificate_issuer"] = (data.get("certificate_issuer") or "").strip()[:100] if kind else ""
    for text in ("diploma", "titles", "availability"):
        if text in data:
            data[text] = (data[text] or "").strip()
    return data


def _set_certificate(person: Person, by: User, data: dict[str, Any]) -> None:
    """The layoff / unemployment certificate is the person's (the core keeps it); the seeker form
    records it there, through the core's service (audited)."""
    kind = data.pop("certificate", None)
    number = data.pop("certificate_number", None)
    if kind is None and number is None:
        return
    update = {"jobless_certificate": kind or "", "jobless_certificate_number": (number or "").strip() if kind else ""}
    if any(getattr(person, k) != v for k, v in update.items()):
        person_update(by=by, person=person, **update)


@transaction.atomic
def seeker_register(*, by: User, person: Person, org_unit: OrgUnit | None = None, **data: Any) -> Seeker:
    """求职登记: a person in the user's scope, with what they can do and what they look for."""
    unit = org_unit or _unit_of(by)
    require(by, SEEKERS, unit)
    if not visible(Person.objects.filter(pk=person.pk), by).exists():
        _fail("请选择本单位可见的职工（他处登记的职工请先按身份证号关联）。", "person")
    existing = Seeker.objects.filter(person=person).select_related("org_unit").first()
    if existing is not None:
        if visible(Seeker.objects.filter(pk=existing.pk), by).exists():
            _fail(f"{person.name}已有求职登记（{existing.number}，{existing.get_status_display()}）。", "person")
        # Registered by a unit outside the user's scope: say where, as the core does for a person.
        _fail(f"{person.name}已在{existing.org_unit}做求职登记，请与该单位联系。", "person")
    unknown = set(data) - set(SEEKER_FIELDS) - {"certificate", "certificate_number"}
    if unknown:
        raise TypeError(f"unknown seeker fields: {sorted(unknown)}")
    data = _check_seeker(dict(data), person)
    _set_certificate(person, by, data)
    skills = data.pop("skills", None) or []
    today = _today()
    seeker = Seeker(person=person, org_unit=unit, created_by=by, registered_on=today,
                    number=case_number("QZ", unit, today.year), **data)
    try:
        with transaction.atomic():
            seeker.save()
    except IntegrityError:
        _fail(f"{person.name}已有求职登记。", "person")
    _set_skills(seeker, skills)
    person_link(person=person, org_unit=unit, by=by)
    _event(seeker, "register", "求职登记", by, audit_event=audit.Event.CREATE)
    return seeker


@transaction.atomic
def seeker_update(*, seeker: Seeker, by: User, **data: Any) -> Seeker:
    step = SEEKER_FLOW.begin(seeker, by, "edit")
    data = _check_seeker(dict(data), seeker.person)
    _set_certificate(seeker.person, by, data)
    skills = data.pop("skills", None)
    changed = [k for k, v in data.items() if getattr(seeker, k) != v]
    for k in changed:
        setattr(seeker, k, data[k])
    if _set_skills(seeker, skills):
        changed.append("skills")
    SEEKER_FLOW.advance(seeker, by, step, update_fields=[c for c in changed if c != "skills"],
                        note="修改：" + "、".join(_label(Seeker, c) for c in changed)
                        if changed else "未改动", audit_detail=",".join(changed))
    return seeker


@transaction.atomic
def seeker_set_photo(*, seeker: Seeker, by: User, upload: Any) -> Seeker:
    """The one photo the 求职登记表 asks for (JPEG or PNG)."""
    step = SEEKER_FLOW.begin(seeker, by, "photo")
    if upload is None:
        _fail("请选择照片。", "file")
    try:
        attachment = attachment_add(by=by, owner=seeker, upload=upload, description="照片", permission=SEEKERS)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    if not attachment.mime_type.startswith("image/"):
        _fail("照片须为 JPEG 或 PNG 图片。", "file")
    seeker.photo = attachment
    SEEKER_FLOW.advance(seeker, by, step, update_fields=["photo"], note=attachment.original_name)
    return seeker


@transaction.atomic
def seeker_withdraw(*, seeker: Seeker, by: User, reason: str) -> Seeker:
    step = SEEKER_FLOW.begin(seeker, by, "withdraw")
    reason = _required(reason, "reason", "撤销原因")
    SEEKER_FLOW.advance(seeker, by, step, note=reason)
    return seeker


@transaction.atomic
def seeker_resume(*, seeker: Seeker, by: User, note: str = "") -> Seeker:
    step = SEEKER_FLOW.begin(seeker, by, "resume")
    SEEKER_FLOW.advance(seeker, by, step, note=(note or "").strip())
    return seeker


# --- referrals ---------------------------------------------------------------------------------------


def _current_full_time(seeker: Seeker, exclude: int | None = None) -> Referral | None:
    qs = Referral.objects.filter(seeker=seeker, status=Referral.Status.HIRED, employment_type=EmploymentType.FULL_TIME,
                                 left_on__isnull=True).select_related("posting__recruiter__employer")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def flags_of(posting: Posting) -> list[dict[str, str]]:
    """The employer's flags (欠薪 …) from every installed app, as stored on a referral."""
    flags = registry.employer_flags([posting.recruiter.employer_id]).get(posting.recruiter.employer_id, [])
    return [{"label": f.label, "detail": f.detail, "app": f.app} for f in flags]


@transaction.atomic
def referral_create(*, by: User, seeker: Seeker, posting: Posting | None, note: str = "",
                    fair: JobFair | None = None) -> Referral:
    """推荐: free for everyone (DOMAIN §6). The employer's flags at this moment are kept on the
    referral; the letter (介绍信) is its printed form."""
    step = SEEKER_FLOW.begin(seeker, by, "refer")
    fair_step = FAIR_FLOW.begin(fair, by, "refer") if fair is not None else None
    if posting is None or not visible(Posting.objects.filter(pk=posting.pk), by).exists():
        _fail("请选择岗位。", "posting")
    assert posting is not None
    posting = Posting.objects.select_related("recruiter__employer", "org_unit").get(pk=posting.pk)
    today = _today()
    if not Posting.objects.filter(open_q(today), pk=posting.pk).exists():
        _fail(f"岗位“{posting.title}”{posting.get_state_display()}，不能推荐。", "posting")
    if not posting.recruiter.is_verified:
        _fail(f"{posting.recruiter}的证件{posting.recruiter.get_status_display()}，不能推荐。", "posting")
    if not posting.wording_ok:
        _fail("该岗位措辞未通过合法性审查，不能推荐。", "posting")
    if fair is not None and not fair.postings.filter(pk=posting.pk).exists():
        _fail("该岗位未参加本次洽谈会。", "posting")
    open_one = Referral.objects.filter(seeker=seeker, posting=posting, status__in=Referral.AWAITING).first()
    if open_one is not None:
        _fail(f"已推荐过该岗位（{open_one.number}），尚待单位反馈。", "posting")
    unit = _unit_of(by)
    referral = Referral(number=case_number("TJ", unit, today.year), org_unit=unit, seeker=seeker, posting=posting,
                        fair=fair, referred_on=today, referred_by=by, note=(note or "").strip()[:200],
                        flags=flags_of(posting), employment_type=posting.employment_type)
    try:
        with transaction.atomic():
            referral.save()
    except IntegrityError:
        _fail("已推荐过该岗位，尚待单位反馈。", "posting")
    employer_link(employer=posting.recruiter.employer, org_unit=unit, by=by)
    flags = "；".join(f"{f['label']}：{f['detail']}" for f in referral.flags)
    _event(referral, "create", "推荐", by, note=f"推荐至{posting.recruiter}“{posting.title}”" + (f"（提示：{flags}）" if flags else ""),
           audit_event=audit.Event.CREATE)
    SEEKER_FLOW.advance(seeker, by, step, note=f"{referral.number} 推荐至{posting.recruiter}“{posting.title}”",
                        audit_detail=referral.number)
    if fair is not None and fair_step is not None:
        FAIR_FLOW.advance(fair, by, fair_step, note=f"{referral.number} 现场推荐", audit_detail=referral.number)
    return referral


def _outcome_date(value: datetime.date | None, referral: Referral, field: str, label: str) -> datetime.date:
    if value is None:
        _fail(f"请填写{label}。", field)
    assert value is not None
    if value > _today():
        _fail(f"{label}不能晚于今天。", field)
    if value < referral.referred_on:
        _fail(f"{label}不能早于推荐日期（{referral.referred_on:%Y-%m-%d}）。", field)
    return value


@transaction.atomic
def referral_interview(*, referral: Referral, by: User, interviewed_on: datetime.date | None,
                       note: str = "") -> Referral:
    step = REFERRAL_FLOW.begin(referral, by, "interview")
    referral.interviewed_on = _outcome_date(interviewed_on, referral, "interviewed_on", "面试日期")
    REFERRAL_FLOW.advance(referral, by, step, update_fields=["interviewed_on"],
                          note=f"{referral.interviewed_on:%Y-%m-%d}面试" + (f"：{note.strip()}" if note.strip() else ""))
    return referral


@transaction.atomic
def referral_hire(*, referral: Referral, by: User, start_date: datetime.date | None, wage: Decimal | None,
                  note: str = "") -> Referral:
    """录用: the start date and the wage agreed. A full-time hire places the seeker (one
    full-time placement at a time); the follow-up falls due ``jobs.follow_up_days`` after the
    start; the posting is filled when its openings are."""
    step = REFERRAL_FLOW.begin(referral, by, "hire")
    posting = Posting.objects.select_for_update().select_related("area", "recruiter").get(pk=referral.posting_id)
    errors: dict[str, str] = {}
    if start_date is None:
        errors["start_date"] = "请填写到岗日期。"
    elif start_date < referral.referred_on:
        errors["start_date"] = f"到岗日期不能早于推荐日期（{referral.referred_on:%Y-%m-%d}）。"
    if wage is None or wage <= 0:
        errors["wage"] = "请填写录用工资。"
    elif start_date is not None:
        floor = minimum_wage(posting.area, start_date, posting.employment_type)
        if wage < floor.amount:
            errors["wage"] = f"录用工资{wage:.2f}{floor.unit}低于{posting.area}{floor.describe()}。"
    seeker = Seeker.objects.select_for_update().select_related("person").get(pk=referral.seeker_id)
    if posting.employment_type == EmploymentType.FULL_TIME and "start_date" not in errors:
        current = _current_full_time(seeker, exclude=referral.pk)
        if current is not None:
            errors["start_date"] = (f"{seeker.person.name}已在{current.posting.recruiter}全日制就业"
                                    f"（{current.start_date:%Y-%m-%d}到岗，{current.number}），不能同时登记第二份全日制就业，"
                                    "请先登记离职。")
    _raise_all(errors)
    assert start_date is not None and wage is not None
    referral.start_date, referral.wage = start_date, wage.quantize(CENT)
    referral.employment_type = posting.employment_type
    referral.outcome_on = _today()
    referral.outcome_note = (note or "").strip()[:200]
    days = param("jobs.follow_up_days", referral.org_unit)
    # A fixed clock: the due date is set here, ``write`` derives the rest (late from the day after).
    referral.follow_up_due = start_date + datetime.timedelta(days=days)
    fields = ["start_date", "wage", "employment_type", "outcome_on", "outcome_note", "follow_up_due",
              *FOLLOW_UP_CLOCK.write(referral, clocks.fixed(start_date, referral.follow_up_due))]
    try:
        with transaction.atomic():
            REFERRAL_FLOW.advance(referral, by, step, update_fields=fields,
                                  note=f"录用，{start_date:%Y-%m-%d}到岗，工资{referral.wage:.2f}{posting.wage_unit}",
                                  new={"start_date": str(start_date), "wage": str(referral.wage)})
    except IntegrityError:
        _fail(f"{seeker.person.name}已有全日制就业，不能同时登记第二份全日制就业。", "start_date")
    Posting.objects.filter(pk=posting.pk).update(hired_count=F("hired_count") + 1)
    posting.refresh_from_db(fields=["hired_count"])
    if posting.status == Posting.Status.OPEN and posting.hired_count >= posting.openings:
        # A consequence of the hire, whichever unit referred (the posting row is locked above): not
        # a step the referring clerk takes on another unit's posting, so no ``check`` here.
        POSTING_FLOW.advance(posting, by, POSTING_FLOW.transition("fill"),
                             note=f"已录用{posting.hired_count}人，招满（{referral.number}）")
    if posting.employment_type == EmploymentType.FULL_TIME and seeker.status == Seeker.Status.SEEKING:
        seeker_place(seeker=seeker, by=by, note=f"经{referral.number}推荐在{posting.recruiter}就业")
    return referral


@transaction.atomic
def seeker_place(*, seeker: Seeker, by: User, note: str = "") -> Seeker:
    """已就业: taken by ``referral_hire`` when a full-time hire is recorded."""
    step = SEEKER_FLOW.begin(seeker, by, "place")
    SEEKER_FLOW.advance(seeker, by, step, note=(note or "").strip())
    return seeker


@transaction.atomic
def referral_reject(*, referral: Referral, by: User, note: str) -> Referral:
    step = REFERRAL_FLOW.begin(referral, by, "reject")
    referral.outcome_note = _required(note, "note", "未录用原因")[:200]
    referral.outcome_on = _today()
    REFERRAL_FLOW.advance(referral, by, step, update_fields=["outcome_note", "outcome_on"], note=referral.outcome_note)
    return referral


@transaction.atomic
def referral_no_show(*, referral: Referral, by: User, note: str = "") -> Referral:
    step = REFERRAL_FLOW.begin(referral, by, "no_show")
    referral.outcome_note = (note or "").strip()[:200]
    referral.outcome_on = _today()
    REFERRAL_FLOW.advance(referral, by, step, update_fields=["outcome_note", "outcome_on"], note=referral.outcome_note)
    return referral


def _end_placement(referral: Referral, by: User, left_on: datetime.date) -> list[str]:
    """The placement ends: a seeker placed by it seeks again (when no other full-time job holds)."""
    if left_on < (referral.start_date or left_on):
        _fail(f"离职日期不能早于到岗日期（{referral.start_date:%Y-%m-%d}）。", "left_on")
    if left_on > _today():
        _fail("离职日期不能晚于今天。", "left_on")
    referral.left_on = left_on
    seeker = Seeker.objects.select_for_update().get(pk=referral.seeker_id)
    if seeker.status == Seeker.Status.PLACED and _current_full_time(seeker, exclude=referral.pk) is None:
        resume = SEEKER_FLOW.check(seeker, by, "resume")
        SEEKER_FLOW.advance(seeker, by, resume, note=f"{referral.number}：{left_on:%Y-%m-%d}离职，恢复求职")
    return ["left_on"]


@transaction.atomic
def referral_follow_up(*, referral: Referral, by: User, followed_up_on: datetime.date | None,
                       still_employed: bool | None, note: str = "", left_on: datetime.date | None = None) -> Referral:
    """就业回访 (due ``jobs.follow_up_days`` after the start): still employed? If not, when they
    left — the placement ends and the seeker seeks again."""
    step = REFERRAL_FLOW.begin(referral, by, "follow_up")
    if followed_up_on is None:
        _fail("请填写回访日期。", "followed_up_on")
    assert followed_up_on is not None
    if followed_up_on > _today():
        _fail("回访日期不能晚于今天。", "followed_up_on")
    if referral.start_date and followed_up_on < referral.start_date:
        _fail(f"回访日期不能早于到岗日期（{referral.start_date:%Y-%m-%d}）。", "followed_up_on")
    if still_employed is None:
        _fail("请选择是否仍在岗。", "still_employed")
    fields = FOLLOW_UP_CLOCK.write(referral, clocks.stop(FOLLOW_UP_CLOCK.read(referral), followed_up_on))
    referral.still_employed = still_employed
    referral.follow_up_note = (note or "").strip()[:200]
    fields += ["still_employed", "follow_up_note"]
    if not still_employed and referral.left_on is None:
        if left_on is None:
            _fail("不在岗时请填写离职日期。", "left_on")
        assert left_on is not None
        fields += _end_placement(referral, by, left_on)
    late = " （逾期回访）" if referral.follow_up_late_from is not None else ""
    REFERRAL_FLOW.advance(referral, by, step, update_fields=fields,
                          note=("仍在岗" if still_employed else f"已离职（{referral.left_on:%Y-%m-%d}）")
                          + (f"：{referral.follow_up_note}" if referral.follow_up_note else "") + late)
    return referral


@transaction.atomic
def referral_leave(*, referral: Referral, by: User, left_on: datetime.date | None, note: str = "") -> Referral:
    step = REFERRAL_FLOW.begin(referral, by, "leave")
    if left_on is None:
        _fail("请填写离职日期。", "left_on")
    assert left_on is not None
    fields = _end_placement(referral, by, left_on)
    REFERRAL_FLOW.advance(referral, by, step, update_fields=fields,
                          note=f"{left_on:%Y-%m-%d}离职" + (f"：{note.strip()}" if (note or "").strip() else ""))
    return referral


# --- training ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discount:
    label: str
    amount: Decimal

    @property
    def applies(self) -> bool:
        return self.amount > 0


def _percent_text(percent: Decimal) -> str:
    return f"{percent.normalize():f}"


def discount_for(course: Course, person: Person) -> Discount:
    """The discount rule (DOMAIN §6): holders of a 下岗证 or 失业证 pay ``discount_percent`` less,
    to the cent (half up); everyone else pays the fee."""
    if not person.jobless_certificate or course.discount_percent <= 0 or course.fee <= 0:
        return Discount("", Decimal("0.00"))
    amount = (course.fee * course.discount_percent / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    amount = min(amount, course.fee)
    label = (f"持{person.get_jobless_certificate_display()}（{person.jobless_certificate_number}）"
             f"学费减免{_percent_text(course.discount_percent)}%")
    return Discount(label, amount)


@transaction.atomic
def course_create(*, by: User, org_unit: OrgUnit | None = None, name: str, provider: str,
                  starts_on: datetime.date | None, ends_on: datetime.date | None, hours: int | None,
                  capacity: int | None, fee: Decimal | None, discount_percent: Decimal | None = None) -> Course:
    unit = org_unit or _unit_of(by)
    require(by, TRAIN, unit)
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = "请填写课程名称。"
    if not (provider or "").strip():
        errors["provider"] = "请填写培训机构。"
    if starts_on is None:
        errors["starts_on"] = "请填写开班日期。"
    if ends_on is None:
        errors["ends_on"] = "请填写结业日期。"
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = f"结业日期（{ends_on:%Y-%m-%d}）不能早于开班日期（{starts_on:%Y-%m-%d}）。"
    if not hours or hours < 1:
        errors["hours"] = "课时至少为1。"
    if not capacity or capacity < 1:
        errors["capacity"] = "名额至少为1。"
    if fee is None or fee < 0:
        errors["fee"] = "请填写学费（免费填0）。"
    if discount_percent is None:
        discount_percent = Decimal(param("jobs.training_discount_percent", unit))
    if discount_percent < 0 or discount_percent > 100:
        errors["discount_percent"] = "减免比例应在0至100之间。"
    _raise_all(errors)
    assert starts_on is not None and ends_on is not None and fee is not None and hours and capacity
    course = Course.objects.create(number=case_number("PX", unit, starts_on.year), org_unit=unit, name=name.strip()[:100],
                                   provider=provider.strip()[:100], starts_on=starts_on, ends_on=ends_on, hours=hours,
                                   capacity=capacity, fee=fee.quantize(CENT), discount_percent=discount_percent,
                                   created_by=by)
    _event(course, "create", "开设课程", by, audit_event=audit.Event.CREATE)
    return course


@transaction.atomic
def enrolment_create(*, by: User, course: Course, person: Person | None) -> Enrolment:
    """培训报名. The course row is locked (``COURSE_FLOW.begin``) before its places are counted, so
    two clerks enrolling the last place at once cannot both get it."""
    step = COURSE_FLOW.begin(course, by, "enrol")  # locks the course; the capacity guard counts after
    if person is None or not visible(Person.objects.filter(pk=person.pk), by).exists():
        _fail("请选择学员。", "person")
    assert person is not None
    person = Person.objects.get(pk=person.pk)
    if Enrolment.objects.filter(course=course, person=person).exclude(status=Enrolment.Status.DROPPED).exists():
        _fail(f"{person.name}已报名该课程。", "person")
    discount = discount_for(course, person)
    enrolment = Enrolment(course=course, person=person, org_unit=by.org_unit, enrolled_on=_today(), enrolled_by=by,
                          fee=course.fee, certificate=person.jobless_certificate if discount.applies else "",
                          certificate_number=person.jobless_certificate_number if discount.applies else "",
                          discount_label=discount.label, discount=discount.amount, payable=course.fee - discount.amount)
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError:
        _fail(f"{person.name}已报名该课程。", "person")
    person_link(person=person, org_unit=_unit_of(by), by=by)
    _event(enrolment, "enrol", "报名", by, note=f"学费{enrolment.fee:.2f}元"
           + (f"，{discount.label}，减免{discount.amount:.2f}元" if discount.applies else "")
           + f"，实缴{enrolment.payable:.2f}元", audit_event=audit.Event.CREATE)
    COURSE_FLOW.advance(course, by, step, note=f"{person.name}报名", audit_detail=str(enrolment.pk))
    return enrolment


@transaction.atomic
def enrolment_attend(*, enrolment: Enrolment, by: User, hours: int | None, on: datetime.date | None = None) -> Enrolment:
    step = ENROLMENT_FLOW.begin(enrolment, by, "attend")
    course = enrolment.course
    if not hours or hours < 1:
        _fail("出勤课时至少为1。", "hours")
    assert hours is not None
    if enrolment.attended_hours + hours > course.hours:
        _fail(f"累计出勤不能超过课程总课时（{course.hours}，已登记{enrolment.attended_hours}）。", "hours")
    day = on or _today()
    if day > _today():
        _fail("出勤日期不能晚于今天。", "on")
    if day < course.starts_on:
        _fail(f"出勤日期不能早于开班日期（{course.starts_on:%Y-%m-%d}）。", "on")
    enrolment.attended_hours += hours
    ENROLMENT_FLOW.advance(enrolment, by, step, update_fields=["attended_hours"],
                           note=f"{day:%Y-%m-%d}出勤{hours}课时，累计{enrolment.attended_hours}课时")
    return enrolment


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment, by: User, certificate_no: str = "",
                       completed_on: datetime.date | None = None) -> Enrolment:
    """结业, with the certificate's number when one is issued."""
    step = ENROLMENT_FLOW.begin(enrolment, by, "complete")
    day = completed_on or _today()
    if day > _today():
        _fail("结业日期不能晚于今天。", "completed_on")
    if day < enrolment.course.starts_on:
        _fail("结业日期不能早于开班日期。", "completed_on")
    enrolment.completed_on, enrolment.certificate_no = day, (certificate_no or "").strip()[:40]
    ENROLMENT_FLOW.advance(enrolment, by, step, update_fields=["completed_on", "certificate_no"],
                           note="结业" + (f"，证书编号{enrolment.certificate_no}" if enrolment.certificate_no else ""))
    return enrolment


@transaction.atomic
def enrolment_drop(*, enrolment: Enrolment, by: User, reason: str) -> Enrolment:
    step = ENROLMENT_FLOW.begin(enrolment, by, "drop")
    enrolment.dropped_reason = _required(reason, "reason", "退训原因")[:200]
    ENROLMENT_FLOW.advance(enrolment, by, step, update_fields=["dropped_reason"], note=enrolment.dropped_reason)
    return enrolment


@transaction.atomic
def course_finish(*, course: Course, by: User) -> Course:
    step = COURSE_FLOW.begin(course, by, "finish")
    COURSE_FLOW.advance(course, by, step)
    return course


@transaction.atomic
def course_cancel(*, course: Course, by: User, reason: str) -> Course:
    step = COURSE_FLOW.begin(course, by, "cancel")
    reason = _required(reason, "reason", "取消原因")
    COURSE_FLOW.advance(course, by, step, note=reason)
    return course


# --- job fairs -------------------------------------------------------------------------------------------


@transaction.atomic
def fair_create(*, by: User, org_unit: OrgUnit | None = None, name: str, held_on: datetime.date | None,
                place: str, note: str = "") -> JobFair:
    unit = org_unit or _unit_of(by)
    require(by, MANAGE, unit)
    errors: dict[str, str] = {}
    if not (name or "").strip():
        errors["name"] = "请填写洽谈会名称。"
    if held_on is None:
        errors["held_on"] = "请填写举办日期。"
    if not (place or "").strip():
        errors["place"] = "请填写地点。"
    _raise_all(errors)
    assert held_on is not None
    fair = JobFair.objects.create(number=case_number("QT", unit, held_on.year), org_unit=unit, name=name.strip()[:100],
                                  held_on=held_on, place=place.strip()[:200], note=(note or "").strip(), created_by=by)
    _event(fair, "create", "登记洽谈会", by, audit_event=audit.Event.CREATE)
    return fair


@transaction.atomic
def fair_join(*, fair: JobFair, by: User, recruiter: Recruiter | None, postings: Iterable[Posting] = ()) -> JobFair:
    """An employer takes part, with the postings it brings (open ones of its own)."""
    step = FAIR_FLOW.begin(fair, by, "join")
    if recruiter is None or not visible(Recruiter.objects.filter(pk=recruiter.pk), by).exists():
        _fail("请选择用工单位。", "recruiter")
    assert recruiter is not None
    if not recruiter.is_verified:
        _fail(f"{recruiter}的证件{recruiter.get_status_display()}，不能参会。", "recruiter")
    postings = list(postings)
    today = _today()
    wrong = [p for p in postings if p.recruiter_id != recruiter.pk]
    if wrong:
        _fail(f"岗位“{wrong[0].title}”不属于{recruiter}。", "postings")
    closed = [p for p in postings if not Posting.objects.filter(open_q(today), pk=p.pk).exists()]
    if closed:
        _fail(f"岗位“{closed[0].title}”不在招聘中。", "postings")
    fair.recruiters.add(recruiter)
    if postings:
        fair.postings.add(*postings)
    FAIR_FLOW.advance(fair, by, step, note=f"{recruiter}参会" + (f"，岗位{len(postings)}个" if postings else ""),
                      audit_detail=str(recruiter.pk))
    return fair


@transaction.atomic
def fair_attend(*, fair: JobFair, by: User, seeker: Seeker | None) -> FairAttendee:
    step = FAIR_FLOW.begin(fair, by, "attend")
    if seeker is None or not visible(Seeker.objects.filter(pk=seeker.pk), by).exists():
        _fail("请选择求职者。", "seeker")
    assert seeker is not None
    if FairAttendee.objects.filter(fair=fair, seeker=seeker).exists():
        _fail("该求职者已登记到场。", "seeker")
    attendee = FairAttendee.objects.create(fair=fair, seeker=seeker, registered_by=by, registered_at=timezone.now())
    FAIR_FLOW.advance(fair, by, step, note=f"{seeker.number}到场", audit_detail=seeker.number)
    return attendee


@transaction.atomic
def fair_hold(*, fair: JobFair, by: User, note: str = "") -> JobFair:
    step = FAIR_FLOW.begin(fair, by, "hold")
    FAIR_FLOW.advance(fair, by, step, note=(note or "").strip())
    return fair


@transaction.atomic
def fair_cancel(*, fair: JobFair, by: User, reason: str) -> JobFair:
    step = FAIR_FLOW.begin(fair, by, "cancel")
    reason = _required(reason, "reason", "取消原因")
    FAIR_FLOW.advance(fair, by, step, note=reason)
    return fair

