"""The file's steps, one table: the services check it, the file page offers what it allows, and
``tests/hardship/test_workflow.py`` is generated from it.

申请 APPLIED 待审核 → 审核 REVIEWED (after the base union's home visit) → 公示 NOTICE (at least
``hardship.notice_working_days`` working days) → 报送 SUBMITTED (the district's approval request;
the spot-check draw) → 审批 ARCHIVED 在档 (numbered, reported to the city), or back to APPLIED
(退回修改), or REJECTED; the base union may decline (DECLINED) before submitting. An archived file
is reviewed every year (and on a change of circumstances) and leaves as EXITED (解困脱困) or
CLOSED (注销). Steps that do not change the state (home visit, objections, spot check, yearly
review, edits) are in the table too.
"""

from __future__ import annotations

from typing import Any

from servicecenter import access, approvals
from servicecenter.workflow import Guard, Workflow, step

from .models import CityReport, HardshipFile, HomeVisit, Objection, SpotCheck

S = HardshipFile.Status

APPLY = "hardship.apply"
HANDLE = "hardship.handle"
APPROVE = "hardship.approve"
ACKNOWLEDGE = "hardship.acknowledge"
EXPORT = "hardship.export"
APPROVAL = "hardship.approval"  # the approval kind (servicecenter.approvals)

# Whoever did one of these on a file may not approve it (maker ≠ checker, DOMAIN §4: approval by
# the district, not by the base union that reviewed).
MAKER_STEPS = ("apply", "visit", "review", "post_notice", "submit")


def makers(f: HardshipFile) -> set[int]:
    """Everyone who registered, visited, reviewed, posted or submitted the file, at any time."""
    ids = set(f.events.filter(kind__in=MAKER_STEPS).values_list("by_id", flat=True))
    ids.add(f.created_by_id)
    ids.update(HomeVisit.objects.filter(file=f, kind=HomeVisit.Kind.REVIEW).values_list("recorded_by_id", flat=True))
    return {i for i in ids if i}


def _has_review_visit(f: HardshipFile, user: Any) -> bool:
    return HomeVisit.objects.filter(file=f, kind=HomeVisit.Kind.REVIEW).exists()


def _notice_ended(f: HardshipFile, user: Any) -> bool:
    return f.notice_ended


def _notice_message(action: str) -> Any:
    def message(f: HardshipFile, user: Any) -> str:
        if f.notice_due_date is None:
            return f"尚未张贴公示，不能{action}。"
        return f"公示期至{f.notice_due_date:%Y-%m-%d}，期满后方可{action}。"

    return message


def open_objections(f: HardshipFile) -> Any:
    return Objection.objects.filter(file=f, resolved_on__isnull=True)


def _no_open_objection(f: HardshipFile, user: Any) -> bool:
    return not open_objections(f).exists()


def _has_open_objection(f: HardshipFile, user: Any) -> bool:
    return open_objections(f).exists()


def latest_spot_check(f: HardshipFile) -> SpotCheck | None:
    return SpotCheck.objects.filter(file=f).order_by("-drawn_at", "-id").first()


def _spot_check_done(f: HardshipFile, user: Any) -> bool:
    check = latest_spot_check(f)
    return check is None or not check.selected or check.visit_id is not None


def _spot_check_due(f: HardshipFile, user: Any) -> bool:
    check = latest_spot_check(f)
    return check is not None and check.selected and check.visit_id is None


def _acts_for_leading_unit(f: HardshipFile, user: Any) -> bool:
    return access.acts_for(user, access.leading_unit_id(f.org_unit))


def _leads(f: HardshipFile, user: Any) -> bool:
    return access.leads(user, f.org_unit, APPROVE)


def _not_a_maker(f: HardshipFile, user: Any) -> bool:
    return user.pk not in makers(f)


def _pending_to_decide(f: HardshipFile, user: Any) -> bool:
    return any(approvals.may_decide(user, a) for a in approvals.pending(f, APPROVAL))


