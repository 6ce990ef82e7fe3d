"""Every state change of a petition, one keyword-only function each.

Each function runs in one transaction and starts with ``PETITION_FLOW.begin`` (workflow.py: scope →
404, permission → 403, the row locked and re-read, the state and the step's guards checked — a
Chinese ``ValidationError`` and nothing changes), checks its own input, and ends with
``PETITION_FLOW.advance``: the new state, the saved fields, the timeline event and the audit row in
one call. The deadline is the kernel's clock (``servicecenter/clocks.py``). Views and the demo call
these; nothing else changes status.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from servicecenter import access, approvals, audit, clocks, employers, people, timeline
from servicecenter.access import require, visible
from servicecenter.attachments import attachment_add
from servicecenter.models import Attachment, Employer, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param

from .models import Category, Escalation, FollowUp, Notice, Petition, PetitionEvent, Recusal, Task, TaskTarget
from .selectors import CLOCK, NOTICE_CLOCK, TASK_CLOCK
from .workflow import EXTENSION, HANDLE, NOTICE_FLOW, PETITION_FLOW, REOPENING, TASK_FLOW

Status = Petition.Status
Kind = PetitionEvent.Kind
# A clock a few minutes fast on the clerk's PC must not make "now" look like the future.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


# --- helpers --------------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _fail(message: str, field_name: str | None = None, code: str = "invalid") -> NoReturn:
    raise ValidationError({field_name: message} if field_name else message, code=code)


def _own_unit(by: User) -> OrgUnit:
    """The unit of a user past a case step's permission check."""
    unit = by.org_unit
    assert unit is not None  # case roles always come with a unit (the staff form requires one)
    return unit


def _required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        _fail(f"请填写{label}。", field_name, "required")
    return text


def _with_note(text: str, note: str) -> str:
    note = (note or "").strip()
    return text + (f"；{note}" if note else "")


def _event(petition: Petition, kind: str, by: User, note: str = "", *, write_audit: bool = True) -> PetitionEvent:
    """A timeline entry that is not a workflow step (intake, requests), with its audit row."""
    event = timeline.record(petition.events, kind, label=Kind(kind).label, by=by, note=note,
                            write_audit=write_audit)
    return cast(PetitionEvent, event)  # made through petition.events


def _put_clock(petition: Petition, clock: clocks.Clock) -> list[str]:
    return CLOCK.write(petition, clock)


def start_clock(accepted_on: datetime.date, unit: OrgUnit, *, in_working_days: bool | None = None) -> clocks.Clock:
    """Acceptance + ``petition.deadline_days`` (calendar or working days by
    ``petition.deadline_in_working_days``; a calendar due date on a holiday rolls to the next
    working day by ``clock.roll_to_working_day``)."""
    days = param("petition.deadline_days", unit)
    working = param("petition.deadline_in_working_days", unit) if in_working_days is None else in_working_days
    return clocks.start(accepted_on, days, in_working_days=working, rolls_over=clocks.rolls_over(unit))


def compute_due_date(accepted_on: datetime.date, unit: OrgUnit, *, in_working_days: bool | None = None
                     ) -> tuple[datetime.date, bool]:
    """(due date, counted in working days) for a case accepted on ``accepted_on`` in ``unit``."""
    clock = start_clock(accepted_on, unit, in_working_days=in_working_days)
    assert clock.due_date is not None
    return clock.due_date, clock.in_working_days


def _escalate(petition: Petition) -> None:
    for unit in access.escalation_units(petition.org_unit):
        Escalation.objects.get_or_create(petition=petition, org_unit=unit)


def eligible_handlers(petition: Petition) -> QuerySet[User]:
    """Staff of the owning unit or a unit below it who handle cases and have not recused."""
    return (access.staff_in_subtree(petition.org_unit, HANDLE)
            .exclude(pk__in=Recusal.objects.filter(petition=petition).values("user_id")))


# --- intake ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewPerson:
    """Register the complainant at intake (same rules as the person form)."""

    org_unit: OrgUnit
    id_number: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachPerson:
    """A person registered elsewhere, found by their full ID number: link them (audited)."""

    id_number: str


