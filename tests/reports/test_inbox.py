"""待办 on the demo data: exactly what waits for each demo account — the summaries to accept, to
resubmit and to file, the pending approvals and each app's items (petitions, legal aid and
mediation, jobs) — oldest due first, each through the access policy."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from funds.models import Grant
from hardship.models import CityReport, HardshipFile
from jobs.models import Recruiter, Referral
from legalaid.models import Application, Mediation
from petitions.models import Escalation, FollowUp
from servicecenter import demo
from servicecenter.access import leading_unit
from servicecenter.figures import last_ended_month
from servicecenter.inbox import InboxItem, inbox_for
from servicecenter.models import Approval, MonthlySummary, User
from servicecenter.parameters import param

# The counter staff handle legal aid, mediation and job referrals (DOMAIN §1).
COUNTER_STAFF = {"clerk", "worker", "supervisor"}
DAY = datetime.timedelta(days=1)


@pytest.fixture
def demo_data(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def expected_summaries(username: str) -> set[tuple[str, str]]:
    last = last_ended_month().label
    return {
        "d1_sup": {("月度汇总待审核", f"府山街道工会服务站 {last}"), ("月度汇总待报送", f"越城区职工服务中心 {last}")},
        "city_sup": {("月度汇总待审核", f"上虞区职工服务中心 {last}"), ("月度汇总待备案", f"绍兴市职工服务中心 {last}")},
        "s12_worker": {("月度汇总退回待重报", f"塔山街道工会服务站 {last}")},
    }.get(username, set())


def expected_others(user: User) -> set[tuple[str, str]]:
    """Written from the records, not from the selectors: what a supervisor of this unit decides,
    and what the counter staff have to do in legal aid and jobs."""
    roles = {r.value for r in user.roles}
    out: set[tuple[str, str]] = set()
    if "supervisor" in roles:
        out |= {(a.kind_label, str(a.target)) for a in Approval.objects.filter(status="pending", org_unit=user.org_unit)}
        out |= {("群体性/紧急信访待签收", e.petition.number)
                for e in Escalation.objects.filter(org_unit=user.org_unit, acknowledged_at__isnull=True)}
        out |= {("回访不满意待复核", f.petition.number)
                for f in FollowUp.objects.filter(satisfaction="unsatisfied", review="")
                if leading_unit(f.petition.org_unit).pk == user.org_unit_id}
    if roles & COUNTER_STAFF:
        out |= expected_legal_aid(user) | expected_jobs(user) | expected_hardship(user)
    if roles & COUNTER_STAFF:
        out |= {("救助申请待核实", str(g)) for g in Grant.objects.filter(org_unit=user.org_unit, status="applied")}
    if "cashier" in roles:  # the cashier pays the approved grants of the unit and the units below
        out |= {("救助待发放", str(g)) for g in Grant.objects.filter(
            org_unit__path__startswith=user.org_unit.path, status="approved")}
    if "supervisor" in roles:  # the approver: holds lapsing within 7 days at the units the user leads
        soon = timezone.localdate() + DAY * 7
        out |= {("救助冻结即将到期", str(g)) for g in Grant.objects.filter(status="approved", hold_expires_on__lt=soon)
                if leading_unit(g.org_unit).pk == user.org_unit_id}
    if "supervisor" in roles:
        out |= {("区县审批档案待确认备案", f"{r.org_unit} {r.files.count()}份")
                for r in CityReport.objects.filter(status="open", org_unit__parent_id=user.org_unit_id)}
    return out


def expected_hardship(user: User) -> set[tuple[str, str]]:
    """Files of the user's own unit: applications to review, notices over (to submit for
    approval), archived files whose yearly review is due."""
    today = timezone.localdate()
    own = HardshipFile.objects.filter(org_unit=user.org_unit)
    out = {("困难职工申请待审核", str(f)) for f in own.filter(status="applied")}
    out |= {("公示期满待报送审批", str(f)) for f in own.filter(status="notice", notice_due_date__lt=today)}
    out |= {("在档困难职工待复核", str(f)) for f in own.filter(status="archived", recheck_due__lte=today)}
    return out


def expected_legal_aid(user: User) -> set[tuple[str, str]]:
    """Applications the user handles that are not yet decided (urgent when the limitation ends
    within ``legalaid.limitation_urgent_days``), grants below the user's unit waiting for a lawyer,
    open mediations below it past their limit whose parties have not been told."""
    today = timezone.localdate()
    below = {"org_unit__path__startswith": user.org_unit.path}
    urgent_by = today + DAY * param("legalaid.limitation_urgent_days", user.org_unit)
    waiting = {"draft": "法律援助申请待补全", "review": "法律援助申请待审查", "supplement": "法律援助申请待补充材料"}
    out = set()
    for a in Application.objects.filter(handler=user, status__in=waiting, **below):
        kind = waiting[a.status]
        if a.limitation_ends_on is not None and a.limitation_ends_on <= urgent_by:
            kind = f"时效紧急（{a.limitation_ends_on:%Y-%m-%d}届满）：{kind}"
        out.add((kind, a.number))
    out |= {("已批准援助，待指派律师", a.number) for a in Application.objects.filter(status="granted", **below)}
    # Past the limit: the day after the due date has come and the clock has not stopped.
    out |= {("调解期满未达成协议，待告知可申请仲裁", m.number)
            for m in Mediation.objects.filter(status="open", parties_notified_on__isnull=True,
                                              limit_late_from__lte=today, limit_stopped_on__isnull=True, **below)}
    return out


def expected_jobs(user: User) -> set[tuple[str, str]]:
    """The referrals the user's own unit made: hires whose follow-up is late or due within the
    due-soon days, and referrals older than ``jobs.outcome_reminder_days`` without an outcome; the
    recruiters below the user's unit with papers waiting for verification."""
    today = timezone.localdate()
    own = Referral.objects.filter(org_unit=user.org_unit)
    soon = today + DAY * param("clock.due_soon_days", user.org_unit)
    out = {("就业回访", r.number) for r in own.filter(follow_up_due__lte=soon, followed_up_on__isnull=True)}
    reminder = today - DAY * param("jobs.outcome_reminder_days", user.org_unit)
    out |= {("推荐结果待反馈", r.number)
            for r in own.filter(status__in=["referred", "interviewed"], referred_on__lte=reminder)}
    out |= {("用工单位证件待核验", r.employer.name)
            for r in Recruiter.objects.filter(org_unit__path__startswith=user.org_unit.path,
                                              status__in=["pending", "suspended"], papers__isnull=False).distinct()}
    return out


