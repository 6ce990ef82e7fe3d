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
from decimal import Decimal
from typing import Any, NoReturn, cast

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from servicecenter import access, approvals, audit, clocks, employers, people, timeline
from servicecenter.access import require, visible
from servicecenter.attachments import attachment_add
from servicecenter.models import Attachment, Employer, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.validators import mask_resident_id, normalise_phone, validate_phone, validate_resident_id

from .models import (
    Category,
    Escalation,
    FollowUp,
    HotlineOrder,
    Notice,
    Petition,
    PetitionEvent,
    PublicAttempt,
    Recusal,
    Submission,
    SubmissionFile,
    Task,
    TaskTarget,
)
from .selectors import CLOCK, HOTLINE_CLOCK, NOTICE_CLOCK, TASK_CLOCK, forget_sent_up
from .workflow import (
    BACKDATE,
    EXTENSION,
    HANDLE,
    HOTLINE_FLOW,
    NOTICE_FLOW,
    PETITION_FLOW,
    REOPENING,
    SUBMISSION_FLOW,
    TASK_FLOW,
)

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


def start_clock(started_on: datetime.date, unit: OrgUnit, *, in_working_days: bool | None = None,
                days: int | None = None) -> clocks.Clock:
    """``started_on`` + ``days`` (default ``petition.deadline_days``; calendar or working days by
    ``petition.deadline_in_working_days``; a calendar due date on a holiday rolls to the next
    working day by ``clock.roll_to_working_day``)."""
    days = param("petition.deadline_days", unit) if days is None else days
    working = param("petition.deadline_in_working_days", unit) if in_working_days is None else in_working_days
    return clocks.start(started_on, days, in_working_days=working, rolls_over=clocks.rolls_over(unit))


def clock_to(started_on: datetime.date, due_date: datetime.date) -> clocks.Clock:
    """A clock that ends on a date someone else set (the assigner's deadline, the 12351 platform's
    time limit): calendar days from the local acceptance up to that date (the due day on the
    acceptance day at the earliest), not moved for holidays, but paused and extended like any
    other."""
    return clocks.start(started_on, max((due_date - started_on).days, 0), in_working_days=False, rolls_over=False)


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
class Caller:
    """A complainant who gave a name and a phone number only (仅留姓名电话): no ID number is
    invented; it is asked for later where it matters (legal aid, hardship, relief)."""

    name: str
    phone: str
    employer: str = ""  # their own employer, as they said it


@dataclass(frozen=True)
class NewEmployer:
    org_unit: OrgUnit
    credit_code: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttachEmployer:
    credit_code: str


@dataclass(frozen=True)
class HotlineDetails:
    """A 12351 work order as the platform hands it over."""

    order_number: str
    caller_number: str
    operator: str
    called_at: datetime.datetime
    category: str
    due_date: datetime.date  # the platform's time limit


@dataclass(frozen=True)
class Referral:
    """上级交办: who assigned the matter, under which reference, when, and by when (optional: the
    ``petition.referral_deadline_days`` default then applies, counted from the assignment date)."""

    referred_by: str
    reference: str
    referred_on: datetime.date
    due_date: datetime.date | None = None
    task_target: TaskTarget | None = None


class PartError(ValidationError):
    """A ValidationError from registering the person or employer at intake; ``part`` says which
    sub-form it belongs to ("person" or "employer"); ``error`` is the original (a duplicate
    carries the person or employer already registered)."""

    def __init__(self, part: str, error: ValidationError) -> None:
        self.part = part
        self.error = error
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)


Complainant = Person | NewPerson | AttachPerson | Caller | None


def _resolve_person(by: User, person: Complainant) -> Person | Caller | None:
    if person is None:
        return None
    if isinstance(person, Caller):
        name = _required(person.name, "caller_name", "来访人姓名")
        if len(name) > 50:
            _fail("来访人姓名最多 50 字。", "caller_name")
        try:
            phone = validate_phone(person.phone or "")
        except ValidationError as exc:
            _fail(exc.messages[0], "caller_phone")
        return Caller(name, phone, (person.employer or "").strip()[:200])
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


def _check_receipt_time(by: User, unit: OrgUnit, received_at: datetime.datetime, reason: str) -> str:
    """At most ``petition.receipt_max_days_back`` days back; older only by a supervisor who says why
    (a matter logged late), and never more than ``petition.receipt_max_days_back_supervised``."""
    if received_at > timezone.now() + FUTURE_TOLERANCE:
        _fail("受理时间不能晚于当前时间。", "received_at")
    today = _today()
    limit = param("petition.receipt_max_days_back", unit)
    if timezone.localdate(received_at) >= today - datetime.timedelta(days=limit):
        return ""
    earliest = today - datetime.timedelta(days=limit)
    if not access.role_allows(by, BACKDATE):
        _fail(f"受理时间不能早于{earliest:%Y-%m-%d}（{limit}天前）；更早受理的事项须由审批人补登并说明理由。",
              "received_at")
    floor = param("petition.receipt_max_days_back_supervised", unit)
    if timezone.localdate(received_at) < today - datetime.timedelta(days=floor):
        _fail(f"受理时间不能早于{today - datetime.timedelta(days=floor):%Y-%m-%d}（{floor}天前）。", "received_at")
    reason = (reason or "").strip()
    if not reason:
        _fail(f"受理时间早于{earliest:%Y-%m-%d}，请填写补登理由。", "backdate_reason")
    return reason[:200]


