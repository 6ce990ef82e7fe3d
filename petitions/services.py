"""Every state change of a petition, one keyword-only function each.

Each function runs in one transaction, checks the access policy (404 outside scope, 403 for the
role), locks and re-reads the petition, refuses an action the current state does not allow with a
Chinese ``ValidationError`` (nothing changes), saves with ``update_fields``, and writes the
timeline event and the audit record. Views and the demo call these; nothing else changes status.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any, NoReturn

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from servicecenter import audit, employers, people
from servicecenter.access import Action, require, visible
from servicecenter.attachments import attachment_add
from servicecenter.models import Attachment, Employer, OrgUnit, Person, User
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.roles import Role
from servicecenter.workdays import add_working_days, working_days_between

from .confidentiality import escalation_units
from .models import Category, Escalation, FollowUp, Notice, Petition, PetitionEvent, Recusal, Task, TaskTarget

Status = Petition.Status
Kind = PetitionEvent.Kind
HANDLER_ROLES = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)
# A clock a few minutes fast on the clerk's PC must not make "now" look like the future.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


# --- helpers --------------------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _fail(message: str, field_name: str | None = None, code: str = "invalid") -> NoReturn:
    raise ValidationError({field_name: message} if field_name else message, code=code)


def _required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        _fail(f"请填写{label}。", field_name, "required")
    return text


def _refuse_state(petition: Petition, allowed: tuple[str, ...], action: str) -> None:
    if petition.status not in allowed:
        _fail(f"该事项当前状态为“{petition.get_status_display()}”，不能{action}。", code="state")


def _lock(petition: Petition) -> None:
    """Re-read the row under a lock, so two clerks acting at once queue up and the second sees
    the first one's result."""
    petition.refresh_from_db(from_queryset=Petition.objects.select_for_update())


def _event(petition: Petition, kind: str, by: User, note: str = "") -> PetitionEvent:
    return PetitionEvent.objects.create(petition=petition, kind=kind, by=by, at=timezone.now(), note=note[:2000])


def _audit(by: User, target: Model, kind: str, detail: str = "") -> None:
    label = Kind(kind).label if kind in Kind.values else kind
    audit.record(audit.Event.STATE, user=by, target=target, detail=f"{label} {detail}".strip())


def _shift(petition: Petition, day: datetime.date, n: int) -> datetime.date:
    """``day`` moved ``n`` days in the petition's counting mode."""
    if petition.in_working_days:
        return add_working_days(day, n)
    return day + datetime.timedelta(days=n)


def compute_due_date(accepted_on: datetime.date, unit: OrgUnit, *, in_working_days: bool | None = None
                     ) -> tuple[datetime.date, bool]:
    """Acceptance + ``petition.deadline_days`` (calendar or working days by
    ``petition.deadline_in_working_days``) → (due date, counted in working days)."""
    days = param("petition.deadline_days", unit)
    working = param("petition.deadline_in_working_days", unit) if in_working_days is None else in_working_days
    due = add_working_days(accepted_on, days) if working else accepted_on + datetime.timedelta(days=days)
    return due, working


def _escalate(petition: Petition) -> None:
    for unit in escalation_units(petition.org_unit):
        Escalation.objects.get_or_create(petition=petition, org_unit=unit)


def eligible_handlers(petition: Petition):  # noqa: ANN201 — a QuerySet[User]
    """Staff of the owning unit or a unit below it who handle cases and have not recused."""
    return (User.objects.filter(is_active=True, org_unit__path__startswith=petition.org_unit.path,
                                role_grants__role__in=HANDLER_ROLES)
            .exclude(pk__in=Recusal.objects.filter(petition=petition).values("user_id"))
            .select_related("org_unit").distinct().order_by("org_unit__path", "full_name", "username"))


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
            return people.person_attach(by=by, id_number=person.id_number, org_unit=by.org_unit)
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
            return employers.employer_attach(by=by, credit_code=employer.credit_code, org_unit=by.org_unit)
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
    require(by, Action.CHANGE, org_unit)
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
    due_date, working = compute_due_date(accepted_on, org_unit)
    is_group = headcount >= param("petition.group_size", org_unit)
    petition = Petition(
        org_unit=org_unit, received_unit=org_unit, received_at=received_at, received_by=by, channel=channel,
        person=person, headcount=headcount, is_group=is_group, employer=employer, category=category,
        facts=facts, request=request, is_confidential=is_confidential, is_urgent=is_urgent,
        handler=by, accepted_on=accepted_on, in_working_days=working, due_date=due_date, intake_token=token,
    )
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
    _event(petition, Kind.INTAKE, by, f"{petition.get_channel_display()}，{headcount}人" + (f"；{flags}" if flags else ""))
    if petition.is_escalated:
        _escalate(petition)
    audit.record(audit.Event.CREATE, user=by, target=petition)
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


