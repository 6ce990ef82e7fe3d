"""Every change to a hardship file, one keyword-only function each.

Each step runs in one transaction and starts with ``FILE_FLOW.begin`` (workflow.py: scope → 404,
permission → 403, the row locked and re-read, state and guards → a Chinese ``ValidationError``;
nothing has changed), checks its input, and ends with ``FILE_FLOW.advance`` (new state, saved
fields, timeline event and audit row). Steps that decide on eligibility store an evaluation
(``evaluate_file``); proceeding against its result needs a written reason (``Override``).
Approval goes through the kernel's approvals (the district decides; maker ≠ checker).
"""

from __future__ import annotations

import datetime
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from servicecenter import access, approvals, audit, clocks, people, timeline
from servicecenter.access import require, visible
from servicecenter.attachments import attachment_add
from servicecenter.models import Attachment, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.validators import (
    mask_resident_id,
    normalise_resident_id,
    resident_id_birth_date,
    validate_resident_id,
)
from servicecenter.workdays import Calendar

from . import codes, eligibility, selectors
from .models import (
    CityReport,
    Evaluation,
    GradeSpan,
    HardshipFile,
    HomeVisit,
    Income,
    Member,
    Objection,
    Override,
    SpotCheck,
)
from .workflow import APPLY, APPROVAL, FILE_FLOW, HANDLE, REPORT_FLOW, latest_spot_check

S = HardshipFile.Status
ZERO = Decimal("0.00")
MAX_MEMBERS = 20
FILE_FIELDS = (
    "ethnicity", "political", "marital", "hukou", "disability", "disability_grade", "single_parent", "phone",
    "address", "housing_type", "housing_area", "home_acquired_on", "luxury_residence", "has_car", "luxury_goods",
    "other_assets", "medical_cost", "education_cost", "rent_cost", "receives_dibao", "receives_dibao_edge",
    "basic_support", "dibao_topup", "disaster", "disaster_note", "tuition_hardship", "other_special",
    "other_special_note", "child_private_school", "vice", "family_planning_breach", "main_cause",
    "secondary_causes", "cause_note", "needs", "help_received",
)
MONEY_FIELDS = {"medical_cost": "当年自付医疗费", "education_cost": "子女非义务教育支出", "rent_cost": "房租支出",
                "dibao_topup": "家庭人均月低保补差"}


def _today() -> datetime.date:
    return timezone.localdate()


def _fail(message: str, field_name: str | None = None, code: str = "invalid") -> NoReturn:
    raise ValidationError({field_name: message} if field_name else message, code=code)


def _required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        _fail(f"请填写{label}。", field_name, "required")
    return text


