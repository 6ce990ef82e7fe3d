"""How 信访接待 plugs into the core: its one ``ServiceApp`` (see docs/architecture.md, "add a
service app"). Everything the core shows or checks for this app is named here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servicecenter import registry
from servicecenter.approvals import ApprovalKind
from servicecenter.attachments import AttachmentTarget
from servicecenter.parameters import ParameterSpec
from servicecenter.permissions import Permission
from servicecenter.referrals import Referral, ReferralSource

if TYPE_CHECKING:
    from servicecenter.models import User

    from .models import Petition
from servicecenter.roles import Role

DEMO_PETITIONS = 40
HANDLERS = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)

PERMISSIONS = (
    Permission.of("petitions.intake", "受理登记信访", HANDLERS),
    Permission.of("petitions.handle", "办理信访事项（交办、转办、办结、回访、暂停计时……）", HANDLERS),
    Permission.of("petitions.extend", "批准延期", [Role.SUPERVISOR]),
    Permission.of("petitions.reopen", "重新办理已办结事项", [Role.SUPERVISOR]),
    Permission.of("petitions.acknowledge", "签收群体性/紧急信访", [Role.SUPERVISOR]),
    Permission.of("petitions.review", "复核回访不满意", [Role.SUPERVISOR]),
    Permission.of("petitions.tasks", "向下级交办事项", HANDLERS),
    Permission.of("petitions.export", "导出信访接待登记汇总表", [Role.SUPERVISOR, Role.AUDITOR]),
    Permission.of("petitions.identify", "匿名事项关联来访人", [Role.SUPERVISOR]),
    Permission.of("petitions.backdate", "补登较早受理时间", [Role.SUPERVISOR]),
)

PARAMETERS = (
    ParameterSpec("petition.deadline_days", "信访办结时限", int, 30, "天", source="DOMAIN §3 [000]", minimum=1),
    ParameterSpec("petition.deadline_in_working_days", "办结时限按工作日计算", bool, False),
    ParameterSpec("petition.group_size", "群体性信访人数下限", int, 5, "人", source="DOMAIN §3 [000]", minimum=2),
    ParameterSpec("petition.extension_max_days", "延期上限", int, 30, "天"),
    ParameterSpec("petition.reopen_within_days", "办结后可重新办理期限", int, 30, "天"),
    ParameterSpec("petition.receipt_max_days_back", "受理时间最早可追溯天数（更早须审批人补登）", int, 30, "天",
                  minimum=0),
    ParameterSpec("petition.receipt_max_days_back_supervised", "审批人补登受理时间最早可追溯天数", int, 365, "天",
                  minimum=0),
    ParameterSpec("petition.referral_deadline_days", "上级交办事项未定期限时的办结时限（自交办日起）", int, 30, "天",
                  source="DOMAIN §3 [000]", minimum=1),
    ParameterSpec("petition.public_submits_per_ip_hour", "网上提交：同一网络每小时最多次数", int, 10, "次", minimum=1),
    ParameterSpec("petition.public_submits_per_phone_day", "网上提交：同一手机号每天最多次数", int, 3, "次", minimum=1),
    ParameterSpec("petition.public_lookups_per_ip_hour", "进度查询：同一网络每小时最多次数", int, 60, "次", minimum=1),
    ParameterSpec("petition.public_lookup_failures", "进度查询：查询码错误几次后暂停该编号的查询", int, 5, "次",
                  minimum=1),
    ParameterSpec("petition.public_lookup_lock_minutes", "进度查询：暂停查询的时长", int, 30, "分钟", minimum=1),
    ParameterSpec("petition.public_max_files", "网上提交：最多附件个数", int, 3, "个", minimum=0),
)


def _demo(run: registry.DemoRun) -> str:
    from .demo import seed_petitions, seed_ways_in
    from .models import Petition

    seed_petitions(max(DEMO_PETITIONS, run.count))
    seed_ways_in()
    return f"{Petition.objects.count()} 件信访"


def _describe(petition: Petition) -> Referral:
    """A petition as another service reads it (referrals.py): the complainant, the employer and
    the matter; never named from this side."""
    return Referral(source=petition, label=f"信访事项 {petition.number}", org_unit=petition.org_unit,
                    person=petition.person, employer=petition.employer, category=petition.category.name,
                    facts=petition.facts, request=petition.request)


def _referral_refusal(petition: Petition, user: User) -> str:
    """A confidential complainant's identity goes no further than those who may see it; another
    service needs a registered person (the ID number is asked for where it matters, never
    invented); a station that sent the case up only reads it."""
    from .confidentiality import identity_visible
    from .selectors import owns

    if not owns(petition, user):
        return f"本事项已上报{petition.org_unit}办理，本单位只能查看。"
    if not identity_visible(user, petition):
        return "保密信访件的来访人身份仅承办人和分管领导可见，由其办理转出。"
    if petition.person_id is None:
        return "该事项的来访人尚未登记身份（匿名或仅留姓名电话），请先由审批人关联来访人（身份证号码）再转出。"
    return ""


def declare() -> None:
    from . import public_urls, summary, urls
    from .models import HotlineOrder, Notice, Petition, Task
    from .registers import PETITION_EXPORT
    from .selectors import (
        CLOCK,
        HOTLINE_CLOCK,
        NOTICE_CLOCK,
        TASK_CLOCK,
        hotline_scope,
        notice_scope,
        owns,
        petition_scope,
        task_scope,
    )
    from .workflow import (
        EXTEND,
        EXTENSION,
        HOTLINE_FLOW,
        NOTICE_FLOW,
        PETITION_FLOW,
        REOPEN,
        REOPENING,
        SUBMISSION_FLOW,
        TASK_FLOW,
    )

    registry.register(registry.ServiceApp(
        label="petitions", name="信访接待", urls=urls, public_urls=public_urls, order=10,
        nav=(registry.NavEntry("信访接待", "petitions:landing"),),
        permissions=PERMISSIONS,
        parameters=PARAMETERS,
        workflows=(PETITION_FLOW, NOTICE_FLOW, TASK_FLOW, HOTLINE_FLOW, SUBMISSION_FLOW),
        clocks=(CLOCK, NOTICE_CLOCK, TASK_CLOCK, HOTLINE_CLOCK),
        scope_rules={Petition: petition_scope, Task: task_scope, Notice: notice_scope, HotlineOrder: hotline_scope},
        exports=(PETITION_EXPORT,),
        # A station that sent a case up reads it (and its files) but adds nothing to it.
        attachments=(AttachmentTarget(Petition, "petitions.handle", timeline="events", allows=owns),),
        referral_sources=(ReferralSource(Petition, "petitions.handle", describe=_describe,
                                         refusal=_referral_refusal),),
        approvals=(
            ApprovalKind(EXTENSION, "延期申请", Petition, EXTEND, due=lambda p: p.due_date,
                         makers=lambda p: [p.handler_id]),
            ApprovalKind(REOPENING, "重新办理申请", Petition, REOPEN),
        ),
        person_section=summary.person_section,
        employer_section=summary.employer_section,
        dashboard_section=summary.dashboard_section,
        inbox=summary.inbox_items,
        figures=summary.FIGURES,
        compute_figures=summary.monthly_figures,
        figure_table=summary.figure_table,
        breakdowns=summary.BREAKDOWNS,
        compute_breakdowns=summary.monthly_breakdowns,
        demo=_demo,
        employer_flags=summary.employer_flags,
    ))