@dataclass(frozen=True)
class NewEmployer:
    org_unit: OrgUnit
    credit_code: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachEmployer:
    credit_code: str


class PartError(ValidationError):
    """A ValidationError from registering the person or employer at intake; ``part`` says which
    sub-form it belongs to ("person" or "employer")."""

    def __init__(self, part: str, error: ValidationError) -> None:
        self.part = part
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)


def _resolve_person(by: User, person: Person | NewPerson | AttachPerson) -> Person:
    try:
        if isinstance(person, NewPerson):
            return people.person_create(by=by, org_unit=person.org_unit, id_number=person.id_number, **person.data)
        if isinstance(person, AttachPerson):
            return people.person_attach(by=by, id_number=person.id_number, org_unit=_own_unit(by))
    except ValidationError as exc:
        raise PartError("person", exc) from None
    if not visible(Person.objects.filter(pk=person.pk), by).exists():
        _fail("请选择来访人。", "person")
    return person


def _resolve_employer(by: User, employer: Employer | NewEmployer | AttachEmployer | None) -> Employer | None:
    try:
        if isinstance(employer, NewEmployer):
            return employers.employer_create(by=by, org_unit=employer.org_unit, credit_code=employer.credit_code,
                                             **employer.data)
        if isinstance(employer, AttachEmployer):
            return employers.employer_attach(by=by, credit_code=employer.credit_code, org_unit=_own_unit(by))
    except ValidationError as exc:
        raise PartError("employer", exc) from None
    if employer is not None and not visible(Employer.objects.filter(pk=employer.pk), by).exists():
        _fail("请选择涉及单位。", "employer")
    return employer


@transaction.atomic
def petition_intake(
    *,
    by: User,
    token: uuid.UUID,
    org_unit: OrgUnit,
    person: Person | NewPerson | AttachPerson,
    channel: str,
    received_at: datetime.datetime,
    headcount: int,
    category: Category,
    facts: str,
    request: str,
    employer: Employer | NewEmployer | AttachEmployer | None = None,
    is_confidential: bool = False,
    is_urgent: bool = False,
) -> Petition:
    """Register a petition (受理登记). The same ``token`` (the form's hidden field) always gives
    the same petition, so a double-submitted form creates one."""
    require(by, "petitions.intake", org_unit)
    existing = Petition.objects.filter(intake_token=token).first()
    if existing is not None:
        return existing
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    if received_at > timezone.now() + FUTURE_TOLERANCE:
        _fail("受理时间不能晚于当前时间。", "received_at")
    if channel not in Petition.Channel.values:
        _fail("请选择来访形式。", "channel")
    if not headcount or headcount < 1:
        _fail("人数至少为1。", "headcount")
    if not category.is_active:
        _fail("该问题类别已停用，请另选。", "category")
    facts = _required(facts, "facts", "反映内容")
    request = _required(request, "request", "诉求")
    person = _resolve_person(by, person)
    employer = _resolve_employer(by, employer)

    accepted_on = timezone.localdate(received_at)
    is_group = headcount >= param("petition.group_size", org_unit)
    petition = Petition(
        org_unit=org_unit, received_unit=org_unit, received_at=received_at, received_by=by, channel=channel,
        person=person, headcount=headcount, is_group=is_group, employer=employer, category=category,
        facts=facts, request=request, is_confidential=is_confidential, is_urgent=is_urgent,
        handler=by, intake_token=token,
    )
    _put_clock(petition, start_clock(accepted_on, org_unit))
    try:
        with transaction.atomic():
            # Numbered inside the savepoint: a lost race hands the number back (no gaps).
            petition.number = case_number("XF", org_unit, accepted_on.year)
            petition.save()
    except IntegrityError:
        # The same form submitted twice at the same moment: the first one won.
        winner = Petition.objects.filter(intake_token=token).first()
        if winner is None:
            raise
        return winner
    people.person_link(person=person, org_unit=org_unit, by=by)
    if employer is not None:
        employers.employer_link(employer=employer, org_unit=org_unit, by=by)
    flags = "、".join(x for x, on in (("群体性信访", is_group), ("重大/紧急", is_urgent), ("保密", is_confidential)) if on)
    timeline.record(petition.events, Kind.INTAKE, label=Kind.INTAKE.label, by=by, to_state=petition.status,
                    note=f"{petition.get_channel_display()}，{headcount}人" + (f"；{flags}" if flags else ""),
                    audit_event=audit.Event.CREATE, new={"status": petition.status, "number": petition.number})
    if petition.is_escalated:
        _escalate(petition)
    return petition


