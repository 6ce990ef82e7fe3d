"""Figures: a known data set gives exact numbers at station, district and city level; the batched
table agrees with the per-unit computation; additive figures of a unit are the sum of its children
and distinct ones are counted again over the subtree, over random org trees (hypothesis)."""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petitions import summary as petition_summary
from servicecenter import figures, registry
from servicecenter.figures import Period, UnitTree
from servicecenter.models import OrgUnit
from servicecenter.orgunits import orgunit_save
from tests.reports.conftest import (
    at,
    put_application,
    put_consultation,
    put_enrolment,
    put_execution,
    put_follow_up,
    put_mediation,
    put_notice,
    put_petition,
    put_posting,
    put_referral,
    put_seeker,
)

D = datetime.timedelta


@pytest.fixture
def known(ctx):
    """The data set the expected figures below are worked out from (month M = the last ended one).

    Station 府山 (330602001): p1 received M/3 closed M/10 on time (person 0), p2 received M/5 open
    (person 0 again), p3 received M/6, a group, closed the next month (person 1), p4 received the
    month before, closed M/2 late (person 2), p6 received the month before, due M/10, still open
    (overdue at month end; person 3). Follow-ups in M: p1 satisfied, p4 unsatisfied. A notice on
    p2 in M. Station 塔山 (330602002): p5 received M/7 (person 0: the same person at another
    station). Station 百官 (330604001, the other district): p7 received M/8 (person 0 as well).
    """
    m, u, people, by = ctx.month, ctx.units, ctx.people, ctx.users["s11_clerk"]
    first = m.first
    a, b, c = u["330602001"], u["330602002"], u["330604001"]
    p1 = put_petition(a, people[0], at(first + D(2)), closed=at(first + D(9)), by=by)
    p2 = put_petition(a, people[0], at(first + D(4)), by=by)
    put_petition(a, people[1], at(first + D(5)), closed=at(m.last + D(3)), group=True, by=by)
    before = first - D(20)
    p4 = put_petition(a, people[2], at(before), closed=at(first + D(1)), late=True, by=by)
    put_petition(a, people[3], at(first - D(25)), due=first + D(9), by=by)
    put_petition(b, people[0], at(first + D(6)), by=by)
    put_petition(c, people[0], at(first + D(7)), by=by)
    put_follow_up(p1, at(first + D(11)), "satisfied", by)
    put_follow_up(p4, at(first + D(14)), "unsatisfied", by)
    put_notice(p2, first + D(7), by)
    return ctx


STATION_A = {"received": 3, "complainants": 2, "group": 1, "received_closed": 1, "closed": 2, "closed_on_time": 1,
             "overdue_open": 1, "follow_ups": 2, "satisfied_or_fairly": 1, "unsatisfied": 1, "notices": 1,
             "closure_rate": Decimal("33.3"), "on_time_rate": Decimal("50.0"), "satisfaction_rate": Decimal("50.0"),
             # Every way in is counted (none of these came anonymously, by 12351 or online).
             "anonymous": 0, "hotline_12351": 0, "online": 0, "recovered": Decimal("0.00")}
STATION_B = {**dict.fromkeys(STATION_A, 0), "received": 1, "complainants": 1, "closure_rate": Decimal("0.0"),
             "on_time_rate": None, "satisfaction_rate": None}
# The district: stations' counts add up, but person 0 came to both stations and is one person.
DISTRICT = {**STATION_A, "received": 4, "complainants": 2, "closure_rate": Decimal("25.0")}
# The city: person 0 came in both districts too: still two people (persons 0 and 1) received in M.
CITY = {**DISTRICT, "received": 5, "complainants": 2, "closure_rate": Decimal("20.0")}


