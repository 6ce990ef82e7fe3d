"""批量救助 (batch grants, issue 12 item 4): the workflow table and the services.

A batch is chosen by a filter over the archived hardship files in scope (a unit and everything
below it, a grade: e.g. every 特困 file of a district for 送温暖 or 定期批量救助), for one relief
type and one amount per household. Each household becomes one ordinary ``Grant`` (``Grant.batch``)
so the grant register, the person page, ``services.prior_grants`` and the household cap (the
partial UNIQUE index on Grant) see batch payments with no code of their own.

Steps (``BATCH_FLOW``; ``tests/funds/test_batches.py`` is generated from it too):
制单 built (the grants 待审批, an approval request to the leading unit) → 审批 approved (one account
for the whole batch, every grant 待发放 with its hold, the total reserved in the budget) → each
line paid (cash, bank, goods, card), or sent to the bank (报盘) and settled from the bank's result
(回盘): 成功 paid, 失败 released, re-issued by the approver, sent again → 结束 (whatever was not
paid is released and its grant cancelled). Maker-checker: whoever built the batch does not
approve it; whoever built or approved it does not pay it.

The ledger. Approving the batch places **one hold per line, all in one transaction**, not one
hold for the whole batch that each payment would settle a part of. Why:

- "a hold is settled once" stays a database rule: ``LedgerEntry.settles`` is UNIQUE, so a line
  can be paid (or released) once whatever runs at once — two cashiers, a cash payment racing a
  bank result, the same result file imported twice. A shared batch hold settled piece by piece
  would need ``sum(parts) <= hold`` — a rule across rows that no CHECK or UNIQUE can state, only
  Python with a lock;
- "holds <= balance" and "ledger sum = balance" hold as before: every hold is the same
  conditional UPDATE as a single grant's (and the CHECK constraints back it); the batch's total is
  checked first only to give one clear message; if any hold fails, the transaction rolls back
  and nothing is held — the batch is approved whole or not at all;
- a line that the bank returns is released alone, and re-issued with a new hold of its own.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Sum
from django.utils import timezone

from servicecenter import access, approvals, audit
from servicecenter.models import OrgUnit
from servicecenter.numbering import case_number
from servicecenter.workflow import Guard, Workflow, step

from . import holds, ledger, services
from .ledger import guarded
from .models import (
    BankTransfer,
    Batch,
    BatchLine,
    Budget,
    FundAccount,
    Grant,
    GrantEvent,
    LedgerEntry,
    ReliefType,
    cents,
    yuan,
)
from .services import _cap_message, type_rules
from .workflow import APPLY, APPROVE, PAY

if TYPE_CHECKING:
    from servicecenter.models import User

S = Batch.Status
L = BatchLine.State
GS = Grant.Status
T = BankTransfer.Result
APPROVAL = "funds.batch"  # the approval kind (servicecenter.approvals)
MAX_LINES = 2000  # one batch at most (a district's 特困 files fit many times over)
GRADES = {"hardship": "困难职工", "extreme": "特困职工"}


def offered() -> bool:
    """Batches are chosen from archived hardship files: without the hardship app there are none."""
    return apps.is_installed("hardship")


# --- the workflow table ------------------------------------------------------------------------------


def makers(b: Batch) -> set[int]:
    return {b.built_by_id} if b.built_by_id else set()


def approvers(b: Batch) -> set[int]:
    ids = set(approvals.history(b).filter(status=approvals.Status.APPROVED).values_list("decided_by_id", flat=True))
    if b.approved_by_id:
        ids.add(b.approved_by_id)
    return {i for i in ids if i}


PENDING = Guard(lambda b, u: any(approvals.may_decide(u, a) for a in approvals.pending(b, APPROVAL)),
                "没有待您审批的批量救助。")
NOT_A_MAKER = Guard(lambda b, u: u.pk not in makers(b),
                    "不能审批本人制单的批量救助（审批人须与制单人不同）。")
NOT_INVOLVED = Guard(lambda b, u: u.pk not in makers(b) | approvers(b),
                     "不能发放本人制单或审批的批量救助（发放人须与制单人、审批人不同）。")
LEADS = Guard(lambda b, u: access.leads(u, b.org_unit, APPROVE), lambda b, u: f"由领导{b.org_unit}的审批人办理。")

BATCH_FLOW = Workflow(Batch, S, [
    step("approve", "审批通过", [S.BUILT], S.APPROVED, permission=APPROVE, guards=(PENDING, NOT_A_MAKER),
         refusals={S.APPROVED: "该批量救助已审批通过。"}),
    step("reject", "不予批准", [S.BUILT], S.REJECTED, permission=APPROVE, guards=(PENDING, NOT_A_MAKER)),
    step("bank_details", "填写银行账户", [S.BUILT], permission=APPLY,
         refusals={S.APPROVED: "批次已审批，银行账户不能再改（银行退回的户由审批人重新发放时更正）。"}),
    step("pay", "发放", [S.APPROVED], permission=PAY, guards=[NOT_INVOLVED],
         refusals={S.BUILT: "批量救助尚未审批，不能发放。", S.REJECTED: "该批量救助未获批准，不能发放。",
                   S.CLOSED: "该批量救助已结束发放。"}),
    step("bank", "银行报盘与回盘", [S.APPROVED], permission=PAY, guards=[NOT_INVOLVED],
         refusals={S.BUILT: "批量救助尚未审批，不能报盘。", S.REJECTED: "该批量救助未获批准，不能报盘。",
                   S.CLOSED: "该批量救助已结束发放。"}),
    step("reissue", "重新发放", [S.APPROVED], permission=APPROVE, guards=[LEADS, NOT_A_MAKER]),
    step("close", "结束发放", [S.APPROVED], S.CLOSED, permission=APPROVE, guards=[LEADS]),
])


# --- choosing the list ----------------------------------------------------------------------------------


def _fail(message: str, field_name: str | None = None, code: str = "invalid") -> None:
    raise ValidationError({field_name: message} if field_name else message, code=code)


def _today() -> datetime.date:
    return timezone.localdate()


@dataclass
class Candidate:
    file_id: int
    file_label: str
    grade: str
    unit: str
    person: Any
    household: str
    prior: list[dict[str, str]] = field(default_factory=list)  # this year's live grants (any type)
    excluded: str = ""  # why the household is left out (the cap)
    flagged: bool = False  # already helped with this (uncapped) type this year

    @property
    def grade_display(self) -> str:
        return GRADES.get(self.grade, self.grade or "—")


@dataclass
class Preview:
    relief_type: str
    amount: Decimal
    period: str
    included: list[Candidate]
    excluded: list[Candidate]

    @property
    def total(self) -> Decimal:
        return self.amount * len(self.included)

    @property
    def flagged(self) -> int:
        return sum(1 for c in self.included if c.flagged)


def _prior(g: Grant) -> dict[str, str]:
    return {"type": g.relief_type, "type_display": g.get_relief_type_display(), "unit": str(g.org_unit),
            "date": f"{g.applied_on:%Y-%m-%d}", "amount": str(g.amount), "status": g.get_status_display()}


def batch_preview(*, by: User, org_unit: OrgUnit | None, grade: str, relief_type: str, amount: Any,
                  year: int | None = None) -> Preview:
    """The list a filter gives, as the builder reviews it: each archived file in scope below
    ``org_unit`` (of ``grade``, or both grades), the household's help this year, and the files
    left out with the reason (a capped type the household already has this year)."""
    access.require(by, APPLY)
    if not offered():
        _fail("未启用困难职工档案，不能发起批量救助。")
    if org_unit is None or not access.scope_units(by).filter(pk=org_unit.pk).exists():
        _fail("请从列表中选择本单位或下级单位。", "org_unit")
    assert org_unit is not None
    if relief_type not in ReliefType.values:
        _fail("请选择救助类型。", "relief_type")
    if grade and grade not in GRADES:
        _fail("请选择困难类别。", "grade")
    year = year or _today().year
    rules = type_rules(relief_type, org_unit, year)
    amount = ledger.money(amount)
    model = apps.get_model("hardship", "HardshipFile")
    files = access.visible(model.objects.select_related("applicant", "org_unit"), by).filter(
        status="archived", org_unit__path__startswith=org_unit.path)
    if grade:
        files = files.filter(grade=grade)
    rows = list(files.order_by("org_unit__path", "number", "id")[:MAX_LINES + 1])
    if len(rows) > MAX_LINES:
        _fail(f"符合条件的档案超过 {MAX_LINES} 户，请缩小范围（按下级单位分批）。", "org_unit")
    # The limit per hardship grade where one is set (funds.limit.<type>.<grade>), else the type's: one
    # amount for every household, so it must be within the limit of every grade on the list.
    for file_grade in sorted({f.grade for f in rows} or {grade}):
        limit = holds.limit_for(relief_type, org_unit, year, file_grade)
        if amount > limit.amount:
            if not limit.grade_label:
                _fail(f"{ReliefType(relief_type).label}每户最多 {limit.amount} 元。", "amount")
            n = sum(1 for f in rows if f.grade == file_grade)
            _fail(f"{limit.grade_label}{ReliefType(relief_type).label}每次最多 {limit.amount} 元：名单中有 {n} 户"
                  f"{limit.grade_label}，请降低金额或按困难类别分批。", "amount")
    households = [f"file:{f.pk}" for f in rows]
    helped: dict[str, list[Grant]] = {}
    for g in (Grant.objects.filter(household__in=households, period=str(year), status__in=Grant.LIVE)
              .select_related("org_unit").order_by("applied_on", "id")):
        helped.setdefault(g.household, []).append(g)
    label = ReliefType(relief_type).label
    included, excluded = [], []
    for f in rows:
        household = f"file:{f.pk}"
        prior = helped.get(household, [])
        same = [g for g in prior if g.relief_type == relief_type]
        c = Candidate(f.pk, f.number or f"档案{f.pk}", f.grade, str(f.org_unit), f.applicant, household,
                      [_prior(g) for g in prior])
        if same and (rules["capped"] or any(g.capped for g in same)):
            c.excluded = _cap_message(same, label)
            excluded.append(c)
            continue
        c.flagged = bool(same)
        included.append(c)
    return Preview(relief_type, amount, str(year), included, excluded)


@guarded("funds.batch_create")
def batch_create(*, by: User, token: uuid.UUID, org_unit: OrgUnit | None, title: str, relief_type: str,
                 grade: str, amount: Any) -> Batch:
    """制单: the batch, one grant per household of the previewed list (待审批) and the approval
    request to the leading unit. A resubmitted form (same ``token``) returns the batch it made."""
    access.require(by, APPLY)
    existing = Batch.objects.filter(token=token).first()
    if existing is not None:
        return existing
    title = (title or "").strip()
    if not title:
        _fail("请填写批次名称，例如“2026年春节送温暖”。", "title", "required")
    preview = batch_preview(by=by, org_unit=org_unit, grade=grade, relief_type=relief_type, amount=amount)
    assert org_unit is not None
    if not preview.included:
        _fail("没有符合条件的在档困难职工（或都已获该类救助），未生成批次。", "org_unit")
    today = _today()
    rules = type_rules(relief_type, org_unit, today.year)
    batch = Batch.objects.create(
        number=case_number("PL", org_unit, today.year), org_unit=org_unit, title=title[:100], relief_type=relief_type,
        period=preview.period, amount=preview.amount, households=len(preview.included), token=token, built_by=by, built_on=today,
        criteria={"org_unit": org_unit.pk, "org_unit_name": str(org_unit), "grade": grade,
                  "grade_display": GRADES.get(grade, "全部")},
        excluded=[{"name": c.person.name, "file": c.file_label, "reason": c.excluded} for c in preview.excluded])
    grants = [Grant(number=case_number("JZ", org_unit, today.year), org_unit=org_unit, person=c.person,
                    hardship_file_id=c.file_id, hardship_file_label=c.file_label, household=c.household,
                    relief_type=relief_type, period=preview.period, capped=rules["capped"], amount=preview.amount,
                    reason=f"{title}（批量救助 {batch.number}）", status=GS.VERIFIED, token=uuid.uuid4(),
                    applied_on=today, applied_by=by, verified_by=by, verified_note="批量救助名单审核", batch=batch)
              for c in preview.included]
    try:
        with transaction.atomic():
            grants = Grant.objects.bulk_create(grants)
    except IntegrityError:
        # A single application for one of these households was registered meanwhile (the cap's index).
        _fail("名单中有家庭刚刚登记了同类救助，请重新预览名单后再生成。", "org_unit", "cap")
    BatchLine.objects.bulk_create([
        BatchLine(batch=batch, grant=g, seq=i, account_name=c.person.name[:50],
                  prior=c.prior + ([{"flag": "同类"}] if c.flagged else []))
        for i, (g, c) in enumerate(zip(grants, preview.included, strict=True), start=1)])
    GrantEvent.objects.bulk_create([GrantEvent(grant=g, kind="batch", label="列入批量救助", by=by,
                                               note=batch.number, to_state=GS.VERIFIED) for g in grants])
    total = preview.total
    approvals.approval_request(code=APPROVAL, target=batch, by=by,
                               note=f"{title}：{len(grants)} 户，每户 {preview.amount} 元，合计 {total} 元",
                               data={"amount": str(preview.amount), "total": str(total), "households": len(grants)})
    from servicecenter import timeline

    timeline.record(batch.events, "build", label="制单", by=by, to_state=S.BUILT,
                    note=f"{len(grants)} 户，合计 {total} 元；未列入 {len(preview.excluded)} 户",
                    new={"households": len(grants), "total": str(total), "relief_type": relief_type},
                    audit_event=audit.Event.CREATE, audit_detail=batch.number)
    return batch


def totals(batch: Batch) -> dict[str, Any]:
    """Households and money of the batch by line state, in one query."""
    rows = batch.lines.order_by().values("state").annotate(n=Count("id"), c=Sum("grant__amount"))
    by_state = {r["state"]: (r["n"] or 0, r["c"] or Decimal(0)) for r in rows}
    n = sum(v[0] for v in by_state.values())
    labels = dict(L.choices)
    return {"households": n, "total": batch.amount * n,
            "states": [(labels[s], *by_state[s]) for s in L.values if s in by_state],
            "paid": by_state.get(L.PAID, (0, Decimal(0)))[1]}


# --- approval ------------------------------------------------------------------------------------------------


def payable_accounts(batch: Batch, user: User, total: Decimal | None = None) -> Any:
    """Accounts the approver may charge: in scope, at the batch's unit or above, with the batch's
    total available (the source's restriction is checked at approval, with its message)."""
    total = total if total is not None else batch.amount * batch.lines.count()
    return (access.visible(FundAccount.objects.select_related("source", "org_unit"), user)
            .filter(org_unit__path__in=batch.org_unit.ancestor_paths(),
                    balance_cents__gte=F("held_cents") + cents(total)).order_by("org_unit__path", "id"))


def _lines(batch: Batch, *states: str) -> list[BatchLine]:
    qs = batch.lines.select_related("grant", "grant__person").order_by("seq")
    return list(qs.filter(state__in=states) if states else qs)


def _grant_events(lines: list[BatchLine], by: User, kind: str, label: str, note: str, to_state: str = "") -> None:
    GrantEvent.objects.bulk_create([GrantEvent(grant=line.grant, kind=kind, label=label, by=by, note=note,
                                               to_state=to_state) for line in lines])


@guarded("funds.batch_approve", target="batch")
def batch_approve(*, batch: Batch, by: User, account: FundAccount | None, opinion: str = "",
                  confirm_reason: str = "") -> Batch:
    """审批通过: the account that pays the whole batch (its source must allow the type) and — at
    the last level — every line's hold, in one transaction, and the total reserved in the paying
    unit's budget. Households already helped with this type this year need a confirmation."""
    step_ = BATCH_FLOW.begin(batch, by, "approve")
    account = services.paying_account(account, unit=batch.org_unit, relief_type=batch.relief_type, by=by)
    lines = _lines(batch, L.PENDING)
    flagged = sum(1 for line in lines if any(p.get("flag") for p in line.prior))
    confirm_reason = (confirm_reason or "").strip()
    if flagged and not confirm_reason:
        _fail(f"名单中 {flagged} 户本年度已获同类救助，须填写重复救助确认理由。", "confirm_reason", "required")
    request = next((a for a in approvals.pending(batch, APPROVAL) if approvals.may_decide(by, a)), None)
    assert request is not None  # the PENDING guard
    decision = approvals.approval_decide(approval=request, by=by, decision=approvals.Status.APPROVED, note=opinion,
                                         target=batch)
    batch.account, batch.prior_confirm_reason = account, confirm_reason
    if not decision.final:
        batch.save(update_fields=["account", "prior_confirm_reason", "updated_at"])
        from servicecenter import timeline

        timeline.record(batch.events, "approve_level", label="审批通过（报上级审批）", by=by, note=opinion,
                        data={"level": decision.approval.level}, new={"account": account.pk},
                        audit_detail=batch.number)
        return batch
    lines, dropped = _still_archived(lines)
    if not lines:
        _fail("名单中的档案都已不在档（已脱困或注销），没有可审批的户。")
    total = sum((line.grant.amount for line in lines), Decimal(0))
    if not FundAccount.objects.filter(pk=account.pk, balance_cents__gte=F("held_cents") + cents(total)).exists():
        _fail(f"可用余额不足：{account}可用 {account.available} 元，本批次合计 {total} 元，未审批。", "account")
    budget = _reserve(batch, account.org_unit, total)
    today = _today()
    for line in lines:
        g = line.grant
        g.hold = ledger.hold(account=account, amount=g.amount, key=f"grant:{g.pk}:hold:{g.token}", by=by,
                             voucher=f"funds.grant:{g.pk}", memo=f"{batch.number} {g.number} 批量审批冻结")
        g.account, g.budget, g.approved_by, g.approved_on, g.status = account, budget, by, today, GS.APPROVED
        g.prior_confirm_reason = confirm_reason if any(p.get("flag") for p in line.prior) else ""
    Grant.objects.bulk_update([line.grant for line in lines], ["hold", "account", "budget", "approved_by",
                                                               "approved_on", "status", "prior_confirm_reason"])
    BatchLine.objects.filter(pk__in=[line.pk for line in lines]).update(state=L.READY)
    _grant_events(lines, by, "approve", "审批通过（批量）", batch.number, GS.APPROVED)
    if dropped:
        why = "审批时该户困难职工档案已不在档（已脱困或注销），未列入发放"
        Grant.objects.filter(pk__in=[line.grant_id for line in dropped]).update(status=GS.CANCELLED, closed_reason=why)
        BatchLine.objects.filter(pk__in=[line.pk for line in dropped]).update(state=L.CLOSED)
        _grant_events(dropped, by, "cancel", "档案不在档，未发放", why, GS.CANCELLED)
        opinion = f"{opinion}（{len(dropped)} 户档案已不在档，未发放：{'、'.join(x.grant.person.name for x in dropped)}）"
    batch.approved_by, batch.approved_on = by, today
    BATCH_FLOW.advance(batch, by, step_, update_fields=["account", "prior_confirm_reason", "approved_by",
                                                        "approved_on"],
                       note=opinion + (f"（重复救助确认：{confirm_reason}）" if confirm_reason else ""),
                       data={"account": account.pk, "total": str(total)},
                       new={"account": account.pk, "total": str(total), "holds": len(lines)}, audit_detail=batch.number)
    return batch


def _still_archived(lines: list[BatchLine]) -> tuple[list[BatchLine], list[BatchLine]]:
    """The lines whose hardship file is still archived (在档), and the others (exited or closed
    since the list was made): every household paid must be an archived file."""
    if not offered():
        return lines, []
    model = apps.get_model("hardship", "HardshipFile")
    archived = set(model.objects.filter(pk__in=[line.grant.hardship_file_id for line in lines], status="archived")
                   .values_list("pk", flat=True))
    return ([line for line in lines if line.grant.hardship_file_id in archived],
            [line for line in lines if line.grant.hardship_file_id not in archived])


def _reserve(batch: Batch, unit: OrgUnit, amount: Decimal, field_name: str = "account") -> Budget | None:
    """``amount`` reserved in the paying unit's budget for the type and year (a conditional
    UPDATE, the CHECK behind it), if the unit has a budget row."""
    budget = Budget.objects.filter(org_unit=unit, year=int(batch.period), relief_type=batch.relief_type).first()
    if budget is None:
        return None
    c = cents(amount)
    if not Budget.objects.filter(pk=budget.pk, committed_cents__lte=F("amount_cents") - c).update(
            committed_cents=F("committed_cents") + c):
        budget.refresh_from_db()
        _fail(f"超出{budget}：预算 {budget.amount} 元，已占用 {budget.committed} 元，剩余 {budget.left} 元，"
              f"需要 {amount} 元。", field_name)
    return budget


def _unreserve(grant: Grant) -> None:
    if grant.budget_id:
        Budget.objects.filter(pk=grant.budget_id).update(committed_cents=F("committed_cents") - cents(grant.amount))


@guarded("funds.batch_reject", target="batch")
def batch_reject(*, batch: Batch, by: User, reason: str) -> Batch:
    step_ = BATCH_FLOW.begin(batch, by, "reject")
    reason = (reason or "").strip()
    if not reason:
        _fail("请填写不予批准理由。", "reason", "required")
    request = next((a for a in approvals.pending(batch, APPROVAL) if approvals.may_decide(by, a)), None)
    assert request is not None  # the PENDING guard
    approvals.approval_decide(approval=request, by=by, decision=approvals.Status.REJECTED, note=reason, target=batch)
    lines = _lines(batch, L.PENDING)
    Grant.objects.filter(batch=batch, status=GS.VERIFIED).update(status=GS.REJECTED, closed_reason=reason,
                                                                 updated_at=timezone.now())
    batch.lines.filter(state=L.PENDING).update(state=L.CLOSED)
    _grant_events(lines, by, "reject", "不予批准（批量）", reason, GS.REJECTED)
    batch.closed_reason = reason
    BATCH_FLOW.advance(batch, by, step_, update_fields=["closed_reason"], note=reason, audit_detail=batch.number)
    return batch


# --- the lines -------------------------------------------------------------------------------------------------


def _line(batch: Batch, line: BatchLine | int | None, field_name: str = "line") -> BatchLine:
    """The line of this batch, locked (two cashiers on one line queue up; the second sees it paid)."""
    pk = line.pk if isinstance(line, BatchLine) else line
    found = BatchLine.objects.select_for_update().filter(batch=batch, pk=pk).first() if pk else None
    if found is None:
        _fail("请选择本批次名单中的一户。", field_name)
    assert found is not None
    return BatchLine.objects.select_related("grant", "grant__person", "grant__hold", "grant__account").get(pk=found.pk)


def _clean_account(account_name: str, bank_name: str, account_number: str) -> tuple[str, str, str]:
    name, bank = (account_name or "").strip(), (bank_name or "").strip()
    number = "".join((account_number or "").split())
    if not name:
        _fail("请填写户名。", "account_name", "required")
    if not bank:
        _fail("请填写开户银行。", "bank_name", "required")
    if not number.isdigit() or not 8 <= len(number) <= 32:
        _fail("银行账号须为 8 至 32 位数字。", "account_number")
    return name[:50], bank[:60], number


@guarded("funds.batch_bank_details", target="batch")
def batch_set_bank_account(*, batch: Batch, by: User, line: BatchLine | int | None, account_name: str,
                           bank_name: str, account_number: str) -> BatchLine:
    """银行账户 of one household, before approval (the approver sees what will be paid where)."""
    step_ = BATCH_FLOW.begin(batch, by, "bank_details")
    row = _line(batch, line)
    name, bank, number = _clean_account(account_name, bank_name, account_number)
    row.account_name, row.bank_name, row.account_number = name, bank, number
    row.save(update_fields=["account_name", "bank_name", "account_number"])
    BATCH_FLOW.advance(batch, by, step_, note=f"第{row.seq}户（{row.grant.person.name}）银行账户",
                       new={"line": row.seq, "account": number[-4:]}, audit_detail=batch.number)
    return row


def _settle_paid(line: BatchLine, by: User, *, key: str, method: str, paid_on: datetime.date) -> LedgerEntry:
    """Pay the line's hold (the same ledger disbursement as a single grant) and mark it paid."""
    g = line.grant
    assert g.account is not None and g.hold is not None
    entry = ledger.disburse(account=g.account, amount=g.amount, key=key, by=by, hold_entry=g.hold,
                            voucher=f"funds.grant:{g.pk}",
                            memo=f"{g.number} {g.person.name} {g.get_relief_type_display()}（批量）")
    g.paid_entry, g.paid_by, g.paid_on, g.method, g.status = entry, by, paid_on, method, GS.PAID
    g.save(update_fields=["paid_entry", "paid_by", "paid_on", "method", "status", "updated_at"])
    GrantEvent.objects.create(grant=g, kind="pay", label="发放（批量）", by=by, from_state=GS.APPROVED,
                              to_state=GS.PAID, note=f"{g.get_method_display()}发放 {g.amount} 元",
                              data={"entry": entry.pk})
    line.state = L.PAID
    line.save(update_fields=["state"])
    return entry


@guarded("funds.batch_pay", target="batch")
def batch_pay_line(*, batch: Batch, by: User, line: BatchLine | int | None, key: Any, method: str,
                   paid_on: datetime.date | None = None) -> BatchLine:
    """发放 one household of an approved batch (cash, bank transfer, goods or card). The same
    ``key`` twice pays once; a line sent to the bank waits for the bank's result."""
    step_ = BATCH_FLOW.begin(batch, by, "pay")
    key = str(key or "").strip()
    if not key:
        _fail("缺少表单标识，请刷新页面后重试。")
    row = _line(batch, line)
    if row.state == L.PAID and row.grant.paid_entry_id and LedgerEntry.objects.filter(
            pk=row.grant.paid_entry_id, key=f"batch-pay:{key}").exists():
        return row
    refusals: dict[str, str] = {L.PAID: "该户已发放，不能重复发放。", L.SENT: "该户已报银行，等待银行回盘，不能另行发放。",
                L.FAILED: "该户银行发放失败，须由审批人重新发放后再发。", L.CLOSED: "该户未发放且批次已结束。",
                L.PENDING: "批次尚未审批，不能发放。"}
    if row.state in refusals:
        _fail(refusals[row.state], "line", "state")
    if method not in Grant.Method.values:
        _fail("请选择发放方式。", "method", "required")
    paid_on = paid_on or _today()
    if paid_on > _today():
        _fail("发放日期不能晚于今天。", "paid_on")
    g = row.grant
    entry = _settle_paid(row, by, key=f"batch-pay:{key}", method=method, paid_on=paid_on)
    BATCH_FLOW.advance(batch, by, step_, note=f"第{row.seq}户 {g.person.name}：{g.get_method_display()}发放 {g.amount} 元",
                       data={"line": row.seq, "entry": entry.pk}, new={"line": row.seq, "paid_entry": entry.pk},
                       audit_detail=batch.number)
    return row


# --- the bank round trip ---------------------------------------------------------------------------------


@guarded("funds.batch_bank_export", target="batch")
def batch_bank_export(*, batch: Batch, by: User) -> int:
    """报盘: every line that waits for payment and has its bank account goes into a new bank list
    (a round), each as one ``BankTransfer`` with its own reference; the lines wait for the bank's
    result. Lines paid, already sent, or returned (until re-issued) are never in it."""
    step_ = BATCH_FLOW.begin(batch, by, "bank")
    ready = [line for line in _lines(batch, L.READY) if line.account_number]
    if not ready:
        _fail("没有可报盘的户：须为待发放且已填写银行账号（已发放、已报银行、银行退回未重新发放的户不再报盘）。")
    round_no = (batch.transfers.aggregate(m=Max("round"))["m"] or 0) + 1
    BankTransfer.objects.bulk_create([BankTransfer(
        line=line, batch=batch, round=round_no, reference=f"{batch.number}-{line.seq:04d}-{round_no:02d}",
        amount_cents=cents(line.grant.amount), account_name=line.account_name, bank_name=line.bank_name,
        account_number=line.account_number, sent_by=by) for line in ready])
    BatchLine.objects.filter(pk__in=[line.pk for line in ready]).update(state=L.SENT)
    total = sum((line.grant.amount for line in ready), Decimal(0))
    BATCH_FLOW.advance(batch, by, step_, note=f"第{round_no}次报盘：{len(ready)} 户，合计 {total} 元",
                       data={"round": round_no}, new={"round": round_no, "lines": len(ready), "total": str(total)},
                       audit_detail=batch.number)
    return round_no


@dataclass(frozen=True)
class ResultRow:
    row: int  # the row number in the sheet (for the error report)
    reference: str
    amount: Decimal
    success: bool
    reason: str


@dataclass
class ImportReport:
    paid: int = 0
    failed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.paid + self.failed

    def __str__(self) -> str:
        return f"回盘导入：成功 {self.paid} 户已发放，失败 {self.failed} 户已解冻，{self.unchanged} 户此前已导入（未变）。"


@guarded("funds.batch_bank_import", target="batch")
def batch_bank_import(*, batch: Batch, by: User, rows: list[ResultRow]) -> ImportReport:
    """回盘: the bank's result, matched on the reference. Every row is checked first (known
    reference of this batch, the amount sent, a result that does not contradict one already
    imported); one error and nothing changes. Then 成功 pays the line's hold (posted once:
    re-importing the same file finds it settled and changes nothing), 失败 releases it (the
    approver may re-issue the line; a paid line is never sent again)."""
    step_ = BATCH_FLOW.begin(batch, by, "bank")
    if not rows:
        _fail("回盘文件中没有数据行。", "file")
    transfers = {t.reference: t for t in BankTransfer.objects.select_for_update().filter(
        batch=batch, reference__in=[r.reference for r in rows])}
    errors, seen = [], set()
    for r in rows:
        t = transfers.get(r.reference)
        if r.reference in seen:
            errors.append(f"第{r.row}行：业务参考号 {r.reference} 重复出现。")
        elif t is None:
            errors.append(f"第{r.row}行：业务参考号 {r.reference} 不是本批次的报盘记录。")
        elif cents(r.amount) != t.amount_cents:
            errors.append(f"第{r.row}行：金额 {r.amount} 元与报盘金额 {t.amount} 元不一致。")
        elif t.result != T.SENT and (t.result == T.SUCCESS) != r.success:
            errors.append(f"第{r.row}行：{r.reference} 已导入为“{t.get_result_display()}”，与本文件不一致。")
        seen.add(r.reference)
    if errors:
        raise ValidationError({"file": errors}, code="invalid")
    report, today = ImportReport(), _today()
    for r in rows:
        t = transfers[r.reference]
        if t.result != T.SENT:
            report.unchanged += 1
            continue
        line = BatchLine.objects.select_related("grant", "grant__person", "grant__hold", "grant__account").get(
            pk=t.line_id)
        t.result_by, t.result_at = by, timezone.now()
        if r.success:
            _settle_paid(line, by, key=f"bank:{t.reference}", method=Grant.Method.BANK, paid_on=today)
            t.result = T.SUCCESS
            report.paid += 1
        else:
            g = line.grant
            assert g.hold is not None
            ledger.release(hold_entry=g.hold, key=f"bank-fail:{t.reference}", by=by,
                           memo=f"{g.number} 银行发放失败解冻：{r.reason}"[:200])
            _unreserve(g)
            GrantEvent.objects.create(grant=g, kind="bank_failed", label="银行发放失败（已解冻）", by=by,
                                      note=r.reason or "银行未注明原因")
            t.result, t.reason = T.FAILED, (r.reason or "银行未注明原因")[:200]
            line.state, line.failures = L.FAILED, line.failures + 1
            line.save(update_fields=["state", "failures"])
            report.failed += 1
        t.save(update_fields=["result", "reason", "result_by", "result_at"])
    if report.changed:
        BATCH_FLOW.advance(batch, by, step_, note=str(report), data={"paid": report.paid, "failed": report.failed},
                           new={"paid": report.paid, "failed": report.failed}, audit_detail=batch.number)
    return report


@guarded("funds.batch_reissue", target="batch")
def batch_reissue(*, batch: Batch, by: User, line: BatchLine | int | None, account_name: str = "",
                  bank_name: str = "", account_number: str = "", note: str = "") -> BatchLine:
    """重新发放 a line the bank returned: a new hold for it on the batch's account (and its share
    of the budget again), the bank account corrected if need be; the next bank list sends it with
    a new reference."""
    step_ = BATCH_FLOW.begin(batch, by, "reissue")
    row = _line(batch, line)
    if row.state != L.FAILED:
        _fail("只有银行退回的户才能重新发放。", "line", "state")
    if account_number.strip() or account_name.strip() or bank_name.strip():
        row.account_name, row.bank_name, row.account_number = _clean_account(
            account_name or row.account_name, bank_name or row.bank_name, account_number or row.account_number)
    g = row.grant
    assert batch.account is not None
    g.budget = _reserve(batch, batch.account.org_unit, g.amount, "line") if g.budget_id else None
    g.hold = ledger.hold(account=batch.account, amount=g.amount, key=f"grant:{g.pk}:reissue:{row.failures}", by=by,
                         voucher=f"funds.grant:{g.pk}", memo=f"{batch.number} {g.number} 重新发放冻结")
    g.save(update_fields=["hold", "budget", "updated_at"])
    GrantEvent.objects.create(grant=g, kind="reissue", label="重新发放（已冻结）", by=by, note=note)
    row.state = L.READY
    row.save(update_fields=["state", "account_name", "bank_name", "account_number"])
    BATCH_FLOW.advance(batch, by, step_, note=f"第{row.seq}户 {g.person.name} 重新发放" + (f"：{note}" if note else ""),
                       data={"line": row.seq, "hold": g.hold.pk}, new={"line": row.seq, "hold": g.hold.pk},
                       audit_detail=batch.number)
    return row


@guarded("funds.batch_close", target="batch")
def batch_close(*, batch: Batch, by: User, reason: str) -> Batch:
    """结束发放: every line not paid is released (if still held) and its grant cancelled; a line
    still at the bank must have its result first."""
    step_ = BATCH_FLOW.begin(batch, by, "close")
    reason = (reason or "").strip()
    if not reason:
        _fail("请填写结束理由。", "reason", "required")
    sent = batch.lines.filter(state=L.SENT).count()
    if sent:
        _fail(f"尚有 {sent} 户已报银行、未导入回盘，不能结束发放。")
    lines = [*_lines(batch, L.READY), *_lines(batch, L.FAILED)]
    for line in lines:
        g = line.grant
        if line.state == L.READY:
            assert g.hold is not None
            ledger.release(hold_entry=g.hold, key=f"grant:{g.pk}:close:{line.failures}", by=by,
                           memo=f"{g.number} 批次结束解冻")
            _unreserve(g)
        g.status, g.closed_reason = GS.CANCELLED, f"批量救助结束发放：{reason}"
    Grant.objects.bulk_update([line.grant for line in lines], ["status", "closed_reason"])
    BatchLine.objects.filter(pk__in=[line.pk for line in lines]).update(state=L.CLOSED)
    _grant_events(lines, by, "cancel", "批次结束未发放（已解冻）", reason, GS.CANCELLED)
    batch.closed_reason = reason
    BATCH_FLOW.advance(batch, by, step_, update_fields=["closed_reason"], note=reason,
                       new={"closed_lines": len(lines)}, audit_detail=batch.number)
    return batch


def held_total(batch: Batch) -> Decimal:
    """What the batch's open holds reserve now (lines approved, not paid, not returned)."""
    c = sum(cents(line.grant.amount) for line in _lines(batch, L.READY, L.SENT))
    return yuan(c)
