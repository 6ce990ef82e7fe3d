"""The limitation guard: one year to arbitrate (wage arrears while employed: not limited; once
employment ends, a year from the end), 15 days to sue after an award, the urgent queue at
``legalaid.limitation_urgent_days`` (30) days — tested at 29, 30 and 31 — and the date errors."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from legalaid import services
from legalaid.filters import ApplicationFilter
from legalaid.limitation import add_months, compute
from legalaid.models import Application, Matter
from legalaid.selectors import applications_for
from servicecenter.inbox import inbox_for
from servicecenter.workdays import Calendar
from tests.legalaid.conftest import intake, set_param

D = datetime.date
TODAY = D(2026, 6, 8)  # a Monday: 29, 30 and 31 days later are Tuesday to Thursday
NO_HOLIDAYS = Calendar.of({})


def test_one_year_from_the_day_the_dispute_arose():
    lim = compute(matter=Matter.DISMISSAL, dispute_arose_on=D(2025, 6, 10), employment_ended_on=None,
                  award_served_on=None, calendar=NO_HOLIDAYS)
    assert lim.arbitration_ends == D(2026, 6, 10) and lim.ends == D(2026, 6, 10) and lim.suit_ends is None


def test_wage_arrears_while_employed_are_not_limited_and_run_from_the_end_of_employment():
    employed = compute(matter=Matter.WAGES, dispute_arose_on=D(2023, 1, 5), employment_ended_on=None,
                       award_served_on=None, calendar=NO_HOLIDAYS)
    assert employed.ends is None and "不受仲裁时效限制" in employed.basis
    ended = compute(matter=Matter.WAGES, dispute_arose_on=D(2023, 1, 5), employment_ended_on=D(2025, 9, 3),
                    award_served_on=None, calendar=NO_HOLIDAYS)
    assert ended.ends == D(2026, 9, 3) and "劳动关系终止" in ended.basis


def test_fifteen_days_to_sue_after_the_award_is_served():
    lim = compute(matter=Matter.WAGES, dispute_arose_on=D(2026, 1, 5), employment_ended_on=D(2026, 1, 5),
                  award_served_on=D(2026, 6, 1), calendar=NO_HOLIDAYS)
    assert lim.suit_ends == D(2026, 6, 16) and lim.ends == D(2026, 6, 16) and lim.arbitration_ends == D(2027, 1, 5)


def test_a_period_ending_on_a_day_off_ends_on_the_next_working_day():
    # 2026-10-01 … 10-07 off: a year from 2025-10-03 ends on Thursday 2026-10-08.
    national_day = {D(2026, 10, 1) + datetime.timedelta(days=i): "holiday" for i in range(7)}
    lim = compute(matter=Matter.CONTRACT, dispute_arose_on=D(2025, 10, 3), employment_ended_on=None,
                  award_served_on=None, calendar=Calendar.of(national_day))
    assert lim.ends == D(2026, 10, 8)


def test_the_corresponding_day_or_the_month_end():
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2025, 12, 15), -12) == D(2024, 12, 15)


def test_the_lengths_are_parameters(users, units, applicant, employer, freeze):
    set_param(units["330602"], "legalaid.arbitration_limitation_months", "6")
    freeze(TODAY)
    a = intake(users["s11_clerk"], applicant, employer, matter=Matter.DISMISSAL, dispute_arose_on=D(2026, 3, 2))
    assert a.limitation_ends_on == D(2026, 9, 2)


@pytest.mark.parametrize(("days_left", "urgent"), [(29, True), (30, True), (31, False)])
def test_the_urgent_queue_at_29_30_and_31_days(users, applicant, employer, freeze, days_left, urgent):
    freeze(TODAY)
    ends = TODAY + datetime.timedelta(days=days_left)
    assert ends.weekday() < 5  # no roll-over muddles the count
    a = intake(users["s11_clerk"], applicant, employer, matter=Matter.DISMISSAL, dispute_arose_on=add_months(ends, -12))
    assert a.limitation_ends_on == ends and a.limitation_days_left == days_left
    # The list's 时效紧急 filter, the page's tag, and the top of the reviewer's inbox.
    listed = ApplicationFilter({"deadline": "urgent"}, queryset=applications_for(users["s11_clerk"]),
                               user=users["s11_clerk"]).qs
    assert (a in listed) is urgent
    items = inbox_for(users["s11_clerk"])
    mine = [i for i in items if i.title == a.number]
    assert len(mine) == 1 and mine[0].urgent is urgent
    if urgent:
        assert items[0].title == a.number and "时效紧急" in items[0].kind


def test_an_urgent_application_goes_before_older_ones_in_the_inbox(users, applicant, employer, freeze):
    clerk = users["s11_clerk"]
    freeze(TODAY - datetime.timedelta(days=5))
    older = intake(clerk, applicant, employer, matter=Matter.CONTRACT)
    freeze(TODAY)
    urgent = intake(clerk, applicant, employer, matter=Matter.DISMISSAL,
                    dispute_arose_on=add_months(TODAY + datetime.timedelta(days=10), -12))
    titles = [i.title for i in inbox_for(clerk) if i.app == "法律援助"]
    assert titles.index(urgent.number) < titles.index(older.number)


def test_the_threshold_is_a_parameter(users, units, applicant, employer, freeze):
    set_param(units["330602"], "legalaid.limitation_urgent_days", "10")
    freeze(TODAY)
    a = intake(users["s11_clerk"], applicant, employer, matter=Matter.DISMISSAL,
               dispute_arose_on=add_months(TODAY + datetime.timedelta(days=20), -12))
    assert not [i for i in inbox_for(users["s11_clerk"]) if i.title == a.number and i.urgent]


def test_an_award_recorded_in_the_case_starts_the_window_to_sue(users, applicant, employer, freeze, lawyers):
    from tests.legalaid.conftest import bring

    freeze(TODAY)
    a = intake(users["s11_clerk"], applicant, employer, matter=Matter.DISMISSAL, dispute_arose_on=D(2026, 3, 2))
    a = bring(a, Application.Status.ASSIGNED, users, lawyers["chen"])
    services.application_progress(application=a, by=users["s11_clerk"], kind="award", on=D(2026, 6, 8),
                                  document="越劳人仲案字〔2026〕第88号裁决书")
    a.refresh_from_db()
    assert a.award_served_on == D(2026, 6, 8) and a.limitation_ends_on == D(2026, 6, 23)
    assert a.arbitration_limit_on == D(2027, 3, 2)
    assert "起诉期限至2026-06-23" in a.events.last().note
    assert any(i.title == a.number for i in inbox_for(users["s11_clerk"])) is False  # assigned: not under review
    assert a in ApplicationFilter({"deadline": "urgent"}, queryset=applications_for(users["s11_clerk"]),
                                  user=users["s11_clerk"]).qs


@pytest.mark.parametrize(("field", "overrides", "message"), [
    ("dispute_arose_on", {"dispute_arose_on": TODAY + datetime.timedelta(days=1)}, "争议发生日不能晚于今天。"),
    ("employment_ended_on", {"employment_ended_on": TODAY + datetime.timedelta(days=3)}, "劳动关系终止日不能晚于今天。"),
    ("award_served_on", {"award_served_on": TODAY + datetime.timedelta(days=1)}, "仲裁裁决书送达日不能晚于今天。"),
    ("award_served_on", {"dispute_arose_on": D(2026, 5, 1), "award_served_on": D(2026, 4, 1)},
     "仲裁裁决书送达日不能早于争议发生日。"),
    ("dispute_arose_on", {"dispute_arose_on": None, "award_served_on": D(2026, 4, 1)}, "请同时填写争议发生日"),
])
def test_dates_in_the_future_or_out_of_order_are_refused_at_the_field(users, applicant, employer, freeze, field,
                                                                    overrides, message):
    freeze(TODAY)
    before = Application.objects.count()
    with pytest.raises(ValidationError) as caught:
        intake(users["s11_clerk"], applicant, employer, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert Application.objects.count() == before


def test_the_page_shows_the_limitation_and_its_basis(users, applicant, employer, freeze, client_for):
    freeze(TODAY)
    a = intake(users["s11_clerk"], applicant, employer, matter=Matter.WAGES, employment_ended_on=D(2025, 6, 30))
    body = client_for("s11_clerk").get(a.get_absolute_url()).content.decode()
    assert "2026-06-30届满" in body and "剩22天" in body and "时效紧急" in body
    assert "拖欠劳动报酬：自劳动关系终止之日起12个月内申请仲裁" in body
