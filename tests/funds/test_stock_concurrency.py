"""The help supermarket under concurrency, on PostgreSQL (each thread its own connection): 16
cashiers issuing from one item at once never take the stock below zero; exactly ⌊stock / quantity⌋
issues succeed, the others are refused as 库存不足, and the movements sum to the stock."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from funds import stock
from funds.models import Grant, StockMovement

from .test_concurrency import run_parallel

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_sixteen_issues_at_once_from_one_item(grants):
    rice = stock.stock_item_add(by=grants.cashier, unit=grants.units["330602"], name="大米", measure="袋")
    stock.stock_receive(by=grants.cashier, item=rice, quantity=15, key="r", quality_ok=True, received_by="沈小红")
    grant = grants.make(Grant.Status.APPROVED)
    outcomes = run_parallel(16, lambda i: stock.stock_issue(by=grants.cashier, grant=grant, key=uuid.uuid4().hex,
                                                            lines=[stock.Line(rice, 1), stock.Line(rice, 1)]))
    issued = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(issued) == 15 // 2 == 7 and len(refused) == 9, outcomes
    assert all("库存不足" in str(o) for o in refused), outcomes
    rice.refresh_from_db()
    assert rice.on_hand == 1 == StockMovement.objects.filter(item=rice).aggregate(s=Sum("delta"))["s"]
