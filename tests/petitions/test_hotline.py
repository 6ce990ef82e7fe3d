"""Item 2: 12351 work orders — the platform's number (unique), caller number, operator, time of
call, category and time limit; 转派 → 反馈 → 回访 (or 退回重办); the 工单反馈单 printed."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from petitions import services
from petitions.models import Category, HotlineOrder, Petition
from servicecenter.access import get_visible_or_404
from servicecenter.models import Sequence
from tests.petitions.conftest import make_petition
from tests.petitions.pdftext import pdf_text, squeezed
from tests.petitions.test_intake import intake_data

TODAY = timezone.localdate


def order(number: str = "GD330600202605130001", **kw) -> services.HotlineDetails:
    data = {"order_number": number, "caller_number": "0575-88001234", "operator": "话务员钱丽",
            "called_at": timezone.now() - datetime.timedelta(hours=1), "category": "complaint",
            "due_date": TODAY() + datetime.timedelta(days=5)}
    data.update(kw)
    return services.HotlineDetails(**data)


def hotline_case(by, category, person=None, **kw):
    return make_petition(by, person or services.Caller("孙师傅", "13805750001"), category, channel="12351",
                         hotline=kw.pop("hotline", None) or order(), **kw)


def test_a_12351_case_carries_its_work_order_and_the_platforms_time_limit(users, category):
    p = hotline_case(users["d1_sup"], category, org_unit=users["d1_sup"].org_unit)
    o = p.hotline_order
    assert p.get_channel_display() == "12351热线" and Petition.Channel.HOTLINE.label == "来电"
    assert (o.order_number, o.caller_number, o.operator, o.category) == (
        "GD330600202605130001", "0575-88001234", "话务员钱丽", "complaint")
    assert o.status == HotlineOrder.Status.RECEIVED and o.due_date == TODAY() + datetime.timedelta(days=5)
    assert p.due_date == o.due_date  # the case's clock follows the platform's time limit
    assert "12351工单GD330600202605130001" in p.events.get(kind="intake").note


def test_a_work_order_number_used_twice_is_refused_and_nothing_is_stored(users, category):
    clerk = users["s11_clerk"]
    first = hotline_case(clerk, category)
    with pytest.raises(ValidationError) as caught:
        hotline_case(clerk, category)
    assert caught.value.message_dict["hotline_number"] == [
        f"工单编号GD330600202605130001已登记（{first.number}），不能重复登记。"]
    assert Petition.objects.count() == 1 and HotlineOrder.objects.count() == 1
    assert Sequence.objects.get(kind="XF").last == 1  # no number used up
    nxt = hotline_case(clerk, category, hotline=order("GD330600202605130002"))
    assert int(nxt.number[-5:]) == int(first.number[-5:]) + 1


@pytest.mark.parametrize(("details", "field", "message"), [
    ({"order_number": " "}, "hotline_number", "请填写工单编号"),
    ({"caller_number": "abc"}, "caller_number", "来电号码只能是数字"),
    ({"operator": ""}, "operator", "请填写接线员"),
    ({"category": "other"}, "hotline_category", "请选择12351类别"),
    ({"called_at": timezone.now() + datetime.timedelta(hours=2)}, "called_at", "来电时间不能晚于受理时间"),
    ({"due_date": TODAY() - datetime.timedelta(days=3)}, "hotline_due", "办理时限不能早于来电日期"),
])
def test_bad_work_orders_are_refused_at_the_field(users, category, details, field, message):
    with pytest.raises(ValidationError) as caught:
        hotline_case(users["s11_clerk"], category, hotline=order(**details))
    assert message in " ".join(caught.value.message_dict[field])
    assert not Petition.objects.exists()


def test_the_intake_page_asks_for_the_work_order_only_on_the_12351_channel(client_for, users, category, person):
    client = client_for("s11_clerk")
    data = intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id, channel="12351")
    response = client.post("/petitions/new/", data)
    errors = response.context["form"].errors
    assert response.status_code == 200 and errors["hotline_number"] == ["请填写工单编号。"]
    assert errors["hotline_due"] == ["请填写平台办理时限。"] and not Petition.objects.exists()
    data.update(hotline_number="GD1", caller_number="13805750001", operator="话务员钱丽",
                called_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"), hotline_category="consult",
                hotline_due=(TODAY() + datetime.timedelta(days=3)).isoformat())
    assert client.post("/petitions/new/", data).status_code == 302
    assert Petition.objects.get().hotline_order.order_number == "GD1"
    # A plain phone call (来电) needs no work order.
    assert client.post("/petitions/new/", intake_data(person, category, org_unit=users["s11_clerk"].org_unit_id,
                                                      channel="hotline")).status_code == 302


def test_dispatch_feedback_revisit_cycle_and_the_printed_feedback_form(client_for, users, units, category):
    sup, clerk = users["d1_sup"], users["s11_clerk"]
    p = hotline_case(sup, category, org_unit=units["330602"])
    o = p.hotline_order
    with pytest.raises(ValidationError, match="只能转派给本单位下级"):
        services.hotline_dispatch(order=o, by=sup, unit=units["330604001"])
    services.hotline_dispatch(order=o, by=sup, unit=units["330602001"], note="请府山站办理")
    p.refresh_from_db()
    o.refresh_from_db()
    assert p.org_unit == units["330602001"] and o.status == HotlineOrder.Status.DISPATCHED
    assert get_visible_or_404(Petition.objects.all(), clerk, pk=p.pk)  # the station has it now
    services.petition_close(petition=p, by=clerk, report=services.CompletionReport(
        "拖欠属实。", "工资支付暂行规定。", "已足额支付。", "满意。"))
    page = client_for("s11_clerk").get(f"/petitions/{p.pk}/")
    assert {panel.name for panel in page.context["order_panels"]} >= {"feedback"}
    response = client_for("s11_clerk").post(f"/petitions/{p.pk}/hotline/feedback/", {"feedback": "已协调公司足额支付工资。"})
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.status == HotlineOrder.Status.ANSWERED and o.feedback_by == clerk and o.answered_on == TODAY()
    assert not o.is_overdue
    text = pdf_text(client_for("s11_clerk").get(f"/petitions/{p.pk}/hotline.pdf").content)
    flat = squeezed(text)
    for expected in ("12351职工服务热线工单反馈单", "GD330600202605130001", "0575-88001234", "话务员钱丽", "信访投诉",
                     "府山街道工会服务站", "已协调公司足额支付工资。", "孙师傅", p.number,
                     f"{o.due_date.year}年{o.due_date.month}月{o.due_date.day}日"):
        assert expected in flat, expected
    services.hotline_revisit(order=o, by=clerk, satisfaction="satisfied")
    o.refresh_from_db()
    assert o.status == HotlineOrder.Status.CLOSED and o.revisit_satisfaction == "satisfied"
    kinds = list(p.events.values_list("kind", flat=True))
    assert kinds[-3:] == ["close", "feedback", "revisit"] and "dispatch" in kinds


def test_the_platform_sends_an_order_back_and_its_clock_runs_again(users, category, freeze):
    clerk = users["s11_clerk"]
    p = hotline_case(clerk, category, hotline=order(due_date=TODAY() + datetime.timedelta(days=1)))
    o = p.hotline_order
    services.hotline_feedback(order=o, by=clerk, feedback="已答复。")
    with pytest.raises(ValidationError, match="请填写退回理由"):
        services.hotline_return(order=o, by=clerk, reason="")
    services.hotline_return(order=o, by=clerk, reason="职工反映工资未到账")
    o.refresh_from_db()
    assert o.status == HotlineOrder.Status.RECEIVED and o.returned_count == 1 and o.answered_on is None
    freeze(timezone.localtime() + datetime.timedelta(days=3))
    assert o.is_overdue
    services.hotline_feedback(order=o, by=clerk, feedback="已到账。")
    o.refresh_from_db()
    assert o.late_from == o.due_date + datetime.timedelta(days=1)  # answered late, and it stays so


def test_an_unsatisfied_platform_revisit_needs_its_note(users, category):
    clerk = users["s11_clerk"]
    o = hotline_case(clerk, category).hotline_order
    services.hotline_feedback(order=o, by=clerk, feedback="已答复。")
    with pytest.raises(ValidationError, match="不满意时"):
        services.hotline_revisit(order=o, by=clerk, satisfaction="unsatisfied")
    with pytest.raises(ValidationError, match="请选择平台回访满意度"):
        services.hotline_revisit(order=o, by=clerk, satisfaction="great")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clerks_logging_the_same_order_at_once_keep_one_case(users):
    """The unique constraint is the last word when both pass the check at the same moment: one
    case, the other clerk reads the Chinese message, and no case number is used up."""
    clerk = users["s11_clerk"]
    # A transactional test's flush removes the categories the data migration made.
    category = Category.objects.get_or_create(name="工资报酬/拖欠工资")[0]
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def work() -> None:
        try:
            start.wait(timeout=30)
            hotline_case(clerk, category)
            outcomes.append("ok")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 1 and all("已登记" in o for o in outcomes if o != "ok"), outcomes
    assert HotlineOrder.objects.count() == 1 and Petition.objects.count() == 1
    assert Sequence.objects.get(kind="XF").last == 1
