"""帮扶资金与物资: the writes. Keyword-only, one transaction each (``ledger.guarded``: retried on a
lock failure, the refusal audited), Chinese messages at the field.

Money moves only through ``funds/ledger.py``; grant states only through ``GRANT_FLOW``
(``workflow.py``). The hardship app is reached through the access policy and a plain id
(``Grant.hardship_file_id``), never imported at module level: without it, grants are for a person.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from servicecenter import access, approvals, audit, timeline
from servicecenter.models import OrgUnit, Person
from servicecenter.numbering import case_number
from servicecenter.parameters import param
from servicecenter.people import person_link
from servicecenter.validators import mask_resident_id, normalise_resident_id, validate_resident_id

from . import holds, ledger, year_close
from .ledger import guarded
from .models import Budget, FundAccount, FundSource, Grant, LedgerEntry, ReliefType, cents
from .workflow import APPLY, APPROVAL, GRANT_FLOW, MANAGE, PAY

if TYPE_CHECKING:
    from servicecenter.models import User

S = Grant.Status


def _fail(message: str, field: str | None = None, code: str = "invalid") -> None:
    raise ValidationError({field: message} if field else message, code=code)


def _required(value: str, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        _fail(f"请填写{label}。", field, "required")
    return text


def _today() -> datetime.date:
    return timezone.localdate()


def _unit_in_scope(by: User, unit: OrgUnit | None, field: str = "org_unit") -> OrgUnit:
    if unit is None or not access.assignable_units(by).filter(pk=unit.pk).exists():
        _fail("请从列表中选择本单位或下级单位。", field)
    assert unit is not None
    return unit


# --- money in ------------------------------------------------------------------------------------------


@guarded("funds.source_record")
def source_record(*, by: User, org_unit: OrgUnit, kind: str, donor: str, received_on: datetime.date | None,
                  amount: Any, restriction: list[str] | tuple[str, ...] = (), note: str = "",
                  keeper: User | None = None, key: Any) -> FundSource:
    """资金到账: the source, its dedicated account at the receiving unit (one per unit and source)
    and the income entry. ``key`` makes a resubmitted form record it once."""
    access.require(by, MANAGE)
    existing = LedgerEntry.objects.filter(key=str(key)).select_related("account__source").first()
    unit = _unit_in_scope(by, org_unit)
    if kind not in FundSource.Kind.values:
        _fail("请选择资金性质。", "kind")
    donor = _required(donor, "donor", "捐赠/拨款单位或个人")
    amount = ledger.money(amount)
    if received_on is None:
        _fail("请填写到账日期。", "received_on", "required")
    assert received_on is not None
    if received_on > _today():
        _fail("到账日期不能晚于今天。", "received_on")
    year_close.refuse_if_closed(unit, received_on, "received_on", "资金到账")
    unknown = [t for t in restriction if t not in ReliefType.values]
    if unknown:
        _fail("限定用途只能选择列表中的救助类型。", "restriction")
    if keeper is not None and not access.acts_for(keeper, unit.pk):
        _fail("专管员须是接收单位的工作人员。", "keeper")
    if existing is not None:
        source = existing.account.source
        if (source.org_unit_id, source.amount, source.kind) != (unit.pk, amount, kind):
            _fail("该表单已提交过内容不同的到账登记，请刷新页面后重新填写。")
        return source
    source = FundSource.objects.create(
        number=case_number("ZJ", unit, received_on.year), org_unit=unit, kind=kind, donor=donor,
        received_on=received_on, amount=amount, restriction=sorted(set(restriction)), note=note.strip()[:200],
        created_by=by)
    account = FundAccount.objects.create(org_unit=unit, source=source, keeper=keeper)
    ledger.post_income(account=account, amount=amount, key=key, by=by, voucher=f"funds.source:{source.pk}",
                       memo=f"{source.get_kind_display()} {donor}")
    audit.record(audit.Event.CREATE, user=by, target=source, action="funds.source_record",
                 detail=f"资金到账 {source.number} {amount} 元",
                 new={"amount": str(amount), "kind": kind, "restriction": source.restriction})
    return source


@guarded("funds.allocate", target="account")
def allocation_make(*, by: User, account: FundAccount, to_unit: OrgUnit | None, amount: Any, key: Any,
                    memo: str = "") -> tuple[LedgerEntry, LedgerEntry]:
    """下拨: money of one source from a unit's account to the account of a unit below it (opened
    on first use), out and in as two entries of one transaction."""
    access.require(by, MANAGE, account)
    if to_unit is None or not to_unit.is_within(account.org_unit) or to_unit.pk == account.org_unit_id:
        _fail("只能下拨给本专户所属单位的下级单位。", "to_unit")
    assert to_unit is not None
    target, _ = FundAccount.objects.get_or_create(org_unit=to_unit, source=account.source)
    out, incoming = ledger.allocate(source=account, target=target, amount=amount, key=key, by=by,
                                    memo=memo.strip() or f"下拨{to_unit}")
    audit.record(audit.Event.STATE, user=by, target=account, action="funds.allocate",
                 detail=f"下拨 {out.amount} 元至{to_unit}", new={"out": out.pk, "in": incoming.pk})
    return out, incoming


@guarded("funds.reverse", target="entry")
def entry_reverse(*, by: User, entry: LedgerEntry, key: Any, reason: str) -> LedgerEntry:
    """冲正 an income or a payment made in error (a grant's payment is reversed from the grant)."""
    access.require(by, MANAGE, entry)
    if entry.voucher.startswith("funds.grant:") and entry.kind == LedgerEntry.Kind.DISBURSEMENT:
        _fail("救助发放的分录请在救助页面处理，不在此冲正。")
    reversal = ledger.reverse(entry=entry, key=key, by=by, reason=reason)
    audit.record(audit.Event.STATE, user=by, target=entry.account, action="funds.reverse",
                 detail=f"冲正分录 {entry.pk}", new={"reversal": reversal.pk})
    return reversal


# --- relief grants -------------------------------------------------------------------------------------


def type_rules(relief_type: str, unit: OrgUnit, year: int) -> dict[str, Any]:
    """The parameters in force for a relief type at ``unit``."""
    return {
        "limit": param(f"funds.limit.{relief_type}", unit, year),
        "requires_file": param(f"funds.requires_file.{relief_type}", unit, year),
        "capped": param(f"funds.once_per_year.{relief_type}", unit, year),
        "evidence": relief_type == ReliefType.MEDICAL and param("funds.medical_receipts_required", unit, year),
    }


@dataclass(frozen=True)
class FileFacts:
    pk: int
    label: str
    grade: str
    archived: bool
    in_household: bool


def hardship_file(file_id: int | None, person: Person, by: User) -> FileFacts | None:
    """The hardship file ``file_id`` as the user may see it (None when hardship is not installed or
    the file is out of their scope)."""
    if not file_id or not apps.is_installed("hardship"):
        return None
    model = apps.get_model("hardship", "HardshipFile")
    member = apps.get_model("hardship", "Member")
    f = access.visible(model.objects.all(), by).filter(pk=file_id).first()
    if f is None:
        return None
    in_household = f.applicant_id == person.pk or member.objects.filter(file_id=f.pk, person=person).exists()
    return FileFacts(f.pk, f.number or f"档案{f.pk}", f.grade, f.status == "archived", in_household)


def prior_grants(*, household: str, relief_type: str, period: str, exclude: int | None = None) -> list[Grant]:
    """This household's other live grants of this type in the period, at any unit (the approver
    sees unit, date and amount — no more of another unit's record)."""
    qs = (Grant.objects.filter(household=household, relief_type=relief_type, period=period, status__in=Grant.LIVE)
          .select_related("org_unit").order_by("applied_on", "id"))
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs)


