"""资金台账 (the fund ledger) and 救助金发放花名册 (the grant register, with a signature column), as
xlsx: the lists' own scope and filters (``ExportSource``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import QuerySet

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register

from .filters import GrantFilter, LedgerFilter, SourceFilter
from .models import FundSource, Grant, LedgerEntry, ReliefType, yuan
from .workflow import EXPORT


class _CentsRegister(Register):
    """The ledger keeps cents (exact on every database); the register shows yuan, and its totals
    row sums what it shows — so the rows are converted here, not by a column transform."""

    cents_fields = ("balance_delta", "balance_after", "held_after")

    def rows(self, queryset: QuerySet, chunk_size: int = 2000) -> Iterator[tuple]:
        at = [i for i, c in enumerate(self.columns) if c.field in self.cents_fields]
        for row in super().rows(queryset, chunk_size):
            values = list(row)
            for i in at:
                values[i] = yuan(values[i])
            yield tuple(values)


LEDGER_REGISTER = _CentsRegister(
    title="资金台账",
    filename="资金台账",
    columns=[
        Column("分录号", "id", 9, kind="int"),
        Column("记账时间", "at", 18, kind="datetime"),
        Column("单位", "org_unit__name", 22),
        Column("资金性质", "account__source__kind", 14, labels=dict(FundSource.Kind.choices)),
        Column("资金来源", "account__source__donor", 20),
        Column("类型", "kind", 9, labels=dict(LedgerEntry.Kind.choices)),
        Column("金额（元）", "amount", 13, kind="money"),
        Column("余额变动（元）", "balance_delta", 14, kind="money", total=True),
        Column("变动后余额（元）", "balance_after", 15, kind="money"),
        Column("变动后冻结（元）", "held_after", 15, kind="money"),
        Column("凭证", "voucher", 18),
        Column("摘要", "memo", 30),
        Column("经办人", "by__full_name", 14),
        Column("幂等键", "key", 20),
    ],
)

LEDGER_EXPORT = ExportSource("funds.ledger", LEDGER_REGISTER, lambda: LedgerEntry.objects.all(), LedgerFilter,
                             ordering=("id",), permission=EXPORT)

GRANT_REGISTER = Register(
    title="救助金发放花名册",
    filename="救助金发放花名册",
    columns=[
        Column("救助编号", "number", 24),
        Column("姓名", "person__name", 10),
        Column("身份证号", "person__id_number_masked", 21),
        Column("困难职工档案", "hardship_file_label", 24),
        Column("救助类型", "relief_type", 14, labels=dict(ReliefType.choices)),
        Column("年度", "period", 7),
        Column("金额（元）", "amount", 12, kind="money", total=True),
        Column("申报单位", "org_unit__name", 22),
        Column("状态", "status", 9, labels=dict(Grant.Status.choices)),
        Column("发放日期", "paid_on", 11, kind="date"),
        Column("发放方式", "method", 9, labels=dict(Grant.Method.choices)),
        Column("代领人", "proxy_name", 10),
        Column("领款人签字", "closed_reason", 14, transform=lambda value: ""),
    ],
)

GRANT_EXPORT = ExportSource("funds.grants", GRANT_REGISTER, lambda: Grant.objects.all(), GrantFilter,
                            ordering=("id",), permission=EXPORT)

DONATION_REGISTER = Register(
    title="捐赠（资金到账）登记簿",
    filename="捐赠登记簿",
    columns=[
        Column("来源编号", "number", 24),
        Column("到账日期", "received_on", 11, kind="date"),
        Column("捐赠/拨款单位或个人", "donor", 26),
        Column("资金性质", "kind", 16, labels=dict(FundSource.Kind.choices)),
        Column("金额（元）", "amount", 13, kind="money", total=True),
        Column("限定用途", "restriction", 22,
               transform=lambda value: "、".join(dict(ReliefType.choices).get(t, t) for t in value) if value else "不限"),
        Column("接收单位", "org_unit__name", 22),
        Column("说明", "note", 26),
        Column("登记人", "created_by__full_name", 12),
    ],
)

DONATION_EXPORT = ExportSource("funds.sources", DONATION_REGISTER, lambda: FundSource.objects.all(), SourceFilter,
                               ordering=("received_on", "id"), permission=EXPORT)


DIGITS = "零壹贰叁肆伍陆柒捌玖"
UNITS = ["", "拾", "佰", "仟"]
SECTIONS = ["", "万", "亿", "万亿"]


def amount_in_words(amount: Decimal) -> str:
    """大写金额 as on a Chinese receipt: 12000.50 → 壹万贰仟元伍角整."""
    cents = int((amount * 100).to_integral_value())
    yuan_part, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    words = ""
    if yuan_part:
        groups: list[int] = []
        while yuan_part:
            yuan_part, group = divmod(yuan_part, 10000)
            groups.append(group)
        parts: list[str] = []
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = True
                continue
            text = ""
            digits = [int(d) for d in f"{group:04d}"]
            started = bool(parts)
            for position, digit in enumerate(digits):
                if digit == 0:
                    if started:
                        zero_pending = True
                    continue
                if zero_pending and (started or text):
                    text += "零"
                zero_pending = False
                text += DIGITS[digit] + UNITS[3 - position]
                started = True
            parts.append(text + SECTIONS[index])
            zero_pending = digits[-1] == 0
        words = "".join(parts) + "元"
    if jiao:
        words += ("零" if words and cents // 100 % 10 == 0 and cents >= 1000 else "") + DIGITS[jiao] + "角"
    if fen:
        words += ("零" if words and not jiao else "") + DIGITS[fen] + "分"
    if not fen:
        words += "整"
    return words if words != "整" else "零元整"


def mask_name(name: str) -> str:
    """张*三 for the public announcement (the first and last characters kept)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
