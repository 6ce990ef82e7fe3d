"""就业援助 journey: a clerk registers a laid-off worker as a job seeker, finds a matching posting with
its explanation, refers the worker and prints the referral letter, records the hire; the placement
success rate on the dashboard changes."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from jobs import services
from jobs.models import Occupation, Paper, Skill
from servicecenter import demo
from tests.conftest import make_employer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def posting(users: dict, units: dict) -> Any:
    """A verified employer at station 府山 with an open welding job (the skill and occupation lists
    come from a data migration, which a transactional test's flush removes)."""
    from tests.jobs.conftest import png, posting_data

    clerk = users["s11_clerk"]
    welder = Skill.objects.get_or_create(name="焊工", defaults={"synonyms": "电焊、电焊工、焊接"})[0]
    occupation = Occupation.objects.get_or_create(name="焊工", defaults={"synonyms": "电焊工"})[0]
    Occupation.objects.get_or_create(name="普工")
    employer = make_employer(units["330602001"], name="越兴机械制造有限公司")
    recruiter = services.recruiter_register(by=clerk, employer=employer, contact_person="王经理",
                                            contact_phone="13905750001")
    for kind in Paper.Kind.values:
        services.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=kind, upload=png())
    services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=datetime.date.today())
    data = posting_data(units["330602001"], title="电焊工", occupation=occupation, skills=[welder],
                        education_min=2, wage_min=Decimal("4500"), wage_max=Decimal("6500"))
    return services.posting_create(by=clerk, recruiter=recruiter, publish=True, **data)


def pdf_text(body: bytes) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(body)).pages)


def flash(page: Any, text: str) -> Any:
    return page.locator("ul.messages").get_by_text(text)


def rate(page: Any) -> Any:
    page.goto("/")
    return page.get_by_test_id("placement-rate")


def test_a_laid_off_worker_is_registered_matched_referred_and_hired(page, login, live_server, posting):
    login(page, "s11_clerk")
    expect(rate(page)).to_have_text("—")  # nobody referred this month yet

    # --- 1. The worker, with a layoff certificate, then the job-seeker registration ---
    id_number = demo.resident_id("330602", datetime.date(1978, 3, 8), 211, male=True)
    page.goto("/people/new/")
    page.get_by_label("姓名").fill("陈国强")
    page.get_by_label("身份证号码").fill(id_number)
    page.get_by_label("联系电话").fill("13957512345")
    page.get_by_label("下岗证/失业证").select_option(label="下岗证")
    page.get_by_label("证件号码").fill("XG3306020019")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("陈国强")
    page.get_by_test_id("register-seeker").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("求职登记：陈国强")
    expect(page.get_by_label("下岗证/失业证")).to_have_value("layoff")  # carried over from the person
    page.get_by_label("文化程度").select_option(label="高中/中专/技校")
    page.get_by_label("技能", exact=True).fill("电焊")  # a synonym: the skill 焊工
    page.get_by_label("期望工种").select_option(label="焊工")
    page.get_by_label("期望月工资不低于（元）").fill("4000")
    page.get_by_test_id("save").click()
    # The issuer is required with a certificate: the error is at its field, the rest is kept.
    issuer = page.locator(".field", has=page.locator("#id_certificate_issuer"))
    expect(issuer.locator(".field-error")).to_have_text("请填写发证机关。")
    expect(page.get_by_label("技能", exact=True)).to_have_value("电焊")
    page.get_by_label("发证机关").fill("越城区人力资源和社会保障局")
    page.get_by_test_id("save").click()
    expect(flash(page, "已登记求职：QZ-330602001-")).to_be_visible()
    expect(page.get_by_test_id("seeker-status")).to_have_text("求职中")
    expect(page.get_by_test_id("certificate")).to_contain_text("下岗证 XG3306020019（越城区人力资源和社会保障局）")
    expect(page.locator("dl.facts")).to_contain_text("焊工")

    # --- 2. The matching posting, with every point of its score explained ---
    page.get_by_test_id("matches").click()
    match = page.get_by_test_id("match").filter(has_text=posting.number)
    expect(match).to_have_count(1)
    expect(match.get_by_test_id("score")).to_have_text("90 分")  # 工种 30 + 技能 10 + 学历 15 + 地点 15 + 工资 20
    explanation = match.get_by_test_id("explanation")
    expect(explanation.locator("tr[data-factor='occupation'] td.points")).to_have_text("30")
    expect(explanation.locator("tr[data-factor='skills']")).to_contain_text("具备焊工（1项×10分）")
    expect(explanation.locator("tr[data-factor='education'] td.points")).to_have_text("15")
    expect(explanation.locator("tr[data-factor='place'] td.points")).to_have_text("15")
    expect(explanation.locator("tr[data-factor='wage']")).to_contain_text("工资下限4500.00不低于期望4000.00")
    points = [int(p) for p in explanation.locator("tr[data-factor] td.points").all_inner_texts()]
    expect(explanation.get_by_test_id("explanation-total")).to_have_text(str(sum(points)))
    assert sum(points) == 90

    # --- 3. Refer, and print the referral letter ---
    expect(rate(page)).to_have_text("—")
    page.go_back()
    page.get_by_test_id("match").filter(has_text=posting.number).get_by_test_id("refer").click()
    expect(flash(page, "已推荐：TJ-330602001-")).to_be_visible()
    number = re.search(r"TJ-330602001-\d{4}-\d{5}", page.get_by_role("heading", level=1).inner_text()).group(0)
    referral_url = page.url
    link = page.get_by_test_id("print-letter")
    response = page.context.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    letter = pdf_text(response.body())
    assert "介绍信" in letter and number in letter and "陈国强" in letter
    assert "越兴机械制造有限公司" in letter and "电焊工" in letter and "回" in letter
    expect(rate(page)).to_have_text("0.0%")  # referred, not yet hired

    # --- 4. The employer's answer: hired ---
    page.goto(referral_url)
    panel = page.locator("#step-hire")
    panel.locator("summary").click()
    panel.get_by_label("到岗日期").fill(datetime.date.today().isoformat())
    panel.get_by_label("录用工资（元）").fill("2000")  # below the minimum wage: refused at the field
    panel.get_by_role("button", name="录用").click()
    panel = page.locator("#step-hire")
    expect(panel.locator(".field", has=page.locator("#id_hire_wage")).locator(".field-error")).to_contain_text(
        "低于府山街道工会服务站第1档月最低工资标准2280.00元/月")
    panel.get_by_label("录用工资（元）").fill("5000")
    panel.get_by_role("button", name="录用").click()
    expect(flash(page, "已登记录用，回访任务已生成。")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已录用")
    expect(page.get_by_test_id("follow-up")).to_contain_text(
        (datetime.date.today() + datetime.timedelta(days=30)).isoformat())

    # --- 5. The dashboard's success rate has changed ---
    expect(rate(page)).to_have_text("100.0%")
    page.goto("/jobs/seekers/?q=陈国强")
    expect(page.locator("table.list tbody tr").first).to_contain_text("已就业")
