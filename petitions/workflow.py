"""The petition's steps, one table: the services check it, the case page offers what it allows, and
``tests/petitions/test_workflow.py`` is generated from it.

States: 待处理 open → 已交办 assigned / 已转办待答复 forwarded → 已答复待办结 replied → 已办结 closed;
a closed case may be reopened (→ open). Steps that do not change the state (pause, notice, recuse,
acknowledge …) are in the table too, so every rule about who may do what, when, is here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from servicecenter import access, approvals
from servicecenter.parameters import param
from servicecenter.workflow import Guard, Transition, Workflow, step

from .models import Escalation, FollowUp, HotlineOrder, Notice, Petition, Recusal, Submission, TaskTarget

if TYPE_CHECKING:
    from servicecenter.models import User

S = Petition.Status
OPEN = (S.OPEN, S.ASSIGNED, S.FORWARDED, S.REPLIED)
ALL = (*OPEN, S.CLOSED)

HANDLE = "petitions.handle"
EXTEND = "petitions.extend"
REOPEN = "petitions.reopen"
ACKNOWLEDGE = "petitions.acknowledge"
REVIEW = "petitions.review"
IDENTIFY = "petitions.identify"
BACKDATE = "petitions.backdate"
INTAKE = "petitions.intake"

EXTENSION = "petitions.extension"  # approval kinds
REOPENING = "petitions.reopening"


def _not_paused(p: Petition, user: User) -> bool:
    return p.paused_since is None


def _paused(p: Petition, user: User) -> bool:
    return p.paused_since is not None


def _leads(permission: str) -> Guard:
    return Guard(lambda p, user: access.leads(user, p.org_unit, permission),
                 lambda p, user: f"只有领导{p.org_unit}的审批人（{access.leading_unit(p.org_unit)}）可以办理此步骤。")


def within_reopen_window(p: Petition, user: User | None = None) -> bool:
    if p.closed_at is None:
        return False
    window = param("petition.reopen_within_days", p.org_unit)
    return (timezone.localdate() - timezone.localdate(p.closed_at)).days <= window


def _window_message(p: Petition, user: User | None = None) -> str:
    return f"办结已超过{param('petition.reopen_within_days', p.org_unit)}天，不能重新办理。"


def _not_extended(p: Petition, user: User) -> bool:
    return not p.extension_days


def _no_pending(kind: str) -> Guard:
    return Guard(lambda p, user: not approvals.pending(p, kind).exists(), "已有待审批的申请，请等待审批结果。")


def _pending_to_decide(kind: str) -> Guard:
    def test(p: Petition, user: User) -> bool:
        return any(approvals.may_decide(user, a) for a in approvals.pending(p, kind))

    return Guard(test, "没有待您审批的申请。")


def _pending_follow_up(p: Petition, user: User) -> bool:
    return p.follow_ups.filter(status=FollowUp.Status.PENDING).exists()


def _no_follow_up(p: Petition, user: User) -> str:
    last = p.follow_ups.order_by("-created_at", "-id").first()
    if last is not None:
        return f"该回访{last.get_status_display()}，不能再登记。"
    return "没有待回访的记录。"


def _awaiting_review(p: Petition, user: User) -> bool:
    return p.follow_ups.filter(satisfaction=FollowUp.Satisfaction.UNSATISFIED, review="").exists()


def _escalation_waits(p: Petition, user: User) -> bool:
    return Escalation.objects.filter(petition=p, org_unit_id=user.org_unit_id, acknowledged_at__isnull=True).exists()


def _acknowledge_refusal(p: Petition, user: User) -> str:
    done = Escalation.objects.filter(petition=p, org_unit_id=user.org_unit_id).first()
    if done is not None and done.acknowledged_at is not None:
        return f"本单位已于{timezone.localtime(done.acknowledged_at):%Y-%m-%d %H:%M}签收。"
    return "本单位没有待签收的该事项报告。"


def _not_recused(p: Petition, user: User) -> bool:
    return not Recusal.objects.filter(petition=p, user=user).exists()


def _has_parent(p: Petition, user: User) -> bool:
    return p.org_unit.parent_id is not None


NOT_PAUSED = Guard(_not_paused, "计时已暂停，请先恢复计时再办结。")


def _owns(p: Petition, user: User) -> bool:
    from .selectors import owns

    return owns(p, user)


# After 上报 the receiving station still reads its case (selectors.petition_scope); acting on it is
# for the unit that owns it now. A forbidden guard: the station gets 403, not a state message.
OWNER_ONLY = Guard(_owns, lambda p, user: f"本事项已上报{p.org_unit}办理，本单位只能查看。", forbidden=True)


def _owner_only(*transitions: Transition) -> list[Transition]:
    """Every step with ``OWNER_ONLY`` first among its guards."""
    return [replace(t, guards=(OWNER_ONLY, *t.guards)) for t in transitions]


def _not_identified(p: Petition, user: User) -> bool:
    return p.person_id is None


def _reportable(p: Petition, user: User) -> bool:
    return not p.referral_reported


def _has_submission(p: Petition, user: User) -> bool:
    return p.came_online


PETITION_FLOW = Workflow(Petition, S, [*_owner_only(
    step("answer", "当场答复", [S.OPEN], S.CLOSED, permission=HANDLE, guards=[NOT_PAUSED]),
    step("assign", "交办", OPEN, permission=HANDLE, targets={S.OPEN: S.ASSIGNED}),
    step("send_up", "上报上级", [S.OPEN, S.ASSIGNED], S.OPEN, permission=HANDLE,
         guards=[Guard(_has_parent, "本单位没有上级单位，不能上报。")]),
    step("forward", "转办", [S.OPEN, S.ASSIGNED], S.FORWARDED, permission=HANDLE),
    step("reply", "登记转办答复", [S.FORWARDED], S.REPLIED, permission=HANDLE),
    step("close", "办结", [S.OPEN, S.ASSIGNED, S.REPLIED], S.CLOSED, permission=HANDLE, guards=[NOT_PAUSED],
         refusals={S.FORWARDED: "转办事项尚未收到答复，不能办结。请先登记转办答复。"}),
    step("notice", "发维权建议书/整改书", OPEN, permission=HANDLE, refusals={S.CLOSED: "该事项已办结，不能发出通知书。"},
         guards=[Guard(lambda p, user: p.employer_id is not None, "该事项未登记涉及单位，不能发出通知书。")]),
    step("pause", "暂停计时", OPEN, permission=HANDLE,
         guards=[Guard(_not_paused, lambda p, user: f"计时已于{p.paused_since:%Y-%m-%d}暂停。")]),
    step("resume", "恢复计时", OPEN, permission=HANDLE, guards=[Guard(_paused, "计时未暂停，无需恢复。")]),
    step("request_extension", "申请延期", OPEN, permission=HANDLE,
         guards=[Guard(_not_extended, "该事项已延期一次，不能再次延期。"), _no_pending(EXTENSION)]),
    step("decide_extension", "审批延期申请", OPEN, permission=EXTEND,
         guards=[_pending_to_decide(EXTENSION)]),
    step("extend", "延期", OPEN, permission=EXTEND,
         guards=[Guard(_not_extended, "该事项已延期一次，不能再次延期。"), _leads(EXTEND)]),
    step("follow_up", "回访", [S.CLOSED], permission=HANDLE, guards=[Guard(_pending_follow_up, _no_follow_up)]),
    step("review", "回访不满意复核", [S.CLOSED], permission=REVIEW,
         guards=[Guard(_awaiting_review, "该回访无需复核。"), _leads(REVIEW)]),
    step("request_reopen", "申请重新办理", [S.CLOSED], permission=HANDLE,
         guards=[Guard(within_reopen_window, _window_message), _no_pending(REOPENING)]),
    step("decide_reopen", "审批重新办理申请", [S.CLOSED], permission=REOPEN, guards=[_pending_to_decide(REOPENING)]),
    step("reopen", "重新办理", [S.CLOSED], S.OPEN, permission=REOPEN,
         guards=[Guard(within_reopen_window, _window_message), _leads(REOPEN)]),
    step("identify", "关联来访人", ALL, permission=IDENTIFY,
         guards=[Guard(_not_identified, "该事项已关联来访人。"), _leads(IDENTIFY)]),
    step("report_back", "向交办单位报告", [S.CLOSED], permission=HANDLE,
         guards=[Guard(lambda p, user: p.is_referral, "该事项不是上级交办事项，无需向交办单位报告。"),
                 Guard(_reportable, "已向交办单位报告办理结果。")],
         refusals=dict.fromkeys(OPEN, "事项办结后才能向交办单位报告办理结果。")),
    step("publish_answer", "网上答复", ALL, permission=HANDLE,
         guards=[Guard(_has_submission, "该事项不是网上提交的，无需网上答复。")]),
),
    # Reading steps: a station that sent the case up may still acknowledge its report and recuse.
    step("recuse", "回避", ALL, permission=HANDLE, guards=[Guard(_not_recused, "您已声明回避。")]),
    step("acknowledge", "签收（群体性/紧急）", ALL, permission=ACKNOWLEDGE,
         guards=[Guard(_escalation_waits, _acknowledge_refusal)]),
])


def _of_case(guard: Guard) -> Guard:
    """A petition guard, asked of a sub-record's case (a notice, a work order)."""
    def test(obj: Any, user: User) -> bool:
        return guard.test(obj.petition, user)

    def message(obj: Any, user: User) -> str:
        refused = guard.refusal(obj.petition, user)
        return refused.message if refused else ""

    return Guard(test, message, guard.forbidden)