def _check_hotline(hotline: HotlineDetails | None, received_at: datetime.datetime) -> HotlineDetails:
    if hotline is None:
        _fail("12351热线事项须填写工单信息。", "hotline_number")
    number = _required(hotline.order_number, "hotline_number", "工单编号")
    if len(number) > 40:
        _fail("工单编号最多 40 个字符。", "hotline_number")
    taken = HotlineOrder.objects.filter(order_number=number).select_related("petition").first()
    if taken is not None:
        _fail(f"工单编号{number}已登记（{taken.petition.number}），不能重复登记。", "hotline_number")
    caller = normalise_phone(hotline.caller_number or "")
    if not caller:
        _fail("请填写来电号码。", "caller_number")
    if not caller.replace("-", "").lstrip("+").isdigit() or not 3 <= len(caller) <= 20:
        _fail("来电号码只能是数字（固定电话可带“-”）。", "caller_number")
    operator = _required(hotline.operator, "operator", "接线员")
    if hotline.category not in HotlineOrder.Category.values:
        _fail("请选择12351类别。", "hotline_category")
    called_at = hotline.called_at
    if called_at is None:
        _fail("请填写来电时间。", "called_at")
    if timezone.is_naive(called_at):
        called_at = timezone.make_aware(called_at)
    if called_at > received_at + FUTURE_TOLERANCE:
        _fail("来电时间不能晚于受理时间。", "called_at")
    if hotline.due_date is None:
        _fail("请填写平台规定的办理时限。", "hotline_due")
    if hotline.due_date < timezone.localdate(called_at):
        _fail("办理时限不能早于来电日期。", "hotline_due")
    return HotlineDetails(number, caller, operator[:50], called_at, hotline.category, hotline.due_date)


def _check_referral(by: User, referral: Referral | None, accepted_on: datetime.date) -> Referral:
    if referral is None:
        _fail("上级交办事项须填写交办单位。", "referred_by")
    body = _required(referral.referred_by, "referred_by", "交办单位")
    if len(body) > 100:
        _fail("交办单位最多 100 字。", "referred_by")
    if referral.referred_on is None:
        _fail("请填写上级交办日期。", "referred_on")
    if referral.referred_on > accepted_on:
        _fail("交办日期不能晚于受理日期。", "referred_on")
    if referral.due_date is not None and referral.due_date < referral.referred_on:
        _fail("交办期限不能早于交办日期。", "referral_due")
    target = referral.task_target
    if target is not None and not access.acts_for(by, target.org_unit_id):
        _fail("只能为本单位承办的交办事项登记信访事项。", "task_target")
    return Referral(body, (referral.reference or "").strip()[:60], referral.referred_on, referral.due_date, target)


