"""Item 5: the forms as the staff know them (FORMS.md §3), read back the way a person reads them —
the printed 接待登记表 and 职工维权服务办结报告 through pdftotext, the 信访接待登记汇总表 through
openpyxl — with every field the issue names. 工作单位 is the visitor's own employer; the employer
complained about is its own field. Money recovered is on the report and a figure of the month."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from petitions import services
from petitions.summary import monthly_figures
from tests.conftest import make_employer, make_person, new_id_number
from tests.petitions.conftest import make_petition
from tests.petitions.pdftext import pdf_text, squeezed

TODAY = timezone.localdate


def cn(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def full_case(users, units, category):
    """A case with everything filled: the visitor works for one employer and complains about
    another, was handed to a worker, paused, extended, closed with money recovered, followed up."""
    clerk, worker, sup = users["s11_clerk"], users["s11_worker"], users["d1_sup"]
    own = make_employer(units["330602001"], name="鉴湖机械制造有限公司")
    concerned = make_employer(units["330602001"], name="越兴纺织印染有限公司")
    person = make_person(clerk, name="周晓燕", phone="13905751234", address="绍兴市越城区胜利西路8号", employer=own,
                         id_number=new_id_number(male=False, birth=datetime.date(1988, 6, 15)))
    p = make_petition(clerk, person, category, employer=concerned, visitor_post="挡车工", headcount=3,
                      reception_opinion="先行调解，必要时转劳动监察", facts="公司拖欠三个月工资共一万二千元。",
                      request="要求足额支付拖欠工资。")
    services.petition_assign(petition=p, by=clerk, handler=worker, due_date=p.due_date)
    services.petition_pause(petition=p, by=worker, reason="等待公司提供工资台账")
    services.petition_resume(petition=p, by=worker)
    services.petition_extend(petition=p, by=sup, days=10, reason="需等待仲裁结果")
    services.petition_close(petition=p, by=worker, report=services.CompletionReport(
        "拖欠工资属实。", "《工资支付暂行规定》第七条。", "公司已足额支付拖欠工资。", "表示满意。", Decimal("12000.50")))
    services.followup_record(follow_up=services.pending_follow_up(p), by=worker, method="phone",
                             satisfaction="satisfied", comment="已收到工资")
    p.refresh_from_db()
    return p, person


def test_the_intake_form_prints_every_field(client_for, users, units, category):
    p, person = full_case(users, units, category)
    text = squeezed(pdf_text(client_for("s11_clerk").get(f"/petitions/{p.pk}/print.pdf").content))
    received = timezone.localtime(p.received_at)
    expected = {
        "title": "工会职工维权服务接待登记表", "编号": p.number, "受理时间": cn(received.date()),
        "来访形式": "来访", "来访人姓名": "周晓燕", "性别": "女", "年龄": str(person.age),
        "联系电话": "13905751234", "身份证号码": person.id_number_masked, "家庭住址": "绍兴市越城区胜利西路8号",
        "工作单位": "鉴湖机械制造有限公司", "工作岗位": "挡车工", "人数": "3", "问题类别": category.name,
        "涉及单位": "越兴纺织印染有限公司", "反映内容": "公司拖欠三个月工资共一万二千元。", "诉求": "要求足额支付拖欠工资。",
        "接待处理意见": "先行调解，必要时转劳动监察", "接待人": "府山站接待员王芳", "承办人": "府山站工作人员李强",
        "交办日期": cn(p.handed_on), "反馈日期": cn(timezone.localdate(p.closed_at)),
        "处理结果": "公司已足额支付拖欠工资。", "办结日期": cn(timezone.localdate(p.closed_at)), "回访情况": "电话回访，满意",
    }
    for label, value in expected.items():
        if label != "title":
            assert label in text, label
        assert value in text, (label, value)
    # 工作单位 is the visitor's own employer, just after its label; the one complained about is 涉及单位.
    assert "工作单位鉴湖机械制造有限公司" in text and "涉及单位越兴纺织印染有限公司" in text


def test_the_closing_report_prints_every_field(client_for, users, units, category):
    p, _ = full_case(users, units, category)
    text = squeezed(pdf_text(client_for("s11_clerk").get(f"/petitions/{p.pk}/report.pdf").content))
    pause_from, pause_to = p.clock.pauses[0]
    for value in ("职工维权服务办结报告", p.number, "周晓燕", "越兴纺织印染有限公司", "交办单位", "基本事实", "拖欠工资属实。",
                  "处理依据", "《工资支付暂行规定》第七条。", "处理结果", "公司已足额支付拖欠工资。", "暂停计时",
                  f"{cn(pause_from)}至{cn(pause_to)}", "延期", "延期10天：需等待仲裁结果", "回访结果", "电话回访，满意：已收到工资",
                  "挽回经济损失", "12000.50元", "职工意见", "表示满意。"):
        assert value in text, value


def test_the_closing_report_names_the_assigning_body(client_for, users, person, category):
    clerk = users["s11_clerk"]
    p = make_petition(clerk, person, category, channel="assigned", referral=services.Referral(
        "省总工会权益保障部", "浙工权〔2026〕12号", TODAY(), TODAY() + datetime.timedelta(days=15)))
    services.petition_close(petition=p, by=clerk, report=services.CompletionReport("a", "b", "c", "d"))
    text = squeezed(pdf_text(client_for("s11_clerk").get(f"/petitions/{p.pk}/report.pdf").content))
    assert "交办单位省总工会权益保障部（浙工权〔2026〕12号）" in text and f"期限{cn(TODAY() + datetime.timedelta(days=15))}" in text


def test_the_register_has_every_column_the_issue_names(client_for, users, units, category):
    p, person = full_case(users, units, category)
    # A second case: sent up and forwarded, to fill 上报单位 and 转办部门/答复.
    other = make_petition(users["s11_clerk"], person, category)
    services.petition_send_up(petition=other, by=users["s11_clerk"], reason="涉及多家企业")
    services.petition_forward(petition=other, by=users["d1_sup"], department="区劳动保障监察大队", forwarded_on=TODAY(),
                              contact="王科长 88120001")
    services.petition_record_reply(petition=other, by=users["d1_sup"], reply="已责令整改", replied_on=TODAY())
    response = client_for("d1_sup").get("/petitions/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = list(rows[2])
    row = dict(zip(header, rows[3], strict=True))
    sent = dict(zip(header, rows[4], strict=True))
    assert row["编号"] == p.number
    assert row["年龄"] == person.age and row["住址"] == "绍兴市越城区胜利西路8号"
    assert row["工作单位"] == "鉴湖机械制造有限公司" and row["涉及单位"] == "越兴纺织印染有限公司"
    assert row["工作岗位"] == "挡车工" and row["反映内容"] == "公司拖欠三个月工资共一万二千元。"
    assert row["受理单位"] == "府山街道工会服务站" and row["承办单位"] == "府山街道工会服务站"
    assert row["回访方式"] == "电话" and row["回访"] == "满意" and row["回访日期"] is not None
    assert row["延期（天）"] == 10 and row["延期理由"] == "需等待仲裁结果"
    assert row["挽回经济损失（元）"] == 12000.5
    assert sent["上报单位"] == "府山街道工会服务站" and sent["承办单位"] == "越城区职工服务中心"
    assert sent["转办部门"] == "区劳动保障监察大队" and sent["转办答复"] == "已责令整改"
    totals = dict(zip(header, rows[5], strict=True))
    assert totals["挽回经济损失（元）"] == 12000.5 and totals["人数"] == 4


def test_money_recovered_is_a_figure_of_the_month(users, units, category, person):
    clerk = users["s11_clerk"]
    for amount in ("3000", "1500.25", None):
        p = make_petition(clerk, person, category)
        services.petition_close(petition=p, by=clerk, report=services.CompletionReport(
            "a", "b", "c", "d", Decimal(amount) if amount else None))
    figures = monthly_figures(units["330602"], TODAY().replace(day=1), TODAY())
    assert figures["recovered"] == Decimal("4500.25")


def test_money_recovered_cannot_be_negative(client_for, users, person, category):
    p = make_petition(users["s11_clerk"], person, category)
    response = client_for("s11_clerk").post(f"/petitions/{p.pk}/close/", {
        "report_facts": "a", "report_basis": "b", "report_result": "c", "report_response": "d",
        "recovered_amount": "-5"})
    assert "挽回经济损失（元）不能小于 0。" in response.content.decode()
    p.refresh_from_db()
    assert p.status == "open"
