"""The pages as a clerk and a supervisor use them: intake by ID number, edits, refused steps with the
message at the field and the input kept, the lists with their filters and pinned query counts, the
person and employer pages (repeat offenders with counts), the dashboard and the inbox."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from legalaid import services
from legalaid.models import Advisor, AdvisorTie, Application, Consultation, Mediation, ReceptionDay
from servicecenter.models import AuditEvent, PersonLink
from tests.conftest import make_employer, make_person, new_id_number
from tests.legalaid.conftest import bring, intake, mediate

S = Application.Status


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- intake and edit ------------------------------------------------------------------------------------


def intake_form(applicant, employer, **overrides):
    data = {"token": "6f0c4d3e-1111-4a5b-8c9d-0e1f2a3b4c5d", "org_unit": applicant.org_unit_id,
            "id_number": applicant.id_number, "qualifies": "other", "matter": "wages", "forum": "arbitration",
            "employer_text": employer.credit_code, "amount_claimed": "12000", "dispute_arose_on": "2026-01-05",
            "facts": "拖欠工资。", "request": "支付工资。", "evidence": "工资条", "complete": "on"}
    data.update(overrides)
    return data


def test_intake_by_id_number_starts_the_review(client_for, applicant, employer):
    response = client_for("s11_clerk").post("/legalaid/applications/new/", intake_form(applicant, employer))
    a = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == a.get_absolute_url()
    assert a.applicant == applicant and a.employer == employer and a.status == S.REVIEW
    assert a.number.startswith("FY-330602001-") and a.review_due_date is not None
    assert a.events.get().kind == "intake"
    # A double-submitted form makes one application.
    client_for("s11_clerk").post("/legalaid/applications/new/", intake_form(applicant, employer))
    assert Application.objects.count() == 1


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"id_number": ""}, "id_number", "这个字段是必填项"),
    ({"id_number": "330602198001011235"}, "id_number", "未找到该身份证号码对应的职工"),
    ({"employer_text": "没有这家公司"}, "employer_text", "未找到该单位"),
    ({"amount_claimed": "-3"}, "amount_claimed", "确保该值大于或等于0"),
    ({"dispute_arose_on": "2099-01-01"}, "dispute_arose_on", "争议发生日不能晚于今天。"),
    ({"qualifies": "hardship", "qualifies_basis": ""}, "qualifies_basis", "系统中没有该职工的困难职工档案"),
    ({"evidence": ""}, None, "申请材料尚不齐全，请先补充：证据材料。"),
])
def test_bad_input_is_shown_at_the_field_and_kept(client_for, applicant, employer, overrides, field, message):
    response = client_for("s11_clerk").post("/legalaid/applications/new/", intake_form(applicant, employer, **overrides))
    body = page(response)
    form = response.context["form"]
    errors = form.errors.get(field) if field else form.non_field_errors()
    assert errors and any(message in e for e in errors), form.errors
    assert "拖欠工资。" in body  # what was typed is still there
    assert Application.objects.count() == 0


def test_a_person_registered_elsewhere_is_linked_by_full_id_number(client_for, users, employer):
    far = users["s21_clerk"]
    elsewhere = make_person(far, name="上虞人", id_number=new_id_number())
    response = client_for("s11_clerk").post("/legalaid/applications/new/", intake_form(
        elsewhere, employer, org_unit=users["s11_clerk"].org_unit_id))
    assert response.status_code == 302
    assert PersonLink.objects.filter(person=elsewhere, org_unit=users["s11_clerk"].org_unit).exists()
    assert AuditEvent.objects.filter(event="attach", target_id=str(elsewhere.pk)).exists()


def test_editing_recomputes_the_limitation_and_is_audited(client_for, users, applicant, employer):
    a = intake(users["s11_clerk"], applicant, employer, complete=False, matter="dismissal")
    data = {**intake_form(applicant, employer), "dispute_arose_on": "2025-12-01"}
    response = client_for("s11_clerk").post(f"/legalaid/applications/{a.pk}/edit/", data)
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.matter == "wages" and a.limitation_ends_on is None  # wage arrears while still employed
    row = AuditEvent.objects.filter(action="legalaid.update").get()
    assert row.old_values["matter"] == "dismissal" and row.new_values["matter"] == "wages"


def test_a_decided_application_cannot_be_edited(client_for, users, applicant, employer):
    a = bring(intake(users["s11_clerk"], applicant, employer), S.REFUSED, users)
    response = client_for("s11_clerk").get(f"/legalaid/applications/{a.pk}/edit/", follow=True)
    assert "已作出审批决定，申请信息不能再修改。" in page(response)


# --- steps on the page ------------------------------------------------------------------------------------


def test_a_refused_assignment_shows_the_conflict_at_the_field(client_for, users, applicant, employer, lawyers):
    services.advisor_tie_add(by=users["d1_sup"], advisor=lawyers["wang"], employer=employer, relation="counsel")
    a = bring(intake(users["s11_clerk"], applicant, employer), S.GRANTED, users)
    response = client_for("d1_sup").post(f"/legalaid/applications/{a.pk}/assign/",
                                         {"advisor": lawyers["wang"].pk, "note": "请尽快联系"})
    body = page(response)
    assert "存在利害冲突" in body and "王立新担任该单位法律顾问" in body
    assert 'value="请尽快联系"' in body and 'id="step-assign" open' in body
    a.refresh_from_db()
    assert a.status == S.GRANTED


def test_a_step_by_get_goes_back_to_the_record_and_an_unknown_lawyer_is_not_a_500(client_for, users, applicant,
                                                                                employer):
    a = bring(intake(users["s11_clerk"], applicant, employer), S.GRANTED, users)
    c = client_for("d1_sup")
    assert c.get(f"/legalaid/applications/{a.pk}/assign/")["Location"] == a.get_absolute_url()
    body = page(c.post(f"/legalaid/applications/{a.pk}/assign/", {"advisor": "999999"}))
    assert "选择一个有效的选项" in body


def test_the_supervisor_grants_from_the_page(client_for, users, applicant, employer):
    a = intake(users["s11_clerk"], applicant, employer)
    services.application_assess(application=a, by=users["s11_clerk"], opinion="属实。", recommend="grant")
    body = page(client_for("d1_sup").get(a.get_absolute_url()))
    assert 'id="step-grant"' in body and 'id="step-refuse"' in body
    assert 'id="step-grant"' not in page(client_for("s11_clerk").get(a.get_absolute_url()))
    response = client_for("d1_sup").post(f"/legalaid/applications/{a.pk}/grant/", {"forum": "arbitration"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.status == S.GRANTED and a.decided_by == users["d1_sup"]


def test_prints_carry_the_case(client_for, users, applicant, employer, lawyers):
    import io

    from pypdf import PdfReader

    a = bring(intake(users["s11_clerk"], applicant, employer), S.ASSIGNED, users, lawyers["chen"])
    c = client_for("s11_clerk")
    for name, title in (("print", "法律援助申请书"), ("approval", "法律援助申请审批表"), ("assignment", "法律援助委派函")):
        response = c.get(f"/legalaid/applications/{a.pk}/{name}.pdf")
        assert response["Content-Type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        assert title in text and a.number in text
    assert c.get(f"/legalaid/applications/{a.pk}/refusal.pdf").status_code == 302  # not refused


def test_the_refusal_notice_says_how_to_object(client_for, users, applicant, employer):
    import io

    from pypdf import PdfReader

    a = bring(intake(users["s11_clerk"], applicant, employer), S.REFUSED, users)
    response = client_for("s11_clerk").get(f"/legalaid/applications/{a.pk}/refusal.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "不予法律援助通知书" in text and "不符合援助条件" in text
    assert "15日内" in text and "绍兴市职工服务中心" in text  # the level above the deciding district


# --- lists and their query counts ---------------------------------------------------------------------------


@pytest.fixture
def crowd(users, applicant, employer, lawyers):
    clerk = users["s11_clerk"]
    for i in range(4):
        bring(intake(clerk, make_person(clerk, name=f"职工{i}"), employer), S.ASSIGNED, users, lawyers["chen"])
        mediate(clerk, [make_person(clerk, name=f"调解{i}")], employer, lawyers["mediator"])
    intake(clerk, applicant, employer, complete=False, matter="contract")
    far = users["s21_clerk"]
    intake(far, make_person(far, name="上虞人"), make_employer(far.org_unit))


@pytest.mark.parametrize(("query", "expected"), [
    ({}, 5), ({"status": "assigned"}, 4), ({"matter": "contract"}, 1), ({"applicant": "钱小军"}, 1),
    ({"applicant": "zg"}, 4), ({"employer": "鉴湖"}, 5), ({"deadline": "review_paused"}, 0),
    ({"number": "-00005"}, 1), ({"ordering": "-limitation"}, 5),
])
def test_application_filters(client_for, crowd, query, expected):
    response = client_for("s11_clerk").get("/legalaid/applications/", query)
    assert len(response.context["page"].items) == expected


@pytest.mark.parametrize("query", [{"received_min": "garbage"}, {"status": "nope"}, {"advisor": "x"},
                                   {"ordering": "evil"}, {"cursor": "%%%"}, {"deadline": "soon"}])
def test_malformed_queries_never_fail(client_for, crowd, query):
    assert client_for("s11_clerk").get("/legalaid/applications/", query).status_code == 200
    assert client_for("d1_sup").get("/legalaid/applications/export.xlsx", query).status_code == 200
    assert client_for("s11_clerk").get("/legalaid/mediations/", query).status_code == 200


@pytest.mark.parametrize("url", ["/legalaid/applications/", "/legalaid/mediations/", "/legalaid/consultations/",
                                 "/legalaid/advisors/"])
def test_list_query_counts_are_pinned(client_for, users, crowd, url, django_assert_num_queries):
    """Session, user, roles, the user's units (scope), the page of rows with what a row shows joined
    in, then what the page itself needs: applications — the urgent threshold (a parameter), the
    unit and lawyer choices of the filter form; mediations and consultations — the unit and
    mediator/advisor choices; advisors — the two caseload counts. Nothing per row."""
    c = client_for("d1_sup")
    c.get(url)
    expected = {"/legalaid/applications/": 8}.get(url, 7)
    with django_assert_num_queries(expected):
        assert c.get(url).status_code == 200
    clerk = users["s11_clerk"]
    for i in range(5):  # more rows: the same queries
        intake(clerk, make_person(clerk, name=f"更多{i}"), make_employer(clerk.org_unit))
        Consultation.objects.create(org_unit=clerk.org_unit, at=datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC),
                                    channel="visit", matter="wages", question="问", answer="答", taken_by=clerk,
                                    token=uuid.uuid4())
    with django_assert_num_queries(expected):
        c.get(url)


def test_the_detail_page_query_count_is_bounded(client_for, users, applicant, employer, lawyers):
    a = bring(intake(users["s11_clerk"], applicant, employer), S.ASSIGNED, users, lawyers["chen"])
    for day in range(3):
        services.application_progress(application=a, by=users["s11_clerk"], kind="hearing",
                                      on=datetime.date.today() + datetime.timedelta(days=day))
    c = client_for("d1_sup")
    c.get(a.get_absolute_url())
    with CaptureQueriesContext(connection) as ctx:
        c.get(a.get_absolute_url())
    first = len(ctx.captured_queries)
    for day in range(5):
        services.application_progress(application=a, by=users["s11_clerk"], kind="filed", on=datetime.date.today())
    with CaptureQueriesContext(connection) as ctx:
        c.get(a.get_absolute_url())
    assert len(ctx.captured_queries) == first <= 40


# --- shared pages -----------------------------------------------------------------------------------------


def test_the_person_page_lists_applications_and_mediations(client_for, users, applicant, employer, lawyers):
    a = intake(users["s11_clerk"], applicant, employer)
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    body = page(client_for("s11_clerk").get(f"/people/{applicant.pk}/"))
    assert "法律援助与劳动争议调解" in body and a.number in body and m.number in body
    assert a.number not in page(client_for("s11_clerk").get(f"/people/{make_person(users['s11_clerk']).pk}/"))


def test_the_employer_page_marks_a_repeat_offender_with_counts(client_for, users, employer, lawyers):
    clerk = users["s11_clerk"]
    intake(clerk, make_person(clerk, name="甲"), employer)
    intake(clerk, make_person(clerk, name="乙"), employer)
    body = page(client_for("s11_clerk").get(f"/employers/{employer.pk}/"))
    assert "本单位涉及法律援助案件 <strong>2</strong> 件、劳动争议调解 <strong>0</strong> 件" in body
    assert "repeat-offender" not in body
    mediate(clerk, [make_person(clerk, name="丙")], employer, lawyers["mediator"])
    body = page(client_for("s11_clerk").get(f"/employers/{employer.pk}/"))
    assert 'data-testid="repeat-offender">多次涉诉：共3件' in body
    offenders = page(client_for("s11_clerk").get("/legalaid/employers/"))
    assert "鉴湖纺织印染有限公司" in offenders and "3件" in offenders


def test_the_dashboard_and_inbox(client_for, users, applicant, employer, lawyers):
    from legalaid.limitation import add_months

    clerk = users["s11_clerk"]
    today = datetime.date.today()
    urgent = intake(clerk, applicant, employer, matter="dismissal",
                    dispute_arose_on=add_months(today + datetime.timedelta(days=10), -12))
    granted = bring(intake(clerk, make_person(clerk), employer), S.GRANTED, users)
    case = bring(intake(clerk, make_person(clerk), employer), S.ASSIGNED, users, lawyers["chen"])
    services.application_progress(application=case, by=clerk, kind="hearing", on=today)
    body = page(client_for("s11_clerk").get("/"))
    assert 'data-testid="urgent-count">1<' in body and 'data-testid="assign-count">1<' in body
    assert 'data-testid="hearings-count">1<' in body and urgent.number in body
    inbox = page(client_for("s11_clerk").get("/inbox/"))
    assert inbox.index(urgent.number) < inbox.index(granted.number)
    assert "已批准援助，待指派律师" in inbox
    # The supervisor's decision waits in their inbox (the approvals kernel).
    pending = intake(clerk, make_person(clerk), employer)
    services.application_assess(application=pending, by=clerk, opinion="属实。", recommend="grant")
    assert "法律援助审批" in page(client_for("d1_sup").get("/inbox/"))
    assert "法律援助审批" not in page(client_for("s11_clerk").get("/inbox/"))


def test_a_mediation_past_its_limit_waits_to_tell_the_parties(client_for, users, applicant, employer, lawyers, freeze):
    freeze(datetime.date(2026, 3, 2))
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    assert m.limit_due_date == datetime.date(2026, 3, 17)
    freeze(datetime.date(2026, 3, 18))
    assert "调解期满未达成协议，待告知可申请仲裁" in page(client_for("s11_clerk").get("/inbox/"))
    services.mediation_notify(mediation=m, by=users["s11_clerk"])
    assert m.number not in page(client_for("s11_clerk").get("/inbox/"))


# --- consultations, advisors, reception days -----------------------------------------------------------


def test_an_anonymous_consultation_is_logged(client_for, users):
    data = {"token": "9a0c4d3e-1111-4a5b-8c9d-0e1f2a3b4c5d", "org_unit": users["s11_clerk"].org_unit_id,
            "at": "2026-01-05T09:30", "channel": "hotline", "id_number": "", "caller": "", "matter": "wages",
            "question": "被拖欠工资怎么办？", "answer": "可申请劳动仲裁。", "advisor": ""}
    response = client_for("s11_clerk").post("/legalaid/consultations/new/", data)
    assert response.status_code == 302
    c = Consultation.objects.get()
    assert c.person is None and c.who == "匿名"
    assert "匿名" in page(client_for("s11_clerk").get("/legalaid/consultations/"))
    bad = client_for("s11_clerk").post("/legalaid/consultations/new/", {**data, "token": "9a0c4d3e-2222-4a5b-8c9d-0e1f2a3b4c5d",
                                                                         "answer": ""})
    assert "这个字段是必填项" in page(bad) and Consultation.objects.count() == 1


def test_advisor_pages(client_for, users, employer):
    c = client_for("d1_sup")
    response = c.post("/legalaid/advisors/new/", {"org_unit": users["d1_sup"].org_unit_id, "kind": "lawyer",
                                                  "name": "新律师", "licence_number": "", "is_active": "on"})
    assert "律师须填写执业证号。" in page(response)
    response = c.post("/legalaid/advisors/new/", {"org_unit": users["d1_sup"].org_unit_id, "kind": "lawyer",
                                                  "name": "新律师", "licence_number": "13306202100000001",
                                                  "is_active": "on"})
    advisor = Advisor.objects.get()
    assert response["Location"] == advisor.get_absolute_url()
    response = c.post(f"/legalaid/advisors/{advisor.pk}/ties/", {"employer_text": employer.credit_code,
                                                                 "relation": "counsel", "note": ""})
    assert response.status_code == 302 and AdvisorTie.objects.filter(advisor=advisor, employer=employer).exists()
    again = c.post(f"/legalaid/advisors/{advisor.pk}/ties/", {"employer_text": employer.credit_code,
                                                              "relation": "counsel"})
    assert "该利害关系已登记。" in page(again)
    tie = AdvisorTie.objects.get()
    c.post(f"/legalaid/advisors/{advisor.pk}/ties/{tie.pk}/delete/")
    assert not AdvisorTie.objects.exists()
    day = datetime.date.today() + datetime.timedelta(days=2)
    response = c.post("/legalaid/reception/", {"advisor": advisor.pk, "org_unit": users["s11_clerk"].org_unit_id,
                                               "on": day.isoformat(), "session": "am"})
    assert response.status_code == 302 and ReceptionDay.objects.filter(advisor=advisor, on=day).exists()
    assert "新律师" in page(client_for("s11_clerk").get("/legalaid/reception/"))
    twice = c.post("/legalaid/reception/", {"advisor": advisor.pk, "org_unit": users["s11_clerk"].org_unit_id,
                                            "on": day.isoformat(), "session": "am"})
    assert "该时段已有接待安排" in page(twice)


def test_mediation_intake_with_two_workers(client_for, users, employer, lawyers):
    clerk = users["s11_clerk"]
    a, b = make_person(clerk, name="甲"), make_person(clerk, name="乙")
    data = {"token": "7b0c4d3e-1111-4a5b-8c9d-0e1f2a3b4c5d", "org_unit": clerk.org_unit_id,
            "workers_ids": f"{a.id_number}\n{b.id_number}\n", "employer_text": employer.name,
            "mediator": lawyers["mediator"].pk, "matter": "wages", "applied_on": datetime.date.today().isoformat(),
            "request": "支付工资。", "facts": "", "amount_claimed": "5000"}
    response = client_for("s11_clerk").post("/legalaid/mediations/new/", data)
    m = Mediation.objects.get()
    assert response["Location"] == m.get_absolute_url()
    assert set(m.workers.all()) == {a, b} and m.amount_claimed == Decimal("5000")
    bad = client_for("s11_clerk").post("/legalaid/mediations/new/", {**data, "token": "7b0c4d3e-2222-4a5b-8c9d-0e1f2a3b4c5d",
                                                                      "workers_ids": "330602198001011235"})
    assert "第1行：未找到该身份证号码对应的职工" in page(bad)