@pytest.fixture
def everything(known):
    """``known`` and legal-aid and jobs records around month M, with records on its first and last
    day, just before it (P = the day before M) and just after it (N = the day after M), at stations
    府山 (a), 塔山 (b), 百官 (c, the other district) and the base union 越兴印染厂工会 (the industry
    chain, the deepest unit):

    Legal aid — consultations: a at M/1 00:00 and on M's last day 23:00, and on N 00:00; b on P
    23:00; the base union M/4. Applications: a received M/1 granted M/3; a received P, granted P,
    closed M/10 with 9,000.50 received; a received M/4 refused on M's last day; b received on M's
    last day (under review); b received P−10, granted P−5, closed on N with 1,000 received; c
    received M/2 granted M/3 closed M/6 with nothing received; the base union received M/5
    (withdrawn). Mediations: a applied M/3 agreed on M's last day (due N+5); a applied M/4 failed
    on N; a applied M/5 still open; b applied P−20 agreed P−5, due M/10, executed M/20 (5,000.25
    recorded M/20); b applied P−3 agreed P−1, due on M's last day, executed on N (3,000 recorded
    M/6, 2,000 on N); c applied, agreed, due and executed on M's last day (800 recorded then).

    Jobs — seekers: a on M/1 and M's last day, c on N, b on P, the base union M/7. Postings: a
    published M/2 (3 openings) and a draft (7); b published P (5); c published on M's last day (2).
    Referrals: a M/2 hired M/5, a M/3 hired on N, a M/4 rejected M/6; b on M's last day (waiting);
    c on P hired M/1; the base union M/6 hired on M's last day. Enrolments: a M/2 completed M/21,
    a on M's last day; b on P completed M/3; c M/4 dropped.
    """
    m, u, people, by = known.month, known.units, known.people, known.users["s11_clerk"]
    first, last = m.first, m.last
    before, after = first - D(1), last + D(1)
    a, b, c, base = u["330602001"], u["330602002"], u["330604001"], u["330600I010101"]

    put_consultation(a, at(first, 0), by=by)
    put_consultation(a, at(last, 23), by=by)
    put_consultation(a, at(after, 0), by=by)
    put_consultation(b, at(before, 23), by=by)
    put_consultation(base, at(first + D(3)), by=by)
    put_application(a, people[0], first, status="assigned", decided=first + D(2), by=by)
    put_application(a, people[1], before, status="closed", decided=before, closed=first + D(9),
                    amount_received=Decimal("9000.50"), by=by)
    put_application(a, people[2], first + D(3), status="refused", decided=last, by=by)
    put_application(b, people[3], last, by=by)
    put_application(b, people[4], before - D(10), status="closed", decided=before - D(5), closed=after,
                    amount_received=Decimal("1000"), by=by)
    put_application(c, people[5], first + D(1), status="closed", decided=first + D(2), closed=first + D(5),
                    amount_received=Decimal("0"), by=by)
    put_application(base, people[0], first + D(4), status="withdrawn", by=by)
    put_mediation(a, first + D(2), agreed=last, pay_by=after + D(5), by=by)
    put_mediation(a, first + D(3), failed=after, by=by)
    put_mediation(a, first + D(4), by=by)
    executed = put_mediation(b, before - D(20), agreed=before - D(5), pay_by=first + D(9), executed=first + D(19),
                             by=by)
    put_execution(executed, first + D(19), Decimal("5000.25"), by=by)
    late = put_mediation(b, before - D(3), agreed=before - D(1), pay_by=last, executed=after, by=by)
    put_execution(late, first + D(5), Decimal("3000"), by=by)
    put_execution(late, after, Decimal("2000"), by=by)
    on_the_day = put_mediation(c, last, agreed=last, pay_by=last, executed=last, by=by)
    put_execution(on_the_day, last, Decimal("800"), by=by)

    put_seeker(a, first, by=by)
    put_seeker(a, last, by=by)
    put_seeker(c, after, by=by)
    put_seeker(b, before, by=by)
    put_seeker(base, first + D(6), by=by)
    posting = put_posting(a, first + D(1), 3, by=by)
    put_posting(a, None, 7, by=by)
    put_posting(b, before, 5, by=by)
    put_posting(c, last, 2, by=by)
    put_referral(a, posting, first + D(1), status="hired", outcome=first + D(4), by=by)
    put_referral(a, posting, first + D(2), status="hired", outcome=after, by=by)
    put_referral(a, posting, first + D(3), status="rejected", outcome=first + D(5), by=by)
    put_referral(b, posting, last, by=by)
    put_referral(c, posting, before, status="hired", outcome=first, by=by)
    put_referral(base, posting, first + D(5), status="hired", outcome=last, by=by)
    put_enrolment(a, first + D(1), completed=first + D(20), by=by)
    put_enrolment(a, last, by=by)
    put_enrolment(b, before, completed=first + D(2), by=by)
    put_enrolment(c, first + D(3), dropped=True, by=by)
    return known


