"""The help a household received this year, as the hardship file page and the roster's 未帮扶过
filter ask it (servicecenter.assistance, answered by funds/help_given.py)."""

from __future__ import annotations

import pytest

from funds import help_given
from funds.models import Grant, ReliefType
from hardship.selectors import not_helped_in, roster_for
from servicecenter import assistance
from tests.conftest import login

S = Grant.Status
pytestmark = pytest.mark.django_db


def test_the_file_page_lists_this_years_grants_of_the_household(grants, users):
    file = grants.archived_file()
    paid = grants.make(S.PAID, relief_type=ReliefType.LIVING, file=file, amount="1200.00")
    pending = grants.make(S.APPLIED, relief_type=ReliefType.EMERGENCY, person=file.applicant, amount="300.00")
    page = login(users["s11_worker"]).get(f"/hardship/{file.pk}/")
    assert page.status_code == 200
    rows = [(h.kind, h.amount, h.state, h.basis) for h in page.context["help"]]
    assert ("生活救助", paid.amount, "已发放", paid.number) in rows
    assert ("临时/应急救助", pending.amount, "待核实", pending.number) in rows
    html = page.content.decode()
    assert "本年度帮扶情况" in html and paid.number in html and f"/funds/grants/{paid.pk}/" in html


def test_a_file_without_help_says_so(grants, users):
    file = grants.archived_file()
    html = login(users["s11_worker"]).get(f"/hardship/{file.pk}/").content.decode()
    assert "本年度尚未获得帮扶" in html


def test_another_units_grant_shows_unit_date_and_amount_but_no_number(grants, users):
    file = grants.archived_file()
    paid = grants.make(S.PAID, relief_type=ReliefType.LIVING, file=file)
    # A worker of another district cannot open the grant: what was given, by whom and when — no link.
    [record] = help_given.records([file.applicant_id], int(paid.period), users["s21_worker"])
    assert (record.unit, record.amount, record.on) == (str(paid.org_unit), paid.amount, paid.paid_on)
    assert record.basis == "" and record.url == ""
    # Cancelled or rejected grants are no help.
    grants.make(S.CANCELLED, relief_type=ReliefType.EMERGENCY, person=file.applicant)
    assert len(assistance.help_received([file.applicant_id], int(paid.period), users["s11_worker"])) == 1


def test_the_roster_filters_households_not_helped_this_year(grants, users):
    helped, pending, untouched = grants.archived_file(), grants.archived_file(), grants.archived_file()
    grants.make(S.PAID, relief_type=ReliefType.LIVING, file=helped)
    grants.make(S.APPROVED, relief_type=ReliefType.LIVING, file=pending)  # approved, not paid: not yet helped
    year = int(Grant.objects.first().period)
    files = roster_for(users["s11_worker"])
    assert set(not_helped_in(files, year)) >= {pending, untouched} and helped not in not_helped_in(files, year)
    assert helped in not_helped_in(files, year - 1)  # last year nobody was helped
    client = login(users["s11_worker"])
    none = client.get("/hardship/roster/", {"helped": "none"})
    some = client.get("/hardship/roster/", {"helped": "some"})
    assert none.status_code == some.status_code == 200
    shown_none = {f.pk for f in none.context["page"].items}
    shown_some = {f.pk for f in some.context["page"].items}
    assert helped.pk in shown_some and helped.pk not in shown_none
    assert {pending.pk, untouched.pk} <= shown_none and not {pending.pk, untouched.pk} & shown_some
    # The roster export reuses the filter: the unhelped households only.
    assert client.get("/hardship/roster/", {"helped": "nonsense"}).status_code == 200


def test_goods_from_the_help_supermarket_count_as_help(grants, users):
    from funds import stock
    from funds.models import StockItem

    file = grants.archived_file()
    goods = grants.make(S.APPROVED, relief_type=ReliefType.HOLIDAY, person=file.applicant, amount="200.00")
    rice = StockItem.objects.create(org_unit=grants.station, name="大米", spec="10kg", unit="袋")
    stock.stock_receive(by=grants.cashier, item=rice, quantity=5, key="in-1", quality_ok=True, received_by="王五")
    stock.stock_issue(by=grants.cashier, grant=goods, lines=[stock.Line(rice, 2)], key="out-1")
    year = int(goods.period)
    kinds = [h.kind for h in assistance.help_received([file.applicant_id], year, users["s11_worker"])]
    assert "帮扶超市物品：大米（10kg） 2袋" in kinds
    assert file not in not_helped_in(roster_for(users["s11_worker"]), year)


def test_the_help_section_does_not_query_per_grant(grants, users, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file = grants.archived_file()
    grants.make(S.PAID, relief_type=ReliefType.LIVING, file=file)
    client = login(users["s11_worker"])
    with CaptureQueriesContext(connection) as one:
        client.get(f"/hardship/{file.pk}/")
    for _ in range(3):
        grants.make(S.APPLIED, relief_type=ReliefType.EMERGENCY, person=file.applicant, amount="100")
    with django_assert_max_num_queries(len(one)):
        assert len(client.get(f"/hardship/{file.pk}/").context["help"]) == 4