# --- handling --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionReport:
    """办结报告: facts, basis, result and the worker's response — all required."""

    facts: str
    basis: str
    result: str
    response: str

    def cleaned(self) -> CompletionReport:
        return CompletionReport(
            facts=_required(self.facts, "report_facts", "基本事实"),
            basis=_required(self.basis, "report_basis", "处理依据"),
            result=_required(self.result, "report_result", "处理结果"),
            response=_required(self.response, "report_response", "职工意见"),
        )


def _close(petition: Petition, by: User, step: Any, report: CompletionReport, handling: str) -> Petition:
    report = report.cleaned()
    now = timezone.now()
    petition.closed_at = now
    clock = clocks.stop(CLOCK.read(petition), timezone.localdate(now))
    fields = _put_clock(petition, clock)
    petition.report_facts, petition.report_basis = report.facts, report.basis
    petition.report_result, petition.report_response = report.result, report.response
    petition.handling = handling
    FollowUp.objects.create(petition=petition, created_at=now)
    late = clock.late_from is not None
    PETITION_FLOW.advance(petition, by, step, update_fields=[
        "closed_at", *fields, "report_facts", "report_basis", "report_result", "report_response", "handling"],
        note=report.result + ("（逾期办结）" if late else ""), audit_detail="逾期" if late else "")
    return petition


@transaction.atomic
def petition_answer(*, petition: Petition, by: User, answer: str, basis: str, response: str) -> Petition:
    """当场答复: an open matter answered at the counter is closed with the answer as the result."""
    step = PETITION_FLOW.begin(petition, by, "answer")
    answer = _required(answer, "answer", "答复内容")
    report = CompletionReport(facts=petition.facts, basis=basis, result=answer, response=response)
    return _close(petition, by, step, report, Petition.Handling.ON_THE_SPOT)


@transaction.atomic
def petition_close(*, petition: Petition, by: User, report: CompletionReport) -> Petition:
    """办结 with the completion report. A forwarded matter needs its answer back first."""
    step = PETITION_FLOW.begin(petition, by, "close")
    return _close(petition, by, step, report, petition.handling or Petition.Handling.SELF)


@transaction.atomic
def petition_assign(*, petition: Petition, by: User, handler: User, due_date: datetime.date, note: str = "") -> Petition:
    """交办 to a staff member of the owning unit or a station below it, with a due date."""
    step = PETITION_FLOW.begin(petition, by, "assign")
    if handler is None:
        _fail("请选择承办人。", "handler")
    if Recusal.objects.filter(petition=petition, user=handler).exists():
        _fail("该工作人员已声明回避，不能承办此事项。", "handler")
    if not eligible_handlers(petition).filter(pk=handler.pk).exists():
        _fail("只能交办给本单位或下级服务站的工作人员。", "handler")
    if handler.pk == petition.handler_id and petition.status == Status.ASSIGNED:
        _fail("该事项已由此人承办。", "handler")
    if due_date is None:
        _fail("请填写交办期限。", "due_date")
    if due_date < _today():
        _fail("交办期限不能早于今天。", "due_date")
    if due_date > petition.due_date:
        _fail(f"交办期限不能晚于办结期限（{petition.due_date:%Y-%m-%d}）。", "due_date")
    previous = petition.handler
    petition.handler, petition.handler_due = handler, due_date
    if petition.handling != Petition.Handling.FORWARDED:
        petition.handling = Petition.Handling.ASSIGNED
    text = f"交办给{handler}（{handler.org_unit}），期限{due_date:%Y-%m-%d}"
    if previous and previous.pk != handler.pk:
        text = f"由{previous}改为" + text
    PETITION_FLOW.advance(petition, by, step, update_fields=["handler", "handler_due", "handling"],
                          note=_with_note(text, note), old={"handler": previous.pk if previous else None},
                          new={"handler": handler.pk})
    return petition


