"""Yearly budgets per unit and type: an approval reserves the amount in the paying unit's budget
(refused beyond it, at the account field), a revocation gives it back, the budget cannot be set
below what is reserved, and the database refuses an over-committed budget."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from funds import services
from funds.models import Budget, Grant, ReliefType

from .conftest import Grants

S = Grant.Status
D = Decimal


def budget(grants: Grants, amount: str) -> Budget:
    return services.budget_set(by=grants.users["d1_accountant"], org_unit=grants.units["330602"],
                               year=timezone.localdate().year, relief_type=ReliefType.EMERGENCY, amount=amount)


def test_approval_reserves_the_budget_and_revocation_returns_it(grants):
    b = budget(grants, "2000")
    g = grants.make(S.APPROVED, amount="1500")
    b.refresh_from_db()
    assert b.committed == D("1500.00") and g.budget_id == b.pk
    v = grants.make(S.VERIFIED, amount="600")
    with pytest.raises(ValidationError) as caught:
        services.grant_approve(grant=v, by=grants.sup, account=grants.account)
    assert "剩余 500.00 元" in " ".join(caught.value.message_dict["account"])
    v.refresh_from_db()
    assert v.status == S.VERIFIED and grants.account.entries.filter(kind="hold").count() == 1  # no hold either
    services.grant_revoke(grant=g, by=grants.sup, reason="对象情况变化")
    b.refresh_from_db()
    assert b.committed == 0
    services.grant_approve(grant=v, by=grants.sup, account=grants.account)
    b.refresh_from_db()
    assert b.committed == D("600.00")


def test_a_budget_cannot_go_below_what_is_reserved(grants):
    budget(grants, "2000")
    grants.make(S.PAID, amount="1500")
    with pytest.raises(ValidationError, match="不能低于已占用的 1500.00 元"):
        budget(grants, "1000")
    assert budget(grants, "1500").amount == D("1500.00")


def test_the_database_refuses_an_over_committed_budget(grants):
    b = budget(grants, "100")
    with pytest.raises(IntegrityError), transaction.atomic():
        Budget.objects.filter(pk=b.pk).update(committed_cents=10001)


def test_the_budget_page_sets_a_budget_with_the_error_at_the_field(grants, client_for):
    client = client_for("d1_accountant")
    data = {"org_unit": grants.units["330602"].pk, "year": 2026, "relief_type": "living", "amount": "abc"}
    response = client.post("/funds/budgets/", data)
    assert "请填写金额" in response.context["form"].errors["amount"][0] and not Budget.objects.exists()
    client.post("/funds/budgets/", {**data, "amount": "50000"})
    assert Budget.objects.get().amount == D("50000.00")
    assert client_for("d1_sup").post("/funds/budgets/", data).status_code == 403
