"""Every state change of a petition, and every refused one: a refusal is a Chinese
ValidationError and leaves the row, the timeline and the audit log exactly as they were."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from django.utils import timezone

from petitions import services
from petitions.models import FollowUp, Petition, PetitionEvent
from petitions.workflow import PETITION_FLOW
from servicecenter.access import get_visible_or_404
from servicecenter.models import AuditEvent
from tests.petitions.conftest import make_petition

TODAY = timezone.localdate
REPORT = services.CompletionReport("拖欠工资属实。", "《劳动合同法》第三十条。", "公司已支付全部工资。", "满意，无异议。")


def snapshot(petition):
    petition = Petition.objects.get(pk=petition.pk)
    return (model_to_dict(petition), PetitionEvent.objects.filter(petition=petition).count(),
            AuditEvent.objects.count(), FollowUp.objects.filter(petition=petition).count())


def refused(call, message, petition):
    before = snapshot(petition)
    with pytest.raises(ValidationError) as info:
        call()
    assert message in " ".join(info.value.messages)
    assert snapshot(petition) == before
    return info.value


def events(petition):
    return list(PetitionEvent.objects.filter(petition=petition).values_list("kind", flat=True))


# --- answer on the spot --------------------------------------------------------------------------


def test_answer_on_the_spot_closes_with_the_answer(petition, users):
    clerk = users["s11_clerk"]
    services.petition_answer(petition=petition, by=clerk, answer="告知可向劳动监察投诉。", basis="《劳动保障监察条例》",
                             response="表示理解")
    petition.refresh_from_db()
    assert petition.status == "closed" and petition.handling == "spot"
    assert petition.report_result == "告知可向劳动监察投诉。" and petition.report_facts == petition.facts
    assert petition.closed_at is not None and not petition.was_overdue
    assert FollowUp.objects.get(petition=petition).status == "pending"
    assert events(petition) == ["intake", "answer"]
    assert AuditEvent.objects.filter(event="state", target_id=str(petition.pk), detail__startswith="当场答复").exists()


def test_answer_needs_the_answer_basis_and_response(petition, users):
    for kwargs, message in [({"answer": " "}, "答复内容"), ({"basis": ""}, "处理依据"), ({"response": ""}, "职工意见")]:
        data = {"answer": "答复", "basis": "依据", "response": "无异议", **kwargs}
        refused(lambda d=data: services.petition_answer(petition=petition, by=users["s11_clerk"], **d), message, petition)


def test_answer_is_refused_once_routed(petition, users):
    services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_worker"], due_date=TODAY())
    refused(lambda: services.petition_answer(petition=petition, by=users["s11_clerk"], answer="a", basis="b",
                                             response="c"), "当前状态为“已交办”，不能当场答复", petition)


# --- assign ----------------------------------------------------------------------------------------


def test_assign_to_a_worker_of_the_station(petition, users):
    due = TODAY() + datetime.timedelta(days=10)
    services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_worker"], due_date=due,
                             note="请尽快核实")
    petition.refresh_from_db()
    assert petition.status == "assigned" and petition.handler == users["s11_worker"] and petition.handler_due == due
    assert petition.handling == "assigned"
    event = PetitionEvent.objects.get(petition=petition, kind="assign")
    assert "交办给" in event.note and "请尽快核实" in event.note and event.by == users["s11_clerk"]


def test_district_supervisor_assigns_to_a_station_below(users, units, person, category):
    p = make_petition(users["d1_sup"], person, category, org_unit=units["330602"])
    services.petition_assign(petition=p, by=users["d1_sup"], handler=users["s12_clerk"], due_date=TODAY())
    assert Petition.objects.get(pk=p.pk).handler == users["s12_clerk"]


@pytest.mark.parametrize(("who", "days", "message"), [
    ("s12_clerk", 5, "只能交办给本单位或下级服务站的工作人员"),   # sibling station
    ("d1_sup", 5, "只能交办给本单位或下级服务站的工作人员"),      # the unit above
    ("auditor", 5, "只能交办给本单位或下级服务站的工作人员"),     # no handling role
    ("s11_worker", -1, "不能早于今天"),
    ("s11_worker", 31, "不能晚于办结期限"),
])
def test_assign_refusals(petition, users, who, days, message):
    due = TODAY() + datetime.timedelta(days=days)
    error = refused(lambda: services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users[who],
                                                     due_date=due), message, petition)
    assert set(error.error_dict) <= {"handler", "due_date"}


def test_assign_to_the_same_handler_twice_is_refused(petition, users):
    services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_worker"], due_date=TODAY())
    refused(lambda: services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_worker"],
                                             due_date=TODAY()), "已由此人承办", petition)


def test_assign_is_refused_when_closed(petition, users):
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    refused(lambda: services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_worker"],
                                             due_date=TODAY()), "当前状态为“已办结”，不能交办", petition)


def test_auditor_may_not_change_anything(petition, users):
    with pytest.raises(PermissionDenied):
        services.petition_assign(petition=petition, by=users["auditor"], handler=users["s11_worker"], due_date=TODAY())


def test_outsider_gets_not_found_from_the_service(petition, users):
    with pytest.raises(Http404):
        services.petition_pause(petition=petition, by=users["s12_clerk"], reason="x")


# --- send up -----------------------------------------------------------------------------------------


def test_send_up_moves_ownership_to_the_parent(petition, users, units):
    services.petition_send_up(petition=petition, by=users["s11_clerk"], reason="涉及全区多家企业")
    petition.refresh_from_db()
    assert petition.org_unit == units["330602"] and petition.sent_up_from == units["330602001"]
    assert petition.status == "open" and petition.handler is None and petition.handling == "sent_up"
    assert events(petition) == ["intake", "send_up"]
    # The station still reads its case (it answers the worker) but no longer acts on it.
    assert get_visible_or_404(Petition.objects.all(), users["s11_clerk"], pk=petition.pk)
    assert PETITION_FLOW.available(petition, users["s11_clerk"]) == [PETITION_FLOW.transition("recuse")]
    with pytest.raises(PermissionDenied, match="只能查看"):
        services.petition_pause(petition=petition, by=users["s11_clerk"], reason="等待")
    assert get_visible_or_404(Petition.objects.all(), users["d1_sup"], pk=petition.pk)


def test_send_up_refusals(users, units, person, category, petition):
    at_city = make_petition(users["city_sup"], person, category, org_unit=units["330600"])
    refused(lambda: services.petition_send_up(petition=at_city, by=users["city_sup"], reason="x"), "没有上级单位", at_city)
    refused(lambda: services.petition_send_up(petition=petition, by=users["s11_clerk"], reason=" "), "上报理由", petition)
    services.petition_forward(petition=petition, by=users["s11_clerk"], department="人社局", forwarded_on=TODAY(),
                              contact="王科长 88000000")
    refused(lambda: services.petition_send_up(petition=petition, by=users["s11_clerk"], reason="x"),
            "不能上报", petition)


# --- forward and reply -----------------------------------------------------------------------------


def test_forward_then_reply_then_close(petition, users):
    clerk = users["s11_clerk"]
    services.petition_forward(petition=petition, by=clerk, department="区人力社保局劳动保障监察大队",
                              forwarded_on=TODAY(), contact="王科长 88000000", note="请依法查处")
    assert Petition.objects.get(pk=petition.pk).status == "forwarded"
    refused(lambda: services.petition_close(petition=petition, by=clerk, report=REPORT), "尚未收到答复", petition)
    services.petition_record_reply(petition=petition, by=clerk, reply="已责令公司支付。", replied_on=TODAY())
    petition.refresh_from_db()
    assert petition.status == "replied" and petition.reply == "已责令公司支付。"
    services.petition_close(petition=petition, by=clerk, report=REPORT)
    petition.refresh_from_db()
    assert petition.status == "closed" and petition.handling == "forwarded"
    assert events(petition) == ["intake", "forward", "reply", "close"]


def test_forward_and_reply_refusals(petition, users):
    clerk = users["s11_clerk"]
    tomorrow = TODAY() + datetime.timedelta(days=1)
    refused(lambda: services.petition_forward(petition=petition, by=clerk, department="人社局", forwarded_on=tomorrow,
                                              contact="x"), "不能晚于今天", petition)
    refused(lambda: services.petition_forward(petition=petition, by=clerk, department="人社局",
                                              forwarded_on=petition.accepted_on - datetime.timedelta(days=1),
                                              contact="x"), "不能早于受理日期", petition)
    refused(lambda: services.petition_forward(petition=petition, by=clerk, department="", forwarded_on=TODAY(),
                                              contact="x"), "转办部门", petition)
    refused(lambda: services.petition_record_reply(petition=petition, by=clerk, reply="x", replied_on=TODAY()),
            "不能登记转办答复", petition)
    services.petition_forward(petition=petition, by=clerk, department="人社局", forwarded_on=TODAY(), contact="x")
    refused(lambda: services.petition_record_reply(petition=petition, by=clerk, reply="x", replied_on=tomorrow),
            "不能晚于今天", petition)
    refused(lambda: services.petition_record_reply(petition=petition, by=clerk, reply="",
                                                   replied_on=TODAY()), "答复内容", petition)
    refused(lambda: services.petition_forward(petition=petition, by=clerk, department="人社局", forwarded_on=TODAY(),
                                              contact="x"), "不能转办", petition)


# --- close and reopen -----------------------------------------------------------------------------


def test_close_needs_every_part_of_the_report(petition, users):
    for field, label in [("facts", "基本事实"), ("basis", "处理依据"), ("result", "处理结果"), ("response", "职工意见")]:
        report = services.CompletionReport(**{**REPORT.__dict__, field: "  "})
        error = refused(lambda r=report: services.petition_close(petition=petition, by=users["s11_clerk"], report=r),
                        label, petition)
        assert list(error.error_dict) == [f"report_{field}"]


def test_close_twice_is_refused(petition, users):
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    refused(lambda: services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT),
            "不能办结", petition)


def test_supervisor_reopens_within_the_window_and_the_follow_up_is_cancelled(petition, users):
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    with pytest.raises(PermissionDenied):
        services.petition_reopen(petition=petition, by=users["s11_clerk"], reason="x")
    refused(lambda: services.petition_reopen(petition=petition, by=users["d1_sup"], reason=""), "重新办理理由", petition)
    services.petition_reopen(petition=petition, by=users["d1_sup"], reason="职工反映公司未足额支付")
    petition.refresh_from_db()
    assert petition.status == "open" and petition.closed_at is None and petition.reopen_count == 1
    assert FollowUp.objects.get(petition=petition).status == "cancelled"
    refused(lambda: services.petition_reopen(petition=petition, by=users["d1_sup"], reason="x"),
            "不能重新办理", petition)


def test_reopen_after_the_window_is_refused(petition, users, freeze):
    services.petition_close(petition=petition, by=users["s11_clerk"], report=REPORT)
    freeze(timezone.localtime() + datetime.timedelta(days=31))
    refused(lambda: services.petition_reopen(petition=petition, by=users["d1_sup"], reason="x"),
            "办结已超过30天", petition)


# --- recusal ---------------------------------------------------------------------------------------


def test_recusing_handler_leaves_the_case_for_reassignment_and_loses_access(petition, users, client_for):
    worker = users["s11_worker"]
    services.petition_assign(petition=petition, by=users["s11_clerk"], handler=worker, due_date=TODAY())
    client = client_for("s11_worker")
    assert client.get(f"/petitions/{petition.pk}/").status_code == 200
    response = client.post(f"/petitions/{petition.pk}/recuse/", {"reason": "涉事公司负责人是我亲属"})
    assert response.status_code == 302 and response["Location"] == "/petitions/"
    petition.refresh_from_db()
    assert petition.handler is None and petition.status == "open"
    for url in [f"/petitions/{petition.pk}/", f"/petitions/{petition.pk}/print.pdf"]:
        assert client.get(url).status_code == 404
    assert petition.number not in client.get("/petitions/").content.decode()
    refused(lambda: services.petition_assign(petition=petition, by=users["s11_clerk"], handler=worker,
                                             due_date=TODAY()), "已声明回避", petition)
    # The rest of the station still works the case.
    services.petition_assign(petition=petition, by=users["s11_clerk"], handler=users["s11_clerk"], due_date=TODAY())


def test_recusal_needs_a_reason(petition, users):
    refused(lambda: services.petition_recuse(petition=petition, by=users["s11_clerk"], reason=""), "回避理由", petition)


# --- through the pages: errors at the field, input kept --------------------------------------------


def test_refused_step_shows_the_error_at_the_field_with_the_input_kept(client_for, petition, users):
    client = client_for("s11_clerk")
    response = client.post(f"/petitions/{petition.pk}/assign/", {
        "handler": users["s11_worker"].pk, "due_date": "2001-01-01", "note": "请核实=SUM(A1)"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "不能早于今天" in html and "请核实=SUM(A1)" in html and 'id="step-assign" open' in html
    assert Petition.objects.get(pk=petition.pk).status == "open"


def test_step_in_the_wrong_state_is_shown_on_the_page(client_for, petition, users):
    client = client_for("s11_clerk")
    response = client.post(f"/petitions/{petition.pk}/reply/", {"reply": "x", "replied_on": TODAY().isoformat()})
    assert response.status_code == 200 and "不能登记转办答复" in response.content.decode()


def test_each_step_through_its_url(client_for, users, petition):
    client = client_for("s11_clerk")
    base = f"/petitions/{petition.pk}"
    today = TODAY().isoformat()
    assert client.post(f"{base}/pause/", {"reason": "等待工伤认定"}).status_code == 302
    assert client.post(f"{base}/resume/", {"note": ""}).status_code == 302
    assert client.post(f"{base}/assign/", {"handler": users["s11_worker"].pk, "due_date": today}).status_code == 302
    assert client.post(f"{base}/forward/", {"department": "人社局", "forwarded_on": today, "contact": "王 1"}).status_code == 302
    assert client.post(f"{base}/reply/", {"reply": "已处理", "replied_on": today}).status_code == 302
    assert client.post(f"{base}/notice/", {"kind": "suggestion", "content": "建议建立工资支付台账"}).status_code == 302
    assert client.post(f"{base}/close/", {"report_facts": "a", "report_basis": "b", "report_result": "c",
                                          "report_response": "d"}).status_code == 302
    assert client.post(f"{base}/follow-up/", {"method": "phone", "satisfaction": "unsatisfied",
                                              "comment": "钱没拿全"}).status_code == 302
    sup = client_for("d1_sup")
    assert sup.post(f"{base}/review/", {"decision": "reopen", "note": "重新核实"}).status_code == 302
    assert sup.post(f"{base}/extend/", {"days": "10", "reason": "需等待仲裁"}).status_code == 302
    petition.refresh_from_db()
    assert petition.status == "open" and petition.reopen_count == 1 and petition.extension_days == 10
    assert events(petition) == ["intake", "pause", "resume", "assign", "forward", "reply", "notice", "close",
                                "follow_up", "reopen", "extend"]
