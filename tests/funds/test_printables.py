"""The grant approval form and the payment list (PDF, read back with pypdf), and the donation
register (xlsx, read back with openpyxl)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from funds.models import FundSource, Grant, ReliefType
from servicecenter.models import AuditEvent

from .conftest import D, fund
from .test_pages import sheet

S = Grant.Status
pytestmark = pytest.mark.django_db


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_approval_form_carries_verification_every_opinion_and_the_payment(grants, client_for):
    g = grants.make(S.PAID, amount="1300.50", relief_type=ReliefType.EMERGENCY)
    text = pdf_text(client_for("s11_worker").get(f"/funds/grants/{g.pk}/print.pdf"))
    assert "临时/应急救助审批表" in text and g.number in text
    assert "壹仟叁佰元零伍角整" in text and "入户核实属实" in text and "同意" in text
    assert g.person.id_number_masked in text and g.person.id_number not in text
    assert "领款人签字" in text and "本人领取" in text
    assert AuditEvent.objects.filter(action="funds.print", target_id=str(g.pk)).exists()


def test_an_unapproved_grant_prints_as_waiting(grants, client_for):
    g = grants.make(S.APPLIED)
    text = pdf_text(client_for("s11_worker").get(f"/funds/grants/{g.pk}/print.pdf"))
    assert "（未核实）" in text and "（待审批）" in text


def test_the_payment_list_has_the_approved_and_paid_grants_with_a_signature_column(grants, client_for):
    approved = grants.make(S.APPROVED, amount="800", person=grants.person(name="钱多多"))
    paid = grants.make(S.PAID, amount="1200", person=grants.person(name="孙小美"))
    applied = grants.make(S.APPLIED, amount="300", person=grants.person(name="周不发"))
    text = pdf_text(client_for("d1_cashier").get("/funds/grants/payment-list.pdf"))
    assert approved.number in text and paid.number in text and applied.number not in text
    assert "共 2 人次，合计 2000.00 元（贰仟元整）" in text
    assert "领款人 签字" in text  # the signature column (its header wraps in the narrow cell)
    # The list's filter applies: only what is still to be paid.
    text = pdf_text(client_for("d1_cashier").get("/funds/grants/payment-list.pdf?status=approved"))
    assert approved.number in text and paid.number not in text
    assert AuditEvent.objects.filter(action="funds.print_payment_list").count() == 2


def test_the_payment_list_is_the_cashiers_and_in_scope_only(grants, client_for):
    grants.make(S.APPROVED)
    assert client_for("s11_worker").get("/funds/grants/payment-list.pdf").status_code == 403
    # Another district's cashier role would see none of them (scope): the city's auditor cannot print it.
    assert client_for("auditor").get("/funds/grants/payment-list.pdf").status_code == 403
    # A bad filter value is a list without rows, not an error.
    assert client_for("d1_cashier").get("/funds/grants/payment-list.pdf?applied_after=notadate").status_code == 200


def test_the_donation_register_reads_back(users, units, client_for):
    fund(users, units, "12000.50", donor="越城爱心基金会", restriction=(ReliefType.MEDICAL, ReliefType.EDUCATION))
    fund(users, units, "3000", donor="区财政局", kind=FundSource.Kind.GOVERNMENT)
    rows = sheet(client_for("d1_accountant").get("/funds/sources/export.xlsx?kind=donation"))
    assert rows[0][0] == "捐赠（资金到账）登记簿"
    header = list(rows[2])
    assert header[:6] == ["序号", "来源编号", "到账日期", "捐赠/拨款单位或个人", "资金性质", "金额（元）"]
    total = next(i for i, r in enumerate(rows) if r[0] == "合计")
    assert total == 4  # one row: the government money is filtered out
    row = dict(zip(header, rows[3], strict=True))
    assert row["捐赠/拨款单位或个人"] == "越城爱心基金会" and row["资金性质"] == "社会捐助"
    assert row["限定用途"] == "助学、医疗救助" and D(str(row["金额（元）"])) == D("12000.50")
    assert D(str(rows[total][header.index("金额（元）")])) == D("12000.50")
    assert client_for("s11_worker").get("/funds/sources/export.xlsx").status_code == 403
