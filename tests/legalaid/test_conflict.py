"""Lawyers, volunteers and mediators: the registry's rules, the conflict check against the opposing
employer (a recorded tie, or acting for that employer in another case) with its reason, inactive
and wrong-kind advisors refused, each lawyer's open caseload shown when assigning."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from legalaid import services
from legalaid.forms import AssignForm
from legalaid.models import Advisor, Application, Mediation
from tests.conftest import make_employer, make_person
from tests.legalaid.conftest import bring, intake, make_advisor, mediate

S = Application.Status


def granted(users, applicant, employer, **kwargs):
    return bring(intake(users["s11_clerk"], applicant, employer, **kwargs), S.GRANTED, users)


def test_a_lawyer_tied_to_the_opposing_employer_is_refused_with_the_reason(users, applicant, employer, lawyers):
    sup = users["d1_sup"]
    services.advisor_tie_add(by=sup, advisor=lawyers["wang"], employer=employer, relation="counsel",
                             note="2024年起")
    a = granted(users, applicant, employer)
    events = a.events.count()
    with pytest.raises(ValidationError) as caught:
        services.application_assign(application=a, by=sup, advisor=lawyers["wang"])
    message = " ".join(caught.value.message_dict["advisor"])
    assert "存在利害冲突" in message and "王立新担任该单位法律顾问（2024年起）：鉴湖纺织印染有限公司" in message
    a.refresh_from_db()
    assert a.status == S.GRANTED and a.advisor is None and a.events.count() == events
    services.application_assign(application=a, by=sup, advisor=lawyers["chen"])
    a.refresh_from_db()
    assert a.status == S.ASSIGNED and a.advisor == lawyers["chen"]


def test_acting_for_the_employer_in_another_case_is_a_conflict(users, applicant, employer, lawyers):
    sup = users["d1_sup"]
    earlier = intake(users["s11_clerk"], applicant, employer, opposing_agent=lawyers["wang"])
    a = granted(users, make_person(users["s11_clerk"], name="周二"), employer)
    with pytest.raises(ValidationError) as caught:
        services.application_assign(application=a, by=sup, advisor=lawyers["wang"])
    assert f"王立新在{earlier.number}中担任鉴湖纺织印染有限公司的代理人" in " ".join(caught.value.messages)
    # Against another employer the same lawyer is free.
    other = granted(users, applicant, make_employer(users["s11_clerk"].org_unit, name="另一公司"))
    services.application_assign(application=other, by=sup, advisor=lawyers["wang"])


def test_a_case_outside_the_users_scope_is_not_named(users, units, applicant, employer, lawyers):
    from servicecenter.employers import employer_link

    far = users["s12_clerk"]  # the sibling station: the lawyer (district) serves both
    employer_link(employer=employer, org_unit=far.org_unit)
    elsewhere = intake(far, make_person(far, name="塔山职工"), employer, opposing_agent=lawyers["wang"])
    reasons = services.conflicts(lawyers["wang"], employer, user=users["s11_clerk"])
    assert reasons == ["王立新在其他单位的一件案件中担任鉴湖纺织印染有限公司的代理人"]
    assert elsewhere.number in services.conflicts(lawyers["wang"], employer, user=users["d1_sup"])[0]


def test_a_mediator_acting_for_the_employer_elsewhere_is_refused(users, applicant, employer, lawyers):
    clerk = users["s11_clerk"]
    agent = make_advisor(users["d1_sup"], users["d1_sup"].org_unit, "钱律师")
    first = mediate(clerk, [applicant], employer, lawyers["mediator"], employer_agent=agent)
    with pytest.raises(ValidationError) as caught:
        mediate(clerk, [make_person(clerk, name="李四")], employer, agent)
    assert f"钱律师在调解案件{first.number}中担任鉴湖纺织印染有限公司的委托代理人" in " ".join(
        caught.value.message_dict["mediator"])
    assert Mediation.objects.count() == 1
    with pytest.raises(ValidationError, match="调解员不能同时是单位的委托代理人"):
        mediate(clerk, [applicant], employer, agent, employer_agent=agent)


def test_changing_the_mediator_is_checked_too(users, applicant, employer, lawyers):
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    services.advisor_tie_add(by=users["d1_sup"], advisor=lawyers["chen"], employer=employer, relation="relative",
                             note="配偶任该单位财务")
    with pytest.raises(ValidationError, match="陈静怡近亲属在该单位任职（配偶任该单位财务）"):
        services.mediation_change_mediator(mediation=m, by=users["s11_clerk"], mediator=lawyers["chen"], reason="回避")


@pytest.mark.parametrize("what", ["inactive", "psychologist"])
def test_inactive_or_wrong_kind_advisors_are_refused(users, units, applicant, employer, lawyers, what):
    sup = users["d1_sup"]
    if what == "inactive":
        advisor = services.advisor_save(by=sup, advisor=lawyers["wang"], **{
            **{k: getattr(lawyers["wang"], k) for k in services.ADVISOR_FIELDS}, "is_active": False})
        expected = "王立新已不在册"
    else:
        advisor = make_advisor(sup, units["330602"], "周晓梅", Advisor.Kind.PSYCHOLOGIST)
        expected = "周晓梅是心理咨询师，不能担任承办律师/志愿者"
    a = granted(users, applicant, employer)
    with pytest.raises(ValidationError, match=expected):
        services.application_assign(application=a, by=sup, advisor=advisor)


def test_the_assign_form_shows_each_lawyers_open_caseload_and_marks_the_conflict(users, applicant, employer,
                                                                                lawyers):
    sup = users["d1_sup"]
    services.advisor_tie_add(by=sup, advisor=lawyers["wang"], employer=employer, relation="counsel")
    for i in range(2):
        a = granted(users, make_person(users["s11_clerk"], name=f"职工{i}"),
                    make_employer(users["s11_clerk"].org_unit, name=f"公司{i}"))
        services.application_assign(application=a, by=sup, advisor=lawyers["chen"])
    target = granted(users, applicant, employer)
    choices = {str(k): v for k, v in AssignForm(application=target, user=sup).fields["advisor"].choices}
    assert choices[str(lawyers["chen"].pk)] == "陈静怡（律师，浙江越州律师事务所，在办2件）"
    assert "⚠与对方单位有利害关系" in choices[str(lawyers["wang"].pk)]
    assert str(lawyers["mediator"].pk) not in choices  # a mediator does not take legal-aid cases


def test_the_registry_rules(users, units):
    sup = users["d1_sup"]
    base = {"firm": "", "phone": "", "specialities": "", "is_active": True, "note": "", "pledge_signed_on": None}
    with pytest.raises(ValidationError, match="律师须填写执业证号"):
        services.advisor_save(by=sup, org_unit=units["330602"], kind="lawyer", name="甲", licence_number="", **base)
    with pytest.raises(ValidationError, match="志愿者须签订志愿者承诺书"):
        services.advisor_save(by=sup, org_unit=units["330602"], kind="volunteer", name="乙", licence_number="", **base)
    future = {**base, "pledge_signed_on": datetime.date.today() + datetime.timedelta(days=400)}
    with pytest.raises(ValidationError, match="承诺书签订日期不能晚于今天"):
        services.advisor_save(by=sup, org_unit=units["330602"], kind="volunteer", name="乙", licence_number="", **future)
    services.advisor_save(by=sup, org_unit=units["330602"], kind="lawyer", name="丙", licence_number="13306201999", **base)
    with pytest.raises(ValidationError, match="执业证号已登记（丙"):
        services.advisor_save(by=sup, org_unit=units["330602"], kind="lawyer", name="丁", licence_number="13306201999",
                              **base)
    assert Advisor.objects.count() == 1


def test_a_city_lawyer_serves_a_station_but_only_the_city_edits_it(users, units, applicant, employer):
    city = make_advisor(users["city_sup"], units["330600"], "市律师")
    clerk = users["s11_clerk"]
    a = granted(users, applicant, employer)
    services.application_assign(application=a, by=clerk, advisor=city)
    with pytest.raises(ValidationError, match="只能由该单位或其上级修改"):
        services.advisor_save(by=clerk, advisor=city, **{k: getattr(city, k) for k in services.ADVISOR_FIELDS})
