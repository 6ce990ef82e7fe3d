"""Item 6: what the walk-through found — a lower bound on the receipt time, sub-forms validated
only when chosen, attaching a person registered elsewhere from the intake page, the employer
concerned linked to the unit (every link a case page shows opens for whoever sees it), the
dashboard's cards, plain Chinese messages, a Chinese 404 page under DEBUG, varied demo people."""

from __future__ import annotations

import collections
import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from petitions import services
from petitions.models import Petition
from servicecenter import demo
from servicecenter.models import AuditEvent, EmployerLink, PersonLink
from servicecenter.validators import resident_id_birth_date, resident_id_sex
from tests.conftest import make_employer, make_person, new_id_number
from tests.petitions.conftest import make_petition, set_param
from tests.petitions.test_intake import intake_data

NOW = timezone.now


# --- the receipt time ----------------------------------------------------------------------------------


def test_a_clerk_may_log_a_receipt_up_to_30_days_back(users, person, category):
    clerk = users["s11_clerk"]
    p = make_petition(clerk, person, category, received_at=NOW() - datetime.timedelta(days=30))
    assert p.accepted_on == timezone.localdate() - datetime.timedelta(days=30)
    with pytest.raises(ValidationError) as caught:
        make_petition(clerk, person, category, received_at=NOW() - datetime.timedelta(days=31))
    assert "须由审批人补登并说明理由" in caught.value.message_dict["received_at"][0]
    assert Petition.objects.count() == 1


def test_the_1900_receipt_is_refused_for_everyone(users, person, category):
    for username in ("s11_clerk", "d1_sup"):
        with pytest.raises(ValidationError) as caught:
            make_petition(users[username], person, category, received_at=timezone.make_aware(datetime.datetime(1900, 1, 1)),
                          backdate_reason="补登")
        assert "受理时间不能早于" in caught.value.message_dict["received_at"][0]
    assert not Petition.objects.exists()


def test_a_supervisor_logs_an_older_receipt_with_a_reason_audited(users, units, person, category):
    sup = users["d1_sup"]
    old = NOW() - datetime.timedelta(days=45)
    with pytest.raises(ValidationError) as caught:
        make_petition(sup, person, category, org_unit=units["330602"], received_at=old)
    assert "请填写补登理由" in caught.value.message_dict["backdate_reason"][0]
    p = make_petition(sup, person, category, org_unit=units["330602"], received_at=old,
                      backdate_reason="来信在收发室滞留，今日补登")
    assert p.backdate_reason == "来信在收发室滞留，今日补登" and "补登" in p.events.get(kind="intake").note
    row = AuditEvent.objects.get(event="create", target_type="petitions.petition", target_id=str(p.pk))
    assert row.new_values["backdated"] == str(timezone.localdate(old))


def test_the_bound_is_a_parameter(users, units, person, category):
    set_param(units["330602001"], "petition.receipt_max_days_back", "3")
    with pytest.raises(ValidationError, match="3天前"):
        make_petition(users["s11_clerk"], person, category, received_at=NOW() - datetime.timedelta(days=4))


def test_the_intake_page_reports_an_old_receipt_at_the_field(client_for, users, person, category):
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, received_at="1900-01-01T09:00")
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert "受理时间不能早于" in response.context["form"].errors["received_at"][0]
    assert not Petition.objects.exists()


# --- sub-forms and attaching -----------------------------------------------------------------------------


def test_sub_forms_not_chosen_show_no_errors_and_keep_what_was_typed(client_for, users, person, category):
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, facts="")
    data.update({"p-name": "半截名字", "p-id_number": "123", "e-name": "", "e-credit_code": "bad"})
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert response.status_code == 200 and response.context["form"].errors["facts"] == ["请填写反映内容。"]
    person_form, employer_form = response.context["person_form"], response.context["employer_form"]
    assert not person_form.is_bound and not person_form.errors and not employer_form.errors
    assert person_form.initial["name"] == "半截名字"  # kept
    body = response.content.decode()
    assert "身份证号码应为18位" not in body and "请填写单位名称" not in body


