"""Monthly summaries and statistics as Excel workbooks laid out like the paper 汇总表: a title, the
unit and period, numbered rows of figures (项目 / 数值 / 计量单位 / 统计口径), the breakdowns, the
adjustment lines, the written part, the data check code and the signature line.

A summary's workbook has a sheet for the unit's own total (合计), one sheet per reporting unit
below it, and a 各单位汇总 sheet with a row per unit and a column per figure. Small enough for
openpyxl's normal mode; every text cell goes through ``safe`` (no formulas from user text).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .exports import FORMULA_PREFIXES
from .figures import FigureGroup, Figures, display
from .rollups import SOURCE_LABELS, MonthView, Stats

_thin = Side(style="thin", color="808080")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=16)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def safe(value: Any) -> Any:
    """Text without the control characters XML cannot hold."""
    return _ILLEGAL.sub("", value) if isinstance(value, str) else value


def put(ws: Worksheet, row: int, column: int, value: Any) -> Any:
    """A cell; text that a spreadsheet would take for a formula is stored as text."""
    c = ws.cell(row=row, column=column, value=safe(value))
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        c.data_type = "s"
    return c


def cell_value(figure: Any, value: Any) -> Any:
    """A number where the figure has one (so the sheet can add up), else the shown text."""
    if value is None:
        return "—"
    if figure.kind == "rate":
        return display(figure, value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return safe(str(value))
    return int(number) if number == int(number) and figure.unit not in ("元", "万元") else number


def _sheet_title(name: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("", name)[:28] or "单位"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}{n}", n + 1
    used.add(title)
    return title


def _header(ws: Worksheet, row: int, texts: Sequence[str]) -> None:
    for col, text in enumerate(texts, start=1):
        c = put(ws, row, col, text)
        c.font, c.fill, c.alignment, c.border = BOLD, HEAD_FILL, CENTER, BORDER


def _title(ws: Worksheet, title: str, info: str, width: int) -> None:
    last = get_column_letter(width)
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    c = put(ws, 1, 1, title)
    c.font, c.alignment = TITLE, CENTER
    put(ws, 2, 1, info)
    ws.row_dimensions[1].height = 28


def _figure_rows(ws: Worksheet, start: int, groups: Sequence[FigureGroup], values: Figures) -> int:
    """项目 rows: a group heading, then one numbered row per figure. Returns the next free row."""
    row, number = start, 0
    _header(ws, row, ["序号", "项目", "数值", "计量单位", "统计口径"])
    row += 1
    for g in groups:
        c = put(ws, row, 1, g.name)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        c.font, c.fill = BOLD, GROUP_FILL
        row += 1
        for f in g.figures:
            number += 1
            basis = "；".join(x for x in (f"按{f.counts_by}" if f.counts_by else "", f.note) if x)
            cells = [number, f.label, cell_value(f, values.get(g.key, {}).get(f.code)), "%" if f.kind == "rate" else f.unit,
                     basis]
            for col, v in enumerate(cells, start=1):
                c = put(ws, row, col, v)
                c.border = BORDER
                if col == 5:
                    c.alignment = WRAP
            row += 1
    return row


def _breakdowns(ws: Worksheet, row: int, view: MonthView, breakdowns: dict[str, Any]) -> int:
    for g in view.groups:
        for b in g.breakdowns:
            values = breakdowns.get(g.key, {}).get(b.code, {})
            if not values:
                continue
            row += 1
            put(ws, row, 1, f"{g.name}：{b.label}").font = BOLD
            row += 1
            _header(ws, row, ["序号", "类别", "数值", "计量单位"])
            row += 1
            total = 0
            for i, (label, value) in enumerate(values.items(), start=1):
                for col, v in enumerate([i, safe(label), value, b.unit], start=1):
                    put(ws, row, col, v).border = BORDER
                total += value or 0
                row += 1
            for col, v in enumerate(["合计", "", total, b.unit], start=1):
                c = put(ws, row, col, v)
                c.border, c.font = BORDER, BOLD
            row += 1
    return row


def _adjustments(ws: Worksheet, row: int, lines: list[dict[str, Any]]) -> int:
    if not lines:
        return row
    row += 1
    put(ws, row, 1, "以往月份调整（已审核月份的记录变动，在本月列示）").font = BOLD
    row += 1
    _header(ws, row, ["月份", "项目", "原数", "现数", "增减"])
    row += 1
    for line in lines:
        for change in line.get("changes", []):
            for col, v in enumerate([line["label"], change["label"], change.get("before"), change.get("after"),
                                     change.get("delta") if change.get("delta") is not None else "—"], start=1):
                put(ws, row, col, v).border = BORDER
            row += 1
    return row


def _written(ws: Worksheet, row: int, summary: Any) -> int:
    if summary is None:
        return row
    for label, name in (("本月工作开展情况", "work_done"), ("存在的问题", "problems"), ("下月工作计划", "next_plan")):
        row += 1
        put(ws, row, 1, label).font = BOLD
        row += 1
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        c = put(ws, row, 1, getattr(summary, name) or "（未填写）")
        c.alignment = WRAP
        ws.row_dimensions[row].height = max(30, min(400, 15 * (1 + len(getattr(summary, name) or "") // 40)))
    return row + 1


def _signatures(ws: Worksheet, row: int, summary: Any) -> None:
    row += 1
    if summary is not None and summary.sha256:
        put(ws, row, 1, f"数据校验码（SHA-256）：{summary.sha256}")
        row += 1
    put(ws, row + 1, 1, "填报人：")
    put(ws, row + 1, 3, "审核人：")
    put(ws, row + 1, 5, "单位负责人：")
    put(ws, row + 2, 5, "（盖章）　　年　　月　　日")


def _widths(ws: Worksheet) -> None:
    for col, width in zip("ABCDE", (8, 30, 14, 10, 44), strict=True):
        ws.column_dimensions[col].width = width
    ws.page_setup.paperSize = "9"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _unit_sheet(wb: Workbook, title: str, heading: str, info: str, view: MonthView, values: Figures,
                breakdowns: dict[str, Any], summary: Any, lines: list[dict[str, Any]]) -> Worksheet:
    ws = wb.create_sheet(title)
    _title(ws, heading, info, 5)
    row = _figure_rows(ws, 4, view.groups, values)
    row = _breakdowns(ws, row, view, breakdowns)
    row = _adjustments(ws, row, lines)
    row = _written(ws, row, summary)
    _signatures(ws, row, summary)
    _widths(ws)
    ws.freeze_panes = "A5"
    return ws


def summary_workbook(view: MonthView) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    summary = view.summary
    state = summary.get_status_display() if summary else "未填报"
    printed = timezone.localtime()
    info = (f"填报单位：{view.unit}　　统计期间：{view.period.first:%Y年%m月%d日}至{view.period.last:%m月%d日}"
            f"　　状态：{state}（{SOURCE_LABELS[view.source]}）　　制表日期：{printed:%Y-%m-%d}")
    heading = f"{view.unit}{view.period.label}职工服务工作月度汇总表"
    _unit_sheet(wb, _sheet_title("合计", used), heading, info, view, view.shown, view.breakdowns, summary,
                view.adjustments)
    for r in view.rollup.rows:
        child = r.cell.summary
        child_state = child.get_status_display() if child else "未填报"
        t = r.timeliness
        late = "（逾期）" if t is not None and t.late else ""
        child_info = (f"填报单位：{r.unit}　　统计期间：{view.period.label}　　状态：{child_state}{late}"
                      f"（{SOURCE_LABELS[r.cell.source]}）　　报送期限：{t.due:%Y-%m-%d}" if t else "")
        breakdowns = {}
        if child is not None and child.figures:
            from .summaries import stored_breakdowns

            breakdowns = stored_breakdowns(child)
        _unit_sheet(wb, _sheet_title(r.unit.name, used), f"{r.unit}{view.period.label}月度汇总表", child_info, view,
                    r.figures, breakdowns, child, (child.adjustments if child else []))
    if view.rollup.rows:
        _matrix(wb, _sheet_title("各单位汇总", used), f"{view.unit}{view.period.label}各单位汇总表", info,
                view.groups, [(("　" * (r.level - 1)) + r.unit.name, r.figures, r.cell.summary.get_status_display()
                               if r.cell.summary else "未填报") for r in view.rollup.rows],
                ("合计", view.shown))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _matrix(wb: Workbook, title: str, heading: str, info: str, groups: Sequence[FigureGroup],
            rows: Sequence[tuple[str, Figures, str]], total: tuple[str, Figures]) -> None:
    """A row per unit, a column per figure (the roll-up), with the total last."""
    figs = [(g, f) for g in groups for f in g.figures]
    ws = wb.create_sheet(title)
    width = 3 + len(figs)
    _title(ws, heading, info, width)
    _header(ws, 3, ["序号", "单位", "状态", *[f"{f.label}（{'%' if f.kind == 'rate' else f.unit}）" for _, f in figs]])
    row = 4
    for i, (name, values, state) in enumerate(rows, start=1):
        cells = [i, safe(name), state, *[cell_value(f, values.get(g.key, {}).get(f.code)) for g, f in figs]]
        for col, v in enumerate(cells, start=1):
            put(ws, row, col, v).border = BORDER
        row += 1
    name, values = total
    for col, v in enumerate(["合计", name, "", *[cell_value(f, values.get(g.key, {}).get(f.code)) for g, f in figs]],
                            start=1):
        c = put(ws, row, col, v)
        c.border, c.font = BORDER, BOLD
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 28
    ws.column_dimensions["C"].width = 12
    for col in range(4, width + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
    ws.freeze_panes = "D4"
    put(ws, row + 2, 2, "制表人：")
    put(ws, row + 2, 5, "审核人：")
    ws.page_setup.orientation = "landscape"


def stats_workbook(stats: Stats) -> bytes:
    """季度分析 / 年度统计: the unit against the period before (with the change), by unit, by month."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    printed = timezone.localtime()
    info = (f"单位：{stats.unit}　　统计期间：{stats.period.label}（对比{stats.previous.label}）"
            f"　　制表日期：{printed:%Y-%m-%d}")
    if stats.pending_months:
        info += "　　含未审核月份：" + "、".join(m.short_label for m in stats.pending_months)
    ws = wb.create_sheet(_sheet_title("合计", used))
    _title(ws, f"{stats.unit}{stats.period.label}{'年度统计' if stats.period.kind == 'year' else '季度分析'}",
           info, 7)
    _header(ws, 3, ["序号", "项目", stats.period.label, stats.previous.label, "增减", "增减幅度", "计量单位"])
    row, current = 4, None
    for number, line in enumerate(stats.lines, start=1):
        if line.group is not current:
            current = line.group
            c = put(ws, row, 1, line.group.name)
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=7)
            c.font, c.fill = BOLD, GROUP_FILL
            row += 1
        f = line.figure
        delta = line.delta
        cells = [number, f.label, cell_value(f, line.now), cell_value(f, line.before),
                 "—" if delta is None else float(delta),
                 "—" if line.change_percent is None else f"{line.change_percent}%",
                 "百分点" if f.kind == "rate" else f.unit]
        for col, v in enumerate(cells, start=1):
            put(ws, row, col, v).border = BORDER
        row += 1
    for letter, width in zip("ABCDEFG", (6, 30, 16, 16, 10, 10, 10), strict=True):
        ws.column_dimensions[letter].width = width
    put(ws, row + 2, 2, "制表人：")
    put(ws, row + 2, 4, "审核人：")
    put(ws, row + 2, 6, "负责人：")
    if stats.children:
        _matrix(wb, _sheet_title("各单位", used), f"{stats.unit}{stats.period.label}各单位统计", info, stats.groups,
                [(u.name, now, "") for u, now, _ in stats.children], ("合计", stats.total))
    _matrix(wb, _sheet_title("各月", used), f"{stats.unit}{stats.period.label}各月统计", info, stats.groups,
            [(m.label, values, "") for m, values in stats.months], ("合计", stats.total))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
