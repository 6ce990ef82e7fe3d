"""The help supermarket's pages as the cashier and the supervisor meet them: items with their stock
and the low-stock flag, receipts, issues to a grant's recipient (lines summed, "库存不足" at the
line, nothing issued), the day close and the quarterly stocktake (differences with reasons, the day
locked, two signatures), the movement list and the 出入库登记簿 read back cell by cell; bad input
gives a Chinese message at the field and changes nothing; out of scope is 404; query counts pinned."""

from __future__ import annotations

import io
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from funds import stock
from funds.models import Grant, StockDay, StockItem, StockMovement

from .conftest import Grants

S = Grant.Status
TODAY = timezone.localdate


@pytest.fixture
def shop(grants: Grants):
    district = grants.units["330602"]
    rice = stock.stock_item_add(by=grants.cashier, unit=district, name="大米", spec="10kg", measure="袋", low_stock=3)
    oil = stock.stock_item_add(by=grants.cashier, unit=district, name="食用油", spec="5L", measure="桶", low_stock=5)
    stock.stock_receive(by=grants.cashier, item=rice, quantity=5, key="r1", quality_ok=True, received_by="沈小红")
    stock.stock_receive(by=grants.cashier, item=oil, quantity=2, key="r2", donated=True, value=300, quality_ok=True,
                        received_by="沈小红")
    return rice, oil


def on_hand(item: StockItem) -> int:
    item.refresh_from_db()
    return item.on_hand


def errors(response, field: str) -> list[str]:
    assert response.status_code == 200, response.status_code
    return list(response.context["form"].errors.get(field, []))


# --- items -------------------------------------------------------------------------------------------


def test_adding_an_item_and_the_bad_input_at_the_field(grants, client_for):
    client = client_for("d1_cashier")
    district = grants.units["330602"]
    data = {"org_unit": district.pk, "name": "大米", "spec": "10kg", "measure": "袋", "low_stock": "-1"}
    response = client.post("/funds/stock/items/new/", data)
    assert errors(response, "low_stock") == ["低库存预警数量不能小于 0。"] and not StockItem.objects.exists()
    assert response.context["form"]["name"].value() == "大米"
    assert client.post("/funds/stock/items/new/", {**data, "low_stock": "8"})["Location"] == "/funds/stock/"
    item = StockItem.objects.get()
    assert (item.name, item.spec, item.unit, item.low_stock, item.on_hand) == ("大米", "10kg", "袋", 8, 0)
    response = client.post("/funds/stock/items/new/", {**data, "low_stock": "8"})
    assert errors(response, "name") == ["越城区职工服务中心已有物品“大米（10kg）”。"] and StockItem.objects.count() == 1
    assert client_for("d1_sup").get("/funds/stock/items/new/").status_code == 403


def test_the_item_list_shows_the_stock_flags_low_items_searches_and_keeps_to_scope(grants, shop, client_for):
    rice, oil = shop  # rice 5 (mark 3): enough; oil 2 (mark 5): low
    body = client_for("d1_sup").get("/funds/stock/").content.decode()
    assert "大米" in body and "食用油" in body and body.count('data-testid="low"') == 1
    page = client_for("d1_sup").get("/funds/stock/?q=油").context["page"]
    assert [i.name for i in page.items] == ["食用油"]
    assert [i.name for i in client_for("d1_sup").get("/funds/stock/?low=true").context["page"].items] == ["食用油"]
    assert [i.name for i in client_for("d1_sup").get("/funds/stock/?ordering=-on_hand").context["page"].items] == [
        "大米", "食用油"]
    # Another district sees none of it; a station sees nothing of its district's supermarket.
    assert client_for("d2_sup").get("/funds/stock/").context["page"].items == []
    assert client_for("s11_worker").get("/funds/stock/").context["page"].items == []


# --- receipts -------------------------------------------------------------------------------------------


