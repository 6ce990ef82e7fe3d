"""Fast rows for openpyxl's write-only worksheets.

openpyxl spends about 5 µs per cell on a data row (a cell object, type inference, string checks,
coordinate, style lookup, one lxml ``element()`` context per tag). A register row is a handful of
plain values — text, whole numbers, dates — so :class:`RowStream` writes such rows as ready-made
XML text straight into the worksheet's stream, in batches, and hands everything else (a styled or
forced-text cell object, a formula-looking or error-looking string, a float NaN, a time, a Decimal,
an aware datetime …) to openpyxl's own cell writer, so the cells in the file are exactly what
``ws.append`` would have written. ``tests/core/test_exportjobs.py`` compares the two byte for
value, type and number format.

It relies on openpyxl 3.1's write-only internals (``ws._writer``, ``ws._rows``) and on lxml's
incremental writer (``xmlfile.flush``); :meth:`RowStream.attach` returns ``None`` where those are
not as expected, and the caller then simply uses ``ws.append``.
"""

from __future__ import annotations

import contextlib
import datetime
import math
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

try:
    from lxml.etree import tostring, xmlfile
    from openpyxl.cell._writer import etree_write_cell
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.xml.constants import SHEET_MAIN_NS
except ImportError:  # pragma: no cover — no lxml: openpyxl's own path only
    WorksheetWriter = object

BATCH_CHARS = 32_768  # pending XML written out past this size: memory stays flat and small
MAX_TEXT = 32767  # what openpyxl keeps of a longer string


class _StreamWriter(WorksheetWriter):
    """openpyxl's worksheet writer, but writing through a file object we can also write to."""

    fh: IO[bytes]

    def get_stream(self) -> Any:
        with open(self.out, "wb") as fh, xmlfile(fh) as xf:
            self.fh = fh
            with xf.element("worksheet", xmlns=SHEET_MAIN_NS):
                try:
                    while True:
                        el = yield
                        if el is True:
                            yield xf
                        elif el is None:
                            continue
                        else:
                            xf.write(el)
                except GeneratorExit:
                    pass


class _Collector:
    """Looks like lxml's ``xmlfile`` to openpyxl's cell writer; keeps the element it writes."""

    __slots__ = ("element",)

    def __init__(self) -> None:
        self.element: Any = None

    def write(self, element: Any) -> None:
        self.element = element


def _escape(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


class RowStream:
    """Appends rows to a write-only worksheet. Attach before the sheet's first ``append``; after
    that, ``ws.append`` and :meth:`append` may be mixed freely (row numbers stay in order)."""

    @classmethod
    def attach(cls, ws: Any) -> RowStream | None:
        if not (openpyxl.LXML and WorksheetWriter is not object and getattr(ws, "_writer", 1) is None
                and getattr(ws, "_rows", 1) is None and hasattr(ws, "_values_to_row")):
            return None
        return cls(ws)

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        ws._writer = _StreamWriter(ws)
        ws._writer.write_top()
        self.next_row = 1
        self.pending: list[str] = []
        self.pending_chars = 0
        self.collector = _Collector()
        self.letters: list[str] = []
        wb = ws.parent
        self.epoch = wb.epoch
        # openpyxl gives a bare date/datetime its default number format; take the same styles.
        self.date_styles = {} if wb.iso_dates else {
            t: str(WriteOnlyCell(ws, value=t(2000, 1, 1)).style_id) for t in (datetime.date, datetime.datetime)}
        self.xf: Any = None
        ws._rows = self._rows()
        next(ws._rows)

    # openpyxl's ``_write_rows`` coroutine, plus our pending text before each row it writes.
    def _rows(self) -> Any:
        ws, writer = self.ws, self.ws._writer
        xf = self.xf = writer.xf.send(True)
        with xf.element("sheetData"):
            try:
                while True:
                    row = yield
                    self.flush()
                    writer.write_row(xf, ws._values_to_row(row, self.next_row), self.next_row)
                    self.next_row += 1
            except GeneratorExit:
                self.flush()
        writer.xf.send(None)

    def flush(self) -> None:
        if self.pending:
            self.xf.flush()
            self.ws._writer.fh.write("".join(self.pending).encode())
            self.pending.clear()
            self.pending_chars = 0

    def append(self, values: list | tuple) -> None:
        """Same cells as ``ws.append(values)``."""
        try:
            self._append(values)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Close the sheet's writers now, in order, after a failed row (rather than leaving
        half-open XML writers for the garbage collector to trip over)."""
        with contextlib.suppress(Exception):
            self.ws._rows.close()
        with contextlib.suppress(Exception):
            self.ws._writer.xf.close()

    def _append(self, values: list | tuple) -> None:
        r = str(self.next_row)
        letters = self.letters
        if len(letters) < len(values):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(values) + 1))
        parts = [f'<row r="{r}">']
        add = parts.append
        date_styles = self.date_styles
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if len(value) > MAX_TEXT:
                    value = value[:MAX_TEXT]
                if value and not ((value[0] == "=" and len(value) > 1) or value in ERROR_CODES
                                  or ILLEGAL_CHARACTERS_RE.search(value)):
                    space = "" if value == value.strip() else ' xml:space="preserve"'
                    add(f'<c r="{letters[col]}{r}" t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>')
                    continue
            elif kind is int or kind is bool:
                add(f'<c r="{letters[col]}{r}" t="{"b" if kind is bool else "n"}"><v>{value:.16g}</v></c>')
                continue
            elif kind is float:
                if math.isfinite(value):
                    add(f'<c r="{letters[col]}{r}" t="n"><v>{value:.16g}</v></c>')
                    continue
            elif kind in date_styles and (kind is datetime.date or value.tzinfo is None):
                add(f'<c r="{letters[col]}{r}" s="{date_styles[kind]}" t="n">'
                    f'<v>{to_excel(value, self.epoch):.16g}</v></c>')
                continue
            add(self._openpyxl_cell(value, col + 1))
        add("</row>")
        row = "".join(parts)
        self.pending.append(row)
        self.pending_chars += len(row)
        self.next_row += 1
        if self.pending_chars >= BATCH_CHARS:
            self.flush()

    def _openpyxl_cell(self, value: Any, column: int) -> str:
        """One cell exactly as openpyxl writes it (a cell object, or a value it must judge)."""
        if isinstance(value, Cell):
            cell = value
            if cell._comment is not None:
                self.ws._comments.append(CommentRecord.from_cell(cell))
            elif cell._value is None and not cell.has_style:
                return ""  # openpyxl skips such a cell too
        else:
            cell = WriteOnlyCell(self.ws, value=value)
        cell.column, cell.row = column, self.next_row
        etree_write_cell(self.collector, self.ws, cell, cell.has_style)
        return tostring(self.collector.element, encoding="unicode")

