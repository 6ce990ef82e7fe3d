"""Deadlines: acceptance + petition.deadline_days in calendar or working days (across the 2026
National Day holiday and its adjusted working Saturday), pauses that push the due date, one
supervisor extension, the overdue and due-soon lists, and overdue staying marked after closing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from petitions import services
from petitions.filters import PetitionFilter
from petitions.models import Petition
from petitions.selectors import petitions_for
from servicecenter.workdays import add_working_days
from tests.petitions.conftest import make_petition, set_param

D = datetime.date
RECEIVED = datetime.datetime(2026, 9, 28, 10, 0)  # Monday before the National Day holiday
REPORT = services.CompletionReport("事实", "依据", "结果", "无异议")


@pytest.fixture
def working_days(units):
    set_param(units["330602"], "petition.deadline_in_working_days", "是")


def at(freeze, day, hour=10):
    freeze(datetime.datetime.combine(day, datetime.time(hour)))


def received(users, person, category, freeze, **kwargs):
    freeze(RECEIVED)
    return make_petition(users["s11_clerk"], person, category, received_at=RECEIVED, **kwargs)


def test_calendar_days_by_default(users, person, category, freeze):
    p = received(users, person, category, freeze)
    assert not p.in_working_days and p.due_date == D(2026, 10, 28)


def test_working_days_across_national_day(users, person, category, freeze, working_days):
    p = received(users, person, category, freeze)
    # 9/29, 9/30, (10/1–10/7 holiday), 10/8, 10/9, Saturday 10/10 worked, then 25 more → 13 November.
    assert p.in_working_days and p.due_date == D(2026, 11, 13)
    assert add_working_days(D(2026, 9, 28), 5) == D(2026, 10, 10)


def test_deadline_days_parameter_of_the_unit_applies(users, units, person, category, freeze, working_days):
    set_param(units["330602001"], "petition.deadline_days", "5")
    p = received(users, person, category, freeze)
    assert p.due_date == D(2026, 10, 10)


def test_pause_over_the_holiday_pushes_the_due_date_by_working_days(users, person, category, freeze, working_days):
    p = received(users, person, category, freeze)
    at(freeze, D(2026, 9, 30))
    services.petition_pause(petition=p, by=users["s11_clerk"], reason="等待工伤认定结论")
    p.refresh_from_db()
    assert p.paused_since == D(2026, 9, 30) and not p.is_overdue
    at(freeze, D(2026, 10, 9))
    services.petition_resume(petition=p, by=users["s11_clerk"])
    p.refresh_from_db()
    # Paused 10/1–10/9: only 10/8 and 10/9 were working days.
    assert p.paused_days == 2 and p.paused_since is None and p.due_date == D(2026, 11, 17)
    assert "暂停2个工作日" in p.events.get(kind="resume").note


def test_pause_in_calendar_days(users, person, category, freeze):
    p = received(users, person, category, freeze)
    at(freeze, D(2026, 9, 30))
    services.petition_pause(petition=p, by=users["s11_clerk"], reason="等待材料")
    at(freeze, D(2026, 10, 9))
    services.petition_resume(petition=p, by=users["s11_clerk"])
    p.refresh_from_db()
    assert p.paused_days == 9 and p.due_date == D(2026, 11, 6)


def test_pause_refusals(users, person, category, freeze):
    p = received(users, person, category, freeze)
    clerk = users["s11_clerk"]
    with pytest.raises(ValidationError, match="计时未暂停"):
        services.petition_resume(petition=p, by=clerk)
    with pytest.raises(ValidationError, match="暂停理由"):
        services.petition_pause(petition=p, by=clerk, reason="")
    services.petition_pause(petition=p, by=clerk, reason="等待材料")
    with pytest.raises(ValidationError, match="计时已于2026-09-28暂停"):
        services.petition_pause(petition=p, by=clerk, reason="again")
    with pytest.raises(ValidationError, match="请先恢复计时"):
        services.petition_close(petition=p, by=clerk, report=REPORT)
    services.petition_resume(petition=p, by=clerk)
    services.petition_close(petition=p, by=clerk, report=REPORT)
    with pytest.raises(ValidationError, match="不能暂停计时"):
        services.petition_pause(petition=p, by=clerk, reason="x")


def test_one_extension_by_a_supervisor_in_working_days(users, person, category, freeze, working_days):
    p = received(users, person, category, freeze)
    at(freeze, D(2026, 11, 10))
    with pytest.raises(Exception) as denied:
        services.petition_extend(petition=p, by=users["s11_clerk"], days=5, reason="x")
    assert denied.type.__name__ == "PermissionDenied"
    services.petition_extend(petition=p, by=users["d1_sup"], days=10, reason="等待仲裁结果")
    p.refresh_from_db()
    assert p.extension_days == 10 and p.due_date == D(2026, 11, 27)
    with pytest.raises(ValidationError, match="已延期一次"):
        services.petition_extend(petition=p, by=users["d1_sup"], days=1, reason="again")


def test_extension_limit_comes_from_the_parameter(users, units, person, category, freeze):
    set_param(units["330600"], "petition.extension_max_days", "15")
    p = received(users, person, category, freeze)
    for days, message in [(16, "不能超过15天"), (0, "至少为1")]:
        with pytest.raises(ValidationError, match=message):
            services.petition_extend(petition=p, by=users["d1_sup"], days=days, reason="x")
    with pytest.raises(ValidationError, match="延期理由"):
        services.petition_extend(petition=p, by=users["d1_sup"], days=15, reason=" ")
    services.petition_extend(petition=p, by=users["d1_sup"], days=15, reason="复杂")
    p.refresh_from_db()
    assert p.due_date == D(2026, 11, 12)


def listed(user, **query):
    qs = PetitionFilter(query, queryset=petitions_for(user), user=user).qs
    return set(qs.values_list("number", flat=True))


def test_overdue_and_due_soon_lists_and_overdue_stays_after_closing(users, units, person, category, freeze):
    set_param(units["330602"], "clock.due_soon_days", "5")
    clerk = users["s11_clerk"]
    late = received(users, person, category, freeze)  # due 10/28
    at(freeze, D(2026, 10, 5))
    soon = make_petition(clerk, person, category)  # due 11/4
    at(freeze, D(2026, 10, 25))
    assert listed(clerk, deadline="due_soon") == {late.number}
    assert listed(clerk, deadline="overdue") == set()
    at(freeze, D(2026, 10, 30))
    assert listed(clerk, deadline="overdue") == {late.number}
    assert listed(clerk, deadline="due_soon") == {soon.number}
    services.petition_close(petition=late, by=clerk, report=REPORT)
    late.refresh_from_db()
    assert late.was_overdue and late.is_overdue
    assert "逾期办结" in late.events.get(kind="close").note
    # Closed late: off the open 已逾期 list, on the 逾期办结 list, still marked overdue.
    assert listed(clerk, deadline="overdue") == set()
    assert listed(clerk, deadline="overdue_closed") == {late.number}
    # Reopening does not wash the mark off.
    services.petition_reopen(petition=late, by=users["d1_sup"], reason="复查")
    assert listed(clerk, deadline="overdue") == {late.number}
    services.petition_close(petition=late, by=clerk, report=REPORT)
    assert Petition.objects.get(pk=late.pk).was_overdue


def test_the_deadline_lists_come_most_urgent_first(users, person, category, freeze):
    clerk = users["s11_clerk"]
    at(freeze, D(2026, 9, 1))
    older = make_petition(clerk, person, category)  # due 10/1
    at(freeze, D(2026, 9, 10))
    newer = make_petition(clerk, person, category)  # due 10/12 (10/10 is a worked Saturday? rolls)
    at(freeze, D(2026, 11, 20))
    qs = PetitionFilter({"deadline": "overdue"}, queryset=petitions_for(clerk), user=clerk).qs
    assert [p.number for p in qs] == [older.number, newer.number]
    qs = PetitionFilter({"deadline": "overdue", "ordering": "-received"}, queryset=petitions_for(clerk), user=clerk).qs
    assert [p.number for p in qs] == [newer.number, older.number]  # the user's own sorting wins


def test_closed_on_time_is_not_overdue(users, person, category, freeze):
    p = received(users, person, category, freeze)
    at(freeze, D(2026, 10, 28), hour=17)  # on the due date itself
    services.petition_close(petition=p, by=users["s11_clerk"], report=REPORT)
    p.refresh_from_db()
    assert not p.was_overdue and not p.is_overdue


def test_paused_case_is_not_listed_overdue(users, person, category, freeze):
    p = received(users, person, category, freeze)
    at(freeze, D(2026, 10, 20))
    services.petition_pause(petition=p, by=users["s11_clerk"], reason="等待鉴定")
    at(freeze, D(2026, 11, 20))
    assert listed(users["s11_clerk"], deadline="overdue") == set()
    assert listed(users["s11_clerk"], deadline="paused") == {p.number}
