"""Year close: the accountant freezes an ended year's figures of a unit (and below) as canonical JSON
+ SHA-256; afterwards nothing dated in that year is recorded there (a back-dated income, payment or
budget → a Chinese refusal at the date's field, audited, nothing changed); a reversal of a closed
year's entry is posted in the open year; the frozen figures verify, and a tampered row does not."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from funds import ledger, services, year_close
from funds.models import FundAccount, FundSource, Grant, LedgerEntry, ReliefType, YearClose
from servicecenter import figures
from servicecenter.models import AuditEvent

from .conftest import Grants

S = Grant.Status
D = Decimal
LAST = timezone.localdate().year - 1


def received(grants: Grants, day: datetime.date, amount: str = "1000", unit: str = "330602",
             kind: str = FundSource.Kind.DONATION) -> FundSource:
    return services.source_record(by=grants.users["d1_accountant"], org_unit=grants.units[unit], kind=kind,
                                  donor="演示企业", received_on=day, amount=amount, key=uuid.uuid4().hex)


def paid_last_year(grants: Grants, amount: str = "500", **kwargs) -> Grant:  # noqa: ANN003
    g = grants.make(S.VERIFIED, amount=amount, **kwargs)
    services.grant_approve(grant=g, by=grants.sup, account=grants.account, confirm_reason="再次突发困难")
    g.refresh_from_db()
    return services.grant_pay(grant=g, by=grants.cashier, key=uuid.uuid4().hex, method=Grant.Method.CASH,
                              paid_on=datetime.date(LAST, 12, 31))


def close(grants: Grants, year: int = LAST, unit: str = "330602") -> YearClose:
    return year_close.year_close(by=grants.users["d1_accountant"], org_unit=grants.units[unit], year=year)


def test_the_close_freezes_the_years_figures_of_the_unit_and_below(grants):
    received(grants, datetime.date(LAST, 1, 1), "3000")
    received(grants, datetime.date(LAST, 12, 31), "2000", unit="330602001", kind=FundSource.Kind.UNION)
    received(grants, datetime.date(LAST - 1, 12, 31), "999")  # the year before: not this year's
    g1 = paid_last_year(grants, "500")
    paid_last_year(grants, "700", person=g1.person)  # the same household: counted once
    grants.make(S.PAID, amount="100")  # paid this year: not last year's
    yc = close(grants)
    f = figures.from_json(yc.figures)
    assert f["received"]["donation"]["amount"] == D("3000.00") and f["received"]["donation"]["count"] == 1
    assert f["received"]["union"]["amount"] == D("2000.00") and f["received_total"] == D("5000.00")
    assert f["grants"]["emergency"] == {"label": "临时/应急救助", "count": 2, "households": 1, "amount": D("1200.00")}
    assert f["grants"]["living"]["count"] == 0
    assert f["grants_total"]["households"] == 1
    assert len(yc.sha256) == 64 and year_close.verify(yc)
    assert yc.sha256 == figures.digest({"unit": "330602", "year": LAST, "figures": yc.figures})
    assert AuditEvent.objects.filter(action="funds.year_close").exists()


def test_the_year_end_balances_are_the_entries_posted_before_the_next_january(grants):
    account = grants.account
    yc = close(grants)
    f = figures.from_json(yc.figures)
    # Everything in the fixtures was posted this year: no account had money at last year's end.
    assert f["accounts"] == [] and f["balance_total"] == 0
    later = year_close.compute(grants.units["330602"], LAST + 1)
    [row] = [a for a in later["accounts"] if a["account"] == account.pk]
    account.refresh_from_db()
    assert row["balance"] == account.balance and row["held"] == account.held


def test_after_the_close_a_back_dated_income_is_refused_at_the_date(grants):
    close(grants)
    before = (FundSource.objects.count(), LedgerEntry.objects.count())
    with pytest.raises(ValidationError) as caught:
        received(grants, datetime.date(LAST, 12, 31), unit="330602001")  # below the closed unit
    assert "年度已结账" in caught.value.message_dict["received_on"][0]
    assert (FundSource.objects.count(), LedgerEntry.objects.count()) == before
    assert AuditEvent.objects.filter(action="funds.source_record.refused", detail__contains="已结账").exists()
    received(grants, datetime.date(LAST + 1, 1, 1))  # the first day of the open year


def test_after_the_close_a_back_dated_payment_and_budget_are_refused(grants):
    g = grants.make(S.APPROVED)
    close(grants)
    with pytest.raises(ValidationError) as caught:
        services.grant_pay(grant=g, by=grants.cashier, key=uuid.uuid4().hex, method=Grant.Method.CASH,
                           paid_on=datetime.date(LAST, 12, 31))
    assert "年度已结账" in caught.value.message_dict["paid_on"][0]
    g.refresh_from_db()
    assert g.status == S.APPROVED and g.paid_entry_id is None
    services.grant_pay(grant=g, by=grants.cashier, key=uuid.uuid4().hex, method=Grant.Method.CASH,
                       paid_on=datetime.date(LAST + 1, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.budget_set(by=grants.users["d1_accountant"], org_unit=grants.units["330602001"], year=LAST,
                            relief_type=ReliefType.LIVING, amount="100")
    assert "年度已结账" in caught.value.message_dict["year"][0]


def test_a_reversal_of_a_closed_years_entry_is_posted_in_the_open_year(grants):
    source = received(grants, datetime.date(LAST, 6, 1), "800")
    entry = LedgerEntry.objects.get(voucher=f"funds.source:{source.pk}")  # posted now, money of last year
    yc = close(grants)
    reversal = services.entry_reverse(by=grants.users["d1_accountant"], entry=entry, key=uuid.uuid4().hex,
                                      reason="重复登记")
    assert timezone.localtime(reversal.at).year == LAST + 1
    yc.refresh_from_db()
    assert year_close.verify(yc) and figures.from_json(yc.figures)["received"]["donation"]["amount"] == D("800.00")
    account = FundAccount.objects.get(pk=entry.account_id)
    assert ledger.ledger_sum(account) == (account.balance, account.held)


@pytest.mark.parametrize("year, message", [
    (timezone.localdate().year, "尚未结束"), (timezone.localdate().year + 1, "尚未结束"), (1999, "请填写年度"),
    ("abc", "请填写年度"), ("", "请填写年度")])
def test_bad_years_are_refused_at_the_field(grants, year, message):
    with pytest.raises(ValidationError) as caught:
        close(grants, year=year)
    assert message in caught.value.message_dict["year"][0]
    assert not YearClose.objects.exists()
    assert AuditEvent.objects.filter(action="funds.year_close.refused", outcome="denied").exists()


def test_a_year_is_closed_once_also_below_a_closed_unit(grants):
    close(grants)
    with pytest.raises(ValidationError, match="已结账"):
        close(grants)
    with pytest.raises(ValidationError, match="越城区.*已结账"):
        close(grants, unit="330602001")
    assert YearClose.objects.count() == 1
    assert close(grants, year=LAST - 1).year == LAST - 1


def test_only_the_accountant_closes_and_only_in_scope(grants, users, units):
    with pytest.raises(PermissionDenied):
        year_close.year_close(by=users["d1_sup"], org_unit=units["330602"], year=LAST)
    with pytest.raises(ValidationError) as caught:
        year_close.year_close(by=users["d1_accountant"], org_unit=units["330600"], year=LAST)
    assert "请从列表中选择" in caught.value.message_dict["org_unit"][0]
    assert not YearClose.objects.exists()


def test_the_frozen_row_cannot_be_saved_again_and_a_tampered_one_fails_verification(grants):
    yc = close(grants)
    with pytest.raises(ValueError, match="已冻结"):
        yc.save()
    YearClose.objects.filter(pk=yc.pk).update(figures={**yc.figures, "received_total": "1.00"})
    yc.refresh_from_db()
    assert not year_close.verify(yc)


def test_the_page_closes_a_year_lists_it_and_verifies(grants, client_for):
    received(grants, datetime.date(LAST, 3, 1), "1234.50")
    client = client_for("d1_accountant")
    bad = client.post("/funds/year-close/", {"org_unit": grants.units["330602"].pk, "year": LAST + 1})
    assert "尚未结束" in bad.context["form"].errors["year"][0] and not YearClose.objects.exists()
    assert bad.context["form"]["year"].value() == str(LAST + 1)  # the input kept
    assert client.post("/funds/year-close/", {"org_unit": grants.units["330602"].pk, "year": LAST}).status_code == 302
    yc = YearClose.objects.get()
    page = client.get("/funds/year-close/").content.decode()
    assert yc.sha256 in page and "一致" in page and "1234.50" in page
    assert client_for("d1_sup").post("/funds/year-close/", {"org_unit": grants.units["330602"].pk,
                                                             "year": LAST - 1}).status_code == 403
    assert YearClose.objects.count() == 1
    assert yc.sha256 in client.get(f"/funds/year-close/?year={LAST}").content.decode()
    assert yc.sha256 not in client.get(f"/funds/year-close/?year={LAST - 1}").content.decode()
    assert client.get("/funds/year-close/?year=abc").status_code == 200  # bad filter input: no 500
    # Another district's supervisor does not see it.
    other = client_for("d2_sup").get("/funds/year-close/").content.decode()
    assert yc.sha256 not in other and "尚无年度结账" in other


def test_the_list_page_query_count_does_not_grow_with_the_rows(grants, client_for, django_assert_num_queries):
    client = client_for("d1_accountant")
    close(grants)
    client.get("/funds/year-close/")
    with django_assert_num_queries(QUERIES) as one:
        client.get("/funds/year-close/")
    close(grants, year=LAST - 1)
    close(grants, year=LAST - 2, unit="330602001")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/funds/year-close/")


QUERIES = 8  # session, user, roles, the user's unit twice, the filter's and the form's units, the page of closes