LEADS = Guard(_leads, lambda f, user: f"只有领导{f.org_unit}的审批人（{access.leading_unit(f.org_unit)}）可以审批。")
PENDING = Guard(_pending_to_decide, "没有待您审批的申请。")
NOT_A_MAKER = Guard(_not_a_maker, "不能审批本人登记、入户调查、审核或报送的档案（审批人须与审核人不同）。")
DECIDE = (LEADS, PENDING, NOT_A_MAKER)
NO_OPEN_OBJECTION = Guard(_no_open_objection, "有尚未处理的公示异议，请先核实处理。")

FILE_FLOW = Workflow(HardshipFile, S, [
    step("edit", "修改档案", [S.APPLIED, S.ARCHIVED], permission=HANDLE),
    step("visit", "登记入户调查", [S.APPLIED, S.ARCHIVED], permission=HANDLE),
    step("review", "审核通过", [S.APPLIED], S.REVIEWED, permission=HANDLE,
         guards=[Guard(_has_review_visit, "审核须入户调查：请先登记入户调查记录。")]),
    step("decline", "审核不通过", [S.APPLIED, S.REVIEWED, S.NOTICE], S.DECLINED, permission=HANDLE),
    step("post_notice", "张贴公示", [S.REVIEWED], S.NOTICE, permission=HANDLE),
    step("object", "登记公示异议", [S.NOTICE, S.SUBMITTED], permission=HANDLE),
    step("resolve", "处理公示异议", [S.NOTICE, S.SUBMITTED], permission=HANDLE,
         guards=[Guard(_has_open_objection, "没有待处理的公示异议。")]),
    step("submit", "报送审批", [S.NOTICE], S.SUBMITTED, permission=HANDLE,
         guards=[Guard(_notice_ended, _notice_message("报送审批")), NO_OPEN_OBJECTION]),
    step("spot_check", "登记抽查入户", [S.SUBMITTED], permission=HANDLE,
         guards=[Guard(_acts_for_leading_unit, lambda f, user: f"抽查入户由审批单位（{access.leading_unit(f.org_unit)}）登记。"),
                 Guard(_spot_check_due, "该档案未抽中审批抽查，或已登记抽查入户记录。")]),
    step("approve", "审批通过并建档", [S.SUBMITTED], S.ARCHIVED, permission=APPROVE,
         guards=[*DECIDE, Guard(_notice_ended, _notice_message("审批")), NO_OPEN_OBJECTION,
                 Guard(_spot_check_done, "该档案已抽中审批抽查，请先登记抽查入户记录。")],
         refusals={S.NOTICE: "公示期满、异议处理完毕并由申报单位报送后，方可审批。"}),
    step("send_back", "退回修改", [S.SUBMITTED], S.APPLIED, permission=APPROVE, guards=DECIDE),
    step("reject", "不予批准", [S.SUBMITTED], S.REJECTED, permission=APPROVE, guards=DECIDE),
    step("report_change", "登记情况变化", [S.ARCHIVED], permission=HANDLE),
    step("recheck", "年度复核", [S.ARCHIVED], permission=HANDLE),
    step("exit", "解困脱困", [S.ARCHIVED], S.EXITED, permission=HANDLE),
    step("close", "注销档案", [S.ARCHIVED], S.CLOSED, permission=HANDLE),
])


def _acts_for_the_city(report: CityReport, user: Any) -> bool:
    return access.acts_for(user, report.org_unit.parent_id)


REPORT_FLOW = Workflow(CityReport, CityReport.Status, [
    step("acknowledge", "确认备案", [CityReport.Status.OPEN], CityReport.Status.ACKNOWLEDGED, permission=ACKNOWLEDGE,
         guards=[Guard(_acts_for_the_city, lambda r, user: f"由{r.org_unit.parent}确认备案。", forbidden=True)],
         refusals={CityReport.Status.ACKNOWLEDGED: "该报送已确认备案。"}),
], events=None)


