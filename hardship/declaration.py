"""How 困难职工档案 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). Everything the core shows or checks for this app is named here."""

from __future__ import annotations

from decimal import Decimal

from servicecenter import registry
from servicecenter.approvals import ApprovalKind
from servicecenter.attachments import AttachmentTarget
from servicecenter.parameters import ParameterSpec
from servicecenter.permissions import Permission
from servicecenter.roles import Role

HANDLERS = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)

PERMISSIONS = (
    Permission.of("hardship.apply", "登记困难职工申请", HANDLERS),
    Permission.of("hardship.handle", "办理困难职工档案（入户调查、审核、公示、报送、复核、脱困……）", HANDLERS),
    Permission.of("hardship.approve", "审批困难职工档案", [Role.SUPERVISOR]),
    Permission.of("hardship.acknowledge", "确认区县报送的困难职工档案备案", [Role.SUPERVISOR]),
    Permission.of("hardship.export", "导出困难职工花名册", [Role.SUPERVISOR, Role.AUDITOR]),
)

PARAMETERS = (
    ParameterSpec("hardship.notice_working_days", "公示期", int, 5, "个工作日", source="DOMAIN §4 [004]", minimum=1),
    ParameterSpec("hardship.income_ratio", "困难职工收入上限（低保标准倍数）", Decimal, Decimal("1.20"),
                  source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.spending_income_ratio", "支出型困难收入上限（低保标准倍数）", Decimal, Decimal("1.50"),
                  source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.medical_cost_ratio", "自付医疗费占家庭年收入比例", Decimal, Decimal("0.50"),
                  source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.extreme_topup_ratio", "特困低保补差倍数", Decimal, Decimal("1.5"), source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.housing_area_per_head", "人均住房面积上限（两人以上）", Decimal, Decimal("40"), "㎡",
                  source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.housing_area_single", "住房面积上限（一人）", Decimal, Decimal("70"), "㎡",
                  source="DOMAIN §4 [004]"),
    ParameterSpec("hardship.home_purchase_years", "购建房屋年限", int, 5, "年", source="DOMAIN §4 [004]"),
    ParameterSpec("dibao.monthly_standard", "城市低保标准", Decimal, Decimal("1100.00"), "元/人·月", per_year=True,
                  source="DOMAIN §4", minimum=1),
    # A standard of its own, per region and year (DOMAIN §4: not 低保 × something); the default is a
    # placeholder for the administrator to replace with the local figure.
    ParameterSpec("hardship.dibao_edge_standard", "低保边缘标准", Decimal, Decimal("1650.00"), "元/人·月",
                  per_year=True, source="DOMAIN §4 [004]", minimum=1),
    ParameterSpec("hardship.average_topup", "当地平均低保补差", Decimal, Decimal("500.00"), "元/人·月", per_year=True,
                  source="DOMAIN §4 [004]（特困：补差达到当地平均补差1.5倍以上）", minimum=1),
    ParameterSpec("hardship.exclude_family_planning", "违反计划生育政策者不予认定", bool, False,
                  source="DOMAIN §4 [004]（该政策已废止，默认不启用）"),
    ParameterSpec("hardship.spot_check_ratio", "审批抽查入户比例", Decimal, Decimal("0.20"),
                  source="DOMAIN §4 [004]（县区总工会入户调（抽）查）"),
    ParameterSpec("hardship.recheck_months", "档案复核周期", int, 12, "个月", source="DOMAIN §4 [002]（每年调查摸底）",
                  minimum=1),
)


def _demo(run: registry.DemoRun) -> str:
    from .demo import seed_files
    from .models import HardshipFile

    seed_files(run.count, write=run.write)
    return f"{HardshipFile.objects.count()} 份困难职工档案"


def declare() -> None:
    from . import summary, urls
    from .models import HardshipFile, HomeVisit
    from .registers import ROSTER_EXPORT
    from .selectors import NOTICE_CLOCK, file_scope, visit_scope
    from .workflow import APPROVAL, APPROVE, FILE_FLOW, HANDLE, REPORT_FLOW, makers

    registry.register(registry.ServiceApp(
        label="hardship", name="困难职工档案", urls=urls, order=20,
        nav=(registry.NavEntry("困难职工档案", "hardship:landing"),),
        permissions=PERMISSIONS,
        parameters=PARAMETERS,
        workflows=(FILE_FLOW, REPORT_FLOW),
        clocks=(NOTICE_CLOCK,),
        scope_rules={HardshipFile: file_scope, HomeVisit: visit_scope},
        exports=(ROSTER_EXPORT,),
        attachments=(AttachmentTarget(HardshipFile, HANDLE, timeline="events"),
                     AttachmentTarget(HomeVisit, HANDLE)),
        approvals=(ApprovalKind(APPROVAL, "困难职工档案审批", HardshipFile, APPROVE, makers=makers,
                                due=lambda f: None),),
        person_section=summary.person_section,
        dashboard_section=summary.dashboard_section,
        inbox=summary.inbox_items,
        qualifications=summary.qualifications,
        figures=summary.FIGURES,
        compute_figures=summary.monthly_figures,
        figure_table=summary.figure_table,
        demo=_demo,
    ))