@transaction.atomic
def petition_send_up(*, petition: Petition, by: User, reason: str) -> Petition:
    """上报: the matter belongs to a higher body; ownership moves to the parent unit."""
    step = PETITION_FLOW.begin(petition, by, "send_up")
    reason = _required(reason, "reason", "上报理由")
    source = petition.org_unit
    parent = source.parent
    if parent is None or not parent.is_active:
        _fail("本单位没有上级单位，不能上报。", code="state")
    petition.sent_up_from, petition.org_unit = source, parent
    petition.handler, petition.handler_due = None, None
    petition.handling = Petition.Handling.SENT_UP
    people.person_link(person=petition.person, org_unit=parent, by=by)
    if petition.employer_id and petition.employer is not None:
        employers.employer_link(employer=petition.employer, org_unit=parent, by=by)
    PETITION_FLOW.advance(petition, by, step, update_fields=["sent_up_from", "org_unit", "handler", "handler_due",
                                                             "handling"],
                          note=f"由{source}上报{parent}：{reason}", audit_detail=f"{source.code}→{parent.code}",
                          old={"org_unit": source.code}, new={"org_unit": parent.code})
    if petition.is_escalated:
        _escalate(petition)
    return petition


@transaction.atomic
def petition_forward(*, petition: Petition, by: User, department: str, forwarded_on: datetime.date,
                     contact: str, note: str = "") -> Petition:
    """转办 to an outside department; the case waits for its answer before it can close."""
    step = PETITION_FLOW.begin(petition, by, "forward")
    department = _required(department, "department", "转办部门")
    contact = _required(contact, "contact", "联系人及电话")
    if forwarded_on is None:
        _fail("请填写转办日期。", "forwarded_on")
    if forwarded_on > _today():
        _fail("转办日期不能晚于今天。", "forwarded_on")
    if forwarded_on < petition.accepted_on:
        _fail("转办日期不能早于受理日期。", "forwarded_on")
    petition.handling = Petition.Handling.FORWARDED
    petition.forwarded_to, petition.forwarded_on, petition.forwarded_contact = department, forwarded_on, contact
    petition.reply, petition.replied_on = "", None
    PETITION_FLOW.advance(petition, by, step, update_fields=["handling", "forwarded_to", "forwarded_on",
                                                             "forwarded_contact", "reply", "replied_on"],
                          note=_with_note(f"转办{department}（{contact}），{forwarded_on:%Y-%m-%d}", note),
                          audit_detail=department)
    return petition


@transaction.atomic
def petition_record_reply(*, petition: Petition, by: User, reply: str, replied_on: datetime.date) -> Petition:
    """The outside department's answer to a forwarded matter (确保信访有答复)."""
    step = PETITION_FLOW.begin(petition, by, "reply")
    reply = _required(reply, "reply", "答复内容")
    if replied_on is None:
        _fail("请填写答复日期。", "replied_on")
    if replied_on > _today():
        _fail("答复日期不能晚于今天。", "replied_on")
    if petition.forwarded_on and replied_on < petition.forwarded_on:
        _fail("答复日期不能早于转办日期。", "replied_on")
    petition.reply, petition.replied_on = reply, replied_on
    PETITION_FLOW.advance(petition, by, step, update_fields=["reply", "replied_on"],
                          note=f"{petition.forwarded_to}答复（{replied_on:%Y-%m-%d}）：{reply}")
    return petition


# --- the clock -------------------------------------------------------------------------------------