def _cap_message(prior: list[Grant], label: str) -> str:
    first = prior[0]
    return (f"该户本年度已有{label}（{first.org_unit}，{first.applied_on:%Y-%m-%d}，{first.amount} 元，"
            f"{first.get_status_display()}），每户每年限一次，不能重复申请。")


@guarded("funds.grant_apply")
def grant_apply(*, by: User, token: uuid.UUID, org_unit: OrgUnit, person: Person, relief_type: str, amount: Any,
                reason: str, hardship_file_id: int | None = None, evidence: str = "",
                applied_on: datetime.date | None = None) -> Grant:
    """救助申请 for a person (optionally for their household's hardship file). A resubmitted form
    (same ``token``) returns the grant it made."""
    access.require(by, APPLY)
    existing = Grant.objects.filter(token=token).first()
    if existing is not None:
        return existing
    unit = _unit_in_scope(by, org_unit)
    if not access.visible(Person.objects.filter(pk=person.pk), by).exists():
        _fail("请选择本单位可见的人员。", "person")
    if relief_type not in ReliefType.values:
        _fail("请选择救助类型。", "relief_type")
    applied_on = applied_on or _today()
    if applied_on > _today():
        _fail("申请日期不能晚于今天。", "applied_on")
    rules = type_rules(relief_type, unit, applied_on.year)
    label = ReliefType(relief_type).label
    amount = ledger.money(amount)
    reason = _required(reason, "reason", "申请理由")
    if rules["evidence"] and not evidence.strip():
        _fail("医疗救助须注明已核验的医疗费原始票据。", "evidence", "required")
    facts = hardship_file(hardship_file_id, person, by)
    if hardship_file_id and facts is None:
        _fail("找不到该困难职工档案（或不在本单位范围内）。", "hardship_file_id")
    if facts is not None and not facts.in_household:
        _fail(f"{person.name}不是困难职工档案 {facts.label} 的申请人或家庭成员。", "hardship_file_id")
    if facts is not None and not facts.archived:
        _fail(f"困难职工档案 {facts.label} 不在档（未审批建档或已脱困、注销）。", "hardship_file_id")
    if rules["requires_file"] and apps.is_installed("hardship") and facts is None:
        _fail(f"{label}须是在档困难职工：请填写其困难职工档案。", "hardship_file_id", "required")
    limit = holds.limit_for(relief_type, unit, applied_on.year, facts.grade if facts else "")
    if amount > limit.amount:
        _fail(f"{limit.grade_label}{label}每次最多 {limit.amount} 元。", "amount")
    household = f"file:{facts.pk}" if facts else f"person:{person.pk}"
    period = str(applied_on.year)
    prior = prior_grants(household=household, relief_type=relief_type, period=period)
    if rules["capped"] and prior:
        _fail(_cap_message(prior, label), "relief_type", "cap")
    grant = Grant(number=case_number("JZ", unit, applied_on.year), org_unit=unit, person=person,
                  hardship_file_id=facts.pk if facts else None, hardship_file_label=facts.label if facts else "",
                  household=household, relief_type=relief_type, period=period, capped=rules["capped"],
                  amount=amount, reason=reason, evidence=evidence.strip()[:200], token=token, applied_on=applied_on,
                  applied_by=by)
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:
        # Two applications for the same household at once: the partial unique index kept one.
        _fail(_cap_message(prior_grants(household=household, relief_type=relief_type, period=period) or [grant],
                           label), "relief_type", "cap")
    person_link(person=person, org_unit=unit, by=by)
    timeline.record(grant.events, "apply", label="救助申请", by=by, note=reason, to_state=S.APPLIED,
                    new={"amount": str(amount), "relief_type": relief_type, "household": household},
                    audit_event=audit.Event.CREATE, audit_detail=grant.number)
    return grant


