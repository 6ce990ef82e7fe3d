"""The bank files of a batch (openpyxl): the list sent to the bank (报盘文件) and the bank's
result read back (回盘文件).

The list: one row per transfer — 序号, 业务参考号, 户名, 开户银行, 银行账号 (as text, so a long
number keeps every digit), 金额（元）, 摘要 — and a totals row the reader skips.

The result: any sheet whose header row names 业务参考号, 金额（元） (or 金额) and 处理结果 (or 结果),
optionally 失败原因. Each data row is checked here for what the file alone can tell (a reference, a
number, 成功 or 失败); ``batches.batch_bank_import`` checks the rest against the batch. Every
problem is reported with its row number, in Chinese; a file with any problem changes nothing.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from .batch_models import BankTransfer, Batch
from .batches import ResultRow

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
LIST_HEADER = ["序号", "业务参考号", "户名", "开户银行", "银行账号", "金额（元）", "摘要"]
RESULT_COLUMNS = {"reference": ("业务参考号",), "amount": ("金额（元）", "金额"), "result": ("处理结果", "结果"),
                  "reason": ("失败原因", "原因")}
SUCCESS, FAILURE = "成功", "失败"


def bank_list(batch: Batch, transfers: list[BankTransfer]) -> bytes:
    """The bank list of one round, as xlsx bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "银行报盘"
    ws.append(LIST_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    total = Decimal(0)
    for i, t in enumerate(transfers, start=1):
        ws.append([i, t.reference, t.account_name, t.bank_name, t.account_number, t.amount,
                   f"{batch.title}"[:40]])
        ws.cell(row=i + 1, column=5).number_format = "@"
        ws.cell(row=i + 1, column=6).number_format = "0.00"
        total += t.amount
    ws.append(["合计", f"{len(transfers)} 笔", "", "", "", total, ""])
    ws.cell(row=len(transfers) + 2, column=6).number_format = "0.00"
    for column, width in zip("ABCDEFG", (6, 30, 12, 24, 26, 12, 24), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_result(upload: Any) -> tuple[list[ResultRow], list[str]]:
    """The rows of a bank result file, or the problems found (row by row); never raises."""
    if upload is None:
        return [], ["请选择银行回盘文件（xlsx）。"]
    name = str(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", 0) or 0
    if size > MAX_BYTES:
        return [], [f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB），请确认是银行回盘文件。"]
    data = upload.read()
    if not name.lower().endswith(".xlsx") or not zipfile.is_zipfile(io.BytesIO(data)):
        return [], ["不是 xlsx 文件：请上传银行返回的 Excel（.xlsx）回盘文件。"]
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS + 20))
    except Exception:  # noqa: BLE001 — any broken or foreign file is the user's problem to fix, not a 500
        return [], ["无法读取该文件：不是有效的 xlsx 回盘文件。"]
    header_at, columns = None, {}
    for i, row in enumerate(rows[:20]):
        cells = [_text(c) for c in row]
        if "业务参考号" in cells:
            header_at = i
            for key, names in RESULT_COLUMNS.items():
                columns[key] = next((cells.index(n) for n in names if n in cells), None)
            break
    if header_at is None:
        return [], ["缺少列：业务参考号（回盘文件须有表头行：业务参考号、金额（元）、处理结果、失败原因）。"]
    missing = [RESULT_COLUMNS[k][0] for k in ("amount", "result") if columns.get(k) is None]
    if missing:
        return [], [f"缺少列：{'、'.join(missing)}。"]
    out, errors = [], []
    for n, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        def cell(key: str, row: tuple = row) -> Any:
            index = columns.get(key)
            return row[index] if index is not None and index < len(row) else None

        reference, result = _text(cell("reference")), _text(cell("result"))
        if not reference and not result:
            continue  # a blank row
        if reference.startswith("合计"):
            continue
        if not reference:
            errors.append(f"第{n}行：缺少业务参考号。")
            continue
        try:
            amount = Decimal(_text(cell("amount")).replace(",", ""))
            if not amount.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors.append(f"第{n}行：金额“{_text(cell('amount'))}”不是数字。")
            continue
        if amount != amount.quantize(Decimal("0.01")):
            errors.append(f"第{n}行：金额“{_text(cell('amount'))}”超过两位小数。")
            continue
        if result not in (SUCCESS, FAILURE):
            errors.append(f"第{n}行：处理结果须为“成功”或“失败”，实为“{result}”。")
            continue
        out.append(ResultRow(n, reference, amount.quantize(Decimal("0.01")), result == SUCCESS,
                             _text(cell("reason"))[:200]))
    if len(out) > MAX_ROWS:
        errors.append(f"回盘文件超过 {MAX_ROWS} 行。")
    return out, errors
