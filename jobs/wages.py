"""The wage floor of a posting: the local minimum wage (最低工资规定，劳动和社会保障部令第21号).

The standard is set by the province per area tier (档次) and changes on a date. Here that is data
(``declaration.PARAMETERS``): each unit's tier (``jobs.min_wage_tier``, inherited down the tree),
the monthly standard for full-time work and the hourly one for part-time work (第五条: 非全日制
适用小时最低工资标准) per tier and year, and the month from which a year's standard applies
(``jobs.min_wage.since_month``): a date before that month still has the previous year's standard.

``minimum_wage(area, on, employment_type)`` is the only reader; ``check_wage_range`` is the rule a
posting's wage range must pass (Chinese messages at the field).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from servicecenter.models import OrgUnit
from servicecenter.parameters import param

from .models import EmploymentType

TIERS = (1, 2, 3)


@dataclass(frozen=True)
class MinimumWage:
    amount: Decimal
    tier: int
    hourly: bool
    year: int  # whose standard it is
    since: datetime.date  # the day that year's standard applies from

    @property
    def unit(self) -> str:
        return "元/小时" if self.hourly else "元/月"

    def describe(self) -> str:
        kind = "小时最低工资" if self.hourly else "月最低工资"
        return f"第{self.tier}档{kind}标准{self.amount:.2f}{self.unit}"


def tier_of(area: OrgUnit) -> int:
    tier = param("jobs.min_wage_tier", area)
    if tier not in TIERS:
        raise ValidationError(f"{area}的最低工资档次参数为{tier}，应为1至3，请联系系统管理员。", code="invalid")
    return int(tier)


def minimum_wage(area: OrgUnit, on: datetime.date, employment_type: str) -> MinimumWage:
    """The minimum wage in force in ``area`` on ``on``: monthly for full-time work, hourly for
    part-time work."""
    tier = tier_of(area)
    hourly = employment_type == EmploymentType.PART_TIME
    since_month = param("jobs.min_wage.since_month", area, on.year)
    since_month = min(max(int(since_month), 1), 12)
    year = on.year if on.month >= since_month else on.year - 1
    if year != on.year:
        since_month = min(max(int(param("jobs.min_wage.since_month", area, year)), 1), 12)
    amount = param(f"jobs.min_wage.{'hourly' if hourly else 'monthly'}.{tier}", area, year)
    return MinimumWage(Decimal(amount), tier, hourly, year, datetime.date(year, since_month, 1))


def check_wage_range(*, wage_min: Decimal | None, wage_max: Decimal | None, area: OrgUnit | None,
                     on: datetime.date | None, employment_type: str) -> None:
    """A posting's wage range: both ends given, not inverted, and the lower end not below the
    minimum wage of the work area on the day the posting starts."""
    errors: dict[str, str] = {}
    if wage_min is None:
        errors["wage_min"] = "请填写工资下限。"
    if wage_max is None:
        errors["wage_max"] = "请填写工资上限。"
    if errors:
        raise ValidationError(errors)
    assert wage_min is not None and wage_max is not None
    if wage_min > wage_max:
        raise ValidationError({"wage_max": f"工资上限（{wage_max:.2f}）不能低于下限（{wage_min:.2f}）。"})
    if area is None or on is None:
        return
    floor = minimum_wage(area, on, employment_type)
    if wage_min < floor.amount:
        kind = "非全日制岗位按小时计" if floor.hourly else "全日制岗位按月计"
        raise ValidationError({"wage_min": f"工资下限{wage_min:.2f}{floor.unit}低于最低工资：{area}执行"
                                           f"{floor.describe()}（{floor.since.year}年{floor.since.month}月{floor.since.day}日起，{kind}）。"})
