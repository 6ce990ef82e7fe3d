"""Item 3: matters assigned from above (上级交办) with their reference — assigning body, reference
number, dates, the assigner's deadline driving the clock, the 办理报告 back to the assigner; 交办事项
tasks creating or linking cases; a station keeping sight of the case it sent up."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from petitions import services
from petitions.models import Petition
from petitions.summary import monthly_figures
from servicecenter.models import Attachment
from tests.petitions.conftest import make_petition, set_param
from tests.petitions.pdftext import pdf_text, squeezed
from tests.petitions.test_intake import intake_data

TODAY = timezone.localdate
REPORT = services.CompletionReport("拖欠属实。", "工资支付暂行规定。", "公司已补发工资。", "满意。")


def referral(**kw) -> services.Referral:
    data = {"referred_by": "省总工会权益保障部", "reference": "浙工权〔2026〕12号",
            "referred_on": TODAY() - datetime.timedelta(days=2), "due_date": TODAY() + datetime.timedelta(days=20)}
    data.update(kw)
    return services.Referral(**data)


def test_the_assigners_deadline_drives_the_clock(users, person, category):
    p = make_petition(users["s11_clerk"], person, category, channel="assigned", referral=referral())
    assert (p.referred_by, p.referral_ref) == ("省总工会权益保障部", "浙工权〔2026〕12号")
    assert p.referred_on == TODAY() - datetime.timedelta(days=2) and p.due_date == TODAY() + datetime.timedelta(days=20)
    assert "省总工会权益保障部交办（浙工权〔2026〕12号）" in p.events.get(kind="intake").note


def test_without_a_deadline_the_parameter_counts_from_the_assignment_date(users, units, person, category):
    set_param(units["330602"], "petition.referral_deadline_days", "15")
    assigned = TODAY() - datetime.timedelta(days=4)
    p = make_petition(users["s11_clerk"], person, category, channel="assigned",
                      referral=referral(referred_on=assigned, due_date=None))
    assert p.accepted_on == TODAY()
    # Counted from the assignment, not from the local acceptance (a calendar date rolls off a holiday).
    assert assigned + datetime.timedelta(days=15) <= p.due_date <= assigned + datetime.timedelta(days=18)


# The details are built when the test runs, not when it is collected: a run that crosses midnight
# in Shanghai would otherwise compare against yesterday.
@pytest.mark.parametrize(("details", "field", "message"), [
    (lambda: {"referred_by": " "}, "referred_by", "请填写交办单位"),
    (lambda: {"referred_on": None}, "referred_on", "请填写上级交办日期"),
    (lambda: {"referred_on": TODAY() + datetime.timedelta(days=1)}, "referred_on", "交办日期不能晚于受理日期"),
    (lambda: {"due_date": TODAY() - datetime.timedelta(days=5)}, "referral_due", "交办期限不能早于交办日期"),
])
def test_a_referral_without_its_assigning_body_or_with_bad_dates_is_refused(users, person, category, details, field,
                                                                          message):
    with pytest.raises(ValidationError) as caught:
        make_petition(users["s11_clerk"], person, category, channel="assigned", referral=referral(**details()))
    assert message in " ".join(caught.value.message_dict[field])
    assert not Petition.objects.exists()


def test_the_intake_page_requires_the_assigning_body(client_for, users, person, category):
    response = client_for("s11_clerk").post("/petitions/new/", intake_data(
        person, category, org_unit=users["s11_clerk"].org_unit_id, channel="assigned"))
    assert response.status_code == 200 and response.context["form"].errors["referred_by"] == ["请填写交办单位。"]
    assert not Petition.objects.exists()


def test_the_report_back_to_the_assigner_after_closing_and_its_print(client_for, users, person, category):
    clerk = users["s11_clerk"]
    p = make_petition(clerk, person, category, channel="assigned", referral=referral())
    with pytest.raises(ValidationError, match="事项办结后才能"):
        services.petition_report_back(petition=p, by=clerk, report="x")
    services.petition_close(petition=p, by=clerk, report=REPORT)
    client = client_for("s11_clerk")
    assert client.get(f"/petitions/{p.pk}/referral-report.pdf").status_code == 302  # nothing reported yet
    assert client.post(f"/petitions/{p.pk}/report-back/", {"report": "经调查，公司已补发全部工资。"}).status_code == 302
    p.refresh_from_db()
    assert p.referral_reported and p.referral_reported_by == clerk
    with pytest.raises(ValidationError, match="已向交办单位报告"):
        services.petition_report_back(petition=p, by=clerk, report="again")
    text = squeezed(pdf_text(client.get(f"/petitions/{p.pk}/referral-report.pdf").content))
    for expected in ("办理报告", "省总工会权益保障部", "浙工权〔2026〕12号", "经调查，公司已补发全部工资。", p.number):
        assert expected in text, expected
    other = make_petition(clerk, person, category)
    services.petition_close(petition=other, by=clerk, report=REPORT)
    with pytest.raises(ValidationError, match="不是上级交办事项"):
        services.petition_report_back(petition=other, by=clerk, report="x")


def test_a_task_creates_and_links_its_cases_and_the_task_page_shows_them(client_for, users, units, person, category):
    sup, clerk = users["d1_sup"], users["s11_clerk"]
    task = services.task_create(by=sup, title="节前欠薪排查", content="排查辖区欠薪隐患", units=[units["330602001"],
                                units["330602002"]], due_date=TODAY() + datetime.timedelta(days=10))
    target = task.targets.get(org_unit=units["330602001"])
    page = client_for("s11_clerk").get(f"/petitions/new/?task={target.pk}")
    form = page.context["form"]
    assert form.initial["channel"] == "assigned" and form.initial["referred_by"] == "越城区职工服务中心"
    assert form.initial["referral_due"] == task.due_date and form.initial["task_target"] == target.pk
    assert client_for("s12_clerk").get(f"/petitions/new/?task={target.pk}").status_code == 404
    created = make_petition(clerk, person, category, channel="assigned", referral=referral(
        referred_by="越城区职工服务中心", reference=f"交办事项：{task.title}", due_date=task.due_date, task_target=target))
    assert created.task_target == target and created.due_date == task.due_date
    existing = make_petition(clerk, person, category)
    response = client_for("s11_clerk").post(f"/petitions/tasks/targets/{target.pk}/link/", {"number": existing.number})
    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.task_target == target
    with pytest.raises(ValidationError, match="已关联本交办事项"):
        services.task_link(target=target, by=clerk, petition=existing)
    with pytest.raises(Http404):  # another station's part of the task is not even seen
        services.task_link(target=task.targets.get(org_unit=units["330602002"]), by=clerk, petition=existing)
    with pytest.raises(PermissionDenied):  # the sender sees its parts, but only the receiving unit links
        services.task_link(target=target, by=sup, petition=existing)
    body = client_for("d1_sup").get(f"/petitions/tasks/{task.pk}/").content.decode()
    assert created.number in body and existing.number in body and "待处理" in body


def test_after_send_up_the_station_reads_its_case_and_its_answer_but_cannot_act(client_for, users, units, person,
                                                                              category, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    p = make_petition(clerk, person, category)
    services.petition_send_up(petition=p, by=clerk, reason="涉及全区多家企业")
    services.petition_close(petition=p, by=sup, report=REPORT)
    client = client_for("s11_clerk")
    page = client.get(f"/petitions/{p.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "公司已补发工资。" in body  # the answer, to tell the worker
    assert page.context["reads_only"] and "不能再办理" in body
    assert [x.name for x in page.context["panels"]] == ["recuse"]  # nothing but stepping aside
    assert client.get(f"/petitions/{p.pk}/print.pdf").status_code == 200
    assert client.post(f"/petitions/{p.pk}/request-reopen/", {"reason": "职工不满意"}).status_code == 403
    upload = SimpleUploadedFile("a.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")
    client.post(f"/attachments/petitions.petition/{p.pk}/", {"file": upload})
    assert not Attachment.objects.exists()
    assert client_for("s12_clerk").get(f"/petitions/{p.pk}/").status_code == 404  # a sibling station still not
    # The station's figures still count what it received; the district counts it once.
    first = TODAY().replace(day=1)
    assert monthly_figures(units["330602001"], first, TODAY())["received"] == 1
    assert monthly_figures(units["330602"], first, TODAY())["received"] == 1
    assert monthly_figures(units["330602001"], first, TODAY())["closed"] == 0  # closed by the district
    assert monthly_figures(units["330602"], first, TODAY())["closed"] == 1


def test_the_station_lists_its_sent_up_case_and_the_sibling_does_not(client_for, users, person, category):
    p = make_petition(users["s11_clerk"], person, category)
    services.petition_send_up(petition=p, by=users["s11_clerk"], reason="x")
    assert p.number in client_for("s11_clerk").get("/petitions/").content.decode()
    assert p.number not in client_for("s12_clerk").get("/petitions/").content.decode()