def _amount(value: Any, field_name: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation:
        _fail(f"{label}应为数字。", field_name)
    if not amount.is_finite():
        _fail(f"{label}应为数字。", field_name)
    if amount < 0:
        _fail(f"{label}不能为负数。", field_name)
    if amount != amount.quantize(Decimal("0.01")):
        _fail(f"{label}最多保留两位小数。", field_name)
    return amount.quantize(Decimal("0.01"))


# --- The household's data ------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberData:
    relation: str
    name: str
    work_status: str
    id_number: str = ""
    age: int | None = None
    health: str = codes.Health.GOOD
    monthly_income: Decimal = ZERO
    schooling: str = ""
    workplace: str = ""
    existing: int | None = None  # editing: the member row this one was, whose ID number it keeps when none is typed


@dataclass(frozen=True)
class IncomeData:
    kind: str
    annual_amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class Household:
    """What an application (or an edit) says: the file's own fields (``FILE_FIELDS``), the members
    (the applicant first, relation 本人, with an ID number) and the non-wage incomes."""

    data: dict[str, Any]
    members: Sequence[MemberData]
    incomes: Sequence[IncomeData] = field(default_factory=tuple)


@dataclass
class _CleanMember:
    data: MemberData
    number: str
    birth: datetime.date | None
    age: int
    income: Decimal


def _clean_members(members: Sequence[MemberData], today: datetime.date,
                   existing: dict[int, Member] | None = None) -> list[_CleanMember]:
    if not members:
        _fail("请填写家庭成员（至少包括申请人本人）。", "members")
    if len(members) > MAX_MEMBERS:
        _fail(f"家庭成员最多{MAX_MEMBERS}人。", "members")
    selves = [i for i, m in enumerate(members) if m.relation == codes.Relation.SELF]
    if len(selves) != 1:
        _fail("家庭成员中须有且只有一位“本人”（申请人）。", "members")
    out: list[_CleanMember] = []
    numbers: dict[str, int] = {}
    for n, m in enumerate(members, start=1):
        where = f"第{n}位家庭成员"
        if not (m.name or "").strip():
            _fail(f"{where}：请填写姓名。", "members")
        if m.relation not in codes.Relation.values:
            _fail(f"{where}：请选择与申请人关系。", "members")
        if m.work_status not in codes.WorkStatus.values:
            _fail(f"{where}：请选择身份/职业。", "members")
        if m.health not in codes.Health.values:
            _fail(f"{where}：请选择健康状况。", "members")
        if m.schooling not in codes.Schooling.values:
            _fail(f"{where}：请选择在读学段。", "members")
        income = _amount(m.monthly_income, "members", f"{where}的月收入")
        number = normalise_resident_id(m.id_number or "")
        before = (existing or {}).get(m.existing or 0)
        if not number and before is not None and before.person is not None:
            number = before.person.id_number  # kept, never shown: the page shows the masked number
        birth = None
        if number:
            try:
                number = validate_resident_id(number, today=today)
            except ValidationError as exc:
                _fail(f"{where}：{exc.messages[0]}", "members")
            if number in numbers:
                _fail(f"同一身份证号码在家庭成员中出现两次（第{numbers[number]}位和第{n}位）。", "members")
            numbers[number] = n
            birth = resident_id_birth_date(number)
            age = selectors.age_on(birth, today)
        elif m.relation == codes.Relation.SELF:
            _fail("请填写申请人本人的身份证号码。", "members")
        else:
            if m.age is None or m.age < 0 or m.age > 120:
                _fail(f"{where}：未填写身份证号码时，请填写年龄（0—120）。", "members")
            age = int(m.age)
        out.append(_CleanMember(m, number, birth, age, income))
    # The applicant first, so that lists and forms always show 本人 on top.
    out.sort(key=lambda c: c.data.relation != codes.Relation.SELF)
    return out


def _clean_incomes(incomes: Sequence[IncomeData]) -> list[IncomeData]:
    out = []
    for n, row in enumerate(incomes, start=1):
        if row.kind not in codes.IncomeKind.values:
            _fail(f"第{n}项收入：请选择收入来源。", "incomes")
        amount = _amount(row.annual_amount, "incomes", f"第{n}项收入的年收入")
        out.append(IncomeData(row.kind, amount, (row.note or "").strip()[:100]))
    return out


def _clean_data(data: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    unknown = set(data) - set(FILE_FIELDS)
    if unknown:
        raise TypeError(f"unknown file fields: {sorted(unknown)}")
    out = dict(data)
    _required(out.get("address"), "address", "家庭住址")
    if out.get("housing_type") not in codes.HousingType.values:
        _fail("请选择住房类型。", "housing_type")
    out["housing_area"] = _amount(out.get("housing_area"), "housing_area", "住房面积")
    acquired = out.get("home_acquired_on")
    if acquired is not None and acquired > today:
        _fail("购房或建房日期不能晚于今天。", "home_acquired_on")
    for name, label in MONEY_FIELDS.items():
        out[name] = _amount(out.get(name), name, label)
    if out.get("main_cause") not in codes.Cause.values:
        _fail("请选择主要致困原因。", "main_cause")
    secondary = [c for c in (out.get("secondary_causes") or []) if c]
    if any(c not in codes.Cause.values for c in secondary):
        _fail("次要致困原因不在代码表中。", "secondary_causes")
    if len(secondary) > 3:
        _fail("次要致困原因最多选三项。", "secondary_causes")
    if out["main_cause"] in secondary:
        _fail("次要致困原因不能与主要致困原因相同。", "secondary_causes")
    out["secondary_causes"] = secondary
    support = [s for s in (out.get("basic_support") or []) if s]
    if any(s not in codes.BasicSupport.values for s in support):
        _fail("已享受的基本保障不在代码表中。", "basic_support")
    out["basic_support"] = support
    if out.get("disaster") and not (out.get("disaster_note") or "").strip():
        _fail("请说明灾害或事故情况。", "disaster_note")
    if out.get("other_special") and not (out.get("other_special_note") or "").strip():
        _fail("请说明其他特别困难的情况。", "other_special_note")
    return out


def _person_for(by: User, unit: OrgUnit, number: str, name: str) -> Person:
    """The person record of an ID number: found in scope, linked from elsewhere (audited, as the
    person rule allows an exact full-ID lookup), or registered here."""
    person = people.person_by_id_number(number)
    if person is None:
        try:
            return people.person_create(by=by, org_unit=unit, id_number=number, name=name.strip())
        except people.DuplicatePerson as exc:  # registered by someone else a moment ago
            person = exc.person
    if person.name != name.strip():
        _fail(f"身份证号码 {mask_resident_id(number)} 已登记为“{person.name}”，与填写的姓名“{name.strip()}”不一致。",
              "members")
    if not visible(Person.objects.filter(pk=person.pk), by).exists():
        person = people.person_attach(by=by, id_number=number, org_unit=unit)
    return person


def _save_household(file: HardshipFile, by: User, members: list[_CleanMember], incomes: list[IncomeData]) -> None:
    """Replace the file's members and incomes and recompute the figures lists show."""
    file.members.all().delete()
    file.incomes.all().delete()
    rows = []
    for order, m in enumerate(members):
        person = _person_for(by, file.org_unit, m.number, m.data.name) if m.number else None
        if person is not None:
            people.person_link(person=person, org_unit=file.org_unit, by=by)
        rows.append(Member(file=file, order=order, relation=m.data.relation, name=m.data.name.strip(), person=person,
                           id_number_masked=mask_resident_id(m.number) if m.number else "", birth_date=m.birth,
                           age=m.age, work_status=m.data.work_status, health=m.data.health, monthly_income=m.income,
                           schooling=m.data.schooling, workplace=(m.data.workplace or "").strip()[:100]))
    Member.objects.bulk_create(rows)
    Income.objects.bulk_create([Income(file=file, kind=i.kind, annual_amount=i.annual_amount, note=i.note)
                                for i in incomes])
    _recompute(file, members, incomes)


def _recompute(file: HardshipFile, members: list[_CleanMember], incomes: list[IncomeData]) -> None:
    size = len(members)
    wages = sum((m.income * 12 for m in members), ZERO)
    other = sum((i.annual_amount for i in incomes), ZERO)
    file.household_size = size
    file.health, file.work_status = members[0].data.health, members[0].data.work_status
    file.own_monthly_income = members[0].income
    file.other_annual_income = other
    file.annual_income = wages + other
    file.income_per_head = eligibility.q2((wages + other) / Decimal(12 * size))


FIGURE_FIELDS = ["health", "work_status", "household_size", "own_monthly_income", "other_annual_income", "annual_income", "income_per_head"]


# --- Evaluation -----------------------------------------------------------------------------------------


def evaluate_file(file: HardshipFile, *, by: User, purpose: str, as_of: datetime.date | None = None) -> Evaluation:
    """Evaluate ``file`` on its current figures and the parameters in force on ``as_of`` (today),
    store the whole trace and make it the file's latest."""
    as_of = as_of or _today()
    facts = selectors.facts_of(file, as_of)
    params = selectors.params_for(file.org_unit, as_of)
    outcome = eligibility.evaluate(facts, params)
    evaluation = Evaluation.objects.create(
        file=file, as_of=as_of, purpose=purpose, by=by, engine=eligibility.ENGINE, facts=facts.to_json(),
        params=eligibility.params_to_json(params), outcome=outcome.to_json(), verdict=outcome.verdict)
    file.latest_evaluation = evaluation
    HardshipFile.objects.filter(pk=file.pk).update(latest_evaluation=evaluation)
    return evaluation


def replay(evaluation: Evaluation) -> dict[str, Any]:
    """The stored evaluation recomputed from its own stored facts and parameters."""
    return eligibility.replay(evaluation.facts, evaluation.params)


def _against(evaluation: Evaluation, *, proceeding_as: str, grade: str | None, reason: str, by: User, step: str,
             field_name: str = "override_reason") -> Override | None:
    """Staff going on although the rules say otherwise (another grade, or none at all) must write
    why; the reason is kept with the evaluation it departs from, audited and shown on the file."""
    computed = evaluation.grade
    # With no grade asked for, proceeding at all needs the rules to give one.
    against = not computed if grade is None else computed != grade
    if not against:
        return None
    reason = (reason or "").strip()
    if not reason:
        _fail(f"核算结论为“{evaluation.get_verdict_display()}”，{proceeding_as}须写明理由。", field_name)
    override = Override.objects.create(file=evaluation.file, evaluation=evaluation, step=step, decided=proceeding_as,
                                       reason=reason, by=by)
    audit.record(audit.Event.STATE, user=by, target=evaluation.file, action="hardship.override",
                 detail=f"不按核算结论办理：{proceeding_as}",
                 old={"verdict": evaluation.verdict}, new={"decided": proceeding_as, "override": override.pk})
    return override


# --- Application and edits ------------------------------------------------------------------------------


def _active_file_of(person: Person | None) -> HardshipFile | None:
    if person is None:
        return None
    return HardshipFile.objects.filter(applicant=person, status__in=HardshipFile.ACTIVE).first()


def _duplicate_message(existing: HardshipFile, by: User) -> str:
    if visible(HardshipFile.objects.filter(pk=existing.pk), by).exists():
        return (f"申请人已有有效的困难职工档案（{existing.number or '申请'}，{existing.get_status_display()}），"
                "不能重复申请。")
    return "申请人已有其他单位的有效困难职工档案，不能重复申请；请与该单位核实。"


@transaction.atomic
def file_apply(*, by: User, token: uuid.UUID, org_unit: OrgUnit, household: Household,
               applied_on: datetime.date | None = None) -> HardshipFile:
    """申请: register the household's file (one active file per applicant; the same ``token`` —
    the form's hidden field — always gives the same file, so a double-submitted form makes one)."""
    require(by, APPLY, org_unit)
    existing = HardshipFile.objects.filter(token=token).first()
    if existing is not None:
        return existing
    today = _today()
    applied_on = applied_on or today
    if applied_on > today:
        _fail("申请日期不能晚于今天。", "applied_on")
    data = _clean_data(household.data, today)
    members = _clean_members(household.members, today)
    incomes = _clean_incomes(household.incomes)
    number = members[0].number
    applicant = people.person_by_id_number(number)
    duplicate = _active_file_of(applicant)
    if duplicate is not None:
        _fail(_duplicate_message(duplicate, by), "members", "duplicate")
    applicant = _person_for(by, org_unit, number, members[0].data.name)
    file = HardshipFile(org_unit=org_unit, applicant=applicant, token=token, applied_on=applied_on, created_by=by,
                        **data)
    if not file.phone and applicant.phone:
        file.phone = applicant.phone
    try:
        with transaction.atomic():
            file.save()
    except IntegrityError:
        # The same form twice at once (token), or another file for the applicant was saved a
        # moment ago (the partial unique index): the first one stands.
        winner = HardshipFile.objects.filter(token=token).first()
        if winner is not None:
            return winner
        duplicate = _active_file_of(applicant)
        if duplicate is None:
            raise
        _fail(_duplicate_message(duplicate, by), "members", "duplicate")
    _save_household(file, by, members, incomes)
    file.save(update_fields=FIGURE_FIELDS)
    timeline.record(file.events, "apply", label="申请登记", by=by, to_state=file.status,
                    note=f"{file.household_size}口之家，人均月收入{file.income_per_head}元",
                    audit_event=audit.Event.CREATE, new={"status": file.status})
    evaluate_file(file, by=by, purpose="申请登记")
    return file


@transaction.atomic
def file_update(*, file: HardshipFile, by: User, household: Household) -> HardshipFile:
    """修改档案: before review (or while returned for revision), and on an archived file before its
    yearly review (the figures change; the decision's stored evaluation does not)."""
    step = FILE_FLOW.begin(file, by, "edit")
    today = _today()
    data = _clean_data(household.data, today)
    existing = {m.pk: m for m in file.members.select_related("person")}
    members = _clean_members(household.members, today, existing)
    incomes = _clean_incomes(household.incomes)
    if file.applicant.id_number != members[0].number:
        _fail("申请人（本人）的身份证号码不能修改；如申请人有误，请审核不通过后重新申请。", "members")
    changed = [name for name, value in data.items() if getattr(file, name) != value]
    for name, value in data.items():
        setattr(file, name, value)
    _save_household(file, by, members, incomes)
    FILE_FLOW.advance(file, by, step, update_fields=[*FILE_FIELDS, *FIGURE_FIELDS],
                      note=f"人均月收入{file.income_per_head}元", audit_detail="、".join(changed)[:300])
    evaluate_file(file, by=by, purpose="修改档案")
    return file


# --- Review: home visit, 审核 ------------------------------------------------------------------------


def _visit(file: HardshipFile, by: User, kind: str, visited_on: datetime.date | None, visitors: str,
           findings: str) -> HomeVisit:
    if visited_on is None:
        _fail("请填写走访日期。", "visited_on")
    if visited_on > _today():
        _fail("走访日期不能晚于今天。", "visited_on")
    if visited_on < file.applied_on:
        _fail("走访日期不能早于申请日期。", "visited_on")
    visitors = _required(visitors, "visitors", "走访人员")
    findings = _required(findings, "findings", "走访情况")
    return HomeVisit.objects.create(file=file, org_unit=file.org_unit, kind=kind, visited_on=visited_on,
                                    visitors=visitors[:200], findings=findings, recorded_by=by)


@transaction.atomic
def file_record_visit(*, file: HardshipFile, by: User, visited_on: datetime.date | None, visitors: str,
                      findings: str) -> HomeVisit:
    """入户调查: the base union's review visit (before review) or a yearly review visit (archived)."""
    step = FILE_FLOW.begin(file, by, "visit")
    kind = HomeVisit.Kind.REVIEW if file.status == S.APPLIED else HomeVisit.Kind.RECHECK
    visit = _visit(file, by, kind, visited_on, visitors, findings)
    FILE_FLOW.advance(file, by, step, note=f"{visit.get_kind_display()}（{visit.visited_on:%Y-%m-%d}，{visit.visitors}）：{visit.findings}",
                      data={"visit": visit.pk}, audit_detail=visit.get_kind_display())
    return visit


@transaction.atomic
def file_review(*, file: HardshipFile, by: User, opinion: str, override_reason: str = "") -> HardshipFile:
    """审核通过: the base union finds the household eligible after the home visit (against the
    rules' result only with a written reason)."""
    step = FILE_FLOW.begin(file, by, "review")
    opinion = _required(opinion, "opinion", "审核意见")
    evaluation = evaluate_file(file, by=by, purpose="审核")
    override = _against(evaluation, proceeding_as="审核通过", grade=None, reason=override_reason, by=by,
                        step="review")
    file.reviewed_by, file.reviewed_on = by, _today()
    FILE_FLOW.advance(file, by, step, update_fields=["reviewed_by", "reviewed_on"],
                      note=opinion + (f"（不按核算结论办理：{override.reason}）" if override else ""),
                      data={"evaluation": evaluation.pk, "verdict": evaluation.verdict},
                      new={"verdict": evaluation.verdict, "override": bool(override)})
    return file


def _stop_notice(file: HardshipFile) -> list[str]:
    """End the notice clock: on its last day when it ran through, today when cut short."""
    clock = selectors.NOTICE_CLOCK.read(file)
    if clock.started_on is None or clock.is_stopped:
        return []
    day = min(_today(), clock.due_date) if clock.due_date else _today()
    return selectors.NOTICE_CLOCK.write(file, clocks.stop(clock, day))


@transaction.atomic
def file_decline(*, file: HardshipFile, by: User, reason: str) -> HardshipFile:
    """审核不通过 (before submission): the file ends; the applicant may apply again later."""
    step = FILE_FLOW.begin(file, by, "decline")
    reason = _required(reason, "reason", "不通过理由")
    file.ended_on, file.end_note = _today(), reason[:200]
    fields = _stop_notice(file)
    FILE_FLOW.advance(file, by, step, update_fields=["ended_on", "end_note", *fields], note=reason)
    return file


# --- Public notice -----------------------------------------------------------------------------------


def notice_minimum_end(unit: OrgUnit, start: datetime.date) -> datetime.date:
    """The earliest last day of a notice posted on ``start``: ``hardship.notice_working_days``
    working days, the posting day not counted."""
    return Calendar().add_working_days(start, param("hardship.notice_working_days", unit))


@transaction.atomic
def file_post_notice(*, file: HardshipFile, by: User, place: str, start: datetime.date | None,
                     end: datetime.date | None = None) -> HardshipFile:
    """公示: where and from when; it runs at least ``hardship.notice_working_days`` working days
    after the posting day (which does not count), through ``end`` when a later end is given."""
    step = FILE_FLOW.begin(file, by, "post_notice")
    place = _required(place, "place", "公示地点")
    today = _today()
    if start is None:
        _fail("请填写公示开始日期。", "start")
    if file.reviewed_on and start < file.reviewed_on:
        _fail(f"公示开始日期不能早于审核日期（{file.reviewed_on:%Y-%m-%d}）。", "start")
    if start > today + datetime.timedelta(days=30):
        _fail("公示开始日期不能晚于30天以后。", "start")
    if end is not None and end < start:
        _fail("公示结束日期不能早于开始日期。", "end")
    calendar = Calendar()
    days = param("hardship.notice_working_days", file.org_unit)
    minimum = calendar.add_working_days(start, days)
    if end is not None:
        if end < minimum:
            _fail(f"公示期不少于{days}个工作日（张贴当日不计），最早至{minimum:%Y-%m-%d}。", "end")
        days = calendar.working_days_between(start, end)
    clock = clocks.start(start, days, in_working_days=True, calendar=calendar)
    fields = selectors.NOTICE_CLOCK.write(file, clock)
    file.notice_place = place[:100]
    FILE_FLOW.advance(file, by, step, update_fields=["notice_place", *fields],
                      note=f"{place}，{start:%Y-%m-%d}至{file.notice_due_date:%Y-%m-%d}（{days}个工作日）",
                      new={"notice_start": str(start), "notice_end": str(file.notice_due_date)})
    return file


@transaction.atomic
def objection_record(*, file: HardshipFile, by: User, received_on: datetime.date | None, content: str,
                     raised_by: str = "") -> Objection:
    """An objection received about the notice (the person raising it may stay anonymous)."""
    step = FILE_FLOW.begin(file, by, "object")
    content = _required(content, "content", "异议内容")
    if received_on is None:
        _fail("请填写收到日期。", "received_on")
    if received_on > _today():
        _fail("收到日期不能晚于今天。", "received_on")
    if file.notice_started_on and received_on < file.notice_started_on:
        _fail(f"收到日期不能早于公示开始日期（{file.notice_started_on:%Y-%m-%d}）。", "received_on")
    objection = Objection.objects.create(file=file, received_on=received_on, content=content,
                                         raised_by=(raised_by or "").strip()[:50], recorded_by=by)
    FILE_FLOW.advance(file, by, step, note=f"{received_on:%Y-%m-%d}收到异议：{content}", data={"objection": objection.pk})
    return objection


@transaction.atomic
def objection_resolve(*, file: HardshipFile, by: User, upheld: bool | None, resolution: str,
                      objection: Objection | None = None) -> Objection:
    """核实处理 the oldest open objection (or the given one): upheld or not, and how."""
    step = FILE_FLOW.begin(file, by, "resolve")
    resolution = _required(resolution, "resolution", "核实处理情况")
    if upheld is None:
        _fail("请选择异议是否成立。", "upheld")
    objection = objection or _oldest_open_objection(file)
    if objection is None or objection.file_id != file.pk or not objection.is_open:
        _fail("没有待处理的公示异议。", code="state")
    objection.resolved_on, objection.upheld, objection.resolution, objection.resolved_by = \
        _today(), upheld, resolution, by
    objection.save(update_fields=["resolved_on", "upheld", "resolution", "resolved_by"])
    word = "异议成立" if upheld else "异议不成立"
    FILE_FLOW.advance(file, by, step, note=f"{word}：{resolution}", data={"objection": objection.pk, "upheld": upheld},
                      audit_detail=word)
    return objection


def _oldest_open_objection(file: HardshipFile) -> Objection | None:
    return Objection.objects.filter(file=file, resolved_on__isnull=True).order_by("received_on", "id").first()


# --- The grade over time (the month-end figures) -------------------------------------------------------


def _grade_from(file: HardshipFile, grade: str, day: datetime.date) -> None:
    """From ``day`` the file counts as ``grade`` (the span before it, if any, ends that day)."""
    _grade_ends(file, day)
    GradeSpan.objects.create(file=file, grade=grade, start=day)


def _grade_ends(file: HardshipFile, day: datetime.date) -> None:
    GradeSpan.objects.filter(file=file, end__isnull=True).update(end=day)


# --- Submission, spot check, approval ----------------------------------------------------------------


def draw_spot_check(file: HardshipFile, *, seed: int | None = None) -> SpotCheck:
    """Whether the district visits this file itself: ``Random(seed).random() < ratio`` with the
    district's ``hardship.spot_check_ratio``; the seed, the ratio and the draw are recorded."""
    district = access.leading_unit(file.org_unit)
    ratio = Decimal(param("hardship.spot_check_ratio", district))
    seed = secrets.randbits(62) if seed is None else seed
    draw = random.Random(seed).random()
    return SpotCheck.objects.create(file=file, org_unit=district, ratio=ratio, seed=seed, draw=repr(draw),
                                    selected=Decimal(repr(draw)) < ratio)


@transaction.atomic
def file_submit(*, file: HardshipFile, by: User, note: str) -> HardshipFile:
    """报送审批 after the notice ran without an open objection: a request to the district (the
    kernel's approval), and the spot-check draw."""
    step = FILE_FLOW.begin(file, by, "submit")
    note = _required(note, "note", "报送意见")
    approvals.approval_request(code=APPROVAL, target=file, by=by, note=note)
    check = draw_spot_check(file)
    file.submitted_by, file.submitted_on = by, _today()
    FILE_FLOW.advance(file, by, step, update_fields=["submitted_by", "submitted_on"],
                      note=note + ("；抽中审批抽查入户" if check.selected else ""),
                      data={"spot_check": check.pk, "selected": check.selected})
    return file


@transaction.atomic
def file_spot_check(*, file: HardshipFile, by: User, visited_on: datetime.date | None, visitors: str,
                    findings: str) -> HomeVisit:
    """The district's own home visit on a file its draw selected."""
    step = FILE_FLOW.begin(file, by, "spot_check")
    visit = _visit(file, by, HomeVisit.Kind.SPOT_CHECK, visited_on, visitors, findings)
    check = latest_spot_check(file)
    assert check is not None
    check.visit = visit
    check.save(update_fields=["visit"])
    FILE_FLOW.advance(file, by, step, note=f"抽查入户（{visit.visited_on:%Y-%m-%d}，{visit.visitors}）：{visit.findings}",
                      data={"visit": visit.pk})
    return visit


def _decide(file: HardshipFile, by: User, decision: str, note: str) -> approvals.Decision:
    request = next((a for a in approvals.pending(file, APPROVAL) if approvals.may_decide(by, a)), None)
    if request is None:
        _fail("没有待您审批的申请。", code="state")
    return approvals.approval_decide(approval=request, by=by, decision=decision, note=note, target=file)


def _report_to_the_city(file: HardshipFile) -> CityReport | None:
    """Add the file to its approving unit's open report to the level above (the city)."""
    approving = access.leading_unit(file.org_unit)
    if approving.parent_id is None:
        return None
    report = CityReport.objects.select_for_update().filter(org_unit=approving, status=CityReport.Status.OPEN).first()
    if report is None:
        try:
            with transaction.atomic():
                report = CityReport.objects.create(org_unit=approving)
        except IntegrityError:  # another approval opened it a moment ago
            report = CityReport.objects.get(org_unit=approving, status=CityReport.Status.OPEN)
    return report


@transaction.atomic
def file_approve(*, file: HardshipFile, by: User, grade: str, opinion: str = "",
                 override_reason: str = "") -> HardshipFile:
    """审批通过并建档 by the supervisor leading the file's unit: the grade (困难/特困), the file
    number ``KN-<unit>-<year>-<seq>``, the report to the city, and the yearly review's first date."""
    step = FILE_FLOW.begin(file, by, "approve")
    if grade not in codes.Grade.values:
        _fail("请选择困难类别。", "grade")
    evaluation = evaluate_file(file, by=by, purpose="审批")
    override = _against(evaluation, proceeding_as=f"批准为{codes.Grade(grade).label}", grade=grade,
                        reason=override_reason, by=by, step="approve")
    _decide(file, by, approvals.Approval.Status.APPROVED, opinion)
    today = _today()
    file.number = case_number("KN", file.org_unit, today.year)
    file.grade, file.approved_by, file.approved_on, file.decision = grade, by, today, evaluation
    file.rechecked_on = today
    file.recheck_due = selectors.add_months(today, param("hardship.recheck_months", file.org_unit))
    file.city_report = _report_to_the_city(file)
    _grade_from(file, grade, today)
    fields = _stop_notice(file)
    FILE_FLOW.advance(file, by, step, update_fields=[
        "number", "grade", "approved_by", "approved_on", "decision", "rechecked_on", "recheck_due", "city_report",
        *fields], note=f"{file.number}，{codes.Grade(grade).label}" + (f"：{opinion.strip()}" if opinion.strip() else "")
        + (f"（不按核算结论办理：{override.reason}）" if override else ""),
        data={"grade": grade, "evaluation": evaluation.pk}, new={"number": file.number, "grade": grade},
        audit_detail=file.number)
    return file


@transaction.atomic
def file_send_back(*, file: HardshipFile, by: User, reason: str) -> HardshipFile:
    """退回修改: back to the base union, which revises, reviews and posts the notice again."""
    step = FILE_FLOW.begin(file, by, "send_back")
    reason = _required(reason, "reason", "退回理由")
    _decide(file, by, approvals.Approval.Status.RETURNED, reason)
    fields = _stop_notice(file)
    file.reviewed_by = file.reviewed_on = file.submitted_by = file.submitted_on = None
    FILE_FLOW.advance(file, by, step, update_fields=["reviewed_by", "reviewed_on", "submitted_by", "submitted_on",
                                                     *fields], note=reason)
    return file


@transaction.atomic
def file_reject(*, file: HardshipFile, by: User, reason: str) -> HardshipFile:
    """不予批准, with the reason."""
    step = FILE_FLOW.begin(file, by, "reject")
    reason = _required(reason, "reason", "不予批准理由")
    _decide(file, by, approvals.Approval.Status.REJECTED, reason)
    fields = _stop_notice(file)
    file.ended_on, file.end_note = _today(), reason[:200]
    FILE_FLOW.advance(file, by, step, update_fields=["ended_on", "end_note", *fields], note=reason)
    return file


# --- Yearly review and exit ------------------------------------------------------------------------


@transaction.atomic
def file_report_change(*, file: HardshipFile, by: User, note: str,
                       reported_on: datetime.date | None = None) -> HardshipFile:
    """情况变化 reported at any time: the file is due for review at once."""
    step = FILE_FLOW.begin(file, by, "report_change")
    note = _required(note, "note", "情况变化")
    reported_on = reported_on or _today()
    if reported_on > _today():
        _fail("登记日期不能晚于今天。", "reported_on")
    file.change_reported_on, file.change_note = reported_on, note[:200]
    file.recheck_due = min(file.recheck_due or reported_on, reported_on)
    FILE_FLOW.advance(file, by, step, update_fields=["change_reported_on", "change_note", "recheck_due"], note=note)
    return file


def _recheck_done(file: HardshipFile) -> list[str]:
    today = _today()
    file.rechecked_on = today
    file.recheck_due = selectors.add_months(today, param("hardship.recheck_months", file.org_unit))
    file.change_reported_on, file.change_note = None, ""
    return ["rechecked_on", "recheck_due", "change_reported_on", "change_note"]


@transaction.atomic
def file_recheck(*, file: HardshipFile, by: User, grade: str, opinion: str, override_reason: str = "") -> HardshipFile:
    """年度复核: eligibility again on the current figures and today's parameters; the file stays,
    with the same or another grade (against the rules only with a written reason)."""
    step = FILE_FLOW.begin(file, by, "recheck")
    if grade not in codes.Grade.values:
        _fail("请选择复核后的困难类别。", "grade")
    opinion = _required(opinion, "opinion", "复核意见")
    evaluation = evaluate_file(file, by=by, purpose="年度复核")
    label = f"继续在档（{codes.Grade(grade).label}）"
    override = _against(evaluation, proceeding_as=label, grade=grade, reason=override_reason, by=by, step="recheck")
    before = file.grade
    file.grade = grade
    if before != grade:
        _grade_from(file, grade, _today())
    fields = _recheck_done(file)
    changed = "，类别由" + codes.Grade(before).label + "调整为" + codes.Grade(grade).label if before != grade else ""
    FILE_FLOW.advance(file, by, step, update_fields=["grade", *fields],
                      note=f"{label}{changed}：{opinion}" + (f"（不按核算结论办理：{override.reason}）" if override else ""),
                      data={"grade": grade, "grade_before": before, "evaluation": evaluation.pk},
                      old={"grade": before}, new={"grade": grade})
    return file


@transaction.atomic
def file_exit(*, file: HardshipFile, by: User, reason: str, note: str = "") -> HardshipFile:
    """解困脱困: the review finds the household out of hardship. If the rules still find it
    eligible, the note is the written reason for leaving anyway."""
    step = FILE_FLOW.begin(file, by, "exit")
    if reason not in codes.ExitReason.values:
        _fail("请选择脱困原因。", "reason")
    note = (note or "").strip()
    if reason == codes.ExitReason.OTHER and not note:
        _fail("请说明脱困情况。", "note")
    evaluation = evaluate_file(file, by=by, purpose="解困脱困")
    label = codes.ExitReason(reason).label
    _against(evaluation, proceeding_as="解困脱困", grade="", reason=note, by=by, step="exit", field_name="note")
    file.ended_on, file.end_reason, file.end_note = _today(), reason, note[:200]
    _grade_ends(file, _today())
    fields = _recheck_done(file)
    FILE_FLOW.advance(file, by, step, update_fields=["ended_on", "end_reason", "end_note", *fields],
                      note=label + (f"：{note}" if note else ""), data={"reason": reason, "evaluation": evaluation.pk},
                      audit_detail=reason)
    return file


@transaction.atomic
def file_close(*, file: HardshipFile, by: User, reason: str, note: str = "") -> HardshipFile:
    """注销: the applicant died, moved away, or a check found the file wrong."""
    step = FILE_FLOW.begin(file, by, "close")
    if reason not in codes.CloseReason.values:
        _fail("请选择注销原因。", "reason")
    note = (note or "").strip()
    if reason in (codes.CloseReason.CHECK_FAILED, codes.CloseReason.OTHER) and not note:
        _fail("请说明注销情况。", "note")
    file.ended_on, file.end_reason, file.end_note = _today(), reason, note[:200]
    _grade_ends(file, _today())
    FILE_FLOW.advance(file, by, step, update_fields=["ended_on", "end_reason", "end_note"],
                      note=codes.CloseReason(reason).label + (f"：{note}" if note else ""), data={"reason": reason},
                      audit_detail=reason)
    return file


# --- The city's acknowledgement, attachments -----------------------------------------------------------


@transaction.atomic
def report_acknowledge(*, report: CityReport, by: User) -> CityReport:
    """市中心确认备案 of a district's list of approved files; the district's next approvals start a
    new list."""
    step = REPORT_FLOW.begin(report, by, "acknowledge")
    report.acknowledged_at, report.acknowledged_by = timezone.now(), by
    count = report.files.count()
    REPORT_FLOW.advance(report, by, step, update_fields=["acknowledged_at", "acknowledged_by"],
                        audit_detail=f"{count}份档案", new={"files": count})
    return report


def file_attach(*, file: HardshipFile, by: User, upload: Any, description: str = "") -> Attachment:
    """An evidence file (its 说明 names the kind), on the file's timeline (one audit row)."""
    return attachment_add(by=by, owner=file, upload=upload, description=description, permission=HANDLE,
                          timeline=file.events)
