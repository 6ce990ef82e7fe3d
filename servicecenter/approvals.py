"""Approvals: requests that wait for the supervisor who leads the record's unit.

An app declares each kind of request it has (``ApprovalKind``: code, label, the permission a
decider needs, and which units must approve — by default the unit leading the record, or, with
``escalate_above``, also the level above when a rule says so, e.g. an amount above a unit's
threshold). The core keeps the ``Approval`` rows, refuses what no real approver would allow, and
lists what waits for a user in their inbox:

- maker ≠ checker: nobody decides a request they made, nor one about a record they applied for or
  reviewed (``makers``);
- only a user sitting in the deciding unit with the kind's permission decides;
- a return or a refusal needs a reason;
- one pending request of a kind per record and level (a double click asks once).

The app's own service applies what an approval means (extend the deadline, archive the file…)
when ``approval_decide`` reports the final approval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from . import access, audit, permissions, registry
from .models import Approval, OrgUnit

if TYPE_CHECKING:
    from .models import User

Status = Approval.Status


@dataclass(frozen=True)
class ApprovalKind:
    code: str  # "<app>.<kind>"
    label: str  # 延期申请
    model: type[Model]
    permission: str  # what a decider needs (one of the app's declared permissions)
    # Whether this request needs the level above the leading unit as well (a rule on the record and
    # the request's data, e.g. an amount above the unit's threshold).
    escalate_above: Callable[[Any, dict[str, Any]], bool] | None = None
    # People who may not decide: those who applied for or reviewed the record (the requester always).
    makers: Callable[[Any], Iterable[int | None]] = field(default=lambda obj: ())
    url: Callable[[Any], str] = field(default=lambda obj: obj.get_absolute_url())
    due: Callable[[Any], Any] = field(default=lambda obj: None)

    def __post_init__(self) -> None:
        if not self.code.startswith(self.model._meta.app_label + "."):
            raise ImproperlyConfigured(f"审批事项“{self.code}”应以“{self.model._meta.app_label}.”开头。")

    def check_declared(self) -> None:
        if not permissions.is_declared(self.permission):
            raise ImproperlyConfigured(f"审批事项“{self.code}”需要的权限“{self.permission}”未声明。")


def _kinds() -> dict[str, ApprovalKind]:
    return {kind.code: kind for kind in registry.approval_kinds()}


def kind_of(code: str) -> ApprovalKind:
    try:
        return _kinds()[code]
    except KeyError:
        raise ImproperlyConfigured(f"未声明的审批事项：“{code}”。") from None


def approval_units(kind: ApprovalKind, obj: Any, data: dict[str, Any]) -> list[OrgUnit]:
    """The units that must approve, in order: the leading unit, and the one above when the kind's
    rule says so (and there is one)."""
    lead = access.leading_unit(obj.org_unit)
    units = [lead]
    if (kind.escalate_above is not None and kind.escalate_above(obj, data) and lead.parent_id
            and lead.parent is not None):
        units.append(lead.parent)
    return units


def _fail(message: str, field_name: str | None = None) -> NoReturn:
    raise ValidationError({field_name: message} if field_name else message, code="invalid")


def pending(obj: Model, code: str | None = None) -> QuerySet[Approval]:
    qs = Approval.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk,
                                 status=Status.PENDING)
    return qs.filter(kind=code) if code else qs


def history(obj: Model) -> QuerySet[Approval]:
    return (Approval.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
            .select_related("org_unit", "requested_by", "decided_by").order_by("requested_at", "id"))


@transaction.atomic
def approval_request(*, code: str, target: Model, by: User, note: str, data: dict[str, Any] | None = None,
                     note_field: str = "note") -> Approval:
    """Ask the leading unit to decide ``code`` about ``target``."""
    kind = kind_of(code)
    note = (note or "").strip()
    if not note:
        _fail("请填写申请理由。", note_field)
    if pending(target, code).exists():
        _fail(f"该事项已有待审批的{kind.label}，请等待审批结果。")
    data = dict(data or {})
    unit = approval_units(kind, target, data)[0]
    try:
        with transaction.atomic():
            approval = Approval.objects.create(
                content_type=ContentType.objects.get_for_model(target), object_id=target.pk, kind=code, org_unit=unit,
                level=1, requested_by=by, request_note=note, data=data)
    except IntegrityError:
        _fail(f"该事项已有待审批的{kind.label}，请等待审批结果。")
        raise  # unreachable: _fail raises
    audit.record(audit.Event.APPROVAL, user=by, target=target, action=f"{code}.request", detail=f"申请{kind.label}",
                 new={"approval": approval.pk, **data})
    return approval


@dataclass(frozen=True)
class Decision:
    approval: Approval
    final: bool  # True when this decision ends the request (approved at the last level, returned or refused)
    approved: bool


def may_decide(user: User, approval: Approval) -> bool:
    """Whether the user sits in the deciding unit and holds the kind's permission (maker ≠
    checker aside)."""
    kind = kind_of(approval.kind)
    return access.role_allows(user, kind.permission) and access.acts_for(user, approval.org_unit_id)


@transaction.atomic
def approval_decide(*, approval: Approval, by: User, decision: str, note: str = "", target: Model | None = None,
                    note_field: str = "note") -> Decision:
    """Approve, return or refuse a pending request. Approval at a level that is not the last opens
    the next level's request."""
    approval = Approval.objects.select_for_update().get(pk=approval.pk)
    kind = kind_of(approval.kind)
    target = target if target is not None else approval.target
    access.require(by, kind.permission, target)
    if approval.status != Status.PENDING:
        _fail(f"该申请已{approval.get_status_display()}，不能再审批。")
    if not may_decide(by, approval):
        raise PermissionDenied(f"该申请由{approval.org_unit}审批。")
    makers = {approval.requested_by_id, *(m for m in kind.makers(target) if m)}
    if by.pk in makers:
        _fail("不能审批本人申请或经手审核的事项（审批人与申请人、审核人须为不同的人）。")
    if decision not in (Status.APPROVED, Status.RETURNED, Status.REJECTED):
        _fail("请选择审批结果。", "decision")
    note = (note or "").strip()
    if decision != Status.APPROVED and not note:
        _fail("退回或不予批准须写明理由。", note_field)
    approval.status, approval.decided_by, approval.decided_at = decision, by, timezone.now()
    approval.decision_note = note
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    final, approved = True, decision == Status.APPROVED
    if approved:
        units = approval_units(kind, target, approval.data)
        if approval.level < len(units):
            Approval.objects.create(
                content_type=approval.content_type, object_id=approval.object_id, kind=approval.kind,
                org_unit=units[approval.level], level=approval.level + 1, requested_by=approval.requested_by,
                request_note=approval.request_note, data=approval.data)
            final = False
    audit.record(audit.Event.APPROVAL, user=by, target=target, action=f"{approval.kind}.{decision}",
                 detail=f"{kind.label}：{approval.get_status_display()}（第{approval.level}级）",
                 old={"status": Status.PENDING}, new={"status": decision, "level": approval.level})
    return Decision(approval, final, approved)


def waiting_for(user: User) -> QuerySet[Approval]:
    """Pending requests this user may decide (their unit decides, they hold the kind's permission)."""
    if not access.reads_cases(user):
        return Approval.objects.none()
    kinds = [code for code, kind in _kinds().items() if access.role_allows(user, kind.permission)]
    return (Approval.objects.filter(org_unit_id=user.org_unit_id, status=Status.PENDING, kind__in=kinds)
            .select_related("content_type", "requested_by").order_by("requested_at", "id"))
