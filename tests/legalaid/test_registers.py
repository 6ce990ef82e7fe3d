"""The registers 法律援助案件登记表 and 劳动争议调解登记表: the list's filters and scope, read back with
openpyxl — title, headers, rows, totals of the three amounts."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from legalaid import services
from legalaid.models import Application
from servicecenter.models import AuditEvent
from tests.conftest import make_employer, make_person
from tests.legalaid.conftest import bring, intake, mediate

S = Application.Status


def sheet(response):
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def table(ws):
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    data = [r for r in rows[3:] if isinstance(r[0], int)]
    totals = next(r for r in rows if r[0] == "合计")
    return header, [dict(zip(header, r, strict=False)) for r in data], dict(zip(header, totals, strict=False))


@pytest.fixture
def cases(users, applicant, employer, lawyers):
    clerk = users["s11_clerk"]
    closed = bring(intake(clerk, applicant, employer), S.CLOSED, users, lawyers["chen"])
    review = intake(clerk, make_person(clerk, name="孙小梅"), employer, amount_claimed=Decimal("3000.50"))
    draft = intake(clerk, make_person(clerk, name="吴大伟"), employer, complete=False, matter="contract")
    far = users["s21_clerk"]
    intake(far, make_person(far, name="上虞职工"), make_employer(far.org_unit))
    return closed, review, draft


def test_the_application_register_reads_back(client_for, cases):
    closed, review, draft = cases
    ws = sheet(client_for("d1_sup").get("/legalaid/applications/export.xlsx"))
    assert ws["A1"].value == "法律援助案件登记表"
    header, rows, totals = table(ws)
    assert header[:4] == ("序号", "编号", "受理日期", "申请人")
    assert "请求金额" in header and "裁判/协议金额" in header and "实际到手金额" in header
    assert [r["编号"] for r in rows] == [closed.number, review.number, draft.number]  # the district's three, in order
    by_number = {r["编号"]: r for r in rows}
    assert by_number[closed.number]["状态"] == "已结案" and by_number[closed.number]["结果"] == "胜诉/支持"
    assert by_number[closed.number]["承办律师/志愿者"] == "陈静怡"
    assert by_number[draft.number]["案由"] == "劳动合同" and by_number[review.number]["申请人"] == "孙小梅"
    assert by_number[review.number]["身份证号码"].count("*") == 8  # masked
    assert totals["请求金额"] == pytest.approx(27000.50)
    assert totals["实际到手金额"] == pytest.approx(12000) and totals["已结案"] == 1
    assert AuditEvent.objects.filter(event="export", detail__startswith="法律援助案件登记表 3行").exists()


def test_the_register_uses_the_lists_filters(client_for, cases):
    closed, review, draft = cases
    _, rows, _ = table(sheet(client_for("d1_sup").get("/legalaid/applications/export.xlsx", {"status": "review"})))
    assert [r["编号"] for r in rows] == [review.number]
    _, rows, _ = table(sheet(client_for("city_sup").get("/legalaid/applications/export.xlsx")))
    assert len(rows) == 4  # the city sees both districts


def test_only_supervisors_and_auditors_export(client_for, cases):
    assert client_for("s11_clerk").get("/legalaid/applications/export.xlsx").status_code == 403
    assert client_for("auditor").get("/legalaid/applications/export.xlsx").status_code == 200


def test_the_mediation_register_reads_back(client_for, users, applicant, employer, lawyers):
    clerk = users["s11_clerk"]
    two = mediate(clerk, [applicant, make_person(clerk, name="马六")], employer, lawyers["mediator"])
    services.mediation_agree(mediation=two, by=clerk, terms="一、支付。", amount_agreed=Decimal("6000"),
                             pay_by=two.applied_on)
    services.mediation_execution(mediation=two, by=clerk, execution="partly", amount_paid=Decimal("2500"))
    one = mediate(clerk, [make_person(clerk, name="牛七")], employer, lawyers["mediator"])
    ws = sheet(client_for("d1_sup").get("/legalaid/mediations/export.xlsx"))
    assert ws["A1"].value == "劳动争议调解登记表"
    _, rows, totals = table(ws)
    assert [r["编号"] for r in rows] == [two.number, one.number]
    assert rows[0]["申请人"] == "钱小军" and rows[0]["人数"] == 2 and rows[0]["履行情况"] == "部分履行"
    assert rows[1]["状态"] == "调解中" and rows[1]["履行情况"] == "待履行"
    assert totals["人数"] == 3 and totals["协议金额"] == pytest.approx(6000) and totals["实际到手金额"] == pytest.approx(2500)
    assert totals["调结"] == 1
