"""How 法律援助 and 劳动争议调解 plug into the core: this app's one ``ServiceApp`` (docs/architecture.md,
"add a service app"). Everything the core shows or checks for this app is named here."""

from __future__ import annotations

from servicecenter import registry
from servicecenter.parameters import ParameterSpec
from servicecenter.permissions import Permission
from servicecenter.roles import Role

HANDLERS = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)

CONSULT = "legalaid.consult"
APPLY = "legalaid.apply"
HANDLE = "legalaid.handle"
DECIDE = "legalaid.decide"
ASSIGN = "legalaid.assign"
ADVISORS = "legalaid.advisors"
MEDIATE = "legalaid.mediate"
EXPORT = "legalaid.export"

DECISION = "legalaid.decision"  # the approval kind: the supervisor's grant or refusal

PERMISSIONS = (
    Permission.of(CONSULT, "登记法律咨询", HANDLERS),
    Permission.of(APPLY, "受理法律援助申请（含信访转入）", HANDLERS),
    Permission.of(HANDLE, "办理法律援助案件（补正、审查、进展、结案）", HANDLERS),
    Permission.of(DECIDE, "批准或不予法律援助", [Role.SUPERVISOR]),
    Permission.of(ASSIGN, "指派承办律师/志愿者", HANDLERS),
    Permission.of(ADVISORS, "维护律师、志愿者名册和接待日", HANDLERS),
    Permission.of(MEDIATE, "受理和主持劳动争议调解", HANDLERS),
    Permission.of(EXPORT, "导出法律援助案件和劳动争议调解登记表", [Role.SUPERVISOR, Role.AUDITOR]),
)

PARAMETERS = (
    ParameterSpec("legalaid.decision_working_days", "法律援助审查时限", int, 7, "个工作日", source="FORMS §4",
                  minimum=1),
    ParameterSpec("legalaid.assignment_working_days", "批准后指派律师时限", int, 3, "个工作日", minimum=1),
    ParameterSpec("legalaid.supplement_days", "补充材料期限（逾期视为撤回）", int, 30, "天",
                  source="法律援助法第四十三条", minimum=1),
    ParameterSpec("legalaid.limitation_urgent_days", "时效紧急提醒（届满前天数）", int, 30, "天", minimum=0),
    ParameterSpec("legalaid.arbitration_limitation_months", "劳动仲裁时效", int, 12, "个月",
                  source="劳动争议调解仲裁法第二十七条", minimum=1),
    ParameterSpec("legalaid.suit_days", "不服仲裁裁决起诉期限", int, 15, "天", source="劳动争议调解仲裁法第四十八条",
                  minimum=1),
    ParameterSpec("legalaid.objection_days", "对不予援助决定提出异议的期限", int, 15, "天", minimum=1),
    ParameterSpec("legalaid.repeat_offender_cases", "多次涉诉单位标记（件数）", int, 3, "件", minimum=2),
    ParameterSpec("mediation.agreement_days", "调解期限", int, 15, "天", source="FORMS §4", minimum=1),
)

def _demo(run: registry.DemoRun) -> str:
    from .demo import seed_legalaid

    return seed_legalaid(run.count, write=run.write)


def declare() -> None:
    from servicecenter.approvals import ApprovalKind
    from servicecenter.attachments import AttachmentTarget
    from servicecenter.referrals import ReferralTarget

    from . import referrals, summary, urls
    from .models import Advisor, Application, Mediation
    from .registers import APPLICATION_EXPORT, MEDIATION_EXPORT
    from .selectors import ASSIGN_CLOCK, LIMIT_CLOCK, REVIEW_CLOCK, advisor_scope
    from .workflow import APPLICATION_FLOW, MEDIATION_FLOW

    registry.register(registry.ServiceApp(
        label="legalaid", name="法律援助", urls=urls, order=30,
        nav=(registry.NavEntry("法律援助", "legalaid:landing"),),
        permissions=PERMISSIONS,
        parameters=PARAMETERS,
        workflows=(APPLICATION_FLOW, MEDIATION_FLOW),
        clocks=(REVIEW_CLOCK, ASSIGN_CLOCK, LIMIT_CLOCK),
        scope_rules={Advisor: advisor_scope},
        exports=(APPLICATION_EXPORT, MEDIATION_EXPORT),
        attachments=(AttachmentTarget(Application, HANDLE, timeline="events"),
                     AttachmentTarget(Mediation, MEDIATE, timeline="events")),
        approvals=(ApprovalKind(DECISION, "法律援助审批", Application, DECIDE,
                                makers=lambda a: [a.reviewer_id], due=lambda a: a.review_due_date),),
        referral_targets=(ReferralTarget("legalaid.application", "转法律援助", APPLY, create=referrals.create_draft,
                                         existing=referrals.existing_draft, accepts=referrals.accepts,
                                         refused="该来访人未登记身份证号码，不能转法律援助。",
                                         help="将生成一份法律援助申请草稿（申请人、涉及单位、案情沿用本事项），"
                                              "补全材料后进入审查。"),),
        person_section=summary.person_section,
        employer_section=summary.employer_section,
        dashboard_section=summary.dashboard_section,
        inbox=summary.inbox_items,
        figures=summary.FIGURES,
        compute_figures=summary.monthly_figures,
        figure_table=summary.figure_table,
        demo=_demo,
    ))
