"""法律援助 journey: a clerk refers a wage-arrears petition to legal aid and completes the draft; the
district supervisor grants it and assigns a lawyer — the lawyer tied to the employer is refused with
the reason; the assignment letter prints; the case closes as mediated with the amount the worker
received, and the figure appears in the month's numbers."""

from __future__ import annotations

import datetime
import io
import re
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.conftest import make_employer, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NUMBER = re.compile(r"FY-[0-9A-Z]+-\d{4}-\d+")


@pytest.fixture
def story(users: dict) -> dict[str, Any]:
    if not apps.is_installed("petitions"):
        pytest.skip("petitions is not installed: nothing to refer from")
    from legalaid import services
    from petitions import services as petition_services
    from petitions.models import Category

    clerk, sup = users["s11_clerk"], users["d1_sup"]
    employer = make_employer(clerk.org_unit, name="越兴纺织印染有限公司")
    person = make_person(clerk, name="周晓燕", phone="13905751234")
    # The categories come from a data migration, which a transactional test's flush removes.
    category = Category.objects.get_or_create(name="工资报酬/拖欠工资", defaults={"order": 10})[0]
    petition = petition_services.petition_intake(
        by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, person=person, channel="visit",
        received_at=timezone.now(), headcount=1, category=category, employer=employer,
        facts="在越兴纺织印染有限公司工作三年，公司拖欠2026年3月至5月工资共计一万二千元，已离职。",
        request="要求公司足额支付拖欠的工资。")
    base = {"firm": "", "phone": "", "specialities": "劳动争议", "pledge_signed_on": None, "is_active": True, "note": ""}
    tied = services.advisor_save(by=sup, org_unit=sup.org_unit, kind="lawyer", name="王立新",
                                 licence_number="13306201810000011", **{**base, "firm": "浙江越州律师事务所"})
    free = services.advisor_save(by=sup, org_unit=sup.org_unit, kind="lawyer", name="陈静怡",
                                 licence_number="13306201910000027", **{**base, "firm": "浙江兰亭律师事务所"})
    services.advisor_tie_add(by=sup, advisor=tied, employer=employer, relation="counsel", note="常年法律顾问")
    return {"petition": petition, "person": person, "tied": tied, "free": free}


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def step(page: Any, name: str) -> Any:
    panel = page.locator(f"#step-{name}")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


