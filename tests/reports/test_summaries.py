"""The rules of the monthly summary: order (no submit before the children, re-open top-down),
refusals of bad input that change nothing, frozen figures and hash, adjustment lines, lateness
and the on-time rate."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petitions.models import Petition
from servicecenter import figures, rollups
from servicecenter import summaries as sm
from servicecenter.figures import Period
from servicecenter.models import AuditEvent, MonthlySummary
from tests.reports.conftest import at, put_follow_up, put_petition

S = MonthlySummary.Status
TEXT = {"work_done": "本月接待来访，办结事项。", "problems": "", "next_plan": "继续做好接待。"}
D = datetime.timedelta


def start(unit, month, by):
    return sm.summary_start(unit=unit, year=month.year, month=month.month_number, by=by)


def submit(unit, month, by):
    return sm.summary_submit(summary=start(unit, month, by), by=by, **TEXT)


def state(summary):
    fresh = MonthlySummary.objects.get(pk=summary.pk)
    return model_to_dict(fresh), fresh.events.count(), AuditEvent.objects.count()


@pytest.fixture
def freeze(monkeypatch):
    def _freeze(when: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: when)

    return _freeze


# --- Order --------------------------------------------------------------------------------------------


def test_a_district_submits_only_after_each_station_is_accepted_or_waived(ctx):
    u, m, users = ctx.units, ctx.month, ctx.users
    district = start(u["330602"], m, users["d1_sup"])
    before = state(district)
    with pytest.raises(ValidationError) as refused:
        sm.summary_submit(summary=district, by=users["d1_sup"], **TEXT)
    message = " ".join(refused.value.messages)
    assert "府山街道工会服务站（未填报）" in message and "塔山街道工会服务站（未填报）" in message
    assert state(district) == before

    station = submit(u["330602001"], m, users["s11_worker"])
    with pytest.raises(ValidationError, match="府山街道工会服务站（已报送待审核）"):
        sm.summary_submit(summary=district, by=users["d1_sup"], **TEXT)
    sm.summary_accept(summary=station, by=users["d1_sup"])
    sm.summary_waive(unit=u["330602002"], year=m.year, month=m.month_number, by=users["d1_sup"], reason="站点装修停业")
    sm.summary_submit(summary=district, by=users["d1_sup"], **TEXT)
    assert MonthlySummary.objects.get(pk=district.pk).status == S.SUBMITTED
    waived = MonthlySummary.objects.get(org_unit=u["330602002"], year=m.year, month=m.month_number)
    assert waived.events.get(kind="waive").note == "站点装修停业"


def _accepted_chain(ctx):
    """府山站 accepted by 越城区, 塔山站 waived, 越城区 accepted by the city."""
    u, m, users = ctx.units, ctx.month, ctx.users
    station = submit(u["330602001"], m, users["s11_worker"])
    sm.summary_accept(summary=station, by=users["d1_sup"])
    sm.summary_waive(unit=u["330602002"], year=m.year, month=m.month_number, by=users["d1_sup"], reason="停业")
    district = submit(u["330602"], m, users["d1_sup"])
    sm.summary_accept(summary=district, by=users["city_sup"])
    return station, district


def test_re_opening_goes_top_down_only_and_needs_a_reason(ctx):
    users = ctx.users
    station, district = _accepted_chain(ctx)
    before = state(station)
    with pytest.raises(ValidationError, match="越城区职工服务中心的.*月度汇总已审核：须先由其上级重新打开"):
        sm.summary_reopen(summary=station, by=users["d1_sup"], reason="补录")
    assert state(station) == before
    with pytest.raises(ValidationError) as no_reason:
        sm.summary_reopen(summary=district, by=users["city_sup"], reason="  ")
    assert no_reason.value.message_dict == {"reason": ["重新打开须写明理由。"]}

    sm.summary_reopen(summary=district, by=users["city_sup"], reason="府山站漏报一件群体性信访")
    sm.summary_reopen(summary=station, by=users["d1_sup"], reason="补录漏报的群体性信访")
    station.refresh_from_db()
    district.refresh_from_db()
    assert station.status == S.RETURNED and district.status == S.RETURNED
    # The district cannot submit again until its station is accepted again.
    with pytest.raises(ValidationError, match="府山街道工会服务站（退回修改）"):
        sm.summary_submit(summary=district, by=users["d1_sup"], **TEXT)
    # The reason is kept in the history, with the hash that was frozen.
    event = station.events.get(kind="reopen")
    assert event.note == "补录漏报的群体性信访" and event.data["sha256"] == station.sha256


def test_no_role_bypasses_the_order(ctx):
    """The city's supervisor leads everything below, yet accepts only the districts' summaries."""
    u, m, users = ctx.units, ctx.month, ctx.users
    station = submit(u["330602001"], m, users["s11_worker"])
    before = state(station)
    with pytest.raises(ValidationError, match="只有上级单位（越城区职工服务中心）可以审核"):
        sm.summary_accept(summary=station, by=users["city_sup"])
    with pytest.raises(Http404):  # the other district does not even see it
        sm.summary_accept(summary=station, by=users["d2_sup"])
    assert state(station) == before
    other = start(u["330602002"], m, users["s12_worker"])
    before = state(other)
    with pytest.raises(PermissionDenied):  # a district supervisor does not submit a station's summary
        sm.summary_submit(summary=other, by=users["d1_sup"], **TEXT)
    assert state(other) == before


# --- Bad input -----------------------------------------------------------------------------------------


def test_a_month_that_has_not_ended_cannot_be_submitted(ctx):
    today = timezone.localdate()
    this_month = Period.containing(today)
    summary = start(ctx.units["330602001"], this_month, ctx.users["s11_worker"])
    before = state(summary)
    with pytest.raises(ValidationError, match=f"{today.year}年{today.month}月尚未结束"):
        sm.summary_submit(summary=summary, by=ctx.users["s11_worker"], **TEXT)
    assert state(summary) == before
    with pytest.raises(ValidationError, match="尚未开始"):
        start(ctx.units["330602001"], this_month.next().next() if today.day > 27 else Period.containing(
            today + D(40)), ctx.users["s11_worker"])


def test_editing_a_submitted_or_accepted_summary_is_refused(ctx):
    u, m, users = ctx.units, ctx.month, ctx.users
    summary = submit(u["330602001"], m, users["s11_worker"])
    before = state(summary)
    with pytest.raises(ValidationError, match="已报送，等待上级审核，不能修改"):
        sm.summary_edit(summary=summary, by=users["s11_worker"], work_done="改")
    sm.summary_accept(summary=summary, by=users["d1_sup"])
    before = state(summary)
    with pytest.raises(ValidationError, match="已审核，数据已冻结，不能修改"):
        sm.summary_edit(summary=summary, by=users["s11_worker"], work_done="改")
    assert state(summary) == before


def test_returning_needs_a_reason_at_the_field(ctx):
    summary = submit(ctx.units["330602001"], ctx.month, ctx.users["s11_worker"])
    before = state(summary)
    with pytest.raises(ValidationError) as refused:
        sm.summary_return(summary=summary, by=ctx.users["d1_sup"], reason="")
    assert refused.value.message_dict == {"reason": ["退回须写明理由。"]}
    assert state(summary) == before


def test_submitting_needs_the_account_of_the_work(ctx):
    summary = start(ctx.units["330602001"], ctx.month, ctx.users["s11_worker"])
    before = state(summary)
    with pytest.raises(ValidationError) as refused:
        sm.summary_submit(summary=summary, by=ctx.users["s11_worker"], work_done=" ")
    assert refused.value.message_dict == {"work_done": ["请填写本月工作开展情况。"]}
    assert state(summary) == before


def test_a_unit_outside_the_chain_files_nothing(ctx):
    with pytest.raises(ValidationError, match="不需要报送月度汇总"):
        sm.summary_waive(unit=ctx.units["330600I01"], year=ctx.month.year, month=ctx.month.month_number,
                         by=ctx.users["city_sup"], reason="x")
    assert not MonthlySummary.objects.exists()


# --- Frozen figures ------------------------------------------------------------------------------------


def test_the_hash_is_the_sha256_of_the_canonical_form(ctx):
    summary = submit(ctx.units["330602001"], ctx.month, ctx.users["s11_worker"])
    sm.summary_accept(summary=summary, by=ctx.users["d1_sup"])
    summary.refresh_from_db()
    text = json.dumps({"unit": "330602001", "period": ctx.month.key, "figures": summary.figures,
                       "adjustments": summary.adjustments}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert summary.sha256 == hashlib.sha256(text.encode()).hexdigest() == figures.digest(sm.payload(summary))
    assert sm.verify(summary)
    assert figures.canonical({"b": Decimal("1.50"), "a": [1, None]}) == '{"a":[1,null],"b":"1.50"}'


def test_the_model_refuses_to_rewrite_accepted_figures(ctx):
    summary = submit(ctx.units["330602001"], ctx.month, ctx.users["s11_worker"])
    sm.summary_accept(summary=summary, by=ctx.users["d1_sup"])
    summary = MonthlySummary.objects.get(pk=summary.pk)
    summary.figures["values"]["petitions"]["received"] = 999
    with pytest.raises(ValueError, match="已审核，数据已冻结"):
        summary.save()
    summary = MonthlySummary.objects.get(pk=summary.pk)
    summary.sha256 = "0" * 64
    with pytest.raises(ValueError, match="已审核，数据已冻结"):
        summary.save()


EDITS = st.lists(st.tuples(st.sampled_from(["new", "close", "backdate", "move", "follow_up", "delete"]),
                           st.integers(0, 27), st.integers(0, 5)), min_size=1, max_size=8)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS)
def test_records_edited_at_random_after_acceptance_never_move_the_frozen_figures(ctx, edits):
    u, m, users, people = ctx.units, ctx.month, ctx.users, ctx.people
    by = users["s11_clerk"]
    MonthlySummary.objects.all().delete()
    Petition.objects.all().delete()
    for i in range(4):
        put_petition(u["330602001"], people[i], at(m.first + D(i * 3)), closed=at(m.first + D(i * 3 + 2)) if i % 2 else None,
                     by=by)
    station = submit(u["330602001"], m, users["s11_worker"])
    sm.summary_accept(summary=station, by=users["d1_sup"])
    station.refresh_from_db()
    frozen, sha = json.loads(json.dumps(station.figures)), station.sha256

    for kind, day, who in edits:
        when = at(m.first + D(day))
        petitions = list(Petition.objects.filter(org_unit=u["330602001"]).order_by("pk"))
        target = petitions[who % len(petitions)] if petitions else None
        if kind == "new" or target is None:
            put_petition(u["330602001"], people[who], when, by=by)
        elif kind == "close":
            Petition.objects.filter(pk=target.pk).update(closed_at=when, status="closed", stopped_on=when.date())
        elif kind == "backdate":
            Petition.objects.filter(pk=target.pk).update(received_at=when - D(31))
        elif kind == "move":
            Petition.objects.filter(pk=target.pk).update(org_unit=u["330602002"])
        elif kind == "follow_up":
            put_follow_up(target, when, "unsatisfied", by)
        else:
            target.follow_ups.all().delete()
            target.delete()

    station = MonthlySummary.objects.get(pk=station.pk)
    assert station.figures == frozen and station.sha256 == sha and sm.verify(station)
    view = rollups.month_view(station.org_unit, m, station)
    assert view.shown == figures.from_json(frozen["values"])  # the page shows the frozen figures


# --- Adjustment lines ----------------------------------------------------------------------------------


def test_a_record_back_dated_into_an_accepted_month_is_an_adjustment_line_in_the_next_month(ctx):
    u, users, people, by = ctx.units, ctx.users, ctx.people, ctx.users["s11_clerk"]
    earlier = ctx.month.previous()
    put_petition(u["330602001"], people[0], at(earlier.first + D(3)), by=by)
    first = submit(u["330602001"], earlier, users["s11_worker"])
    sm.summary_accept(summary=first, by=users["d1_sup"])
    first.refresh_from_db()
    assert first.figures["values"]["petitions"]["received"] == 1

    # Registered late, back-dated into the accepted month (a new person, a group petition).
    put_petition(u["330602001"], people[1], at(earlier.first + D(10)), group=True, by=by)
    first.refresh_from_db()
    assert first.figures["values"]["petitions"]["received"] == 1  # frozen

    nxt = submit(u["330602001"], ctx.month, users["s11_worker"])
    nxt.refresh_from_db()
    [line] = nxt.adjustments
    assert line["period"] == earlier.key and line["against"] == first.sha256
    changes = {c["code"]: (c["before"], c["after"], c["delta"]) for c in line["changes"]}
    assert changes["received"] == (1, 2, 1) and changes["group"] == (0, 1, 1) and changes["complainants"] == (1, 2, 1)
    assert changes["closure_rate"][2] is None  # a rate is shown corrected, not as a difference

    # Reported once: a later summary does not repeat it, but a further change shows on its own.
    assert sm.adjustments(u["330602001"], ctx.month.next()) == []
    put_petition(u["330602001"], people[2], at(earlier.first + D(12)), by=by)
    [again] = sm.adjustments(u["330602001"], ctx.month.next())
    assert {c["code"]: c["delta"] for c in again["changes"] if c["delta"] is not None} == {"received": 1,
                                                                                          "complainants": 1}


def test_a_returned_summary_shows_the_differences_figure_by_figure_before_it_is_sent_again(ctx):
    u, users, people = ctx.units, ctx.users, ctx.people
    put_petition(u["330602001"], people[0], at(ctx.month.first + D(2)), by=users["s11_clerk"])
    summary = submit(u["330602001"], ctx.month, users["s11_worker"])
    sm.summary_return(summary=summary, by=users["d1_sup"], reason="漏登一件来信")
    put_petition(u["330602001"], people[1], at(ctx.month.first + D(4)), channel="letter", by=users["s11_clerk"])
    summary.refresh_from_db()
    view = rollups.month_view(summary.org_unit, ctx.month, summary)
    changes = {(c.figure.code, c.old, c.new) for c in view.changes}
    assert ("received", 1, 2) in changes and ("complainants", 1, 2) in changes
    sm.summary_submit(summary=summary, by=users["s11_worker"], **TEXT)
    summary.refresh_from_db()
    assert summary.figures["values"]["petitions"]["received"] == 2


# --- Lateness and the on-time rate ----------------------------------------------------------------------


def test_lateness_and_the_on_time_rate(ctx, freeze):
    u, users = ctx.units, ctx.users
    month = Period.month(2025, 3)
    tz = timezone.get_current_timezone()
    assert sm.due_date(u["330602001"], month) == datetime.date(2025, 4, 5)
    assert sm.due_date(u["330602"], month) == datetime.date(2025, 4, 10)  # one level to review
    assert sm.due_date(u["330600"], month) == datetime.date(2025, 4, 15)

    freeze(datetime.datetime(2025, 4, 3, 9, tzinfo=tz))
    on_time = submit(u["330602001"], month, users["s11_worker"])
    freeze(datetime.datetime(2025, 4, 8, 9, tzinfo=tz))
    late = submit(u["330602002"], month, users["s12_worker"])
    sm.summary_return(summary=late, by=users["d1_sup"], reason="请补充说明")
    freeze(datetime.datetime(2025, 4, 9, 9, tzinfo=tz))
    sm.summary_submit(summary=late, by=users["s12_worker"], **TEXT)
    for s in (on_time, late):
        sm.summary_accept(summary=s, by=users["d1_sup"])
    roll = rollups.rollup(u["330602"], month, today=datetime.date(2025, 4, 9))
    status = {r.unit.code: (r.timeliness.late, r.timeliness.missing) for r in roll.rows}
    assert status == {"330602001": (False, False), "330602002": (True, False)}
    district = submit(u["330602"], month, users["d1_sup"])
    district.refresh_from_db()
    assert district.figures["values"]["servicecenter"] == {
        "units_due": 2, "units_on_time": 1, "units_late": 1, "units_waived": 0, "on_time_rate": "50.0"}

    # The other district has not filed and its due day has passed: missing and late for the city.
    freeze(datetime.datetime(2025, 4, 12, 9, tzinfo=tz))
    city = rollups.rollup(u["330600"], month, today=datetime.date(2025, 4, 12))
    assert {r.unit.code for r in city.late} == {r.unit.code for r in city.missing} == {"330604"}  # its children
    assert {r.unit.code for r in city.rows if r.timeliness.late} == {"330602002", "330604", "330604001", "330604002"}
    values = sm.reporting_table(sm.Chain.of(u["330600"]), [u["330600"]], [month],
                                today=datetime.date(2025, 4, 12))[(u["330600"].pk, 0)]
    # Below the city: 府山 on time, 塔山 late, 越城区 on time (4-9 ≤ 4-10); 上虞区 and its stations late.
    assert values == {"units_due": 6, "units_on_time": 2, "units_late": 4, "units_waived": 0,
                      "on_time_rate": Decimal("33.3")}
