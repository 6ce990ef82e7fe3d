"""Excel registers: a register is declared (title + columns), then streamed from a queryset.

The file looks like the paper register: a title row, a row with unit, period and date of
printing, a header row frozen in place, numbered rows, a totals row and a signature line.
Rows are written with openpyxl's write-only mode from ``QuerySet.values_list().iterator()``, so
memory stays flat however many rows there are. Any text that a spreadsheet would take for a
formula is stored as text.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from . import audit

FORMULA_PREFIXES = ("=", "+", "-", "@")
MONEY_FORMAT = "#,##0.00"

_thin = Side(style="thin", color="808080")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    width: float = 12
    kind: str = "text"  # text | int | money | date | datetime | bool
    total: bool = False
    labels: dict[Any, str] | None = None  # stored code → label shown (choices)
    transform: Callable[[Any], Any] | None = None


@dataclass
class Register:
    """What a register shows. ``fields`` of the columns are ``values_list`` paths."""

    title: str
    columns: list[Column]
    filename: str
    extra_fields: list[str] = field(default_factory=list)

    def rows(self, queryset: QuerySet, chunk_size: int = 2000) -> Iterator[tuple]:
        fields = [c.field for c in self.columns]
        return queryset.values_list(*fields).iterator(chunk_size=chunk_size)


def _cell_value(column: Column, value: Any) -> Any:
    if column.transform is not None:
        value = column.transform(value)
    if value is None:
        return None
    if column.labels is not None:
        return column.labels.get(value, value)
    kind = column.kind
    if kind == "bool":
        return "是" if value else "否"
    if kind == "datetime" and isinstance(value, datetime.datetime):
        # Excel has no time zones: show the wall-clock time in Beijing.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


def write_register(
    register: Register,
    rows: Iterable[tuple],
    out: IO[bytes] | str,
    *,
    unit_name: str,
    period: str = "",
    printed_at: datetime.datetime | None = None,
) -> int:
    """Write the register to ``out`` and return the number of data rows."""
    columns = register.columns
    ncols = len(columns) + 1  # + 序号
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(register.title[:31])
    ws.column_dimensions["A"].width = 6
    for i, column in enumerate(columns, start=2):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    last_col = get_column_letter(ncols)
    ws.merged_cells.add(f"A1:{last_col}1")
    ws.merged_cells.add(f"A2:{last_col}2")

    title = WriteOnlyCell(ws, value=register.title)
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.append([title])
    printed = timezone.localtime(printed_at or timezone.now())
    info_text = f"填报单位：{unit_name}"
    if period:
        info_text += f"　　统计期间：{period}"
    info_text += f"　　制表日期：{printed:%Y-%m-%d}"
    ws.append([_text_cell(ws, info_text)])
    header = []
    for text in ["序号", *[c.header for c in columns]]:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = _HEADER_FONT, _HEADER_FILL, _CENTER, _BORDER
        header.append(cell)
    ws.append(header)

    money_cols = {i for i, c in enumerate(columns) if c.kind == "money"}
    text_cols = {i for i, c in enumerate(columns) if c.kind == "text" or c.labels is not None}
    total_cols = [i for i, c in enumerate(columns) if c.total]
    totals: dict[int, Any] = dict.fromkeys(total_cols, 0)
    count = 0
    for count, raw in enumerate(rows, start=1):  # noqa: B007 — count is the row total after the loop
        values: list[Any] = [count]
        for i, column in enumerate(columns):
            value = _cell_value(column, raw[i])
            if i in text_cols and isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
                value = _text_cell(ws, value)
            elif i in money_cols and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = MONEY_FORMAT
                value = cell
            values.append(value)
        for i in total_cols:
            if raw[i] is not None:
                totals[i] += raw[i] if not isinstance(raw[i], bool) else int(raw[i])
        ws.append(values)

    total_row: list[Any] = [_bold(ws, "合计")]
    for i, column in enumerate(columns):
        if i in totals:
            cell = WriteOnlyCell(ws, value=totals[i])
            cell.font = _HEADER_FONT
            if column.kind == "money":
                cell.number_format = MONEY_FORMAT
            total_row.append(cell)
        elif i == 0:
            total_row.append(_bold(ws, f"共 {count} 条"))
        else:
            total_row.append(None)
    ws.append(total_row)
    ws.append([])
    ws.append([None, "制表人：", None, "审核人：", None, "负责人："])
    wb.save(out)
    return count


def _text_cell(ws: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # a string, never a formula, whatever it starts with
    return cell


def _bold(ws: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.font = _HEADER_FONT
    return cell


def register_response(
    register: Register,
    queryset: QuerySet,
    *,
    request: HttpRequest,
    unit_name: str,
    period: str = "",
    detail: str = "",
) -> FileResponse:
    """Stream the register as a download and audit the export. ``queryset`` must already be the
    list's scoped, filtered queryset (``access.visible`` + the list's filterset)."""
    handle = tempfile.NamedTemporaryFile(prefix="register-", suffix=".xlsx", delete=False)  # noqa: SIM115
    try:
        count = write_register(register, register.rows(queryset), handle, unit_name=unit_name, period=period)
        handle.seek(0)
    finally:
        # Unlinked at once: the open handle keeps the data until the response has been sent.
        os.unlink(handle.name)
    audit.record(audit.Event.EXPORT, request=request, detail=f"{register.title} {count}行 {detail}".strip())
    filename = f"{register.filename}-{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response