def test_a_receipt_on_the_page_checks_quality_and_value_and_a_double_submit_records_once(grants, shop, client_for):
    rice, oil = shop
    client = client_for("d1_cashier")
    page = client.get(f"/funds/stock/receive/?item={oil.pk}")
    token = page.context["form"].initial["token"]
    data = {"token": token, "item": oil.pk, "source": "donated", "quantity": "6", "value": "", "quality_ok": "on",
            "received_by": "沈小红", "day": TODAY().isoformat()}
    assert errors(client.post("/funds/stock/receive/", data), "value") == ["请填写捐赠物资价值（元）。"]
    response = client.post("/funds/stock/receive/", {**data, "value": "480", "quality_ok": ""})
    assert errors(response, "quality_ok") == ["质量验收不合格的物品不得入库。"]
    assert errors(client.post("/funds/stock/receive/", {**data, "quantity": "0"}), "quantity") == ["数量须大于零。"]
    assert on_hand(oil) == 2 and StockMovement.objects.count() == 2
    for _ in range(2):
        response = client.post("/funds/stock/receive/", {**data, "value": "480"})
        assert response.status_code == 302
    assert on_hand(oil) == 8 and StockMovement.objects.filter(kind="donated", item=oil).count() == 2
    last = StockMovement.objects.latest("id")
    assert (last.delta, str(last.value), last.received_by) == (6, "480.00", "沈小红")
    assert client_for("d1_sup").post("/funds/stock/receive/", data).status_code == 403


# --- issues -----------------------------------------------------------------------------------------------


def test_issuing_goods_from_the_grant_page_sums_the_lines_and_refuses_at_the_line(grants, shop, client_for):
    rice, oil = shop
    g = grants.make(S.APPROVED)
    client = client_for("d1_cashier")
    assert f"/funds/grants/{g.pk}/goods/" in client.get(f"/funds/grants/{g.pk}/").content.decode()
    assert 'data-testid="issue-goods"' not in client_for("d1_sup").get(f"/funds/grants/{g.pk}/").content.decode()
    token = client.get(f"/funds/grants/{g.pk}/goods/").context["form"].initial["token"]
    data = {"token": token, "day": TODAY().isoformat(), "item_1": rice.pk, "quantity_1": "3", "item_2": oil.pk,
            "quantity_2": "1", "item_3": rice.pk, "quantity_3": "3"}
    response = client.post(f"/funds/grants/{g.pk}/goods/", data)
    assert errors(response, "quantity_3") == ["大米（10kg）库存不足：现有 5袋，需发放 6袋。"]
    assert (on_hand(rice), on_hand(oil)) == (5, 2) and not StockMovement.objects.filter(kind="issue").exists()
    assert response.context["form"]["quantity_3"].value() == "3"
    response = client.post(f"/funds/grants/{g.pk}/goods/", {**data, "quantity_2": ""})
    assert errors(response, "quantity_2") == ["请填写物品 2 的数量。"]
    ok = {**data, "quantity_3": "2"}
    for _ in range(2):  # a double submit issues once
        assert client.post(f"/funds/grants/{g.pk}/goods/", ok).status_code == 302
    assert (on_hand(rice), on_hand(oil)) == (0, 1)
    issued = StockMovement.objects.filter(kind="issue", grant=g)
    assert sorted((m.item_id, m.delta, m.person_id) for m in issued) == sorted(
        [(rice.pk, -5, g.person_id), (oil.pk, -1, g.person_id)])
    assert "大米（10kg）" in client.get(f"/funds/grants/{g.pk}/goods/").content.decode()


def test_goods_only_for_an_approved_grant_and_only_by_the_cashier_in_scope(grants, shop, client_for):
    rice, _ = shop
    v = grants.make(S.VERIFIED)
    client = client_for("d1_cashier")
    assert "救助尚未审批" in client.get(f"/funds/grants/{v.pk}/goods/").content.decode()
    response = client.post(f"/funds/grants/{v.pk}/goods/", {"day": TODAY().isoformat(), "item_1": rice.pk,
                                                            "quantity_1": "1"})
    assert "救助尚未审批，不能发放物品。" in response.content.decode() and on_hand(rice) == 5
    g = grants.make(S.APPROVED)
    assert client_for("d1_sup").get(f"/funds/grants/{g.pk}/goods/").status_code == 403
    assert client_for("d2_sup").get(f"/funds/grants/{g.pk}/goods/").status_code == 404
    assert client_for("s12_clerk").post(f"/funds/grants/{g.pk}/goods/", {}).status_code == 404


# --- day close --------------------------------------------------------------------------------------------


