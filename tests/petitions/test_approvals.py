"""Leadership, approvals and the inbox (servicecenter/approvals.py, inbox.py), through the petitions
app's two request kinds (延期申请, 重新办理申请) and a kind with a second level."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from petitions import services
from petitions.models import Petition
from servicecenter import access, approvals
from servicecenter.inbox import inbox_for as inbox_with_summaries
from servicecenter.models import Approval, AuditEvent, User
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles
from tests.conftest import make_person
from tests.petitions.conftest import make_petition


def inbox_for(user: User) -> list:
    """The inbox without the monthly summaries' items (a supervisor's own month to file is always
    there; tests/reports/test_inbox.py covers those)."""
    return [i for i in inbox_with_summaries(user) if i.app != "月度汇总"]

REPORT = services.CompletionReport("事实", "依据", "结果", "满意")


@pytest.fixture
def case(users, category):
    return make_petition(users["s11_clerk"], make_person(users["s11_clerk"]), category)


def second_supervisor(units, code="330602") -> User:
    user = User.objects.create(username=f"sup2_{code}", full_name="第二审批人", org_unit=units[code])
    staff_set_roles(user=user, roles=[Role.SUPERVISOR])
    return User.objects.get(pk=user.pk)


def test_leadership_a_station_is_led_by_its_district_a_district_by_itself(units):
    assert access.leading_unit(units["330602001"]) == units["330602"]
    assert access.leading_unit(units["330602"]) == units["330602"]
    assert access.leading_unit(units["330600"]) == units["330600"]
    assert access.escalation_units(units["330602001"]) == [units["330602"], units["330600"]]
    assert access.escalation_units(units["330600"]) == [units["330600"]]


def test_an_extension_request_waits_for_the_district_supervisor_who_approves_it(case, users):
    due = case.due_date
    services.petition_request_extension(petition=case, by=users["s11_clerk"], days=10, reason="等待工伤认定结论")
    request = Approval.objects.get()
    assert (request.status, request.org_unit.code, request.level, request.data) == ("pending", "330602", 1, {"days": 10})
    assert [i.kind for i in inbox_for(users["d1_sup"])] == ["延期申请"]
    assert inbox_for(users["city_sup"]) == []  # the city does not lead the station
    services.petition_decide_extension(petition=case, by=users["d1_sup"], approve=True)
    case.refresh_from_db()
    assert case.due_date == due + datetime.timedelta(days=10) or case.due_date > due
    assert case.extension_days == 10
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", users["d1_sup"])
    assert inbox_for(users["d1_sup"]) == []
    assert AuditEvent.objects.filter(action="petitions.extension.approved").exists()


def test_a_refusal_needs_a_reason_and_moves_nothing(case, users):
    services.petition_request_extension(petition=case, by=users["s11_clerk"], days=10, reason="等待鉴定")
    due = case.due_date
    with pytest.raises(ValidationError, match="须写明理由"):
        services.petition_decide_extension(petition=case, by=users["d1_sup"], approve=False, note=" ")
    assert Approval.objects.get().status == "pending"
    services.petition_decide_extension(petition=case, by=users["d1_sup"], approve=False, note="材料已齐，不需延期")
    case.refresh_from_db()
    assert case.due_date == due and case.extension_days == 0
    assert Approval.objects.get().status == "rejected"


def test_nobody_decides_their_own_request(case, users, units):
    supervisor = users["d1_sup"]
    # A district case: the district supervisor handles it and asks for more time himself.
    own = make_petition(supervisor, make_person(supervisor, units["330602"]), case.category, org_unit=units["330602"])
    services.petition_request_extension(petition=own, by=supervisor, days=5, reason="需补充调查")
    with pytest.raises(ValidationError, match="不能审批本人申请"):
        services.petition_decide_extension(petition=own, by=supervisor, approve=True)
    assert Approval.objects.get().status == "pending"
    other = second_supervisor(units)
    services.petition_decide_extension(petition=own, by=other, approve=True)
    assert Approval.objects.get().status == "approved"


def test_only_the_deciding_unit_decides(case, users):
    services.petition_request_extension(petition=case, by=users["s11_clerk"], days=5, reason="等待鉴定")
    request = Approval.objects.get()
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(approval=request, by=users["city_sup"], decision="approved")
    with pytest.raises(ValidationError):  # the workflow guard says so first, with the reason
        services.petition_decide_extension(petition=case, by=users["city_sup"], approve=True)
    assert Approval.objects.get().status == "pending"


def test_a_second_request_of_the_same_kind_waits_for_the_first(case, users):
    services.petition_request_extension(petition=case, by=users["s11_clerk"], days=5, reason="等待鉴定")
    with pytest.raises(ValidationError, match="已有待审批"):
        services.petition_request_extension(petition=case, by=users["s11_worker"], days=6, reason="再等等")
    assert Approval.objects.count() == 1


def test_a_rule_can_require_the_level_above(case, users, monkeypatch):
    """An approval kind whose rule escalates (e.g. an amount above the unit's threshold) opens the
    next level's request when the first approves; only the last approval is final."""
    big = approvals.ApprovalKind("petitions.probe", "大额审批", Petition, "petitions.extend",
                                 escalate_above=lambda obj, data: data.get("amount", 0) > 1000)
    monkeypatch.setattr(approvals, "_kinds", lambda: {big.code: big})
    first = approvals.approval_request(code=big.code, target=case, by=users["s11_clerk"], note="救助",
                                       data={"amount": 5000})
    decided = approvals.approval_decide(approval=first, by=users["d1_sup"], decision="approved")
    assert not decided.final
    second = Approval.objects.get(status="pending")
    assert (second.level, second.org_unit.code) == (2, "330600")
    with pytest.raises(PermissionDenied):
        approvals.approval_decide(approval=second, by=users["d1_sup"], decision="approved")
    assert approvals.approval_decide(approval=second, by=users["city_sup"], decision="approved").final
    small = approvals.approval_request(code=big.code, target=make_petition(users["s11_clerk"], case.person,
                                                                           case.category),
                                       by=users["s11_clerk"], note="救助", data={"amount": 500})
    assert approvals.approval_decide(approval=small, by=users["d1_sup"], decision="approved").final


def test_a_reopen_request_is_decided_by_the_leading_supervisor(case, users):
    services.petition_close(petition=case, by=users["s11_clerk"], report=REPORT)
    services.petition_request_reopen(petition=case, by=users["s11_clerk"], reason="职工反映工资仍未到账")
    assert [i.kind for i in inbox_for(users["d1_sup"])] == ["重新办理申请"]
    services.petition_decide_reopen(petition=case, by=users["d1_sup"], approve=True)
    case.refresh_from_db()
    assert case.status == "open" and case.reopen_count == 1


def test_the_inbox_lists_oldest_due_first_in_a_fixed_number_of_queries(users, category, django_assert_max_num_queries,
                                                                     freeze):
    clerk, d1 = users["s11_clerk"], users["d1_sup"]
    person = make_person(clerk)
    freeze(timezone.now() - datetime.timedelta(days=10))
    old = make_petition(clerk, person, category)
    freeze(timezone.now() + datetime.timedelta(days=10))
    new = make_petition(clerk, person, category, headcount=8)  # a group case: an escalation too
    services.petition_request_extension(petition=new, by=clerk, days=3, reason="等待")
    services.petition_request_extension(petition=old, by=clerk, days=3, reason="等待")
    items = inbox_for(d1)
    assert [i.title for i in items][:1] == [new.number]  # the urgent escalation first
    extension_titles = [i.title for i in items if i.kind == "延期申请"]
    assert extension_titles == [old.number, new.number]  # the earlier due date first
    from servicecenter import registry

    # A few queries per installed app at most, and not one more for more items (below).
    with django_assert_max_num_queries(4 + 4 * len(registry.service_apps())) as counted:
        inbox_for(d1)
    for _ in range(5):
        extra = make_petition(clerk, person, category)
        services.petition_request_extension(petition=extra, by=clerk, days=3, reason="等待")
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert len(inbox_for(d1)) == len(items) + 5


def test_the_inbox_page_shows_each_item_with_its_link(client_for, case, users):
    services.petition_request_extension(petition=case, by=users["s11_clerk"], days=3, reason="等待鉴定")
    page = client_for("d1_sup").get("/inbox/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "延期申请" in body and f'href="/petitions/{case.pk}/"' in body
    assert client_for("s11_clerk").get("/inbox/").context["items"] == []
    assert client_for("sysadmin").get("/inbox/").status_code == 403