@guarded("funds.grant_verify", target="grant")
def grant_verify(*, grant: Grant, by: User, note: str) -> Grant:
    """核实并报批: the verification opinion and the approval request to the leading unit."""
    step = GRANT_FLOW.begin(grant, by, "verify")
    note = _required(note, "note", "核实意见")
    if grant.evidence == "" and type_rules(grant.relief_type, grant.org_unit, int(grant.period))["evidence"]:
        _fail("医疗救助须注明已核验的医疗费原始票据。", "note")
    grant.verified_by, grant.verified_note = by, note
    approvals.approval_request(code=APPROVAL, target=grant, by=by, note=note, data={"amount": str(grant.amount)})
    GRANT_FLOW.advance(grant, by, step, update_fields=["verified_by", "verified_note"], note=note)
    return grant


def payable_accounts(grant: Grant, user: User) -> Any:
    """Accounts the approver may charge: in scope, at the grant's unit or above it, whose source
    allows the type and that have the money available."""
    from django.db.models import F

    paths = grant.org_unit.ancestor_paths()
    return (access.visible(FundAccount.objects.select_related("source", "org_unit"), user)
            .filter(org_unit__path__in=paths, balance_cents__gte=F("held_cents") + cents(grant.amount)).order_by("org_unit__path", "id"))


