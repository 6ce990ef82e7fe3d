"""The three amounts (claimed, awarded or agreed, received) and their refusals; the month's figures —
"money recovered" is what the worker received — and the closure and execution rates on a known data
set, with the denominators the notes state."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from legalaid import services, summary
from legalaid.models import Application, ExecutionRecord, Mediation
from servicecenter.models import OrgUnit
from servicecenter.registry import service_app
from tests.conftest import make_employer, make_person
from tests.legalaid.conftest import bring, intake, mediate

D = datetime.date
S = Application.Status
M = Mediation.Status
MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def assigned(users, applicant, employer, lawyers):
    return bring(intake(users["s11_clerk"], applicant, employer), S.ASSIGNED, users, lawyers["chen"])


def close(a, users, **kwargs):
    data = {"outcome": "won", "amount_awarded": Decimal("12000"), "amount_received": Decimal("12000"),
            "summary": "仲裁支持。"}
    data.update(kwargs)
    return services.application_close(application=a, by=users["s11_clerk"], **data)


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"amount_received": Decimal("-1")}, "amount_received", "实际到手金额不能为负数。"),
    ({"amount_awarded": Decimal("-5")}, "amount_awarded", "裁判/协议金额不能为负数。"),
    ({"amount_received": Decimal("13000")}, "received_note", "实际到手金额高于裁判/协议金额，请说明原因"),
    ({"outcome": "lost", "amount_awarded": Decimal("500"), "amount_received": Decimal("0")}, "amount_awarded",
     "败诉或撤回结案时，裁判/协议金额应为0。"),
    ({"amount_awarded": None}, "amount_awarded", "请填写裁判/协议金额。"),
    ({"amount_received": Decimal("1.005")}, "amount_received", "最多保留两位小数"),
    ({"summary": "  "}, "summary", "请填写结案情况。"),
    ({"outcome": "maybe"}, "outcome", "请选择结果。"),
    ({"closed_on": D(2099, 1, 1)}, "closed_on", "结案日期不能晚于今天。"),
])
def test_bad_amounts_are_refused_at_the_field_and_nothing_changes(users, applicant, employer, lawyers, kwargs, field,
                                                                  message):
    a = assigned(users, applicant, employer, lawyers)
    events = a.events.count()
    with pytest.raises(ValidationError) as caught:
        close(a, users, **kwargs)
    assert message in " ".join(caught.value.message_dict[field])
    a.refresh_from_db()
    assert a.status == S.ASSIGNED and a.amount_received is None and a.events.count() == events


def test_received_above_awarded_with_a_reason_and_a_lost_case_with_nothing(users, applicant, employer, lawyers):
    a = close(assigned(users, applicant, employer, lawyers), users, amount_received=Decimal("12800"),
              received_note="含迟延履行利息800元")
    assert (a.amount_claimed, a.amount_awarded, a.amount_received) == (Decimal("12000"), Decimal("12000"),
                                                                       Decimal("12800"))
    lost = close(assigned(users, make_person(users["s11_clerk"]), employer, lawyers), users, outcome="lost",
                 amount_awarded=None, amount_received=Decimal("0"))
    assert lost.amount_awarded == Decimal("0") and lost.status == S.CLOSED


@pytest.mark.parametrize("state", [S.DRAFT, S.REVIEW, S.SUPPLEMENT, S.GRANTED])
def test_an_outcome_before_the_grant_and_assignment_is_refused(users, applicant, employer, state):
    a = bring(intake(users["s11_clerk"], applicant, employer, complete=False), state, users)
    with pytest.raises(ValidationError, match="尚未批准援助并指派承办律师，不能登记结果"):
        close(a, users)


def test_a_refusal_needs_a_reason(users, applicant, employer):
    a = intake(users["s11_clerk"], applicant, employer)
    services.application_assess(application=a, by=users["s11_clerk"], opinion="不符合。", recommend="refuse")
    with pytest.raises(ValidationError) as caught:
        services.application_refuse(application=a, by=users["d1_sup"], reason=" ")
    assert caught.value.message_dict["reason"] == ["请填写不予援助的理由。"]
    a.refresh_from_db()
    assert a.status == S.REVIEW


def test_the_reviewer_cannot_decide(users, applicant, employer):
    sup = users["d1_sup"]
    a = intake(sup, applicant, employer)
    services.application_assess(application=a, by=sup, opinion="属实。", recommend="grant")
    with pytest.raises(ValidationError, match="审查人不能审批本案"):
        services.application_grant(application=a, by=sup, forum="arbitration")


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"terms": " "}, "terms", "请填写协议内容。"),
    ({"amount_agreed": Decimal("-1")}, "amount_agreed", "协议金额不能为负数。"),
    ({"pay_by": None}, "pay_by", "请填写履行期限。"),
    ({"pay_by": D(2020, 1, 1)}, "pay_by", "履行期限不能早于协议日期。"),
])
def test_an_agreement_with_no_terms_or_bad_amounts_is_refused(users, applicant, employer, lawyers, kwargs, field,
                                                              message):
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    data = {"terms": "一、支付8000元。", "amount_agreed": Decimal("8000"), "pay_by": datetime.date.today()}
    data.update(kwargs)
    with pytest.raises(ValidationError) as caught:
        services.mediation_agree(mediation=m, by=users["s11_clerk"], **data)
    assert message in " ".join(caught.value.message_dict[field])
    m.refresh_from_db()
    assert m.status == M.OPEN and not m.terms


@pytest.mark.parametrize(("execution", "paid", "message"), [
    ("executed", "6000", "全部履行时，实际到手金额不应少于协议金额（8000.00元）"),
    ("partly", "8000", "部分履行时，实际到手金额应大于0且小于协议金额"),
    ("partly", "0", "部分履行时，实际到手金额应大于0且小于协议金额"),
    ("not", "100", "未履行时，实际到手金额应为0"),
    ("executed", "9000", "实际到手金额高于协议金额，请说明原因。"),
])
def test_execution_amounts_must_agree_with_the_result(users, applicant, employer, lawyers, execution, paid, message):
    m = mediate(users["s11_clerk"], [applicant], employer, lawyers["mediator"])
    services.mediation_agree(mediation=m, by=users["s11_clerk"], terms="一、支付。", amount_agreed=Decimal("8000"),
                             pay_by=datetime.date.today())
    with pytest.raises(ValidationError, match=message):
        services.mediation_execution(mediation=m, by=users["s11_clerk"], execution=execution, amount_paid=Decimal(paid))
    assert not ExecutionRecord.objects.exists()


# --- the figures on a known data set ------------------------------------------------------------------


@pytest.fixture
def march(users, units, applicant, employer, lawyers, freeze):
    """March 2026 at station 330602001 (and one case at the other district, which d1's figures
    leave out):

    - 2 consultations; 5 applications received; 3 granted, 1 refused; 2 closed, receiving 9,000
      and 4,500 (awarded 10,000 and 4,500; claimed 12,000 each);
    - 4 mediations applied for: 1 agreed and 1 failed in March, 1 agreed on 4/2, 1 still open;
      agreements due in March: 2 (one from February, executed in full on 3/20; the March one,
      executed in part), 1 executed by month end; paid in March: 3,000 (partly) + 5,000 (full).
    """
    clerk = users["s11_clerk"]
    people = [make_person(clerk, name=f"职工{i}") for i in range(8)]
    med = lawyers["mediator"]
    freeze(D(2026, 2, 10))
    feb = mediate(clerk, [people[7]], employer, med)
    services.mediation_agree(mediation=feb, by=clerk, terms="一、支付5000元。", amount_agreed=Decimal("5000"),
                             pay_by=D(2026, 3, 15))
    freeze(D(2026, 3, 2))
    for i in range(2):
        services.consultation_create(by=clerk, token=uuid.uuid4(), org_unit=clerk.org_unit,
                                     at=datetime.datetime(2026, 3, 2, 9 + i), channel="hotline", matter="wages",
                                     question="怎么办？", answer="可申请仲裁。")
    apps = [intake(clerk, people[i], employer) for i in range(5)]
    for a in apps[:3]:
        bring(a, S.ASSIGNED, users, lawyers["chen"])
    bring(apps[3], S.REFUSED, users)
    freeze(D(2026, 3, 20))
    close(Application.objects.get(pk=apps[0].pk), users, amount_awarded=Decimal("10000"), amount_received=Decimal("9000"))
    close(Application.objects.get(pk=apps[1].pk), users, outcome="mediated", amount_awarded=Decimal("4500"),
          amount_received=Decimal("4500"))
    m1 = mediate(clerk, people[:2], employer, med)
    m2 = mediate(clerk, [people[2]], employer, med)
    m3 = mediate(clerk, [people[3]], employer, med)
    mediate(clerk, [people[4]], employer, med)
    services.mediation_agree(mediation=m1, by=clerk, terms="一、支付6000元。", amount_agreed=Decimal("6000"),
                             pay_by=D(2026, 3, 28))
    services.mediation_fail(mediation=m2, by=clerk, reason="分歧大。", referred_to="arbitration")
    services.mediation_execution(mediation=Mediation.objects.get(pk=feb.pk), by=clerk, execution="executed",
                                 amount_paid=Decimal("5000"))
    freeze(D(2026, 3, 29))
    services.mediation_execution(mediation=Mediation.objects.get(pk=m1.pk), by=clerk, execution="partly",
                                 amount_paid=Decimal("3000"))
    freeze(D(2026, 4, 2))
    services.mediation_agree(mediation=Mediation.objects.get(pk=m3.pk), by=clerk, terms="一、支付。",
                             amount_agreed=Decimal("1000"), pay_by=D(2026, 4, 30))
    services.mediation_execution(mediation=Mediation.objects.get(pk=m1.pk), by=clerk, execution="executed",
                                 amount_paid=Decimal("6000"))
    far = users["s21_clerk"]
    freeze(D(2026, 3, 5))
    intake(far, make_person(far, name="百官职工"), make_employer(far.org_unit))
    return units


def test_the_months_figures(march):
    f = summary.monthly_figures(march["330602"], *MARCH)
    assert f["consultations"] == 2
    assert f["applications"] == 5
    assert (f["granted"], f["refused"], f["closed"]) == (3, 1, 2)
    assert f["recovered_aid"] == Decimal("13500.00")  # received, not the 14,500 awarded nor the 24,000 claimed
    assert (f["mediations"], f["mediations_concluded"], f["agreements"]) == (4, 2, 1)
    assert (f["agreements_due"], f["executed"]) == (2, 1)
    assert f["recovered_mediation"] == Decimal("8000.00")  # 5,000 + the first 3,000 (the rest came in April)
    assert f["recovered"] == Decimal("21500.00")
    assert f["closure_rate"] == Decimal("50.0") and f["execution_rate"] == Decimal("50.0")
    april = summary.monthly_figures(march["330602"], D(2026, 4, 1), D(2026, 4, 30))
    assert april["recovered_mediation"] == Decimal("3000.00")  # only what was new in April
    assert april["agreements"] == 1 and april["closure_rate"] is None  # nothing applied for in April


def test_the_district_includes_its_stations_and_the_city_everything(march):
    city = summary.monthly_figures(march["330600"], *MARCH)
    district = summary.monthly_figures(march["330602"], *MARCH)
    other = summary.monthly_figures(march["330604"], *MARCH)
    assert (district["applications"], other["applications"], city["applications"]) == (5, 1, 6)


def test_every_declared_figure_is_computed_and_the_rates_state_their_denominators(db):
    app = service_app("legalaid")
    assert app is not None
    values = summary.monthly_figures(OrgUnit(path="/none/"), *MARCH)
    assert {f.code for f in app.figures} == set(values)
    rates = {f.code: f for f in app.figures if f.kind == "rate"}
    assert "÷ 当月受理的调解件数" in rates["closure_rate"].note
    assert "÷ 履行期限在当月届满的调解协议件数" in rates["execution_rate"].note
    for f in app.figures:
        if f.code.startswith("recovered"):
            assert "实际到手" in f.note


def test_the_figures_page_shows_the_notes(march, client_for, freeze):
    body = client_for("d1_sup").get("/legalaid/figures/", {"month": "2026-03"}).content.decode()
    assert 'data-testid="figure-recovered">21500.00 元' in body
    assert 'title="调解办结率 = 当月受理的调解案件中' in body
    assert 'data-testid="figure-execution_rate">50.0 %' in body
