"""The limitation guard: from the dates an application gives, when the worker's time runs out.

劳动争议调解仲裁法:
- §27: arbitration must be applied for within one year of the day the worker knew or should have
  known of the infringement (``dispute_arose_on``); a wage-arrears dispute while the worker is still
  employed is not limited, but once employment ends the year runs from the day it ended.
- §48/§50: after an award is served the worker has 15 days to sue.

Counting (民法典 §201–§203): the first day is not counted; a period of months ends on the
corresponding day of the last month (or that month's last day when it has none); a period ending
on a day off ends on the next working day. Both lengths are parameters
(``legalaid.arbitration_limitation_months``, ``legalaid.suit_days``).

Pure functions of dates and a working-day calendar; the services store the result on the
application so that the urgent queue is one indexed range.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime
from dataclasses import dataclass

from servicecenter.workdays import Calendar

from .models import Matter


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The corresponding day ``months`` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Limitation:
    arbitration_ends: datetime.date | None  # last day to apply for arbitration (None: not limited / unknown)
    suit_ends: datetime.date | None  # last day to sue after the award (None: no award yet)
    ends: datetime.date | None  # the one running now: the suit window once an award is served
    basis: str  # how it was computed, for the page

    def days_left(self, today: datetime.date) -> int | None:
        return None if self.ends is None else (self.ends - today).days

    def is_urgent(self, today: datetime.date, within_days: int) -> bool:
        """Ends within ``within_days`` days (or has already ended)."""
        left = self.days_left(today)
        return left is not None and left <= within_days


def compute(*, matter: str, dispute_arose_on: datetime.date | None, employment_ended_on: datetime.date | None,
            award_served_on: datetime.date | None, months: int = 12, suit_days: int = 15,
            calendar: Calendar | None = None) -> Limitation:
    calendar = calendar or Calendar()
    arbitration: datetime.date | None = None
    if matter == Matter.WAGES and employment_ended_on is None:
        basis = "劳动关系存续期间因拖欠劳动报酬发生争议，不受仲裁时效限制"
    elif matter == Matter.WAGES:
        arbitration = calendar.next_working_day(add_months(employment_ended_on, months))  # type: ignore[arg-type]
        basis = f"拖欠劳动报酬：自劳动关系终止之日起{months}个月内申请仲裁"
    elif dispute_arose_on is not None:
        arbitration = calendar.next_working_day(add_months(dispute_arose_on, months))
        basis = f"自知道或应当知道权利被侵害之日起{months}个月内申请仲裁"
    else:
        basis = "未填写争议发生日，无法计算仲裁时效"
    suit = None
    if award_served_on is not None:
        suit = calendar.next_working_day(award_served_on + datetime.timedelta(days=suit_days))
        basis = f"收到仲裁裁决书之日起{suit_days}日内向人民法院起诉"
    return Limitation(arbitration, suit, suit if suit is not None else arbitration, basis)
