"""The funds demo data: money in, budgets that the demo grants reserve from, grants in every state;
a second run adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from funds.models import Budget, FundAccount, FundSource, Grant, LedgerEntry


@pytest.mark.django_db
def test_the_demo_is_consistent_and_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    counts = (FundSource.objects.count(), Grant.objects.count(), LedgerEntry.objects.count(), Budget.objects.count())
    assert set(Grant.objects.values_list("status", flat=True)) >= set(Grant.Status.values)
    # The approved and paid grants reserved their amounts in the district's budget for the type.
    for budget in Budget.objects.all():
        taken = Grant.objects.filter(budget=budget, status__in=[Grant.Status.APPROVED, Grant.Status.PAID])
        assert budget.committed_cents == int((taken.aggregate(s=Sum("amount"))["s"] or 0) * 100)
    assert Budget.objects.filter(committed_cents__gt=0).exists()
    # Every account's balance is the sum of its entries.
    for account in FundAccount.objects.all():
        assert account.balance_cents == sum(account.entries.values_list("balance_delta", flat=True))
    call_command("seed_demo", stdout=io.StringIO())
    assert (FundSource.objects.count(), Grant.objects.count(), LedgerEntry.objects.count(),
            Budget.objects.count()) == counts