def paying_account(account: FundAccount | None, *, unit: OrgUnit, relief_type: str, by: User) -> FundAccount:
    """The account an approver chose to pay from, checked: in their scope, at ``unit`` or above it,
    its source allowing the relief type (a refusal at the ``account`` field)."""
    if account is None:
        _fail("请选择支付专户。", "account", "required")
    assert account is not None
    account = FundAccount.objects.select_related("source", "org_unit").get(pk=account.pk)
    if not access.visible(FundAccount.objects.filter(pk=account.pk), by).exists() or \
            account.org_unit.path not in unit.ancestor_paths():
        _fail("请选择本单位或上级单位的资金专户。", "account")
    if not account.source.allows(relief_type):
        _fail(f"该资金来源限定用于{account.source.restriction_display}，不能支付{ReliefType(relief_type).label}。",
              "account")
    return account


def _decide(grant: Grant, by: User, decision: str, note: str) -> approvals.Decision:
    request = next((a for a in approvals.pending(grant, APPROVAL) if approvals.may_decide(by, a)), None)
    if request is None:
        _fail("没有待您审批的救助申请。", code="state")
    assert request is not None
    return approvals.approval_decide(approval=request, by=by, decision=decision, note=note, target=grant)


@guarded("funds.grant_approve", target="grant")
def grant_approve(*, grant: Grant, by: User, account: FundAccount | None, opinion: str = "",
                  confirm_reason: str = "") -> Grant:
    """审批通过: the account that pays (its source must allow the type), and — at the last level —
    the hold on it. Earlier help of the same type this year needs a confirmation with a reason."""
    step = GRANT_FLOW.begin(grant, by, "approve")
    account = paying_account(account, unit=grant.org_unit, relief_type=grant.relief_type, by=by)
    prior = prior_grants(household=grant.household, relief_type=grant.relief_type, period=grant.period,
                         exclude=grant.pk)
    confirm_reason = (confirm_reason or "").strip()
    if prior and grant.capped:
        _fail(_cap_message(prior, grant.get_relief_type_display()), "confirm_reason", "cap")
    if prior and not confirm_reason:
        _fail(f"该户本年度已获{len(prior)}次同类救助，须填写重复救助确认理由。", "confirm_reason", "required")
    decision = _decide(grant, by, approvals.Status.APPROVED, opinion)
    grant.account, grant.prior_confirm_reason = account, confirm_reason
    if not decision.final:
        grant.save(update_fields=["account", "prior_confirm_reason", "updated_at"])
        timeline.record(grant.events, "approve_level", label="审批通过（报上级审批）", by=by, note=opinion,
                        data={"level": decision.approval.level}, new={"account": account.pk},
                        audit_detail=grant.number)
        return grant
    hold = ledger.hold(account=account, amount=grant.amount, key=f"grant:{grant.pk}:hold:{grant.token}", by=by,
                       voucher=f"funds.grant:{grant.pk}", memo=f"{grant.number} 审批冻结")
    grant.budget = _reserve_budget(grant, account.org_unit)
    grant.hold, grant.approved_by, grant.approved_on = hold, by, _today()
    grant.hold_expires_on = holds.expiry_date(grant, grant.approved_on)
    GRANT_FLOW.advance(grant, by, step, update_fields=["account", "prior_confirm_reason", "hold", "approved_by",
                                                       "approved_on", "budget", "hold_expires_on"],
                       note=opinion + (f"（重复救助确认：{confirm_reason}）" if confirm_reason else ""),
                       data={"account": account.pk, "hold": hold.pk}, new={"hold": hold.pk},
                       audit_detail=grant.number)
    return grant