@transaction.atomic
def petition_intake(
    *,
    by: User,
    token: uuid.UUID,
    org_unit: OrgUnit,
    person: Complainant,
    channel: str,
    received_at: datetime.datetime,
    headcount: int,
    category: Category,
    facts: str,
    request: str,
    employer: Employer | NewEmployer | AttachEmployer | None = None,
    is_confidential: bool = False,
    is_urgent: bool = False,
    visitor_post: str = "",
    reception_opinion: str = "",
    hotline: HotlineDetails | None = None,
    referral: Referral | None = None,
    backdate_reason: str = "",
) -> Petition:
    """Register a petition (受理登记). The same ``token`` (the form's hidden field) always gives
    the same petition, so a double-submitted form creates one.

    ``person``: a registered person (or one to register or attach), a ``Caller`` (name and phone
    only), or None — an anonymous letter or call. An anonymous matter may still be a group one
    (the headcount the letter gives) and may be marked confidential (kept for when a supervisor
    later links it to a person). A 12351 case needs its work order (``hotline``), a 上级交办 one
    its assigning body (``referral``); their deadlines set the case's clock."""
    require(by, "petitions.intake", org_unit)
    existing = Petition.objects.filter(intake_token=token).first()
    if existing is not None:
        return existing
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    backdate_reason = _check_receipt_time(by, org_unit, received_at, backdate_reason)
    if channel not in Petition.Channel.values:
        _fail("请选择来访形式。", "channel")
    if not headcount or headcount < 1:
        _fail("人数至少为1。", "headcount")
    if not category.is_active:
        _fail("该问题类别已停用，请另选。", "category")
    facts = _required(facts, "facts", "反映内容")
    request = _required(request, "request", "诉求")
    accepted_on = timezone.localdate(received_at)
    hotline = _check_hotline(hotline, received_at) if channel == Petition.Channel.HOTLINE_12351 else None
    referral = _check_referral(by, referral, accepted_on) if channel == Petition.Channel.ASSIGNED else None
    complainant = _resolve_person(by, person)
    employer = _resolve_employer(by, employer)

    is_group = headcount >= param("petition.group_size", org_unit)
    identity = (Petition.Identity.PERSON if isinstance(complainant, Person) else
                Petition.Identity.PARTIAL if isinstance(complainant, Caller) else Petition.Identity.ANONYMOUS)
    petition = Petition(
        org_unit=org_unit, received_unit=org_unit, received_at=received_at, received_by=by, channel=channel,
        identity=identity, person=complainant if isinstance(complainant, Person) else None,
        headcount=headcount, is_group=is_group, employer=employer, category=category,
        facts=facts, request=request, is_confidential=is_confidential, is_urgent=is_urgent,
        handler=by, intake_token=token, visitor_post=(visitor_post or "").strip()[:50],
        reception_opinion=(reception_opinion or "").strip(), backdate_reason=backdate_reason,
    )
    if isinstance(complainant, Caller):
        petition.caller_name, petition.caller_phone = complainant.name, complainant.phone
        petition.caller_employer = complainant.employer
    if referral is not None:
        petition.referred_by, petition.referral_ref = referral.referred_by, referral.reference
        petition.referred_on, petition.referral_due = referral.referred_on, referral.due_date
        petition.task_target = referral.task_target
        due = referral.due_date
        if due is None:  # the default length, counted from the assignment, not from the local acceptance
            due = start_clock(referral.referred_on, org_unit,
                              days=param("petition.referral_deadline_days", org_unit)).due_date
            assert due is not None
        clock = clock_to(accepted_on, due)
    elif hotline is not None:
        clock = clock_to(accepted_on, hotline.due_date)
    else:
        clock = start_clock(accepted_on, org_unit)
    _put_clock(petition, clock)
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
    if hotline is not None:
        _create_order(petition, hotline)
    if petition.person is not None:
        people.person_link(person=petition.person, org_unit=org_unit, by=by)
    if employer is not None:
        employers.employer_link(employer=employer, org_unit=org_unit, by=by)
    flags = "、".join(x for x, on in (("群体性信访", is_group), ("重大/紧急", is_urgent), ("保密", is_confidential),
                                      ("匿名", identity == Petition.Identity.ANONYMOUS),
                                      ("仅留姓名电话", identity == Petition.Identity.PARTIAL)) if on)
    extra = ""
    if hotline is not None:
        extra = f"；12351工单{hotline.order_number}，办理时限{hotline.due_date:%Y-%m-%d}"
    if referral is not None:
        extra = f"；{referral.referred_by}交办" + (f"（{referral.reference}）" if referral.reference else "")
    if backdate_reason:
        extra += f"；补登（受理时间{timezone.localtime(received_at):%Y-%m-%d}）：{backdate_reason}"
    timeline.record(petition.events, Kind.INTAKE, label=Kind.INTAKE.label, by=by, to_state=petition.status,
                    note=f"{petition.get_channel_display()}，{headcount}人" + (f"；{flags}" if flags else "") + extra,
                    audit_event=audit.Event.CREATE,
                    new={"status": petition.status, "number": petition.number, "identity": identity,
                         **({"backdated": str(timezone.localdate(received_at))} if backdate_reason else {})})
    if petition.is_escalated:
        _escalate(petition)
    return petition


def _create_order(petition: Petition, hotline: HotlineDetails) -> HotlineOrder:
    order = HotlineOrder(petition=petition, order_number=hotline.order_number, caller_number=hotline.caller_number,
                         operator=hotline.operator, called_at=hotline.called_at, category=hotline.category,
                         called_on=timezone.localdate(hotline.called_at), due_date=hotline.due_date)
    HOTLINE_CLOCK.write(order, clocks.fixed(order.called_on, order.due_date))
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        # The same work order logged by someone else a moment ago: this case is not kept.
        _fail(f"工单编号{hotline.order_number}已登记，不能重复登记。", "hotline_number")
    return order


# --- handling --------------------------------------------------------------------------------------


MAX_RECOVERED = Decimal("1000000000000")


@dataclass(frozen=True)
class CompletionReport:
    """办结报告: facts, basis, result and the worker's response — all required; the money recovered
    for the worker (挽回经济损失, yuan) where there was any."""

    facts: str
    basis: str
    result: str
    response: str
    recovered: Decimal | None = None

    def cleaned(self) -> CompletionReport:
        recovered = self.recovered if self.recovered is not None else Decimal("0")
        if not isinstance(recovered, Decimal) or not recovered.is_finite():
            _fail("挽回经济损失应为金额（元）。", "recovered_amount")
        if recovered < 0:
            _fail("挽回经济损失不能为负数。", "recovered_amount")
        if recovered >= MAX_RECOVERED:
            _fail("挽回经济损失金额过大，请核对。", "recovered_amount")
        return CompletionReport(
            facts=_required(self.facts, "report_facts", "基本事实"),
            basis=_required(self.basis, "report_basis", "处理依据"),
            result=_required(self.result, "report_result", "处理结果"),
            response=_required(self.response, "report_response", "职工意见"),
            recovered=recovered.quantize(Decimal("0.01")),
        )