@transaction.atomic
def petition_pause(*, petition: Petition, by: User, reason: str) -> Petition:
    """Stop the clock while waiting (e.g. for an appraisal); the reason is logged."""
    step = PETITION_FLOW.begin(petition, by, "pause")
    reason = _required(reason, "reason", "暂停理由")
    fields = _put_clock(petition, clocks.pause(CLOCK.read(petition), _today()))
    PETITION_FLOW.advance(petition, by, step, update_fields=fields, note=reason)
    return petition


@transaction.atomic
def petition_resume(*, petition: Petition, by: User, note: str = "") -> Petition:
    """Restart the clock; the due date moves by the paused days (working days in that mode)."""
    step = PETITION_FLOW.begin(petition, by, "resume")
    before = petition.due_date
    clock, taken = clocks.resume(CLOCK.read(petition), _today())
    fields = _put_clock(petition, clock)
    word = clock.unit_word()
    PETITION_FLOW.advance(petition, by, step, update_fields=fields,
                          note=_with_note(f"暂停{taken}{word}，办结期限顺延至{petition.due_date:%Y-%m-%d}", note),
                          audit_detail=f"{taken}{word}", old={"due_date": str(before)},
                          new={"due_date": str(petition.due_date)})
    return petition


def _check_extension(petition: Petition, days: int | None) -> int:
    limit = param("petition.extension_max_days", petition.org_unit)
    if not days or days < 1:
        _fail("延期天数至少为1。", "days")
    if days > limit:
        _fail(f"延期不能超过{limit}天。", "days")
    return days


def _apply_extension(petition: Petition, by: User, step: Any, days: int, reason: str) -> Petition:
    before = petition.due_date
    fields = _put_clock(petition, clocks.extend(CLOCK.read(petition), days))
    petition.extension_reason = reason[:200]
    word = "个工作日" if petition.in_working_days else "天"
    PETITION_FLOW.advance(petition, by, step, update_fields=[*fields, "extension_reason"],
                          note=f"延期{days}{word}至{petition.due_date:%Y-%m-%d}：{reason}", audit_detail=f"{days}{word}",
                          old={"due_date": str(before)}, new={"due_date": str(petition.due_date)})
    return petition


@transaction.atomic
def petition_extend(*, petition: Petition, by: User, days: int, reason: str) -> Petition:
    """延期, once per case, by the supervisor leading the owning unit, at most
    ``petition.extension_max_days``."""
    step = PETITION_FLOW.begin(petition, by, "extend")
    days = _check_extension(petition, days)
    reason = _required(reason, "reason", "延期理由")
    return _apply_extension(petition, by, step, days, reason)


@transaction.atomic
def petition_request_extension(*, petition: Petition, by: User, days: int, reason: str) -> Any:
    """申请延期: the handler asks the supervisor leading the unit for more time."""
    PETITION_FLOW.begin(petition, by, "request_extension")
    days = _check_extension(petition, days)
    reason = _required(reason, "reason", "延期理由")
    approval = approvals.approval_request(code=EXTENSION, target=petition, by=by, note=reason, data={"days": days},
                                          note_field="reason")
    word = "个工作日" if petition.in_working_days else "天"
    _event(petition, Kind.EXTENSION_REQUEST, by, f"申请延期{days}{word}：{reason}", write_audit=False)
    return approval


def _decide(petition: Petition, by: User, code: str, approve: bool, note: str) -> approvals.Decision:
    request = next((a for a in approvals.pending(petition, code) if approvals.may_decide(by, a)), None)
    if request is None:
        _fail("没有待您审批的申请。", code="state")
    decision = approvals.Approval.Status.APPROVED if approve else approvals.Approval.Status.REJECTED
    return approvals.approval_decide(approval=request, by=by, decision=decision, note=note, target=petition)


@transaction.atomic
def petition_decide_extension(*, petition: Petition, by: User, approve: bool, note: str = "") -> Petition:
    """The supervisor's decision on a request for more time: approved → the deadline moves."""
    step = PETITION_FLOW.begin(petition, by, "decide_extension")
    decided = _decide(petition, by, EXTENSION, approve, note)
    if decided.final and decided.approved:
        days = _check_extension(petition, int(decided.approval.data.get("days") or 0))
        if petition.extension_days:
            _fail("该事项已延期一次，不能再次延期。", code="state")
        reason = decided.approval.request_note + (f"（审批意见：{note.strip()}）" if note.strip() else "")
        return _apply_extension(petition, by, step, days, reason)
    PETITION_FLOW.advance(petition, by, step, note=("不予延期：" + note.strip()) if not approve else "同意，报上级审批",
                          audit_detail="approved" if approve else "rejected")
    return petition