def _reserve_budget(grant: Grant, unit: OrgUnit) -> Budget | None:
    """The paying unit's budget for the type and year, if it has one: the grant's amount reserved
    in it by a conditional UPDATE (the CHECK constraint backs it)."""
    budget = Budget.objects.filter(org_unit=unit, year=int(grant.period), relief_type=grant.relief_type).first()
    if budget is None:
        return None
    c = cents(grant.amount)
    if not Budget.objects.filter(pk=budget.pk, committed_cents__lte=F("amount_cents") - c).update(
            committed_cents=F("committed_cents") + c):
        budget.refresh_from_db()
        _fail(f"超出{budget}：预算 {budget.amount} 元，已占用 {budget.committed} 元，剩余 {budget.left} 元。", "account")
    return budget


def _release(grant: Grant, by: User, why: str) -> None:
    if grant.hold_id and grant.hold is not None:
        ledger.release(hold_entry=grant.hold, key=f"grant:{grant.pk}:release", by=by, memo=f"{grant.number} {why}")
    if grant.budget_id:
        Budget.objects.filter(pk=grant.budget_id).update(committed_cents=F("committed_cents") - cents(grant.amount))


@guarded("funds.budget_set")
def budget_set(*, by: User, org_unit: OrgUnit | None, year: int, relief_type: str, amount: Any) -> Budget:
    """设定年度预算 (or change it): never below what grants have already reserved."""
    access.require(by, MANAGE)
    unit = _unit_in_scope(by, org_unit)
    if relief_type not in ReliefType.values:
        _fail("请选择救助类型。", "relief_type")
    if not 2000 <= int(year) <= 2100:
        _fail("请填写年度，例如 2026。", "year")
    year_close.refuse_if_closed(unit, int(year), "year", "预算")
    c = cents(ledger.money(amount))
    budget, created = Budget.objects.select_for_update().get_or_create(
        org_unit=unit, year=year, relief_type=relief_type, defaults={"amount_cents": c})
    old = budget.amount_cents
    if not created:
        if c < budget.committed_cents:
            _fail(f"预算不能低于已占用的 {budget.committed} 元。", "amount")
        budget.amount_cents = c
        budget.save(update_fields=["amount_cents", "updated_at"])
    audit.record(audit.Event.STATE, user=by, target=budget, action="funds.budget_set", detail=str(budget),
                 old={"amount_cents": None if created else old}, new={"amount_cents": c})
    return budget


@guarded("funds.grant_reject", target="grant")
def grant_reject(*, grant: Grant, by: User, reason: str) -> Grant:
    step = GRANT_FLOW.begin(grant, by, "reject")
    reason = _required(reason, "reason", "不予批准理由")
    _decide(grant, by, approvals.Status.REJECTED, reason)
    grant.closed_reason = reason
    GRANT_FLOW.advance(grant, by, step, update_fields=["closed_reason"], note=reason)
    return grant


@guarded("funds.grant_cancel", target="grant")
def grant_cancel(*, grant: Grant, by: User, reason: str) -> Grant:
    """撤销 before approval (the applicant withdrew, the facts changed); a pending request is closed."""
    step = GRANT_FLOW.begin(grant, by, "cancel")
    reason = _required(reason, "reason", "撤销理由")
    for request in approvals.pending(grant, APPROVAL):
        request.status, request.decision_note = approvals.Status.WITHDRAWN, f"申请已撤销：{reason}"
        request.decided_by, request.decided_at = by, timezone.now()
        request.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    grant.closed_reason = reason
    GRANT_FLOW.advance(grant, by, step, update_fields=["closed_reason"], note=reason)
    return grant