def _close(petition: Petition, by: User, report: CompletionReport, handling: str, kind: str) -> Petition:
    if petition.is_paused:
        _fail("计时已暂停，请先恢复计时再办结。", code="state")
    report = report.cleaned()
    now = timezone.now()
    petition.status = Status.CLOSED
    petition.closed_at = now
    # Closed late stays marked overdue, whatever happens next.
    petition.was_overdue = petition.was_overdue or timezone.localdate(now) > petition.due_date
    petition.report_facts, petition.report_basis = report.facts, report.basis
    petition.report_result, petition.report_response = report.result, report.response
    petition.handling = handling
    petition.save(update_fields=["status", "closed_at", "was_overdue", "report_facts", "report_basis",
                                 "report_result", "report_response", "handling", "updated_at"])
    FollowUp.objects.create(petition=petition, created_at=now)
    note = report.result + ("（逾期办结）" if petition.was_overdue else "")
    _event(petition, kind, by, note)
    _audit(by, petition, kind)
    return petition


@transaction.atomic
def petition_answer(*, petition: Petition, by: User, answer: str, basis: str, response: str) -> Petition:
    """当场答复: an open matter answered at the counter is closed with the answer as the result."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, (Status.OPEN,), "当场答复")
    answer = _required(answer, "answer", "答复内容")
    report = CompletionReport(facts=petition.facts, basis=basis, result=answer, response=response)
    return _close(petition, by, report, Petition.Handling.ON_THE_SPOT, Kind.ANSWER)


@transaction.atomic
def petition_close(*, petition: Petition, by: User, report: CompletionReport) -> Petition:
    """办结 with the completion report. A forwarded matter needs its answer back first."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    if petition.status == Status.FORWARDED:
        _fail("转办事项尚未收到答复，不能办结。请先登记转办答复。", code="state")
    _refuse_state(petition, (Status.OPEN, Status.ASSIGNED, Status.REPLIED), "办结")
    return _close(petition, by, report, petition.handling or Petition.Handling.SELF, Kind.CLOSE)


@transaction.atomic
def petition_assign(*, petition: Petition, by: User, handler: User, due_date: datetime.date, note: str = "") -> Petition:
    """交办 to a staff member of the owning unit or a station below it, with a due date."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, Petition.OPEN_STATES, "交办")
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
    if petition.status == Status.OPEN:
        petition.status = Status.ASSIGNED
    if petition.handling != Petition.Handling.FORWARDED:
        petition.handling = Petition.Handling.ASSIGNED
    petition.save(update_fields=["handler", "handler_due", "status", "handling", "updated_at"])
    text = f"交办给{handler}（{handler.org_unit}），期限{due_date:%Y-%m-%d}"
    if previous and previous.pk != handler.pk:
        text = f"由{previous}改为" + text
    _event(petition, Kind.ASSIGN, by, text + (f"；{note.strip()}" if note.strip() else ""))
    _audit(by, petition, Kind.ASSIGN, f"承办人{handler.pk}")
    return petition


@transaction.atomic
def petition_send_up(*, petition: Petition, by: User, reason: str) -> Petition:
    """上报: the matter belongs to a higher body; ownership moves to the parent unit."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, (Status.OPEN, Status.ASSIGNED), "上报")
    reason = _required(reason, "reason", "上报理由")
    source = petition.org_unit
    parent = source.parent
    if parent is None or not parent.is_active:
        _fail("本单位没有上级单位，不能上报。", code="state")
    petition.sent_up_from, petition.org_unit = source, parent
    petition.status, petition.handler, petition.handler_due = Status.OPEN, None, None
    petition.handling = Petition.Handling.SENT_UP
    petition.save(update_fields=["sent_up_from", "org_unit", "status", "handler", "handler_due", "handling",
                                 "updated_at"])
    people.person_link(person=petition.person, org_unit=parent, by=by)
    if petition.employer_id:
        employers.employer_link(employer=petition.employer, org_unit=parent, by=by)
    _event(petition, Kind.SEND_UP, by, f"由{source}上报{parent}：{reason}")
    if petition.is_escalated:
        _escalate(petition)
    _audit(by, petition, Kind.SEND_UP, f"{source.code}→{parent.code}")
    return petition


