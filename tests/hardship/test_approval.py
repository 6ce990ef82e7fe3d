"""审批 by the supervisor leading the district: maker ≠ checker (nobody who registered, visited,
reviewed, posted or submitted the file), grades against the computed result only with a reason,
return and rejection with a reason, the file number, the report to the city, the spot check."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from hardship import codes, services
from hardship.models import CityReport, HardshipFile, Override, SpotCheck
from servicecenter.inbox import inbox_for
from servicecenter.models import Approval, AuditEvent
from servicecenter.roles import Role

from .conftest import make_user, set_param

S = HardshipFile.Status


def test_approval_archives_with_a_number_and_reports_to_the_city(kit, users):
    f = kit.make(S.SUBMITTED)
    services.file_approve(file=f, by=kit.sup, grade=codes.Grade.HARDSHIP, opinion="同意")
    f.refresh_from_db()
    year = timezone.localdate().year
    assert f.status == S.ARCHIVED and f.number == f"KN-330602001-{year}-00001"
    assert f.grade == "hardship" and f.approved_by == kit.sup and f.decision.purpose == "审批"
    assert f.recheck_due == f.approved_on.replace(year=f.approved_on.year + 1)
    report = f.city_report
    assert report.org_unit.code == "330602" and report.status == CityReport.Status.OPEN
    assert Approval.objects.get(object_id=f.pk, kind="hardship.approval").status == "approved"
    # The next approval joins the same open list; the city acknowledges the list.
    g = kit.make(S.ARCHIVED)
    assert g.city_report_id == report.pk and g.number.endswith("-00002")
    with pytest.raises(PermissionDenied):
        services.report_acknowledge(report=report, by=kit.sup)  # the district does not sign for the city
    services.report_acknowledge(report=report, by=users["city_sup"])
    report.refresh_from_db()
    assert report.status == CityReport.Status.ACKNOWLEDGED and report.acknowledged_by == users["city_sup"]
    assert kit.make(S.ARCHIVED).city_report_id != report.pk  # a new list after acknowledging


def test_nobody_who_reviewed_the_file_may_approve_it(kit, users, units):
    sup = kit.sup
    f = kit.apply()
    # The district supervisor does the review visit himself …
    services.file_record_visit(file=f, by=sup, visited_on=timezone.localdate(), visitors="陈红梅", findings="属实")
    services.file_review(file=f, by=kit.worker, opinion="属实")
    services.file_post_notice(file=f, by=kit.worker, place="公示栏", start=timezone.localdate())
    f.refresh_from_db()
    HardshipFile.objects.filter(pk=f.pk).update(notice_due_date=timezone.localdate() - datetime.timedelta(days=1))
    f.refresh_from_db()
    services.file_submit(file=f, by=kit.worker, note="报请")
    f.refresh_from_db()
    from hardship.workflow import FILE_FLOW

    assert "approve" not in {t.name for t in FILE_FLOW.available(f, sup)}  # … so the page does not offer it
    before = (HardshipFile.objects.filter(pk=f.pk).values().get(), AuditEvent.objects.count())
    for step in (lambda: services.file_approve(file=f, by=sup, grade="hardship"),
                 lambda: services.file_send_back(file=f, by=sup, reason="x"),
                 lambda: services.file_reject(file=f, by=sup, reason="x")):
        with pytest.raises(ValidationError, match="不能审批本人登记、入户调查、审核或报送的档案"):
            step()
    assert (HardshipFile.objects.filter(pk=f.pk).values().get(), AuditEvent.objects.count()) == before
    # The kernel refuses it too (maker ≠ checker), whatever the page would offer.
    approval = Approval.objects.get(object_id=f.pk, kind="hardship.approval", status="pending")
    from servicecenter.approvals import approval_decide

    with pytest.raises(ValidationError, match="审批人与申请人、审核人须为不同的人"):
        approval_decide(approval=approval, by=sup, decision="approved", target=f)
    # Another supervisor of the district approves.
    other = make_user("d1_sup2", units["330602"], Role.SUPERVISOR)
    services.file_approve(file=f, by=other, grade="hardship")
    assert HardshipFile.objects.get(pk=f.pk).status == S.ARCHIVED


def test_only_the_supervisor_leading_the_station_approves(kit, users, units):
    f = kit.make(S.SUBMITTED)
    with pytest.raises(Http404):  # another district: not even visible
        services.file_approve(file=f, by=users["d2_sup"], grade="hardship")
    with pytest.raises(Http404):  # the city sees files only once a district has approved them
        services.file_approve(file=f, by=users["city_sup"], grade="hardship")
    station_sup = make_user("s11_sup", units["330602001"], Role.SUPERVISOR)
    with pytest.raises(ValidationError, match="只有领导府山街道工会服务站的审批人（越城区职工服务中心）可以审批"):
        services.file_approve(file=f, by=station_sup, grade="hardship")
    with pytest.raises(PermissionDenied):
        services.file_approve(file=f, by=kit.worker, grade="hardship")
    assert HardshipFile.objects.get(pk=f.pk).status == S.SUBMITTED


def test_a_grade_against_the_computed_result_needs_a_written_reason(kit, client_for):
    f = kit.make(S.SUBMITTED)
    assert f.latest_evaluation.verdict == "hardship"
    with pytest.raises(ValidationError) as caught:
        services.file_approve(file=f, by=kit.sup, grade=codes.Grade.EXTREME)
    assert caught.value.message_dict["override_reason"] == [
        "核算结论为“符合困难职工条件”，批准为特困职工须写明理由。"]
    assert not Override.objects.exists() and HardshipFile.objects.get(pk=f.pk).status == S.SUBMITTED
    services.file_approve(file=f, by=kit.sup, grade=codes.Grade.EXTREME, override_reason="配偶新近确诊尿毒症，尚未计入。")
    override = Override.objects.get()
    assert override.decided == "批准为特困职工" and override.evaluation.verdict == "hardship"
    assert AuditEvent.objects.filter(action="hardship.override").exists()
    page = client_for("s11_worker").get(f"/hardship/{f.pk}/").content.decode()
    assert "配偶新近确诊尿毒症，尚未计入。" in page and "不按核算结论办理" in page


def test_review_against_the_result_needs_a_reason_too(kit):
    f = kit.apply(has_car=True)
    kit.visit(f)
    with pytest.raises(ValidationError) as caught:
        services.file_review(file=f, by=kit.worker, opinion="属实")
    assert "核算结论为“不予认定（排除情形）”，审核通过须写明理由" in caught.value.message_dict["override_reason"][0]
    assert HardshipFile.objects.get(pk=f.pk).status == S.APPLIED


def test_return_for_revision_and_rejection_need_a_reason(kit):
    f = kit.make(S.SUBMITTED)
    with pytest.raises(ValidationError) as caught:
        services.file_send_back(file=f, by=kit.sup, reason=" ")
    assert caught.value.message_dict["reason"] == ["请填写退回理由。"]
    services.file_send_back(file=f, by=kit.sup, reason="请补充收入证明。")
    f.refresh_from_db()
    assert f.status == S.APPLIED and f.reviewed_by is None
    assert Approval.objects.get(object_id=f.pk).decision_note == "请补充收入证明。"
    g = kit.make(S.SUBMITTED)
    with pytest.raises(ValidationError):
        services.file_reject(file=g, by=kit.sup, reason="")
    services.file_reject(file=g, by=kit.sup, reason="家庭人均收入高于认定标准。")
    g.refresh_from_db()
    assert g.status == S.REJECTED and g.end_note == "家庭人均收入高于认定标准。" and g.number is None


def test_the_approval_waits_in_the_district_supervisors_inbox_and_dashboard(kit, client_for):
    f = kit.make(S.SUBMITTED)
    items = [i for i in inbox_for(kit.sup) if i.kind == "困难职工档案审批"]
    assert [i.url for i in items] == [f"/hardship/{f.pk}/"]
    page = client_for("d1_sup").get("/").content.decode()
    assert 'data-testid="hardship-approvals">1<' in page


# --- The spot check ---------------------------------------------------------------------------------


def test_the_draw_is_recorded_and_can_be_repeated_from_its_seed(kit, units):
    set_param(units["330602"], "hardship.spot_check_ratio", "0.30")
    f = kit.make(S.SUBMITTED)
    check = SpotCheck.objects.get(file=f)
    assert check.org_unit.code == "330602" and check.ratio == Decimal("0.3000")
    assert float(check.draw) == random.Random(check.seed).random()
    assert check.selected == (Decimal(check.draw) < Decimal("0.30"))


def test_the_sample_is_the_configured_share_of_files(kit, units):
    set_param(units["330602"], "hardship.spot_check_ratio", "0.25")
    f = kit.make(S.SUBMITTED)
    checks = [services.draw_spot_check(f, seed=seed) for seed in range(2000)]
    share = sum(c.selected for c in checks) / len(checks)
    assert 0.22 < share < 0.28
    # The same seed always draws the same.
    assert services.draw_spot_check(f, seed=7).selected == checks[7].selected


def test_a_selected_file_needs_the_districts_own_visit_before_approval(kit, units):
    set_param(units["330602"], "hardship.spot_check_ratio", "1")
    f = kit.make(S.SUBMITTED)
    assert SpotCheck.objects.get(file=f).selected
    with pytest.raises(ValidationError, match="该档案已抽中审批抽查，请先登记抽查入户记录"):
        services.file_approve(file=f, by=kit.sup, grade="hardship")
    with pytest.raises(ValidationError, match="抽查入户由审批单位（越城区职工服务中心）登记"):
        services.file_spot_check(file=f, by=kit.worker, visited_on=timezone.localdate(), visitors="李强", findings="x")
    visit = services.file_spot_check(file=f, by=kit.sup, visited_on=timezone.localdate(), visitors="陈红梅、许丽娟",
                                     findings="抽查核实属实。")
    assert SpotCheck.objects.get(file=f).visit == visit and visit.kind == "spot_check"
    services.file_approve(file=f, by=kit.sup, grade="hardship")  # the spot check is not a review
    assert HardshipFile.objects.get(pk=f.pk).status == S.ARCHIVED


def test_a_file_not_drawn_needs_no_spot_check(kit):
    f = kit.make(S.SUBMITTED)
    assert not SpotCheck.objects.get(file=f).selected
    with pytest.raises(ValidationError, match="未抽中审批抽查"):
        services.file_spot_check(file=f, by=kit.sup, visited_on=timezone.localdate(), visitors="x", findings="x")
