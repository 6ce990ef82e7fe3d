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
from tests.reports.conftest import at, put_follow_up, put_notice, put_petition

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
             "closure_rate": Decimal("33.3"), "on_time_rate": Decimal("50.0"), "satisfaction_rate": Decimal("50.0")}
STATION_B = {**dict.fromkeys(STATION_A, 0), "received": 1, "complainants": 1, "closure_rate": Decimal("0.0"),
             "on_time_rate": None, "satisfaction_rate": None}
# The district: stations' counts add up, but person 0 came to both stations and is one person.
DISTRICT = {**STATION_A, "received": 4, "complainants": 2, "closure_rate": Decimal("25.0")}
# The city: person 0 came in both districts too: still two people (persons 0 and 1) received in M.
CITY = {**DISTRICT, "received": 5, "complainants": 2, "closure_rate": Decimal("20.0")}


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


def test_the_batched_table_agrees_with_the_per_unit_computation(known, django_assert_num_queries):
    u, m = known.units, known.month
    tree = UnitTree(u["330600"])
    units = tree.units()
    periods = [m.previous(), m, Period.quarter(m.year, (m.month_number - 1) // 3 + 1), Period.whole_year(m.year)]
    # Petitions' figure_table, per pass of non-overlapping periods (three passes here: the months,
    # the quarter, the year): 1 received + 4 distinct complainants (one per depth of the tree: city,
    # district, station, base union) + 1 closed + 1 follow-ups + 1 notices; plus 1 overdue-at-end for
    # all periods. The same for one unit and one month as for all units and four periods' passes.
    with django_assert_num_queries(3 * 8 + 1):
        table = figures.table(tree, units, periods)
    one_per_depth = list({unit.depth: unit for unit in units}.values())
    with django_assert_num_queries(3 * 8 + 1):
        figures.table(tree, one_per_depth, periods)
    with django_assert_num_queries(8 + 1):
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
    assert values["by_channel"]["来访"] == 4 and "来电/12351" in values["by_channel"]


def test_every_installed_app_with_figures_agrees_with_itself_on_the_demo_data(known):
    """The contract each app (present or future) keeps: its figure_table, if declared, gives what
    its compute_figures gives, for every unit and period; additive figures never fall below their
    children's sum (records only add up the tree)."""
    tree = UnitTree(known.units["330600"])
    units = tree.units()
    periods = [known.month.previous(), known.month]
    table = figures.table(tree, units, periods)
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
