"""How 困难职工档案 plugs into the core: its one ``ServiceApp`` (docs/architecture.md, "add a service
app"). The app is a landing page so far; its parameters are declared already because the numbers
of DOMAIN.md are data from day one."""

from __future__ import annotations

from decimal import Decimal

from servicecenter import registry
from servicecenter.parameters import ParameterSpec

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
)


def declare() -> None:
    from . import summary, urls

    registry.register(registry.ServiceApp(
        label="hardship", name="困难职工档案", urls=urls, order=20,
        nav=(registry.NavEntry("困难职工档案", "hardship:landing"),),
        parameters=PARAMETERS,
        person_section=summary.person_section,
    ))
