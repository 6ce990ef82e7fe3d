"""申请: the household file, its bad input (Chinese message at the field, nothing changes), one
active file per applicant, the warning for a member on another file, and the form page."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from hardship import codes, services
from hardship.models import Evaluation, HardshipFile, Member
from servicecenter.models import AuditEvent, Person, PersonLink
from tests.conftest import make_person, new_id_number

from .conftest import household, member

S = HardshipFile.Status


def counts() -> tuple:
    return (HardshipFile.objects.count(), Member.objects.count(), Evaluation.objects.count(), Person.objects.count(),
            AuditEvent.objects.count())


def refused(kit: Any, field: str, text: str, **kwargs: Any) -> None:
    before = counts()
    with pytest.raises(ValidationError) as caught:
        kit.apply(**kwargs)
    assert text in " ".join(caught.value.message_dict[field]), caught.value.message_dict
    assert counts() == before


def test_an_application_saves_the_household_and_its_figures_and_evaluates_it(kit):
    p = kit.person(name="张建国", id_number=new_id_number())
    f = kit.apply(p, incomes=[services.IncomeData(codes.IncomeKind.PENSION, Decimal("1200.00"))])
    assert f.status == S.APPLIED and f.applicant == p and f.household_size == 3
    assert [m.relation for m in f.members.all()] == ["self", "spouse", "child"]
    assert f.annual_income == Decimal("22800.00") and f.income_per_head == Decimal("633.33")
    assert f.latest_evaluation.verdict == "hardship"
    assert f.events.get().label == "申请登记"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("housing_area", Decimal("-1"), "住房面积不能为负数"),
    ("medical_cost", Decimal("-0.01"), "当年自付医疗费不能为负数"),
    ("rent_cost", "abc", "房租支出应为数字"),
    ("housing_type", "castle", "请选择住房类型"),
    ("main_cause", "99", "请选择主要致困原因"),
    ("address", " ", "请填写家庭住址"),
])
def test_bad_figures_are_refused_at_their_field(kit, field, value, message):
    p = kit.person(id_number=new_id_number())
    refused(kit, field, message, person=p, **{field: value})


def test_a_negative_member_income_or_income_source_is_refused(kit):
    p = kit.person(id_number=new_id_number())
    refused(kit, "members", "月收入不能为负数", person=p,
            members=[member("self", p.name, "-5", id_number=p.id_number)])
    refused(kit, "incomes", "年收入不能为负数", person=p,
            incomes=[services.IncomeData(codes.IncomeKind.PENSION, Decimal("-100"))])


def test_a_household_with_no_members_is_refused(kit):
    p = kit.person(id_number=new_id_number())
    before = counts()
    with pytest.raises(ValidationError) as caught:
        services.file_apply(by=kit.worker, token=uuid.uuid4(), org_unit=kit.station,
                            household=services.Household(household(p).data, []))
    assert "请填写家庭成员" in caught.value.message_dict["members"][0]
    assert counts() == before


def test_the_same_id_number_twice_in_one_household_is_refused(kit):
    p = kit.person(id_number=new_id_number())
    other = new_id_number()
    refused(kit, "members", "同一身份证号码在家庭成员中出现两次（第2位和第3位）", person=p, members=[
        member("self", p.name, "1000", id_number=p.id_number), member("spouse", "王丽", id_number=other),
        member("child", "王丽", id_number=other)])
    refused(kit, "members", "同一身份证号码在家庭成员中出现两次（第1位和第2位）", person=p, members=[
        member("self", p.name, "1000", id_number=p.id_number), member("spouse", p.name, id_number=p.id_number)])


def test_the_applicant_is_the_one_self_row_with_an_id_number(kit):
    p = kit.person(id_number=new_id_number())
    refused(kit, "members", "须有且只有一位“本人”", person=p, members=[member("spouse", "王丽", age=40)])
    refused(kit, "members", "请填写申请人本人的身份证号码", person=p, members=[member("self", p.name, age=40)])
    refused(kit, "members", "身份证号码校验位不正确", person=p,
            members=[member("self", p.name, id_number=p.id_number[:-1] + ("0" if p.id_number[-1] != "0" else "1"))])


def test_a_second_active_file_for_the_same_applicant_is_refused(kit, users):
    p = kit.person(id_number=new_id_number())
    first = kit.apply(p)
    refused(kit, "members", "申请人已有有效的困难职工档案", person=p)
    # Another unit's clerk learns only that a file exists elsewhere, not where.
    clerk = users["s12_clerk"]
    with pytest.raises(ValidationError) as caught:
        services.file_apply(by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, household=household(p))
    assert caught.value.message_dict["members"] == ["申请人已有其他单位的有效困难职工档案，不能重复申请；请与该单位核实。"]
    # Once the file is no longer active, the applicant may apply again.
    kit.visit(first)
    services.file_decline(file=first, by=kit.worker, reason="材料不全")
    assert kit.apply(p).status == S.APPLIED


def test_the_same_form_submitted_twice_makes_one_file(kit):
    p = kit.person(id_number=new_id_number())
    token = uuid.uuid4()
    a = services.file_apply(by=kit.worker, token=token, org_unit=kit.station, household=household(p))
    b = services.file_apply(by=kit.worker, token=token, org_unit=kit.station, household=household(p))
    assert a.pk == b.pk and HardshipFile.objects.count() == 1


def test_members_with_an_id_number_are_person_records_linked_to_the_unit(kit, users):
    p = kit.person(id_number=new_id_number())
    elsewhere = make_person(users["s21_clerk"], name="刘洋", id_number=new_id_number())  # another district
    new_number = new_id_number(male=False)
    f = kit.apply(p, members=[member("self", p.name, "1000", id_number=p.id_number),
                              member("spouse", "刘洋", id_number=elsewhere.id_number),
                              member("child", "张小花", id_number=new_number)])
    spouse, child = f.members.get(relation="spouse"), f.members.get(relation="child")
    assert spouse.person == elsewhere and spouse.id_number_masked == elsewhere.id_number_masked
    assert PersonLink.objects.filter(person=elsewhere, org_unit=kit.station).exists()
    assert AuditEvent.objects.filter(event="attach", target_id=str(elsewhere.pk)).exists()
    assert child.person.name == "张小花" and child.person.org_unit == kit.station and child.age >= 0


def test_a_name_that_does_not_match_the_registered_id_number_is_refused(kit):
    p = kit.person(name="张建国", id_number=new_id_number())
    refused(kit, "members", "已登记为“张建国”，与填写的姓名“张健国”不一致", person=p,
            members=[member("self", "张健国", "1000", id_number=p.id_number)])


def test_a_member_on_another_active_file_is_a_warning_that_reveals_only_the_person_rule(kit, users):
    shared = kit.person(name="王丽", id_number=new_id_number(male=False))
    a = kit.person(name="张一", id_number=new_id_number())
    kit.apply(a, members=[member("self", a.name, "1000", id_number=a.id_number),
                          member("spouse", "王丽", id_number=shared.id_number)])
    # The same person on a file of another district's station.
    clerk = users["s21_clerk"]
    b = make_person(clerk, name="刘二", id_number=new_id_number())
    other = services.file_apply(by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit, household=household(
        b, members=[member("self", b.name, "1000", id_number=b.id_number),
                    member("parent", "王丽", id_number=shared.id_number)]))
    from hardship.selectors import member_conflicts

    seen_by_clerk = member_conflicts(other, clerk)
    assert len(seen_by_clerk) == 1 and seen_by_clerk[0].file is None
    text = seen_by_clerk[0].text
    assert "王丽" in text and shared.id_number_masked in text and "府山街道工会服务站登记" in text
    assert "KN-" not in text and "张一" not in text
    # The city sees neither application (in progress at a station), so it gets the same answer.
    assert member_conflicts(other, users["city_sup"])[0].file is None
    # On the page of the second file, the warning is shown.
    page = pytest.importorskip("django.test").Client()
    page.force_login(clerk)
    body = page.get(f"/hardship/{other.pk}/").content.decode()
    assert "已列入其他单位的有效困难职工档案" in body


def test_an_edit_keeps_id_numbers_not_retyped_and_evaluates_again(kit):
    f = kit.make(S.APPLIED)
    members = [services.MemberData(relation=m.relation, name=m.name, work_status=m.work_status, age=m.age,
                                   health=m.health, monthly_income=Decimal("5000") if m.relation == "self" else Decimal(0),
                                   schooling=m.schooling, existing=m.pk) for m in f.members.all()]
    services.file_update(file=f, by=kit.worker, household=household(f.applicant, members=members))
    f.refresh_from_db()
    assert f.members.get(relation="self").person == f.applicant
    assert f.latest_evaluation.verdict == "none" and f.evaluations.count() == 2
    assert f.events.filter(kind="edit").exists()


# --- The page ------------------------------------------------------------------------------------------


def form_data(p: Any, **overrides: Any) -> dict[str, Any]:
    data = {"token": str(uuid.uuid4()), "org_unit": str(p.org_unit_id), "applied_on": "2026-01-05",
            "ethnicity": "汉族", "political": "masses", "marital": "married", "hukou": "non_agri", "address": "解放北路1号",
            "housing_type": "rented", "housing_area": "50", "medical_cost": "0", "education_cost": "0", "rent_cost": "0",
            "dibao_topup": "0", "main_cause": "3",
            "m-TOTAL_FORMS": "3", "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "0", "m-MAX_NUM_FORMS": "20",
            "m-0-relation": "self", "m-0-name": p.name, "m-0-id_number": p.id_number, "m-0-work_status": "employed",
            "m-0-health": "01", "m-0-monthly_income": "1800",
            "m-1-relation": "spouse", "m-1-name": "王丽", "m-1-age": "44", "m-1-work_status": "unemployed",
            "m-1-health": "01", "m-1-monthly_income": "0",
            "m-2-relation": "", "m-2-name": "", "m-2-health": "01",
            "i-TOTAL_FORMS": "1", "i-INITIAL_FORMS": "0", "i-MIN_NUM_FORMS": "0", "i-MAX_NUM_FORMS": "20",
            "i-0-kind": "", "i-0-annual_amount": "", "i-0-note": ""}
    data.update(overrides)
    return data


def test_the_form_page_saves_and_shows_the_explanation(kit, client_for):
    p = kit.person(name="赵大勇", id_number=new_id_number())
    client = client_for("s11_worker")
    assert client.get("/hardship/new/").status_code == 200
    response = client.post("/hardship/new/", form_data(p), follow=True)
    f = HardshipFile.objects.get(applicant=p)
    assert response.redirect_chain[-1][0] == f"/hardship/{f.pk}/"
    text = response.content.decode()
    assert "符合困难职工条件" in text and "人均月收入 900.00 元 ≤ 低保标准 1100.00 元 × 120% = 1320.00 元" in text


@pytest.mark.parametrize(("changes", "message"), [
    ({"housing_area": "-3"}, "不能为负数"),
    ({"m-0-id_number": "330602198001011230"}, "校验位不正确"),
    ({"m-1-age": "", "m-1-name": "王丽"}, "请填写年龄"),
    ({"m-1-id_number": "SAME"}, "同一身份证号码在家庭成员中出现两次"),
    ({"m-0-relation": "spouse"}, "须有且只有一位“本人”"),
])
def test_bad_input_on_the_form_page_is_shown_in_chinese_and_nothing_is_saved(kit, client_for, changes, message):
    p = kit.person(name="赵大勇", id_number=new_id_number())
    data = form_data(p, **changes)
    if data.get("m-1-id_number") == "SAME":
        data["m-1-id_number"] = p.id_number
    response = client_for("s11_worker").post("/hardship/new/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert "赵大勇" in text and "解放北路1号" in text  # what was typed is kept
    assert not HardshipFile.objects.exists()


def test_the_auditor_may_not_apply(client_for):
    assert client_for("auditor").get("/hardship/new/").status_code == 403
