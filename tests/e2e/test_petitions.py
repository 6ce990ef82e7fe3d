"""信访接待 journeys: a clerk logs a walk-in visitor from the ID lookup to the printed form; the
station worker closes the case with a completion report; the follow-up is recorded; a district
supervisor sees a group petition on the dashboard and acknowledges it."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from petitions.models import Category
from tests.conftest import make_person, new_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CATEGORY = "工资报酬/拖欠工资"
NUMBER = re.compile(r"XF-[0-9A-Z]+-\d{4}-\d+")


@pytest.fixture
def category(db: Any) -> Category:
    # The categories come from a data migration, which a transactional test's flush removes.
    return Category.objects.get_or_create(name=CATEGORY, defaults={"order": 10})[0]


def pdf_text(body: bytes) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)


def fetch_pdf(page: Any, link: Any) -> bytes:
    """The PDF behind a link on the page, fetched with the page's session."""
    response = page.context.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return response.body()


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def step(page: Any, name: str) -> Any:
    """Open the step panel ``#step-<name>`` on the case page and return it."""
    panel = page.locator(f"#step-{name}")
    panel.locator("summary").click()
    expect(panel.locator("form")).to_be_visible()
    return panel


def fill_matter(page: Any, *, facts: str, request: str, headcount: int = 1) -> None:
    matter = page.locator("fieldset", has=page.locator("legend", has_text="信访事项"))
    matter.get_by_label("来访", exact=True).check()
    matter.get_by_label("问题类别").select_option(label=CATEGORY)
    matter.get_by_label("人数").fill(str(headcount))
    matter.get_by_label("反映内容").fill(facts)
    matter.get_by_label(re.compile(r"^诉求")).fill(request)


def lookup_person(page: Any, query: str, name: str) -> None:
    """Type the query in 查找来访人, press 查找, and see the one hit picked."""
    page.get_by_label("查找来访人").fill(query)
    page.get_by_test_id("lookup").click()
    hit = page.get_by_test_id("person-results").get_by_role("radio", name=re.compile(re.escape(name)))
    expect(hit).to_be_checked()


def timeline(page: Any) -> Any:
    return page.locator("ol.timeline > li")


