"""Every eligibility rule and exclusion at its threshold, 0.01 yuan (0.01 m², one day) below and
above it; the Chinese explanation; the verdict's precedence; and replay from the stored values."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Any

import pytest

from hardship import codes, eligibility, selectors, services
from hardship.eligibility import Facts, MemberFacts, ParamUsed, evaluate, replay
from hardship.models import Evaluation, HardshipFile

from .conftest import set_param

D = Decimal
AS_OF = datetime.date(2026, 5, 10)
DEFAULTS = {
    eligibility.DIBAO: D("700.00"), eligibility.EDGE: D("1000.00"), eligibility.AVERAGE_TOPUP: D("500.00"),
    eligibility.INCOME_RATIO: D("1.20"), eligibility.SPENDING_RATIO: D("1.50"), eligibility.MEDICAL_RATIO: D("0.50"),
    eligibility.TOPUP_RATIO: D("1.5"), eligibility.AREA_PER_HEAD: D("40"), eligibility.AREA_SINGLE: D("70"),
    eligibility.PURCHASE_YEARS: 5, eligibility.FAMILY_PLANNING: False,
}


def params(**changes: Any) -> dict[str, ParamUsed]:
    values = {**DEFAULTS, **{getattr(eligibility, k): v for k, v in changes.items()}}
    return {k: ParamUsed(k, k, v, source="测试", year=2026 if k in (eligibility.DIBAO, eligibility.EDGE) else None)
            for k, v in values.items()}


def person(income: str, *, name: str = "张三", relation: str = "self", age: int = 45,
           work: str = codes.WorkStatus.EMPLOYED, health: str = codes.Health.GOOD, schooling: str = "") -> MemberFacts:
    return MemberFacts(name, relation, age, work, health, D(income), schooling)


def facts(*members: MemberFacts, **kwargs: Any) -> Facts:
    kwargs.setdefault("housing_area", D("30"))
    return Facts(as_of=AS_OF, members=members or (person("500"),), **kwargs)


def rule(outcome: eligibility.Outcome, code: str) -> eligibility.Rule:
    return next(r for r in outcome.rules if r.code == code)


def met(f: Facts, code: str, p: dict | None = None) -> bool:
    return rule(evaluate(f, p or params()), code).met


# --- 困难 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("income", "expected"), [("840.00", True), ("839.99", True), ("840.01", False)])
def test_k1_income_at_most_120_percent_of_dibao(income, expected):
    assert met(facts(person(income)), "K1") is expected


def test_k1_is_not_for_households_already_on_dibao_or_its_edge_support():
    assert met(facts(person("500")), "K1")
    assert not met(facts(person("500"), receives_dibao=True), "K1")
    assert not met(facts(person("500"), receives_dibao_edge=True), "K1")


def test_the_explanation_reads_like_the_issue_example():
    outcome = evaluate(facts(person("812.00")), params())
    k1 = rule(outcome, "K1")
    assert k1.clauses[0].text() == "人均月收入 812.00 元 ≤ 低保标准 700.00 元 × 120% = 840.00 元"
    line = next(r for r in eligibility.rule_lines(outcome.to_json()) if r["code"] == "K1")
    assert line["sentence"].startswith("人均月收入 812.00 元 ≤ 低保标准 700.00 元 × 120% = 840.00 元；")
    assert line["sentence"].endswith("→ 符合")


def test_income_per_head_is_household_income_over_twelve_months_and_heads_rounded_to_the_cent():
    outcome = evaluate(facts(person("1000"), person("0", name="李四", relation="spouse"),
                             person("0", name="张五", relation="child", age=10), other_income=D("100.00")), params())
    # (1000 × 12 + 100) / 36 = 336.111… → 336.11
    assert outcome.figures["annual_income"] == "12100.00" and outcome.figures["per_head"] == "336.11"


@pytest.mark.parametrize(("income", "expected"), [("1050.00", True), ("1049.99", True), ("1050.01", False)])
def test_k2_income_at_most_150_percent_of_dibao(income, expected):
    assert met(facts(person(income), rent_cost=D("9000")), "K2") is expected


@pytest.mark.parametrize(("spending", "net", "expected"),
                         [("480.00", "1000.00", False), ("480.12", "999.99", True), ("479.88", "1000.01", False)])
def test_k2_spending_leaves_the_family_below_the_edge_standard(spending, net, expected):
    # 1,040 a month alone: 12,480 a year; (12,480 − spending) / 12 against the edge standard 1,000.
    outcome = evaluate(facts(person("1040"), rent_cost=D(spending)), params())
    assert outcome.figures["net_per_head"] == net
    assert rule(outcome, "K2").met is expected


def test_k2_uses_the_edge_standard_of_its_own_not_a_multiple_of_dibao():
    f = facts(person("1040"), rent_cost=D("1000"))  # net 956.67
    assert met(f, "K2", params(EDGE=D("1000.00")))
    assert not met(f, "K2", params(EDGE=D("950.00")))  # same 低保, another edge standard


@pytest.mark.parametrize(("medical", "expected"), [("12000.00", True), ("11999.99", False), ("12000.01", True)])
def test_k3_own_paid_medical_cost_at_least_half_the_household_income(medical, expected):
    ill = person("2000", health=codes.Health.CANCER)  # 24,000 a year
    assert met(facts(ill, medical_cost=D(medical)), "K3", params(EDGE=D("1500"))) is expected


def test_k3_needs_a_serious_illness_and_life_below_the_edge():
    assert not met(facts(person("2000"), medical_cost=D("12000")), "K3", params(EDGE=D("1500")))
    ill = person("2000", health=codes.Health.RENAL)
    assert met(facts(ill, medical_cost=D("12000")), "K3", params(EDGE=D("1500")))
    assert not met(facts(ill, medical_cost=D("12000")), "K3", params(EDGE=D("1000")))  # net 1,000 is not below


def test_k4_disaster():
    assert met(facts(person("5000"), disaster=True), "K4")
    assert not met(facts(person("5000")), "K4")


# --- 特困 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("medical", "expected"), [("12000.00", False), ("11999.99", False), ("12000.01", True)])
def test_t1_own_paid_medical_cost_above_the_whole_household_income(medical, expected):
    ill = person("1000", health=codes.Health.CANCER)  # 12,000 a year
    f = facts(ill, medical_cost=D(medical), basic_support=("dibao",))
    assert met(f, "T1") is expected
    assert (evaluate(f, params()).verdict == "extreme") is expected


@pytest.mark.parametrize(("topup", "expected"), [("750.00", True), ("749.99", False), ("750.01", True)])
def test_t5_dibao_topup_at_least_one_and_a_half_times_the_local_average(topup, expected):
    assert met(facts(person("0"), dibao_topup=D(topup), receives_dibao=True, basic_support=("dibao",)), "T5") is expected


def test_t3_zero_employment_counts_working_age_members_only():
    laid_off = person("0", work=codes.WorkStatus.LAID_OFF)
    assert met(facts(laid_off, person("0", name="李四", relation="spouse", work=codes.WorkStatus.UNEMPLOYED)), "T3")
    assert not met(facts(laid_off, person("3000", name="李四", relation="spouse")), "T3")
    # A household with nobody of working age is not a zero-employment household.
    assert not met(facts(person("0", age=70, work=codes.WorkStatus.RETIRED)), "T3")


@pytest.mark.parametrize(("birth", "working_age"), [
    (datetime.date(1966, 5, 10), False),  # 60 on the decision date
    (datetime.date(1966, 5, 11), True),  # 60 tomorrow: still 59
    (datetime.date(2010, 5, 10), True),  # 16 today
    (datetime.date(2010, 5, 11), False),  # 16 tomorrow
])
def test_working_age_ends_on_the_sixtieth_birthday_and_starts_on_the_sixteenth(birth, working_age):
    age = selectors.age_on(birth, AS_OF)
    employed = person("3000", name="李四", relation="spouse", age=age)
    f = facts(person("0", work=codes.WorkStatus.LAID_OFF), employed)
    # An employed member of working age makes it not a zero-employment household.
    assert met(f, "T3") is not working_age


def test_t2_tuition_needs_a_child_beyond_compulsory_education_and_the_hardship():
    child = person("0", name="张小", relation="child", age=19, work=codes.WorkStatus.STUDENT, schooling="college")
    assert met(facts(person("1000"), child, tuition_hardship=True), "T2")
    assert not met(facts(person("1000"), child), "T2")
    junior = person("0", name="张小", relation="child", age=13, work=codes.WorkStatus.STUDENT, schooling="junior")
    assert not met(facts(person("1000"), junior, tuition_hardship=True), "T2")


def test_extreme_needs_the_basic_support_first():
    f = facts(person("0"), disaster=True)
    assert rule(evaluate(f, params()), "T4").met
    assert evaluate(f, params()).verdict == "hardship"  # K4, not 特困: no basic support yet
    assert evaluate(facts(person("0"), disaster=True, basic_support=("pension",)), params()).verdict == "extreme"


def test_t6_other_special_hardship():
    assert met(facts(person("0"), other_special=True), "T6")


# --- Exclusions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("acquired", "excluded"), [
    (datetime.date(2021, 5, 10), True),  # exactly five years before the decision date: within
    (datetime.date(2021, 5, 9), False),  # one day earlier: outside
    (datetime.date(2021, 5, 11), True),
])
def test_x4_home_bought_or_built_within_five_years(acquired, excluded):
    f = facts(person("500"), home_owned=True, home_acquired_on=acquired)
    assert met(f, "X4") is excluded
    assert (evaluate(f, params()).verdict == "excluded") is excluded


@pytest.mark.parametrize(("area", "excluded"), [("80.00", False), ("79.99", False), ("80.01", True)])
def test_x6_more_than_40_square_metres_a_head_for_two_or_more(area, excluded):
    f = facts(person("500"), person("0", name="李四", relation="spouse"), housing_area=D(area))
    assert met(f, "X6") is excluded


@pytest.mark.parametrize(("area", "excluded"), [("70.00", False), ("69.99", False), ("70.01", True)])
def test_x6_more_than_70_square_metres_alone(area, excluded):
    assert met(facts(person("500"), housing_area=D(area)), "X6") is excluded


@pytest.mark.parametrize(("flag", "code"), [("child_private_school", "X1"), ("vice", "X2"), ("has_car", "X3"),
                                            ("luxury_goods", "X3"), ("luxury_residence", "X5")])
def test_each_exclusion_flag_excludes_an_otherwise_eligible_household(flag, code):
    f = facts(person("500"), **{flag: True})
    assert met(f, code)
    assert met(f, "K1")  # the income rule holds …
    assert evaluate(f, params()).verdict == "excluded"  # … but the exclusion decides


def test_x7_family_planning_is_off_unless_the_unit_switches_it_on():
    f = facts(person("500"), family_planning_breach=True)
    off = evaluate(f, params())
    assert not rule(off, "X7").met and not rule(off, "X7").enabled and off.verdict == "hardship"
    on = evaluate(f, params(FAMILY_PLANNING=True))
    assert rule(on, "X7").met and on.verdict == "excluded"


def test_no_rule_met_is_none():
    assert evaluate(facts(person("5000")), params()).verdict == "none"


# --- Replay ----------------------------------------------------------------------------------------------


def test_replay_from_the_json_alone_gives_the_same_outcome():
    f = facts(person("812"), person("0", name="李四", relation="spouse", health=codes.Health.CANCER),
              medical_cost=D("9000.50"), home_owned=True, home_acquired_on=datetime.date(2010, 1, 1),
              basic_support=("pension",), dibao_topup=D("12.34"))
    p = params()
    stored = json.loads(json.dumps({"facts": f.to_json(), "params": eligibility.params_to_json(p),
                                    "outcome": evaluate(f, p).to_json()}))  # as a JSON column keeps them
    assert replay(stored["facts"], stored["params"]) == stored["outcome"]
    assert Facts.from_json(stored["facts"]) == f


def test_an_archived_decision_replays_exactly_after_the_parameters_changed(kit, units):
    set_param(units["330602"], "dibao.monthly_standard", "700", year=2026)
    f = kit.make(HardshipFile.Status.ARCHIVED)
    decision = Evaluation.objects.get(pk=f.decision_id)
    assert decision.params["dibao.monthly_standard"]["value"] == "700"
    assert decision.params["dibao.monthly_standard"]["source"] == "越城区职工服务中心设定"
    # The standard goes up afterwards; the archived decision still replays to what it said.
    set_param(units["330602"], "dibao.monthly_standard", "1500", year=2026)
    set_param(units["330600"], "hardship.income_ratio", "2.0")
    assert services.replay(decision) == decision.outcome
    fresh = services.evaluate_file(f, by=kit.worker, purpose="test", as_of=decision.as_of)
    assert fresh.params["dibao.monthly_standard"]["value"] == "1500" and fresh.outcome != decision.outcome


def test_the_replay_page_says_the_stored_trace_is_reproduced(kit, client_for):
    f = kit.make(HardshipFile.Status.APPLIED)
    page = client_for("s11_worker").get(f"/hardship/{f.pk}/evaluations/{f.latest_evaluation_id}/")
    text = page.content.decode()
    assert "结果与存档一致" in text and "城市低保标准" in text and "系统默认值" in text
