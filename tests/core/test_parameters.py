"""Parameters: declared defaults, inherited down the unit tree, per year where it matters,
validated with a Chinese message, maintained by the system administrator through the admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from servicecenter.models import AuditEvent, Parameter
from servicecenter.parameters import SPECS, param, validate_parameter

DEADLINE = "petition.deadline_days"
DIBAO = "dibao.monthly_standard"


def _set(unit: Any, key: str, value: str, year: int | None = None) -> Parameter:
    return Parameter.objects.create(key=key, org_unit=unit, year=year, value=value)


def test_the_declared_default_applies_when_nothing_is_set(units: dict) -> None:
    assert param(DEADLINE, units["330602001"]) == 30
    assert param(DIBAO, units["330602001"], 2026) == Decimal("1100.00")
    assert param("petition.deadline_in_working_days", units["330600"]) is False
    assert param("hardship.income_ratio", units["330604002"]) == Decimal("1.20")


def test_a_city_value_is_inherited_by_every_station(units: dict) -> None:
    _set(units["330600"], DEADLINE, "20")
    for code in ["330600", "330602", "330602001", "330604002", "330600I010101"]:
        assert param(DEADLINE, units[code]) == 20, code


def test_a_district_value_overrides_the_city_for_its_own_stations_only(units: dict) -> None:
    _set(units["330600"], DEADLINE, "20")
    _set(units["330602"], DEADLINE, "25")
    assert param(DEADLINE, units["330602"]) == 25
    assert param(DEADLINE, units["330602001"]) == 25
    assert param(DEADLINE, units["330602002"]) == 25
    assert param(DEADLINE, units["330604"]) == 20  # the other district keeps the city's value
    assert param(DEADLINE, units["330604001"]) == 20
    assert param(DEADLINE, units["330600"]) == 20  # and nothing flows upwards
    _set(units["330602001"], DEADLINE, "10")  # a station's own value beats its district's
    assert param(DEADLINE, units["330602001"]) == 10
    assert param(DEADLINE, units["330602002"]) == 25


def test_a_year_specific_dibao_standard_beats_the_any_year_value(units: dict) -> None:
    station = units["330602001"]
    _set(units["330602"], DIBAO, "1150")
    _set(units["330602"], DIBAO, "1200", year=2026)
    assert param(DIBAO, station, 2026) == Decimal("1200")
    assert param(DIBAO, station, 2025) == Decimal("1150")  # no 2025 value: the any-year one
    assert param(DIBAO, station) == Decimal("1150")  # no year asked: the any-year one
    assert param(DIBAO, units["330604001"], 2026) == Decimal("1100.00")  # other district: default


def test_the_nearest_unit_wins_before_the_year(units: dict) -> None:
    """A district's own standard is kept even when the city publishes one for the year."""
    _set(units["330600"], DIBAO, "1300", year=2026)
    _set(units["330602"], DIBAO, "1150")
    assert param(DIBAO, units["330602001"], 2026) == Decimal("1150")
    assert param(DIBAO, units["330604001"], 2026) == Decimal("1300")
    assert param(DIBAO, units["330604001"], 2027) == Decimal("1100.00")


def test_year_values_of_a_yearless_parameter_are_ignored(units: dict) -> None:
    _set(units["330600"], DEADLINE, "20")
    _set(units["330600"], DEADLINE, "40", year=2026)  # not possible through the admin, ignored anyway
    assert param(DEADLINE, units["330602001"], 2026) == 20


@pytest.mark.parametrize("year", [None, 2026])
def test_one_query_per_call(units: dict, django_assert_num_queries: Any, year: int | None) -> None:
    station = units["330602001"]
    with django_assert_num_queries(1):
        param(DIBAO, station, year)  # nothing set
    _set(units["330600"], DIBAO, "1100")
    _set(units["330602"], DIBAO, "1150", year=2026)
    _set(station, DIBAO, "1180")
    with django_assert_num_queries(1):
        assert param(DIBAO, station, year) == Decimal("1180")


@pytest.mark.parametrize(("key", "raw", "message"), [
    (DEADLINE, "三十", "“信访办结时限”应为整数，收到“三十”。"),
    (DEADLINE, "30.5", "应为整数"),
    (DEADLINE, "", "应为整数"),
    (DEADLINE, "0", "“信访办结时限”不能小于1，收到“0”。"),
    ("clock.due_soon_days", "-1", "不能小于0"),
    (DIBAO, "1,100", "“城市低保标准”应为数字，收到“1,100”。"),
    (DIBAO, "NaN", "应为数字"),
    (DIBAO, "Infinity", "应为数字"),
    (DIBAO, "0", "不能小于1"),
    ("petition.deadline_in_working_days", "也许", "“办结时限按工作日计算”应为是/否，收到“也许”。"),
])
def test_invalid_values_are_refused_in_chinese(key: str, raw: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_parameter(key, raw)
    assert message in " ".join(caught.value.messages)


def test_valid_values_pass_and_unknown_keys_do_not() -> None:
    for key, raw in [(DEADLINE, " 45 "), (DIBAO, "1234.50"), ("petition.deadline_in_working_days", "是"),
                     ("petition.deadline_in_working_days", "false"), ("clock.due_soon_days", "0")]:
        validate_parameter(key, raw)
    with pytest.raises(ValidationError, match="未知参数"):
        validate_parameter("no.such.key", "1")


def test_every_default_is_a_valid_value() -> None:
    for spec in SPECS.values():
        assert spec.parse(str(spec.default)) == spec.default, spec.key


def _add(client: Any, **data: Any) -> Any:
    return client.post("/admin/servicecenter/parameter/add/", {"note": "", "year": "", **data})


def test_admin_refuses_a_bad_value(units: dict, client_for: Any) -> None:
    admin = client_for("sysadmin")
    assert admin.get("/admin/servicecenter/parameter/add/").status_code == 200
    response = _add(admin, key=DEADLINE, org_unit=units["330602"].pk, value="三十天")
    assert response.status_code == 200
    assert "“信访办结时限”应为整数，收到“三十天”。" in response.content.decode()
    response = _add(admin, key=DEADLINE, org_unit=units["330602"].pk, value="30", year="2026")
    assert response.status_code == 200
    assert "该参数不分年度，请留空。" in response.content.decode()
    assert not Parameter.objects.exists()
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.PARAMETER).exists()


def test_admin_saves_a_good_value_and_audits_it(units: dict, users: dict, client_for: Any) -> None:
    admin = client_for("sysadmin")
    response = _add(admin, key=DIBAO, org_unit=units["330602"].pk, value="1250.00", year="2026")
    assert response.status_code == 302
    saved = Parameter.objects.get()
    assert (saved.key, saved.org_unit, saved.year, saved.value) == (DIBAO, units["330602"], 2026, "1250.00")
    assert saved.changed_by == users["sysadmin"]
    event = AuditEvent.objects.get(event=AuditEvent.Event.PARAMETER)
    assert event.username == "sysadmin" and DIBAO in event.detail and "1250.00" in event.detail
    assert param(DIBAO, units["330602001"], 2026) == Decimal("1250.00")


@pytest.mark.parametrize("username", ["auditor", "city_sup", "s11_clerk"])
def test_only_the_system_administrator_edits_parameters(username: str, units: dict, client_for: Any) -> None:
    response = _add(client_for(username), key=DEADLINE, org_unit=units["330602"].pk, value="10")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not Parameter.objects.exists()