def test_walk_in_from_id_lookup_to_closed_and_followed_up(page, login, new_page, live_server, users, category):
    clerk, worker = users["s11_clerk"], users["s11_worker"]
    id_number = new_id_number(male=False)
    person = make_person(clerk, name="周晓燕", id_number=id_number, phone="13905751234")
    facts = "在越兴纺织印染有限公司工作三年，公司拖欠2026年3月至5月工资共计一万二千元。"
    request = "要求公司足额支付拖欠的工资。"

    # --- 1. The clerk finds the visitor by ID number, logs the matter, saves and prints ---
    login(page, "s11_clerk")
    page.goto("/petitions/new/")
    expect(page.get_by_role("heading", name="受理登记")).to_be_visible()
    lookup_person(page, id_number, person.name)
    fill_matter(page, facts=facts, request=request)
    # Saving lands on the case page with the registration form shown inline (an iframe on print.pdf).
    with page.expect_response(re.compile(r"/petitions/\d+/print\.pdf$")) as printed:
        page.get_by_test_id("save-print").click()
    response = printed.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    number = NUMBER.search(response.headers["content-disposition"]).group(0)
    expect(flash(page, f"已受理登记：{number}")).to_be_visible()
    expect(page.get_by_test_id("print-preview")).to_be_visible()
    # Chromium's viewer swaps the document for its own page, so fetch the file's bytes again with
    # the clerk's session (what 下载 in the viewer does).
    pdf = page.context.request.get(response.url)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert "工会职工维权服务接待登记表" in text
    assert number in text
    assert person.name in text
    case_url = response.url.removesuffix("print.pdf")

    # The case page: open, handled by the clerk who took it in; she assigns it to the worker.
    page.goto(case_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.get_by_role("heading", level=1)).to_contain_text("待处理")
    expect(page.get_by_test_id("complainant")).to_have_text(person.name)
    facts_list = page.locator("dl.facts").first
    expect(facts_list).to_contain_text(f"{clerk.full_name}（府山街道工会服务站）")
    panel = step(page, "assign")
    panel.get_by_label("承办人").select_option(value=str(worker.pk))
    panel.get_by_label("交办意见").fill("请李强核实工资发放情况。")
    panel.get_by_role("button", name="交办").click()
    expect(flash(page, "已交办。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已交办")
    expect(facts_list).to_contain_text(f"{worker.full_name}（府山街道工会服务站）")

    # --- 2. The worker finds it on the dashboard, writes the completion report, closes it ---
    wpage = new_page()
    login(wpage, "s11_worker")
    mine = wpage.locator("section", has=wpage.get_by_role("heading", name="我承办的在办事项"))
    mine.get_by_role("link", name=number).click()
    expect(wpage.get_by_role("heading", level=1)).to_contain_text(number)
    panel = step(wpage, "close")
    expect(panel.get_by_label("基本事实")).to_have_value(facts)  # prefilled from the intake
    panel.get_by_label("基本事实").fill("经核实，公司拖欠周晓燕2026年3月至5月工资一万二千元属实。")
    panel.get_by_label("处理依据").fill("《浙江省工资支付条例》第二十四条。")
    panel.get_by_label("处理结果").fill("经调解，公司于6月10日一次性补发全部工资。")
    panel.get_by_label("职工意见").fill("表示满意，无异议。")
    panel.get_by_role("button", name="办结").click()
    expect(flash(wpage, "已办结，回访任务已生成。")).to_be_visible()
    expect(wpage.get_by_role("heading", level=1)).to_contain_text("已办结")
    report = wpage.locator("section", has=wpage.get_by_role("heading", name="办结报告"))
    expect(report).to_contain_text("《浙江省工资支付条例》第二十四条。")
    expect(report).to_contain_text("经调解，公司于6月10日一次性补发全部工资。")
    expect(report).to_contain_text("表示满意，无异议。")
    expect(timeline(wpage)).to_contain_text(["受理登记", "交办", "办结"])
    expect(timeline(wpage)).to_have_count(3)

    # --- 3. The clerk calls the visitor back and records the follow-up ---
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已办结")
    panel = step(page, "follow_up")
    panel.get_by_label("电话").check()
    panel.get_by_label("满意", exact=True).check()
    panel.get_by_role("button", name="回访").click()
    expect(flash(page, "已登记回访。")).to_be_visible()
    follow_ups = page.locator("section", has=page.get_by_role("heading", name="回访", exact=True))
    expect(follow_ups.locator("tbody tr")).to_have_count(1)
    expect(follow_ups.locator("tbody tr")).to_contain_text("已回访")
    expect(follow_ups.locator("tbody tr td").nth(1)).to_have_text("电话")
    expect(follow_ups.locator("tbody tr td").nth(2)).to_have_text("满意")
    expect(timeline(page)).to_contain_text(["受理登记", "交办", "办结", "回访"])
    expect(page.locator("#step-follow_up")).to_have_count(0)

    # Both printed forms, through the page's links, now carry the outcome.
    intake_form = pdf_text(fetch_pdf(page, page.get_by_test_id("print")))
    assert "经调解，公司于6月10日一次性补发全部工资。" in intake_form
    assert "电话回访，满意" in intake_form
    report = pdf_text(fetch_pdf(page, page.get_by_role("link", name="打印办结报告")))
    assert "职工维权服务办结报告" in report
    assert number in report
    assert "《浙江省工资支付条例》第二十四条。" in report
    assert worker.full_name in report


def test_group_petition_reaches_the_district_supervisor_who_acknowledges_it(page, login, new_page, category):
    id_number = new_id_number(male=True)

    # --- 4. The clerk logs 12 workers' complaint, registering their representative inline ---
    login(page, "s11_clerk")
    page.goto("/petitions/new/")
    page.get_by_label("查找来访人").fill(id_number)
    page.get_by_test_id("lookup").click()
    visitor = page.locator("fieldset", has=page.locator("legend", has_text="来访人"))
    expect(visitor.get_by_text("未找到符合的人员，可登记新来访人")).to_be_visible()
    visitor.get_by_label("登记新来访人").check()
    new_person = visitor.locator("details[data-part=new]")
    expect(new_person).to_have_attribute("open", "")  # the JavaScript opens the chosen sub-form
    new_person.get_by_label("姓名").fill("孙建华")
    new_person.get_by_label("身份证号码").fill(id_number)
    new_person.get_by_label("联系电话").fill("13757512345")
    fill_matter(page, facts="越兴纺织印染有限公司一车间12名职工反映公司两个月未发工资。",
                request="要求公司尽快发放工资。", headcount=12)
    page.get_by_test_id("save").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("群体性")
    number = NUMBER.search(page.get_by_role("heading", level=1).inner_text()).group(0)
    expect(flash(page, f"已受理登记：{number}")).to_be_visible()
    expect(page.get_by_test_id("complainant")).to_have_text("孙建华")
    expect(page.get_by_text("12（群体性信访）")).to_be_visible()

    # --- The district supervisor's dashboard lists it as waiting for acknowledgement ---
    sup = new_page()
    login(sup, "d1_sup")
    waiting = sup.get_by_test_id("dashboard-escalations")
    expect(waiting.get_by_role("heading")).to_have_text("群体性/紧急信访待签收")
    expect(waiting.get_by_role("listitem").filter(has_text=number)).to_contain_text("12人")
    expect(sup.get_by_test_id("escalation-count")).to_have_text("1")

    waiting.get_by_role("link", name=number).click()
    expect(sup.get_by_role("heading", level=1)).to_contain_text(number)
    reports = sup.locator("section", has=sup.get_by_role("heading", name="群体性/紧急信访报告"))
    district = reports.get_by_role("listitem").filter(has_text="越城区职工服务中心")
    city = reports.get_by_role("listitem").filter(has_text="绍兴市职工服务中心")
    expect(district).to_contain_text("待签收")
    panel = step(sup, "acknowledge")
    panel.get_by_role("button", name="签收（群体性/紧急）").click()
    expect(flash(sup, "已签收。")).to_be_visible()
    expect(district).to_contain_text("已签收")
    expect(district).to_contain_text("越城区分管主席陈红梅")
    expect(city).to_contain_text("待签收")  # acknowledgement is per unit: the city still has to sign
    expect(sup.locator("#step-acknowledge")).to_have_count(0)
    expect(timeline(sup)).to_contain_text(["受理登记", "签收（群体性/紧急）"])

    # --- Gone from the supervisor's dashboard ---
    sup.get_by_role("navigation", name="主导航").get_by_role("link", name="工作台").click()
    expect(sup.get_by_test_id("escalation-count")).to_have_text("0")
    expect(sup.get_by_test_id("dashboard-escalations")).to_have_count(0)