def _public_answer(petition: Petition, answer: str | None) -> str:
    """The answer a worker who submitted online reads (required when closing such a case)."""
    if not petition.came_online:
        return ""
    return _required(answer, "public_answer", "网上答复")


def _close(petition: Petition, by: User, step: Any, report: CompletionReport, handling: str,
           public_answer: str | None = None) -> Petition:
    report = report.cleaned()
    answer = _public_answer(petition, public_answer)
    now = timezone.now()
    petition.closed_at = now
    clock = clocks.stop(CLOCK.read(petition), timezone.localdate(now))
    fields = _put_clock(petition, clock)
    petition.report_facts, petition.report_basis = report.facts, report.basis
    petition.report_result, petition.report_response = report.result, report.response
    assert report.recovered is not None  # cleaned() sets it
    petition.recovered_amount = report.recovered
    petition.handling = handling
    if answer:
        petition.public_answer, petition.public_answered_at = answer, now
        fields += ["public_answer", "public_answered_at"]
    FollowUp.objects.create(petition=petition, created_at=now)
    late = clock.late_from is not None
    PETITION_FLOW.advance(petition, by, step, update_fields=[
        "closed_at", *fields, "report_facts", "report_basis", "report_result", "report_response", "handling",
        "recovered_amount"],
        note=report.result + ("（逾期办结）" if late else "")
        + (f"；挽回经济损失{report.recovered:,.2f}元" if report.recovered else ""),
        audit_detail="逾期" if late else "", new={"recovered_amount": str(report.recovered)})
    return petition


@transaction.atomic
def petition_answer(*, petition: Petition, by: User, answer: str, basis: str, response: str,
                    public_answer: str | None = None) -> Petition:
    """当场答复: an open matter answered at the counter is closed with the answer as the result."""
    step = PETITION_FLOW.begin(petition, by, "answer")
    answer = _required(answer, "answer", "答复内容")
    report = CompletionReport(facts=petition.facts, basis=basis, result=answer, response=response)
    return _close(petition, by, step, report, Petition.Handling.ON_THE_SPOT, public_answer or answer)


