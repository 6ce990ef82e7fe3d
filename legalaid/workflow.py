"""The steps of a legal-aid application and of a mediation, one table each: the services check them,
the case pages offer what they allow, and ``tests/legalaid/test_workflow.py`` is generated from them.

Application: 待补全 draft → (材料齐全) 审查中 review ⇄ 待补充材料 supplement → 已批准待指派 granted
→ 承办中 assigned → 已结案 closed; or 不予援助 refused; or 已撤回 withdrawn (by the applicant, or
as stale: left incomplete past ``legalaid.supplement_days``).

Mediation: 调解中 open → 达成协议 agreed (execution followed) | 调解不成 failed (→ legal aid).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from servicecenter import approvals
from servicecenter.workflow import Guard, Workflow, step

from .declaration import APPLY, ASSIGN, DECIDE, DECISION, HANDLE, MEDIATE
from .models import Application, Mediation

S = Application.Status
M = Mediation.Status
UNDECIDED = (S.DRAFT, S.REVIEW, S.SUPPLEMENT)
NOT_YET = "尚未批准援助并指派承办律师，不能{what}。"

# What an application needs before its review clock starts (field → label).
REQUIRED_FOR_REVIEW = {
    "qualifies": "援助对象类别", "matter": "案由", "forum": "申请援助形式", "employer": "对方当事人（用人单位）",
    "amount_claimed": "请求金额", "facts": "案情及理由", "request": "请求事项", "evidence": "证据材料",
    "dispute_arose_on": "争议发生日",
}


def missing_for_review(a: Application) -> list[str]:
    return [label for name, label in REQUIRED_FOR_REVIEW.items()
            if getattr(a, name + "_id" if name == "employer" else name) in (None, "")]


def _complete(a: Application, user: Any) -> bool:
    return not missing_for_review(a)


def _missing_message(a: Application, user: Any) -> str:
    return "申请材料尚不齐全，请先补充：" + "、".join(missing_for_review(a)) + "。"


def _no_pending_decision(a: Application, user: Any) -> bool:
    return not approvals.pending(a, DECISION).exists()


def _decision_waits(a: Application, user: Any) -> bool:
    return any(approvals.may_decide(user, x) for x in approvals.pending(a, DECISION))


def _not_reviewer(a: Application, user: Any) -> bool:
    return a.reviewer_id != user.pk


def is_stale(a: Application, today: Any = None) -> bool:
    """Left incomplete past ``legalaid.supplement_days``: a draft since it was registered, an
    application waiting for material since the request."""
    from servicecenter.parameters import param

    today = today or timezone.localdate()
    days = param("legalaid.supplement_days", a.org_unit)
    since = a.material_requested_on if a.status == S.SUPPLEMENT else a.received_on
    return since is not None and (today - since).days > days


def _stale(a: Application, user: Any) -> bool:
    return is_stale(a)


def _stale_message(a: Application, user: Any) -> str:
    from servicecenter.parameters import param

    return f"补充材料期限（{param('legalaid.supplement_days', a.org_unit)}天）尚未届满，不能视为撤回。"


NOT_PENDING = Guard(_no_pending_decision, "已报审批，请等待审批结果。")
DECISION_WAITS = Guard(_decision_waits, "没有待您审批的法律援助申请（须由领导承办单位的审批人审批）。")
NOT_REVIEWER = Guard(_not_reviewer, "审查人不能审批本案（审批人与审查人须为不同的人）。")
BEFORE_GRANT: dict[str, str] = {str(s): NOT_YET.format(what="登记结果") for s in (*UNDECIDED, S.GRANTED)}
DECIDED: dict[str, str] = {S.REFUSED: "已决定不予援助。", S.WITHDRAWN: "申请已撤回。", S.CLOSED: "案件已结案。"}

APPLICATION_FLOW = Workflow(Application, S, [
    step("update", "修改申请信息", UNDECIDED, permission=HANDLE,
         refusals=dict.fromkeys((S.GRANTED, S.ASSIGNED, S.CLOSED, S.REFUSED), "已作出审批决定，申请信息不能再修改。")),
    step("complete", "材料齐全，开始审查", [S.DRAFT], S.REVIEW, permission=HANDLE,
         guards=[Guard(_complete, _missing_message)]),
    step("request_material", "通知补充材料", [S.REVIEW], S.SUPPLEMENT, permission=HANDLE,
         refusals={S.SUPPLEMENT: "已通知补充材料，正在等待申请人补充。"}),
    step("supplement", "材料已补齐，恢复审查", [S.SUPPLEMENT], S.REVIEW, permission=HANDLE),
    step("assess", "提出审查意见并报批", [S.REVIEW], permission=HANDLE, guards=[NOT_PENDING],
         refusals={S.SUPPLEMENT: "正在等待申请人补充材料，材料补齐后再报批。",
                   S.DRAFT: "申请材料尚未齐全，请先确认材料齐全。"}),
    step("grant", "批准援助", [S.REVIEW], S.GRANTED, permission=DECIDE, guards=[DECISION_WAITS, NOT_REVIEWER],
         refusals={S.SUPPLEMENT: "正在等待申请人补充材料，材料补齐后再审批。", S.DRAFT: "申请材料尚未齐全，不能审批。",
                   **DECIDED}),
    step("refuse", "不予援助", [S.REVIEW], S.REFUSED, permission=DECIDE, guards=[DECISION_WAITS, NOT_REVIEWER],
         refusals={S.SUPPLEMENT: "正在等待申请人补充材料，材料补齐后再审批。", S.DRAFT: "申请材料尚未齐全，不能审批。",
                   **DECIDED}),
    step("withdraw", "申请人撤回", [*UNDECIDED, S.GRANTED], S.WITHDRAWN, permission=HANDLE,
         refusals={S.ASSIGNED: "已指派律师承办，请以“撤诉/撤回”结案。", **DECIDED}),
    step("withdraw_stale", "逾期未补正，视为撤回", [S.DRAFT, S.SUPPLEMENT], S.WITHDRAWN, permission=HANDLE,
         guards=[Guard(_stale, _stale_message)]),
    step("assign", "指派律师/志愿者", [S.GRANTED], S.ASSIGNED, permission=ASSIGN,
         refusals={**dict.fromkeys(UNDECIDED, "尚未批准援助，不能指派律师。"), S.ASSIGNED: "已指派，如需更换请用“更换承办律师”。"}),
    step("reassign", "更换承办律师", [S.ASSIGNED], permission=ASSIGN),
    step("progress", "登记案件进展", [S.ASSIGNED], permission=HANDLE,
         refusals={s: NOT_YET.format(what="登记案件进展") for s in (*UNDECIDED, S.GRANTED)}),
    step("close", "结案", [S.ASSIGNED], S.CLOSED, permission=HANDLE, refusals={**BEFORE_GRANT, **DECIDED}),
    step("feedback", "登记职工评价", [S.CLOSED], permission=HANDLE,
         guards=[Guard(lambda a, user: not a.feedback, "已登记职工评价。")]),
])


# --- Mediation ---------------------------------------------------------------------------------------


def _limit_passed(m: Mediation, user: Any) -> bool:
    due = m.limit_due_date
    return due is not None and timezone.localdate() > due


def _not_notified(m: Mediation, user: Any) -> bool:
    return m.parties_notified_on is None


def _not_executed(m: Mediation, user: Any) -> bool:
    return m.execution != Mediation.Execution.EXECUTED


def _worker_to_refer(m: Mediation, user: Any) -> bool:
    from .referrals import workers_without_application

    return bool(workers_without_application(m))


MEDIATION_FLOW = Workflow(Mediation, M, [
    step("session", "登记调解情况", [M.OPEN], permission=MEDIATE,
         refusals={M.AGREED: "已达成调解协议。", M.FAILED: "调解已终止。"}),
    step("change_mediator", "更换调解员", [M.OPEN], permission=MEDIATE),
    step("notify", "告知可申请仲裁", [M.OPEN], permission=MEDIATE,
         guards=[Guard(_not_notified, lambda m, user: f"已于{m.parties_notified_on:%Y-%m-%d}告知当事人。"),
                 Guard(_limit_passed, lambda m, user: f"调解期限至{m.limit_due_date:%Y-%m-%d}，期满后方可告知。")]),
    step("agree", "达成调解协议", [M.OPEN], M.AGREED, permission=MEDIATE,
         refusals={M.AGREED: "已达成调解协议。", M.FAILED: "调解已终止，不能再达成协议。"}),
    step("fail", "调解不成，终止调解", [M.OPEN], M.FAILED, permission=MEDIATE,
         refusals={M.AGREED: "已达成调解协议。", M.FAILED: "调解已终止。"}),
    step("execution", "登记协议履行情况", [M.AGREED], permission=MEDIATE,
         guards=[Guard(_not_executed, "协议已全部履行。")],
         refusals={M.OPEN: "尚未达成调解协议。", M.FAILED: "调解不成，没有协议可履行。"}),
    step("refer", "转法律援助", [M.FAILED], permission=APPLY,
         guards=[Guard(_worker_to_refer, "各申请人均已转法律援助。")],
         refusals={M.OPEN: "调解尚未终止。", M.AGREED: "已达成调解协议。"}),
])