def test_registering_someone_registered_elsewhere_offers_to_attach_them(client_for, users, category):
    elsewhere = make_person(users["s21_clerk"], name="钱小燕", id_number=new_id_number(male=False))
    client = client_for("s11_clerk")
    unit = users["s11_clerk"].org_unit_id
    data = intake_data(None, category, org_unit=unit, person_choice="new")
    data.update({"p-name": "钱小燕", "p-id_number": elsewhere.id_number, "p-phone": "13905750000", "p-org_unit": unit})
    response = client.post("/petitions/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and not Petition.objects.exists()
    assert "已由百官街道工会服务站登记（钱小燕），可选择“关联到本单位”后保存" in body
    assert 'data-testid="attach-person"' in body and response.context["person_choice"] == "attach"
    assert response.context["person_query"] == elsewhere.id_number
    data.update(person_choice="attach", person_query=elsewhere.id_number, token=data["token"])
    assert client.post("/petitions/new/", data).status_code == 302
    p = Petition.objects.get()
    assert p.person == elsewhere and PersonLink.objects.filter(person=elsewhere, org_unit_id=unit).exists()
    assert AuditEvent.objects.filter(event="attach", target_id=str(elsewhere.pk)).exists()


def test_registering_someone_already_seen_here_picks_them(client_for, users, person, category):
    unit = users["s11_clerk"].org_unit_id
    data = intake_data(None, category, org_unit=unit, person_choice="new")
    data.update({"p-name": person.name, "p-id_number": person.id_number, "p-phone": "13905750000", "p-org_unit": unit})
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert response.context["person_choice"] == str(person.pk)
    assert "已为您选中此人" in response.content.decode()


# --- links on a case page ---------------------------------------------------------------------------------


def _links(body: str) -> list[str]:
    return sorted({h for h in re.findall(r'href="(/[^"#]*)"', body) if not h.startswith("/static/")})


@pytest.mark.parametrize("username", ["s11_clerk", "s11_worker", "d1_sup", "city_sup", "auditor"])
def test_every_link_a_case_page_shows_opens_for_whoever_sees_it(client_for, users, units, category, username):
    """Including the employer concerned, registered at another station: intake links it to the
    case's unit like the complainant (it was a 404 for the clerk)."""
    clerk = users["s11_clerk"]
    elsewhere = make_employer(units["330602002"], name="塔山商贸有限公司")
    visitor = make_person(users["s12_clerk"], name="王建华", employer=elsewhere)
    p = make_petition(clerk, services.AttachPerson(visitor.id_number), category, employer=services.AttachEmployer(
        elsewhere.credit_code))
    assert EmployerLink.objects.filter(employer=elsewhere, org_unit=clerk.org_unit).exists()
    services.petition_close(petition=p, by=clerk, report=services.CompletionReport("a", "b", "c", "d"))
    client = client_for(username)
    links = _links(client.get(f"/petitions/{p.pk}/").content.decode())
    assert f"/employers/{elsewhere.pk}/" in links
    for href in links:
        if href == "/accounts/logout/":
            continue
        assert client.get(href).status_code == 200, (username, href)


def test_every_link_on_a_12351_and_an_online_case_opens(client_for, users, category):
    clerk = users["s11_clerk"]
    p = make_petition(clerk, services.Caller("孙师傅", "13805750001"), category, channel="12351",
                      hotline=services.HotlineDetails("GD1", "13805750001", "话务员", NOW(), "consult",
                                                      timezone.localdate() + datetime.timedelta(days=3)))
    services.hotline_feedback(order=p.hotline_order, by=clerk, feedback="已答复")
    sub, _ = services.submission_create(token=__import__("uuid").uuid4(), org_unit=clerk.org_unit, name="孙晓梅",
                                        phone="13705759999", category=category, facts="x", request="y", client="t")
    online = services.submission_accept(submission=sub, by=clerk, category=category)
    client = client_for("s11_clerk")
    for case in (p, online):
        for href in _links(client.get(f"/petitions/{case.pk}/").content.decode()):
            if href != "/accounts/logout/":
                assert client.get(href).status_code == 200, href


# --- dashboard, messages, 404, demo people ----------------------------------------------------------------


def test_the_clerks_dashboard_has_a_受理登记_card(client_for):
    body = client_for("s11_clerk").get("/").content.decode()
    assert 'data-testid="card-intake"' in body and 'href="/petitions/new/"' in body


@pytest.mark.parametrize("username", ["s11_clerk", "s11_worker", "d1_sup", "d1_accountant", "d1_cashier", "auditor",
                                      "sysadmin", "secaudit"])
def test_no_dashboard_card_a_role_cannot_use(client_for, users, person, category, username):
    make_petition(users["s11_clerk"], person, category)
    client = client_for(username)
    body = client.get("/").content.decode()
    cards = re.findall(r'<a class="card[^"]*" href="([^"]+)"', body)
    for href in cards:
        assert client.get(href).status_code == 200, (username, href)
    if username in ("auditor", "d1_accountant", "d1_cashier"):
        assert "/petitions/new/" not in cards and "/people/new/" not in cards


def test_plain_chinese_messages_name_the_field(client_for, users, person, category):
    client = client_for("s11_clerk")
    data = intake_data(person, category, org_unit="999999", facts="长" * 10000)
    errors = client.post("/petitions/new/", data).context["form"].errors
    assert errors["facts"] == ["反映内容最多 5000 字，现在 10000 字。"]
    assert errors["org_unit"] == ["请从列表中选择受理单位。"]
    body = client.get("/petitions/", {"org_unit": "999999", "status": "nope"}).content.decode()
    assert "请从列表中选择承办单位。" in body and "请从列表中选择状态。" in body
    assert "org_unit" not in re.sub(r"<[^>]+>", "", body)  # in the text a user reads: the label only


def test_a_missing_page_is_the_chinese_page_under_debug(settings, client_for):
    settings.DEBUG = True
    for client in (Client(), client_for("s11_clerk")):
        response = client.get("/no-such-page/")
        body = response.content.decode()
        assert response.status_code == 404 and "未找到该页面或记录" in body and "Page not found" not in body
    response = client_for("s11_clerk").get("/petitions/999999/")
    assert response.status_code == 404 and "未找到该页面或记录" in response.content.decode()
    settings.TECHNICAL_404 = True
    assert "Page not found" in client_for("s11_clerk").get("/no-such-page/").content.decode()


def test_demo_people_have_varied_birth_dates_ages_and_sexes():
    rows = list(demo.people_rows(200))
    births = [resident_id_birth_date(r["id_number"]) for r in rows]
    today = timezone.localdate()
    ages = {today.year - b.year for b in births}
    sexes = collections.Counter(resident_id_sex(r["id_number"]) for r in rows)
    assert len(set(births)) == 200 and len(ages) > 30 and min(ages) < 30 and max(ages) > 60
    assert sexes["M"] > 60 and sexes["F"] > 60
    bulk = {demo.bulk_id_number(i) for i in range(demo.BULK_OFFSET, demo.BULK_OFFSET + 50_000)}
    assert not bulk & {r["id_number"] for r in rows}  # bulk loads never collide with them


def test_no_inline_script_or_style_on_the_petition_and_public_pages(client_for, users, person, category):
    """A strict Content-Security-Policy is coming: scripts from static/js, styles from app.css."""
    p = make_petition(users["s11_clerk"], person, category)
    staff = client_for("s11_clerk")
    pages = [staff.get(url) for url in ("/", "/petitions/", "/petitions/new/", f"/petitions/{p.pk}/",
                                        "/petitions/submissions/", "/petitions/tasks/")]
    pages += [Client().get(url) for url in ("/public/petitions/", "/public/petitions/submit/",
                                            "/public/petitions/lookup/")]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert " style=" not in body and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), response.request["PATH_INFO"]
    assert '<script src="/static/js/intake.js" defer></script>' in pages[2].content.decode()
