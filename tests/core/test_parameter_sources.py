"""``parameters.values_in_force``: several parameters in one query, each with where its value comes
from — the same choice as ``param`` (nearest unit, year-specific before any-year)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from servicecenter.models import Parameter
from servicecenter.parameters import param, values_in_force

DIBAO = "dibao.monthly_standard"
DEADLINE = "petition.deadline_days"


def _set(unit: Any, key: str, value: str, year: int | None = None) -> None:
    Parameter.objects.create(key=key, org_unit=unit, year=year, value=value)


def test_defaults_and_sources_in_one_query(units: dict, django_assert_num_queries: Any) -> None:
    station = units["330602001"]
    _set(units["330602"], DIBAO, "1150")
    _set(units["330600"], DIBAO, "1200", year=2026)
    _set(station, DEADLINE, "20")
    with django_assert_num_queries(1):
        got = values_in_force([DIBAO, DEADLINE, "petition.group_size"], station, 2026)
    # The district's any-year row is nearer than the city's 2026 row: the nearest unit wins first.
    assert got[DIBAO].value == Decimal("1150") and got[DIBAO].unit_code == "330602" and got[DIBAO].year is None
    assert got[DEADLINE].value == 20 and got[DEADLINE].unit_name == station.name
    assert got["petition.group_size"].is_default and got["petition.group_size"].value == 5
    for key in got:
        assert got[key].value == param(key, station, 2026), key


def test_a_year_row_beats_the_any_year_row_of_the_same_unit_and_only_for_its_year(units: dict) -> None:
    district = units["330602"]
    _set(district, DIBAO, "1150")
    _set(district, DIBAO, "1210", year=2026)
    assert values_in_force([DIBAO], units["330602002"], 2026)[DIBAO].year == 2026
    assert values_in_force([DIBAO], units["330602002"], 2025)[DIBAO].value == Decimal("1150")
    # A parameter that is not per year ignores year rows (as ``param`` does).
    _set(district, DEADLINE, "25", year=2026)
    assert values_in_force([DEADLINE], units["330602002"], 2026)[DEADLINE].is_default


def test_an_undeclared_key_is_refused(units: dict) -> None:
    with pytest.raises(LookupError):
        values_in_force(["nope.nothing"], units["330600"])
