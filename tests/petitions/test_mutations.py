"""Item 7: tests that fail on the mutations that used to survive the suite — each test names the
mutation it kills. Dates are pinned with ``freeze`` (the kernel clock reads ``timezone.now``).

- the reopen window: ``<=`` the window (``>`` in the refusal) turned into ``<`` (``>=``);
- overdue: the kernel clock's ``late_from <= today`` (the due day is not overdue, the day after is)
  turned into ``<`` — checked on every reader: the case, the list filter, the dashboard count, the
  register's 逾期 column and the month's figures;
- the month's 月末逾期未办结 count at the month's last day;
- the satisfaction rate counting 不满意 as satisfied;
- ``TaskTarget.is_overdue`` always false.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from petitions import services
from petitions.models import Petition
from petitions.summary import dashboard_section, month_summary, monthly_figures
from petitions.workflow import within_reopen_window
from tests.petitions.conftest import make_petition, set_param

REPORT = services.CompletionReport("a", "b", "c", "d")
TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


# --- the reopen window ----------------------------------------------------------------------------------


def test_reopen_on_the_last_day_of_the_window_and_not_the_day_after(users, units, person, category, freeze):
    """Kills ``<= window`` → ``< window``: on day N (window N) reopening is still allowed."""
    set_param(units["330602"], "petition.reopen_within_days", "10")
    closed_on = datetime.date(2026, 3, 2)
    freeze(at(closed_on))
    p = make_petition(users["s11_clerk"], person, category)
    services.petition_close(petition=p, by=users["s11_clerk"], report=REPORT)
    freeze(at(closed_on + datetime.timedelta(days=10), hour=23))
    p.refresh_from_db()
    assert within_reopen_window(p)
    freeze(at(closed_on + datetime.timedelta(days=11), hour=0))
    assert not within_reopen_window(p)
    with pytest.raises(ValidationError, match="办结已超过10天"):
        services.petition_reopen(petition=p, by=users["d1_sup"], reason="复查")
    freeze(at(closed_on + datetime.timedelta(days=10)))
    services.petition_reopen(petition=p, by=users["d1_sup"], reason="复查")
    p.refresh_from_db()
    assert p.status == Petition.Status.OPEN


# --- overdue: the due day is not overdue, the day after is ----------------------------------------------------


def _register_overdue(client) -> list:
    response = client.get("/petitions/export.xlsx")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    header = list(rows[2])
    return [r[header.index("逾期")] == "是" for r in rows[3:] if isinstance(r[0], int)]  # numbered rows


@pytest.mark.parametrize(("days_after_due", "overdue"), [(0, False), (1, True)])
def test_overdue_from_the_day_after_the_due_date_everywhere(client_for, users, person, category, freeze,
                                                           days_after_due, overdue):
    """Kills ``late_from <= today`` → ``<`` (and a ``late_from = due`` instead of ``due + 1``): on the
    due day nothing says overdue; on the day after, the case, the list, the dashboard, the register
    and the month's figures all do."""
    received = datetime.date(2026, 3, 2)
    freeze(at(received))
    p = make_petition(users["s11_clerk"], person, category)
    day = p.due_date + datetime.timedelta(days=days_after_due)
    freeze(at(day))
    p.refresh_from_db()
    assert p.is_overdue is overdue and (p.days_overdue == 1) is overdue
    client = client_for("s11_clerk")
    listed = client.get("/petitions/", {"deadline": "overdue"}).context["rows"]
    assert (p in listed) is overdue
    assert dashboard_section(users["s11_clerk"]).context["overdue_count"] == int(overdue)
    assert _register_overdue(client_for("d1_sup")) == [overdue]
    figures = monthly_figures(users["s11_clerk"].org_unit, day.replace(day=1), day)
    assert figures["overdue_open"] == int(overdue)


def test_closed_on_the_due_day_is_on_time_and_the_day_after_is_late(users, person, category, freeze):
    received = datetime.date(2026, 3, 2)
    freeze(at(received))
    on_time = make_petition(users["s11_clerk"], person, category)
    late = make_petition(users["s11_clerk"], person, category)
    freeze(at(on_time.due_date, hour=17))
    services.petition_close(petition=on_time, by=users["s11_clerk"], report=REPORT)
    freeze(at(late.due_date + datetime.timedelta(days=1), hour=9))
    services.petition_close(petition=late, by=users["s11_clerk"], report=REPORT)
    on_time.refresh_from_db()
    late.refresh_from_db()
    assert not on_time.was_overdue and late.was_overdue
    month = late.due_date.replace(day=1)
    figures = monthly_figures(users["s11_clerk"].org_unit, month, month.replace(day=28))
    assert figures["closed"] == 2 and figures["closed_on_time"] == 1 and figures["on_time_rate"] == 50


