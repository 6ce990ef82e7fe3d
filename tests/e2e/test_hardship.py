"""困难职工档案 journey: a station worker builds a file for a household of two, sees the
eligibility explanation, records the home visit, reviews and posts the notice; after the notice
has run the worker submits it and the district supervisor approves it; the file is on the roster
and on the applicant's person page."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hardship.models import HardshipFile
from servicecenter.models import OrgUnit, Parameter
from tests.conftest import make_person, new_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NUMBER = re.compile(r"KN-330602001-\d{4}-\d{5}")


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def step(page: Any, name: str) -> Any:
    panel = page.locator(f"#step-{name}")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def test_a_household_from_application_to_the_roster(page, login, new_page, users, monkeypatch):
    worker = users["s11_worker"]
    # The district's spot-check draw selects nobody here (its own test is in tests/hardship).
    Parameter.objects.create(key="hardship.spot_check_ratio", org_unit=OrgUnit.objects.get(code="330602"), value="0")
    applicant = make_person(worker, name="周晓燕", id_number=new_id_number(male=False), phone="13905751234")

    # --- 1. The worker registers the household: the applicant and her husband ---
    login(page, "s11_worker")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="困难职工档案").click()
    page.get_by_role("link", name="申请登记", exact=True).first.click()
    expect(page.get_by_role("heading", name="困难职工申请登记")).to_be_visible()
    page.get_by_label("第1位成员姓名").fill("周晓燕")
    page.get_by_label("第1位成员身份证号码").fill(applicant.id_number)
    page.get_by_label("第1位成员身份/职业").select_option(label="在岗")
    page.get_by_label("第1位成员月收入（元）").fill("1800")
    page.get_by_label("第2位成员关系").select_option(label="配偶")
    page.get_by_label("第2位成员姓名").fill("王建军")
    page.get_by_label("第2位成员年龄").fill("47")
    page.get_by_label("第2位成员身份/职业").select_option(label="失(无)业")
    page.get_by_label("第2位成员健康状况").select_option(label="脑血管病")
    page.get_by_label("家庭住址").fill("绍兴市越城区府山街道仓桥直街18号")
    page.get_by_label("住房类型").select_option(label="租房")
    page.get_by_label("住房建筑面积（㎡）").fill("45.5")
    page.get_by_label("房租支出").fill("9600")
    page.get_by_label("主要致困原因").select_option(label="患重特大疾病")
    page.get_by_test_id("save").click()

    # --- 2. The file page explains the result rule by rule ---
    expect(flash(page, "已登记困难职工档案申请")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("待审核")
    expect(page.get_by_test_id("verdict")).to_contain_text("符合困难职工条件")
    expect(page.get_by_test_id("income-per-head")).to_have_text("900.00 元")
    k1 = page.get_by_test_id("rule-K1")
    expect(k1).to_contain_text("人均月收入 900.00 元 ≤ 低保标准 1100.00 元 × 120% = 1320.00 元 → 是")
    expect(k1).to_contain_text("符合")
    expect(page.get_by_test_id("rule-X6")).to_contain_text("住房建筑面积 45.50 ㎡ > 人均 40.00 ㎡ × 2 人 = 80.00 ㎡ → 否")
    expect(page.get_by_test_id("member-list").locator("tbody tr")).to_have_count(2)
    file_url = page.url

    # --- 3. Home visit, review, public notice ---
    panel = step(page, "visit")
    panel.get_by_label("走访人员").fill("李强、王芳")
    panel.get_by_label("走访情况").fill("入户核实：夫妻二人租住45平方米，丈夫脑梗后失业，与申请一致。")
    panel.get_by_role("button", name="登记入户调查").click()
    expect(flash(page, "已登记入户调查")).to_be_visible()
    expect(page.get_by_test_id("visits")).to_contain_text("李强、王芳")
    panel = step(page, "review")
    panel.get_by_role("button", name="审核通过").click()
    expect(flash(page, "已审核通过，请张贴公示。")).to_be_visible()
    panel = step(page, "post_notice")
    panel.get_by_label("公示地点").fill("府山街道仓桥社区公示栏")
    panel.get_by_role("button", name="张贴公示").click()
    expect(flash(page, "已登记公示。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("公示中")
    expect(page.get_by_test_id("notice")).to_contain_text("府山街道仓桥社区公示栏")
    expect(page.locator("#step-submit")).to_have_count(0)  # not before the notice has run
    f = HardshipFile.objects.get(applicant=applicant)
    assert f.notice_due_date > timezone.localdate()

    # --- 4. Two weeks later: the notice has run without objection ---
    later = timezone.now() + datetime.timedelta(days=14)
    monkeypatch.setattr(timezone, "now", lambda: later)
    wpage = new_page()
    login(wpage, "s11_worker")
    wpage.goto(file_url)
    expect(wpage.get_by_test_id("notice")).to_contain_text("公示期已满")
    panel = step(wpage, "submit")
    panel.get_by_role("button", name="报送审批").click()
    expect(flash(wpage, "已报送审批。")).to_be_visible()
    expect(wpage.get_by_role("heading", level=1)).to_contain_text("待审批")

    # --- 5. The district supervisor finds it on the dashboard and approves it ---
    sup = new_page()
    login(sup, "d1_sup")
    expect(sup.get_by_test_id("hardship-approvals")).to_have_text("1")
    sup.get_by_test_id("dashboard-hardship-approvals").get_by_role("link", name="周晓燕").click()
    panel = step(sup, "approve")
    expect(panel.get_by_label("困难职工")).to_be_checked()  # the computed grade, proposed
    panel.get_by_role("button", name="审批通过并建档").click()
    expect(flash(sup, "已审批通过并建档，已报市中心备案。")).to_be_visible()
    heading = sup.get_by_role("heading", level=1)
    expect(heading).to_contain_text("在档")
    number = NUMBER.search(heading.inner_text()).group(0)
    expect(sup.locator("ol.timeline > li")).to_contain_text(
        ["申请登记", "登记入户调查", "审核通过", "张贴公示", "报送审批", "审批通过并建档"])

    # --- 6. On the roster and on the person page ---
    sup.goto("/hardship/roster/")
    row = sup.get_by_test_id("roster").locator("tbody tr").filter(has_text=number)
    expect(row).to_contain_text("周晓燕")
    expect(row).to_contain_text("困难职工")
    sup.goto(f"/people/{applicant.pk}/")
    files = sup.get_by_test_id("hardship-files")
    expect(files).to_contain_text(number)
    expect(files).to_contain_text("在档")