def test_the_day_close_page_needs_a_reason_for_a_difference_and_locks_the_day(grants, shop, client_for):
    rice, oil = shop
    client = client_for("d1_cashier")
    page = client.get("/funds/stock/close/")
    assert [(line["item"].pk, line["books"]) for line in page.context["form"].lines()] == [(rice.pk, 5), (oil.pk, 2)]
    data = {"day": TODAY().isoformat(), f"counted_{rice.pk}": "4", f"counted_{oil.pk}": "2"}
    response = client.post("/funds/stock/close/", data)
    assert errors(response, f"reason_{rice.pk}") == ["大米（10kg）账实不符（账面 5，实盘 4），请填写差异原因。"]
    assert not StockDay.objects.exists() and on_hand(rice) == 5
    assert errors(client.post("/funds/stock/close/", {**data, f"counted_{oil.pk}": "-1"}), f"counted_{oil.pk}") == [
        "食用油（5L）实盘数量不能小于 0。"]
    response = client.post("/funds/stock/close/", {**data, f"reason_{rice.pk}": "一袋破损报废"})
    closed = StockDay.objects.get()
    assert response["Location"] == f"/funds/stock/days/{closed.pk}/" and closed.kind == "close"
    assert on_hand(rice) == 4 and StockMovement.objects.get(kind="adjust").reason == "一袋破损报废"
    body = client.get(f"/funds/stock/days/{closed.pk}/").content.decode()
    assert "一袋破损报废" in body and "-1" in body
    assert TODAY().strftime("%Y-%m-%d") in client.get("/funds/stock/close/").content.decode()
    # A back-dated receipt into the closed day is refused at the date, and nothing is received.
    response = client.post("/funds/stock/receive/", {"item": rice.pk, "source": "purchased", "quantity": "1",
                                                      "quality_ok": "on", "received_by": "沈小红",
                                                      "day": TODAY().isoformat(), "token": uuid.uuid4().hex})
    assert errors(response, "day") == [f"{TODAY():%Y-%m-%d}及以前已日结，不能登记该日期的出入库。"]
    assert on_hand(rice) == 4
    # Closing the same day again is refused at the date.
    assert "已日结" in errors(client.post("/funds/stock/close/", {**data, f"reason_{rice.pk}": "x"}), "day")[0]


def test_the_day_close_of_another_unit_is_not_found(grants, shop, client_for):
    district = grants.units["330602"]
    assert client_for("d2_sup").get(f"/funds/stock/close/?unit={district.pk}").status_code == 404
    assert client_for("d1_sup").get(f"/funds/stock/close/?unit={district.pk}").status_code == 403
    assert client_for("d1_cashier").get("/funds/stock/close/?unit=x").status_code == 404


# --- the quarterly stocktake ------------------------------------------------------------------------------


