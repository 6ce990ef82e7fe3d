import pytest

from servicecenter import demo
from servicecenter.employers import DuplicateEmployer, employer_attach, employer_create, employer_search
from servicecenter.models import AuditEvent, Employer, EmployerLink
from tests.conftest import make_employer, make_person

CODE = demo.credit_code("330602", 777)


def employer_form(**overrides):
    data = {"name": "绍兴新华纺织有限公司", "credit_code": CODE, "legal_representative": "王五",
            "address": "绍兴市人民西路8号", "contact_person": "赵六", "contact_phone": "0575-88001122",
            "industry": "C", "union_status": "established", "org_unit": ""}
    data.update(overrides)
    return data


def test_clerk_registers_an_employer(client_for, users):
    response = client_for("s11_clerk").post("/employers/new/", employer_form(org_unit=users["s11_clerk"].org_unit_id))
    employer = Employer.objects.get()
    assert response["Location"] == f"/employers/{employer.pk}/"
    assert (employer.credit_code, employer.contact_phone) == (CODE, "0575-88001122")
    assert AuditEvent.objects.filter(event="create", target_id=str(employer.pk)).exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("credit_code", CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), "校验位不正确"),
    ("credit_code", CODE[:10], "应为18位"),
    ("contact_phone", "12", "手机号码"),
    ("name", "", "请填写单位名称。"),
])
def test_bad_employer_input_is_reported_and_kept(client_for, users, field, value, message):
    data = employer_form(org_unit=users["s11_clerk"].org_unit_id)
    data[field] = value
    response = client_for("s11_clerk").post("/employers/new/", data)
    assert response.status_code == 200 and message in str(response.context["form"].errors[field])
    assert "绍兴市人民西路8号" in response.content.decode()
    assert not Employer.objects.exists()


def test_one_employer_per_credit_code(client_for, users):
    employer_create(by=users["s11_clerk"], org_unit=users["s11_clerk"].org_unit, credit_code=CODE, name="甲公司")
    with pytest.raises(DuplicateEmployer):
        employer_create(by=users["s12_clerk"], org_unit=users["s12_clerk"].org_unit, credit_code=CODE.lower(), name="乙")
    response = client_for("s12_clerk").post("/employers/new/", employer_form(org_unit=users["s12_clerk"].org_unit_id))
    assert "已登记" in str(response.context["form"].errors["credit_code"])
    assert "府山街道工会服务站登记" in response.content.decode()
    assert Employer.objects.count() == 1


def test_attach_makes_a_foreign_employer_visible(users):
    employer = employer_create(by=users["s11_clerk"], org_unit=users["s11_clerk"].org_unit, credit_code=CODE,
                               name="甲公司")
    employer_attach(by=users["s21_clerk"], credit_code=CODE, org_unit=users["s21_clerk"].org_unit)
    assert EmployerLink.objects.filter(employer=employer).count() == 1


def test_search_by_name_and_code(users):
    a = make_employer(users["s11_clerk"].org_unit, name="绍兴鉴湖黄酒有限公司")
    b = make_employer(users["s11_clerk"].org_unit, name="越兴物流有限公司")
    assert set(employer_search(Employer.objects.all(), "黄酒")) == {a}
    assert set(employer_search(Employer.objects.all(), b.credit_code.lower())) == {b}


def test_employer_page_lists_its_people_in_scope(client_for, users):
    employer = make_employer(users["s11_clerk"].org_unit)
    make_person(users["s11_clerk"], name="王职工", employer=employer)
    page = client_for("s11_clerk").get(f"/employers/{employer.pk}/").content.decode()
    assert "王职工" in page


@pytest.mark.parametrize("url", ["/employers/{pk}/", "/employers/{pk}/edit/"])
def test_out_of_scope_employer_is_404(client_for, users, url):
    employer = make_employer(users["s11_clerk"].org_unit)
    assert client_for("s12_clerk").get(url.format(pk=employer.pk)).status_code == 404
    # The detail page is GET-only: a POST is refused (405) before anything is looked up.
    assert client_for("s12_clerk").post(url.format(pk=employer.pk), {"name": "x"}).status_code in (404, 405)


def test_edit_employer(client_for, users):
    employer = make_employer(users["s11_clerk"].org_unit)
    data = employer_form()
    del data["credit_code"]
    response = client_for("s11_clerk").post(f"/employers/{employer.pk}/edit/", data)
    assert response.status_code == 302
    employer.refresh_from_db()
    assert employer.name == "绍兴新华纺织有限公司"
    assert client_for("auditor").post(f"/employers/{employer.pk}/edit/", data).status_code == 403


def test_employer_list_query_count(client_for, users, django_assert_num_queries):
    for _ in range(5):
        make_employer(users["s11_clerk"].org_unit)
    clerk = client_for("s11_clerk")
    clerk.get("/employers/")
    # session, user, role grants, user's unit, page (unit joined; a first page that is not full is its
    # own count), filter's unit choices
    with django_assert_num_queries(6):
        response = clerk.get("/employers/")
    assert len(response.context["page"].object_list) == 5
