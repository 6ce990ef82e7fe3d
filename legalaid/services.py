"""Every change to legal-aid and mediation records, one keyword-only function each.

A step of a workflow starts with ``FLOW.begin`` (workflow.py: scope → 404, permission → 403, the row
locked and re-read, the state and the step's guards checked — a Chinese ``ValidationError`` and
nothing changes), checks its own input (errors at the field they are about), and ends with
``FLOW.advance``: the new state, the saved fields, the timeline entry and the audit row together.
The review clock (7 working days from a complete application, paused while material is awaited),
the assignment clock (3 working days from the grant) and the mediation limit (15 days) are kernel
clocks; the limitation guard is ``limitation.py``.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, NoReturn

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from servicecenter import approvals, audit, clocks, employers, people, timeline
from servicecenter.access import owned_in_scope, require, visible
from servicecenter.attachments import attachment_add
from servicecenter.models import Attachment, Employer, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.qualifications import HARDSHIP_WORKER, qualifies_as
from servicecenter.validators import normalise_resident_id, normalise_uscc, validate_phone

from . import limitation
from .declaration import ADVISORS, APPLY, CONSULT, DECISION, HANDLE, MEDIATE
from .models import (
    Advisor,
    AdvisorTie,
    Application,
    ApplicationEvent,
    Consultation,
    ExecutionRecord,
    Forum,
    Matter,
    Mediation,
    MediationEvent,
    MediationParty,
    MediationSession,
    Progress,
    ReceptionDay,
)
from .selectors import ASSIGN_CLOCK, LIMIT_CLOCK, REVIEW_CLOCK, conflicts
from .workflow import APPLICATION_FLOW, MEDIATION_FLOW, is_stale

S = Application.Status
M = Mediation.Status
ZERO = Decimal("0")
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


# --- helpers ------------------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _fail(message: str, field_name: str | None = None, code: str = "invalid") -> NoReturn:
    raise ValidationError({field_name: message} if field_name else message, code=code)


def _required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        _fail(f"请填写{label}。", field_name, "required")
    return text


def _choice(value: Any, choices: type[models.TextChoices], field_name: str, label: str, *,
            blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in choices.values:
        _fail(f"请选择{label}。", field_name, "required")
    return str(value)


def _money(value: Any, field_name: str, label: str, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            _fail(f"请填写{label}。", field_name, "required")
        return None
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        _fail(f"{label}应为数字。", field_name)
    if not amount.is_finite():
        _fail(f"{label}应为数字。", field_name)
    if amount < ZERO:
        _fail(f"{label}不能为负数。", field_name)
    if amount != amount.quantize(Decimal("0.01")):
        _fail(f"{label}最多保留两位小数。", field_name)
    if amount >= Decimal("10000000000"):
        _fail(f"{label}过大，请核对。", field_name)
    return amount.quantize(Decimal("0.01"))


def _not_future(day: datetime.date | None, field_name: str, label: str) -> None:
    if day is not None and day > _today():
        _fail(f"{label}不能晚于今天。", field_name)


def _with_note(text: str, note: str) -> str:
    note = (note or "").strip()
    return text + (f"；{note}" if note else "")


def _visible_advisor(by: User, advisor: Advisor | None, kinds: tuple[str, ...], field_name: str, label: str) -> Advisor:
    if advisor is None:
        _fail(f"请选择{label}。", field_name, "required")
    if not visible(Advisor.objects.filter(pk=advisor.pk), by).exists():
        _fail(f"请选择{label}。", field_name)
    if not advisor.is_active:
        _fail(f"{advisor}已不在册，不能{label}。", field_name)
    if advisor.kind not in kinds:
        _fail(f"{advisor}是{advisor.get_kind_display()}，不能担任{label}。", field_name)
    return advisor


def _check_conflict(by: User, advisor: Advisor, employer: Employer | None, field_name: str, *,
                    application: Application | None = None, mediation: Mediation | None = None) -> None:
    reasons = conflicts(advisor, employer, user=by, application=application, mediation=mediation)
    if reasons:
        _fail("存在利害冲突，不能选择：" + "；".join(reasons) + "。", field_name, "conflict")


# --- people and employers, as the forms give them ------------------------------------------------------


def applicant_by_id_number(*, by: User, id_number: str, org_unit: OrgUnit) -> Person:
    """The applicant by full resident ID number (required for legal aid): a person the user sees,
    or one registered elsewhere, linked to ``org_unit`` (audited)."""
    number = normalise_resident_id(id_number or "")
    if not number:
        _fail("请填写申请人身份证号码。", "id_number", "required")
    found = people.person_by_id_number(number)
    if found is None:
        _fail("未找到该身份证号码对应的职工，请先在“职工”中登记。", "id_number")
    if visible(Person.objects.filter(pk=found.pk), by).exists():
        return found
    return people.person_attach(by=by, id_number=number, org_unit=org_unit)


def employer_by_text(*, by: User, text: str, org_unit: OrgUnit, field_name: str = "employer") -> Employer:
    """An employer by credit code (linking one registered elsewhere, audited) or by a name that
    matches exactly one employer the user sees."""
    text = (text or "").strip()
    if not text:
        _fail("请填写用人单位名称或统一社会信用代码。", field_name, "required")
    code = normalise_uscc(text)
    if len(code) == 18:
        found = employers.employer_by_code(code)
        if found is not None:
            if visible(Employer.objects.filter(pk=found.pk), by).exists():
                return found
            return employers.employer_attach(by=by, credit_code=code, org_unit=org_unit)
    seen = visible(Employer.objects.all(), by)
    exact = list(seen.filter(name=text)[:2])
    matches = exact or list(seen.filter(name__contains=text)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        _fail("找到多家名称相近的单位，请输入完整名称或统一社会信用代码。", field_name)
    _fail("未找到该单位，请先在“用人单位”中登记。", field_name)


def detected_qualification(person: Person, day: datetime.date | None = None) -> tuple[str, str] | None:
    """What the records say the applicant qualifies as: an active hardship file (through the
    declared providers, qualifications.py), else the 劳动模范 tag; None when staff must choose."""
    found = qualifies_as(person, HARDSHIP_WORKER, day or _today())
    if found is not None:
        return Application.Qualifies.HARDSHIP, f"{found.label}（{found.basis}）"
    if person.model_worker:
        return Application.Qualifies.MODEL_WORKER, person.get_model_worker_display()
    return None


# --- applications: the details and the limitation guard -------------------------------------------------


DETAIL_FIELDS = ("qualifies", "qualifies_basis", "matter", "forum", "employer", "opposing_agent", "amount_claimed",
                 "facts", "request", "evidence", "dispute_arose_on", "employment_ended_on", "award_served_on")


def _clean_details(by: User, data: dict[str, Any], unit: OrgUnit, applicant: Person) -> dict[str, Any]:
    """The application's details checked, each error at its field. Blank is allowed here (a draft);
    ``complete`` says what is still missing."""
    out: dict[str, Any] = {}
    out["qualifies"] = _choice(data.get("qualifies"), Application.Qualifies, "qualifies", "援助对象类别", blank=True)
    out["qualifies_basis"] = (data.get("qualifies_basis") or "").strip()[:200]
    if not out["qualifies"] or out["qualifies"] == Application.Qualifies.HARDSHIP and not out["qualifies_basis"]:
        detected = detected_qualification(applicant)
        if detected is not None and out["qualifies"] in ("", detected[0]):
            out["qualifies"], out["qualifies_basis"] = detected
    if out["qualifies"] in (Application.Qualifies.HARDSHIP, Application.Qualifies.UNION_CADRE) \
            and not out["qualifies_basis"]:
        what = "工会出具的经济困难证明" if out["qualifies"] == Application.Qualifies.HARDSHIP else "所在或上级工会的证明"
        _fail(f"系统中没有该职工的困难职工档案，请注明依据（如{what}）。", "qualifies_basis")
    out["matter"] = _choice(data.get("matter"), Matter, "matter", "案由", blank=True)
    out["forum"] = _choice(data.get("forum"), Forum, "forum", "申请援助形式", blank=True)
    employer = data.get("employer")
    if employer is not None and not visible(Employer.objects.filter(pk=employer.pk), by).exists():
        _fail("请选择对方当事人（用人单位）。", "employer")
    out["employer"] = employer
    agent = data.get("opposing_agent")
    if agent is not None and not visible(Advisor.objects.filter(pk=agent.pk), by).exists():
        _fail("请选择对方代理人。", "opposing_agent")
    out["opposing_agent"] = agent
    out["amount_claimed"] = _money(data.get("amount_claimed"), "amount_claimed", "请求金额", required=False)
    for name in ("facts", "request", "evidence"):
        out[name] = (data.get(name) or "").strip()
    arose, ended, served = (data.get("dispute_arose_on"), data.get("employment_ended_on"),
                            data.get("award_served_on"))
    _not_future(arose, "dispute_arose_on", "争议发生日")
    _not_future(ended, "employment_ended_on", "劳动关系终止日")
    _not_future(served, "award_served_on", "仲裁裁决书送达日")
    if served is not None and arose is not None and served < arose:
        _fail("仲裁裁决书送达日不能早于争议发生日。", "award_served_on")
    if served is not None and arose is None:
        _fail("填写了仲裁裁决书送达日，请同时填写争议发生日。", "dispute_arose_on")
    out.update(dispute_arose_on=arose, employment_ended_on=ended, award_served_on=served)
    return out


def limitation_of(a: Application) -> limitation.Limitation:
    unit = a.org_unit
    return limitation.compute(matter=a.matter, dispute_arose_on=a.dispute_arose_on,
                              employment_ended_on=a.employment_ended_on, award_served_on=a.award_served_on,
                              months=param("legalaid.arbitration_limitation_months", unit),
                              suit_days=param("legalaid.suit_days", unit))


def _put_limitation(a: Application) -> list[str]:
    result = limitation_of(a)
    changed = []
    for name, value in (("arbitration_limit_on", result.arbitration_ends), ("suit_limit_on", result.suit_ends),
                        ("limitation_ends_on", result.ends)):
        if getattr(a, name) != value:
            setattr(a, name, value)
            changed.append(name)
    return changed


def _event(obj: Application | Mediation, kind: str, label: str, by: User, note: str = "", **kwargs: Any) -> Any:
    return timeline.record(obj.events, kind, label=label, by=by, note=note, **kwargs)


def _start_review(a: Application, today: datetime.date) -> list[str]:
    a.completed_on = today
    clock = clocks.start(today, param("legalaid.decision_working_days", a.org_unit), in_working_days=True)
    return ["completed_on", *REVIEW_CLOCK.write(a, clock)]


@transaction.atomic
def application_intake(*, by: User, token: uuid.UUID, org_unit: OrgUnit, applicant: Person,
                       complete: bool = False, **details: Any) -> Application:
    """受理 a legal-aid application (法律援助申请书). The same ``token`` (the form's hidden field)
    always gives the same application. With ``complete`` the review clock starts at once (the
    application must then be complete)."""
    require(by, APPLY, org_unit)
    existing = Application.objects.filter(token=token).first()
    if existing is not None:
        return existing
    if applicant is None or not visible(Person.objects.filter(pk=applicant.pk), by).exists():
        _fail("请重新填写申请人身份证号码。", "id_number", "required")
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    cleaned = _clean_details(by, details, org_unit, applicant)
    today = _today()
    application = Application(org_unit=org_unit, received_on=today, received_by=by, handler=by, token=token,
                              applicant=applicant, **cleaned)
    _put_limitation(application)
    if complete:
        from .workflow import missing_for_review

        missing = missing_for_review(application)
        if missing:
            _fail("申请材料尚不齐全，请先补充：" + "、".join(missing) + "。")
        _start_review(application, today)
        application.status = S.REVIEW
    return _save_new(application, by, note=f"申请人{applicant}，{application.get_matter_display() or '案由待定'}")


def _save_new(application: Application, by: User, *, note: str, kind: str = ApplicationEvent.Kind.INTAKE,
              label: str = "") -> Application:
    try:
        with transaction.atomic():
            # Numbered inside the savepoint: a lost race hands the number back (no gaps).
            application.number = case_number("FY", application.org_unit, application.received_on.year)
            application.save()
    except IntegrityError:
        winner = Application.objects.filter(token=application.token).first()
        if winner is None:
            raise
        return winner
    people.person_link(person=application.applicant, org_unit=application.org_unit, by=by)
    if application.employer is not None:
        employers.employer_link(employer=application.employer, org_unit=application.org_unit, by=by)
    _event(application, kind, label or ApplicationEvent.Kind(kind).label, by, note, to_state=application.status,
           audit_event=audit.Event.CREATE, new={"status": application.status, "number": application.number})
    return application


@transaction.atomic
def application_update(*, application: Application, by: User, **details: Any) -> Application:
    """修改申请信息 before the decision (the limitation is computed again)."""
    t = APPLICATION_FLOW.begin(application, by, "update")
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    merged = {name: getattr(application, name) for name in DETAIL_FIELDS} | details
    cleaned = _clean_details(by, merged, application.org_unit, application.applicant)
    old, new, changed = {}, {}, []
    for name, value in cleaned.items():
        before = getattr(application, name)
        if before != value:
            old[name], new[name] = str(before) if before is not None else None, str(value) if value is not None else None
            setattr(application, name, value)
            changed.append(name)
    changed += _put_limitation(application)
    if application.status != S.DRAFT:
        from .workflow import missing_for_review

        missing = missing_for_review(application)
        if missing:
            _fail("审查中的申请不能删去必填信息：" + "、".join(missing) + "。")
    if application.employer is not None:
        employers.employer_link(employer=application.employer, org_unit=application.org_unit, by=by)
    labels = {f.name: str(f.verbose_name) for f in Application._meta.fields}
    note = "修改：" + "、".join(labels.get(n, n) for n in old) if old else "未修改"
    APPLICATION_FLOW.advance(application, by, t, update_fields=changed, note=note, old=old, new=new)
    return application


@transaction.atomic
def application_complete(*, application: Application, by: User) -> Application:
    """材料齐全: the review clock starts (``legalaid.decision_working_days`` working days)."""
    t = APPLICATION_FLOW.begin(application, by, "complete")
    fields = _start_review(application, _today())
    APPLICATION_FLOW.advance(application, by, t, update_fields=fields,
                             note=f"审查期限至{application.review_due_date:%Y-%m-%d}")
    return application


@transaction.atomic
def application_request_material(*, application: Application, by: User, material: str) -> Application:
    """通知补充材料: the review clock pauses until the material arrives."""
    t = APPLICATION_FLOW.begin(application, by, "request_material")
    material = _required(material, "material", "需补充的材料")
    today = _today()
    fields = REVIEW_CLOCK.write(application, clocks.pause(REVIEW_CLOCK.read(application), today))
    application.material_requested, application.material_requested_on = material, today
    days = param("legalaid.supplement_days", application.org_unit)
    APPLICATION_FLOW.advance(application, by, t, update_fields=[*fields, "material_requested", "material_requested_on"],
                             note=f"{material}（{days}天内未补充的视为撤回申请）")
    return application


@transaction.atomic
def application_supplement(*, application: Application, by: User, note: str = "") -> Application:
    """材料已补齐: the review clock runs again; the deadline moves by the working days it waited."""
    t = APPLICATION_FLOW.begin(application, by, "supplement")
    clock, taken = clocks.resume(REVIEW_CLOCK.read(application), _today())
    fields = REVIEW_CLOCK.write(application, clock)
    APPLICATION_FLOW.advance(application, by, t, update_fields=fields,
                             note=_with_note(f"暂停{taken}个工作日，审查期限至{application.review_due_date:%Y-%m-%d}", note))
    return application


@transaction.atomic
def application_assess(*, application: Application, by: User, opinion: str, recommend: str) -> Application:
    """审查意见: the reviewer's opinion goes to the supervisor leading the unit for a decision."""
    t = APPLICATION_FLOW.begin(application, by, "assess")
    opinion = _required(opinion, "opinion", "审查意见")
    if recommend not in ("grant", "refuse"):
        _fail("请选择建议（给予或不予援助）。", "recommend", "required")
    application.reviewer, application.review_opinion = by, opinion
    approvals.approval_request(code=DECISION, target=application, by=by, note=opinion,
                               data={"recommend": recommend}, note_field="opinion")
    word = "建议给予援助" if recommend == "grant" else "建议不予援助"
    APPLICATION_FLOW.advance(application, by, t, update_fields=["reviewer", "review_opinion"],
                             note=f"{word}：{opinion}", audit_detail=recommend)
    return application


def _decide(application: Application, by: User, approve: bool, note: str, note_field: str) -> None:
    request = next((x for x in approvals.pending(application, DECISION) if approvals.may_decide(by, x)), None)
    if request is None:
        _fail("没有待您审批的法律援助申请。", code="state")
    status = approvals.Approval.Status.APPROVED if approve else approvals.Approval.Status.REJECTED
    decided = approvals.approval_decide(approval=request, by=by, decision=status, note=note, target=application,
                                        note_field=note_field)
    if not decided.final:  # a second level is not declared for this kind; keep the rule explicit
        _fail("该申请需上级审批。", code="state")


@transaction.atomic
def application_grant(*, application: Application, by: User, forum: str, note: str = "") -> Application:
    """批准援助 with the form of aid: the review clock stops, the assignment clock starts
    (``legalaid.assignment_working_days`` working days)."""
    t = APPLICATION_FLOW.begin(application, by, "grant")
    forum = _choice(forum, Forum, "forum", "援助形式")
    note = (note or "").strip()
    _decide(application, by, True, note, "note")
    today = _today()
    application.decided_by, application.decided_on = by, today
    application.granted_forum, application.decision_note = forum, note
    fields = REVIEW_CLOCK.write(application, clocks.stop(REVIEW_CLOCK.read(application), today))
    assign = clocks.start(today, param("legalaid.assignment_working_days", application.org_unit), in_working_days=True)
    fields += ASSIGN_CLOCK.write(application, assign)
    late = "（审查逾期）" if application.review_late_from else ""
    APPLICATION_FLOW.advance(application, by, t, update_fields=[
        "decided_by", "decided_on", "granted_forum", "decision_note", *fields],
        note=_with_note(f"批准{application.get_granted_forum_display()}{late}，"
                        f"指派期限至{application.assign_due_date:%Y-%m-%d}", note))
    return application


@transaction.atomic
def application_refuse(*, application: Application, by: User, reason: str) -> Application:
    """不予援助, with the reason the refusal notice prints (and how to object)."""
    t = APPLICATION_FLOW.begin(application, by, "refuse")
    reason = _required(reason, "reason", "不予援助的理由")
    _decide(application, by, False, reason, "reason")
    today = _today()
    application.decided_by, application.decided_on, application.refusal_reason = by, today, reason
    fields = REVIEW_CLOCK.write(application, clocks.stop(REVIEW_CLOCK.read(application), today))
    APPLICATION_FLOW.advance(application, by, t, update_fields=["decided_by", "decided_on", "refusal_reason", *fields],
                             note=reason)
    return application


def _stop_open_clocks(application: Application, today: datetime.date) -> list[str]:
    fields = []
    for spec in (REVIEW_CLOCK, ASSIGN_CLOCK):
        clock = spec.read(application)
        if clock.started_on is not None and not clock.is_stopped:
            fields += spec.write(application, clocks.stop(clock, today))
    return fields


@transaction.atomic
def application_withdraw(*, application: Application, by: User, reason: str) -> Application:
    """申请人撤回 before a lawyer takes the case."""
    t = APPLICATION_FLOW.begin(application, by, "withdraw")
    reason = _required(reason, "reason", "撤回原因")
    today = _today()
    application.withdrawn_on, application.withdrawal_reason = today, reason
    fields = _stop_open_clocks(application, today)
    APPLICATION_FLOW.advance(application, by, t, update_fields=["withdrawn_on", "withdrawal_reason", *fields],
                             note=reason)
    return application


@transaction.atomic
def application_withdraw_stale(*, application: Application, by: User) -> Application:
    """视为撤回: left incomplete past ``legalaid.supplement_days``; the notice is printable."""
    t = APPLICATION_FLOW.begin(application, by, "withdraw_stale")
    today = _today()
    days = param("legalaid.supplement_days", application.org_unit)
    if application.status == S.SUPPLEMENT:
        since = application.material_requested_on
        reason = f"自{since:%Y年%m月%d日}通知补充材料起{days}日内未补充，视为撤回申请"
    else:
        since = application.received_on
        reason = f"自{since:%Y年%m月%d日}受理起{days}日内未补齐申请材料，视为撤回申请"
    application.withdrawn_on, application.withdrawal_reason, application.withdrawn_as_stale = today, reason, True
    fields = _stop_open_clocks(application, today)
    APPLICATION_FLOW.advance(application, by, t, update_fields=["withdrawn_on", "withdrawal_reason",
                                                                "withdrawn_as_stale", *fields],
                             note=reason + "；已生成视为撤回申请通知书")
    return application


def applications_withdraw_stale(*, by: User, today: datetime.date | None = None) -> list[Application]:
    """Every application the user may handle that was left incomplete too long, withdrawn (each in
    its own transaction). For the daily ``manage.py legalaid_withdraw_stale``."""
    today = today or _today()
    done = []
    candidates = (visible(Application.objects.select_related("org_unit"), by)
                  .filter(status__in=[S.DRAFT, S.SUPPLEMENT]).order_by("pk"))
    for application in candidates.iterator(chunk_size=500):
        if is_stale(application, today):
            done.append(application_withdraw_stale(application=application, by=by))
    return done


@transaction.atomic
def application_assign(*, application: Application, by: User, advisor: Advisor | None, note: str = "") -> Application:
    """指派 a lawyer or volunteer: active, and with no tie to the opposing employer (the conflict
    check refuses with the reason). The assignment clock stops."""
    t = APPLICATION_FLOW.begin(application, by, "assign")
    advisor = _visible_advisor(by, advisor, Advisor.ASSIGNABLE, "advisor", "承办律师/志愿者")
    _check_conflict(by, advisor, application.employer, "advisor", application=application)
    today = _today()
    application.advisor, application.assigned_on = advisor, today
    fields = ASSIGN_CLOCK.write(application, clocks.stop(ASSIGN_CLOCK.read(application), today))
    late = "（指派逾期）" if application.assign_late_from else ""
    APPLICATION_FLOW.advance(application, by, t, update_fields=["advisor", "assigned_on", *fields],
                             note=_with_note(f"指派{advisor}（{advisor.firm or advisor.get_kind_display()}）{late}", note),
                             new={"advisor": advisor.pk})
    return application


@transaction.atomic
def application_reassign(*, application: Application, by: User, advisor: Advisor | None, reason: str) -> Application:
    t = APPLICATION_FLOW.begin(application, by, "reassign")
    advisor = _visible_advisor(by, advisor, Advisor.ASSIGNABLE, "advisor", "承办律师/志愿者")
    if advisor.pk == application.advisor_id:
        _fail("已由该律师承办。", "advisor")
    reason = _required(reason, "reason", "更换理由")
    _check_conflict(by, advisor, application.employer, "advisor", application=application)
    previous = application.advisor
    application.advisor = advisor
    APPLICATION_FLOW.advance(application, by, t, update_fields=["advisor"],
                             note=f"由{previous}改为{advisor}：{reason}",
                             old={"advisor": previous.pk if previous else None}, new={"advisor": advisor.pk})
    return application


@transaction.atomic
def application_progress(*, application: Application, by: User, kind: str, on: datetime.date | None,
                         document: str = "", note: str = "") -> Progress:
    """案件进展 (立案, 开庭, 裁决, 判决, 上诉, 执行). An award's date is the day it was served: the
    15-day window to sue starts from it."""
    t = APPLICATION_FLOW.begin(application, by, "progress")
    kind = _choice(kind, Progress.Kind, "kind", "事项")
    if on is None:
        _fail("请填写日期。", "on", "required")
    if kind not in Progress.SCHEDULED and on > _today():
        _fail(f"{Progress.Kind(kind).label}的日期不能晚于今天。", "on")
    if application.dispute_arose_on and on < application.dispute_arose_on:
        _fail("日期不能早于争议发生日。", "on")
    item = Progress.objects.create(application=application, kind=kind, on=on, document=(document or "").strip()[:100],
                                   note=(note or "").strip()[:500], by=by)
    fields: list[str] = []
    if kind == Progress.Kind.AWARD:
        application.award_served_on = on
        fields = ["award_served_on", *_put_limitation(application)]
    text = f"{item.get_kind_display()} {on:%Y-%m-%d}" + (f"，{item.document}" if item.document else "")
    if kind == Progress.Kind.AWARD and application.suit_limit_on:
        text += f"；起诉期限至{application.suit_limit_on:%Y-%m-%d}"
    APPLICATION_FLOW.advance(application, by, t, update_fields=fields, note=_with_note(text, note),
                             audit_detail=kind)
    return item


@transaction.atomic
def application_close(*, application: Application, by: User, outcome: str, amount_awarded: Any,
                      amount_received: Any, summary: str, received_note: str = "",
                      closed_on: datetime.date | None = None) -> Application:
    """结案 with the three amounts: claimed (at application), awarded or agreed, and actually
    received by the worker — "money recovered" everywhere means the last."""
    t = APPLICATION_FLOW.begin(application, by, "close")
    outcome = _choice(outcome, Application.Outcome, "outcome", "结果")
    no_award = outcome in Application.NO_AWARD
    awarded = _money(amount_awarded, "amount_awarded", "裁判/协议金额", required=not no_award) or ZERO
    received = _money(amount_received, "amount_received", "实际到手金额")
    assert received is not None
    if no_award and awarded > ZERO:
        _fail("败诉或撤回结案时，裁判/协议金额应为0。", "amount_awarded")
    received_note = (received_note or "").strip()
    if received > awarded and not received_note:
        _fail("实际到手金额高于裁判/协议金额，请说明原因（如利息、加付赔偿金）。", "received_note")
    summary = _required(summary, "summary", "结案情况")
    closed_on = closed_on or _today()
    _not_future(closed_on, "closed_on", "结案日期")
    if application.assigned_on and closed_on < application.assigned_on:
        _fail("结案日期不能早于指派日期。", "closed_on")
    application.outcome, application.amount_awarded, application.amount_received = outcome, awarded, received
    application.received_note, application.closing_summary, application.closed_on = received_note[:200], summary, closed_on
    APPLICATION_FLOW.advance(application, by, t, update_fields=[
        "outcome", "amount_awarded", "amount_received", "received_note", "closing_summary", "closed_on"],
        note=f"{application.get_outcome_display()}；裁判/协议{awarded}元，实际到手{received}元",
        new={"amount_awarded": str(awarded), "amount_received": str(received)})
    return application


@transaction.atomic
def application_feedback(*, application: Application, by: User, satisfaction: str, comment: str = "") -> Application:
    t = APPLICATION_FLOW.begin(application, by, "feedback")
    satisfaction = _choice(satisfaction, Application.Satisfaction, "satisfaction", "职工评价")
    comment = (comment or "").strip()
    if satisfaction == Application.Satisfaction.UNSATISFIED and not comment:
        _fail("职工不满意时，请记录其意见。", "comment")
    application.feedback, application.feedback_comment = satisfaction, comment
    APPLICATION_FLOW.advance(application, by, t, update_fields=["feedback", "feedback_comment"],
                             note=application.get_feedback_display() + (f"：{comment}" if comment else ""),
                             audit_detail=satisfaction)
    return application


def application_attach(*, application: Application, by: User, upload: Any, description: str = "") -> Attachment:
    return attachment_add(by=by, owner=application, upload=upload, description=description, permission=HANDLE,
                          timeline=application.events)


# --- consultations ------------------------------------------------------------------------------------


@transaction.atomic
def consultation_create(*, by: User, token: uuid.UUID, org_unit: OrgUnit, at: datetime.datetime, channel: str,
                        matter: str, question: str, answer: str, person: Person | None = None, caller: str = "",
                        advisor: Advisor | None = None) -> Consultation:
    """法律咨询: answered on the spot; the person is optional (anonymous callers are common)."""
    require(by, CONSULT, org_unit)
    existing = Consultation.objects.filter(token=token).first()
    if existing is not None:
        return existing
    if at is None:
        _fail("请填写咨询时间。", "at", "required")
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + FUTURE_TOLERANCE:
        _fail("咨询时间不能晚于当前时间。", "at")
    channel = _choice(channel, Consultation.Channel, "channel", "咨询形式")
    matter = _choice(matter, Matter, "matter", "类别")
    question = _required(question, "question", "咨询问题")
    answer = _required(answer, "answer", "解答意见")
    if person is not None and not visible(Person.objects.filter(pk=person.pk), by).exists():
        _fail("请重新选择咨询人。", "person")
    if advisor is not None:
        _visible_advisor(by, advisor, Advisor.ASSIGNABLE + (Advisor.Kind.PSYCHOLOGIST,), "advisor", "值班律师/志愿者")
    consultation = Consultation.objects.create(
        org_unit=org_unit, at=at, channel=channel, person=person, caller=(caller or "").strip()[:50], matter=matter,
        question=question, answer=answer, advisor=advisor, taken_by=by, token=token)
    if person is not None:
        people.person_link(person=person, org_unit=org_unit, by=by)
    audit.record(audit.Event.CREATE, user=by, target=consultation, action="legalaid.consultation",
                 detail=f"法律咨询（{consultation.get_matter_display()}）", new={"channel": channel, "matter": matter})
    return consultation


# --- lawyers, volunteers, reception days -----------------------------------------------------------------


ADVISOR_FIELDS = ("kind", "name", "firm", "licence_number", "phone", "specialities", "pledge_signed_on", "is_active",
                  "note")


def _clean_advisor(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: data.get(k) for k in ADVISOR_FIELDS}
    out["kind"] = _choice(out["kind"], Advisor.Kind, "kind", "类别")
    out["name"] = _required(out["name"], "name", "姓名")[:50]
    for name, size in (("firm", 100), ("licence_number", 30), ("specialities", 200), ("note", 200)):
        out[name] = (out[name] or "").strip()[:size]
    out["phone"] = validate_phone(out["phone"]) if out["phone"] else ""
    out["is_active"] = bool(out["is_active"]) if data.get("is_active") is not None else True
    if out["kind"] == Advisor.Kind.LAWYER and not out["licence_number"]:
        _fail("律师须填写执业证号。", "licence_number", "required")
    if out["kind"] == Advisor.Kind.VOLUNTEER and out["pledge_signed_on"] is None:
        _fail("法律志愿者须签订志愿者承诺书，请填写签订日期。", "pledge_signed_on", "required")
    _not_future(out["pledge_signed_on"], "pledge_signed_on", "承诺书签订日期")
    return out


@transaction.atomic
def advisor_save(*, by: User, org_unit: OrgUnit | None = None, advisor: Advisor | None = None,
                 **data: Any) -> Advisor:
    """Register (``org_unit``) or change (``advisor``) a lawyer, volunteer, mediator or psychologist.
    A unit changes only the advisors registered in its own subtree."""
    cleaned = _clean_advisor(data)
    if advisor is None:
        if org_unit is None:
            _fail("请选择登记单位。", "org_unit", "required")
        require(by, ADVISORS, org_unit)
        target = Advisor(org_unit=org_unit)
        old: dict[str, Any] = {}
    else:
        require(by, ADVISORS, advisor)
        if not owned_in_scope(Advisor.objects.filter(pk=advisor.pk), by).exists():
            _fail(f"该人员由{advisor.org_unit}登记，只能由该单位或其上级修改。")
        target = Advisor.objects.select_for_update().get(pk=advisor.pk)
        old = {k: str(getattr(target, k)) for k in ADVISOR_FIELDS}
    if cleaned["licence_number"]:
        clash = Advisor.objects.filter(licence_number=cleaned["licence_number"]).exclude(pk=target.pk).first()
        if clash is not None:
            _fail(f"执业证号已登记（{clash}，{clash.org_unit}）。", "licence_number")
    for name, value in cleaned.items():
        setattr(target, name, value)
    target.save()
    new = {k: str(getattr(target, k)) for k in ADVISOR_FIELDS}
    audit.record(audit.Event.CREATE if not old else audit.Event.STATE, user=by, target=target,
                 action="legalaid.advisor_save", detail=f"{target.get_kind_display()} {target}",
                 old={k: v for k, v in old.items() if new[k] != v} or None,
                 new={k: v for k, v in new.items() if old.get(k) != v})
    return target


@transaction.atomic
def advisor_tie_add(*, by: User, advisor: Advisor, employer: Employer | None, relation: str,
                    note: str = "") -> AdvisorTie:
    """Record a tie between an advisor and an employer: the conflict check will refuse it."""
    require(by, ADVISORS, advisor)
    if employer is None or not visible(Employer.objects.filter(pk=employer.pk), by).exists():
        _fail("请选择单位。", "employer", "required")
    relation = _choice(relation, AdvisorTie.Relation, "relation", "关系")
    if AdvisorTie.objects.filter(advisor=advisor, employer=employer, relation=relation).exists():
        _fail("该利害关系已登记。", "relation")
    tie = AdvisorTie.objects.create(advisor=advisor, employer=employer, relation=relation,
                                    note=(note or "").strip()[:200], recorded_by=by)
    audit.record(audit.Event.CREATE, user=by, target=advisor, action="legalaid.advisor_tie",
                 detail=f"利害关系：{tie.get_relation_display()} {employer}", new={"employer": employer.pk,
                                                                                "relation": relation})
    return tie


@transaction.atomic
def advisor_tie_remove(*, by: User, tie: AdvisorTie) -> None:
    require(by, ADVISORS, tie.advisor)
    audit.record(audit.Event.STATE, user=by, target=tie.advisor, action="legalaid.advisor_tie_remove",
                 detail=f"删除利害关系：{tie.get_relation_display()} {tie.employer}",
                 old={"employer": tie.employer_id, "relation": tie.relation})
    tie.delete()


@transaction.atomic
def reception_day_add(*, by: User, advisor: Advisor, org_unit: OrgUnit | None, on: datetime.date | None,
                      session: str, note: str = "") -> ReceptionDay:
    """A lawyer's or psychologist's reception day (接待日) at a unit."""
    require(by, ADVISORS, advisor)
    if org_unit is None:
        _fail("请选择接待地点。", "org_unit", "required")
    require(by, ADVISORS, org_unit)
    if advisor.kind not in (Advisor.Kind.LAWYER, Advisor.Kind.PSYCHOLOGIST, Advisor.Kind.VOLUNTEER):
        _fail("接待日只为律师、法律志愿者和心理咨询师安排。", "advisor")
    if not advisor.is_active:
        _fail(f"{advisor}已不在册。", "advisor")
    if on is None:
        _fail("请填写日期。", "on", "required")
    session = _choice(session, ReceptionDay.Session, "session", "时段")
    if ReceptionDay.objects.filter(advisor=advisor, on=on, session=session).exists():
        _fail(f"{advisor}在{on:%Y-%m-%d}该时段已有接待安排。", "on")
    day = ReceptionDay.objects.create(advisor=advisor, org_unit=org_unit, on=on, session=session,
                                      note=(note or "").strip()[:100], created_by=by)
    audit.record(audit.Event.CREATE, user=by, target=advisor, action="legalaid.reception_day",
                 detail=f"接待日 {on:%Y-%m-%d}{day.get_session_display()} {org_unit}")
    return day


# --- mediation ------------------------------------------------------------------------------------------


@transaction.atomic
def mediation_intake(*, by: User, token: uuid.UUID, org_unit: OrgUnit, workers: list[Person], employer: Employer | None,
                     mediator: Advisor | None, matter: str, request: str, facts: str = "",
                     amount_claimed: Any = None, employer_agent: Advisor | None = None,
                     applied_on: datetime.date | None = None) -> Mediation:
    """受理调解: one or more workers against an employer, a conflict-checked mediator, and the
    time limit (``mediation.agreement_days`` days from the application)."""
    require(by, MEDIATE, org_unit)
    existing = Mediation.objects.filter(token=token).first()
    if existing is not None:
        return existing
    workers = list(dict.fromkeys(workers or []))
    if not workers:
        _fail("请至少填写一名申请调解的职工。", "workers", "required")
    seen = set(visible(Person.objects.filter(pk__in=[w.pk for w in workers]), by).values_list("pk", flat=True))
    if len(seen) != len(workers):
        _fail("请重新选择申请调解的职工。", "workers")
    if employer is None or not visible(Employer.objects.filter(pk=employer.pk), by).exists():
        _fail("请填写被申请的用人单位。", "employer", "required")
    if employer_agent is not None and not visible(Advisor.objects.filter(pk=employer_agent.pk), by).exists():
        _fail("请选择单位委托代理人。", "employer_agent")
    mediator = _visible_advisor(by, mediator, Advisor.MEDIATES, "mediator", "调解员")
    if employer_agent is not None and employer_agent.pk == mediator.pk:
        _fail("调解员不能同时是单位的委托代理人。", "mediator", "conflict")
    _check_conflict(by, mediator, employer, "mediator")
    matter = _choice(matter, Matter, "matter", "争议事项")
    request = _required(request, "request", "请求事项")
    amount = _money(amount_claimed, "amount_claimed", "请求金额", required=False)
    applied_on = applied_on or _today()
    _not_future(applied_on, "applied_on", "申请日期")
    mediation = Mediation(org_unit=org_unit, applied_on=applied_on, received_by=by, token=token, employer=employer,
                          employer_agent=employer_agent, mediator=mediator, matter=matter, request=request,
                          facts=(facts or "").strip(), amount_claimed=amount)
    unit_days = param("mediation.agreement_days", org_unit)
    LIMIT_CLOCK.write(mediation, clocks.start(applied_on, unit_days, rolls_over=clocks.rolls_over(org_unit)))
    try:
        with transaction.atomic():
            mediation.number = case_number("TJ", org_unit, applied_on.year)
            mediation.save()
    except IntegrityError:
        winner = Mediation.objects.filter(token=token).first()
        if winner is None:
            raise
        return winner
    MediationParty.objects.bulk_create([MediationParty(mediation=mediation, person=w) for w in workers])
    for w in workers:
        people.person_link(person=w, org_unit=org_unit, by=by)
    employers.employer_link(employer=employer, org_unit=org_unit, by=by)
    _event(mediation, MediationEvent.Kind.INTAKE, MediationEvent.Kind.INTAKE.label, by,
           f"{len(workers)}名职工申请调解，调解员{mediator}，调解期限至{mediation.limit_due_date:%Y-%m-%d}",
           to_state=mediation.status, audit_event=audit.Event.CREATE,
           new={"status": mediation.status, "number": mediation.number})
    return mediation


@transaction.atomic
def mediation_session(*, mediation: Mediation, by: User, held_on: datetime.date | None, note: str,
                      place: str = "") -> MediationSession:
    t = MEDIATION_FLOW.begin(mediation, by, "session")
    if held_on is None:
        _fail("请填写调解日期。", "held_on", "required")
    _not_future(held_on, "held_on", "调解日期")
    if held_on < mediation.applied_on:
        _fail("调解日期不能早于申请日期。", "held_on")
    note = _required(note, "note", "调解情况")
    session = MediationSession.objects.create(mediation=mediation, held_on=held_on, place=(place or "").strip()[:100],
                                              note=note, by=by)
    MEDIATION_FLOW.advance(mediation, by, t, note=f"{held_on:%Y-%m-%d} {session.place}：{note}".replace("  ", " "))
    return session


@transaction.atomic
def mediation_change_mediator(*, mediation: Mediation, by: User, mediator: Advisor | None, reason: str) -> Mediation:
    t = MEDIATION_FLOW.begin(mediation, by, "change_mediator")
    mediator = _visible_advisor(by, mediator, Advisor.MEDIATES, "mediator", "调解员")
    if mediator.pk == mediation.mediator_id:
        _fail("已由该调解员主持。", "mediator")
    if mediation.employer_agent_id == mediator.pk:
        _fail("调解员不能同时是单位的委托代理人。", "mediator", "conflict")
    _check_conflict(by, mediator, mediation.employer, "mediator", mediation=mediation)
    reason = _required(reason, "reason", "更换理由")
    previous = mediation.mediator
    mediation.mediator = mediator
    MEDIATION_FLOW.advance(mediation, by, t, update_fields=["mediator"], note=f"由{previous}改为{mediator}：{reason}",
                           old={"mediator": previous.pk}, new={"mediator": mediator.pk})
    return mediation


@transaction.atomic
def mediation_notify(*, mediation: Mediation, by: User, note: str = "") -> Mediation:
    """告知: the time limit passed without an agreement; the parties may go to arbitration."""
    t = MEDIATION_FLOW.begin(mediation, by, "notify")
    mediation.parties_notified_on = _today()
    MEDIATION_FLOW.advance(mediation, by, t, update_fields=["parties_notified_on"],
                           note=_with_note("调解期满未达成协议，已告知当事人可依法申请劳动仲裁", note))
    return mediation


@transaction.atomic
def mediation_agree(*, mediation: Mediation, by: User, terms: str, amount_agreed: Any, pay_by: datetime.date | None,
                    agreed_on: datetime.date | None = None) -> Mediation:
    """达成调解协议 (terms, amount, due date): the 调解协议书 can be printed."""
    t = MEDIATION_FLOW.begin(mediation, by, "agree")
    terms = _required(terms, "terms", "协议内容")
    amount = _money(amount_agreed, "amount_agreed", "协议金额")
    agreed_on = agreed_on or _today()
    _not_future(agreed_on, "agreed_on", "协议日期")
    if agreed_on < mediation.applied_on:
        _fail("协议日期不能早于申请日期。", "agreed_on")
    if pay_by is None:
        _fail("请填写履行期限。", "pay_by", "required")
    if pay_by < agreed_on:
        _fail("履行期限不能早于协议日期。", "pay_by")
    mediation.terms, mediation.amount_agreed, mediation.pay_by, mediation.agreed_on = terms, amount, pay_by, agreed_on
    fields = LIMIT_CLOCK.write(mediation, clocks.stop(LIMIT_CLOCK.read(mediation), agreed_on))
    MEDIATION_FLOW.advance(mediation, by, t, update_fields=["terms", "amount_agreed", "pay_by", "agreed_on", *fields],
                           note=f"协议金额{amount}元，{pay_by:%Y-%m-%d}前履行", new={"amount_agreed": str(amount)})
    return mediation


@transaction.atomic
def mediation_fail(*, mediation: Mediation, by: User, reason: str, referred_to: str) -> Mediation:
    """调解不成: the parties are referred on (arbitration, court, or legal aid)."""
    t = MEDIATION_FLOW.begin(mediation, by, "fail")
    reason = _required(reason, "reason", "调解不成的原因")
    referred_to = _choice(referred_to, Mediation.Referral, "referred_to", "去向")
    today = _today()
    mediation.failure_reason, mediation.referred_to, mediation.failed_on = reason, referred_to, today
    fields = LIMIT_CLOCK.write(mediation, clocks.stop(LIMIT_CLOCK.read(mediation), today))
    MEDIATION_FLOW.advance(mediation, by, t, update_fields=["failure_reason", "referred_to", "failed_on", *fields],
                           note=f"{reason}；{mediation.get_referred_to_display()}")
    return mediation


@transaction.atomic
def mediation_execution(*, mediation: Mediation, by: User, execution: str, amount_paid: Any,
                        note: str = "") -> Mediation:
    """履行情况: executed in full, partly or not, with the amount the workers actually received."""
    t = MEDIATION_FLOW.begin(mediation, by, "execution")
    choices = (Mediation.Execution.EXECUTED, Mediation.Execution.PARTLY, Mediation.Execution.NOT)
    if execution not in choices:
        _fail("请选择履行情况。", "execution", "required")
    paid = _money(amount_paid, "amount_paid", "实际到手金额")
    assert paid is not None
    agreed = mediation.amount_agreed or ZERO
    note = (note or "").strip()
    if execution == Mediation.Execution.NOT and paid > ZERO:
        _fail("未履行时，实际到手金额应为0；已支付部分请选“部分履行”。", "amount_paid")
    if execution == Mediation.Execution.PARTLY and not ZERO < paid < agreed:
        _fail(f"部分履行时，实际到手金额应大于0且小于协议金额（{agreed}元）。", "amount_paid")
    if execution == Mediation.Execution.EXECUTED and paid < agreed:
        _fail(f"全部履行时，实际到手金额不应少于协议金额（{agreed}元）；未付清请选“部分履行”。", "amount_paid")
    if paid > agreed and not note:
        _fail("实际到手金额高于协议金额，请说明原因。", "note")
    if mediation.amount_paid is not None and paid < mediation.amount_paid:
        _fail(f"实际到手金额不能少于上次登记的{mediation.amount_paid}元。", "amount_paid")
    today = _today()
    ExecutionRecord.objects.create(mediation=mediation, recorded_on=today, execution=execution, amount_paid=paid,
                                   received=paid - (mediation.amount_paid or ZERO), note=note[:200], by=by)
    mediation.execution, mediation.amount_paid, mediation.paid_note = execution, paid, note[:200]
    mediation.execution_recorded_on = today
    mediation.executed_on = today if execution == Mediation.Execution.EXECUTED else None
    MEDIATION_FLOW.advance(mediation, by, t, update_fields=["execution", "amount_paid", "paid_note",
                                                            "execution_recorded_on", "executed_on"],
                           note=_with_note(f"{mediation.get_execution_display()}，实际到手{paid}元", note),
                           new={"execution": execution, "amount_paid": str(paid)})
    return mediation


@transaction.atomic
def mediation_refer(*, mediation: Mediation, by: User, worker: Person | None, note: str = "") -> Application:
    """调解不成 → a legal-aid application draft for one of the workers, linked to the mediation."""
    from .referrals import draft_from_mediation, workers_without_application

    t = MEDIATION_FLOW.begin(mediation, by, "refer")
    if worker is None or worker.pk not in {w.pk for w in workers_without_application(mediation)}:
        _fail("请选择尚未转法律援助的申请人。", "worker", "required")
    application = draft_from_mediation(mediation, worker, by, (note or "").strip())
    MEDIATION_FLOW.advance(mediation, by, t, note=_with_note(f"{worker}转法律援助：{application}", note),
                           new={"application": application.number})
    return application


def mediation_attach(*, mediation: Mediation, by: User, upload: Any, description: str = "") -> Attachment:
    return attachment_add(by=by, owner=mediation, upload=upload, description=description, permission=MEDIATE,
                          timeline=mediation.events)