def test_the_quarterly_stocktake_is_signed_by_two_and_closes_the_day(grants, shop, client_for, users):
    from pypdf import PdfReader

    rice, oil = shop
    client = client_for("d1_cashier")
    page = client.get("/funds/stocktakes/new/".replace("stocktakes/new", "stock/stocktakes/new"))
    witnesses = list(page.context["form"].fields["witness"].queryset)
    assert users["d1_sup"] in witnesses and users["d1_cashier"] not in witnesses
    data = {"day": TODAY().isoformat(), f"counted_{rice.pk}": "5", f"counted_{oil.pk}": "3",
            "witness": users["d1_cashier"].pk}
    response = client.post("/funds/stock/stocktakes/new/", data)
    assert errors(response, "witness") == ["请从列表中选择监盘人。"]
    response = client.post("/funds/stock/stocktakes/new/", {**data, "witness": users["d1_sup"].pk})
    assert errors(response, f"reason_{oil.pk}") == ["食用油（5L）账实不符（账面 2，实盘 3），请填写差异原因。"]
    assert not StockDay.objects.exists()
    client.post("/funds/stock/stocktakes/new/", {**data, "witness": users["d1_sup"].pk, f"reason_{oil.pk}": "捐赠漏登"})
    taken = StockDay.objects.get()
    assert (taken.kind, taken.quarter, taken.witness, taken.closed_by) == (
        "stocktake", stock.quarter_of(TODAY()), users["d1_sup"], users["d1_cashier"])
    assert on_hand(oil) == 3 and [c["difference"] for c in taken.counts] == [0, 1]
    listed = client_for("d1_sup").get("/funds/stock/stocktakes/").content.decode()
    assert taken.quarter in listed and "越城区分管主席陈红梅" in listed
    pdf = client_for("d1_sup").get(f"/funds/stock/days/{taken.pk}/print.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "季度盘点表" in text and "捐赠漏登" in text and "监盘人" in text and "越城区分管主席陈红梅" in text
    # The day is closed, and the quarter has its stocktake.
    assert StockDay.objects.filter(day=TODAY()).count() == 1
    with pytest.raises(Exception, match="已做过季度盘点"):
        stock.stock_take(by=users["d1_cashier"], unit=rice.org_unit, day=TODAY(), witness=users["d1_sup"],
                         counted={rice.pk: 5, oil.pk: 3})
    assert client_for("d2_sup").get(f"/funds/stock/days/{taken.pk}/").status_code == 404


# --- movements and the register -------------------------------------------------------------------------


def test_the_movement_list_filters_and_the_register_reads_back_cell_by_cell(grants, shop, client_for):
    rice, oil = shop
    g = grants.make(S.APPROVED)
    stock.stock_issue(by=grants.cashier, grant=g, key="i1", lines=[stock.Line(rice, 2)])
    client = client_for("d1_sup")
    kinds = [m.kind for m in client.get(f"/funds/stock/movements/?item={rice.pk}").context["page"].items]
    assert kinds == ["issue", "purchased"]
    assert [m.item_id for m in client.get("/funds/stock/movements/?kind=donated").context["page"].items] == [oil.pk]
    day = TODAY().isoformat()
    assert len(client.get(f"/funds/stock/movements/?day_after={day}&day_before={day}").context["page"].items) == 3
    assert client.get("/funds/stock/movements/?day_after=2000-01-01&day_before=2000-01-02").context["page"].items == []
    assert client_for("d2_sup").get("/funds/stock/movements/").context["page"].items == []

    response = client.get(f"/funds/stock/movements/export.xlsx?org_unit={rice.org_unit_id}")
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert ws.cell(1, 1).value == "帮扶超市出入库登记簿"
    header = [c.value for c in ws[3]]
    assert header[:10] == ["序号", "业务日期", "单位", "物品", "规格", "计量单位", "类型", "入库数量", "出库数量", "结存"]
    assert header[-1] == "领取人签字"
    col = {name: i + 1 for i, name in enumerate(header)}
    rows = {ws.cell(r, col["物品"]).value + ws.cell(r, col["类型"]).value: r for r in range(4, 7)}
    issue = rows["大米发放出库"]
    assert ws.cell(issue, col["入库数量"]).value is None and ws.cell(issue, col["出库数量"]).value == 2
    assert ws.cell(issue, col["结存"]).value == 3 and ws.cell(issue, col["领取人"]).value == g.person.name
    assert ws.cell(issue, col["救助编号"]).value == g.number
    donated = rows["食用油捐赠入库"]
    assert ws.cell(donated, col["入库数量"]).value == 2 and ws.cell(donated, col["捐赠物资价值（元）"]).value == 300
    assert ws.cell(donated, col["验收签收人"]).value == "沈小红" and ws.cell(donated, col["计量单位"]).value == "桶"
    assert ws.cell(7, 1).value == "合计" and ws.cell(7, col["捐赠物资价值（元）"]).value == 300
    assert client_for("d1_cashier").get("/funds/stock/movements/export.xlsx").status_code == 403


def test_list_query_counts_do_not_grow_with_rows(grants, shop, client_for, django_assert_num_queries, users):
    rice, oil = shop
    client = client_for("d1_sup")
    urls = ("/funds/stock/", "/funds/stock/movements/", "/funds/stock/stocktakes/")
    client.get("/funds/stock/")
    stock.stock_take(by=grants.cashier, unit=rice.org_unit, day=TODAY(), witness=users["d1_sup"],
                     counted={rice.pk: 5, oil.pk: 2})
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx)
    for n in range(3):
        stock.stock_item_add(by=grants.cashier, unit=grants.units["330602"], name=f"棉被{n}")
    other = grants.units["330602002"]
    item = stock.stock_item_add(by=grants.cashier, unit=other, name="牛奶")
    stock.stock_receive(by=grants.cashier, item=item, quantity=9, key="m1", quality_ok=True, received_by="x")
    stock.stock_take(by=grants.cashier, unit=other, day=TODAY(), witness=users["d1_sup"], counted={item.pk: 9})
    for url, n in counts.items():
        with django_assert_num_queries(n):
            assert client.get(url).status_code == 200
    assert counts == {"/funds/stock/": 6, "/funds/stock/movements/": 7, "/funds/stock/stocktakes/": 5}


