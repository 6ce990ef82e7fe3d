"""帮扶超市 (the help supermarket): receipts, issues to recipients after approval, and the day
close — stock kept by the database like money (``StockItem.on_hand``: a conditional UPDATE and a
CHECK constraint; movements append-only; one idempotency key per movement).

- An issue of several lines sums its lines per item before the check (two lines of 3 rice bags
  need 6 on the shelf), and locks the items in id order (no deadlock between two issues).
- A closed day (``StockDay``) locks every movement dated on or before it: a back-dated receipt
  or issue is refused. The close compares the books with the count per item; each difference is
  an adjustment movement with its reason.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F, Max, Sum
from django.utils import timezone

from servicecenter import access, audit
from servicecenter.access import Action
from servicecenter.models import OrgUnit, Person

from .ledger import guarded
from .models import Grant, StockDay, StockItem, StockMovement
from .workflow import PAY

if TYPE_CHECKING:
    from servicecenter.models import User

M = StockMovement.Kind


def _fail(message: str, field: str | None = None) -> None:
    raise ValidationError({field: message} if field else message, code="invalid")


def _quantity(value: Any, field: str = "quantity") -> int:
    try:
        q = int(str(value))
    except (TypeError, ValueError):
        _fail("数量应为整数。", field)
        raise
    if q <= 0:
        _fail("数量须大于零。", field)
    return q


def _open_day(unit: OrgUnit, day: datetime.date | None) -> datetime.date:
    day = day or timezone.localdate()
    if day > timezone.localdate():
        _fail("业务日期不能晚于今天。", "day")
    closed = StockDay.objects.filter(org_unit=unit).aggregate(last=Max("day"))["last"]
    if closed is not None and day <= closed:
        _fail(f"{closed:%Y-%m-%d}及以前已日结，不能登记该日期的出入库。", "day")
    return day


def _existing(key: str) -> list[StockMovement]:
    return list(StockMovement.objects.filter(key=key).order_by("item_id"))


@guarded("funds.stock_receive", target="item")
def stock_receive(*, by: User, item: StockItem, quantity: Any, key: str, donated: bool = False,
                  value: Decimal | None = None, quality_ok: bool, received_by: str,
                  day: datetime.date | None = None) -> StockMovement:
    """入库 (purchased or donated): checked against spec, quantity and quality, signed in."""
    access.require(by, PAY, item)
    q = _quantity(quantity)
    done = _existing(key)
    if done:
        if (done[0].item_id, done[0].delta) != (item.pk, q):
            _fail("该表单已提交过内容不同的入库登记，请刷新页面后重新填写。")
        return done[0]
    if not quality_ok:
        _fail("质量验收不合格的物品不得入库。", "quality_ok")
    received_by = (received_by or "").strip()
    if not received_by:
        _fail("请填写验收签收人。", "received_by")
    if donated and (value is None or value < 0):
        _fail("请填写捐赠物资价值（元）。", "value")
    d = _open_day(item.org_unit, day)
    StockItem.objects.filter(pk=item.pk).update(on_hand=F("on_hand") + q)
    after = StockItem.objects.values_list("on_hand", flat=True).get(pk=item.pk)
    return StockMovement.objects.create(
        key=key, item=item, org_unit=item.org_unit, kind=M.DONATED if donated else M.PURCHASED, day=d, delta=q,
        on_hand_after=after, value=value if donated else None, quality_ok=True, received_by=received_by, by=by)


@dataclass(frozen=True)
class Line:
    item: StockItem
    quantity: int


@guarded("funds.stock_issue", target="grant")
def stock_issue(*, by: User, grant: Grant, lines: Iterable[Line], key: str,
                day: datetime.date | None = None) -> list[StockMovement]:
    """发放出库 to the recipient of an approved (or paid in goods) grant. Lines are summed per item
    first; every item must have the quantity, or nothing is issued."""
    access.require(by, PAY, grant)
    done = _existing(key)
    wanted: dict[int, int] = defaultdict(int)
    items: dict[int, StockItem] = {}
    for line in lines:
        wanted[line.item.pk] += _quantity(line.quantity)
        items[line.item.pk] = line.item
    if not wanted:
        _fail("请填写发放的物品和数量。", "lines")
    if done:
        if {m.item_id: -m.delta for m in done} != dict(wanted):
            _fail("该表单已提交过内容不同的出库登记，请刷新页面后重新填写。")
        return done
    if grant.status not in (Grant.Status.APPROVED, Grant.Status.PAID):
        _fail("救助尚未审批，不能发放物品。")
    units = {i.org_unit_id for i in items.values()}
    if len(units) != 1:
        _fail("一次出库的物品须属于同一帮扶超市。", "lines")
    unit = next(iter(items.values())).org_unit
    d = _open_day(unit, day)
    out = []
    for pk in sorted(wanted):  # id order: two issues lock the same items in the same order
        q = wanted[pk]
        if not StockItem.objects.filter(pk=pk, on_hand__gte=q).update(on_hand=F("on_hand") - q):
            have = StockItem.objects.values_list("on_hand", flat=True).get(pk=pk)
            _fail(f"{items[pk]}库存不足：现有 {have}{items[pk].unit}，需发放 {q}{items[pk].unit}。", "lines")
        after = StockItem.objects.values_list("on_hand", flat=True).get(pk=pk)
        out.append(StockMovement.objects.create(
            key=key, item=items[pk], org_unit=unit, kind=M.ISSUE, day=d, delta=-q, on_hand_after=after,
            person=grant.person, grant=grant, by=by))
    audit.record(audit.Event.STATE, user=by, target=grant, action="funds.stock_issue",
                 detail=f"发放物品 {len(out)} 种", new={str(pk): q for pk, q in wanted.items()})
    return out


@guarded("funds.stock_item_add", target="unit")
def stock_item_add(*, by: User, unit: OrgUnit, name: str, spec: str = "", measure: str = "件",
                   low_stock: Any = 5) -> StockItem:
    """A new item (name, spec, unit of measure) at a unit's supermarket, with its low-stock mark."""
    access.require(by, PAY, unit)
    name, spec, measure = (name or "").strip(), (spec or "").strip(), (measure or "").strip()
    if not name:
        _fail("请填写物品名称。", "name")
    if not measure:
        _fail("请填写计量单位。", "measure")
    try:
        low = int(str(low_stock))
    except (TypeError, ValueError):
        _fail("低库存预警数量应为整数。", "low_stock")
        raise
    if low < 0:
        _fail("低库存预警数量不能小于零。", "low_stock")
    if StockItem.objects.filter(org_unit=unit, name=name, spec=spec).exists():
        _fail(f"{unit}已有物品“{name}{f'（{spec}）' if spec else ''}”。", "name")
    item = StockItem.objects.create(org_unit=unit, name=name, spec=spec, unit=measure, low_stock=low)
    audit.record(audit.Event.CREATE, user=by, target=item, action="funds.stock_item_add", detail=f"帮扶超市物品 {item}")
    return item


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _close(*, by: User, unit: OrgUnit, day: datetime.date, counted: dict[int, int], reasons: dict[int, str] | None,
           kind: str, key_prefix: str, **extra: Any) -> StockDay:
    """The books (movements up to ``day``) against the count, per item; each difference (with its
    reason) posted as an adjustment; the day then locked. Shared by the day close and the stocktake."""
    reasons = reasons or {}
    if day > timezone.localdate():
        _fail("不能日结今天以后的日期。", "day")
    if StockDay.objects.filter(org_unit=unit, day__gte=day).exists():
        _fail(f"{day:%Y-%m-%d}已日结（或其后已日结）。", "day")
    items = list(StockItem.objects.select_for_update().filter(org_unit=unit).order_by("pk"))
    if StockMovement.objects.filter(org_unit=unit, day__gt=day).exists():
        _fail("该日之后已有出入库，请按日期顺序日结。", "day")
    books = dict(StockMovement.objects.filter(org_unit=unit, day__lte=day).values("item_id")
                 .annotate(n=Sum("delta")).values_list("item_id", "n"))
    lines = []
    for item in items:
        expected = books.get(item.pk, 0)
        count = counted.get(item.pk)
        if count is None:
            _fail(f"请填写{item}的实盘数量。", "counted")
        assert count is not None
        if count < 0:
            _fail(f"{item}的实盘数量不能小于零。", "counted")
        diff = count - expected
        reason = (reasons.get(item.pk) or "").strip()
        if diff and not reason:
            _fail(f"{item}账实不符（账面 {expected}，实盘 {count}），请填写差异原因。", "reasons")
        if diff:
            StockItem.objects.filter(pk=item.pk).update(on_hand=F("on_hand") + diff)
            after = StockItem.objects.values_list("on_hand", flat=True).get(pk=item.pk)
            StockMovement.objects.create(key=f"{key_prefix}:{unit.pk}:{day:%Y%m%d}", item=item, org_unit=unit,
                                         kind=M.ADJUST, day=day, delta=diff, on_hand_after=after, reason=reason, by=by)
        lines.append({"item": item.pk, "name": str(item), "expected": expected, "counted": count, "difference": diff,
                      "reason": reason})
    return StockDay.objects.create(org_unit=unit, day=day, closed_by=by, counts=lines, kind=kind, **extra)


