"""Holds that lapse: the approval stores the last day to pay (``funds.hold_days`` after it); the day
after, ``funds_expire_holds`` releases the hold and the budget reservation and cancels the grant —
once, whoever runs it how often; a grant paid at the same moment is paid or expired, never both.
The dashboard and the inbox show holds about to lapse; the grant page shows the date."""

from __future__ import annotations

import datetime
import io
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from funds import holds, ledger, services, summary
from funds.models import Budget, FundAccount, Grant, ReliefType
from servicecenter.models import AuditEvent

from .conftest import Grants, set_param

S = Grant.Status
D = Decimal
DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def lapse(g: Grant, days_ago: int = 1) -> Grant:
    """Move the grant's last day to pay into the past (as if approved long ago)."""
    Grant.objects.filter(pk=g.pk).update(hold_expires_on=today() - DAY * days_ago)
    g.refresh_from_db()
    return g


def test_the_approval_stores_the_last_day_to_pay_from_the_units_parameter(grants, units):
    g = grants.make(S.APPROVED)
    assert g.hold_expires_on == today() + DAY * 30
    set_param(units["330602"], "funds.hold_days", "10")
    assert grants.make(S.APPROVED).hold_expires_on == today() + DAY * 10
    assert grants.make(S.VERIFIED).hold_expires_on is None  # only the final approval holds money


def test_a_hold_on_its_last_day_does_not_lapse_the_day_after_it_does(grants):
    g = grants.make(S.APPROVED, amount="1200")
    account = FundAccount.objects.get(pk=grants.account.pk)
    Grant.objects.filter(pk=g.pk).update(hold_expires_on=today())
    assert holds.holds_expire(by=grants.sup) == []
    g.refresh_from_db()
    assert g.status == S.APPROVED
    with pytest.raises(ValidationError, match="尚未逾期"):
        holds.grant_expire(grant=g, by=grants.sup)
    assert AuditEvent.objects.filter(action="funds.grant_expire.refused").exists()
    lapse(g)
    [done] = holds.holds_expire(by=grants.sup)
    g.refresh_from_db()
    account.refresh_from_db()
    assert done.pk == g.pk and g.status == S.CANCELLED and "逾期未发放，已解冻" in g.closed_reason
    assert account.held == 0 and ledger.ledger_sum(account) == (account.balance, account.held)
    assert g.hold.settled_by.kind == "release"
    assert g.events.filter(kind="expire").count() == 1


def test_expiry_returns_the_budget_reservation_and_frees_the_household_cap(grants):
    b = services.budget_set(by=grants.users["d1_accountant"], org_unit=grants.units["330602"], year=today().year,
                            relief_type=ReliefType.LIVING, amount="3000")
    g = lapse(grants.make(S.APPROVED, relief_type=ReliefType.LIVING, amount="2000"))
    b.refresh_from_db()
    assert b.committed == D("2000.00")
    holds.holds_expire(by=grants.sup)
    b.refresh_from_db()
    assert b.committed == 0
    from hardship.models import HardshipFile

    again = grants.apply(relief_type=ReliefType.LIVING, file=HardshipFile.objects.get(pk=g.hardship_file_id))
    assert again.status == S.APPLIED


def test_running_twice_expires_once_and_an_expired_grant_cannot_be_paid(grants):
    g = lapse(grants.make(S.APPROVED))
    assert len(holds.holds_expire(by=grants.sup)) == 1
    assert holds.holds_expire(by=grants.sup) == []
    assert grants.account.entries.filter(kind="release").count() == 1
    g.refresh_from_db()
    with pytest.raises(ValidationError, match="已撤销，不能发放"):
        services.grant_pay(grant=g, by=grants.cashier, key=uuid.uuid4().hex, method=Grant.Method.CASH)


def test_a_paid_grant_does_not_expire(grants):
    g = grants.make(S.PAID)
    lapse(g)
    assert holds.holds_expire(by=grants.sup) == []
    with pytest.raises(ValidationError):
        holds.grant_expire(grant=g, by=grants.sup)
    g.refresh_from_db()
    assert g.status == S.PAID


