"""Monthly summary journey: the station worker submits the month, the district supervisor returns
it with a reason, it is corrected and accepted, the district excuses its other station and submits,
the city accepts, and the city's dashboard shows the district's figures in a chart with its table."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from servicecenter.figures import last_ended_month
from servicecenter.models import MonthlySummary
from tests.conftest import make_person
from tests.reports.conftest import at, put_petition

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def step(page: Any, name: str) -> Any:
    panel = page.locator(f"#step-{name}")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def test_a_month_is_filed_up_to_the_city(page, new_page, login, users, units):
    month = last_ended_month()
    label = month.label
    clerk = users["s11_clerk"]
    # Two visits at 府山站 during the month (from the category table a transactional test keeps).
    from petitions.models import Category

    category = Category.objects.get_or_create(name="工资报酬/拖欠工资", defaults={"order": 10})[0]
    for day in (3, 9):
        put_petition(units["330602001"], make_person(clerk), at(month.first + datetime.timedelta(days=day)), by=clerk,
                     category=category)

    # 1. The station worker finds the month in 待办 and submits it.
    login(page, "s11_worker")
    expect(page.get_by_test_id("nav-inbox-count")).to_have_text("1")
    page.get_by_role("link", name="待办", exact=True).click()
    page.get_by_role("link", name=f"府山街道工会服务站 {label}").click()
    start = step(page, "start")
    start.get_by_label("本月工作开展情况").fill("接待来访2人次，均已登记。")
    start.get_by_role("button", name="保存草稿").click()
    expect(flash(page, f"已保存{label}月度汇总草稿。")).to_be_visible()
    expect(page.locator('[data-figure="petitions.received"]')).to_have_text("2")
    step(page, "submit").get_by_role("button", name="报送上级").click()
    expect(flash(page, "已报送上级单位审核。")).to_be_visible()
    summary_url = page.url

    # 2. The district supervisor returns it with a reason (refused first without one).
    sup = new_page()
    login(sup, "d1_sup")
    sup.get_by_role("link", name="待办", exact=True).click()
    sup.get_by_role("row", name="月度汇总待审核").get_by_role("link").click()
    returning = step(sup, "return")
    returning.get_by_role("button", name="退回修改").click()
    expect(sup.locator("#step-return").get_by_text("请写明理由。")).to_be_visible()
    sup.locator("#step-return").get_by_label("理由").fill("请补充回访情况。")
    sup.locator("#step-return").get_by_role("button", name="退回修改").click()
    expect(flash(sup, "已退回修改。")).to_be_visible()

    # 3. Corrected and submitted again; the reason is on the summary's record.
    page.goto(summary_url)
    expect(page.get_by_test_id("summary-status")).to_contain_text("退回修改")
    expect(page.get_by_text("请补充回访情况。")).to_be_visible()
    again = step(page, "submit")
    again.get_by_label("本月工作开展情况").fill("接待来访2人次，均已登记；回访安排在下月上旬。")
    again.get_by_role("button", name="报送上级").click()
    expect(flash(page, "已报送上级单位审核。")).to_be_visible()

    # 4. Accepted: the figures are frozen with their hash.
    sup.goto(summary_url)
    step(sup, "accept").get_by_role("button", name="审核通过").click()
    expect(flash(sup, "已审核通过，数据已冻结。")).to_be_visible()
    expect(sup.get_by_test_id("sha256")).to_contain_text("校验一致")

    # 5. The district excuses 塔山站 (no visits, its worker on leave) and submits its own month.
    sup.get_by_role("link", name="待办", exact=True).click()
    sup.get_by_role("link", name=f"越城区职工服务中心 {label}").click()
    sup.get_by_test_id("rollup-status").get_by_role("link", name="塔山街道工会服务站").click()
    waiving = step(sup, "waive")
    waiving.get_by_label("理由").fill("本月工作人员休产假，无来访。")
    waiving.get_by_role("button", name="免报").click()
    expect(flash(sup, f"已同意塔山街道工会服务站{label}免报。")).to_be_visible()
    sup.get_by_role("link", name="待办", exact=True).click()
    sup.get_by_role("link", name=f"越城区职工服务中心 {label}").click()
    district_start = step(sup, "start")
    district_start.get_by_label("本月工作开展情况").fill("两站月报已审核（塔山站免报）。")
    district_start.get_by_role("button", name="保存草稿").click()
    step(sup, "submit").get_by_role("button", name="报送上级").click()
    expect(flash(sup, "已报送上级单位审核。")).to_be_visible()

    # 6. The city accepts the district's summary.
    city = new_page()
    login(city, "city_sup")
    city.get_by_role("link", name="待办", exact=True).click()
    city.get_by_role("link", name=f"越城区职工服务中心 {label}").click()
    step(city, "accept").get_by_role("button", name="审核通过").click()
    expect(flash(city, "已审核通过，数据已冻结。")).to_be_visible()
    assert MonthlySummary.objects.get(org_unit=units["330602"], year=month.year,
                                      month=month.month_number).status == "accepted"

    # 7. The city's dashboard: the districts compared, a chart and its table.
    city.get_by_role("link", name="工作台", exact=True).click()
    compare = city.get_by_test_id("compare")
    chart = compare.locator("figure", has_text="受理件数：各区县比较")
    expect(chart.locator("svg")).to_be_visible()
    expect(chart.get_by_role("row", name="越城区职工服务中心")).to_contain_text("2")
