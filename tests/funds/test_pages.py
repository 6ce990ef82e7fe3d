"""The funds pages as a user meets them: forms with the Chinese message at the field and the input
kept, nothing saved on bad input, steps from the grant page, registers read back with openpyxl,
pinned query counts on the lists."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

from openpyxl import load_workbook

from funds.models import FundAccount, FundSource, Grant, LedgerEntry, ReliefType
from tests.conftest import new_id_number

from .conftest import fund

S = Grant.Status
D = Decimal


def sheet(response) -> list[tuple]:
    body = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))


def test_applying_on_the_page_and_a_bad_amount_kept_at_the_field(grants, client_for):
    person = grants.person(id_number=new_id_number())
    client = client_for("s11_worker")
    data = {"org_unit": grants.station.pk, "person_id_number": person.id_number, "relief_type": "emergency",
            "amount": "0", "reason": "房屋失火", "applied_on": "2026-01-05", "token": str(uuid.uuid4())}
    response = client.post("/funds/grants/new/", data)
    assert response.status_code == 200 and Grant.objects.count() == 0
    form = response.context["form"]
    assert form.errors["amount"] == ["金额须大于零。"] and form["reason"].value() == "房屋失火"
    response = client.post("/funds/grants/new/", {**data, "amount": "800"})
    grant = Grant.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/funds/grants/{grant.pk}/"
    # The same form posted again (a double click) makes no second grant.
    client.post("/funds/grants/new/", {**data, "amount": "800"})
    assert Grant.objects.count() == 1


def test_an_unknown_person_is_refused_at_the_field(grants, client_for):
    response = client_for("s11_worker").post("/funds/grants/new/", {
        "org_unit": grants.station.pk, "person_id_number": new_id_number(), "relief_type": "emergency",
        "amount": "800", "reason": "x", "applied_on": "2026-01-05"})
    assert "未找到该身份证号的人员" in response.context["form"].errors["person_id_number"][0]


def test_the_grant_page_offers_the_steps_and_pays_through_them(grants, client_for):
    g = grants.make(S.VERIFIED, amount="900")
    sup = client_for("d1_sup")
    page = sup.get(f"/funds/grants/{g.pk}/")
    assert [p.name for p in page.context["panels"]] == ["approve", "reject", "cancel"]
    response = sup.post(f"/funds/grants/{g.pk}/approve/", {"account": "", "opinion": "同意"})
    assert response.status_code == 200 and "请选择支付专户" in response.content.decode()
    sup.post(f"/funds/grants/{g.pk}/approve/", {"account": grants.account.pk, "opinion": "同意"})
    g.refresh_from_db()
    assert g.status == S.APPROVED
    cashier = client_for("d1_cashier")
    page = cashier.get(f"/funds/grants/{g.pk}/")
    assert [p.name for p in page.context["panels"]] == ["pay"]
    token = page.context["panels"][0].form.initial["token"]
    for _ in range(2):  # a double-submitted payment pays once
        cashier.post(f"/funds/grants/{g.pk}/pay/", {"token": token, "method": "cash", "paid_on": ""})
    g.refresh_from_db()
    assert g.status == S.PAID and grants.account.entries.filter(kind="disburse").count() == 1
    assert "已发放" in cashier.get(f"/funds/grants/{g.pk}/").content.decode()


def test_the_worker_cannot_pay_and_the_cashier_cannot_approve(grants, client_for):
    g = grants.make(S.APPROVED)
    assert client_for("s11_worker").post(f"/funds/grants/{g.pk}/pay/", {"method": "cash"}).status_code == 403
    v = grants.make(S.VERIFIED)
    assert client_for("d1_cashier").post(f"/funds/grants/{v.pk}/approve/", {}).status_code == 403


def test_recording_money_in_and_the_bad_input_at_the_field(users, units, client_for):
    client = client_for("d1_accountant")
    data = {"org_unit": units["330602"].pk, "kind": "donation", "donor": "越城爱心基金", "received_on": "2026-01-05",
            "amount": "-3", "token": "form-1"}
    response = client.post("/funds/sources/new/", data)
    assert response.context["form"].errors["amount"] == ["金额须大于零。"] and FundSource.objects.count() == 0
    assert response.context["form"]["donor"].value() == "越城爱心基金"
    client.post("/funds/sources/new/", {**data, "amount": "12000.50"})
    client.post("/funds/sources/new/", {**data, "amount": "12000.50"})  # resubmitted: recorded once
    source = FundSource.objects.get()
    account = FundAccount.objects.get(source=source)
    assert account.balance == D("12000.50")
    assert client_for("s11_worker").get("/funds/sources/new/").status_code == 403


def test_allocation_and_reversal_on_the_account_page(users, units, client_for):
    account = fund(users, units, "1000")
    client = client_for("d1_accountant")
    response = client.post(f"/funds/accounts/{account.pk}/allocate/", {"to_unit": units["330602001"].pk,
                                                                       "amount": "1000.01", "token": "a1"})
    assert "可用余额不足" in " ".join(response.context["allocation"].errors["amount"])
    client.post(f"/funds/accounts/{account.pk}/allocate/", {"to_unit": units["330602001"].pk, "amount": "400",
                                                            "token": "a2"})
    account.refresh_from_db()
    assert account.balance == D("600.00")
    income = account.entries.get(kind="income")
    response = client.post(f"/funds/ledger/{income.pk}/reverse/", {"reason": "", "token": "r1"})
    assert response.status_code == 200 and LedgerEntry.objects.filter(kind="reversal").count() == 0
    response = client.post(f"/funds/ledger/{income.pk}/reverse/", {"reason": "到账登记错误", "token": "r2"})
    assert "可用余额不足" in response.content.decode()  # 400 of it went down to the station


def test_the_grant_register_reads_back_with_a_signature_column(grants, client_for):
    paid = grants.make(S.PAID, amount="1200")
    grants.make(S.APPLIED, amount="300")
    rows = sheet(client_for("d1_sup").get("/funds/grants/export.xlsx?status=paid"))
    assert rows[0][0] == "救助金发放花名册"
    assert rows[2][-1] == "领款人签字" and rows[2][1] == "救助编号"
    assert rows[3][1] == paid.number and rows[3][2] == paid.person.name and rows[3][7] == 1200
    assert rows[3][3] == paid.person.id_number_masked and paid.person.id_number not in str(rows)
    assert rows[4][0] == "合计" and rows[4][7] == 1200


def test_the_ledger_register_reads_back_and_sums_to_the_balance(grants, client_for):
    grants.make(S.PAID, amount="1200")
    rows = sheet(client_for("d1_accountant").get(f"/funds/ledger/export.xlsx?account={grants.account.pk}"))
    assert rows[0][0] == "资金台账"
    header = list(rows[2])
    total = next(i for i, r in enumerate(rows) if r[0] == "合计")
    kinds = [r[header.index("类型")] for r in rows[3:total]]
    assert kinds == ["收入", "冻结", "支付"]
    grants.account.refresh_from_db()
    assert D(str(rows[total][header.index("余额变动（元）")])) == grants.account.balance == D("98800.00")


def test_exports_need_the_export_permission(client_for):
    assert client_for("s11_worker").get("/funds/ledger/export.xlsx").status_code == 403
    assert client_for("d1_cashier").get("/funds/grants/export.xlsx").status_code == 403


def test_list_query_counts_do_not_grow_with_rows(grants, client_for, django_assert_num_queries):
    for _ in range(2):
        grants.make(S.PAID)
    client = client_for("d1_sup")
    client.get("/funds/")
    counts = {}
    for url in ("/funds/", "/funds/sources/", "/funds/accounts/", "/funds/ledger/"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        counts[url] = len(ctx)
    for _ in range(3):
        grants.make(S.PAID)
    fund(grants.users, grants.units, "100")
    for url, n in counts.items():
        with django_assert_num_queries(n):
            assert client.get(url).status_code == 200
    assert counts == {"/funds/": 6, "/funds/sources/": 6, "/funds/accounts/": 5, "/funds/ledger/": 6}


def test_the_person_page_lists_the_grants(grants, client_for):
    g = grants.make(S.PAID, relief_type=ReliefType.EMERGENCY)
    body = client_for("s11_worker").get(f"/people/{g.person_id}/").content.decode()
    assert g.number in body


def test_the_cashier_inbox_has_the_grants_to_pay(grants, client_for):
    g = grants.make(S.APPROVED)
    body = client_for("d1_cashier").get("/inbox/").content.decode()
    assert "救助待发放" in body and g.number in body


def test_the_donation_receipt_prints_the_amount_in_words(users, units, client_for):
    from pypdf import PdfReader

    from servicecenter.models import AuditEvent

    account = fund(users, units, "12000.50", donor="越城爱心基金会")
    response = client_for("d1_accountant").get(f"/funds/sources/{account.source_id}/receipt.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "越城爱心基金会" in text and "12000.50" in text and "壹万贰仟元零伍角整" in text
    assert AuditEvent.objects.filter(action="funds.print", target_id=str(account.source_id)).exists()


def test_amounts_in_words():
    from funds.registers import amount_in_words

    assert amount_in_words(D("1010.10")) == "壹仟零壹拾元零壹角整"
    assert amount_in_words(D("100001.00")) == "壹拾万零壹元整"
    assert amount_in_words(D("0.05")) == "伍分"
    assert amount_in_words(D("105.07")) == "壹佰零伍元零柒分"


def test_the_yearly_announcement_masks_names_and_shows_no_id_numbers(grants, client_for):
    from django.utils import timezone
    from pypdf import PdfReader

    g = grants.make(S.PAID, amount="1300", person=grants.person(name="赵桂芳"))
    response = client_for("d1_sup").get(f"/funds/announcement.pdf?year={timezone.localdate().year}")
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "赵*芳" in text and "赵桂芳" not in text and "1300.00" in text
    assert g.person.id_number_masked not in text and g.person.id_number[-4:] not in text.replace("1300", "")
    assert client_for("s11_worker").get("/funds/announcement.pdf").status_code == 403
