"""Every number in DOMAIN.md as data: declared here with its default, set per unit (and year).

A unit without its own value inherits the nearest one above it; with none set anywhere the
declared default applies. ``param("petition.deadline_days", unit)`` is the only reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from .models import OrgUnit, Parameter


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: str
    kind: type  # int, Decimal or bool
    default: Any
    unit: str = ""
    per_year: bool = False
    source: str = ""
    minimum: int | Decimal = 0  # numbers only: the smallest value that makes sense

    def parse(self, raw: str) -> Any:
        text = (raw or "").strip()
        try:
            if self.kind is bool:
                if text.lower() in {"1", "true", "yes", "是"}:
                    return True
                if text.lower() in {"0", "false", "no", "否"}:
                    return False
                raise ValueError(text)
            value = int(text) if self.kind is int else Decimal(text)
            if isinstance(value, Decimal) and not value.is_finite():
                raise ValueError(text)
        except (ValueError, InvalidOperation):
            kind = {bool: "是/否", int: "整数", Decimal: "数字"}[self.kind]
            raise ValidationError(f"“{self.label}”应为{kind}，收到“{raw}”。", code="invalid") from None
        if value < self.minimum:
            raise ValidationError(f"“{self.label}”不能小于{self.minimum}，收到“{raw}”。", code="min_value")
        return value


SPECS: dict[str, ParameterSpec] = {
    s.key: s
    for s in [
        ParameterSpec("petition.deadline_days", "信访办结时限", int, 30, "天", source="DOMAIN §3 [000]", minimum=1),
        ParameterSpec("petition.deadline_in_working_days", "办结时限按工作日计算", bool, False),
        ParameterSpec("petition.group_size", "群体性信访人数下限", int, 5, "人", source="DOMAIN §3 [000]",
                      minimum=2),
        ParameterSpec("petition.extension_max_days", "延期上限", int, 30, "天"),
        ParameterSpec("petition.reopen_within_days", "办结后可重新办理期限", int, 30, "天"),
        ParameterSpec("petition.due_soon_days", "即将到期提醒", int, 3, "天"),
        ParameterSpec("hardship.notice_working_days", "公示期", int, 5, "个工作日", source="DOMAIN §4 [004]",
                      minimum=1),
        ParameterSpec("hardship.income_ratio", "困难职工收入上限（低保标准倍数）", Decimal, Decimal("1.20"),
                      source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.spending_income_ratio", "支出型困难收入上限（低保标准倍数）", Decimal,
                      Decimal("1.50"), source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.medical_cost_ratio", "自付医疗费占家庭年收入比例", Decimal, Decimal("0.50"),
                      source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.extreme_topup_ratio", "特困低保补差倍数", Decimal, Decimal("1.5"),
                      source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.housing_area_per_head", "人均住房面积上限（两人以上）", Decimal, Decimal("40"), "㎡",
                      source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.housing_area_single", "住房面积上限（一人）", Decimal, Decimal("70"), "㎡",
                      source="DOMAIN §4 [004]"),
        ParameterSpec("hardship.home_purchase_years", "购建房屋年限", int, 5, "年", source="DOMAIN §4 [004]"),
        ParameterSpec("dibao.monthly_standard", "城市低保标准", Decimal, Decimal("1100.00"), "元/人·月",
                      per_year=True, source="DOMAIN §4", minimum=1),
        ParameterSpec("funds.living_grants_per_year", "生活救助每年次数", int, 1, "次", source="DOMAIN §7 [002]"),
        ParameterSpec("legalaid.decision_working_days", "法律援助审查时限", int, 7, "个工作日", source="FORMS §4",
                      minimum=1),
        ParameterSpec("mediation.agreement_days", "调解期限", int, 15, "天", source="FORMS §4", minimum=1),
        ParameterSpec("exports.background_rows", "导出转后台处理的行数", int, 50000, "行"),
    ]
}


def param(key: str, unit: OrgUnit, year: int | None = None) -> Any:
    """The value in force for ``unit`` (and ``year``): the nearest unit up the tree that sets it,
    a year-specific value before an any-year one at the same unit."""
    spec = SPECS[key]
    rows = Parameter.objects.filter(key=key, org_unit__path__in=unit.ancestor_paths())
    if spec.per_year and year:
        rows = rows.filter(Q(year=year) | Q(year__isnull=True))
    else:
        rows = rows.filter(year__isnull=True)
    best = None
    for value, depth, row_year in rows.values_list("value", "org_unit__depth", "year"):
        rank = (depth, row_year is not None)
        if best is None or rank > best[0]:
            best = (rank, value)
    return spec.parse(best[1]) if best else spec.default


def validate_parameter(key: str, raw: str) -> None:
    if key not in SPECS:
        raise ValidationError({"key": "未知参数。"})
    SPECS[key].parse(raw)
