"""The wage floor: the local minimum wage, monthly for full-time and hourly for part-time postings,
per area tier and dated (parameters), at / below / above; inverted ranges; nothing saved on refusal."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jobs import services
from jobs.models import Posting
from jobs.wages import minimum_wage
from tests.jobs.conftest import posting_data, set_param

D = Decimal


@pytest.mark.parametrize(("employment_type", "wage_min", "ok"), [
    ("full", "2280.00", True),   # at the floor (tier 1 default)
    ("full", "2279.99", False),  # a cent below
    ("full", "2281.00", True),   # above
    ("part", "22.00", True),
    ("part", "21.99", False),
    ("part", "30.00", True),
])
def test_the_floor_is_the_minimum_wage_monthly_or_hourly(clerk, recruiter, employment_type, wage_min, ok):
    data = posting_data(clerk.org_unit, employment_type=employment_type, wage_min=D(wage_min),
                        wage_max=D(wage_min) + D("10"))
    before = Posting.objects.count()
    if ok:
        services.posting_create(by=clerk, recruiter=recruiter, **data)
        assert Posting.objects.count() == before + 1
        return
    with pytest.raises(ValidationError) as caught:
        services.posting_create(by=clerk, recruiter=recruiter, **data)
    message = caught.value.message_dict["wage_min"][0]
    unit = "元/小时" if employment_type == "part" else "元/月"
    floor = "22.00" if employment_type == "part" else "2280.00"
    assert "低于最低工资" in message and "第1档" in message and floor in message and unit in message
    assert Posting.objects.count() == before


def test_the_tier_of_the_work_area_decides(clerk, recruiter, units):
    station = units["330604001"]
    set_param(units["330604"], "jobs.min_wage_tier", "2")  # the district and everything below it
    assert minimum_wage(station, datetime.date(2026, 5, 1), "full").amount == D("2070.00")
    assert minimum_wage(units["330602001"], datetime.date(2026, 5, 1), "full").amount == D("2280.00")
    data = posting_data(station, wage_min=D("2100.00"), wage_max=D("2500.00"))
    posting = services.posting_create(by=clerk, recruiter=recruiter, **data)  # fine in tier 2
    assert posting.pk
    with pytest.raises(ValidationError) as caught:
        services.posting_create(by=clerk, recruiter=recruiter, **posting_data(units["330602001"],
                                wage_min=D("2100.00"), wage_max=D("2500.00")))
    assert "2280.00" in caught.value.message_dict["wage_min"][0]


def test_a_new_standard_applies_from_its_month(units):
    city = units["330600"]
    set_param(city, "jobs.min_wage.monthly.1", "2490.00", year=2026)
    set_param(city, "jobs.min_wage.since_month", "8", year=2026)
    set_param(city, "jobs.min_wage.monthly.1", "2280.00", year=2025)
    station = units["330602001"]
    assert minimum_wage(station, datetime.date(2026, 7, 31), "full").amount == D("2280.00")  # last year's
    august = minimum_wage(station, datetime.date(2026, 8, 1), "full")
    assert august.amount == D("2490.00") and august.since == datetime.date(2026, 8, 1)


def test_an_inverted_range_is_refused_at_the_upper_end(clerk, recruiter):
    with pytest.raises(ValidationError) as caught:
        services.posting_create(by=clerk, recruiter=recruiter,
                                **posting_data(clerk.org_unit, wage_min=D("5000"), wage_max=D("4000")))
    assert "不能低于下限" in caught.value.message_dict["wage_max"][0]
    assert not Posting.objects.exists()


def test_a_hire_below_the_minimum_wage_is_refused(clerk, posting, seeker):
    referral = services.referral_create(by=clerk, seeker=seeker, posting=posting)
    with pytest.raises(ValidationError) as caught:
        services.referral_hire(referral=referral, by=clerk, start_date=referral.referred_on, wage=D("2000"))
    assert "低于" in caught.value.message_dict["wage"][0]
    referral.refresh_from_db()
    assert referral.status == "referred"