# --- escalation, recusal --------------------------------------------------------------------------


@transaction.atomic
def petition_acknowledge(*, petition: Petition, by: User) -> Escalation:
    """签收 a group or urgent petition for the supervisor's own unit."""
    step = PETITION_FLOW.begin(petition, by, "acknowledge")
    escalation = Escalation.objects.select_for_update().get(petition=petition, org_unit_id=by.org_unit_id,
                                                            acknowledged_at__isnull=True)
    escalation.acknowledged_at, escalation.acknowledged_by = timezone.now(), by
    escalation.save(update_fields=["acknowledged_at", "acknowledged_by"])
    unit = _own_unit(by)
    PETITION_FLOW.advance(petition, by, step, note=f"{unit}签收", audit_detail=unit.code)
    return escalation


@transaction.atomic
def petition_recuse(*, petition: Petition, by: User, reason: str) -> Recusal:
    """回避: a staff member with a stake steps aside. A recusing handler leaves the case to be
    reassigned; from now on the access policy hides the case from them."""
    step = PETITION_FLOW.begin(petition, by, "recuse")
    reason = _required(reason, "reason", "回避理由")
    recusal = Recusal.objects.create(petition=petition, user=by, reason=reason[:200])
    fields = []
    if petition.handler_id == by.pk:
        petition.handler, petition.handler_due = None, None
        fields = ["handler", "handler_due"]
        if petition.status == Status.ASSIGNED:
            petition.status = Status.OPEN
            fields.append("status")
    PETITION_FLOW.advance(petition, by, step, update_fields=fields,
                          note=f"{by}声明回避：{reason}" + ("，待重新交办" if not petition.handler_id else ""))
    return recusal


# --- reopening, follow-up -------------------------------------------------------------------------


def _reopen(petition: Petition, by: User, reason: str) -> Petition:
    step = PETITION_FLOW.check(petition, by, "reopen")
    petition.closed_at = None
    fields = _put_clock(petition, clocks.restart(CLOCK.read(petition)))
    petition.reopen_count += 1
    FollowUp.objects.filter(petition=petition, status=FollowUp.Status.PENDING).update(status=FollowUp.Status.CANCELLED)
    PETITION_FLOW.advance(petition, by, step, update_fields=["closed_at", *fields, "reopen_count"], note=reason)
    return petition


@transaction.atomic
def petition_reopen(*, petition: Petition, by: User, reason: str) -> Petition:
    """The supervisor leading the owning unit reopens a closed case within
    ``petition.reopen_within_days``."""
    PETITION_FLOW.begin(petition, by, "reopen")
    reason = _required(reason, "reason", "重新办理理由")
    return _reopen(petition, by, reason)


@transaction.atomic
def petition_request_reopen(*, petition: Petition, by: User, reason: str) -> Any:
    """申请重新办理: the worker came back; the handler asks the supervisor to reopen the case."""
    PETITION_FLOW.begin(petition, by, "request_reopen")
    reason = _required(reason, "reason", "重新办理理由")
    approval = approvals.approval_request(code=REOPENING, target=petition, by=by, note=reason, note_field="reason")
    _event(petition, Kind.REOPEN_REQUEST, by, reason, write_audit=False)
    return approval


@transaction.atomic
def petition_decide_reopen(*, petition: Petition, by: User, approve: bool, note: str = "") -> Petition:
    step = PETITION_FLOW.begin(petition, by, "decide_reopen")
    if approve:
        PETITION_FLOW.check(petition, by, "reopen")  # the window and the leadership, before deciding
    decided = _decide(petition, by, REOPENING, approve, note)
    if decided.final and decided.approved:
        reason = decided.approval.request_note + (f"（审批意见：{note.strip()}）" if note.strip() else "")
        return _reopen(petition, by, reason)
    PETITION_FLOW.advance(petition, by, step, note="不予重新办理：" + note.strip(), audit_detail="rejected")
    return petition