def test_a_referred_petition_is_granted_assigned_closed_and_counted(page, login, new_page, story):
    petition = story["petition"]
    today = timezone.localdate()

    # --- 1. The clerk refers the petition to legal aid: a linked draft ---
    login(page, "s11_clerk")
    page.goto(f"/petitions/{petition.pk}/")
    referral = page.get_by_test_id("referral-legalaid.application")
    referral.locator("summary").click()
    referral.get_by_label("转办说明").fill("职工已离职，要求申请劳动仲裁。")
    referral.get_by_role("button", name="转法律援助").click()
    expect(heading(page)).to_contain_text("待补全")
    number = NUMBER.search(heading(page).inner_text()).group(0)
    expect(flash(page, f"已转法律援助：{number}")).to_be_visible()
    expect(page.get_by_test_id("applicant")).to_contain_text("周晓燕")
    expect(page.get_by_test_id("origin")).to_have_text(f"信访事项 {petition.number}")
    expect(page.get_by_test_id("missing")).to_contain_text("援助对象类别")
    application_url = page.url

    # The petition's timeline says where it went.
    page.get_by_test_id("origin").get_by_role("link").click()
    expect(page.locator("ol.timeline")).to_contain_text("转法律援助")
    expect(page.get_by_test_id("referral-legalaid.application")).to_contain_text(number)
    page.goto(application_url)

    # --- 2. She completes the application and sends it for decision ---
    page.get_by_role("link", name="修改申请信息").click()
    page.get_by_label("援助对象类别").select_option(label="其他合法权益受侵害的职工")
    page.get_by_label("申请援助形式").select_option(label="劳动仲裁代理")
    page.get_by_label("请求金额（元）").fill("12000")
    page.get_by_label("争议发生日").fill((today - datetime.timedelta(days=90)).isoformat())
    page.get_by_label("劳动关系终止日").fill((today - datetime.timedelta(days=30)).isoformat())
    page.get_by_label("证据材料").fill("劳动合同、工资条、考勤记录")
    page.get_by_role("button", name="保存").click()
    expect(flash(page, "已保存申请信息。")).to_be_visible()
    expect(page.get_by_test_id("limitation")).to_contain_text("拖欠劳动报酬：自劳动关系终止之日起12个月内申请仲裁")
    step(page, "complete").get_by_role("button", name="材料齐全，开始审查").click()
    expect(flash(page, "材料已齐全，审查期限开始计算。")).to_be_visible()
    expect(heading(page)).to_contain_text("审查中")
    expect(page.get_by_test_id("review-due")).to_contain_text("剩7个工作日")
    panel = step(page, "assess")
    panel.get_by_label("建议给予援助").check()
    panel.get_by_label("审查意见").fill("申请人系被拖欠工资的离职职工，证据齐全，符合援助条件。")
    panel.get_by_role("button", name="提出审查意见并报批").click()
    expect(flash(page, "审查意见已报分管领导审批。")).to_be_visible()
    expect(page.locator("#step-grant")).to_have_count(0)  # not the reviewer's to decide

    # --- 3. The district supervisor decides from the inbox and assigns a lawyer ---
    sup = new_page()
    login(sup, "d1_sup")
    sup.goto("/inbox/")
    row = sup.get_by_test_id("inbox").locator("tr", has_text="法律援助审批")
    row.get_by_role("link", name=number).click()
    panel = step(sup, "grant")
    panel.get_by_label("援助形式").select_option(label="劳动仲裁代理")
    panel.get_by_label("审批意见").fill("同意援助。")
    panel.get_by_role("button", name="批准援助").click()
    expect(flash(sup, "已批准援助，请在指派期限内指派律师。")).to_be_visible()
    expect(heading(sup)).to_contain_text("已批准待指派")
    expect(sup.get_by_test_id("assign-due")).to_contain_text("剩3个工作日")

    panel = step(sup, "assign")
    advisor = panel.get_by_label("承办律师/志愿者")
    expect(advisor.locator("option", has_text="王立新")).to_contain_text("⚠与对方单位有利害关系")
    expect(advisor.locator("option", has_text="陈静怡")).to_contain_text("在办0件")
    advisor.select_option(value=str(story["tied"].pk))
    panel.get_by_role("button", name="指派律师/志愿者").click()
    refused = sup.locator("#step-assign")
    expect(refused.locator(".field-error")).to_contain_text("存在利害冲突，不能选择：王立新担任该单位法律顾问（常年法律顾问）")
    expect(heading(sup)).to_contain_text("已批准待指派")
    refused.get_by_label("承办律师/志愿者").select_option(value=str(story["free"].pk))
    refused.get_by_role("button", name="指派律师/志愿者").click()
    expect(flash(sup, "已指派，请打印委派函。")).to_be_visible()
    expect(heading(sup)).to_contain_text("承办中")
    expect(sup.get_by_test_id("advisor")).to_contain_text("陈静怡")

    # --- 4. The assignment letter prints ---
    response = sup.context.request.get(sup.get_by_test_id("assignment-print").get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    letter = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "法律援助委派函" in letter and number in letter and "陈静怡" in letter and "周晓燕" in letter

    # --- 5. The case closes as mediated, with what the worker actually received ---
    panel = step(sup, "close")
    panel.get_by_label("结果").select_option(label="调解结案")
    panel.get_by_label("裁判/协议金额（元）").fill("12000")
    panel.get_by_label("实际到手金额（元）").fill("11500")
    panel.get_by_label("结案情况").fill("经仲裁庭调解，单位支付工资12000元，扣除个人所得税等后到手11500元。")
    panel.get_by_role("button", name="结案").click()
    expect(flash(sup, "已结案。")).to_be_visible()
    expect(heading(sup)).to_contain_text("已结案")
    expect(sup.get_by_test_id("received")).to_contain_text("11500")

    # --- 6. The month's numbers count it, as money the worker received ---
    sup.get_by_role("link", name="本月统计").click()
    expect(sup.get_by_test_id("figure-closed")).to_have_text("1 件")
    expect(sup.get_by_test_id("figure-granted")).to_have_text("1 件")
    expect(sup.get_by_test_id("figure-recovered_aid")).to_have_text("11500.00 元")
    label = sup.locator("tr[data-code=execution_rate] td").first
    expect(label).to_have_attribute("title", re.compile("履行期限在当月届满的调解协议件数"))
