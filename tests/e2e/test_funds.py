"""帮扶资金 journey: a station worker applies for living relief for an archived hardship file and
verifies it; the district supervisor approves it on a fund account (a hold); the cashier pays it;
a second living-relief application for the same household in the same year is refused at the
field with the first grant named; the grant register lists the first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from hardship.models import HardshipFile
from tests.funds.conftest import fund
from tests.hardship.conftest import Kit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NUMBER = re.compile(r"JZ-330602001-\d{4}-\d{5}")


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def step(page: Any, name: str) -> Any:
    panel = page.locator(f"#step-{name}")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def apply(page: Any, file: HardshipFile, amount: str) -> None:
    page.goto("/funds/grants/new/")
    page.get_by_label("救助对象身份证号").fill(file.applicant.id_number)
    page.get_by_label("救助类型").select_option(label="生活救助")
    page.get_by_label("困难职工档案（内部编号）").fill(str(file.pk))
    page.get_by_label("金额（元）").fill(amount)
    page.get_by_label("申请理由").fill("丈夫重病，家庭生活困难，申请年度生活救助。")
    page.get_by_role("button", name="保存").click()


def test_living_relief_from_application_to_payment(page, login, new_page, users, units):
    kit = Kit(users, units)
    file = kit.make(HardshipFile.Status.ARCHIVED, person=kit.person(name="周晓燕"))
    account = fund(users, units, "50000.00", donor="绍兴市慈善总会")

    # --- 1. The station worker applies and verifies ---
    login(page, "s11_worker")
    apply(page, file, "2000")
    expect(flash(page, "已登记救助申请")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("待核实")
    number = NUMBER.search(page.get_by_role("heading", level=1).inner_text()).group(0)
    grant_url = page.url
    panel = step(page, "verify")
    panel.get_by_label("核实意见").fill("入户核实属实。")
    panel.get_by_role("button", name="核实并报批").click()
    expect(page.get_by_test_id("status")).to_have_text("待审批")

    # --- 2. The district supervisor approves on the charity's account ---
    sup = new_page()
    login(sup, "d1_sup")
    sup.goto(grant_url)
    panel = step(sup, "approve")
    panel.get_by_label("支付专户").select_option(value=str(account.pk))
    panel.get_by_role("button", name="审批通过").click()
    expect(sup.get_by_test_id("status")).to_have_text("待发放")

    # --- 3. The cashier pays ---
    cashier = new_page()
    login(cashier, "d1_cashier")
    cashier.goto(grant_url)
    panel = step(cashier, "pay")
    panel.get_by_label("发放方式").select_option(label="现金")
    panel.get_by_role("button", name="发放").click()
    expect(cashier.get_by_test_id("status")).to_have_text("已发放")
    expect(cashier.get_by_test_id("paid")).to_contain_text("本人领取")

    # --- 4. A second living-relief application for the household is refused at the field ---
    apply(page, file, "1000")
    error = page.locator(".field.has-error").filter(has=page.get_by_label("救助类型"))
    expect(error).to_contain_text("每户每年限一次")
    expect(error).to_contain_text("2000.00 元")
    expect(page.get_by_label("金额（元）")).to_have_value("1000")

    # The household's hardship file shows the help it received this year.
    page.goto(f"/hardship/{file.pk}/")
    expect(page.get_by_test_id("help-this-year")).to_contain_text(number)
    expect(page.get_by_test_id("help-this-year")).to_contain_text("已发放")

    # --- 5. The grant register lists the first ---
    sup.goto("/funds/grants/?status=paid")
    expect(sup.get_by_test_id("grant-list")).to_contain_text(number)
    expect(sup.get_by_test_id("grant-list").locator("tbody tr")).to_have_count(1)