def test_only_the_scope_of_the_running_account_and_only_an_approver(grants, users, units):
    g = lapse(grants.make(S.APPROVED))
    with pytest.raises(PermissionDenied):
        holds.holds_expire(by=users["d1_cashier"])
    other = users.get("d2_sup")
    if other is not None:
        assert holds.holds_expire(by=other) == []
    g.refresh_from_db()
    assert g.status == S.APPROVED


def test_the_command_expires_and_reports(grants):
    g = lapse(grants.make(S.APPROVED))
    out = io.StringIO()
    call_command("funds_expire_holds", "--by", "d1_sup", stdout=out)
    assert g.number in out.getvalue() and "共 1 件" in out.getvalue()
    out = io.StringIO()
    call_command("funds_expire_holds", "--by", "d1_sup", stdout=out)
    assert "共 0 件" in out.getvalue()
    with pytest.raises(CommandError, match="不存在"):
        call_command("funds_expire_holds", "--by", "nobody")


def test_the_grant_page_shows_the_date_and_offers_expiry_only_when_past(grants, client_for):
    g = grants.make(S.APPROVED)
    client = client_for("d1_sup")
    page = client.get(f"/funds/grants/{g.pk}/").content.decode()
    assert f"{g.hold_expires_on:%Y-%m-%d}" in page and "逾期解冻" not in page
    refused = client.post(f"/funds/grants/{g.pk}/expire/", {})
    assert "尚未逾期" in refused.content.decode()
    g.refresh_from_db()
    assert g.status == S.APPROVED
    lapse(g)
    assert "逾期解冻" in client.get(f"/funds/grants/{g.pk}/").content.decode()
    response = client.post(f"/funds/grants/{g.pk}/expire/", {})
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.status == S.CANCELLED
    assert client_for("d1_cashier").post(f"/funds/grants/{g.pk}/expire/", {}).status_code == 403


def test_the_dashboard_counts_holds_expiring_within_seven_days(grants):
    soon = grants.make(S.APPROVED, amount="300")
    Grant.objects.filter(pk=soon.pk).update(hold_expires_on=today() + DAY * 6)
    edge = grants.make(S.APPROVED, amount="400")
    Grant.objects.filter(pk=edge.pk).update(hold_expires_on=today() + DAY * 7)  # 8 days incl. today: not yet
    lapsed = grants.make(S.APPROVED, amount="500")
    lapse(lapsed)  # lapsed already: not "expiring", the command releases it
    section = summary.dashboard_section(grants.sup)
    assert section is not None
    assert section.context["expiring"] == 1 and section.context["expiring_held"] == D("300.00")


def test_the_inbox_tells_the_approver_and_marks_the_cashiers_item_urgent(grants):
    soon = grants.make(S.APPROVED)
    Grant.objects.filter(pk=soon.pk).update(hold_expires_on=today() + DAY * 2)
    later = grants.make(S.APPROVED)
    sup = {(i.kind, i.title) for i in summary.inbox_items(grants.sup)}
    assert ("救助冻结即将到期", str(soon)) in sup and ("救助冻结即将到期", str(later)) not in sup
    cashier = {i.title: i for i in summary.inbox_items(grants.cashier) if i.kind == "救助待发放"}
    assert cashier[str(soon)].urgent and cashier[str(soon)].due == today() + DAY * 2
    assert not cashier[str(later)].urgent
    assert all(i.kind != "救助冻结即将到期" for i in summary.inbox_items(grants.worker))


