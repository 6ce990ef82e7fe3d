"""Confidential petitions (投诉、控告、举报): the complainant's name, ID number and phone are shown
only to the handler and the owning unit's supervisors — on pages, in search, in the register and
in printed forms. Everyone else in scope sees "（保密）"."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from petitions import services
from petitions.confidentiality import MASK
from servicecenter.models import AuditEvent
from tests.petitions.conftest import make_petition

NAME, PHONE = "赵建国", "13900001111"
TODAY = timezone.localdate


@pytest.fixture
def secret(users, person, category, employer):
    """Confidential, received by s11_clerk and assigned to s11_worker."""
    p = make_petition(users["s11_clerk"], person, category, employer=employer, is_confidential=True,
                      facts="举报公司负责人克扣工资。")
    services.petition_assign(petition=p, by=users["s11_clerk"], handler=users["s11_worker"], due_date=TODAY())
    return p


SEES = ["s11_worker", "d1_sup"]
MASKED = ["s11_clerk", "city_sup", "auditor"]


@pytest.mark.parametrize("username", SEES + MASKED)
def test_detail_page(client_for, secret, person, username):
    html = client_for(username).get(f"/petitions/{secret.pk}/").content.decode()
    if username in SEES:
        assert NAME in html and PHONE in html and person.id_number_masked in html
    else:
        assert NAME not in html and PHONE not in html and person.id_number_masked not in html
        assert MASK in html


def test_viewing_the_identity_of_a_confidential_case_is_audited(client_for, secret):
    client_for("d1_sup").get(f"/petitions/{secret.pk}/")
    client_for("s11_clerk").get(f"/petitions/{secret.pk}/")
    reveals = AuditEvent.objects.filter(event="reveal", target_id=str(secret.pk))
    assert list(reveals.values_list("username", flat=True)) == ["d1_sup"]


@pytest.mark.parametrize("username", SEES + MASKED)
def test_list_page(client_for, secret, username):
    html = client_for(username).get("/petitions/").content.decode()
    assert secret.number in html
    assert (NAME in html) == (username in SEES)


@pytest.mark.parametrize("query", [NAME, "zjg", PHONE[:7], "ID"])
def test_search_by_the_complainant_never_finds_a_case_the_user_may_not_name(client_for, secret, person, query):
    text = person.id_number if query == "ID" else query
    for username in SEES:
        assert secret.number in client_for(username).get("/petitions/", {"person": text}).content.decode()
    for username in MASKED:
        response = client_for(username).get("/petitions/", {"person": text})
        assert response.status_code == 200 and secret.number not in response.content.decode()


def test_open_cases_are_searchable_by_everyone(client_for, users, person, category):
    p = make_petition(users["s11_clerk"], person, category)
    assert p.number in client_for("city_sup").get("/petitions/", {"person": NAME}).content.decode()


def register_rows(client, **query):
    response = client.get("/petitions/export.xlsx", query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[2])
    return header, [dict(zip(header, row, strict=False)) for row in rows[3:] if isinstance(row[0], int)]


@pytest.mark.parametrize(("username", "shown"), [("d1_sup", True), ("city_sup", False), ("auditor", False)])
def test_register_masks_the_complainant(client_for, secret, person, username, shown):
    header, rows = register_rows(client_for(username))
    (row,) = rows
    assert row["编号"] == secret.number
    if shown:
        assert (row["来访人"], row["联系电话"], row["身份证号码"]) == (NAME, PHONE, person.id_number_masked)
        assert row["性别"] in ("男", "女")
    else:
        assert (row["来访人"], row["联系电话"], row["身份证号码"], row["性别"]) == (MASK,) * 4


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_printed_registration_form_masks_for_others_and_names_for_the_handler(client_for, secret, person):
    handler_text = pdf_text(client_for("s11_worker").get(f"/petitions/{secret.pk}/print.pdf"))
    assert NAME in handler_text and PHONE in handler_text
    other_text = pdf_text(client_for("s11_clerk").get(f"/petitions/{secret.pk}/print.pdf"))
    assert "接待登记表" in other_text and secret.number in other_text
    assert NAME not in other_text and PHONE not in other_text and person.id_number_masked not in other_text
    assert "保密" in other_text
    assert AuditEvent.objects.filter(event="print", target_id=str(secret.pk)).count() == 2


def test_printed_completion_report_masks_too(client_for, users, secret):
    services.petition_close(petition=secret, by=users["s11_worker"],
                            report=services.CompletionReport("事实", "依据", "已追回工资", "满意"))
    text = pdf_text(client_for("city_sup").get(f"/petitions/{secret.pk}/report.pdf"))
    assert "办结报告" in text and "已追回工资" in text and NAME not in text


def test_person_page_does_not_list_a_confidential_case_to_those_who_may_not_name_it(client_for, secret, person):
    assert secret.number not in client_for("s11_clerk").get(f"/people/{person.pk}/").content.decode()
    assert secret.number in client_for("s11_worker").get(f"/people/{person.pk}/").content.decode()


def test_employer_page_lists_the_case_with_the_complainant_masked(client_for, secret, employer):
    html = client_for("s11_clerk").get(f"/employers/{employer.pk}/").content.decode()
    assert secret.number in html and NAME not in html


def test_handler_loses_the_name_when_the_case_is_reassigned(client_for, users, secret):
    services.petition_assign(petition=secret, by=users["d1_sup"], handler=users["s11_clerk"], due_date=TODAY())
    assert NAME not in client_for("s11_worker").get(f"/petitions/{secret.pk}/").content.decode()
    assert NAME in client_for("s11_clerk").get(f"/petitions/{secret.pk}/").content.decode()


def test_audit_log_never_carries_the_complainant_name(secret):
    about_case = AuditEvent.objects.filter(target_type="petitions.petition")
    assert about_case.count() >= 2
    assert not about_case.filter(target_repr__contains=NAME).exists()
    assert not about_case.filter(detail__contains=NAME).exists()