# Month M in the district 越城区 (stations a and b) and the city (everything).
LEGALAID_DISTRICT = {
    "consultations": 2, "applications": 3, "granted": 1, "refused": 1, "closed": 1,
    "recovered_aid": Decimal("9000.50"), "mediations": 3, "mediations_concluded": 1, "agreements": 1,
    "agreements_due": 2, "executed": 1, "recovered_mediation": Decimal("8000.25"), "recovered": Decimal("17000.75"),
    "closure_rate": Decimal("33.3"), "execution_rate": Decimal("50.0"),
}
LEGALAID_CITY = {
    "consultations": 3, "applications": 5, "granted": 2, "refused": 1, "closed": 2,
    "recovered_aid": Decimal("9000.50"), "mediations": 4, "mediations_concluded": 2, "agreements": 2,
    "agreements_due": 3, "executed": 2, "recovered_mediation": Decimal("8800.25"), "recovered": Decimal("17800.75"),
    "closure_rate": Decimal("50.0"), "execution_rate": Decimal("66.7"),
}
JOBS_DISTRICT = {"new_seekers": 2, "postings": 1, "openings": 3, "referrals": 4, "hires": 1,
                 "placement_rate": Decimal("25.0"), "trainees_enrolled": 2, "trainees_completed": 2}
JOBS_CITY = {"new_seekers": 3, "postings": 2, "openings": 5, "referrals": 5, "hires": 2,
             "placement_rate": Decimal("40.0"), "trainees_enrolled": 3, "trainees_completed": 2}


def test_legal_aid_and_jobs_give_exact_figures_for_a_month_with_records_on_its_edges(everything):
    u, m = everything.units, everything.month
    for code, legalaid, jobs in (("330602", LEGALAID_DISTRICT, JOBS_DISTRICT), ("330600", LEGALAID_CITY, JOBS_CITY)):
        computed = figures.compute(u[code], m)
        assert (computed["legalaid"], computed["jobs"]) == (legalaid, jobs), code
        batched = figures.table(UnitTree(u["330600"]), [u[code]], [m])[(u[code].pk, 0)]
        assert (batched["legalaid"], batched["jobs"]) == (legalaid, jobs), code


def test_states_by_a_periods_end_follow_the_period_not_the_month_the_record_counts_in(everything):
    """Concluded, executed and hired "by the end of the period": over the three months around M
    the mediation that failed on N is concluded, the agreement executed on N is executed and the
    referral hired on N is a hire — none of them in M."""
    u, m = everything.units, everything.month
    district = u["330602"]
    span = Period(m.previous().first, m.next().last, "quarter")
    for values in (figures.compute(district, span), figures.table(UnitTree(u["330600"]), [district], [span])[
            (district.pk, 0)]):
        legalaid, jobs = values["legalaid"], values["jobs"]
        assert (legalaid["mediations"], legalaid["mediations_concluded"]) == (5, 4)
        assert (legalaid["agreements_due"], legalaid["executed"]) == (3, 2)
        assert (jobs["referrals"], jobs["hires"]) == (4, 2)
        assert legalaid["recovered_mediation"] == Decimal("10000.25")  # every recording once, N's 2,000 too
        assert legalaid["closed"] == 2 and legalaid["recovered_aid"] == Decimal("10000.50")


