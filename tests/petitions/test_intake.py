"""Intake (受理登记): the page, numbering, person/employer pick-or-create, group flagging, bad
input kept at the field, and a double-submitted form creating one petition."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from petitions.models import Category, Escalation, Petition, PetitionEvent
from servicecenter.models import AuditEvent, Employer, Person, PersonLink
from tests.conftest import make_person, new_id_number
from tests.petitions.conftest import set_param


def intake_data(person=None, category=None, **overrides):
    data = {
        "token": str(uuid.uuid4()),
        "org_unit": "",
        "person_query": "",
        "person_choice": str(person.pk) if person else "",
        "channel": "visit",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "headcount": "1",
        "category": str(category.pk) if category else "",
        "facts": "公司拖欠三个月工资。",
        "request": "要求支付工资。",
        "employer_query": "",
        "employer_choice": "",
        "do": "save",
    }
    data.update(overrides)
    return data


def test_clerk_registers_a_petition_numbered_for_the_unit_and_year(client_for, users, person, category):
    clerk = users["s11_clerk"]
    response = client_for("s11_clerk").post("/petitions/new/", intake_data(person, category, org_unit=clerk.org_unit_id))
    petition = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/petitions/{petition.pk}/"
    year = timezone.localdate().year
    assert petition.number == f"XF-330602001-{year}-00001"
    assert petition.status == "open" and petition.handler == clerk and petition.received_by == clerk
    assert petition.due_date == petition.accepted_on + datetime.timedelta(days=30)
    assert not petition.is_group
    assert PetitionEvent.objects.filter(petition=petition, kind="intake").count() == 1
    assert AuditEvent.objects.filter(event="create", target_type="petitions.petition", target_id=str(petition.pk)).exists()


def test_second_petition_takes_the_next_number(users, person, category):
    from tests.petitions.conftest import make_petition

    first = make_petition(users["s11_clerk"], person, category)
    second = make_petition(users["s11_clerk"], person, category)
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1


def test_double_submit_creates_one_petition(client_for, users, person, category):
    client = client_for("s11_clerk")
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id)
    first = client.post("/petitions/new/", data)
    second = client.post("/petitions/new/", data)
    assert Petition.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_double_submit_with_a_new_person_creates_one_person_and_one_petition(client_for, users, category):
    client = client_for("s11_clerk")
    number = new_id_number()
    data = intake_data(None, category, org_unit=users["s11_clerk"].org_unit_id, person_choice="new",
                       **{"p-name": "钱多多", "p-id_number": number, "p-phone": "13711112222",
                          "p-org_unit": users["s11_clerk"].org_unit_id, "p-model_worker": "",
                          "p-jobless_certificate": ""})
    assert client.post("/petitions/new/", data).status_code == 302
    assert client.post("/petitions/new/", data).status_code == 302
    assert Person.objects.filter(name="钱多多").count() == 1
    assert Petition.objects.get().person.name == "钱多多"


def test_save_and_print_shows_the_case_with_the_registration_form_inline(client_for, users, person, category):
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, do="print")
    client = client_for("s11_clerk")
    response = client.post("/petitions/new/", data, follow=True)
    petition = Petition.objects.get()
    assert response.redirect_chain[-1][0] == f"/petitions/{petition.pk}/?print=1"
    html = response.content.decode()
    assert f'<iframe src="/petitions/{petition.pk}/print.pdf"' in html and f"已受理登记：{petition.number}" in html
    pdf = client.get(f"/petitions/{petition.pk}/print.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf["X-Frame-Options"] == "SAMEORIGIN"


def test_group_petition_is_flagged_from_the_parameter(client_for, users, units, person, category):
    set_param(units["330602"], "petition.group_size", "8")
    client = client_for("s11_clerk")
    client.post("/petitions/new/", intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, headcount="7"))
    client.post("/petitions/new/", intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, headcount="8"))
    small, group = Petition.objects.order_by("id")
    assert not small.is_group and group.is_group
    assert not Escalation.objects.filter(petition=small).exists()
    assert Escalation.objects.filter(petition=group).count() == 2  # the district leading the station, and the city


@pytest.mark.parametrize(("field", "value", "message"), [
    ("received_at", "2999-01-01T09:00", "不能晚于当前时间"),
    ("received_at", "昨天", "请按“年-月-日 时:分”填写受理时间。"),
    ("received_at", "1900-01-01T09:00", "受理时间不能早于"),
    ("headcount", "0", "人数不能小于 1。"),
    ("facts", "长" * 10000, "反映内容最多 5000 字，现在 10000 字。"),
    ("category", "", "请选择问题类别。"),
    ("facts", "", "请填写反映内容。"),
    ("request", "", "请填写诉求。"),
    ("channel", "fax", "请从列表中选择来访形式。"),
    ("person_choice", "", "请查找并选择来访人"),
    ("person_choice", "999999", "请查找并选择来访人"),
])
def test_bad_input_is_reported_at_the_field_and_kept(client_for, users, person, category, field, value, message):
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, facts="工资被拖欠=1+1")
    data[field] = value
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    target = "person_query" if field == "person_choice" else field
    assert message in str(errors[target])
    assert not Petition.objects.exists()
    if field != "facts":
        assert "工资被拖欠=1+1" in response.content.decode()


def test_a_person_outside_scope_cannot_be_picked_by_number(client_for, users, category):
    other = make_person(users["s12_clerk"], name="塔山人")
    data = intake_data(other, category, org_unit=users["s11_clerk"].org_unit_id)
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert response.status_code == 200 and "person_query" in response.context["form"].errors
    assert not Petition.objects.exists()


def test_unit_outside_scope_is_refused(client_for, users, units, person, category):
    data = intake_data(person, category, org_unit=units["330602002"].pk)
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert "org_unit" in response.context["form"].errors
    assert not Petition.objects.exists()


def test_new_person_with_a_bad_id_number_shows_the_error_in_the_person_form(client_for, users, category):
    bad = new_id_number()[:-1] + "Y"
    data = intake_data(None, category, org_unit=users["s11_clerk"].org_unit_id, person_choice="new",
                       **{"p-name": "孙小美", "p-id_number": bad, "p-phone": "13711112222",
                          "p-org_unit": users["s11_clerk"].org_unit_id})
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert response.status_code == 200
    assert "id_number" in response.context["person_form"].errors
    assert 'value="孙小美"' in response.content.decode()
    assert not Person.objects.exists() and not Petition.objects.exists()


def test_new_person_whose_number_is_registered_is_refused_without_saving_anything(client_for, users, person, category):
    data = intake_data(None, category, org_unit=users["s11_clerk"].org_unit_id, person_choice="new",
                       **{"p-name": "另一个人", "p-id_number": person.id_number, "p-phone": "13711112222",
                          "p-org_unit": users["s11_clerk"].org_unit_id})
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert "已登记" in str(response.context["person_form"].errors["id_number"])
    assert not Petition.objects.exists()


@pytest.mark.parametrize("query", ["赵建国", "zjg", "1390000", "ID"])
def test_lookup_finds_the_person_by_name_initials_phone_or_id(client_for, person, query):
    text = person.id_number if query == "ID" else query
    response = client_for("s11_clerk").post("/petitions/new/", {"do": "lookup", "person_query": text,
                                                                "facts": "已填写的内容"})
    assert response.status_code == 200
    assert response.context["people"] == [person]
    assert response.context["person_choice"] == str(person.pk)  # the only match is preselected
    html = response.content.decode()
    assert "已填写的内容" in html and "field-error" not in html


def test_lookup_by_full_id_of_a_person_registered_elsewhere_offers_to_attach(client_for, users, category):
    other = make_person(users["s21_clerk"], name="百官人")
    client = client_for("s11_clerk")
    response = client.post("/petitions/new/", {"do": "lookup", "person_query": other.id_number})
    foreign = response.context["foreign_person"]
    assert foreign.name == "百官人" and response.context["people"] == []
    assert response.content.decode().count(other.id_number) == 1  # only in the search box, as typed
    data = intake_data(None, category, org_unit=users["s11_clerk"].org_unit_id, person_choice="attach",
                       person_query=other.id_number)
    assert client.post("/petitions/new/", data).status_code == 302
    assert Petition.objects.get().person == other
    assert PersonLink.objects.filter(person=other, org_unit=users["s11_clerk"].org_unit).exists()
    assert AuditEvent.objects.filter(event="attach", target_id=str(other.pk)).exists()


def test_petition_links_the_person_to_the_petition_unit(users, units, category):
    from servicecenter.people import person_attach
    from tests.petitions.conftest import make_petition

    # Registered in the other district, attached to station 330602001: the district sees them
    # through that link; a petition filed at the district links them to the district itself.
    other = make_person(users["s21_clerk"], name="百官人")
    person_attach(by=users["s11_clerk"], id_number=other.id_number, org_unit=units["330602001"])
    make_petition(users["d1_sup"], other, category, org_unit=units["330602"])
    assert PersonLink.objects.filter(person=other, org_unit=units["330602"]).exists()
    # Registered below the petition's unit: no link needed.
    own = make_person(users["s11_clerk"], name="站里的人")
    make_petition(users["d1_sup"], own, category, org_unit=units["330602"])
    assert not PersonLink.objects.filter(person=own).exists()


def test_employer_can_be_created_inline(client_for, users, person, category):
    from servicecenter import demo

    code = demo.credit_code("330602", 777001)
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, employer_choice="new",
                       **{"e-name": "新建纺织有限公司", "e-credit_code": code, "e-org_unit": users["s11_clerk"].org_unit_id,
                          "e-union_status": "none"})
    assert client_for("s11_clerk").post("/petitions/new/", data).status_code == 302
    assert Petition.objects.get().employer == Employer.objects.get(credit_code=code)


def test_inactive_category_is_not_offered(client_for, users, person, category):
    category.is_active = False
    category.save()
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id)
    response = client_for("s11_clerk").post("/petitions/new/", data)
    assert "category" in response.context["form"].errors


def test_categories_are_seeded_from_the_domain_list(db):
    from petitions.models import Category

    names = list(Category.objects.values_list("name", flat=True))
    assert names[0] == "工资报酬/拖欠工资" and names[-1] == "其他" and len(names) == 14


def test_categories_are_edited_by_the_system_admin_only(client_for, category):
    admin = client_for("sysadmin")
    assert admin.get("/admin/petitions/category/").status_code == 200
    response = admin.post("/admin/petitions/category/add/", {"name": "欠缴住房公积金", "order": "145", "is_active": "on"})
    assert response.status_code == 302
    assert Category.objects.filter(name="欠缴住房公积金").exists()
    assert admin.get(f"/admin/petitions/category/{category.pk}/delete/").status_code == 403
    assert client_for("d1_sup").get("/admin/petitions/category/").status_code == 302  # to the admin login
    assert "petitions/petition" not in admin.get("/admin/").content.decode()  # no case data on the admin site