@pytest.mark.parametrize("username", [spec.username for spec in demo.ACCOUNTS])
def test_the_inbox_shows_exactly_what_waits_for_each_demo_user(demo_data, username):
    user = User.objects.get(username=username)
    items = inbox_for(user)
    got = {(i.kind, i.title) for i in items}
    assert {x for x in got if x[0].startswith("月度汇总")} == expected_summaries(username)
    assert {x for x in got if not x[0].startswith("月度汇总")} == expected_others(user)
    assert len(got) == len(items)  # nothing twice
    assert [i.sort_key() for i in items] == sorted(i.sort_key() for i in items)  # oldest due first
    for item in items:
        assert item.url.startswith("/")


def test_the_demo_has_each_state_a_user_acts_on(demo_data):
    last = last_ended_month()
    states = dict(MonthlySummary.objects.filter(year=last.year, month=last.month_number)
                  .values_list("org_unit__code", "status"))
    assert states == {"330602001": "submitted", "330602002": "returned", "330604001": "accepted",
                      "330604002": "accepted", "330604": "submitted"}
    before = last.previous()
    assert set(MonthlySummary.objects.filter(year=before.year, month=before.month_number)
               .values_list("status", flat=True)) == {"accepted"}
    # The demo's approved grant: its hold lapses within the week (the approver's inbox item).
    assert Grant.objects.filter(status="approved", hold_expires_on__lt=timezone.localdate() + DAY * 7).count() == 1


def test_an_item_whose_record_is_out_of_scope_is_not_shown(demo_data, monkeypatch):
    """The inbox re-checks the records the items name against the access policy."""
    from servicecenter import registry

    outside = MonthlySummary.objects.filter(org_unit__code="330604").first()
    leak = InboxItem(kind="泄露测试", title="上虞区", url="/x/", since=outside.created_at, record=outside)
    import dataclasses

    app = registry.service_app("petitions")
    original = app.inbox
    monkeypatch.setitem(registry._APPS, "petitions",
                        dataclasses.replace(app, inbox=lambda user: [*original(user), leak]))
    d1 = User.objects.get(username="d1_sup")
    assert "泄露测试" not in {i.kind for i in inbox_for(d1)}
    city = User.objects.get(username="city_sup")
    assert "泄露测试" in {i.kind for i in inbox_for(city)}