@transaction.atomic
def petition_forward(*, petition: Petition, by: User, department: str, forwarded_on: datetime.date,
                     contact: str, note: str = "") -> Petition:
    """转办 to an outside department; the case waits for its answer before it can close."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, (Status.OPEN, Status.ASSIGNED), "转办")
    department = _required(department, "department", "转办部门")
    contact = _required(contact, "contact", "联系人及电话")
    if forwarded_on is None:
        _fail("请填写转办日期。", "forwarded_on")
    if forwarded_on > _today():
        _fail("转办日期不能晚于今天。", "forwarded_on")
    if forwarded_on < petition.accepted_on:
        _fail("转办日期不能早于受理日期。", "forwarded_on")
    petition.status, petition.handling = Status.FORWARDED, Petition.Handling.FORWARDED
    petition.forwarded_to, petition.forwarded_on, petition.forwarded_contact = department, forwarded_on, contact
    petition.reply, petition.replied_on = "", None
    petition.save(update_fields=["status", "handling", "forwarded_to", "forwarded_on", "forwarded_contact",
                                 "reply", "replied_on", "updated_at"])
    _event(petition, Kind.FORWARD, by, f"转办{department}（{contact}），{forwarded_on:%Y-%m-%d}"
           + (f"；{note.strip()}" if note.strip() else ""))
    _audit(by, petition, Kind.FORWARD, department)
    return petition


@transaction.atomic
def petition_record_reply(*, petition: Petition, by: User, reply: str, replied_on: datetime.date) -> Petition:
    """The outside department's answer to a forwarded matter (确保信访有答复)."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, (Status.FORWARDED,), "登记转办答复")
    reply = _required(reply, "reply", "答复内容")
    if replied_on is None:
        _fail("请填写答复日期。", "replied_on")
    if replied_on > _today():
        _fail("答复日期不能晚于今天。", "replied_on")
    if replied_on < petition.forwarded_on:
        _fail("答复日期不能早于转办日期。", "replied_on")
    petition.status, petition.reply, petition.replied_on = Status.REPLIED, reply, replied_on
    petition.save(update_fields=["status", "reply", "replied_on", "updated_at"])
    _event(petition, Kind.REPLY, by, f"{petition.forwarded_to}答复（{replied_on:%Y-%m-%d}）：{reply}")
    _audit(by, petition, Kind.REPLY)
    return petition


# --- the clock -------------------------------------------------------------------------------------