@transaction.atomic
def petition_close(*, petition: Petition, by: User, report: CompletionReport,
                   public_answer: str | None = None) -> Petition:
    """办结 with the completion report. A forwarded matter needs its answer back first; a matter
    submitted online needs the answer the worker will read (``public_answer``)."""
    step = PETITION_FLOW.begin(petition, by, "close")
    return _close(petition, by, step, report, petition.handling or Petition.Handling.SELF, public_answer)


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
    petition.handler, petition.handler_due, petition.handed_on = handler, due_date, _today()
    if petition.handling != Petition.Handling.FORWARDED:
        petition.handling = Petition.Handling.ASSIGNED
    text = f"交办给{handler}（{handler.org_unit}），期限{due_date:%Y-%m-%d}"
    if previous and previous.pk != handler.pk:
        text = f"由{previous}改为" + text
    PETITION_FLOW.advance(petition, by, step, update_fields=["handler", "handler_due", "handed_on", "handling"],
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
    if petition.person is not None:
        people.person_link(person=petition.person, org_unit=parent, by=by)
    if petition.employer_id and petition.employer is not None:
        employers.employer_link(employer=petition.employer, org_unit=parent, by=by)
    forget_sent_up(by)  # the sender reads it from now on
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
        # A fixed clock's date is the record's own field (the clock does not write it).
        target = TaskTarget(task=task, org_unit=unit, due_date=due_date)
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



@transaction.atomic
def task_link(*, target: TaskTarget, by: User, petition: Petition) -> TaskTarget:
    """The receiving unit links one of its cases to its part of a task (the task page then shows
    the case and its state to the sender)."""
    step = TASK_FLOW.begin(target, by, "link")
    if petition is None or not visible(Petition.objects.filter(pk=petition.pk), by).exists():
        _fail("未找到该信访事项。", "number")
    if not petition.org_unit.is_within(target.org_unit):
        _fail("只能关联本单位承办的信访事项。", "number")
    if petition.task_target_id == target.pk:
        _fail(f"{petition.number}已关联本交办事项。", "number")
    Petition.objects.filter(pk=petition.pk).update(task_target=target, updated_at=timezone.now())
    TASK_FLOW.advance(target, by, step, audit_detail=petition.number, new={"petition": petition.number})
    timeline.record(petition.events, "task_link", label="关联交办事项", by=by, note=target.task.title,
                    write_audit=False)
    return target


# --- anonymous matters, 上级交办, online answers --------------------------------------------------------


@transaction.atomic
def petition_identify(*, petition: Petition, by: User, id_number: str) -> Petition:
    """A supervisor leading the case's unit links an anonymous (or name-and-phone) matter to a
    registered person, found by the full ID number (attached to the unit when registered
    elsewhere). Audited; the timeline says only that it was linked, never who it is."""
    step = PETITION_FLOW.begin(petition, by, "identify")
    try:
        number = validate_resident_id(id_number or "")
    except ValidationError as exc:
        _fail(exc.messages[0], "id_number")
    person = people.person_by_id_number(number)
    if person is None:
        _fail("未找到该身份证号码对应的人员，请先在“职工”中登记。", "id_number")
    if not visible(Person.objects.filter(pk=person.pk), by).exists():
        person = people.person_attach(by=by, id_number=number, org_unit=petition.org_unit)
    before = petition.identity
    petition.person, petition.identity = person, Petition.Identity.PERSON
    for unit in {petition.org_unit, petition.received_unit}:
        people.person_link(person=person, org_unit=unit, by=by)
    PETITION_FLOW.advance(petition, by, step, update_fields=["person", "identity"],
                          note="已关联登记人员（原为" + Petition.Identity(before).label + "）",
                          old={"identity": before, "person": None}, new={"identity": petition.identity,
                                                                          "person": person.pk})
    return petition


@transaction.atomic
def petition_report_back(*, petition: Petition, by: User, report: str) -> Petition:
    """办理报告 to the body that assigned the matter (上级交办), after closing it; printable."""
    step = PETITION_FLOW.begin(petition, by, "report_back")
    report = _required(report, "report", "办理报告")
    petition.referral_report, petition.referral_reported_at, petition.referral_reported_by = report, timezone.now(), by
    PETITION_FLOW.advance(petition, by, step, update_fields=["referral_report", "referral_reported_at",
                                                             "referral_reported_by"],
                          note=f"向{petition.referred_by}报告办理结果", audit_detail=petition.referral_ref)
    return petition


@transaction.atomic
def petition_publish_answer(*, petition: Petition, by: User, answer: str) -> Petition:
    """网上答复: what the worker who submitted online reads in the progress lookup (replaces the
    previous answer). Never a case note: only this text is shown to the public."""
    step = PETITION_FLOW.begin(petition, by, "publish_answer")
    answer = _required(answer, "answer", "网上答复")
    petition.public_answer, petition.public_answered_at = answer, timezone.now()
    PETITION_FLOW.advance(petition, by, step, update_fields=["public_answer", "public_answered_at"], note=answer)
    return petition


# --- 12351 work orders ---------------------------------------------------------------------------------


@transaction.atomic
def hotline_dispatch(*, order: HotlineOrder, by: User, unit: OrgUnit, note: str = "") -> HotlineOrder:
    """转派: the work order (and its case) goes down to a unit below the dispatcher's, which handles it
    and answers back; the dispatcher keeps seeing it (it is in their subtree) and may send it to
    another unit below them instead."""
    step = HOTLINE_FLOW.begin(order, by, "dispatch")
    petition = Petition.objects.select_for_update().select_related("org_unit").get(pk=order.petition_id)
    if unit is None:
        _fail("请选择转派单位。", "unit")
    if not unit.is_active or not access.is_below(unit, by):
        _fail("只能转派给本单位下级的单位。", "unit")
    if unit.pk == petition.org_unit_id:
        _fail(f"该工单已由{unit}办理。", "unit")
    source = petition.org_unit
    petition.org_unit, petition.handler, petition.handler_due = unit, None, None
    petition.save(update_fields=["org_unit", "handler", "handler_due", "updated_at"])
    if petition.person is not None:
        people.person_link(person=petition.person, org_unit=unit, by=by)
    if petition.employer is not None:
        employers.employer_link(employer=petition.employer, org_unit=unit, by=by)
    order.dispatched_to, order.dispatched_at = unit, timezone.now()
    HOTLINE_FLOW.advance(order, by, step, update_fields=["dispatched_to", "dispatched_at"],
                         note=_with_note(f"12351工单{order.order_number}由{source}转派{unit}", note),
                         audit_detail=f"{source.code}→{unit.code}", old={"org_unit": source.code},
                         new={"org_unit": unit.code})
    return order


@transaction.atomic
def hotline_feedback(*, order: HotlineOrder, by: User, feedback: str) -> HotlineOrder:
    """反馈: what was done, answered back to the 12351 platform (printed as the 工单反馈单)."""
    step = HOTLINE_FLOW.begin(order, by, "feedback")
    feedback = _required(feedback, "feedback", "反馈内容")
    now = timezone.now()
    order.feedback, order.feedback_at, order.feedback_by = feedback, now, by
    fields = HOTLINE_CLOCK.write(order, clocks.stop(HOTLINE_CLOCK.read(order), timezone.localdate(now)))
    late = order.late_from is not None
    HOTLINE_FLOW.advance(order, by, step, update_fields=["feedback", "feedback_at", "feedback_by", *fields],
                         note=f"向12351平台反馈：{feedback}" + ("（超过平台时限）" if late else ""),
                         audit_detail=order.order_number + ("，逾期" if late else ""))
    return order


@transaction.atomic
def hotline_revisit(*, order: HotlineOrder, by: User, satisfaction: str, note: str = "") -> HotlineOrder:
    """The platform's 回访 of the caller, as the platform reports it: the work order is closed."""
    step = HOTLINE_FLOW.begin(order, by, "revisit")
    if satisfaction not in HotlineOrder.Satisfaction.values:
        _fail("请选择平台回访满意度。", "satisfaction")
    note = (note or "").strip()
    if satisfaction == HotlineOrder.Satisfaction.UNSATISFIED and not note:
        _fail("不满意时，请记录平台回访意见。", "note")
    order.revisit_satisfaction, order.revisit_note, order.revisit_at = satisfaction, note[:500], timezone.now()
    label = HotlineOrder.Satisfaction(satisfaction).label
    HOTLINE_FLOW.advance(order, by, step, update_fields=["revisit_satisfaction", "revisit_note", "revisit_at"],
                         note=f"平台回访：{label}" + (f"，{note}" if note else ""), audit_detail=satisfaction)
    return order


@transaction.atomic
def hotline_return(*, order: HotlineOrder, by: User, reason: str) -> HotlineOrder:
    """The platform sent the work order back (退回重办): it needs another answer; its time limit
    runs again from where it stood."""
    step = HOTLINE_FLOW.begin(order, by, "return_order")
    reason = _required(reason, "reason", "退回理由")
    order.returned_count += 1
    fields = HOTLINE_CLOCK.write(order, clocks.restart(HOTLINE_CLOCK.read(order)))
    HOTLINE_FLOW.advance(order, by, step, update_fields=["returned_count", *fields],
                         note=f"12351平台退回重办：{reason}", audit_detail=order.order_number)
    return order


# --- online self-service (网上自助): the public side ---------------------------------------------------

SUBMISSION_MAX_FACTS = 5000
SUBMISSION_MAX_REQUEST = 2000


def receiving_units() -> QuerySet[OrgUnit]:
    """The units a worker may send a matter to online (the service centers and stations)."""
    kinds = [OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.STATION, OrgUnit.Kind.POST]
    return OrgUnit.objects.filter(is_active=True, kind__in=kinds).order_by("path")


def _clean_text(value: str | None, field_name: str, label: str, limit: int) -> str:
    text = _required(value, field_name, label)
    # Control characters have no business in a letter; a script tag is just text (escaped on output).
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " ")
    if len(text) > limit:
        _fail(f"{label}最多 {limit} 字，现在 {len(text)} 字。", field_name)
    return text


