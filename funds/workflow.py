"""The relief grant's steps, one table: the services check it, the grant page offers what it allows,
and ``tests/funds/test_workflow.py`` is generated from it.

申请 APPLIED 待核实 → 核实 VERIFIED 待审批 (the approval request; above the unit's threshold the
level above approves too) → 审批 APPROVED 待发放 (the fund account chosen, a hold placed on it) →
发放 PAID 已发放 (the cashier pays the hold). Rejection (REJECTED) or cancellation (CANCELLED)
releases the hold; so does expiry (``expire``: approved but not paid by ``hold_expires_on``).
Maker-checker: nobody who applied or verified approves; nobody who applied,
verified or approved pays.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from servicecenter import access, approvals
from servicecenter.workflow import Guard, Workflow, step

from .models import Grant

S = Grant.Status

APPLY = "funds.apply"
APPROVE = "funds.approve"
PAY = "funds.pay"
MANAGE = "funds.manage"
EXPORT = "funds.export"
APPROVAL = "funds.grant"  # the approval kind (servicecenter.approvals)


def makers(g: Grant) -> set[int]:
    """Who applied for or verified the grant (they may not approve it)."""
    return {i for i in (g.applied_by_id, g.verified_by_id) if i}


def approvers(g: Grant) -> set[int]:
    ids = set(approvals.history(g).filter(status=approvals.Status.APPROVED).values_list("decided_by_id", flat=True))
    if g.approved_by_id:
        ids.add(g.approved_by_id)
    return {i for i in ids if i}


def _pending_to_decide(g: Grant, user: Any) -> bool:
    return any(approvals.may_decide(user, a) for a in approvals.pending(g, APPROVAL))


def _not_a_maker(g: Grant, user: Any) -> bool:
    return user.pk not in makers(g)


def _not_involved(g: Grant, user: Any) -> bool:
    return user.pk not in makers(g) | approvers(g)


PENDING = Guard(_pending_to_decide, "没有待您审批的救助申请。")
NOT_A_MAKER = Guard(_not_a_maker, "不能审批本人登记或核实的救助申请（审批人须与申请人、核实人不同）。")
DECIDE = (PENDING, NOT_A_MAKER)
# A line of a batch (批量救助) is approved, paid, returned and closed through its batch (funds/batches.py).
NOT_IN_BATCH = Guard(lambda g, user: not g.batch_id, "批量救助名单中的救助，在批次页面办理。")
NOT_INVOLVED = Guard(_not_involved, "不能发放本人登记、核实或审批的救助（发放人须与经办人、审批人不同）。")

GRANT_FLOW = Workflow(Grant, S, [
    step("verify", "核实并报批", [S.APPLIED], S.VERIFIED, permission=APPLY),
    step("approve", "审批通过", [S.VERIFIED], S.APPROVED, permission=APPROVE, guards=DECIDE,
         refusals={S.APPLIED: "救助申请尚未核实报批，不能审批。", S.APPROVED: "该救助已审批通过。"}),
    step("reject", "不予批准", [S.VERIFIED], S.REJECTED, permission=APPROVE, guards=DECIDE),
    step("cancel", "撤销申请", [S.APPLIED, S.VERIFIED], S.CANCELLED, permission=APPLY, guards=[NOT_IN_BATCH]),
    step("revoke", "撤销审批并解冻", [S.APPROVED], S.CANCELLED, permission=APPROVE,
         guards=[NOT_IN_BATCH, Guard(lambda g, user: access.leads(user, g.org_unit, APPROVE) or access.acts_for(
             user, g.account.org_unit_id if g.account_id else None),
             lambda g, user: f"由领导{g.org_unit}的审批人撤销。")]),
    # The hold lapses (funds/holds.py; the daily funds_expire_holds): only after its last day. A batch's
    # lines are released by closing the batch.
    step("expire", "逾期解冻", [S.APPROVED], S.CANCELLED, permission=APPROVE,
         guards=[NOT_IN_BATCH,
                 Guard(lambda g, user: g.hold_expires_on is not None and g.hold_expires_on < timezone.localdate(),
                       lambda g, user: (f"冻结期限至 {g.hold_expires_on:%Y-%m-%d}，尚未逾期，不能逾期解冻。"
                                        if g.hold_expires_on else "该救助没有冻结期限，不能逾期解冻。"))]),
    step("pay", "发放", [S.APPROVED], S.PAID, permission=PAY, guards=[NOT_IN_BATCH, NOT_INVOLVED],
         refusals={S.APPLIED: "救助尚未审批，不能发放。", S.VERIFIED: "救助尚未审批，不能发放。",
                   S.PAID: "该救助已发放，不能重复发放。", S.REJECTED: "该救助未获批准，不能发放。",
                   S.CANCELLED: "该救助已撤销，不能发放。"}),
])
