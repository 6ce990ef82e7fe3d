"""The help supermarket: stock never below zero (lines of one issue summed per item first), issues
only for approved grants, idempotent forms, the day close (books against the count, differences
with a reason) and the closed day locked against back-dated movements; the movements append-only."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from funds import stock
from funds.models import Grant, StockItem, StockMovement
from servicecenter.models import AuditEvent

from .conftest import Grants

S = Grant.Status


@pytest.fixture
def shop(grants: Grants):
    district = grants.units["330602"]
    rice = StockItem.objects.create(org_unit=district, name="大米", spec="10kg", unit="袋")
    oil = StockItem.objects.create(org_unit=district, name="食用油", spec="5L", unit="桶")
    stock.stock_receive(by=grants.cashier, item=rice, quantity=5, key="r1", quality_ok=True, received_by="沈小红")
    stock.stock_receive(by=grants.cashier, item=oil, quantity=2, key="r2", donated=True, value=300,
                        quality_ok=True, received_by="沈小红")
    return rice, oil


def on_hand(item: StockItem) -> int:
    item.refresh_from_db()
    return item.on_hand


def test_an_issue_sums_its_lines_per_item_before_the_check(grants, shop):
    rice, oil = shop
    g = grants.make(S.APPROVED)
    with pytest.raises(ValidationError) as caught:
        stock.stock_issue(by=grants.cashier, grant=g, key="i1", lines=[stock.Line(rice, 3), stock.Line(oil, 1),
                                                                        stock.Line(rice, 3)])
    assert "大米（10kg）库存不足：现有 5袋，需发放 6袋" in " ".join(caught.value.message_dict["lines"])
    assert (on_hand(rice), on_hand(oil)) == (5, 2)  # nothing issued, not even the oil
    assert AuditEvent.objects.filter(action="funds.stock_issue.refused").exists()
    stock.stock_issue(by=grants.cashier, grant=g, key="i2", lines=[stock.Line(rice, 2), stock.Line(rice, 3)])
    assert on_hand(rice) == 0
    stock.stock_issue(by=grants.cashier, grant=g, key="i2", lines=[stock.Line(rice, 5)])  # resubmitted: once
    assert on_hand(rice) == 0 and StockMovement.objects.filter(key="i2").count() == 1


def test_goods_only_for_an_approved_grant(grants, shop):
    rice, _ = shop
    g = grants.make(S.VERIFIED)
    with pytest.raises(ValidationError, match="尚未审批"):
        stock.stock_issue(by=grants.cashier, grant=g, key="x", lines=[stock.Line(rice, 1)])


def test_receipts_need_the_quality_check_and_a_signature(grants, shop):
    rice, _ = shop
    with pytest.raises(ValidationError, match="质量验收不合格"):
        stock.stock_receive(by=grants.cashier, item=rice, quantity=1, key="q", quality_ok=False, received_by="x")
    with pytest.raises(ValidationError, match="数量须大于零"):
        stock.stock_receive(by=grants.cashier, item=rice, quantity=0, key="q", quality_ok=True, received_by="x")
    assert on_hand(rice) == 5


def test_the_database_refuses_negative_stock_and_edits_of_movements(shop):
    rice, _ = shop
    with pytest.raises(IntegrityError), transaction.atomic():
        StockItem.objects.filter(pk=rice.pk).update(on_hand=-1)
    with pytest.raises(DatabaseError), transaction.atomic():
        StockMovement.objects.filter(item=rice).update(delta=100)


def test_the_day_close_records_differences_and_locks_the_day(grants, shop):
    rice, oil = shop
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="账实不符"):
        stock.stock_close_day(by=grants.cashier, unit=rice.org_unit, day=today, counted={rice.pk: 4, oil.pk: 2})
    closed = stock.stock_close_day(by=grants.cashier, unit=rice.org_unit, day=today,
                                   counted={rice.pk: 4, oil.pk: 2}, reasons={rice.pk: "一袋破损报废"})
    assert on_hand(rice) == 4 and [c["difference"] for c in closed.counts] == [-1, 0]
    with pytest.raises(ValidationError) as caught:
        stock.stock_receive(by=grants.cashier, item=rice, quantity=1, key="late", quality_ok=True,
                            received_by="x", day=today)
    assert "已日结" in " ".join(caught.value.message_dict["day"])
    with pytest.raises(ValidationError, match="已日结"):
        stock.stock_receive(by=grants.cashier, item=rice, quantity=1, key="late2", quality_ok=True,
                            received_by="x", day=today - datetime.timedelta(days=3))


def test_only_the_cashier_keeps_the_shop(grants, shop, users):
    from django.core.exceptions import PermissionDenied

    rice, _ = shop
    with pytest.raises(PermissionDenied):
        stock.stock_receive(by=users["d1_sup"], item=rice, quantity=1, key=uuid.uuid4().hex, quality_ok=True,
                            received_by="x")
