"""How 帮扶资金与物资 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). Everything the core shows or checks for this app is named here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from servicecenter import registry
from servicecenter.approvals import ApprovalKind
from servicecenter.parameters import ParameterSpec, param
from servicecenter.permissions import Permission
from servicecenter.roles import Role

from .models import ReliefType

COUNTER = (Role.CLERK, Role.WORKER, Role.SUPERVISOR)

PERMISSIONS = (
    Permission.of("funds.apply", "登记、核实救助申请", COUNTER),
    Permission.of("funds.approve", "审批救助", [Role.SUPERVISOR]),
    Permission.of("funds.pay", "发放救助（出纳）", [Role.CASHIER]),
    Permission.of("funds.manage", "登记资金到账、下拨、冲正（会计）", [Role.ACCOUNTANT]),
    Permission.of("funds.export", "导出资金台账与救助花名册", [Role.SUPERVISOR, Role.ACCOUNTANT, Role.AUDITOR]),
)

# Per relief type: the most one grant may pay, whether an archived hardship file is required, and
# whether a household may have only one such grant a year (DOMAIN §7 [002]: living relief once a year).
LIMITS = {ReliefType.LIVING: "5000", ReliefType.MEDICAL: "20000", ReliefType.EDUCATION: "5000",
          ReliefType.EMERGENCY: "10000", ReliefType.HOLIDAY: "2000", ReliefType.BATCH: "3000"}
# The hardship file's grades (hardship.codes.Grade; named here, hardship may be absent).
GRADES = {"hardship": "困难职工", "extreme": "特困职工"}
REQUIRES_FILE = {ReliefType.LIVING, ReliefType.BATCH}
ONCE_PER_YEAR = {ReliefType.LIVING}

PARAMETERS = (
    *(ParameterSpec(f"funds.limit.{t.value}", f"{t.label}每次最高金额", Decimal, Decimal(LIMITS[t]), "元", per_year=True,
                    source="DOMAIN §7（由各级工会按当地标准设定）", minimum=1) for t in ReliefType),
    *(ParameterSpec(f"funds.requires_file.{t.value}", f"{t.label}须为在档困难职工", bool, t in REQUIRES_FILE,
                    source="DOMAIN §7 [002][004]") for t in ReliefType),
    *(ParameterSpec(f"funds.once_per_year.{t.value}", f"{t.label}每户每年限一次", bool, t in ONCE_PER_YEAR,
                    source="DOMAIN §7 [002]（生活救助每年一次性救助，按户）") for t in ReliefType),
    ParameterSpec("funds.medical_receipts_required", "医疗救助须核验原始票据", bool, True, source="DOMAIN §7 [002]"),
    # Per hardship grade (the file's 困难类别); 0: not set, the type's limit applies (funds/holds.py).
    *(ParameterSpec(f"funds.limit.{t.value}.{grade}", f"{glabel}{t.label}每次最高金额（0 为按类型限额）", Decimal,
                    Decimal("0"), "元", per_year=True, source="issue 12（按困难类别的限额）", minimum=0)
      for t in ReliefType for grade, glabel in GRADES.items()),
    ParameterSpec("funds.hold_days", "审批后未发放的冻结期限（逾期解冻）", int, 30, "天", source="issue 12（冻结到期解冻）",
                  minimum=1),
    ParameterSpec("funds.approval_threshold", "救助金额超过此数须上一级审批", Decimal, Decimal("5000"), "元",
                  source="issue 12（审批层级）", minimum=1),
)


def _escalate(grant: Any, data: dict[str, Any]) -> bool:
    from servicecenter import access

    lead = access.leading_unit(grant.org_unit)
    return Decimal(str(data.get("amount", grant.amount))) > param("funds.approval_threshold", lead)


def _demo(run: registry.DemoRun) -> str:
    from .demo import seed

    return seed(run)


def declare() -> None:
    from . import batches, summary, urls
    from .help_given import HELP
    from .models import Batch, Grant
    from .registers import DONATION_EXPORT, GRANT_EXPORT, LEDGER_EXPORT
    from .stock_registers import STOCK_EXPORT
    from .workflow import APPROVAL, APPROVE, GRANT_FLOW, makers

    registry.register(registry.ServiceApp(
        label="funds", name="帮扶资金与物资", urls=urls, order=50,
        nav=(registry.NavEntry("帮扶资金与物资", "funds:landing"),),
        permissions=PERMISSIONS,
        parameters=PARAMETERS,
        workflows=(GRANT_FLOW, batches.BATCH_FLOW),
        exports=(LEDGER_EXPORT, GRANT_EXPORT, DONATION_EXPORT, STOCK_EXPORT),
        approvals=(ApprovalKind(APPROVAL, "救助审批", Grant, APPROVE, escalate_above=_escalate, makers=makers),
                   # 批量救助: above the threshold per household, the level above approves too.
                   ApprovalKind(batches.APPROVAL, "批量救助审批", Batch, APPROVE, escalate_above=_escalate,
                                makers=batches.makers)),
        person_section=summary.person_section,
        dashboard_section=summary.dashboard_section,
        inbox=summary.inbox_items,
        figures=summary.FIGURES,
        compute_figures=summary.monthly_figures,
        figure_table=summary.figure_table,
        help_given=HELP,
        demo=_demo,
    ))
