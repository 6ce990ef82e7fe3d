"""Demo monthly summaries (``seed_demo`` runs this after every app's demo records): the month before
last filed and accepted all the way up, the city's on record; last month part-way, so that each
demo account has something to see — 府山站 submitted (waiting for 越城区), 塔山站 returned with a
reason (waiting for its worker), 上虞区's stations accepted and 上虞区 submitted (waiting for the
city). Through the services, as the users would; only the timestamps are moved back to the days
a diligent station would have filed on (the demo is seeded after the fact). Idempotent: a month
that already has summaries in the demo city is left as it is.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import figures
from . import summaries as sm
from .models import MonthlySummary, OrgUnit, SummaryEvent, User

DEMO_STATIONS = ("330602001", "330602002", "330604001", "330604002")
TEXTS = {
    "station": ("接待来访职工、受理来信来电，逐件登记；对欠薪、劳动合同类诉求当场解答或交办，按期办结并回访。",
                "部分企业配合度不高，转办事项答复偏慢。", "开展节前欠薪排查，走访辖区重点企业。"),
    "district": ("汇总各街道服务站月报，督办逾期事项，对群体性信访及时签收并报告市中心。",
                 "个别服务站人手不足，月报报送偏晚。", "组织服务站业务培训，推进回访全覆盖。"),
    "city": ("汇总全市各区县月报，按月报总工会备案。", "", "做好季度分析。"),
}


def _text(kind: str) -> dict[str, str]:
    work, problems, plan = TEXTS.get(kind, TEXTS["station"])
    return {"work_done": work, "problems": problems, "next_plan": plan}


def _back_date(summary: MonthlySummary, when: datetime.datetime, *fields: str) -> None:
    """Move the step's timestamps (and its timeline event) back to ``when`` (never into the future)."""
    when = min(when, timezone.now())
    MonthlySummary.objects.filter(pk=summary.pk).update(**dict.fromkeys(fields, when))
    last = summary.events.order_by("-at", "-id").first()
    if last is not None:
        SummaryEvent.objects.filter(pk=last.pk).update(at=when)


def _day(date: datetime.date, days_before: int, hour: int = 10) -> datetime.datetime:
    day = date - datetime.timedelta(days=days_before)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=timezone.get_current_timezone())


def seed_summaries(write: Callable[[str], Any] = print) -> str:
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=["330600", "330602", "330602001", "330602002", "330604",
                                                                "330604001", "330604002"])}
    users = {u.username: u for u in User.objects.filter(username__in=[
        "city_sup", "d1_sup", "d2_sup", "s11_worker", "s12_worker", "s21_worker", "s22_worker"])}
    if len(units) < 7 or len(users) < 7:
        return ""
    last = figures.last_ended_month()
    before = last.previous()
    made = 0
    city = units["330600"]
    with transaction.atomic():
        if not MonthlySummary.objects.filter(org_unit__path__startswith=city.path, year=before.year,
                                             month=before.month_number).exists():
            made += _whole_month(before, units, users)
        if not MonthlySummary.objects.filter(org_unit__path__startswith=city.path, year=last.year,
                                             month=last.month_number).exists():
            made += _part_month(last, units, users)
    return f"{MonthlySummary.objects.count()} 份月度汇总" if made or MonthlySummary.objects.exists() else ""


def _file(unit: OrgUnit, month: figures.Period, by: User, kind: str, days_early: int) -> MonthlySummary:
    summary = sm.summary_start(unit=unit, year=month.year, month=month.month_number, by=by)
    sm.summary_submit(summary=summary, by=by, **_text(kind))
    _back_date(summary, _day(sm.due_date(unit, month), days_early), "first_submitted_at", "submitted_at")
    summary.refresh_from_db()
    return summary


def _accept(summary: MonthlySummary, by: User, month: figures.Period, days_early: int) -> None:
    sm.summary_accept(summary=summary, by=by)
    _back_date(summary, _day(sm.due_date(summary.org_unit, month), days_early, 15), "accepted_at")


def _whole_month(month: figures.Period, units: dict[str, OrgUnit], users: dict[str, User]) -> int:
    stations = [("330602001", "s11_worker", "d1_sup"), ("330602002", "s12_worker", "d1_sup"),
                ("330604001", "s21_worker", "d2_sup"), ("330604002", "s22_worker", "d2_sup")]
    for code, worker, sup in stations:
        s = _file(units[code], month, users[worker], "station", 2)
        _accept(s, users[sup], month, 1)
    for code, sup in (("330602", "d1_sup"), ("330604", "d2_sup")):
        _waive_unstaffed(units[code], month, users[sup])
        s = _file(units[code], month, users[sup], "district", 2)
        _accept(s, users["city_sup"], month, 1)
    city = sm.summary_start(unit=units["330600"], year=month.year, month=month.month_number, by=users["city_sup"])
    sm.summary_file(summary=city, by=users["city_sup"], **_text("city"))
    _back_date(city, _day(sm.due_date(units["330600"], month), 1), "first_submitted_at", "submitted_at", "accepted_at")
    return 7


def _part_month(month: figures.Period, units: dict[str, OrgUnit], users: dict[str, User]) -> int:
    _file(units["330602001"], month, users["s11_worker"], "station", 1)
    returned = _file(units["330602002"], month, users["s12_worker"], "station", 0)
    sm.summary_return(summary=returned, by=users["d1_sup"], reason="来访人数与接待登记表不一致，请核对后重新报送。")
    for code, worker in (("330604001", "s21_worker"), ("330604002", "s22_worker")):
        s = _file(units[code], month, users[worker], "station", 2)
        _accept(s, users["d2_sup"], month, 1)
    _waive_unstaffed(units["330604"], month, users["d2_sup"])
    _file(units["330604"], month, users["d2_sup"], "district", 1)
    return 5


def _waive_unstaffed(district: OrgUnit, month: figures.Period, by: User) -> None:
    """The stations ``seed_demo --scale`` adds have no staff to file: their district excuses them."""
    chain = sm.Chain.of(district)
    filed = set(MonthlySummary.objects.filter(org_unit__parent=district, year=month.year, month=month.month_number)
                .values_list("org_unit_id", flat=True))
    for station in chain.children(district):
        if station.pk not in filed and station.code not in DEMO_STATIONS:
            sm.summary_waive(unit=station, year=month.year, month=month.month_number, by=by,
                             reason="演示：新设服务站尚未配备工作人员，本月免报。")