def pending_follow_up(petition: Petition) -> FollowUp | None:
    return (FollowUp.objects.filter(petition=petition, status=FollowUp.Status.PENDING)
            .order_by("-created_at", "-id").first())


def follow_up_to_review(petition: Petition) -> FollowUp | None:
    return (FollowUp.objects.filter(petition=petition, satisfaction=FollowUp.Satisfaction.UNSATISFIED, review="")
            .order_by("done_at", "id").first())


@transaction.atomic
def followup_record(*, follow_up: FollowUp, by: User, method: str, satisfaction: str, comment: str = "") -> FollowUp:
    """回访: method, satisfaction and comment. 不满意 waits for the supervisor's review."""
    petition = follow_up.petition
    step = PETITION_FLOW.begin(petition, by, "follow_up")
    follow_up.refresh_from_db(from_queryset=FollowUp.objects.select_for_update())
    if follow_up.status != FollowUp.Status.PENDING:
        _fail(f"该回访{follow_up.get_status_display()}，不能再登记。", code="state")
    if method not in FollowUp.Method.values:
        _fail("请选择回访方式。", "method")
    if satisfaction not in FollowUp.Satisfaction.values:
        _fail("请选择满意度。", "satisfaction")
    comment = (comment or "").strip()
    if satisfaction == FollowUp.Satisfaction.UNSATISFIED and not comment:
        _fail("职工不满意时，请记录其意见。", "comment")
    follow_up.status, follow_up.method, follow_up.satisfaction = FollowUp.Status.DONE, method, satisfaction
    follow_up.comment, follow_up.done_by, follow_up.done_at = comment, by, timezone.now()
    follow_up.save(update_fields=["status", "method", "satisfaction", "comment", "done_by", "done_at"])
    PETITION_FLOW.advance(petition, by, step, note=f"{follow_up.get_method_display()}回访，"
                          f"{follow_up.get_satisfaction_display()}" + (f"：{comment}" if comment else ""),
                          audit_detail=satisfaction)
    return follow_up


@transaction.atomic
def followup_review(*, follow_up: FollowUp, by: User, reopen: bool, note: str) -> FollowUp:
    """The decision of the supervisor leading the owning unit on an unsatisfied follow-up: reopen
    the case or keep it closed."""
    petition = follow_up.petition
    step = PETITION_FLOW.begin(petition, by, "review")
    follow_up.refresh_from_db(from_queryset=FollowUp.objects.select_for_update())
    if not follow_up.awaits_review:
        _fail("该回访无需复核。", code="state")
    note = _required(note, "note", "复核意见")
    if reopen:
        _reopen(petition, by, f"回访不满意：{note}")
        follow_up.review = FollowUp.Review.REOPENED
    else:
        follow_up.review = FollowUp.Review.KEPT
        PETITION_FLOW.advance(petition, by, step, note=f"维持办结：{note}", audit_detail="kept")
    follow_up.review_note, follow_up.reviewed_by, follow_up.reviewed_at = note[:200], by, timezone.now()
    follow_up.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    return follow_up


# --- notices to employers ----------------------------------------------------------------------------


