"""People: registration without duplicates, encryption at rest, masking and audited reveal,
search, cross-unit attach, and the pages' behaviour for bad input and outsiders."""

from __future__ import annotations

import pytest
from django.db import connection

from servicecenter import encryption
from servicecenter.models import AuditEvent, Person, PersonLink
from servicecenter.people import DuplicatePerson, name_initials, person_search
from tests.conftest import make_employer, make_person, new_id_number


def form_data(**overrides):
    data = {"name": "李四", "id_number": new_id_number(), "phone": "13912345678", "address": "绍兴市解放北路1号",
            "model_worker": "", "jobless_certificate": "", "org_unit": ""}
    data.update(overrides)
    return data


# --- registration ------------------------------------------------------------------------------


def test_clerk_registers_a_person_and_sex_and_birth_date_come_from_the_id(client_for, users):
    number = new_id_number(male=False)
    data = form_data(id_number=number, org_unit=users["s11_clerk"].org_unit_id)
    response = client_for("s11_clerk").post("/people/new/", data)
    person = Person.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/people/{person.pk}/"
    assert person.sex == "F"
    assert person.birth_date.strftime("%Y%m%d") == number[6:14]
    assert person.name_initials == "ls"
    assert person.org_unit == users["s11_clerk"].org_unit
    assert AuditEvent.objects.filter(event="create", target_id=str(person.pk)).exists()


