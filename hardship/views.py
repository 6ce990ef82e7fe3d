"""困难职工档案 pages. Thin: fetch through the access policy, call one service, redirect or render.
Changes are POST-only; a refused step is shown at the form's field with the input kept."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from servicecenter import approvals, audit, clocks, registry
from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.attachments import attachment_panel
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.pdf import pdf_response, print_record
from servicecenter.steps import Step, StepPage

from . import codes, eligibility, forms, registers, selectors, services, tables
from .filters import FileFilter, RosterFilter
from .models import CityReport, HardshipFile
from .workflow import APPLY, FILE_FLOW, HANDLE, REPORT_FLOW, latest_spot_check

DETAIL_RELATED = ("applicant__org_unit", "applicant__employer", "org_unit__parent", "created_by", "reviewed_by",
                  "submitted_by", "approved_by", "latest_evaluation", "decision", "city_report")
FORM_SECTIONS = [
    ("申请人", ["org_unit", "applied_on", "ethnicity", "political", "marital", "hukou", "disability",
              "disability_grade", "single_parent", "phone", "address"]),
    ("住房与资产", ["housing_type", "housing_area", "home_acquired_on", "luxury_residence", "has_car", "luxury_goods",
               "other_assets"]),
    ("当年刚性支出", ["medical_cost", "education_cost", "rent_cost"]),
    ("已享受的保障", ["receives_dibao", "receives_dibao_edge", "basic_support", "dibao_topup"]),
    ("致困情况（入户核实）", ["main_cause", "secondary_causes", "cause_note", "disaster", "disaster_note", "tuition_hardship",
                   "other_special", "other_special_note"]),
    ("不予认定情形（入户核实）", ["child_private_school", "vice", "family_planning_breach"]),
    ("困难诉求与已获帮扶", ["needs", "help_received"]),
]


def _file(request: StaffRequest, pk: int) -> HardshipFile:
    return get_visible_or_404(HardshipFile.objects.select_related(*DETAIL_RELATED), request.user, pk=pk)


# --- lists -----------------------------------------------------------------------------------------------


@require_safe
def file_list(request: StaffRequest) -> HttpResponse:
    """Every file in scope, in every state (the working list)."""
    require(request.user, Action.VIEW)
    filterset = FileFilter(request.GET or None, queryset=selectors.files_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "hardship/list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "list", "rows": tables.file_rows(page.items),
        "can_apply": can(request.user, APPLY), "title": "困难职工档案"})


@require_safe
def roster(request: StaffRequest) -> HttpResponse:
    """困难职工花名册: the archived files, with the roster export of exactly this list."""
    require(request.user, Action.VIEW)
    filterset = RosterFilter(request.GET or None, queryset=selectors.roster_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "hardship/roster.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "roster",
        "rows": tables.roster_rows(page.items, timezone.localdate()),
        "can_export": can(request.user, registers.ROSTER_EXPORT.permission), "today": timezone.localdate()})


@require_safe
def roster_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, registers.ROSTER_EXPORT.permission)
    return export_or_enqueue(request, registers.ROSTER_EXPORT, period=f"截至{timezone.localdate():%Y-%m-%d}")


@require_safe
def notice_list(request: StaffRequest) -> HttpResponse:
    """Files under public notice (公示名单), with the printable list."""
    require(request.user, Action.VIEW)
    rows = list(_notice_rows(request))
    return render(request, "hardship/notices.html", {"rows": rows, "here": "notices", "today": timezone.localdate(),
                                                     "query": request.GET.urlencode()})


def _notice_rows(request: StaffRequest) -> Any:
    qs = selectors.files_for(request.user).filter(status=HardshipFile.Status.NOTICE)
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        qs = qs.filter(org_unit_id=int(unit))
    return qs.order_by("org_unit__path", "notice_started_on", "id")[:500]


@require_safe
def notice_print(request: StaffRequest) -> HttpResponse:
    """公示名单 PDF: names partly masked (张*三), no ID numbers."""
    require(request.user, Action.VIEW)
    rows = list(_notice_rows(request))
    for f in rows:
        f.masked_name = registers.mask_name(f.applicant.name)
    unit = rows[0].org_unit if rows and len({f.org_unit_id for f in rows}) == 1 else request.user.org_unit
    days = {f.notice_deadline_days for f in rows}
    response = pdf_response(registers.TEMPLATES["notice"], {
        "rows": rows, "unit": unit, "today": timezone.localdate(), "days": days.pop() if len(days) == 1 else None,
    }, f"困难职工公示名单-{timezone.localdate():%Y%m%d}.pdf", request)
    if response.status_code == 200:
        audit.record(audit.Event.PRINT, request=request, action="hardship.print_notice",
                     detail=f"困难职工公示名单 {len(rows)}人", new={"files": [f.pk for f in rows]})
    return response


# --- application and edits ----------------------------------------------------------------------------


def _sections(form: forms.FileForm) -> list[tuple[str, list[Any]]]:
    return [(legend, [form[name] for name in names if name in form.fields]) for legend, names in FORM_SECTIONS]


def file_new(request: StaffRequest) -> HttpResponse:
    """申请登记: the household, its members and incomes; the eligibility result right after saving."""
    user = request.user
    require(user, APPLY)
    if request.method == "POST":
        bundle = forms.HouseholdForms(request.POST, user=user)
        if bundle.is_valid():
            cd = bundle.form.cleaned_data
            try:
                file = services.file_apply(by=user, token=cd.get("token") or uuid.uuid4(),
                                           org_unit=cd["org_unit"], household=bundle.household(),
                                           applied_on=cd["applied_on"])
            except ValidationError as exc:
                bundle.add_service_error(exc)
            else:
                messages.success(request, "已登记困难职工档案申请，认定核算结果见下方。")
                for conflict in selectors.member_conflicts(file, user):
                    messages.warning(request, conflict.text)
                return redirect("hardship:detail", pk=file.pk)
    else:
        bundle = forms.HouseholdForms(user=user)
    return render(request, "hardship/form.html", {"bundle": bundle, "sections": _sections(bundle.form),
                                                  "is_new": True, "here": "new"})


def file_edit(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    file = _file(request, pk)
    require(user, HANDLE, file)
    refused = FILE_FLOW.refusal(file, user, "edit")
    if refused:
        messages.error(request, refused.message)
        return redirect("hardship:detail", pk=file.pk)
    if request.method == "POST":
        bundle = forms.HouseholdForms(request.POST, user=user, file=file)
        if bundle.is_valid():
            try:
                services.file_update(file=file, by=user, household=bundle.household())
            except ValidationError as exc:
                bundle.add_service_error(exc)
            else:
                messages.success(request, "已保存，认定已按新的情况重新核算。")
                for conflict in selectors.member_conflicts(file, user):
                    messages.warning(request, conflict.text)
                return redirect("hardship:detail", pk=file.pk)
    else:
        bundle = forms.HouseholdForms(user=user, file=file)
    return render(request, "hardship/form.html", {"bundle": bundle, "sections": _sections(bundle.form),
                                                  "file": file, "is_new": False})


# --- the file page and its steps ---------------------------------------------------------------------


def _run(service: Any, **extra: Any) -> Any:
    return lambda f, u, form: service(file=f, by=u, **extra, **form.cleaned_data)


STEPS: dict[str, Step] = {
    "visit": Step(forms.VisitForm, _run(services.file_record_visit), "已登记入户调查，可上传走访照片。"),
    "review": Step(forms.ReviewForm, _run(services.file_review), "已审核通过，请张贴公示。"),
    "decline": Step(forms.ReasonForm, _run(services.file_decline), "已审核不通过。"),
    "post_notice": Step(forms.NoticeForm, _run(services.file_post_notice), "已登记公示。"),
    "object": Step(forms.ObjectionForm, _run(services.objection_record), "已登记公示异议，请核实处理。"),
    "resolve": Step(forms.ResolveForm, lambda f, u, form: services.objection_resolve(
        file=f, by=u, **form.service_kwargs()), "已登记异议处理结果。"),
    "submit": Step(forms.SubmitForm, _run(services.file_submit), "已报送审批。"),
    "spot_check": Step(forms.VisitForm, _run(services.file_spot_check), "已登记抽查入户记录。"),
    "approve": Step(forms.ApproveForm, _run(services.file_approve), "已审批通过并建档，已报市中心备案。"),
    "send_back": Step(forms.ReasonForm, _run(services.file_send_back), "已退回申报单位修改。"),
    "reject": Step(forms.ReasonForm, _run(services.file_reject), "已不予批准。"),
    "report_change": Step(forms.ChangeForm, _run(services.file_report_change), "已登记情况变化，档案待复核。"),
    "recheck": Step(forms.RecheckForm, _run(services.file_recheck), "已完成年度复核。"),
    "exit": Step(forms.ExitForm, _run(services.file_exit), "已办理解困脱困。"),
    "close": Step(forms.CloseForm, _run(services.file_close), "已注销档案。"),
}


PAGE = StepPage(
    workflow=FILE_FLOW, steps=STEPS, fetch=lambda request, pk: _file(request, pk),
    render=lambda request, f, bound: _detail_page(request, f.pk, bound=bound),
    record_url=lambda f: reverse("hardship:detail", args=[f.pk]), url_name=lambda name: f"hardship:{name}",
    gone_url="hardship:list", form_kwargs=lambda f, user: {"file": f, "user": user},
)


@require_safe
def file_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk)


def _evidence(attachments: Any) -> list[tuple[str, bool]]:
    have = {a.description for a in attachments}
    return [(label, any(d.startswith(value) for d in have)) for value, label in codes.Evidence.choices
            if value != codes.Evidence.OTHER]


def _detail_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    file = _file(request, pk)
    evaluation = file.latest_evaluation
    panels = PAGE.panels(file, user, bound or {})
    attachments = attachment_panel(request, file)
    attachments["attachments"] = list(attachments["attachments"])
    members = list(file.members.all())
    objections = list(file.objections.select_related("recorded_by", "resolved_by"))
    return render(request, "hardship/detail.html", {
        "file": file, "members": members, "incomes": list(file.incomes.all()),
        "evaluation": evaluation, "groups": eligibility.grouped(evaluation.outcome) if evaluation else [],
        "overrides": list(file.overrides.select_related("by", "evaluation")),
        "visits": list(file.visits.select_related("recorded_by")),
        "objections": objections,
        "spot_check": latest_spot_check(file), "approvals": approvals.history(file),
        "events": file.events.select_related("by"), "conflicts": selectors.member_conflicts(file, user, [m.person_id for m in members if m.person_id]),
        "notice": clocks.view(selectors.NOTICE_CLOCK.read(file), timezone.localdate())
        if file.notice_started_on else None,
        "open_objections": sum(o.is_open for o in objections), "evidence": _evidence(attachments["attachments"]),
        "help": selectors.help_this_year(file, members, user), "help_known": bool(registry.help_sources()),
        "evidence_kinds": codes.Evidence.choices, "can_edit": FILE_FLOW.refusal(file, user, "edit") is None
        and can(user, HANDLE, file),
        **attachments, "panels": panels, "bound": next(iter(bound or {}), ""),
    })


@require_safe
def visit_detail(request: StaffRequest, pk: int, visit_pk: int) -> HttpResponse:
    """A home visit and its photos (its own attachments)."""
    file = _file(request, pk)
    visit = file.visits.select_related("recorded_by").filter(pk=visit_pk).first()
    if visit is None:
        raise Http404("未找到该记录。")
    return render(request, "hardship/visit.html", {"file": file, "visit": visit, **attachment_panel(request, visit)})


@require_safe
def evaluation_detail(request: StaffRequest, pk: int, evaluation_pk: int) -> HttpResponse:
    """One stored evaluation: its facts, its parameters with their sources, and its replay."""
    file = _file(request, pk)
    evaluation = file.evaluations.select_related("by").filter(pk=evaluation_pk).first()
    if evaluation is None:
        raise Http404("未找到该记录。")
    replayed = services.replay(evaluation)
    params = eligibility.params_from_json(evaluation.params)
    return render(request, "hardship/evaluation.html", {
        "file": file, "evaluation": evaluation, "groups": eligibility.grouped(evaluation.outcome),
        "params": [params[k] for k in eligibility.KEYS if k in params], "facts": evaluation.facts,
        "replay_ok": replayed == evaluation.outcome,
        "history": list(file.evaluations.select_related("by").order_by("-at", "-id")[:50]),
    })


# --- printed forms -----------------------------------------------------------------------------------


def _print(request: StaffRequest, file: HardshipFile, kind: str, title: str) -> HttpResponse:
    evaluation = file.decision or file.latest_evaluation
    context = {"file": file, "members": list(file.members.all()), "incomes": list(file.incomes.all()),
               "evaluation": evaluation, "lines": eligibility.rule_lines(evaluation.outcome) if evaluation else [],
               "visits": list(file.visits.all()), "objections": list(file.objections.all()),
               "approvals": list(approvals.history(file)), "today": timezone.localdate(),
               "causes": registers._causes(file.secondary_causes)}
    return print_record(request, record=file, template=registers.TEMPLATES[kind], context=context, title=title,
                        filename=f"{title}-{file.number or file.pk}.pdf")


@require_safe
def approval_print(request: StaffRequest, pk: int) -> HttpResponse:
    """困难职工档案审批表."""
    return _print(request, _file(request, pk), "approval", "困难职工档案审批表")


@require_safe
def card_print(request: StaffRequest, pk: int) -> HttpResponse:
    """困难职工档案卡."""
    return _print(request, _file(request, pk), "card", "困难职工档案卡")


# --- reports to the city ----------------------------------------------------------------------------


def _report(request: StaffRequest, pk: int) -> CityReport:
    return get_visible_or_404(CityReport.objects.select_related("org_unit__parent", "acknowledged_by"), request.user,
                              pk=pk)


@require_safe
def report_list(request: StaffRequest) -> HttpResponse:
    """报市备案: each district's lists of approved files and whether the city has acknowledged them."""
    require(request.user, Action.VIEW)
    qs = visible(CityReport.objects.select_related("org_unit", "acknowledged_by"), request.user)
    page = list_page(request, qs, ["-id"])
    return render(request, "hardship/reports.html", {"page": page, "query": page.query, "here": "reports"})


@require_safe
def report_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _report_page(request, pk)


def _report_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    report = _report(request, pk)
    files = list(visible(report.files.select_related("applicant", "org_unit"), request.user).order_by("number"))
    return render(request, "hardship/report.html", {
        "report": report, "files": files, "panels": REPORT_PAGE.panels(report, request.user, bound or {}),
        "here": "reports"})


REPORT_PAGE = StepPage(
    workflow=REPORT_FLOW,
    steps={"acknowledge": Step(forms.AcknowledgeForm, lambda r, u, f: services.report_acknowledge(report=r, by=u),
                               "已确认备案。")},
    fetch=lambda request, pk: _report(request, pk),
    render=lambda request, r, bound: _report_page(request, r.pk, bound=bound),
    record_url=lambda r: reverse("hardship:report", args=[r.pk]), url_name=lambda name: "hardship:report_acknowledge",
)
