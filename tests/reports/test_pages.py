"""The pages of /reports/: filing through the forms (refusals at the field, nothing changed), the
roll-up, exports read back with openpyxl, the printed form, statistics, dashboards with charts and
the navigation's inbox count; query counts pinned (the same with many more stations and records)."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from openpyxl import load_workbook

from servicecenter import summaries as sm
from servicecenter.figures import Period
from servicecenter.models import MonthlySummary, OrgUnit
from servicecenter.orgunits import orgunit_save
from tests.reports.conftest import at, put_petition

S = MonthlySummary.Status
TEXT = {"work_done": "本月接待来访。", "problems": "", "next_plan": "走访企业。"}
D = datetime.timedelta


def month_url(unit, month, tail=""):
    return f"/reports/units/{unit.pk}/{month.year}/{month.month_number}/{tail}"


def test_a_station_worker_files_through_the_forms_and_refusals_keep_the_input(ctx, client_for):
    u, m = ctx.units, ctx.month
    put_petition(u["330602001"], ctx.people[0], at(m.first + D(2)), by=ctx.users["s11_clerk"])
    worker = client_for("s11_worker")
    page = worker.get(month_url(u["330602001"], m))
    assert page.status_code == 200 and "开始填报" in page.content.decode()
    response = worker.post(month_url(u["330602001"], m, "start/"), {"work_done": "", "problems": "人手紧"})
    summary = MonthlySummary.objects.get(org_unit=u["330602001"], year=m.year, month=m.month_number)
    assert response.status_code == 302 and response["Location"] == f"/reports/{summary.pk}/"
    assert summary.problems == "人手紧" and summary.status == S.DRAFT

    refused = worker.post(f"/reports/{summary.pk}/submit/", {"work_done": " ", "next_plan": "继续走访"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "请填写本月工作开展情况。" in body and "继续走访" in body
    assert MonthlySummary.objects.get(pk=summary.pk).status == S.DRAFT

    assert worker.post(f"/reports/{summary.pk}/submit/", {**TEXT}).status_code == 302
    summary.refresh_from_db()
    assert summary.status == S.SUBMITTED and summary.figures["values"]["petitions"]["received"] == 1

    sup = client_for("d1_sup")
    refused = sup.post(f"/reports/{summary.pk}/return/", {"reason": ""})
    assert refused.status_code == 200 and "请写明理由。" in refused.content.decode()
    assert MonthlySummary.objects.get(pk=summary.pk).status == S.SUBMITTED
    assert sup.post(f"/reports/{summary.pk}/return/", {"reason": "请核对来访人数"}).status_code == 302
    page = worker.get(f"/reports/{summary.pk}/").content.decode()
    assert "退回修改" in page and "请核对来访人数" in page
    # Editing what was submitted: the page does not offer it, and the step refuses it.
    assert worker.post(f"/reports/{summary.pk}/submit/", TEXT).status_code == 302
    refused = worker.post(f"/reports/{summary.pk}/edit/", {"work_done": "改"})
    assert refused.status_code == 200 and "已报送，等待上级审核，不能修改" in refused.content.decode()
    # The city's supervisor may look, but accepting is the district's.
    refused = client_for("city_sup").post(f"/reports/{summary.pk}/accept/", {})
    assert refused.status_code == 200 and "只有上级单位（越城区职工服务中心）可以审核" in refused.content.decode()
    assert MonthlySummary.objects.get(pk=summary.pk).status == S.SUBMITTED


def test_waiving_a_missing_station_from_its_month_page(ctx, client_for):
    u, m = ctx.units, ctx.month
    sup = client_for("d1_sup")
    page = sup.get(month_url(u["330602002"], m)).content.decode()
    assert "免报" in page and "开始填报" not in page
    refused = sup.post(month_url(u["330602002"], m, "waive/"), {"reason": ""})
    assert refused.status_code == 200 and "请写明理由。" in refused.content.decode()
    assert not MonthlySummary.objects.exists()
    assert sup.post(month_url(u["330602002"], m, "waive/"), {"reason": "站点撤并"}).status_code == 302
    assert MonthlySummary.objects.get().status == S.WAIVED
    # Not a child of 上虞区: its supervisor does not see the station at all.
    assert client_for("d2_sup").post(month_url(u["330602001"], m, "waive/"), {"reason": "x"}).status_code == 404


def _filed_district(ctx):
    u, m, users = ctx.units, ctx.month, ctx.users
    for code, worker in (("330602001", "s11_worker"), ("330602002", "s12_worker")):
        put_petition(u[code], ctx.people[0], at(m.first + D(3)), by=ctx.users["s11_clerk"])
        s = sm.summary_submit(summary=sm.summary_start(unit=u[code], year=m.year, month=m.month_number,
                                                       by=users[worker]), by=users[worker], **TEXT)
        sm.summary_accept(summary=s, by=users["d1_sup"])
    district = sm.summary_start(unit=u["330602"], year=m.year, month=m.month_number, by=users["d1_sup"],
                                work_done="=SUM(A1) 区中心汇总")
    sm.summary_submit(summary=district, by=users["d1_sup"], work_done="=SUM(A1) 区中心汇总")
    sm.summary_accept(summary=district, by=users["city_sup"])
    district.refresh_from_db()
    return district


def test_the_district_roll_up_shows_each_station_and_the_totals(ctx, client_for):
    district = _filed_district(ctx)
    page = client_for("d1_sup").get(f"/reports/{district.pk}/")
    body = page.content.decode()
    view = page.context["view"]
    assert [r.unit.code for r in view.rollup.rows] == ["330602001", "330602002"]
    assert view.shown["petitions"]["received"] == 2
    assert view.shown["petitions"]["complainants"] == 1  # the same person at both stations
    assert "校验一致" in body and district.sha256[:16] in body
    assert 'data-testid="rollup-petitions"' in body and "合计（越城区职工服务中心）" in body


def test_the_summary_exports_to_xlsx_like_the_paper_form(ctx, client_for):
    district = _filed_district(ctx)
    response = client_for("city_sup").get(f"/reports/{district.pk}/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["合计", "府山街道工会服务站", "塔山街道工会服务站", "各单位汇总"]
    total = wb["合计"]
    rows = {row[1]: row[2] for row in total.iter_rows(min_row=4, values_only=True) if row[1]}
    assert rows["受理件数"] == 2 and rows["来访人数（去重）"] == 1 and rows["办结率"] == "0.0%"
    texts = [c for row in total.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "=SUM(A1) 区中心汇总" in texts  # stored as text, not as a formula
    assert any(t.startswith("数据校验码（SHA-256）：" + district.sha256) for t in texts)
    assert any("填报单位：越城区职工服务中心" in t for t in texts)
    station = {row[1]: row[2] for row in wb["府山街道工会服务站"].iter_rows(min_row=4, values_only=True) if row[1]}
    assert station["受理件数"] == 1
    matrix = list(wb["各单位汇总"].iter_rows(min_row=3, values_only=True))
    header = matrix[0]
    col = header.index("受理件数（件）")
    assert [r[1] for r in matrix[1:4]] == ["府山街道工会服务站", "塔山街道工会服务站", "合计"]
    assert [r[col] for r in matrix[1:4]] == [1, 1, 2]


def test_the_summary_prints_as_a_pdf_for_signature(ctx, client_for):
    from pypdf import PdfReader

    district = _filed_district(ctx)
    response = client_for("d1_sup").get(f"/reports/{district.pk}/print.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "越城区职工服务中心" in text and "月度汇总表" in text and "审核人" in text


def test_quarterly_statistics_add_up_the_months_and_compare_with_the_quarter_before(ctx, client_for):
    u, by = ctx.units, ctx.users["s11_clerk"]
    quarter = Period.quarter(2025, 2)
    for month, n in zip(quarter.months(), (1, 2, 3), strict=True):
        for i in range(n):
            put_petition(u["330602001"], ctx.people[0], at(month.first + D(i)), by=by)  # one person all quarter
    put_petition(u["330602002"], ctx.people[1], at(datetime.date(2025, 2, 3)), by=by)  # the quarter before
    response = client_for("d1_sup").get("/reports/stats/", {"unit": u["330602"].pk, "period": "2025-Q2"})
    stats = response.context["stats"]
    lines = {(line.group.key, line.figure.code): line for line in stats.lines}
    assert lines[("petitions", "received")].now == 6 and lines[("petitions", "received")].before == 1
    assert lines[("petitions", "complainants")].now == 1  # the same person in three months is one person
    assert lines[("petitions", "received")].change_percent == 500
    assert [values["petitions"]["received"] for _, values in stats.months] == [1, 2, 3]
    assert {c.code: now["petitions"]["received"] for c, now, _ in stats.children} == {"330602001": 6, "330602002": 0}
    wb = load_workbook(io.BytesIO(client_for("d1_sup").get("/reports/stats/export.xlsx",
                                                            {"unit": u["330602"].pk, "period": "2025-Q2"}).content))
    assert wb.sheetnames == ["合计", "各单位", "各月"]
    rows = {r[1]: r for r in wb["合计"].iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["受理件数"][2:6] == (6, 1, 5.0, "500.0%")
    bad = client_for("d1_sup").get("/reports/stats/", {"period": "2025-13"})
    assert bad.status_code == 200 and "统计期间“2025-13”无效" in bad.content.decode()


def _add_stations(units, n, first=100):
    for i in range(first, first + n):
        orgunit_save(OrgUnit(code=f"330602{i}", name=f"新增第{i}服务站", kind="station", parent=units["330602"]))


@pytest.mark.parametrize("page", ["summary", "index", "stats", "unit_month"])
def test_query_counts_are_pinned(ctx, client_for, django_assert_num_queries, page):
    """Each page costs the same number of queries with three stations or thirteen, one petition or
    many: the units below are read at once, their figures computed in one table (apps' figure_table)
    for those not filed, the stored snapshot used for the rest."""
    u, m = ctx.units, ctx.month
    district = _filed_district(ctx)
    _add_stations(u, 1, first=99)  # a station that has not filed: its figures are computed live
    urls = {"summary": f"/reports/{district.pk}/", "index": f"/reports/?unit={u['330602'].pk}",
            "stats": f"/reports/stats/?unit={u['330602'].pk}&period={m.year}",
            "unit_month": month_url(u["330602"], m.previous())}
    client = client_for("d1_sup")
    client.get(urls[page])  # warm the session (and the navigation's inbox count)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert client.get(urls[page]).status_code == 200
    _add_stations(u, 10)
    for i in range(15):
        put_petition(u["330602001"], ctx.people[i % 6], at(m.first + D(i % 20)), by=ctx.users["s11_clerk"])
    earlier = m.previous()
    sm.summary_waive(unit=OrgUnit.objects.get(code="330602100"), year=earlier.year, month=earlier.month_number,
                     by=ctx.users["d1_sup"], reason="新设")
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(urls[page])


def test_dashboards_by_role_draw_their_charts_with_tables(ctx, client_for):
    _filed_district(ctx)
    city = client_for("city_sup").get("/").content.decode()
    assert "全市月度趋势" in city and "各区县比较" in city
    assert city.count("<svg") >= 6 and city.count('data-testid="chart-table"') == city.count("<svg")
    assert "越城区职工服务中心" in city.split("各区县比较", 1)[1]
    assert 'style="' not in city and "<script" not in city  # ready for a strict CSP
    district = client_for("d1_sup").get("/").content.decode()
    assert "各下级单位" in district and "府山街道工会服务站" in district.split("各下级单位", 1)[1]
    assert "全市月度趋势" not in district
    worker = client_for("s11_worker").get("/")
    assert worker.context["reports"].own is not None and not worker.context["reports"].by_child
    assert client_for("sysadmin").get("/").context.get("reports") is None


def test_the_navigation_counts_the_inbox(ctx, client_for):
    client = client_for("s11_worker")
    body = client.get("/people/").content.decode()
    # 府山站's last month is not filed: one item, 月度汇总待报送.
    assert re.search(r'data-testid="nav-inbox-count"[^>]*>1<', body)
    sm.summary_submit(summary=sm.summary_start(unit=ctx.units["330602001"], year=ctx.month.year,
                                               month=ctx.month.month_number, by=ctx.users["s11_worker"]),
                      by=ctx.users["s11_worker"], **TEXT)
    # Kept for a minute; the inbox page itself refreshes it.
    assert 'data-testid="nav-inbox-count"' in client.get("/people/").content.decode()
    client.get("/inbox/")
    assert 'data-testid="nav-inbox-count"' not in client.get("/people/").content.decode()


@pytest.mark.parametrize("url", [
    "/reports/?year=abc", "/reports/?year=1999", "/reports/?unit=abc", "/reports/?unit=999999",
    "/reports/stats/?period=abc", "/reports/stats/?period=2026-03", "/reports/stats/?period=2099",
    "/reports/stats/?unit=abc", "/reports/units/999999/2025/1/", "/reports/units/{station}/2025/13/",
    "/reports/units/{station}/1999/1/", "/reports/units/{station}/2099/1/", "/reports/999999/",
    "/reports/999999/export.xlsx",
])
def test_bad_input_in_urls_is_a_message_or_not_found_never_an_error(ctx, client_for, url):
    response = client_for("d1_sup").get(url.format(station=ctx.units["330602001"].pk))
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "无效" in response.content.decode()


def test_a_bad_step_post_changes_nothing(ctx, client_for):
    summary = sm.summary_start(unit=ctx.units["330602001"], year=ctx.month.year, month=ctx.month.month_number,
                               by=ctx.users["s11_worker"])
    worker = client_for("s11_worker")
    too_long = worker.post(f"/reports/{summary.pk}/edit/", {"work_done": "长" * 5001})
    assert too_long.status_code == 200 and "不能超过5000字" in too_long.content.decode()
    assert MonthlySummary.objects.get(pk=summary.pk).work_done == ""
    assert worker.get(f"/reports/{summary.pk}/submit/").status_code == 302  # a step is a POST
    assert worker.post(f"/reports/{summary.pk}/accept/", {}).status_code == 403  # not the worker's
