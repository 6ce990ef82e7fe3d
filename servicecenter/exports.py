"""Excel registers: a register is declared (title + columns), then streamed from a queryset.

The file looks like the paper register: a title row, a row with unit, period and date of
printing, a header row frozen in place, numbered rows, a totals row and a signature line.
Rows are written with openpyxl's write-only mode from ``QuerySet.values_list().iterator()``, so
memory stays flat however many rows there are. Any text that a spreadsheet would take for a
formula (or an error value) is stored as text, and characters that XML cannot hold are dropped.

Speed: openpyxl's own per-cell work dominates, so the per-row work here is kept to what the
register's columns need, planned once per export rather than decided per cell:

* plain values (text, numbers) go to openpyxl untouched, except that empty text becomes an empty
  cell, which openpyxl skips instead of writing an empty string; text columns are checked once per row
  with a single regular expression over the row's text, and only a row that matches (a value
  starting with ``=``/``#``, or a control character) is looked at cell by cell;
* a cell object costs more than a bare value (openpyxl tries it as a value first and falls back
  on a caught ValueError), so only what needs a style gets one: a money column reuses one
  pre-formatted ``WriteOnlyCell`` (openpyxl writes a row completely inside ``append``, so the
  cell can carry the next row's value); dates are passed bare and openpyxl formats them.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import IO, Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from . import audit
from .xlsxrows import RowStream

FORMULA_PREFIXES = ("=", "+", "-", "@")
MONEY_FORMAT = "#,##0.00"
KINDS = ("text", "int", "money", "date", "datetime", "bool")

# What XML 1.0 cannot hold (openpyxl refuses these with IllegalCharacterError, which would abort
# the export half-written).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# One search over a row's text values joined by "\n": a control character, or a value (line) that
# openpyxl would write as a formula ("=…") or an error ("#N/A" …). A match only sends the row down
# the cell-by-cell path, so a value with an embedded newline before "=" costs time, not correctness.
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|^[=#]", re.MULTILINE)

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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Column {self.header!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")


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


class _RowPlan:
    """Turns a ``values_list`` tuple into the list appended to the sheet (序号 first).

    Built once per export: each kind of fix-up has its own list of column positions, so a row
    costs one short loop per kind the register actually uses.
    """

    def __init__(self, ws: Any, columns: list[Column]) -> None:
        self.ws = ws
        self.tz = timezone.get_current_timezone()
        self.transforms: list[tuple[int, Callable[[Any], Any]]] = []
        self.labels: list[tuple[int, dict]] = []
        self.bools: list[int] = []
        self.datetimes: list[int] = []
        self.styled: list[tuple[int, Any]] = []  # (position, reused pre-formatted cell)
        text: list[int] = []
        for i, column in enumerate(columns):
            pos = i + 1  # after 序号
            if column.transform is not None:
                self.transforms.append((pos, column.transform))
            if column.labels is not None:
                self.labels.append((pos, column.labels))
                text.append(pos)  # an unknown code is shown as stored
            elif column.kind == "bool":
                self.bools.append(pos)
            elif column.kind in ("date", "datetime", "int"):
                # openpyxl gives a date/datetime its own date format; numbers need none.
                if column.kind == "datetime":
                    self.datetimes.append(pos)
                if column.transform is not None:
                    text.append(pos)  # a transform may return text
            elif column.kind == "money":
                self.styled.append((pos, _formatted_cell(ws, MONEY_FORMAT)))
                if column.transform is not None:
                    text.append(pos)
            elif column.kind == "text" or column.transform is not None:
                text.append(pos)
        self.text = text
        self.text_values: Callable[[list], tuple] | None
        if len(text) > 1:
            self.text_values = itemgetter(*text)
        elif text:
            only = text[0]
            self.text_values = lambda row: (row[only],)
        else:
            self.text_values = None

    def __call__(self, number: int, raw: tuple) -> list:
        row = [number, *raw]
        for pos, transform in self.transforms:
            row[pos] = transform(row[pos])
        for pos, labels in self.labels:
            value = row[pos]
            if value is not None:
                row[pos] = labels.get(value, value)
        for pos in self.bools:
            value = row[pos]
            if value is not None:
                row[pos] = "是" if value else "否"
        for pos in self.datetimes:
            value = row[pos]
            if isinstance(value, datetime.datetime) and value.tzinfo is not None:
                # Excel has no time zones: show the wall-clock time in Beijing.
                row[pos] = value.astimezone(self.tz).replace(tzinfo=None)
        for pos, cell in self.styled:
            value = row[pos]
            if value is not None and not isinstance(value, str):
                cell.value = value
                row[pos] = cell
        if self.text_values is not None:
            texts = self.text_values(row)
            if "" in texts:  # an empty cell is not written at all; an empty string would be
                for pos in self.text:
                    if row[pos] == "":
                        row[pos] = None
            try:
                suspect = _SUSPECT.search("\n".join(filter(None, texts))) is not None
            except TypeError:  # a non-text value in a text column
                suspect = True
            if suspect:
                for pos in self.text:
                    value = row[pos]
                    if isinstance(value, str):
                        row[pos] = _safe_text(self.ws, value)
        return row


def _safe_text(ws: Any, value: str) -> Any:
    """``value`` as openpyxl will store it as text: control characters dropped, and a forced
    string cell where openpyxl would otherwise write a formula or an error value."""
    value = _ILLEGAL.sub("", value)
    if value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES:
        return _text_cell(ws, value)
    return value


def _formatted_cell(ws: Any, number_format: str) -> Any:
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return cell


def write_register(
    register: Register,
    rows: Iterable[tuple],
    out: IO[bytes] | str,
    *,
    unit_name: str,
    period: str = "",
    printed_at: datetime.datetime | None = None,
) -> int:
    """Write the register to ``out`` and return the number of data rows. ``rows`` is consumed
    once, row by row (pass an iterator; nothing is kept)."""
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

    # Data rows go in as ready-made XML (xlsxrows.py): the same cells ``ws.append`` would write, at
    # 3-4 times openpyxl's speed (bench/README.md). Attached after the sheet's settings are
    # made (they are written when the first row is), before row 1.
    stream = RowStream.attach(ws)
    title = WriteOnlyCell(ws, value=register.title)
    title.font = Font(bold=True, size=16)
    title.alignment = Alignment(horizontal="center", vertical="center")
    ws.append([title])
    printed = timezone.localtime(printed_at or timezone.now())
    info_text = f"填报单位：{unit_name}"
    if period:
        info_text += f"　　统计期间：{period}"
    info_text += f"　　制表日期：{printed:%Y-%m-%d}"
    ws.append([_safe_text(ws, info_text)])
    header = []
    for text in ["序号", *[c.header for c in columns]]:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.alignment, cell.border = _HEADER_FONT, _HEADER_FILL, _CENTER, _BORDER
        header.append(cell)
    ws.append(header)

    plan = _RowPlan(ws, columns)
    total_cols = [i for i, c in enumerate(columns) if c.total]
    totals = [0] * len(total_cols)
    append = stream.append if stream is not None else ws.append
    count = 0
    for count, raw in enumerate(rows, start=1):  # noqa: B007 — count is the row total after the loop
        for t, i in enumerate(total_cols):
            value = raw[i]
            if value is not None:
                totals[t] += value  # a bool adds 0 or 1
        append(plan(count, raw))

    by_col = dict(zip(total_cols, totals, strict=True))
    total_row: list[Any] = [_bold(ws, "合计")]
    for i, column in enumerate(columns):
        if i in by_col:
            cell = WriteOnlyCell(ws, value=by_col[i])
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


def _text_cell(ws: Any, value: str) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # a string, never a formula, whatever it starts with
    return cell


def _bold(ws: Any, value: str) -> Any:
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
    except BaseException:
        handle.close()
        raise
    finally:
        # Unlinked at once: the open handle keeps the data until the response has been sent.
        os.unlink(handle.name)
    audit.record(audit.Event.EXPORT, request=request, detail=f"{register.title} {count}行 {detail}".strip())
    filename = f"{register.filename}-{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response