@guarded("funds.stock_close_day", target="unit")
def stock_close_day(*, by: User, unit: OrgUnit, day: datetime.date, counted: dict[int, int],
                    reasons: dict[int, str] | None = None) -> StockDay:
    """日结: for each item, the books (movements up to ``day``) against the count; a difference
    needs a reason and is posted as an adjustment; the day is then locked."""
    access.require(by, PAY, unit)
    closed = _close(by=by, unit=unit, day=day, counted=counted, reasons=reasons, kind=StockDay.Kind.CLOSE,
                    key_prefix="close")
    audit.record(audit.Event.STATE, user=by, target=unit, action="funds.stock_close_day",
                 detail=f"帮扶超市日结 {day:%Y-%m-%d}",
                 new={"differences": sum(1 for x in closed.counts if x["difference"])})
    return closed


@guarded("funds.stock_take", target="unit")
def stock_take(*, by: User, unit: OrgUnit, day: datetime.date, counted: dict[int, int], witness: User | None,
               reasons: dict[int, str] | None = None) -> StockDay:
    """季度盘点 (账实相符): every item of the supermarket counted, the differences posted as
    adjustments with their reasons (as the day close does), signed by the cashier who counted
    (盘点人) and a different user who watched (监盘人); it closes the day. One per quarter."""
    access.require(by, PAY, unit)
    if witness is None:
        _fail("请选择监盘人。", "witness")
    assert witness is not None
    if witness.pk == by.pk:
        _fail("监盘人须与盘点人不同。", "witness")
    if not witness.is_active or not access.can(witness, Action.VIEW, unit):
        _fail("监盘人须是该帮扶超市所属单位或其上级单位在岗的工作人员。", "witness")
    quarter = quarter_of(day)
    if StockDay.objects.filter(org_unit=unit, kind=StockDay.Kind.STOCKTAKE, quarter=quarter).exists():
        _fail(f"{unit}{quarter}已做过季度盘点。", "day")
    taken = _close(by=by, unit=unit, day=day, counted=counted, reasons=reasons, kind=StockDay.Kind.STOCKTAKE,
                   key_prefix="take", quarter=quarter, witness=witness)
    audit.record(audit.Event.STATE, user=by, target=unit, action="funds.stock_take",
                 detail=f"帮扶超市{quarter}季度盘点 {day:%Y-%m-%d}（监盘人 {witness}）",
                 new={"quarter": quarter, "differences": sum(1 for x in taken.counts if x["difference"])})
    return taken


def low_stock_items(user: User) -> Any:
    """Items in the user's scope at or below their low-stock mark."""
    return access.visible(StockItem.objects.filter(on_hand__lte=F("low_stock")), user)


def person_goods(person: Person) -> Any:
    return StockMovement.objects.filter(person=person, kind=M.ISSUE).select_related("item")
