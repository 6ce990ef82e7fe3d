"""Item 1: anonymous matters and complainants known by name and phone only — registered without an
invented ID number, counted in lists, registers and figures, masked like anyone else on a
confidential case, and later linked to a person by a supervisor (audited)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from petitions import services
from petitions.models import Escalation, Petition
from petitions.summary import monthly_figures
from servicecenter.models import AuditEvent, Person, PersonLink
from tests.conftest import make_person
from tests.petitions.conftest import make_petition
from tests.petitions.test_intake import intake_data


def test_an_anonymous_letter_is_registered_without_a_person(users, category):
    clerk = users["s11_clerk"]
    people = Person.objects.count()
    p = make_petition(clerk, None, category, channel="letter")
    assert p.person is None and p.identity == Petition.Identity.ANONYMOUS and p.is_anonymous
    assert Person.objects.count() == people  # nothing invented
    assert "匿名" in p.events.get(kind="intake").note


def test_an_anonymous_group_letter_is_a_group_petition_and_may_be_confidential(users, category):
    """Allowed: the headcount is what the letter says (a 联名信) and the case is escalated like any
    group petition; the confidentiality flag is kept for the day a supervisor links a person."""
    p = make_petition(users["s11_clerk"], None, category, channel="letter", headcount=12, is_confidential=True)
    assert p.is_group and p.is_confidential and p.is_anonymous
    assert Escalation.objects.filter(petition=p).count() == 2


def test_a_caller_who_gives_name_and_phone_only(users, category):
    p = make_petition(users["s11_clerk"], services.Caller(" 陈师傅 ", "137 0575 1234", "越兴物流"), category,
                      channel="hotline")
    assert p.identity == Petition.Identity.PARTIAL and p.person is None
    assert (p.caller_name, p.caller_phone, p.caller_employer) == ("陈师傅", "13705751234", "越兴物流")


@pytest.mark.parametrize(("caller", "field", "message"), [
    (services.Caller("", "13705751234"), "caller_name", "请填写来访人姓名"),
    (services.Caller("陈师傅", "12345"), "caller_phone", "手机号码"),
])
def test_a_caller_without_a_name_or_a_valid_phone_is_refused_at_the_field(users, category, caller, field, message):
    with pytest.raises(ValidationError) as caught:
        make_petition(users["s11_clerk"], caller, category)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Petition.objects.exists()


def test_the_intake_page_takes_anonymous_and_partial_complainants(client_for, users, category):
    client = client_for("s11_clerk")
    unit = users["s11_clerk"].org_unit_id
    response = client.post("/petitions/new/", intake_data(None, category, org_unit=unit, person_choice="anonymous",
                                                          channel="letter"))
    assert response.status_code == 302
    response = client.post("/petitions/new/", intake_data(None, category, org_unit=unit, person_choice="partial",
                                                          caller_name="", caller_phone="abc"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["caller_name"] == ["请填写来访人姓名。"] and "手机号码" in errors["caller_phone"][0]
    response = client.post("/petitions/new/", intake_data(None, category, org_unit=unit, person_choice="partial",
                                                          caller_name="陈师傅", caller_phone="13705751234"))
    assert response.status_code == 302
    assert sorted(Petition.objects.values_list("identity", flat=True)) == ["anonymous", "partial"]


def test_lists_registers_and_figures_count_them(client_for, users, category, person):
    clerk = users["s11_clerk"]
    make_petition(clerk, None, category)
    make_petition(clerk, services.Caller("陈师傅", "13705751234"), category)
    make_petition(clerk, services.Caller("陈师傅", "13705751234"), category)  # the same caller again
    make_petition(clerk, person, category)
    body = client_for("s11_clerk").get("/petitions/").content.decode()
    assert "（匿名）" in body and "陈师傅" in body
    today = timezone.localdate()
    figures = monthly_figures(clerk.org_unit, today.replace(day=1), today)
    assert figures["received"] == 4 and figures["anonymous"] == 1
    assert figures["complainants"] == 3  # the person, the caller (by phone, once), the anonymous writer
    response = client_for("d1_sup").get("/petitions/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = list(rows[2])
    names = [r[header.index("来访人")] for r in rows[3:7]]
    assert sorted(names) == sorted(["（匿名）", "陈师傅", "陈师傅", person.name])
    assert rows[7][header.index("匿名")] == 1  # the totals row


def test_a_confidential_partial_complainant_is_masked_for_others(client_for, users, category):
    p = make_petition(users["s11_clerk"], services.Caller("陈师傅", "13705751234"), category, is_confidential=True)
    worker = client_for("s11_worker").get(f"/petitions/{p.pk}/").content.decode()
    assert "陈师傅" not in worker and "13705751234" not in worker and "（保密）" in worker
    assert "陈师傅" in client_for("s11_clerk").get(f"/petitions/{p.pk}/").content.decode()  # the handler


def test_a_supervisor_links_an_anonymous_matter_to_a_person_audited(users, category):
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    p = make_petition(clerk, None, category, is_confidential=True)
    someone = make_person(users["s21_clerk"], name="钱小燕")  # registered in the other district
    with pytest.raises(PermissionDenied):
        services.petition_identify(petition=p, by=clerk, id_number=someone.id_number)
    with pytest.raises(ValidationError, match="未找到该身份证号码"):
        services.petition_identify(petition=p, by=sup, id_number="330602198001010015")
    services.petition_identify(petition=p, by=sup, id_number=someone.id_number)
    p.refresh_from_db()
    assert p.person == someone and p.identity == Petition.Identity.PERSON
    assert PersonLink.objects.filter(person=someone, org_unit=p.org_unit).exists()
    row = AuditEvent.objects.get(action="petitions.identify")
    assert row.user_id == sup.pk and row.new_values["person"] == someone.pk and row.old_values["identity"] == "anonymous"
    event = p.events.get(kind="identify")
    assert "钱小燕" not in event.note  # the timeline never names the complainant
    with pytest.raises(ValidationError, match="已关联来访人"):
        services.petition_identify(petition=p, by=sup, id_number=someone.id_number)


def test_only_the_supervisor_leading_the_unit_links(users, category):
    p = make_petition(users["s11_clerk"], None, category)
    someone = make_person(users["s11_clerk"], name="钱小燕")
    with pytest.raises(ValidationError, match="只有领导"):
        services.petition_identify(petition=p, by=users["city_sup"], id_number=someone.id_number)


def test_an_old_anonymous_case_can_be_printed(client_for, users, category):
    p = make_petition(users["s11_clerk"], None, category, received_at=timezone.now() - datetime.timedelta(days=2))
    response = client_for("s11_clerk").get(f"/petitions/{p.pk}/print.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_an_anonymous_matter_is_not_referred_until_a_person_is_linked(users, category, person):
    """Legal aid (and any other service) needs the person: the ID number is asked for there."""
    from petitions.declaration import _referral_refusal

    p = make_petition(users["s11_clerk"], None, category)
    assert "尚未登记身份" in _referral_refusal(p, users["s11_clerk"])
    partial = make_petition(users["s11_clerk"], services.Caller("陈师傅", "13705751234"), category)
    assert "尚未登记身份" in _referral_refusal(partial, users["s11_clerk"])
    services.petition_identify(petition=p, by=users["d1_sup"], id_number=person.id_number)
    p.refresh_from_db()
    assert _referral_refusal(p, users["s11_clerk"]) == ""