# --- dashboard and figures ------------------------------------------------------------------------------


def test_the_dashboard_shows_the_low_stock_items_in_scope(grants, shop, client_for):
    body = client_for("d1_sup").get("/").content.decode()
    assert "待发放救助：0 件" in body
    assert 'data-testid="funds-low-stock"' in body and "食用油（5L） 现有 2桶" in body and "大米（10kg） 现有" not in body
    assert 'data-testid="funds-low-stock"' not in client_for("d2_sup").get("/").content.decode()


def test_goods_issued_and_distinct_recipients_are_monthly_figures(grants, shop, users):
    from funds import summary
    from servicecenter import figures
    from servicecenter.figures import Period, UnitTree

    rice, oil = shop
    first, second = grants.make(S.APPROVED), grants.make(S.PAID)
    stock.stock_issue(by=grants.cashier, grant=first, key="a", lines=[stock.Line(rice, 2), stock.Line(oil, 1)])
    stock.stock_issue(by=grants.cashier, grant=second, key="b", lines=[stock.Line(rice, 1)])
    stock.stock_issue(by=grants.cashier, grant=second, key="c", lines=[stock.Line(rice, 1)])  # the same person again
    today = TODAY()
    month = Period.month(today.year, today.month)
    district = grants.units["330602"]
    values = summary.monthly_figures(district, month.first, month.last)
    assert (values["goods_issued"], values["goods_recipients"]) == (5, 2)
    table = figures.table(UnitTree(grants.units["330600"]), [grants.units["330600"], district], [month])
    for unit in (grants.units["330600"], district):
        assert (table[(unit.pk, 0)]["funds"]["goods_issued"], table[(unit.pk, 0)]["funds"]["goods_recipients"]) == (5, 2)


# --- demo ---------------------------------------------------------------------------------------------


def test_the_demo_has_a_supermarket_with_a_days_movements_and_runs_again_without_change(db, settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    items = {i.name: i for i in StockItem.objects.filter(org_unit__code="330602")}
    assert set(items) == {"大米", "食用油", "棉被"}
    kinds = sorted(StockMovement.objects.values_list("kind", flat=True))
    assert kinds == ["donated", "donated", "issue", "issue", "purchased"]
    issue = StockMovement.objects.filter(kind="issue").select_related("grant").first()
    assert issue.grant.status == S.PAID and issue.grant.method == Grant.Method.GOODS
    assert (items["大米"].on_hand, items["食用油"].on_hand, items["棉被"].on_hand) == (38, 19, 4)
    before = (StockItem.objects.count(), StockMovement.objects.count(), Grant.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (StockItem.objects.count(), StockMovement.objects.count(), Grant.objects.count()) == before


def test_the_witness_is_another_member_of_staff_of_the_unit_or_above(grants, shop, users):
    from django.core.exceptions import ValidationError

    rice, oil = shop
    counted = {rice.pk: 5, oil.pk: 2}
    for witness, message in ((users["d1_cashier"], "监盘人须与盘点人不同"), (users["d2_sup"], "上级单位在岗的工作人员"),
                             (users["s11_worker"], "上级单位在岗的工作人员"), (users["sysadmin"], "上级单位在岗的工作人员"),
                             (None, "请选择监盘人")):
        with pytest.raises(ValidationError, match=message):
            stock.stock_take(by=grants.cashier, unit=rice.org_unit, day=TODAY(), witness=witness, counted=counted)
    assert not StockDay.objects.exists()


def test_the_person_page_lists_the_goods_received(grants, shop, client_for):
    rice, _ = shop
    g = grants.make(S.APPROVED)
    stock.stock_issue(by=grants.cashier, grant=g, key="p", lines=[stock.Line(rice, 2)])
    body = client_for("d1_sup").get(f"/people/{g.person_id}/").content.decode()
    section = body[body.index('data-testid="funds-person-goods"'):]
    assert "大米（10kg）" in section and "2袋" in section and g.number in section
    # The station sees the person, not the district supermarket's movements.
    assert 'data-testid="funds-person-goods"' not in client_for("s11_worker").get(f"/people/{g.person_id}/").content.decode()
