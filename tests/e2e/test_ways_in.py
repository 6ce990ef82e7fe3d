"""Two more ways a worker reaches the union, in a real browser:

- online self-service: a worker submits a matter on the public page (no login; the CAPTCHA is a
  sum to work out), a clerk of the chosen station accepts it, a station worker closes it with an
  answer for the worker, and the worker's progress lookup shows that answer;
- a 12351 work order: logged at the counter (the work-order fields appear for the 12351 channel),
  answered back to the platform, and its 工单反馈单 printed."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from petitions.models import Category
from tests.e2e.test_petitions import fetch_pdf, flash, pdf_text, step

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CATEGORY = "工资报酬/拖欠工资"
NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九十")}


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.get_or_create(name=CATEGORY, defaults={"order": 10})[0]


def chinese_number(text: str) -> int:
    """十一 → 11, 二十 → 20, 七 → 7 (what the CAPTCHA uses: 0–29)."""
    if "十" not in text:
        return NUMERALS[text]
    tens, _, ones = text.partition("十")
    return (NUMERALS[tens] if tens else 1) * 10 + (NUMERALS[ones] if ones else 0)


def solve(question: str) -> str:
    match = re.search(r"([零一二三四五六七八九十]+) (加|减) ([零一二三四五六七八九十]+) 等于几", question)
    assert match, question
    a, b = chinese_number(match.group(1)), chinese_number(match.group(3))
    return str(a + b if match.group(2) == "加" else a - b)


def test_a_worker_submits_online_a_clerk_accepts_a_worker_closes_and_the_lookup_shows_the_answer(
        page, login, new_page, users, category):
    # --- The worker, at home, with no account ---
    page.goto("/public/petitions/")
    page.get_by_test_id("go-submit").click()
    expect(page.get_by_role("heading", name="我要反映问题")).to_be_visible()
    page.get_by_label("受理单位").select_option(label="　　府山街道工会服务站")
    page.get_by_label("姓名").fill("孙晓梅")
    page.get_by_label("手机号码").fill("13705759999")
    page.get_by_label("工作单位").fill("越兴纺织印染有限公司")
    page.get_by_label("问题类别").select_option(label=CATEGORY)
    page.get_by_label("反映内容").fill("公司拖欠我2026年4月、5月工资共八千元。")
    page.get_by_label("诉求").fill("希望工会帮助追讨工资。")
    page.get_by_test_id("captcha").fill("999")  # a wrong sum first: refused, the input kept
    page.get_by_test_id("submit").click()
    expect(page.get_by_text("验证码计算结果不正确，请重新计算。")).to_be_visible()
    expect(page.get_by_label("姓名")).to_have_value("孙晓梅")
    page.get_by_test_id("captcha").fill(solve(page.get_by_test_id("captcha-question").inner_text()))
    page.get_by_test_id("submit").click()
    expect(page.get_by_role("heading", name="已提交")).to_be_visible()
    number = page.get_by_test_id("tracking-number").inner_text().strip()
    code = page.get_by_test_id("lookup-code").inner_text().strip()
    assert re.fullmatch(r"WS-\d{8}-[A-Z2-9]{6}", number) and len(code) == 8

    def look_up() -> None:
        page.goto("/public/petitions/lookup/")
        page.get_by_label("查询编号").fill(number)
        page.get_by_label("查询码").fill(code)
        page.get_by_test_id("lookup").click()

    look_up()
    expect(page.get_by_test_id("state")).to_have_text("已收到，等待受理")

    # --- The station's clerk finds it in the queue and accepts it ---
    clerk = new_page()
    login(clerk, "s11_clerk")
    expect(clerk.get_by_test_id("submissions-waiting")).to_have_text("1")
    clerk.goto("/petitions/submissions/")
    clerk.get_by_test_id("submission-queue").get_by_role("link", name=number).click()
    panel = step(clerk, "accept")
    expect(panel.get_by_label("问题类别")).to_have_value(str(category.pk))  # as the worker chose
    panel.get_by_role("button", name="受理").click()
    expect(flash(clerk, "已受理，已生成信访事项。")).to_be_visible()
    expect(clerk.get_by_test_id("submission-status")).to_have_text("已受理")
    case_number = clerk.locator("dl.facts").get_by_role("link", name=re.compile(r"^XF-")).inner_text()

    look_up()
    expect(page.get_by_test_id("state")).to_have_text("已受理，正在办理")

    # --- A station worker closes it, with the answer the worker will read ---
    worker = new_page()
    login(worker, "s11_worker")
    worker.goto("/petitions/?number=" + case_number)
    worker.get_by_role("link", name=case_number).click()
    panel = step(worker, "close")
    panel.get_by_label("基本事实").fill("经核实，公司拖欠孙晓梅两个月工资八千元属实。")
    panel.get_by_label("处理依据").fill("《浙江省工资支付条例》。")
    panel.get_by_label("处理结果").fill("经调解，公司同意于6月15日前补发。")
    panel.get_by_label("职工意见").fill("同意。")
    panel.get_by_label("挽回经济损失（元）").fill("8000")
    panel.get_by_label("网上答复").fill("您好，经调解，公司已同意于6月15日前补发您的工资八千元。")
    panel.get_by_role("button", name="办结").click()
    expect(flash(worker, "已办结，回访任务已生成。")).to_be_visible()
    expect(worker.get_by_test_id("recovered")).to_have_text("8000.00 元")

    # --- The worker's lookup shows the answer, and nothing else of the case ---
    look_up()
    expect(page.get_by_test_id("state")).to_have_text("已办结")
    expect(page.get_by_test_id("answer")).to_have_text("您好，经调解，公司已同意于6月15日前补发您的工资八千元。")
    status = page.get_by_test_id("status").inner_text()
    assert "调解，公司同意于6月15日前补发。" not in status and "府山站工作人员李强" not in status
    # A wrong code shows nothing at all.
    page.goto("/public/petitions/lookup/")
    page.get_by_label("查询编号").fill(number)
    page.get_by_label("查询码").fill("AAAAAAAA")
    page.get_by_test_id("lookup").click()
    expect(page.get_by_text("查询编号或查询码不正确。")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_count(0)


def test_a_12351_work_order_is_logged_answered_back_and_its_feedback_form_prints(page, login, users, category):
    login(page, "s11_clerk")
    page.goto("/petitions/new/")
    visitor = page.locator("fieldset", has=page.locator("legend", has_text="来访人"))
    visitor.get_by_label("仅留姓名电话").check()
    partial = visitor.locator("details[data-part=partial]")
    expect(partial).to_have_attribute("open", "")
    partial.get_by_label("来访人姓名").fill("钱师傅")
    partial.get_by_label("联系电话").fill("13805750001")
    matter = page.locator("fieldset", has=page.locator("legend", has_text="信访事项"))
    hotline = page.get_by_test_id("hotline-fields")
    expect(hotline).to_be_hidden()  # only for the 12351 channel
    matter.get_by_label("12351热线").check()
    expect(hotline).to_be_visible()
    expect(page.get_by_test_id("referral-fields")).to_be_hidden()
    hotline.get_by_label("工单编号").fill("GD330600202606010007")
    hotline.get_by_label("来电号码").fill("0575-88001234")
    hotline.get_by_label("接线员").fill("话务员钱丽")
    hotline.get_by_label("来电时间").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    hotline.get_by_label("12351类别").select_option(label="信访投诉")
    due = timezone.localdate() + datetime.timedelta(days=5)
    hotline.get_by_label("平台办理时限").fill(due.isoformat())
    matter.get_by_label("问题类别").select_option(label=CATEGORY)
    matter.get_by_label("反映内容").fill("来电反映公司拖欠两个月工资。")
    matter.get_by_label(re.compile(r"^诉求")).fill("要求支付。")
    page.get_by_test_id("save").click()

    expect(flash(page, re.compile(r"已受理登记：XF-"))).to_be_visible()
    order = page.get_by_test_id("hotline-order")
    expect(order).to_contain_text("GD330600202606010007")
    expect(page.get_by_test_id("hotline-status")).to_have_text("待反馈")
    expect(page.get_by_test_id("due-date")).to_contain_text(due.isoformat())  # the platform's time limit
    panel = step(page, "feedback")
    panel.get_by_label("反馈内容").fill("已联系公司，公司承诺本周内补发工资，职工表示认可。")
    panel.get_by_role("button", name="反馈").click()
    expect(flash(page, "已登记向12351平台的反馈，可打印工单反馈单。")).to_be_visible()
    expect(page.get_by_test_id("hotline-status")).to_have_text("已反馈待回访")
    text = "".join(pdf_text(fetch_pdf(page, page.get_by_test_id("print-hotline"))).split())
    for expected in ("12351职工服务热线工单反馈单", "GD330600202606010007", "0575-88001234", "话务员钱丽", "信访投诉",
                     "已联系公司，公司承诺本周内补发工资，职工表示认可。"):
        assert expected in text, expected
    panel = step(page, "revisit")
    panel.get_by_label("满意", exact=True).check()
    panel.get_by_role("button", name="登记平台回访").click()
    expect(page.get_by_test_id("hotline-status")).to_have_text("平台已回访结案")