NOTICE_FLOW = Workflow(Notice, Notice.Status, [
    step("response", "登记单位回复", [Notice.Status.ISSUED], Notice.Status.RESPONDED, permission=HANDLE,
         guards=[_of_case(OWNER_ONLY)], refusals={Notice.Status.RESPONDED: "已登记该单位的回复。"}),
], events=lambda notice: notice.petition.events)


H = HotlineOrder.Status
CASE_OPEN = Guard(lambda o, user: not o.petition.is_closed, "该事项已办结，不能转派。")

# 12351: the platform's cycle on the work order, written on the case's timeline.
HOTLINE_FLOW = Workflow(HotlineOrder, H, [
    step("dispatch", "转派", [H.RECEIVED, H.DISPATCHED], H.DISPATCHED, permission=HANDLE,
         guards=[_of_case(OWNER_ONLY), CASE_OPEN,
                 Guard(lambda o, user: access.units_below(user).exists(), "本单位没有下级单位，不能转派。")],
         refusals={H.ANSWERED: "工单已反馈，不能再转派。", H.CLOSED: "工单已结案。"}),
    step("feedback", "反馈", [H.RECEIVED, H.DISPATCHED], H.ANSWERED, permission=HANDLE,
         guards=[_of_case(OWNER_ONLY)], refusals={H.ANSWERED: "工单已反馈，等待平台回访。", H.CLOSED: "工单已结案。"}),
    step("revisit", "登记平台回访", [H.ANSWERED], H.CLOSED, permission=HANDLE, guards=[_of_case(OWNER_ONLY)],
         refusals={H.RECEIVED: "工单尚未反馈，平台不会回访。", H.DISPATCHED: "工单尚未反馈，平台不会回访。",
                   H.CLOSED: "工单已结案。"}),
    step("return_order", "平台退回重办", [H.ANSWERED], H.RECEIVED, permission=HANDLE, guards=[_of_case(OWNER_ONLY)],
         refusals={H.CLOSED: "工单已结案。"}),
], events=lambda order: order.petition.events, name="petitions.hotlineorder")


