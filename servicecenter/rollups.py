"""The read side of the monthly summaries: roll-ups, quarterly and yearly statistics, the
summaries' inbox items and the dashboards' charts. Every page here starts from a unit the user may
see (``access``) and only ever shows figures of that unit's subtree.

Where a figure comes from: a month whose summary was submitted or accepted shows the stored
snapshot (what was filed — accepted ones are frozen); any other month is computed from the records
as they are now. A longer period adds up the months (additive figures), counts distinct people
again from the records over the whole period, and derives the rates.

Costs: ``monthly_table`` — the roll-up of any number of units × months — is a fixed number of
queries (the units, the parameters, the summaries, and each app's ``figure_table``), which is
what ``bench/summaries_bench.py`` measures for a city of a thousand stations.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from . import access, charts, figures
from .figures import FigureGroup, Figures, Period, UnitTree
from .inbox import InboxItem
from .models import MonthlySummary, OrgUnit
from .summaries import (
    CORE_GROUP,
    OPEN_STATES,
    REPORTED_STATES,
    SUMMARY_ACCEPT,
    SUMMARY_FILE,
    Chain,
    Timeliness,
    groups,
    live_figures,
    period_of,
    reporting_table,
    stored_breakdowns,
    stored_values,
    summaries_for,
)

if TYPE_CHECKING:
    from .models import User

S = MonthlySummary.Status
FROZEN, FILED, LIVE = "frozen", "submitted", "live"
SOURCE_LABELS = {FROZEN: "已审核（冻结）", FILED: "报送数据", LIVE: "实时计算"}


def unit_month_url(unit: OrgUnit, period: Period) -> str:
    return reverse("reports:unit_month", args=[unit.pk, period.year, period.month_number])


def summary_url(unit: OrgUnit, period: Period, summary: MonthlySummary | None) -> str:
    return summary.get_absolute_url() if summary else unit_month_url(unit, period)


# --- Monthly tables --------------------------------------------------------------------------------------


@dataclass
class Cell:
    figures: Figures
    source: str
    summary: MonthlySummary | None = None


def monthly_table(chain: Chain, units: Sequence[OrgUnit], months: Sequence[Period],
                  rows: dict[tuple[int, int, int], MonthlySummary] | None = None) -> dict[tuple[int, int], Cell]:
    """Each unit's figures for each month: the stored snapshot where the month was submitted or
    accepted, computed from the records for the rest (one ``figures.table`` call for the units and
    months that need it)."""
    rows = summaries_for(chain.tree.root, months) if rows is None else rows
    out: dict[tuple[int, int], Cell] = {}
    need_units: dict[int, OrgUnit] = {}
    need_months: dict[int, Period] = {}
    for u in units:
        pk = u.pk
        for i, m in enumerate(months):
            s = rows.get((pk, m.year, m.month_number))
            if s is not None and s.status in REPORTED_STATES and s.figures:
                out[(pk, i)] = Cell(stored_values(s), FROZEN if s.status == S.ACCEPTED else FILED, s)
            else:
                need_units[pk], need_months[i] = u, m
                out[(pk, i)] = Cell({}, LIVE, s)
    if need_units:
        month_index = sorted(need_months)
        unit_list = list(need_units.values())
        live = figures.table(chain.tree, unit_list, [need_months[i] for i in month_index])
        reporting = reporting_table(chain, unit_list, [need_months[i] for i in month_index], rows=rows)
        ids = list(need_units)
        for j, i in enumerate(month_index):
            for pk in ids:
                cell = out[(pk, i)]
                if cell.source == LIVE:
                    values = live[(pk, j)]
                    values[CORE_GROUP] = reporting[(pk, j)]
                    cell.figures = values
    return out


def period_figures(chain: Chain, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], Figures]:
    """Figures of longer periods (quarters, years) for each unit: the months added up, distinct
    figures counted again over the whole period, the reporting figures over the unit-months."""
    months = sorted({m for p in periods for m in p.months()})
    index = {m: i for i, m in enumerate(months)}
    monthly = monthly_table(chain, units, months)
    whole = figures.table(chain.tree, units, periods)
    reporting = reporting_table(chain, units, periods)
    app_groups = figures.app_groups()
    out = {}
    for u in units:
        for i, p in enumerate(periods):
            parts = [monthly[(u.pk, index[m])].figures for m in p.months()]
            values = figures.add_up(app_groups, parts, whole[(u.pk, i)])
            values[CORE_GROUP] = reporting[(u.pk, i)]
            out[(u.pk, i)] = values
    return out


# --- The roll-up of a unit's month -----------------------------------------------------------------------


@dataclass
class Row:
    unit: OrgUnit
    level: int
    cell: Cell
    timeliness: Timeliness | None = None
    url: str = ""

    @property
    def figures(self) -> Figures:
        return self.cell.figures


@dataclass
class Rollup:
    unit: OrgUnit
    period: Period
    groups: list[FigureGroup]
    total: Row
    rows: list[Row]  # every reporting unit below, in tree order
    children: list[Row]  # the units that file with this one
    own: Figures = field(default_factory=dict)  # additive figures: the total less the direct children's

    @property
    def late(self) -> list[Row]:
        return [r for r in self.children if r.timeliness and r.timeliness.late]

    @property
    def missing(self) -> list[Row]:
        return [r for r in self.children if r.timeliness and r.timeliness.missing]

    def columns(self) -> list[tuple[FigureGroup, Any]]:
        return [(g, f) for g in self.groups for f in g.figures]


def rollup(unit: OrgUnit, period: Period, *, chain: Chain | None = None, total: Figures | None = None,
           today: datetime.date | None = None) -> Rollup:
    """The month of ``unit`` and of every reporting unit below it, with the totals."""
    chain = chain or Chain.of(unit)
    today = today or timezone.localdate()
    below = chain.below(unit)
    units = [unit, *below]
    rows_by_key = summaries_for(unit, [period])
    cells = monthly_table(chain, units, [period], rows_by_key)
    if total is not None:
        cells[(unit.pk, 0)].figures = total
    direct = {c.pk for c in chain.children(unit)}

    def row_of(u: OrgUnit) -> Row:
        cell = cells[(u.pk, 0)]
        t = Timeliness(chain.due(u, period), cell.summary, today)
        return Row(u, u.depth - unit.depth, cell, t, summary_url(u, period, cell.summary))

    rows = [row_of(u) for u in below]
    children = [r for r in rows if r.unit.pk in direct]
    top = Row(unit, 0, cells[(unit.pk, 0)], Timeliness(chain.due(unit, period), cells[(unit.pk, 0)].summary, today))
    all_groups = groups()
    own: Figures = {}
    if children:
        for g in figures.app_groups():
            own[g.key] = {}
            for f in g.figures:
                if f.kind == "additive":
                    rest = sum(((r.figures.get(g.key, {}).get(f.code) or 0) for r in children), 0)
                    own[g.key][f.code] = (top.figures.get(g.key, {}).get(f.code) or 0) - rest
    return Rollup(unit, period, all_groups, top, rows, children, own)


# --- The summary page's data -----------------------------------------------------------------------------


@dataclass
class MonthView:
    unit: OrgUnit
    period: Period
    summary: MonthlySummary | None
    groups: list[FigureGroup]
    shown: Figures  # what the page shows as this summary's figures
    source: str
    live: Figures
    breakdowns: dict[str, Any]
    changes: list[figures.Change]  # stored snapshot vs the records now (returned/submitted)
    adjustments: list[dict[str, Any]]
    rollup: Rollup
    timeliness: Timeliness
    chain: Chain

    @property
    def breakdown_tables(self) -> list[tuple[Any, Any, list[tuple[str, Any]]]]:
        out = []
        for g in self.groups:
            for b in g.breakdowns:
                values = self.breakdowns.get(g.key, {}).get(b.code, {})
                out.append((g, b, list(values.items())))
        return out


def month_view(unit: OrgUnit, period: Period, summary: MonthlySummary | None) -> MonthView:
    from .summaries import adjustments as find_adjustments

    tree = UnitTree(unit)
    chain = Chain(tree)
    live = live_figures(unit, period, chain)
    reported = summary is not None and summary.status in REPORTED_STATES and bool(summary.figures)
    if reported:
        assert summary is not None
        shown, source = stored_values(summary), FROZEN if summary.status == S.ACCEPTED else FILED
        breakdowns = stored_breakdowns(summary)
        lines = summary.adjustments
    else:
        shown, source = live, LIVE
        breakdowns = figures.compute_breakdowns(unit, period)
        lines = find_adjustments(unit, period, exclude=summary, tree=tree) if period.ended() else []
    # What changed since the figures were taken: a returned summary recomputed before it is sent
    # again, a submitted one in front of its reviewer.
    changes: list[figures.Change] = []
    if summary is not None and summary.figures and summary.status in (S.RETURNED, S.SUBMITTED):
        changes = figures.diff(groups(), stored_values(summary), live)
    roll = rollup(unit, period, chain=chain, total=shown)
    return MonthView(unit, period, summary, groups(), shown, source, live, breakdowns, changes, lines, roll,
                     roll.total.timeliness or Timeliness(chain.due(unit, period), summary, timezone.localdate()),
                     chain)


# --- Statistics (季度分析, 年度统计) ----------------------------------------------------------------------


@dataclass
class StatLine:
    group: FigureGroup
    figure: Any
    now: Any
    before: Any

    @property
    def delta(self) -> Any:
        if self.now is None or self.before is None:
            return None
        return Decimal(str(self.now)) - Decimal(str(self.before))

    @property
    def change_percent(self) -> Decimal | None:
        if self.figure.kind == "rate" or self.delta is None or not self.before:
            return None
        return (self.delta * 100 / Decimal(str(self.before))).quantize(Decimal("0.1"))


@dataclass
class Stats:
    unit: OrgUnit
    period: Period
    previous: Period
    groups: list[FigureGroup]
    lines: list[StatLine]
    children: list[tuple[OrgUnit, Figures, Figures]]  # (unit, this period, previous period)
    months: list[tuple[Period, Figures]]  # the unit's months in the period
    total: Figures
    before: Figures
    pending_months: list[Period]  # months in the period not yet accepted (figures may still move)


def statistics(unit: OrgUnit, period: Period) -> Stats:
    chain = Chain.of(unit)
    children = chain.children(unit)
    units = [unit, *children]
    previous = period.previous()
    per = period_figures(chain, units, [period, previous])
    months = period.months()
    monthly = monthly_table(chain, [unit], months)
    all_groups = groups()
    lines = [StatLine(g, f, per[(unit.pk, 0)].get(g.key, {}).get(f.code), per[(unit.pk, 1)].get(g.key, {}).get(f.code))
             for g in all_groups for f in g.figures]
    pending = [m for i, m in enumerate(months) if monthly[(unit.pk, i)].source != FROZEN]
    return Stats(unit, period, previous, all_groups, lines,
                 [(c, per[(c.pk, 0)], per[(c.pk, 1)]) for c in children],
                 [(m, monthly[(unit.pk, i)].figures) for i, m in enumerate(months)],
                 per[(unit.pk, 0)], per[(unit.pk, 1)], pending)


# --- The inbox: summaries waiting for the user ----------------------------------------------------------


def inbox_items(user: User) -> list[InboxItem]:
    """Summaries to accept (the reporting units directly below the user's unit, submitted), to
    resubmit (returned) and to file (the last ended month not yet submitted) — through the access
    policy, a fixed number of queries."""
    if not access.reads_cases(user):
        return []
    files = access.role_allows(user, SUMMARY_FILE)
    accepts = access.role_allows(user, SUMMARY_ACCEPT)
    if not (files or accepts):
        return []
    unit = user.org_unit
    if unit is None:
        return []
    chain = Chain.of(unit)
    items: list[InboxItem] = []
    visible = access.visible(MonthlySummary.objects.select_related("org_unit"), user)
    if accepts:
        children = chain.children(unit)
        for s in visible.filter(org_unit__in=children, status=S.SUBMITTED).order_by("submitted_at"):
            period = period_of(s)
            items.append(InboxItem(kind="月度汇总待审核", title=f"{s.org_unit} {period.label}", url=s.get_absolute_url(),
                                   since=s.submitted_at or s.updated_at, due=chain.due(unit, period),
                                   unit=str(s.org_unit), app="月度汇总", record=s))
    if chain.reports(unit) and (accepts if unit.parent_id is None else files):
        last = figures.last_ended_month()
        top = unit.parent_id is None
        own = visible.filter(Q(status__in=OPEN_STATES) | Q(year=last.year, month=last.month_number), org_unit=unit)
        seen = set()
        for s in own:
            period = period_of(s)
            seen.add(period)
            if not period.ended() or s.status not in OPEN_STATES:
                continue
            kind = "月度汇总退回待重报" if s.status == S.RETURNED else ("月度汇总待备案" if top else "月度汇总待报送")
            items.append(InboxItem(kind=kind, title=f"{unit} {period.label}", url=s.get_absolute_url(),
                                   since=s.updated_at, due=chain.due(unit, period), unit=str(unit), app="月度汇总",
                                   record=s))
        if last not in seen:
            since = datetime.datetime.combine(last.last + datetime.timedelta(days=1), datetime.time.min,
                                              tzinfo=timezone.get_current_timezone())
            items.append(InboxItem(kind="月度汇总待备案" if top else "月度汇总待报送", title=f"{unit} {last.label}",
                                   url=unit_month_url(unit, last), since=since, due=chain.due(unit, last),
                                   unit=str(unit), app="月度汇总"))
    return items


# --- Dashboards -----------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    unit: OrgUnit
    last: Period
    own: Timeliness | None = None
    own_url: str = ""
    children: list[Row] = field(default_factory=list)
    by_child: list[charts.Chart] = field(default_factory=list)  # supervisor: month to date by unit below
    by_child_period: str = ""
    trends: list[charts.Chart] = field(default_factory=list)  # the city: the last twelve months
    compare: list[charts.Chart] = field(default_factory=list)  # the city: its districts, last month

    @property
    def late(self) -> list[Row]:
        return [r for r in self.children if r.timeliness and r.timeliness.late]

    @property
    def waiting(self) -> list[Row]:
        return [r for r in self.children if r.cell.summary and r.cell.summary.status == S.SUBMITTED]


def headline(all_groups: Sequence[FigureGroup]) -> list[tuple[FigureGroup, Any]]:
    return [(g, f) for g in all_groups for f in g.figures if f.headline]


def _value(values: Figures, group: FigureGroup, f: Any) -> Any:
    return values.get(group.key, {}).get(f.code)


def _chart_for(title: str, f: Any, points: list[tuple[str, Any]], *, trend: bool, category: str) -> charts.Chart:
    unit = "%" if f.kind == "rate" else f.unit
    label = f"{f.label}（{'%' if f.kind == 'rate' else f.unit}）" if unit else f.label
    if trend and f.kind == "rate":
        return charts.line_chart(title, points, unit=unit, label=label, note=f.note, category=category)
    return charts.bar_chart(title, points, unit=unit, label=label, note=f.note, category=category, across=trend)


def _month_label(month: Period, first: bool) -> str:
    return f"{month.year}年{month.month_number}月" if first or month.month_number == 1 else f"{month.month_number}月"


def dashboard(user: Any, today: datetime.date | None = None) -> Dashboard | None:
    """What the dashboard shows of the summaries and figures for this user (None: nothing)."""
    if not access.reads_cases(user):
        return None
    today = today or timezone.localdate()
    unit = user.org_unit
    if unit is None:
        return None
    chain = Chain.of(unit)
    last = figures.last_ended_month(today)
    board = Dashboard(unit, last)
    all_groups = groups()
    lines = headline(all_groups)
    if chain.reports(unit):
        s = MonthlySummary.objects.filter(org_unit=unit, year=last.year, month=last.month_number).first()
        board.own = Timeliness(chain.due(unit, last), s, today)
        board.own_url = summary_url(unit, last, s)
    children = chain.children(unit)
    top = unit.parent_id is None
    if children and access.role_allows(user, SUMMARY_ACCEPT):
        roll = rollup(unit, last, chain=chain, today=today)
        board.children = roll.children
        # Month to date, by unit below: overdue cases, closure rates … as the records stand today.
        mtd = Period(today.replace(day=1), today)
        now = figures.table(chain.tree, children, [mtd])
        board.by_child_period = f"{today.month}月1日至{today.month}月{today.day}日"
        for g, f in lines:
            if g.key == CORE_GROUP or top:  # the city compares its districts below, by month
                continue
            points = [(c.name, _value(now[(c.pk, 0)], g, f)) for c in children]
            board.by_child.append(_chart_for(f"{f.label}：各下级单位（本月截至今日）", f, points, trend=False,
                                             category="单位"))
    if top:
        months = []
        month = last
        for _ in range(12):
            months.append(month)
            month = month.previous()
        months.reverse()
        cells = monthly_table(chain, [unit], months)
        for g, f in lines:
            points = [(_month_label(m, i == 0), _value(cells[(unit.pk, i)].figures, g, f)) for i, m in enumerate(months)]
            board.trends.append(_chart_for(f"{f.label}：近12个月", f, points, trend=True, category="月份"))
        for g in figures.app_groups():
            for b in g.breakdowns:
                if not b.headline:
                    continue
                per_month = []
                for i, m in enumerate(months):
                    cell = cells[(unit.pk, i)]
                    stored = stored_breakdowns(cell.summary) if cell.source != LIVE and cell.summary else None
                    values = (stored or figures.compute_breakdowns(unit, m)).get(g.key, {}).get(b.code, {})
                    per_month.append(values)
                labels = list(dict.fromkeys(k for values in per_month for k in values))
                series = [(label, [values.get(label, 0) for values in per_month]) for label in labels
                          if any(values.get(label) for values in per_month)]
                board.trends.append(charts.stacked_chart(
                    f"{b.label}：近12个月", [_month_label(m, i == 0) for i, m in enumerate(months)], series, unit=b.unit))
        if children:
            compare = monthly_table(chain, children, [last])
            for g, f in lines:
                points = [(c.name, _value(compare[(c.pk, 0)].figures, g, f)) for c in children]
                board.compare.append(_chart_for(f"{f.label}：各区县比较（{last.label}）", f, points, trend=False,
                                                category="单位"))
    if board.own is None and not board.children and not board.trends:
        return None
    return board