@transaction.atomic
def petition_pause(*, petition: Petition, by: User, reason: str) -> Petition:
    """Stop the clock while waiting (e.g. for an appraisal); the reason is logged."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, Petition.OPEN_STATES, "暂停计时")
    if petition.is_paused:
        _fail(f"计时已于{petition.paused_since:%Y-%m-%d}暂停。", code="state")
    reason = _required(reason, "reason", "暂停理由")
    petition.paused_since = _today()
    petition.save(update_fields=["paused_since", "updated_at"])
    _event(petition, Kind.PAUSE, by, reason)
    _audit(by, petition, Kind.PAUSE)
    return petition


@transaction.atomic
def petition_resume(*, petition: Petition, by: User, note: str = "") -> Petition:
    """Restart the clock; the due date moves by the paused days (working days in that mode)."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    if not petition.is_paused:
        _fail("计时未暂停，无需恢复。", code="state")
    today = _today()
    if petition.in_working_days:
        paused = max(working_days_between(petition.paused_since, today), 0)
    else:
        paused = max((today - petition.paused_since).days, 0)
    petition.due_date = _shift(petition, petition.due_date, paused)
    petition.paused_days += paused
    petition.paused_since = None
    petition.save(update_fields=["due_date", "paused_days", "paused_since", "updated_at"])
    unit = "个工作日" if petition.in_working_days else "天"
    _event(petition, Kind.RESUME, by, f"暂停{paused}{unit}，办结期限顺延至{petition.due_date:%Y-%m-%d}"
           + (f"；{note.strip()}" if note.strip() else ""))
    _audit(by, petition, Kind.RESUME, f"{paused}{unit}")
    return petition


@transaction.atomic
def petition_extend(*, petition: Petition, by: User, days: int, reason: str) -> Petition:
    """延期, once per case, by a supervisor, at most ``petition.extension_max_days``."""
    require(by, Action.APPROVE, petition)
    _lock(petition)
    _refuse_state(petition, Petition.OPEN_STATES, "延期")
    if petition.extension_days:
        _fail("该事项已延期一次，不能再次延期。", code="state")
    limit = param("petition.extension_max_days", petition.org_unit)
    if not days or days < 1:
        _fail("延期天数至少为1。", "days")
    if days > limit:
        _fail(f"延期不能超过{limit}天。", "days")
    reason = _required(reason, "reason", "延期理由")
    petition.due_date = _shift(petition, petition.due_date, days)
    petition.extension_days, petition.extension_reason = days, reason[:200]
    petition.save(update_fields=["due_date", "extension_days", "extension_reason", "updated_at"])
    unit = "个工作日" if petition.in_working_days else "天"
    _event(petition, Kind.EXTEND, by, f"延期{days}{unit}至{petition.due_date:%Y-%m-%d}：{reason}")
    _audit(by, petition, Kind.EXTEND, f"{days}{unit}")
    return petition


# --- escalation, recusal --------------------------------------------------------------------------


@transaction.atomic
def petition_acknowledge(*, petition: Petition, by: User) -> Escalation:
    """签收 a group or urgent petition for the supervisor's own unit."""
    require(by, Action.APPROVE, petition)
    escalation = Escalation.objects.select_for_update().filter(petition=petition, org_unit_id=by.org_unit_id).first()
    if escalation is None:
        _fail("本单位没有待签收的该事项报告。", code="state")
    if escalation.acknowledged_at is not None:
        _fail(f"本单位已于{timezone.localtime(escalation.acknowledged_at):%Y-%m-%d %H:%M}签收。", code="state")
    escalation.acknowledged_at, escalation.acknowledged_by = timezone.now(), by
    escalation.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _event(petition, Kind.ACKNOWLEDGE, by, f"{by.org_unit}签收")
    _audit(by, petition, Kind.ACKNOWLEDGE, by.org_unit.code)
    return escalation