@transaction.atomic
def notice_issue(*, petition: Petition, by: User, kind: str, content: str, basis: str = "",
                 deadline: datetime.date | None = None) -> Notice:
    """职工维权建议书 (no rule covers the case) or 职工维权整改书 (a rule was broken; with a
    deadline) to the employer concerned."""
    step = PETITION_FLOW.begin(petition, by, "notice")
    if kind not in Notice.Kind.values:
        _fail("请选择文书种类。", "kind")
    content = _required(content, "content", "问题与建议/整改要求")
    today = _today()
    if kind == Notice.Kind.RECTIFICATION and deadline is None:
        _fail("整改书须规定整改期限。", "deadline")
    if deadline is not None and deadline <= today:
        _fail("期限应晚于发出日期。", "deadline")
    prefix = Notice.NUMBER_PREFIX[Notice.Kind(kind)]
    assert petition.employer_id is not None  # the step's guard refuses a case without an employer
    notice = Notice(
        petition=petition, employer_id=petition.employer_id, kind=kind, content=content, basis=(basis or "").strip(),
        deadline=deadline, issued_on=today, issued_by=by,
        number=case_number(prefix, petition.org_unit, today.year),
    )
    NOTICE_CLOCK.write(notice, clocks.fixed(today, deadline))
    notice.save()
    PETITION_FLOW.advance(petition, by, step, note=f"{notice.get_kind_display()} {notice.number}"
                          + (f"，期限{deadline:%Y-%m-%d}" if deadline else ""), audit_detail=notice.number)
    return notice


@transaction.atomic
def notice_record_response(*, notice: Notice, by: User, response: str, responded_on: datetime.date) -> Notice:
    step = NOTICE_FLOW.begin(notice, by, "response")
    response = _required(response, "response", "单位回复")
    if responded_on is None:
        _fail("请填写回复日期。", "responded_on")
    if responded_on > _today():
        _fail("回复日期不能晚于今天。", "responded_on")
    if responded_on < notice.issued_on:
        _fail("回复日期不能早于发出日期。", "responded_on")
    notice.response = response
    fields = NOTICE_CLOCK.write(notice, clocks.stop(NOTICE_CLOCK.read(notice), responded_on))
    late = notice.late_from is not None
    NOTICE_FLOW.advance(notice, by, step, update_fields=["response", *fields],
                        note=f"{notice.number}：{response}" + ("（逾期回复）" if late else ""), audit_detail=notice.number)
    return notice


def petition_attach(*, petition: Petition, by: User, upload: Any, description: str = "") -> Attachment:
    """An attachment of the case, on its timeline (one audit row)."""
    return attachment_add(by=by, owner=petition, upload=upload, description=description, permission=HANDLE,
                          timeline=petition.events)


# --- tasks from above (交办事项) -------------------------------------------------------------------


@transaction.atomic
def task_create(*, by: User, title: str, content: str, due_date: datetime.date, units: list[OrgUnit]) -> Task:
    """A city or district center assigns a matter to units below it, each to report back."""
    require(by, "petitions.tasks")
    title = _required(title, "title", "事项")
    content = _required(content, "content", "要求")
    if due_date is None:
        _fail("请填写报告期限。", "due_date")
    if due_date < _today():
        _fail("报告期限不能早于今天。", "due_date")
    if not units:
        _fail("请选择承办单位。", "units")
    for unit in units:
        if not access.is_below(unit, by):
            _fail("只能交办给本单位下级的单位。", "units")
    task = Task.objects.create(title=title[:100], content=content, org_unit=_own_unit(by), created_by=by,
                               due_date=due_date)
    targets = []
    for unit in units:
        target = TaskTarget(task=task, org_unit=unit)
        TASK_CLOCK.write(target, clocks.fixed(_today(), due_date))
        targets.append(target)
    TaskTarget.objects.bulk_create(targets)
    audit.record(audit.Event.CREATE, user=by, target=task, action="petitions.task_create",
                 detail=f"交办{len(units)}个单位", new={"units": [u.code for u in units], "due_date": str(due_date)})
    return task


@transaction.atomic
def task_report(*, target: TaskTarget, by: User, result: str) -> TaskTarget:
    """The receiving unit reports its result back to the sender."""
    step = TASK_FLOW.begin(target, by, "report")
    result = _required(result, "result", "办理结果")
    now = timezone.now()
    target.result, target.reported_by, target.reported_at = result, by, now
    fields = TASK_CLOCK.write(target, clocks.stop(TASK_CLOCK.read(target), timezone.localdate(now)))
    TASK_FLOW.advance(target, by, step, update_fields=["result", "reported_by", "reported_at", *fields],
                      audit_detail="报告办理结果")
    return target