def _store_file(upload: Any) -> dict[str, Any]:
    """Check a file by the attachments' rules (content, size) and store it like one."""
    import hashlib
    import secrets
    from pathlib import Path

    from servicecenter.attachments import ALLOWED, storage_path, validate_upload

    mime = validate_upload(upload)
    stored_name = secrets.token_hex(20) + ALLOWED[mime]
    path = storage_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    return {"original_name": Path(upload.name or "file").name[:200] or "file", "stored_name": stored_name,
            "mime_type": mime, "size": upload.size, "sha256": digest.hexdigest()}


@transaction.atomic
def submission_create(*, token: uuid.UUID, org_unit: OrgUnit, name: str, phone: str, id_number: str = "",
                      employer_name: str = "", category: Category, facts: str, request: str,
                      files: list[Any] | tuple[Any, ...] = (), client: str = "") -> tuple[Submission, str]:
    """A worker's matter from the public page: (the submission, its lookup code — shown once, kept
    only as a hash; "" when the same form came twice). Limits per client address and per phone
    number (parameters ``petition.public_submits_*``)."""
    from servicecenter.attachments import storage_path

    from . import selfservice

    existing = Submission.objects.filter(token=token).first()
    if existing is not None:
        return existing, ""
    ip_key = selfservice.client_key("ip", client or "-")
    hour = datetime.timedelta(hours=1)
    per_ip = selfservice.public_param("petition.public_submits_per_ip_hour")
    selfservice.refuse_if_over(PublicAttempt.Kind.SUBMIT, ip_key, per_ip, hour,
                               f"提交过于频繁：同一网络每小时最多提交 {per_ip} 次，请稍后再试。")
    if org_unit is None or not receiving_units().filter(pk=org_unit.pk).exists():
        _fail("请选择受理单位。", "org_unit")
    name = _clean_text(name, "name", "姓名", 50)
    try:
        phone = validate_phone(phone or "")
    except ValidationError as exc:
        _fail(exc.messages[0], "phone")
    phone_key = selfservice.client_key("phone", phone)
    per_phone = selfservice.public_param("petition.public_submits_per_phone_day")
    selfservice.refuse_if_over(PublicAttempt.Kind.SUBMIT, phone_key, per_phone, datetime.timedelta(days=1),
                               f"该手机号码今天已提交 {per_phone} 次。如需补充，请凭查询编号联系受理单位。", "phone")
    number_id = ""
    if (id_number or "").strip():
        try:
            number_id = validate_resident_id(id_number)
        except ValidationError as exc:
            _fail(exc.messages[0], "id_number")
    if category is None or not category.is_active:
        _fail("请选择问题类别。", "category")
    facts = _clean_text(facts, "facts", "反映内容", SUBMISSION_MAX_FACTS)
    request = _clean_text(request, "request", "诉求", SUBMISSION_MAX_REQUEST)
    employer_name = "".join(ch for ch in (employer_name or "").strip() if ch >= " ")
    if len(employer_name) > 200:
        _fail(f"工作单位最多 200 字，现在 {len(employer_name)} 字。", "employer_name")
    max_files = selfservice.public_param("petition.public_max_files")
    files = [f for f in files if f]
    if len(files) > max_files:
        _fail(f"最多上传 {max_files} 个文件。", "files")
    stored: list[dict[str, Any]] = []
    try:
        for upload in files:
            try:
                stored.append(_store_file(upload))
            except ValidationError as exc:
                _fail(f"{getattr(upload, 'name', '文件')}：{exc.messages[0]}", "files")
        code = selfservice.new_code()
        submission = Submission(
            token=token, org_unit=org_unit, name=name, phone=phone, employer_name=employer_name,
            category=category, facts=facts, request=request, code_hash=make_password(code),
        )
        if number_id:
            from servicecenter import encryption

            submission.id_number_encrypted = encryption.encrypt(number_id)
            submission.id_number_masked = mask_resident_id(number_id)
        for _ in range(5):
            submission.number = selfservice.new_number()
            try:
                with transaction.atomic():
                    submission.save()
                break
            except IntegrityError:
                if Submission.objects.filter(token=token).exists():  # the same form, twice at once
                    raise
                continue  # a number drawn twice: draw again
        else:
            raise RuntimeError("could not draw a free tracking number")
        SubmissionFile.objects.bulk_create([SubmissionFile(submission=submission, **f) for f in stored])
    except BaseException:
        for f in stored:
            storage_path(f["stored_name"]).unlink(missing_ok=True)
        raise
    selfservice.note_attempt(PublicAttempt.Kind.SUBMIT, ip_key)
    selfservice.note_attempt(PublicAttempt.Kind.SUBMIT, phone_key)
    audit.record(audit.Event.CREATE, target=submission, action="petitions.submission_create",
                 username="（网上自助）", detail=f"网上提交至{org_unit.code}",
                 new={"number": submission.number, "files": len(stored)})
    return submission, code