@transaction.atomic
def petition_recuse(*, petition: Petition, by: User, reason: str) -> Recusal:
    """回避: a staff member with a stake steps aside. A recusing handler leaves the case to be
    reassigned; from now on the access policy hides the case from them."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    reason = _required(reason, "reason", "回避理由")
    recusal = Recusal.objects.create(petition=petition, user=by, reason=reason[:200])
    if petition.handler_id == by.pk:
        petition.handler, petition.handler_due = None, None
        if petition.status == Status.ASSIGNED:
            petition.status = Status.OPEN
        petition.save(update_fields=["handler", "handler_due", "status", "updated_at"])
    _event(petition, Kind.RECUSE, by, f"{by}声明回避：{reason}" + ("，待重新交办" if not petition.handler_id else ""))
    _audit(by, petition, Kind.RECUSE)
    return recusal


# --- reopening, follow-up -------------------------------------------------------------------------


def _reopen(petition: Petition, by: User, reason: str) -> Petition:
    _refuse_state(petition, (Status.CLOSED,), "重新办理")
    reason = _required(reason, "reason", "重新办理理由")
    window = param("petition.reopen_within_days", petition.org_unit)
    if (_today() - timezone.localdate(petition.closed_at)).days > window:
        _fail(f"办结已超过{window}天，不能重新办理。", code="state")
    petition.status, petition.closed_at = Status.OPEN, None
    petition.reopen_count += 1
    petition.save(update_fields=["status", "closed_at", "reopen_count", "updated_at"])
    FollowUp.objects.filter(petition=petition, status=FollowUp.Status.PENDING).update(status=FollowUp.Status.CANCELLED)
    _event(petition, Kind.REOPEN, by, reason)
    _audit(by, petition, Kind.REOPEN)
    return petition


@transaction.atomic
def petition_reopen(*, petition: Petition, by: User, reason: str) -> Petition:
    """A supervisor reopens a closed case within ``petition.reopen_within_days``."""
    require(by, Action.APPROVE, petition)
    _lock(petition)
    return _reopen(petition, by, reason)


@transaction.atomic
def followup_record(*, follow_up: FollowUp, by: User, method: str, satisfaction: str, comment: str = "") -> FollowUp:
    """回访: method, satisfaction and comment. 不满意 waits for the supervisor's review."""
    petition = follow_up.petition
    require(by, Action.CHANGE, petition)
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
    _event(petition, Kind.FOLLOW_UP, by, f"{follow_up.get_method_display()}回访，"
           f"{follow_up.get_satisfaction_display()}" + (f"：{comment}" if comment else ""))
    _audit(by, petition, Kind.FOLLOW_UP, satisfaction)
    return follow_up


@transaction.atomic
def followup_review(*, follow_up: FollowUp, by: User, reopen: bool, note: str) -> FollowUp:
    """The supervisor's decision on an unsatisfied follow-up: reopen the case or keep it closed."""
    petition = follow_up.petition
    require(by, Action.APPROVE, petition)
    follow_up.refresh_from_db(from_queryset=FollowUp.objects.select_for_update())
    if not follow_up.awaits_review:
        _fail("该回访无需复核。", code="state")
    note = _required(note, "note", "复核意见")
    if reopen:
        _lock(petition)
        _reopen(petition, by, f"回访不满意：{note}")
        follow_up.review = FollowUp.Review.REOPENED
    else:
        follow_up.review = FollowUp.Review.KEPT
        _event(petition, Kind.REVIEW, by, f"维持办结：{note}")
        _audit(by, petition, Kind.REVIEW, "kept")
    follow_up.review_note, follow_up.reviewed_by, follow_up.reviewed_at = note[:200], by, timezone.now()
    follow_up.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
    return follow_up


# --- notices to employers ----------------------------------------------------------------------------


@transaction.atomic
def notice_issue(*, petition: Petition, by: User, kind: str, content: str, basis: str = "",
                 deadline: datetime.date | None = None) -> Notice:
    """职工维权建议书 (no rule covers the case) or 职工维权整改书 (a rule was broken; with a
    deadline) to the employer concerned."""
    require(by, Action.CHANGE, petition)
    _lock(petition)
    _refuse_state(petition, Petition.OPEN_STATES, "发出通知书")
    if petition.employer_id is None:
        _fail("该事项未登记涉及单位，不能发出通知书。", code="state")
    if kind not in Notice.Kind.values:
        _fail("请选择文书种类。", "kind")
    content = _required(content, "content", "问题与建议/整改要求")
    today = _today()
    if kind == Notice.Kind.RECTIFICATION and deadline is None:
        _fail("整改书须规定整改期限。", "deadline")
    if deadline is not None and deadline <= today:
        _fail("期限应晚于发出日期。", "deadline")
    prefix = Notice.NUMBER_PREFIX[Notice.Kind(kind)]
    notice = Notice.objects.create(
        petition=petition, employer_id=petition.employer_id, kind=kind, content=content, basis=(basis or "").strip(),
        deadline=deadline, issued_on=today, issued_by=by,
        number=case_number(prefix, petition.org_unit, today.year),
    )
    _event(petition, Kind.NOTICE, by, f"{notice.get_kind_display()} {notice.number}"
           + (f"，期限{deadline:%Y-%m-%d}" if deadline else ""))
    _audit(by, petition, Kind.NOTICE, notice.number)
    return notice