def test_the_budget_card_shows_each_budget_and_the_share_used(grants, client_for):
    services.budget_set(by=grants.users["d1_accountant"], org_unit=grants.units["330602"], year=today().year,
                        relief_type=ReliefType.EMERGENCY, amount="4000")
    grants.make(S.APPROVED, amount="1000")
    section = summary.dashboard_section(grants.sup)
    assert section is not None
    [row] = section.context["budgets"]
    assert (row["amount"], row["committed"], row["used"]) == (D("4000.00"), D("1000.00"), D("25.0"))
    assert Budget.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_paying_and_expiring_at_once_does_one_or_the_other(users, units):
    grants = Grants(users, units)
    for _ in range(6):
        g = lapse(grants.make(S.APPROVED, amount="100"))
        barrier = threading.Barrier(3)
        outcomes: list[object] = [None, None, None]

        def pay(i: int, g: Grant = g) -> None:
            try:
                barrier.wait()
                outcomes[i] = services.grant_pay(grant=Grant.objects.get(pk=g.pk), by=grants.cashier,
                                                 key=uuid.uuid4().hex, method=Grant.Method.CASH)
            except ValidationError as exc:
                outcomes[i] = exc
            finally:
                connection.close()

        def expire(i: int, g: Grant = g) -> None:
            try:
                barrier.wait()
                outcomes[i] = holds.holds_expire(by=grants.sup) or "none"
            except ValidationError as exc:  # pragma: no cover — holds_expire swallows refusals
                outcomes[i] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=pay, args=(0,)), threading.Thread(target=expire, args=(1,)),
                   threading.Thread(target=expire, args=(2,))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        g.refresh_from_db()
        settled = g.hold.settled_by
        if g.status == S.PAID:
            assert settled.kind == "disburse" and g.paid_entry_id == settled.pk
        else:
            assert g.status == S.CANCELLED and settled.kind == "release" and g.paid_entry_id is None
            assert isinstance(outcomes[0], ValidationError)
        account = FundAccount.objects.get(pk=grants.account.pk)
        assert ledger.ledger_sum(account) == (account.balance, account.held)
        assert account.entries.filter(settles=g.hold).count() == 1


def test_budget_execution_is_a_monthly_rate_by_the_budgets_unit(grants, units):
    from servicecenter import figures
    from servicecenter.figures import Period, UnitTree

    services.budget_set(by=grants.users["d1_accountant"], org_unit=units["330602"], year=today().year,
                        relief_type=ReliefType.EMERGENCY, amount="8000")
    grants.make(S.PAID, amount="1000")  # within the district's budget (the account is the district's)
    grants.make(S.APPROVED, amount="3000")  # reserved, not paid: not executed
    month = Period.containing(today())
    district = figures.compute(units["330602"], month)["funds"]
    assert (district["budget_spent"], district["budget_amount"], district["budget_rate"]) == (
        D("1000.00"), D("8000.00"), D("12.5"))
    station = figures.compute(units["330602001"], month)["funds"]
    assert station["budget_amount"] == 0 and station["budget_rate"] is None  # the budget is the district's
    city = figures.compute(units["330600"], Period.whole_year(today().year))["funds"]
    assert city["budget_rate"] == D("12.5")
    tree = UnitTree(units["330600"])
    table = figures.table(tree, tree.units(), [month, Period.whole_year(today().year)])
    for unit in tree.units():
        assert table[(unit.pk, 0)]["funds"] == figures.compute(unit, month)["funds"], unit.code


def test_the_dashboard_shows_the_cards_as_the_supervisor_reads_them(grants, client_for):
    # The section's values reach the template as ``data``: read the page, not only the context.
    services.budget_set(by=grants.users["d1_accountant"], org_unit=grants.units["330602"], year=today().year,
                        relief_type=ReliefType.EMERGENCY, amount="4000")
    soon = grants.make(S.APPROVED, amount="1000")
    Grant.objects.filter(pk=soon.pk).update(hold_expires_on=today() + DAY * 3)
    grants.make(S.PAID, amount="600")
    body = client_for("d1_sup").get("/").content.decode()
    assert "待发放救助：1 件（冻结 1000.00 元）" in body
    assert "冻结 7 天内到期：1 件（1000.00 元）" in body
    assert "本年已发放：1 件，600.00 元" in body
    assert 'data-testid="budget-used"' in body and "40.0%" in body  # 1,600 of 4,000 reserved or paid
