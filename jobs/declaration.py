"""How 就业援助 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). Everything the core shows or checks for this app is named here."""

from __future__ import annotations

from decimal import Decimal

from servicecenter import registry
from servicecenter.attachments import AttachmentTarget
from servicecenter.parameters import ParameterSpec
from servicecenter.permissions import Permission
from servicecenter.roles import Role

HANDLERS = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)
DEMO_SEEKERS = 60

PERMISSIONS = (
    Permission.of("jobs.manage", "登记用工单位、岗位和招聘洽谈会", HANDLERS),
    Permission.of("jobs.verify", "核验用工单位证件", HANDLERS),
    Permission.of("jobs.seekers", "求职登记", HANDLERS),
    Permission.of("jobs.refer", "推荐就业、登记结果和就业回访", HANDLERS),
    Permission.of("jobs.train", "培训课程、报名、出勤和结业", HANDLERS),
    Permission.of("jobs.export", "导出求职、用工、推荐和培训登记表", [Role.SUPERVISOR, Role.AUDITOR]),
)

MIN_WAGE_SOURCE = ("《最低工资规定》（劳动和社会保障部令第21号）第三条、第五条（非全日制适用小时最低工资）、"
                   "第十条（标准由省级人民政府批准发布）；默认值为浙江省自2021年8月1日起执行的第一至三档标准，"
                   "新标准发布后按年度设置")

PARAMETERS = (
    ParameterSpec("jobs.min_wage_tier", "本辖区最低工资标准档次（1至3）", int, 1, "档", source=MIN_WAGE_SOURCE,
                  minimum=1),
    ParameterSpec("jobs.min_wage.monthly.1", "第一档月最低工资标准", Decimal, Decimal("2280.00"), "元/月",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.monthly.2", "第二档月最低工资标准", Decimal, Decimal("2070.00"), "元/月",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.monthly.3", "第三档月最低工资标准", Decimal, Decimal("1840.00"), "元/月",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.hourly.1", "第一档小时最低工资标准（非全日制）", Decimal, Decimal("22.00"), "元/小时",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.hourly.2", "第二档小时最低工资标准（非全日制）", Decimal, Decimal("20.00"), "元/小时",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.hourly.3", "第三档小时最低工资标准（非全日制）", Decimal, Decimal("18.00"), "元/小时",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=Decimal("1")),
    ParameterSpec("jobs.min_wage.since_month", "当年最低工资标准起始月份（此前适用上年标准）", int, 1, "月",
                  per_year=True, source=MIN_WAGE_SOURCE, minimum=1),
    ParameterSpec("jobs.follow_up_days", "录用后就业回访时间", int, 30, "天", source="issue 11：录用30天后回访",
                  minimum=1),
    ParameterSpec("jobs.training_discount_percent", "下岗证/失业证学员培训费减免比例（课程默认值）", Decimal,
                  Decimal("50"), "%", source="DOMAIN §6 [002][004]：持证人员享受优惠培训", minimum=Decimal("0")),
    ParameterSpec("jobs.completion_attendance_percent", "结业所需出勤比例", int, 80, "%", minimum=0),
    ParameterSpec("jobs.expiring_days", "岗位即将到期提醒（到期前天数）", int, 7, "天", minimum=0),
    ParameterSpec("jobs.outcome_reminder_days", "推荐后未反馈结果的提醒天数", int, 14, "天", minimum=1),
)


def _demo(run: registry.DemoRun) -> str:
    from .demo import seed_jobs

    return seed_jobs(max(DEMO_SEEKERS, run.count), write=run.write)


def declare() -> None:
    from . import registers, summary, urls
    from .models import Course, Posting, Seeker
    from .selectors import FOLLOW_UP_CLOCK, course_scope, posting_scope
    from .workflow import (
        COURSE_FLOW,
        ENROLMENT_FLOW,
        FAIR_FLOW,
        POSTING_FLOW,
        RECRUITER_FLOW,
        REFERRAL_FLOW,
        SEEKER_FLOW,
        SEEKERS,
    )

    registry.register(registry.ServiceApp(
        label="jobs", name="就业援助", urls=urls, order=40,
        nav=(registry.NavEntry("就业援助", "jobs:landing"),),
        permissions=PERMISSIONS,
        parameters=PARAMETERS,
        workflows=(RECRUITER_FLOW, POSTING_FLOW, SEEKER_FLOW, REFERRAL_FLOW, COURSE_FLOW, ENROLMENT_FLOW, FAIR_FLOW),
        clocks=(FOLLOW_UP_CLOCK,),
        scope_rules={Posting: posting_scope, Course: course_scope},
        exports=registers.EXPORTS,
        # A seeker's other papers (diploma, certificates) through the shared panel; an employer's
        # papers have their own form (Paper: which of the three it is, its validity).
        attachments=(AttachmentTarget(Seeker, SEEKERS, timeline="events"),),
        person_section=summary.person_section,
        employer_section=summary.employer_section,
        dashboard_section=summary.dashboard_section,
        inbox=summary.inbox_items,
        figures=summary.FIGURES,
        compute_figures=summary.monthly_figures,
        figure_table=summary.figure_table,
        demo=_demo,
    ))