def test_bad_check_digit_shows_the_error_at_the_field_and_keeps_what_was_typed(client_for, users):
    number = new_id_number()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    data = form_data(id_number=bad, org_unit=users["s11_clerk"].org_unit_id, address="绍兴市=1+1路")
    response = client_for("s11_clerk").post("/people/new/", data)
    assert response.status_code == 200
    assert "身份证号码校验位不正确" in response.context["form"].errors["id_number"][0]
    html = response.content.decode()
    assert f'value="{bad}"' in html and 'value="李四"' in html and 'value="13912345678"' in html
    assert not Person.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("phone", "12345", "手机号码"),
    ("name", "", "请填写姓名。"),
    ("org_unit", "999999", "请从列表中选择登记单位。"),
    ("jobless_certificate", "layoff", "请填写下岗证/失业证号码"),
])
def test_each_bad_field_is_reported_in_chinese_and_nothing_is_saved(client_for, users, field, value, message):
    data = form_data(org_unit=users["s11_clerk"].org_unit_id)
    data[field] = value
    response = client_for("s11_clerk").post("/people/new/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    target = "jobless_certificate_number" if field == "jobless_certificate" else field
    assert message in str(errors[target])
    assert not Person.objects.exists()


def test_clerk_cannot_register_into_a_unit_outside_scope(client_for, users, units):
    data = form_data(org_unit=units["330602002"].pk)
    response = client_for("s11_clerk").post("/people/new/", data)
    assert response.status_code == 200 and "org_unit" in response.context["form"].errors
    assert not Person.objects.exists()


def test_an_existing_number_leads_to_that_person_not_a_duplicate(client_for, users, station_person):
    number = station_person.id_number
    response = client_for("s11_clerk").post("/people/new/", form_data(
        id_number=number, name="另一个名字", org_unit=users["s11_clerk"].org_unit_id))
    assert response.status_code == 200
    assert "已登记" in response.context["form"].errors["id_number"][0]
    assert response.context["existing"] == station_person
    assert f'/people/{station_person.pk}/' in response.content.decode()
    assert Person.objects.count() == 1


def test_service_refuses_duplicates_even_with_different_spacing(users, station_person):
    number = station_person.id_number
    with pytest.raises(DuplicatePerson) as exc:
        make_person(users["s11_clerk"], id_number=f"{number[:6]} {number[6:]}".lower())
    assert exc.value.person == station_person


def test_a_person_registered_elsewhere_shows_only_name_masked_id_and_unit_then_attaches(
        client_for, users, station_person):
    number = station_person.id_number
    clerk = client_for("s21_clerk")  # other district
    response = clerk.post("/people/new/", form_data(id_number=number, org_unit=users["s21_clerk"].org_unit_id))
    foreign = response.context["foreign"]
    assert (foreign.name, foreign.id_number_masked, foreign.registering_unit) == (
        "张三丰", station_person.id_number_masked, "府山街道工会服务站")
    html = response.content.decode()
    # The clerk typed the number, so it may be echoed back; nothing else of the record is shown.
    assert station_person.phone not in html and "府山" in html
    assert clerk.get(f"/people/{station_person.pk}/").status_code == 404

    response = clerk.post("/people/attach/", {"id_number": number})
    assert response.status_code == 302
    assert clerk.get(f"/people/{station_person.pk}/").status_code == 200
    assert PersonLink.objects.filter(person=station_person, org_unit=users["s21_clerk"].org_unit).exists()
    assert AuditEvent.objects.filter(event="attach", username="s21_clerk").count() == 1
    assert Person.objects.count() == 1


def test_lookup_by_full_id(client_for, station_person):
    number = station_person.id_number
    assert client_for("s11_clerk").get("/people/lookup/", {"id_number": number})["Location"] == \
        f"/people/{station_person.pk}/"
    response = client_for("s12_clerk").get("/people/lookup/", {"id_number": number})
    assert response.context["foreign"].name == "张三丰"
    unknown = new_id_number()
    assert client_for("s11_clerk").get("/people/lookup/", {"id_number": unknown})["Location"] == \
        f"/people/new/?id_number={unknown}"
    response = client_for("s11_clerk").get("/people/lookup/", {"id_number": "12345"})
    assert response.status_code == 200 and "应为18位" in str(response.context["form"].errors)


def test_attach_requires_a_valid_known_number(client_for):
    clerk = client_for("s11_clerk")
    assert clerk.post("/people/attach/", {"id_number": "bad"}).status_code == 400
    assert clerk.post("/people/attach/", {"id_number": new_id_number()}).status_code == 400
    assert clerk.get("/people/attach/").status_code == 405
    assert not PersonLink.objects.exists()


# --- encryption, masking, reveal ---------------------------------------------------------------


def test_no_plaintext_id_number_in_the_database(users, station_person):
    number = station_person.id_number
    for table in ("servicecenter_person", "servicecenter_historicalperson", "servicecenter_auditevent"):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump = repr(cursor.fetchall())
        assert number not in dump, table
        assert number[6:14] + number[14:17] not in dump, table
    stored = Person.objects.values_list("id_number_encrypted", "id_number_hash").get()
    assert encryption.decrypt(stored[0]) == number
    assert stored[1] == encryption.lookup_hash(number) and len(stored[1]) == 64


def test_pages_show_the_masked_number_and_a_reveal_is_audited(client_for, station_person):
    number = station_person.id_number
    clerk = client_for("s11_clerk")
    page = clerk.get(f"/people/{station_person.pk}/").content.decode()
    assert station_person.id_number_masked in page and number not in page
    assert number not in clerk.get("/people/").content.decode()

    revealed = clerk.post(f"/people/{station_person.pk}/reveal/").content.decode()
    assert number in revealed
    event = AuditEvent.objects.get(event="reveal")
    assert (event.username, event.target_id) == ("s11_clerk", str(station_person.pk))


def test_roles_without_need_cannot_reveal(client_for, station_person):
    cashier = client_for("d1_cashier")
    assert "显示完整号码" not in cashier.get(f"/people/{station_person.pk}/").content.decode()
    assert cashier.post(f"/people/{station_person.pk}/reveal/").status_code == 403
    assert client_for("s12_clerk").post(f"/people/{station_person.pk}/reveal/").status_code == 404
    assert client_for("s11_clerk").get(f"/people/{station_person.pk}/reveal/").status_code == 405
    assert not AuditEvent.objects.filter(event="reveal").exists()


# --- search -------------------------------------------------------------------------------------


def test_pinyin_initials():
    assert name_initials("张三") == "zs"
    assert name_initials("欧阳Na娜") == "oynan"
    assert name_initials("") == ""


@pytest.fixture
def crowd(users):
    clerk = users["s11_clerk"]
    return {
        "zs": make_person(clerk, name="张三", phone="13811112222"),
        "zss": make_person(clerk, name="赵四深", phone="057588123456"),
        "lw": make_person(clerk, name="李伟", phone="13933334444"),
    }


@pytest.mark.parametrize(("text", "expected"), [
    ("zs", {"zs", "zss"}), ("ZSS", {"zss"}), ("张", {"zs"}), ("伟", {"lw"}),
    ("1381111", {"zs"}), ("0575", {"zss"}), ("", {"zs", "zss", "lw"}), ("不存在", set()),
])
def test_search(crowd, text, expected):
    found = set(person_search(Person.objects.all(), text))
    assert found == {crowd[k] for k in expected}


def test_search_by_full_id_number(crowd):
    number = crowd["lw"].id_number
    assert list(person_search(Person.objects.all(), number.lower())) == [crowd["lw"]]


def test_list_page_filters_and_sorts(client_for, crowd):
    response = client_for("s11_clerk").get("/people/", {"q": "zs", "ordering": "name"})
    assert [p.name for p in response.context["page"].object_list] == ["张三", "赵四深"]


def test_list_page_query_count_is_constant(client_for, users, django_assert_num_queries):
    clerk = client_for("s11_clerk")
    employer = make_employer(users["s11_clerk"].org_unit)
    for i in range(3):
        make_person(users["s11_clerk"], name=f"甲{i}", employer=employer)
    clerk.get("/people/")  # warm the session
    # 1 session, 2 user, 3 role grants, 4 user's unit, 5 page of people (+unit, employer joined; 51 rows
    # asked for, so a first page that is not full is its own count: no COUNT), 6 units for the filter's
    # unit choices. Longer lists add at most an EXPLAIN and a capped COUNT (tests/core/test_listing.py).
    with django_assert_num_queries(6):
        response = clerk.get("/people/")
    assert len(response.context["page"].object_list) == 3
    for i in range(20):
        make_person(users["s11_clerk"], name=f"乙{i}", employer=employer)
    with django_assert_num_queries(6):
        clerk.get("/people/")


@pytest.mark.parametrize("query", [
    {"page": "abc"}, {"page": "-1"}, {"page": "99999"}, {"org_unit": "abc"}, {"sex": "X"},
    {"ordering": "password"}, {"is_migrant_worker": "maybe"}, {"q": "\x00"}, {"q": "'; DROP TABLE x; --"},
])
def test_malformed_list_queries_never_fail(client_for, crowd, query):
    assert client_for("s11_clerk").get("/people/", query).status_code == 200


# --- editing and object URLs ----------------------------------------------------------------------


def test_edit_updates_fields_but_never_the_identity(client_for, station_person):
    clerk = client_for("s11_clerk")
    response = clerk.post(f"/people/{station_person.pk}/edit/", {
        "name": "张君宝", "phone": "13700001111", "address": "新地址", "model_worker": "", "jobless_certificate": "",
        "id_number": new_id_number()})
    assert response.status_code == 302
    station_person.refresh_from_db()
    assert (station_person.name, station_person.name_initials, station_person.phone) == ("张君宝", "zjb", "13700001111")
    assert station_person.history.count() == 2


def test_edit_with_bad_phone_changes_nothing(client_for, station_person):
    response = client_for("s11_clerk").post(f"/people/{station_person.pk}/edit/", {
        "name": "改名", "phone": "123", "model_worker": "", "jobless_certificate": ""})
    assert response.status_code == 200 and "phone" in response.context["form"].errors
    station_person.refresh_from_db()
    assert station_person.name == "张三丰"


OBJECT_URLS = ["/people/{pk}/", "/people/{pk}/edit/", "/people/{pk}/print.pdf"]
POST_URLS = ["/people/{pk}/reveal/", "/people/{pk}/attachments/", "/people/{pk}/edit/"]


@pytest.mark.parametrize("template", OBJECT_URLS)
@pytest.mark.parametrize("username", ["s12_clerk", "s21_clerk", "d2_sup"])
def test_out_of_scope_object_urls_are_404(client_for, station_person, template, username):
    assert client_for(username).get(template.format(pk=station_person.pk)).status_code == 404


@pytest.mark.parametrize("template", POST_URLS)
def test_out_of_scope_posts_are_404_and_change_nothing(client_for, station_person, template):
    response = client_for("s12_clerk").post(template.format(pk=station_person.pk), {"name": "篡改", "phone": "13800000000"})
    assert response.status_code == 404
    station_person.refresh_from_db()
    assert station_person.name == "张三丰"


@pytest.mark.parametrize("username", ["sysadmin", "secaudit"])
def test_system_roles_get_no_person_pages(client_for, station_person, username):
    client = client_for(username)
    assert client.get(f"/people/{station_person.pk}/").status_code == 404
    assert client.get("/people/").status_code == 403


def test_auditor_reads_but_cannot_change(client_for, station_person):
    auditor = client_for("auditor")
    assert auditor.get(f"/people/{station_person.pk}/").status_code == 200
    assert auditor.get(f"/people/{station_person.pk}/edit/").status_code == 403
    assert auditor.post(f"/people/{station_person.pk}/edit/", {"name": "x"}).status_code == 403
    assert auditor.get("/people/new/").status_code == 403


def test_anonymous_is_sent_to_login(client, station_person):
    response = client.get(f"/people/{station_person.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_xss_in_a_name_is_escaped(client_for, users):
    person = make_person(users["s11_clerk"], name="<script>alert(1)</script>")
    clerk = client_for("s11_clerk")
    for url in (f"/people/{person.pk}/", "/people/"):
        html = clerk.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
