"""Charts drawn on the server as SVG: no JavaScript, no library, nothing from the internet.

Each chart comes with its numbers as a table (``Chart.columns`` / ``Chart.rows``), shown beside it:
the table is the accessible and exact form, the drawing the quick one. The SVG uses presentation
attributes only (``fill``, ``stroke``), never ``style`` (a strict Content-Security-Policy is coming),
so it looks the same on screen, in print and in a PDF. Bars carry their value as text, and the
series of a stacked chart differ in lightness and hatching as well as in colour, so a chart stays
readable on a black-and-white printer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 600, 250
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 56
INK, GRID, MUTED = "#1f2933", "#d5dde6", "#5b6b7b"
# Dark to light, so neighbours differ in grey as well as in hue; hatching for every other series.
PALETTE = ["#1f4e79", "#c0504d", "#8faadc", "#f4b183", "#385723", "#a9d18e", "#7f6000", "#ffd966",
           "#3b3838", "#bfbfbf"]
_ids = itertools.count(1)


@dataclass
class Chart:
    title: str
    svg: SafeString
    columns: list[str]
    rows: list[list[str]]
    unit: str = ""
    note: str = ""
    wide: bool = False  # the table has a column per category (months), below the drawing
    key: str = field(default_factory=lambda: f"chart-{next(_ids)}")


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return None


def _fmt(value: Any, unit: str = "") -> str:
    number = _num(value)
    if number is None:
        return "—"
    if unit == "%":
        return f"{number:.1f}%"
    if unit in ("元", "万元"):
        return f"{number:,.2f}"
    return f"{int(number)}" if number == int(number) else f"{number:.1f}"


def _nice_max(value: float, whole: bool = True) -> float:
    """A round top for the axis; for counts one whose quarters (the grid lines) are whole numbers."""
    if value <= 0:
        return 4.0 if whole else 1.0
    if whole and value <= 40:
        return float(math.ceil(value / 4) * 4)
    magnitude = 10 ** math.floor(math.log10(value))
    for step in ((1, 2, 4, 5, 8, 10) if whole else (1, 2, 2.5, 5, 10)):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _frame(title: str, body: list[str], desc: str, top: float, unit: str, height: int = HEIGHT) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">',
             f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
             '<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6">'
             '<path d="M0,6 L6,0" stroke="#ffffff" stroke-width="1.4"/></pattern></defs>']
    for k in range(5):
        y = TOP + plot_h - plot_h * k / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="{MUTED}">'
                     f"{escape(_fmt(top * k / 4, unit))}</text>")
    parts.extend(body)
    parts.append(f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="{INK}" '
                 'stroke-width="1"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every text inside went through escape()


def _label(x: float, text: str, n: int) -> str:
    plot_bottom = HEIGHT - BOTTOM
    short = text if len(text) <= (14 if n <= 6 else 8) else text[: (13 if n <= 6 else 7)] + "…"
    if n > 8:
        return (f'<text x="{x:.1f}" y="{plot_bottom + 12}" font-size="11" fill="{INK}" text-anchor="end" '
                f'transform="rotate(-35 {x:.1f} {plot_bottom + 12})">{escape(short)}</text>')
    return f'<text x="{x:.1f}" y="{plot_bottom + 16}" font-size="12" fill="{INK}" text-anchor="middle">{escape(short)}</text>'


def _table(points: Sequence[tuple[str, Any]], unit: str, label: str, category: str,
           across: bool) -> tuple[list[str], list[list[str]], bool]:
    if across:  # a row of values under a row of categories (a trend's months)
        return [category, *[name for name, _ in points]], [[label, *[_fmt(v, unit) for _, v in points]]], True
    return [category, label], [[name, _fmt(v, unit)] for name, v in points], False


def bar_chart(title: str, points: Sequence[tuple[str, Any]], *, unit: str = "", label: str = "", note: str = "",
              category: str = "", across: bool = False) -> Chart:
    """One bar per point (units compared, months of a trend)."""
    values = [_num(v) for _, v in points]
    top = 100.0 if unit == "%" else _nice_max(max([v for v in values if v is not None] or [0]),
                                              whole=unit not in ("元", "万元"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(points), 1)
    slot = plot_w / n
    bar = min(slot * 0.64, 56)
    body = []
    for i, ((name, raw), value) in enumerate(zip(points, values, strict=True)):
        x = LEFT + slot * i + (slot - bar) / 2
        cx = x + bar / 2
        if value is not None:
            h = plot_h * value / top
            y = TOP + plot_h - h
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{PALETTE[0]}">'
                        f"<title>{escape(name)}：{escape(_fmt(raw, unit))}</title></rect>")
            if n <= 16:
                body.append(f'<text x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" fill="{INK}">'
                            f"{escape(_fmt(raw, unit))}</text>")
        else:
            body.append(f'<text x="{cx:.1f}" y="{TOP + plot_h - 4}" text-anchor="middle" font-size="12" '
                        f'fill="{MUTED}">—</text>')
        body.append(_label(cx, name, n))
    desc = "；".join(f"{name} {_fmt(raw, unit)}" for name, raw in points)
    svg = _frame(title, body, desc, top, unit)
    columns, rows, wide = _table(points, unit, label or title, category or "项目", across)
    return Chart(title, svg, columns, rows, unit=unit, note=note, wide=wide)


def line_chart(title: str, points: Sequence[tuple[str, Any]], *, unit: str = "", label: str = "", note: str = "",
               category: str = "月份", across: bool = True) -> Chart:
    """A trend: the points joined by a line, each marked and labelled (rates over the months)."""
    values = [_num(v) for _, v in points]
    top = 100.0 if unit == "%" else _nice_max(max([v for v in values if v is not None] or [0]),
                                              whole=unit not in ("元", "万元"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(points), 1)
    slot = plot_w / n
    body: list[str] = []
    path: list[str] = []
    for i, ((name, raw), value) in enumerate(zip(points, values, strict=True)):
        cx = LEFT + slot * i + slot / 2
        if value is not None:
            y = TOP + plot_h - plot_h * value / top
            path.append(f"{'M' if not path else 'L'}{cx:.1f},{y:.1f}")
            body.append(f'<circle cx="{cx:.1f}" cy="{y:.1f}" r="3.5" fill="{PALETTE[1]}">'
                        f"<title>{escape(name)}：{escape(_fmt(raw, unit))}</title></circle>")
            if n <= 16:
                body.append(f'<text x="{cx:.1f}" y="{y - 7:.1f}" text-anchor="middle" font-size="12" fill="{INK}">'
                            f"{escape(_fmt(raw, unit))}</text>")
        body.append(_label(cx, name, n))
    if path:
        body.insert(0, f'<path d="{" ".join(path)}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    desc = "；".join(f"{name} {_fmt(raw, unit)}" for name, raw in points)
    svg = _frame(title, body, desc, top, unit)
    columns, rows, wide = _table(points, unit, label or title, category, across)
    return Chart(title, svg, columns, rows, unit=unit, note=note, wide=wide)


def stacked_chart(title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]], *,
                  unit: str = "", note: str = "", series_label: str = "类别") -> Chart:
    """One column per category (a month), stacked by series (problem categories), with a legend."""
    totals = [sum(_num(values[i]) or 0 for _, values in series) for i in range(len(categories))]
    top = _nice_max(max(totals or [0]), whole=unit not in ("元", "万元"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(categories), 1)
    slot = plot_w / n
    bar = min(slot * 0.64, 56)
    body = []
    for i, name in enumerate(categories):
        x = LEFT + slot * i + (slot - bar) / 2
        y: float = TOP + plot_h
        for k, (label, values) in enumerate(series):
            value = _num(values[i]) or 0
            if not value:
                continue
            h = plot_h * value / top
            y -= h
            colour = PALETTE[k % len(PALETTE)]
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}" '
                        f'stroke="#ffffff" stroke-width="0.6"><title>{escape(name)} {escape(label)}：'
                        f"{escape(_fmt(value, unit))}</title></rect>")
            if k % 2:
                body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="url(#hatch)"/>')
        if totals[i] and n <= 16:
            body.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" '
                        f'fill="{INK}">{escape(_fmt(totals[i], unit))}</text>')
        body.append(_label(x + bar / 2, name, n))
    # The legend, inside the drawing (a swatch in HTML would need a style attribute).
    per_row = 4
    for k, (label, _) in enumerate(series):
        lx = LEFT + (k % per_row) * ((WIDTH - LEFT - RIGHT) / per_row)
        ly = HEIGHT + 4 + (k // per_row) * 18
        colour = PALETTE[k % len(PALETTE)]
        body.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" fill="{colour}" stroke="{INK}" '
                    'stroke-width="0.4"/>')
        if k % 2:
            body.append(f'<rect x="{lx:.1f}" y="{ly}" width="12" height="12" fill="url(#hatch)"/>')
        body.append(f'<text x="{lx + 16:.1f}" y="{ly + 10}" font-size="12" fill="{INK}">{escape(label[:12])}</text>')
    height = HEIGHT + 8 + ((len(series) + per_row - 1) // per_row) * 18
    desc = "；".join(f"{name} 合计 {_fmt(t, unit)}" for name, t in zip(categories, totals, strict=True))
    svg = _frame(title, body, desc, top, unit, height)
    rows = [[label, *[_fmt(v, unit) for v in values], _fmt(sum(_num(v) or 0 for v in values), unit)]
            for label, values in series]
    rows.append(["合计", *[_fmt(t, unit) for t in totals], _fmt(sum(totals), unit)])
    return Chart(title, svg, [series_label, *categories, "合计"], rows, unit=unit, note=note, wide=True)