@transaction.atomic
def notice_record_response(*, notice: Notice, by: User, response: str, responded_on: datetime.date) -> Notice:
    petition = notice.petition
    require(by, Action.CHANGE, petition)
    notice.refresh_from_db(from_queryset=Notice.objects.select_for_update())
    if notice.status != Notice.Status.ISSUED:
        _fail("已登记该单位的回复。", code="state")
    response = _required(response, "response", "单位回复")
    if responded_on is None:
        _fail("请填写回复日期。", "responded_on")
    if responded_on > _today():
        _fail("回复日期不能晚于今天。", "responded_on")
    if responded_on < notice.issued_on:
        _fail("回复日期不能早于发出日期。", "responded_on")
    notice.status, notice.response, notice.responded_on = Notice.Status.RESPONDED, response, responded_on
    notice.save(update_fields=["status", "response", "responded_on"])
    late = notice.deadline is not None and responded_on > notice.deadline
    _event(petition, Kind.NOTICE_RESPONSE, by, f"{notice.number}：{response}" + ("（逾期回复）" if late else ""))
    _audit(by, petition, Kind.NOTICE_RESPONSE, notice.number)
    return notice


@transaction.atomic
def petition_attach(*, petition: Petition, by: User, upload: Any, description: str = "") -> Attachment:
    require(by, Action.CHANGE, petition)
    attachment = attachment_add(by=by, owner=petition, upload=upload, description=description)
    _event(petition, Kind.ATTACH, by, attachment.original_name)
    audit.record(audit.Event.CREATE, user=by, target=petition, detail=f"附件 {attachment.original_name}"[:500])
    return attachment


# --- tasks from above (交办事项) -------------------------------------------------------------------


@transaction.atomic
def task_create(*, by: User, title: str, content: str, due_date: datetime.date, units: list[OrgUnit]) -> Task:
    """A city or district center assigns a matter to units below it, each to report back."""
    require(by, Action.CHANGE)
    title = _required(title, "title", "事项")
    content = _required(content, "content", "要求")
    if due_date is None:
        _fail("请填写报告期限。", "due_date")
    if due_date < _today():
        _fail("报告期限不能早于今天。", "due_date")
    if not units:
        _fail("请选择承办单位。", "units")
    own = by.org_unit
    for unit in units:
        if unit.pk == own.pk or not unit.is_within(own):
            _fail("只能交办给本单位下级的单位。", "units")
    task = Task.objects.create(title=title[:100], content=content, org_unit=own, created_by=by, due_date=due_date)
    TaskTarget.objects.bulk_create([TaskTarget(task=task, org_unit=unit) for unit in units])
    audit.record(audit.Event.CREATE, user=by, target=task, detail=f"交办{len(units)}个单位")
    return task


@transaction.atomic
def task_report(*, target: TaskTarget, by: User, result: str) -> TaskTarget:
    """The receiving unit reports its result back to the sender."""
    require(by, Action.CHANGE, target)
    if by.org_unit_id != target.org_unit_id:
        raise PermissionDenied("只有承办单位可以报告办理结果。")
    target.refresh_from_db(from_queryset=TaskTarget.objects.select_for_update())
    if target.status != TaskTarget.Status.PENDING:
        _fail("已报告办理结果。", code="state")
    result = _required(result, "result", "办理结果")
    target.status, target.result, target.reported_by, target.reported_at = (
        TaskTarget.Status.REPORTED, result, by, timezone.now())
    target.save(update_fields=["status", "result", "reported_by", "reported_at"])
    audit.record(audit.Event.STATE, user=by, target=target, detail="报告办理结果")
    return target