U = Submission.Status

# Online self-service: a clerk of the chosen unit (or above it) accepts a submission into a case or
# declines it with a reason the worker sees. No timeline of its own: the audit row, and the case's.
SUBMISSION_FLOW = Workflow(Submission, U, [
    step("accept", "受理", [U.RECEIVED], U.ACCEPTED, permission=INTAKE,
         refusals={U.ACCEPTED: "该提交已受理。", U.DECLINED: "该提交已不予受理。"}),
    step("decline", "不予受理", [U.RECEIVED], U.DECLINED, permission=INTAKE,
         refusals={U.ACCEPTED: "该提交已受理，不能再不予受理。", U.DECLINED: "该提交已不予受理。"}),
], events=None)


TASK_FLOW = Workflow(TaskTarget, TaskTarget.Status, [
    step("report", "报告办理结果", [TaskTarget.Status.PENDING], TaskTarget.Status.REPORTED, permission=HANDLE,
         guards=[Guard(lambda t, user: access.acts_for(user, t.org_unit_id), "只有承办单位可以报告办理结果。",
                       forbidden=True)],
         refusals={TaskTarget.Status.REPORTED: "已报告办理结果。"}),
    step("link", "关联信访事项", [TaskTarget.Status.PENDING, TaskTarget.Status.REPORTED], permission=HANDLE,
         guards=[Guard(lambda t, user: access.acts_for(user, t.org_unit_id), "只有承办单位可以关联信访事项。",
                       forbidden=True)]),
], events=None)