@dataclass(frozen=True)
class PublicStatus:
    """What the progress lookup shows: the state and the published answer, nothing else — no name,
    no phone, no case notes, no staff."""

    number: str
    submitted_at: datetime.datetime
    unit: str
    category: str
    state: str  # received | declined | accepted | handling | answered | closed
    label: str
    answer: str = ""
    answered_at: datetime.datetime | None = None
    decline_reason: str = ""
    closed_at: datetime.datetime | None = None

    STATES = (("received", "已收到"), ("accepted", "已受理"), ("handling", "办理中"), ("answered", "已答复"),
              ("closed", "已办结"))

    @property
    def steps(self) -> list[tuple[str, bool, bool]]:
        """(label, reached, current) along the way, for the progress bar."""
        codes = [c for c, _ in self.STATES]
        at = codes.index(self.state) if self.state in codes else 0
        return [(label, i <= at, i == at) for i, (_, label) in enumerate(self.STATES)]


def public_status(submission: Submission) -> PublicStatus:
    def status(state: str, label: str, **more: Any) -> PublicStatus:
        return PublicStatus(number=submission.number, submitted_at=submission.created_at,
                            unit=submission.org_unit.name, category=submission.category.name, state=state,
                            label=label, **more)

    if submission.status == Submission.Status.RECEIVED:
        return status("received", "已收到，等待受理")
    if submission.status == Submission.Status.DECLINED:
        return status("declined", "不予受理", decline_reason=submission.decline_reason)
    p = submission.petition
    assert p is not None  # accepted submissions have their case
    answer = {"answer": p.public_answer, "answered_at": p.public_answered_at}
    if p.status == Petition.Status.CLOSED:
        return status("closed", "已办结", closed_at=p.closed_at, **answer)
    if p.public_answer:
        return status("answered", "已答复", **answer)
    if p.status == Petition.Status.OPEN and p.handling in ("", Petition.Handling.SELF):
        return status("accepted", "已受理，正在办理")
    return status("handling", "办理中")


LOOKUP_REFUSED = "查询编号或查询码不正确。"


def _locked_message(until: datetime.datetime) -> str:
    return f"该查询编号因查询码多次输入错误已暂停查询，请于{timezone.localtime(until):%Y-%m-%d %H:%M}后再试。"