@guarded("funds.grant_revoke", target="grant")
def grant_revoke(*, grant: Grant, by: User, reason: str) -> Grant:
    """撤销审批 of an approved grant not yet paid: the hold is released."""
    step = GRANT_FLOW.begin(grant, by, "revoke")
    reason = _required(reason, "reason", "撤销理由")
    _release(grant, by, "撤销审批解冻")
    grant.closed_reason = reason
    GRANT_FLOW.advance(grant, by, step, update_fields=["closed_reason"], note=reason)
    return grant


@guarded("funds.grant_pay", target="grant")
def grant_pay(*, grant: Grant, by: User, key: Any, method: str, paid_on: datetime.date | None = None,
              by_proxy: bool = False, proxy_name: str = "", proxy_relation: str = "",
              proxy_id_number: str = "") -> Grant:
    """发放 by the cashier: pays the grant's hold. The same ``key`` submitted twice pays once (the
    second call returns the paid grant)."""
    access.require(by, PAY, grant)
    key = str(key or "").strip()
    # Lock the grant alone (PostgreSQL refuses FOR UPDATE on the nullable side of a join).
    locked = Grant.objects.select_for_update().only("status", "paid_entry_id").get(pk=grant.pk)
    if locked.status == S.PAID and locked.paid_entry_id is not None and LedgerEntry.objects.filter(
            pk=locked.paid_entry_id, key=f"grant-pay:{key}").exists():
        grant.refresh_from_db()
        return grant
    step = GRANT_FLOW.begin(grant, by, "pay")
    if method not in Grant.Method.values:
        _fail("请选择发放方式。", "method", "required")
    paid_on = paid_on or _today()
    if paid_on > _today():
        _fail("发放日期不能晚于今天。", "paid_on")
    assert grant.account is not None
    for unit in (grant.org_unit, grant.account.org_unit):
        year_close.refuse_if_closed(unit, paid_on, "paid_on", "救助发放")
    masked = ""
    if by_proxy:
        proxy_name = _required(proxy_name, "proxy_name", "代领人姓名")
        proxy_relation = _required(proxy_relation, "proxy_relation", "代领人与救助对象关系")
        number = normalise_resident_id(proxy_id_number or "")
        if not number:
            _fail("请填写代领人身份证号。", "proxy_id_number", "required")
        try:
            validate_resident_id(number)
        except ValidationError as exc:
            raise ValidationError({"proxy_id_number": exc.messages}) from None
        masked = mask_resident_id(number)
    assert grant.account is not None and grant.hold is not None
    entry = ledger.disburse(account=grant.account, amount=grant.amount, key=f"grant-pay:{key}", by=by,
                            hold_entry=grant.hold, voucher=f"funds.grant:{grant.pk}",
                            memo=f"{grant.number} {grant.person.name} {grant.get_relief_type_display()}")
    grant.paid_entry, grant.paid_by, grant.paid_on, grant.method = entry, by, paid_on, method
    grant.received_by_proxy = by_proxy
    grant.proxy_name, grant.proxy_relation, grant.proxy_id_masked = (
        (proxy_name.strip(), proxy_relation.strip(), masked) if by_proxy else ("", "", ""))
    GRANT_FLOW.advance(grant, by, step, update_fields=[
        "paid_entry", "paid_by", "paid_on", "method", "received_by_proxy", "proxy_name", "proxy_relation",
        "proxy_id_masked"], note=f"{grant.get_method_display()}发放 {grant.amount} 元"
        + (f"，代领：{grant.proxy_name}（{grant.proxy_relation}）" if by_proxy else "，本人领取"),
        data={"entry": entry.pk}, new={"paid_entry": entry.pk}, audit_detail=grant.number)
    return grant