# --- the month's overdue count -------------------------------------------------------------------------------


def test_month_end_overdue_counts_open_cases_late_by_the_last_day(users, person, category, freeze):
    """Kills an ``overdue_open`` counted at the wrong day (``last`` + 1, or today), by ``<`` instead
    of ``<=``, or counting cases closed within the month."""
    clerk = users["s11_clerk"]
    set_param(clerk.org_unit, "clock.roll_to_working_day", "0")
    set_param(clerk.org_unit, "petition.deadline_days", "10")
    # March 2026 ends on Tuesday the 31st.
    freeze(at(datetime.date(2026, 3, 21)))
    due_on_last_day = make_petition(clerk, person, category)  # due 31 March: not late in March
    freeze(at(datetime.date(2026, 3, 20)))
    due_the_day_before = make_petition(clerk, person, category)  # due 30 March: late from 31 March
    freeze(at(datetime.date(2026, 3, 10)))
    closed_late_in_march = make_petition(clerk, person, category)  # due 20 March
    closed_late_in_april = make_petition(clerk, person, category)  # due 20 March, closed 2 April
    assert (due_on_last_day.due_date, due_the_day_before.due_date) == (datetime.date(2026, 3, 31),
                                                                        datetime.date(2026, 3, 30))
    freeze(at(datetime.date(2026, 3, 25)))
    services.petition_close(petition=closed_late_in_march, by=clerk, report=REPORT)
    freeze(at(datetime.date(2026, 4, 2)))
    services.petition_close(petition=closed_late_in_april, by=clerk, report=REPORT)
    march = month_summary(clerk.org_unit, 2026, 3)
    assert march["overdue_open"] == 2  # due the day before the month's end, and the one closed in April
    assert month_summary(clerk.org_unit, 2026, 4)["overdue_open"] == 2  # still open and late: both due in March


# --- the satisfaction rate ------------------------------------------------------------------------------------


def test_the_satisfaction_rate_counts_satisfied_and_fairly_only(users, person, category):
    """Kills a rate that counts 不满意 as satisfied (or leaves 基本满意 out)."""
    clerk = users["s11_clerk"]
    for satisfaction in ("satisfied", "fairly", "unsatisfied", "unsatisfied"):
        p = make_petition(clerk, person, category)
        services.petition_close(petition=p, by=clerk, report=REPORT)
        services.followup_record(follow_up=services.pending_follow_up(p), by=clerk, method="phone",
                                 satisfaction=satisfaction, comment="不认可" if satisfaction == "unsatisfied" else "")
    today = timezone.localdate()
    summary = month_summary(clerk.org_unit, today.year, today.month)
    assert (summary["follow_ups"], summary["satisfied"], summary["fairly"], summary["unsatisfied"]) == (4, 1, 1, 2)
    assert summary["satisfied_or_fairly"] == 2 and summary["satisfaction_rate"] == 50


# --- a task's report overdue ----------------------------------------------------------------------------------


def test_a_task_target_is_overdue_after_its_date_and_stays_so_when_reported_late(client_for, users, units, freeze):
    """Kills ``TaskTarget.is_overdue`` always false: unreported after the date, or reported late."""
    freeze(at(datetime.date(2026, 3, 2)))
    task = services.task_create(by=users["d1_sup"], title="节前欠薪排查", content="排查", due_date=datetime.date(2026, 3, 5),
                                units=[units["330602001"], units["330602002"]])
    early, late = task.targets.get(org_unit=units["330602001"]), task.targets.get(org_unit=units["330602002"])
    freeze(at(datetime.date(2026, 3, 5)))
    services.task_report(target=early, by=users["s11_clerk"], result="排查12家")
    early.refresh_from_db()
    assert not early.is_overdue and not late.is_overdue  # the report date itself is not late
    freeze(at(datetime.date(2026, 3, 6)))
    late.refresh_from_db()
    assert late.is_overdue and not early.is_overdue
    body = client_for("d1_sup").get(f"/petitions/tasks/{task.pk}/").content.decode()
    assert body.count('data-testid="target-overdue"') == 1
    services.task_report(target=late, by=users["s12_clerk"], result="排查8家")
    late.refresh_from_db()
    assert late.is_overdue  # reported late: it stays marked
