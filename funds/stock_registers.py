"""出入库登记簿 (the help supermarket's stock in/out register), as xlsx: the movement list's own scope
and filters (``ExportSource``). Each movement is one row: received (入库) or issued (出库) quantity,
the stock after it, and for an issue who received the goods, for which grant."""

from __future__ import annotations

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register

from .models import StockMovement
from .stock_forms import MovementFilter
from .workflow import EXPORT


def _in(delta: int | None) -> int | None:
    return delta if delta is not None and delta > 0 else None


def _out(delta: int | None) -> int | None:
    return -delta if delta is not None and delta < 0 else None


STOCK_REGISTER = Register(
    title="帮扶超市出入库登记簿",
    filename="帮扶超市出入库登记簿",
    columns=[
        Column("业务日期", "day", 11, kind="date"),
        Column("单位", "org_unit__name", 22),
        Column("物品", "item__name", 14),
        Column("规格", "item__spec", 10),
        Column("计量单位", "item__unit", 8),
        Column("类型", "kind", 10, labels=dict(StockMovement.Kind.choices)),
        Column("入库数量", "delta", 9, kind="int", transform=_in),
        Column("出库数量", "delta", 9, kind="int", transform=_out),
        Column("结存", "on_hand_after", 8, kind="int"),
        Column("捐赠物资价值（元）", "value", 14, kind="money", total=True),
        Column("验收签收人", "received_by", 12),
        Column("领取人", "person__name", 10),
        Column("救助编号", "grant__number", 24),
        Column("说明", "reason", 24),
        Column("经办人", "by__full_name", 14),
        Column("领取人签字", "key", 12, transform=lambda value: ""),
    ],
)

STOCK_EXPORT = ExportSource("funds.stock", STOCK_REGISTER, lambda: StockMovement.objects.all(), MovementFilter,
                            ordering=("day", "id"), permission=EXPORT)
