"""Follow-up visits (回访) and the supervisor's review of 不满意, notices to employers (建议书 /
整改书) with their responses and overdue flag, and tasks assigned from above (交办事项)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from petitions import services
from petitions.models import FollowUp, Notice, Petition, TaskTarget
from petitions.selectors import reviews_awaiting
from tests.petitions.conftest import make_petition

TODAY = timezone.localdate
REPORT = services.CompletionReport("事实", "依据", "结果", "无异议")


@pytest.fixture
def closed(users, petition):
    return services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)


def follow_up(p):
    return FollowUp.objects.get(petition=p, status="pending")


# --- follow-up ---------------------------------------------------------------------------------------


def test_closing_creates_a_follow_up_task_recorded_once(users, closed):
    fu = follow_up(closed)
    services.followup_record(follow_up=fu, by=users["s11_clerk"], method="phone", satisfaction="satisfied")
    fu.refresh_from_db()
    assert fu.status == "done" and fu.done_by == users["s11_clerk"] and fu.done_at is not None
    with pytest.raises(ValidationError, match="已回访"):
        services.followup_record(follow_up=fu, by=users["s11_clerk"], method="phone", satisfaction="satisfied")
    assert not reviews_awaiting(users["d1_sup"]).exists()


@pytest.mark.parametrize(("method", "satisfaction", "comment", "field"), [
    ("fax", "satisfied", "", "method"),
    ("phone", "so-so", "", "satisfaction"),
    ("on_site", "unsatisfied", " ", "comment"),
])
def test_follow_up_refusals(users, closed, method, satisfaction, comment, field):
    with pytest.raises(ValidationError) as info:
        services.followup_record(follow_up=follow_up(closed), by=users["s11_clerk"], method=method,
                                 satisfaction=satisfaction, comment=comment)
    assert list(info.value.error_dict) == [field]
    assert follow_up(closed).status == "pending"


def test_unsatisfied_goes_to_the_supervisor_who_may_keep_it_closed(users, closed, client_for):
    fu = follow_up(closed)
    services.followup_record(follow_up=fu, by=users["s11_clerk"], method="on_site", satisfaction="unsatisfied",
                             comment="补偿金额不足")
    assert list(reviews_awaiting(users["d1_sup"])) == [fu]
    assert list(reviews_awaiting(users["city_sup"])) == []  # the city does not lead the station
    assert list(reviews_awaiting(users["s11_clerk"])) == []
    assert fu in client_for("d1_sup").get("/petitions/follow-ups/").context["reviews"]
    with pytest.raises(PermissionDenied):
        services.followup_review(follow_up=fu, by=users["s11_clerk"], reopen=False, note="x")
    with pytest.raises(ValidationError, match="复核意见"):
        services.followup_review(follow_up=fu, by=users["d1_sup"], reopen=False, note="")
    services.followup_review(follow_up=fu, by=users["d1_sup"], reopen=False, note="已按法定标准足额支付")
    fu.refresh_from_db()
    assert fu.review == "kept" and Petition.objects.get(pk=closed.pk).status == "closed"
    assert list(reviews_awaiting(users["d1_sup"])) == []
    with pytest.raises(ValidationError, match="无需复核"):
        services.followup_review(follow_up=fu, by=users["d1_sup"], reopen=True, note="x")


def test_unsatisfied_review_can_reopen(users, closed):
    fu = follow_up(closed)
    services.followup_record(follow_up=fu, by=users["s11_clerk"], method="phone", satisfaction="unsatisfied",
                             comment="没解决")
    services.followup_review(follow_up=fu, by=users["d1_sup"], reopen=True, note="重新核实")
    p = Petition.objects.get(pk=closed.pk)
    assert p.status == "open" and p.reopen_count == 1
    assert "回访不满意" in p.events.get(kind="reopen").note
    # Closing again makes a new follow-up task.
    services.petition_close(petition=p, by=users["s11_clerk"], report=REPORT)
    assert FollowUp.objects.filter(petition=p, status="pending").count() == 1


def test_pending_follow_ups_are_listed(client_for, closed):
    assert [fu.petition_id for fu in client_for("s11_clerk").get("/petitions/follow-ups/").context["pending"]] == [
        closed.pk]


# --- notices -------------------------------------------------------------------------------------------


def test_rectification_notice_with_deadline_and_response(users, petition, client_for):
    clerk = users["s11_clerk"]
    deadline = TODAY() + datetime.timedelta(days=15)
    notice = services.notice_issue(petition=petition, by=clerk, kind="rectification",
                                   content="限期补发拖欠工资", basis="《工资支付暂行规定》第七条", deadline=deadline)
    year = TODAY().year
    assert notice.number == f"ZG-330602001-{year}-00001" and notice.employer == petition.employer
    suggestion = services.notice_issue(petition=petition, by=clerk, kind="suggestion", content="建议建立工资台账")
    assert suggestion.number == f"JY-330602001-{year}-00001"
    assert not notice.is_overdue
    services.notice_record_response(notice=notice, by=clerk, response="已补发", responded_on=TODAY())
    notice.refresh_from_db()
    assert notice.status == "responded"
    with pytest.raises(ValidationError, match="已登记该单位的回复"):
        services.notice_record_response(notice=notice, by=clerk, response="again", responded_on=TODAY())
    pdf = client_for("s11_clerk").get(f"/petitions/{petition.pk}/notices/{notice.pk}/print.pdf").content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "职工维权整改书" in text and petition.employer.name in text and "限期补发拖欠工资" in text


@pytest.mark.parametrize(("kind", "deadline_days", "message"), [
    ("rectification", None, "须规定整改期限"),
    ("rectification", 0, "期限应晚于发出日期"),
    ("warning", 5, "请选择文书种类"),
])
def test_notice_refusals(users, petition, kind, deadline_days, message):
    deadline = None if deadline_days is None else TODAY() + datetime.timedelta(days=deadline_days)
    with pytest.raises(ValidationError, match=message):
        services.notice_issue(petition=petition, by=users["s11_clerk"], kind=kind, content="x", deadline=deadline)
    assert not Notice.objects.exists()


def test_notice_needs_an_employer_and_an_open_case(users, person, category, petition):
    bare = make_petition(users["s11_clerk"], person, category)
    with pytest.raises(ValidationError, match="未登记涉及单位"):
        services.notice_issue(petition=bare, by=users["s11_clerk"], kind="suggestion", content="x")
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    with pytest.raises(ValidationError, match="不能发出通知书"):
        services.notice_issue(petition=petition, by=users["s11_clerk"], kind="suggestion", content="x")


def test_overdue_notice_is_flagged(users, petition, freeze, client_for):
    notice = services.notice_issue(petition=petition, by=users["s11_clerk"], kind="rectification", content="整改",
                                   deadline=TODAY() + datetime.timedelta(days=3))
    freeze(timezone.localtime() + datetime.timedelta(days=5))
    notice.refresh_from_db()
    assert notice.is_overdue
    listed = client_for("s11_clerk").get("/petitions/notices/", {"overdue": "1"})
    assert [n.pk for n in listed.context["page"]] == [notice.pk]
    assert "逾期未回复" in listed.content.decode()
    with pytest.raises(ValidationError, match="不能早于发出日期"):
        services.notice_record_response(notice=notice, by=users["s11_clerk"], response="x",
                                        responded_on=notice.issued_on - datetime.timedelta(days=1))


def test_bad_notice_response_on_the_page_is_reported(client_for, users, petition):
    notice = services.notice_issue(petition=petition, by=users["s11_clerk"], kind="suggestion", content="建议")
    client = client_for("s11_clerk")
    response = client.post(f"/petitions/{petition.pk}/notices/{notice.pk}/response/",
                           {"response": "", "responded_on": "2999-01-01"}, follow=True)
    assert response.status_code == 200 and "请填写单位回复。" in response.content.decode()
    assert Notice.objects.get().status == "issued"


# --- tasks from above -------------------------------------------------------------------------------------


def test_district_assigns_a_task_to_stations_and_sees_every_station_status(client_for, users, units):
    d1 = client_for("d1_sup")
    due = (TODAY() + datetime.timedelta(days=10)).isoformat()
    response = d1.post("/petitions/tasks/new/", {"title": "节前欠薪排查", "content": "排查辖区企业欠薪情况并报告",
                                                 "due_date": due,
                                                 "units": [units["330602001"].pk, units["330602002"].pk]})
    assert response.status_code == 302
    target = TaskTarget.objects.get(org_unit=units["330602001"])
    station = client_for("s11_clerk")
    assert [t.pk for t in station.get("/petitions/tasks/").context["received"]] == [target.pk]
    page = station.get(f"/petitions/tasks/{target.task_id}/")
    assert [t.org_unit.code for t in page.context["targets"]] == ["330602001"]  # only its own part
    assert station.post(f"/petitions/tasks/targets/{target.pk}/report/", {"result": "排查企业32家，无欠薪"}).status_code == 302
    target.refresh_from_db()
    assert target.status == "reported" and target.reported_by == users["s11_clerk"]
    sender_view = d1.get(f"/petitions/tasks/{target.task_id}/")
    assert [(t.org_unit.code, t.status) for t in sender_view.context["targets"]] == [
        ("330602001", "reported"), ("330602002", "pending")]
    assert sender_view.context["done"] == 1
    city = client_for("city_sup").get(f"/petitions/tasks/{target.task_id}/")
    assert len(city.context["targets"]) == 2
    assert client_for("s21_clerk").get(f"/petitions/tasks/{target.task_id}/").status_code == 404


def test_task_refusals(users, units):
    d1 = users["d1_sup"]
    due = TODAY() + datetime.timedelta(days=3)
    for units_, message in [([], "请选择承办单位"), ([units["330604001"]], "只能交办给本单位下级"),
                            ([units["330602"]], "只能交办给本单位下级")]:
        with pytest.raises(ValidationError, match=message):
            services.task_create(by=d1, title="t", content="c", due_date=due, units=units_)
    with pytest.raises(ValidationError, match="不能早于今天"):
        services.task_create(by=d1, title="t", content="c", due_date=TODAY() - datetime.timedelta(days=1),
                             units=[units["330602001"]])
    task = services.task_create(by=d1, title="t", content="c", due_date=due, units=[units["330602001"]])
    target = task.targets.get()
    with pytest.raises(PermissionDenied):  # only the receiving unit reports
        services.task_report(target=target, by=d1, result="x")
    with pytest.raises(ValidationError, match="办理结果"):
        services.task_report(target=target, by=users["s11_clerk"], result="")
    services.task_report(target=target, by=users["s11_worker"], result="已完成")
    with pytest.raises(ValidationError, match="已报告"):
        services.task_report(target=target, by=users["s11_clerk"], result="again")


def test_station_cannot_send_tasks(client_for, users, units):
    response = client_for("s11_clerk").post("/petitions/tasks/new/", {
        "title": "t", "content": "c", "due_date": TODAY().isoformat(), "units": [units["330602002"].pk]})
    assert response.status_code == 200 and "units" in response.context["form"].errors
    assert client_for("s11_clerk").get("/petitions/tasks/").context["can_send"] is False