def submission_lookup(*, number: str, code: str, client: str = "") -> PublicStatus:
    """The progress lookup: the tracking number and its code. A wrong code counts toward locking
    that number (``petition.public_lookup_failures`` wrong codes lock it for
    ``petition.public_lookup_lock_minutes``); lookups per address are limited too. An unknown
    number and a wrong code get the same answer.

    Not one transaction on purpose: a wrong code's count must stay although the lookup is refused."""
    from . import selfservice

    ip_key = selfservice.client_key("ip", client or "-")
    per_ip = selfservice.public_param("petition.public_lookups_per_ip_hour")
    selfservice.refuse_if_over(PublicAttempt.Kind.LOOKUP, ip_key, per_ip, datetime.timedelta(hours=1),
                               f"查询过于频繁：同一网络每小时最多查询 {per_ip} 次，请稍后再试。")
    selfservice.note_attempt(PublicAttempt.Kind.LOOKUP, ip_key)
    number = selfservice.normalise_code(number)
    code = selfservice.normalise_code(code)
    if not number:
        _fail("请填写查询编号。", "number")
    if not code:
        _fail("请填写查询码。", "code")
    submission = Submission.objects.select_related("org_unit", "category", "petition").filter(number=number).first()
    now = timezone.now()
    if submission is None:
        check_password(code, make_password("-"))  # as long as a real check: the time tells nothing
        _fail(LOOKUP_REFUSED, "code", "lookup")
    if submission.locked_until is not None and submission.locked_until > now:
        _fail(_locked_message(submission.locked_until), "code", "locked")
    if not check_password(code, submission.code_hash):
        rows = Submission.objects.filter(pk=submission.pk)
        rows.update(failed_lookups=F("failed_lookups") + 1)
        selfservice.note_attempt(PublicAttempt.Kind.LOOKUP_FAILED, ip_key)
        limit = selfservice.public_param("petition.public_lookup_failures")
        if rows.filter(failed_lookups__gte=limit).exists():
            until = now + datetime.timedelta(minutes=selfservice.public_param("petition.public_lookup_lock_minutes"))
            rows.update(locked_until=until, failed_lookups=0)
            _fail(_locked_message(until), "code", "locked")
        _fail(LOOKUP_REFUSED, "code", "lookup")
    if submission.failed_lookups or submission.locked_until:
        Submission.objects.filter(pk=submission.pk).update(failed_lookups=0, locked_until=None)
    return public_status(submission)


# --- online self-service: the clerk's side --------------------------------------------------------------


@transaction.atomic
def submission_accept(*, submission: Submission, by: User, category: Category, register_person: bool = False,
                      employer: Employer | None = None) -> Petition:
    """受理: the submission becomes a petition of its unit (channel 网络). The complainant is the
    person with the given ID number when the clerk registers them (found, attached from another
    unit, or registered now), else known by name and phone. The files become the case's
    attachments."""
    step = SUBMISSION_FLOW.begin(submission, by, "accept")
    complainant: Complainant = Caller(submission.name, submission.phone, submission.employer_name)
    if register_person:
        if not submission.id_number_encrypted:
            _fail("该提交未填写身份证号码，只能按姓名和电话受理。", "register_person")
        from servicecenter import encryption

        number = encryption.decrypt(submission.id_number_encrypted)
        found = people.person_by_id_number(number)
        if found is None:
            complainant = NewPerson(submission.org_unit, number, {"name": submission.name, "phone": submission.phone})
        elif visible(Person.objects.filter(pk=found.pk), by).exists():
            complainant = found
        else:
            complainant = AttachPerson(number)
    petition = petition_intake(
        by=by, token=submission.token, org_unit=submission.org_unit, person=complainant,
        channel=Petition.Channel.ONLINE, received_at=timezone.now(), headcount=1, category=category,
        facts=submission.facts, request=submission.request, employer=employer,
    )
    _move_files(submission, petition, by)
    submission.petition, submission.decided_by, submission.decided_at = petition, by, timezone.now()
    SUBMISSION_FLOW.advance(submission, by, step, update_fields=["petition", "decided_by", "decided_at"],
                            audit_detail=petition.number, new={"petition": petition.number})
    return petition


def _move_files(submission: Submission, petition: Petition, by: User) -> None:
    from django.contrib.contenttypes.models import ContentType

    kind = ContentType.objects.get_for_model(Petition)
    for f in submission.files.all():
        attachment = Attachment.objects.create(
            content_type=kind, object_id=petition.pk, org_unit_id=petition.org_unit_id,
            original_name=f.original_name, stored_name=f.stored_name, mime_type=f.mime_type, size=f.size,
            sha256=f.sha256, description="网上提交", uploaded_by=by)
        audit.record(audit.Event.UPLOAD, user=by, target=petition, action="petitions.attach",
                     detail=f"网上提交附件：{f.original_name}", new={"attachment": attachment.pk, "size": f.size})
        timeline.record(petition.events, "attach", label="上传附件", by=by, note=f"{f.original_name}（网上提交）",
                        write_audit=False)


@transaction.atomic
def submission_decline(*, submission: Submission, by: User, reason: str) -> Submission:
    """不予受理, with the reason the worker reads in the lookup."""
    step = SUBMISSION_FLOW.begin(submission, by, "decline")
    reason = _required(reason, "reason", "不予受理理由")
    if len(reason) > 500:
        _fail(f"不予受理理由最多 500 字，现在 {len(reason)} 字。", "reason")
    submission.decline_reason, submission.decided_by, submission.decided_at = reason, by, timezone.now()
    SUBMISSION_FLOW.advance(submission, by, step, update_fields=["decline_reason", "decided_by", "decided_at"],
                            audit_detail=submission.number)
    return submission