def test_a_known_data_set_gives_exact_figures_at_every_level(known):
    u, m = known.units, known.month
    assert figures.compute(u["330602001"], m)["petitions"] == STATION_A
    assert figures.compute(u["330602002"], m)["petitions"] == STATION_B
    assert figures.compute(u["330602"], m)["petitions"] == DISTRICT
    assert figures.compute(u["330600"], m)["petitions"] == CITY


def test_distinct_people_are_counted_again_at_district_and_city_level_not_summed(known):
    u, m = known.units, known.month
    station_sum = sum(figures.compute(u[code], m)["petitions"]["complainants"] for code in ("330602001", "330602002"))
    assert station_sum == 3
    assert figures.compute(u["330602"], m)["petitions"]["complainants"] == 2
    districts = sum(figures.compute(u[code], m)["petitions"]["complainants"] for code in ("330602", "330604"))
    assert districts == 3 and figures.compute(u["330600"], m)["petitions"]["complainants"] == 2


def test_the_batched_table_agrees_with_the_per_unit_computation(everything, django_assert_num_queries):
    u, m = everything.units, everything.month
    tree = UnitTree(u["330600"])
    units = tree.units()
    periods = [m.previous(), m, Period.quarter(m.year, (m.month_number - 1) // 3 + 1), Period.whole_year(m.year)]
    # Per pass of non-overlapping periods (three passes here: the months, the quarter, the year):
    # - petitions: 1 received + 4 distinct complainants (one per depth of the tree: city, district,
    #   station, base union) + 1 closed + 1 follow-ups + 1 notices = 8;
    # - legal aid: 1 consultations + 1 applications received + 1 decided + 1 closed + 1 mediations
    #   applied for + 1 agreed + 1 due + 1 execution recordings = 8;
    # - jobs: 1 seekers + 1 postings + 1 referrals + 1 enrolments + 1 completions = 5;
    # - hardship: 1 applications + 1 timeline events = 2;
    # - funds: 1 paid grants + 4 distinct households (one per depth) + 1 money received + 1 paid
    #   within a budget (by the budget's unit) + 1 goods issued + 4 distinct goods recipients (one
    #   per depth) = 12;
    # plus, for all periods at once, petitions' 1 overdue-at-end, hardship's 1 month-end stock and
    # funds' 1 budgets of the period's year. The same for one unit and one month as for
    # all units and four periods' passes.
    per_pass = 8 + 8 + 5 + 2 + 12
    with django_assert_num_queries(3 * per_pass + 3):
        table = figures.table(tree, units, periods)
    one_per_depth = list({unit.depth: unit for unit in units}.values())
    with django_assert_num_queries(3 * per_pass + 3):
        figures.table(tree, one_per_depth, periods)
    with django_assert_num_queries(per_pass + 3):
        figures.table(tree, units, [m.previous(), m])
    for unit in units:
        for i, period in enumerate(periods):
            assert table[(unit.pk, i)] == figures.compute(unit, period), (unit.code, period.key)


def test_rates_are_derived_by_the_core_exactly_as_the_app_derives_them(known):
    for unit in UnitTree(known.units["330600"]).units():
        raw = petition_summary.monthly_figures(unit, known.month.first, known.month.last)
        shown = figures.compute(unit, known.month)["petitions"]
        for code in ("closure_rate", "on_time_rate", "satisfaction_rate"):
            assert shown[code] == raw[code], (unit.code, code)


def test_breakdowns_list_every_category_and_add_up_to_the_received_figure(known):
    values = figures.compute_breakdowns(known.units["330602"], known.month)["petitions"]
    assert sum(values["by_category"].values()) == 4 and sum(values["by_channel"].values()) == 4
    assert values["by_channel"]["来访"] == 4 and {"来电", "12351热线"} <= set(values["by_channel"])


def test_every_installed_app_with_figures_agrees_with_itself(everything):
    """The contract each app (present or future) keeps: its figure_table, if declared, gives what
    its compute_figures gives, for every unit and period (months, a span of three months around M
    and a year); additive figures never fall below their children's sum (records only add up the
    tree)."""
    m = everything.month
    tree = UnitTree(everything.units["330600"])
    units = tree.units()
    periods = [m.previous(), m, m.next(), Period(m.previous().first, m.next().last, "quarter"),
               Period.whole_year(m.year)]
    table = figures.table(tree, units, periods)
    assert {app.label for app in registry.figure_apps()} >= {"petitions", "legalaid", "jobs"}
    for app in registry.figure_apps():
        additive = [f.code for f in app.figures if f.kind == "additive"]
        for unit in units:
            for i, period in enumerate(periods):
                mine = figures.finish(app.figures, app.compute_figures(unit, period.first, period.last))
                assert table[(unit.pk, i)][app.label] == mine, (app.label, unit.code, period.key)
                children = tree.children_of(unit)
                for code in additive:
                    assert mine[code] >= sum(table[(c.pk, i)][app.label][code] for c in children)


# --- Random org trees ------------------------------------------------------------------------------------

_codes = itertools.count(1)


@st.composite
def worlds(draw):
    """A random tree (1–3 districts of 0–3 stations, maybe a post under a station) and random
    petitions: unit, person, day received (over two months), closed or not, group or not."""
    districts = [draw(st.integers(0, 3)) for _ in range(draw(st.integers(1, 3)))]
    posts = draw(st.booleans())
    n_units = 1 + len(districts) + sum(districts) + (1 if posts and any(districts) else 0)
    records = draw(st.lists(st.tuples(st.integers(0, n_units - 1), st.integers(0, 5), st.integers(0, 59),
                                      st.one_of(st.none(), st.integers(0, 40)), st.booleans()), max_size=25))
    return districts, posts, records


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_roll_ups_over_random_org_trees(ctx, world):
    districts, posts, records = world
    n = next(_codes)
    root = orgunit_save(OrgUnit(code=f"9{n:04d}", name=f"测试市{n}", kind="city"))
    units = [root]
    for d, stations in enumerate(districts):
        district = orgunit_save(OrgUnit(code=f"9{n:04d}D{d}", name=f"区{d}", kind="district", parent=root))
        units.append(district)
        for s in range(stations):
            units.append(orgunit_save(OrgUnit(code=f"9{n:04d}D{d}S{s}", name=f"站{d}{s}", kind="station",
                                              parent=district)))
    if posts and any(districts):
        station = next(x for x in units if x.kind == "station")
        units.append(orgunit_save(OrgUnit(code=f"{station.code}P", name="服务点", kind="post", parent=station)))
    m2 = ctx.month
    m1 = m2.previous()
    start = m1.first
    by = ctx.users["s11_clerk"]
    placed = []
    for unit_index, person, day, closes_after, group in records:
        received = at(start + D(day))
        closed = at(start + D(day + closes_after)) if closes_after is not None else None
        unit = units[unit_index]
        put_petition(unit, ctx.people[person], received, closed=closed, group=group, by=by)
        placed.append((unit, person, start + D(day), group))

    tree = UnitTree(root)
    periods = [m1, m2, Period(m1.first, m2.last, "quarter")]
    table = figures.table(tree, tree.units(), periods)
    own = defaultdict(int)
    for unit, *_ in placed:
        own[unit.pk] += 1
    for unit in tree.units():
        for i, period in enumerate(periods):
            values = table[(unit.pk, i)]["petitions"]
            # the batched table is what the per-unit computation says
            assert values == figures.compute(unit, period)["petitions"]
            inside = [p for p in placed if p[0].path.startswith(unit.path) and period.first <= p[2] <= period.last]
            assert values["received"] == len(inside)
            assert values["group"] == sum(1 for p in inside if p[3])
            assert values["complainants"] == len({p[1] for p in inside})  # distinct, from the records
            children = tree.children_of(unit)
            if children and not own[unit.pk]:
                for f in petition_summary.FIGURES:
                    if f.kind == "additive":
                        assert values[f.code] == sum(table[(c.pk, i)]["petitions"][f.code] for c in children), f.code
