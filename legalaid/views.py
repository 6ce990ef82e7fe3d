"""法律援助 and 劳动争议调解 pages. Thin: fetch through the access policy, call one service, redirect or
render. Changes are POST-only; a refused step is shown at the form's field with the input kept."""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from servicecenter import approvals, clocks
from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.attachments import attachment_panel
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.forms import add_service_error
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.models import OrgUnit
from servicecenter.pdf import print_record
from servicecenter.referrals import origin_record
from servicecenter.steps import Step, StepPage
from servicecenter.validators import normalise_resident_id

from . import forms, registers, selectors, services, summary
from .declaration import ADVISORS, APPLY, CONSULT, EXPORT, HANDLE, MEDIATE
from .filters import ApplicationFilter, ConsultationFilter, MediationFilter
from .models import Advisor, AdvisorTie, Application, Mediation, ReceptionDay
from .workflow import APPLICATION_FLOW, MEDIATION_FLOW, missing_for_review

# The status tag's colour on the list (the case page has the fuller _status.html).
STATUS_TAGS = {Application.Status.CLOSED: "ok", Application.Status.REFUSED: "grey", Application.Status.WITHDRAWN: "grey",
               Application.Status.GRANTED: "warn", Application.Status.SUPPLEMENT: "warn"}
DETAIL_RELATED = ("applicant__org_unit", "employer", "org_unit__parent", "advisor", "handler", "received_by",
                  "reviewer", "decided_by", "opposing_agent")
MEDIATION_DETAIL_RELATED = ("employer", "org_unit__parent", "mediator", "employer_agent", "received_by")


def _application(request: StaffRequest, pk: int) -> Application:
    return get_visible_or_404(Application.objects.select_related(*DETAIL_RELATED), request.user, pk=pk)


def _mediation(request: StaffRequest, pk: int) -> Mediation:
    return get_visible_or_404(Mediation.objects.select_related(*MEDIATION_DETAIL_RELATED), request.user, pk=pk)


# --- applications: list, register, intake, edit --------------------------------------------------------


@require_safe
def application_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = ApplicationFilter(request.GET or None, queryset=selectors.application_rows_for(request.user),
                                  user=request.user)
    page = list_page(request, filterset.qs)
    today = timezone.localdate()
    days = selectors.urgent_days(request.user)
    for a in page.items:
        a.urgent = a.is_open and a.limitation_ends_on is not None and (a.limitation_ends_on - today).days <= days
        a.tag = STATUS_TAGS.get(a.status, "")
    return render(request, "legalaid/application_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "applications",
        "can_export": can(request.user, EXPORT), "can_apply": can(request.user, APPLY),
    })


@require_safe
def application_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    filterset = ApplicationFilter(request.GET or None, queryset=Application.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.APPLICATION_EXPORT, period=filterset.period_label())


def _employer_from(form: Any, user: Any, unit: OrgUnit, field: str = "employer_text") -> Any:
    text = (form.cleaned_data.get(field) or "").strip()
    if not text:
        return None
    try:
        return services.employer_by_text(by=user, text=text, org_unit=unit, field_name=field)
    except ValidationError as exc:
        add_service_error(form, exc)
        return False


def application_new(request: StaffRequest) -> HttpResponse:
    """受理法律援助申请 (法律援助申请书)."""
    user = request.user
    require(user, APPLY)
    if request.method == "POST":
        form = forms.ApplicationIntakeForm(request.POST, user=user)
        if form.is_valid():
            unit = form.cleaned_data["org_unit"]
            try:
                applicant = services.applicant_by_id_number(by=user, id_number=form.cleaned_data["id_number"],
                                                            org_unit=unit)
            except ValidationError as exc:
                add_service_error(form, exc)
                applicant = None
            employer = _employer_from(form, user, unit)
            if applicant is not None and employer is not False:
                try:
                    application = services.application_intake(
                        by=user, token=form.cleaned_data["token"], org_unit=unit, applicant=applicant,
                        complete=form.cleaned_data["complete"], **form.details(employer))
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, f"已受理法律援助申请：{application.number}")
                    return redirect(application.get_absolute_url())
    else:
        form = forms.ApplicationIntakeForm(initial=forms.ApplicationIntakeForm.initial_for(user), user=user)
    return render(request, "legalaid/application_form.html", {"form": form, "is_new": True, "here": "new"})


def application_edit(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    application = _application(request, pk)
    require(user, HANDLE, application)
    refused = APPLICATION_FLOW.refusal(application, user, "update")
    if refused:
        messages.error(request, refused.message)
        return redirect(application.get_absolute_url())
    if request.method == "POST":
        form = forms.ApplicationDetailsForm(request.POST, user=user)
        if form.is_valid():
            employer = _employer_from(form, user, application.org_unit)
            if employer is not False:
                try:
                    services.application_update(application=application, by=user, **form.details(employer))
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, "已保存申请信息。")
                    return redirect(application.get_absolute_url())
    else:
        initial = {n: getattr(application, n) for n in services.DETAIL_FIELDS if n != "employer"}
        initial["employer_text"] = application.employer.credit_code if application.employer is not None else ""
        initial["opposing_agent"] = application.opposing_agent_id
        form = forms.ApplicationDetailsForm(initial=initial, user=user)
    return render(request, "legalaid/application_form.html", {"form": form, "is_new": False,
                                                              "application": application})


# --- application: detail and steps ---------------------------------------------------------------------


STEPS: dict[str, Step] = {
    "complete": Step(forms.EmptyForm, lambda a, u, f: services.application_complete(application=a, by=u),
                     "材料已齐全，审查期限开始计算。"),
    "request_material": Step(forms.MaterialForm, lambda a, u, f: services.application_request_material(
        application=a, by=u, **f.cleaned_data), "已通知补充材料，审查期限暂停计时。"),
    "supplement": Step(forms.SupplementForm, lambda a, u, f: services.application_supplement(
        application=a, by=u, **f.cleaned_data), "材料已补齐，审查期限恢复计时。"),
    "assess": Step(forms.AssessForm, lambda a, u, f: services.application_assess(application=a, by=u, **f.cleaned_data),
                   "审查意见已报分管领导审批。"),
    "grant": Step(forms.GrantForm, lambda a, u, f: services.application_grant(application=a, by=u, **f.cleaned_data),
                  "已批准援助，请在指派期限内指派律师。"),
    "refuse": Step(forms.RefuseForm, lambda a, u, f: services.application_refuse(application=a, by=u,
                                                                                 **f.cleaned_data),
                   "已决定不予援助，请打印通知书送达申请人。"),
    "withdraw": Step(forms.WithdrawForm, lambda a, u, f: services.application_withdraw(
        application=a, by=u, **f.cleaned_data), "申请已撤回。"),
    "withdraw_stale": Step(forms.EmptyForm, lambda a, u, f: services.application_withdraw_stale(application=a, by=u),
                           "已视为撤回申请，请打印通知书送达申请人。"),
    "assign": Step(forms.AssignForm, lambda a, u, f: services.application_assign(application=a, by=u,
                                                                                 **f.cleaned_data),
                   "已指派，请打印委派函。"),
    "reassign": Step(forms.ReassignForm, lambda a, u, f: services.application_reassign(
        application=a, by=u, **f.cleaned_data), "已更换承办律师。"),
    "progress": Step(forms.ProgressForm, lambda a, u, f: services.application_progress(
        application=a, by=u, **f.cleaned_data), "已登记案件进展。"),
    "close": Step(forms.CloseForm, lambda a, u, f: services.application_close(application=a, by=u, **f.cleaned_data),
                  "已结案。"),
    "feedback": Step(forms.FeedbackForm, lambda a, u, f: services.application_feedback(
        application=a, by=u, **f.cleaned_data), "已登记职工评价。"),
}


def _render_application(request: StaffRequest, application: Application, bound: dict[str, Any]) -> HttpResponse:
    return _application_page(request, application.pk, bound)


PAGE = StepPage(
    workflow=APPLICATION_FLOW, steps=STEPS, fetch=lambda request, pk: _application(request, pk),
    render=_render_application, record_url=lambda a: a.get_absolute_url(),
    url_name=lambda name: f"legalaid:{name}", form_kwargs=lambda a, user: {"application": a, "user": user},
)


@require_safe
def application_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _application_page(request, pk)


def _application_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    a = _application(request, pk)
    today = timezone.localdate()
    panels = PAGE.panels(a, user, bound or {})
    limitation = services.limitation_of(a)
    n_apps, n_meds = (selectors.dispute_counts(user, [a.employer_id]).get(a.employer_id, (0, 0))
                      if a.employer_id else (0, 0))
    origin = origin_record(a.origin_type_id, a.origin_id, user)
    return render(request, "legalaid/application_detail.html", {
        "a": a, "panels": panels, "bound": next(iter(bound or {}), ""),
        "review": clocks.view(a.review_clock, today), "assignment": clocks.view(a.assign_clock, today),
        "limitation": limitation, "days_left": limitation.days_left(today),
        "days_past": max(-(limitation.days_left(today) or 0), 0),
        "urgent": a.is_open and limitation.is_urgent(today, selectors.urgent_days(user)),
        "missing": missing_for_review(a) if a.status == Application.Status.DRAFT else [],
        "events": a.events.select_related("by"), "progress": a.progress.select_related("by"),
        "approvals": approvals.history(a), "origin": origin, "other_disputes": n_apps + n_meds - 1,
        "repeat_threshold": selectors.repeat_threshold(user),
        "can_edit": can(user, HANDLE, a) and APPLICATION_FLOW.refusal(a, user, "update") is None,
        **attachment_panel(request, a),
    })


def _print(request: StaffRequest, record: Any, kind: str, title: str, context: dict[str, Any]) -> HttpResponse:
    return print_record(request, record=record, template=registers.TEMPLATES[kind], context=context, title=title,
                        filename=f"{title}-{record.number}.pdf")


def _leader(unit: OrgUnit) -> OrgUnit:
    from servicecenter.access import leading_unit

    return leading_unit(unit)


@require_safe
def application_print(request: StaffRequest, pk: int) -> HttpResponse:
    """法律援助申请书."""
    a = _application(request, pk)
    return _print(request, a, "application", "法律援助申请书", {"a": a, "limitation": services.limitation_of(a)})


@require_safe
def approval_print(request: StaffRequest, pk: int) -> HttpResponse:
    """法律援助申请审批表: the review opinion, then the decision."""
    a = _application(request, pk)
    return _print(request, a, "approval", "法律援助申请审批表", {"a": a, "leader": _leader(a.org_unit)})


@require_safe
def refusal_print(request: StaffRequest, pk: int) -> HttpResponse:
    """不予法律援助通知书, with how to object."""
    a = _application(request, pk)
    if a.status != Application.Status.REFUSED:
        messages.error(request, "该申请未被决定不予援助，没有不予援助通知书。")
        return redirect(a.get_absolute_url())
    from servicecenter.parameters import param

    lead = _leader(a.org_unit)
    return _print(request, a, "refusal", "不予法律援助通知书", {
        "a": a, "leader": lead, "objection_unit": lead.parent or lead,
        "objection_days": param("legalaid.objection_days", a.org_unit)})


@require_safe
def withdrawal_print(request: StaffRequest, pk: int) -> HttpResponse:
    """视为撤回申请通知书 (left incomplete too long)."""
    a = _application(request, pk)
    if not a.withdrawn_as_stale:
        messages.error(request, "该申请不是逾期未补正视为撤回，没有此通知书。")
        return redirect(a.get_absolute_url())
    return _print(request, a, "withdrawal", "视为撤回申请通知书", {"a": a, "leader": _leader(a.org_unit)})


@require_safe
def assignment_print(request: StaffRequest, pk: int) -> HttpResponse:
    """委派函 to the assigned lawyer or volunteer."""
    a = _application(request, pk)
    if a.advisor_id is None:
        messages.error(request, "尚未指派承办律师，没有委派函。")
        return redirect(a.get_absolute_url())
    return _print(request, a, "assignment", "法律援助委派函", {"a": a, "leader": _leader(a.org_unit)})


# --- mediation -------------------------------------------------------------------------------------------


@require_safe
def mediation_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = MediationFilter(request.GET or None, queryset=selectors.mediations_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "legalaid/mediation_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "mediations",
        "can_export": can(request.user, EXPORT), "can_mediate": can(request.user, MEDIATE),
    })


@require_safe
def mediation_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    filterset = MediationFilter(request.GET or None, queryset=Mediation.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.MEDIATION_EXPORT, period=filterset.period_label())


def _workers_from(form: Any, user: Any, unit: OrgUnit) -> list | None:
    workers = []
    for n, line in enumerate((form.cleaned_data.get("workers_ids") or "").splitlines(), 1):
        if not normalise_resident_id(line):
            continue
        try:
            workers.append(services.applicant_by_id_number(by=user, id_number=line, org_unit=unit))
        except ValidationError as exc:
            form.add_error("workers_ids", f"第{n}行：" + "".join(exc.messages))
            return None
    return workers


def mediation_new(request: StaffRequest) -> HttpResponse:
    user = request.user
    require(user, MEDIATE)
    if request.method == "POST":
        form = forms.MediationIntakeForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            unit = cd["org_unit"]
            workers = _workers_from(form, user, unit)
            employer = _employer_from(form, user, unit)
            if workers is not None and employer not in (False, None):
                try:
                    mediation = services.mediation_intake(
                        by=user, token=cd["token"], org_unit=unit, workers=workers, employer=employer,
                        employer_agent=cd["employer_agent"], mediator=cd["mediator"], matter=cd["matter"],
                        request=cd["request"], facts=cd["facts"], amount_claimed=cd["amount_claimed"],
                        applied_on=cd["applied_on"])
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, f"已受理调解：{mediation.number}")
                    return redirect(mediation.get_absolute_url())
    else:
        form = forms.MediationIntakeForm(initial=forms.MediationIntakeForm.initial_for(user), user=user)
    return render(request, "legalaid/mediation_form.html", {"form": form, "here": "mediation_new"})


MEDIATION_STEPS: dict[str, Step] = {
    "session": Step(forms.SessionForm, lambda m, u, f: services.mediation_session(mediation=m, by=u, **f.cleaned_data),
                    "已登记调解情况。"),
    "change_mediator": Step(forms.ChangeMediatorForm, lambda m, u, f: services.mediation_change_mediator(
        mediation=m, by=u, **f.cleaned_data), "已更换调解员。"),
    "notify": Step(forms.NotifyForm, lambda m, u, f: services.mediation_notify(mediation=m, by=u, **f.cleaned_data),
                   "已登记告知当事人可申请劳动仲裁。"),
    "agree": Step(forms.AgreeForm, lambda m, u, f: services.mediation_agree(mediation=m, by=u, **f.cleaned_data),
                  "已达成调解协议，请打印调解协议书。"),
    "fail": Step(forms.FailForm, lambda m, u, f: services.mediation_fail(mediation=m, by=u, **f.cleaned_data),
                 "已终止调解。"),
    "execution": Step(forms.ExecutionForm, lambda m, u, f: services.mediation_execution(
        mediation=m, by=u, **f.cleaned_data), "已登记履行情况。"),
    "refer": Step(forms.ReferForm, lambda m, u, f: services.mediation_refer(mediation=m, by=u, **f.cleaned_data),
                  "已转法律援助，申请草稿已生成。"),
}


MEDIATION_PAGE = StepPage(
    workflow=MEDIATION_FLOW, steps=MEDIATION_STEPS, fetch=lambda request, pk: _mediation(request, pk),
    render=lambda request, m, bound: _mediation_page(request, m.pk, bound),
    record_url=lambda m: m.get_absolute_url(), url_name=lambda name: f"legalaid:mediation_{name}",
    form_kwargs=lambda m, user: {"mediation": m, "user": user},
)


@require_safe
def mediation_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _mediation_page(request, pk)


def _mediation_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = request.user
    m = _mediation(request, pk)
    referred = visible(Application.objects.filter(origin_type=ContentType.objects.get_for_model(Mediation),
                                                  origin_id=m.pk), user).select_related("applicant")
    return render(request, "legalaid/mediation_detail.html", {
        "m": m, "panels": MEDIATION_PAGE.panels(m, user, bound or {}), "bound": next(iter(bound or {}), ""),
        "clock": clocks.view(m.clock, timezone.localdate()), "workers": list(m.workers.order_by("pk")),
        "sessions": m.sessions.select_related("by"), "events": m.events.select_related("by"),
        "executions": m.execution_records.select_related("by"), "referred": referred,
        **attachment_panel(request, m),
    })


@require_safe
def agreement_print(request: StaffRequest, pk: int) -> HttpResponse:
    """调解协议书."""
    m = _mediation(request, pk)
    if not m.agreed_on:
        messages.error(request, "尚未达成调解协议。")
        return redirect(m.get_absolute_url())
    return _print(request, m, "agreement", "调解协议书", {"m": m, "workers": list(m.workers.order_by("pk"))})


# --- consultations ----------------------------------------------------------------------------------------


@require_safe
def consultation_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = ConsultationFilter(request.GET or None, queryset=selectors.consultations_for(request.user),
                                   user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "legalaid/consultation_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "consultations",
        "can_consult": can(request.user, CONSULT)})


def consultation_new(request: StaffRequest) -> HttpResponse:
    user = request.user
    require(user, CONSULT)
    if request.method == "POST":
        form = forms.ConsultationForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            person = None
            if normalise_resident_id(cd["id_number"]):
                try:
                    person = services.applicant_by_id_number(by=user, id_number=cd["id_number"], org_unit=cd["org_unit"])
                except ValidationError as exc:
                    add_service_error(form, exc)
            if not form.errors:
                try:
                    services.consultation_create(
                        by=user, token=cd["token"], org_unit=cd["org_unit"], at=cd["at"], channel=cd["channel"],
                        matter=cd["matter"], question=cd["question"], answer=cd["answer"], person=person,
                        caller=cd["caller"], advisor=cd["advisor"])
                except ValidationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, "已登记法律咨询。")
                    return redirect("legalaid:consultations")
    else:
        form = forms.ConsultationForm(initial=forms.ConsultationForm.initial_for(user), user=user)
    return render(request, "legalaid/consultation_form.html", {"form": form, "here": "consultation_new"})


# --- advisors and reception days -----------------------------------------------------------------------


@require_safe
def advisor_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = selectors.advisors_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in Advisor.Kind.values:
        qs = qs.filter(kind=kind)
    if request.GET.get("inactive") != "1":
        qs = qs.filter(is_active=True)
    page = list_page(request, qs.order_by("kind", "name", "id"))
    loads = selectors.caseloads([a.pk for a in page.items])
    for a in page.items:
        a.load = loads.get(a.pk, 0)
    return render(request, "legalaid/advisor_list.html", {
        "page": page, "query": page.query, "here": "advisors", "kinds": Advisor.Kind.choices, "kind": kind,
        "inactive": request.GET.get("inactive") == "1", "can_manage": can(request.user, ADVISORS)})


def advisor_new(request: StaffRequest) -> HttpResponse:
    user = request.user
    require(user, ADVISORS)
    if request.method == "POST":
        form = forms.AdvisorForm(request.POST, user=user)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                advisor = services.advisor_save(by=user, org_unit=data.pop("org_unit"), **data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记：{advisor}")
                return redirect(advisor.get_absolute_url())
    else:
        form = forms.AdvisorForm(user=user, initial={"is_active": True})
    return render(request, "legalaid/advisor_form.html", {"form": form, "is_new": True, "here": "advisors"})


def _advisor(request: StaffRequest, pk: int) -> Advisor:
    return get_visible_or_404(Advisor.objects.select_related("org_unit"), request.user, pk=pk)


def advisor_edit(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    advisor = _advisor(request, pk)
    require(user, ADVISORS, advisor)
    if request.method == "POST":
        form = forms.AdvisorForm(request.POST, user=user, new=False)
        if form.is_valid():
            try:
                services.advisor_save(by=user, advisor=advisor, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存。")
                return redirect(advisor.get_absolute_url())
    else:
        form = forms.AdvisorForm(user=user, new=False, initial=forms.AdvisorForm.initial_of(advisor))
    return render(request, "legalaid/advisor_form.html", {"form": form, "is_new": False, "advisor": advisor,
                                                          "here": "advisors"})


@require_safe
def advisor_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _advisor_page(request, pk)


def _advisor_page(request: StaffRequest, pk: int, tie_form: Any = None) -> HttpResponse:
    user = request.user
    advisor = _advisor(request, pk)
    cases = (selectors.applications_for(user).filter(advisor=advisor)
             .order_by("-received_on", "-id")[:50])
    meds = selectors.mediations_for(user).filter(mediator=advisor).order_by("-applied_on", "-id")[:50]
    today = timezone.localdate()
    days = selectors.reception_days_for(user, today, today + datetime.timedelta(days=90)).filter(advisor=advisor)
    return render(request, "legalaid/advisor_detail.html", {
        "advisor": advisor, "ties": advisor.ties.select_related("employer", "recorded_by"), "cases": cases,
        "mediations": meds, "reception_days": days, "load": selectors.caseloads([advisor.pk]).get(advisor.pk, 0),
        "can_manage": can(user, ADVISORS, advisor), "tie_form": tie_form or forms.TieForm(), "here": "advisors"})


@require_POST
def advisor_tie_add(request: StaffRequest, pk: int) -> HttpResponse:
    user = request.user
    advisor = _advisor(request, pk)
    require(user, ADVISORS, advisor)
    form = forms.TieForm(request.POST)
    if form.is_valid():
        assert user.org_unit is not None
        employer = _employer_from(form, user, user.org_unit)
        if employer not in (False, None):
            try:
                services.advisor_tie_add(by=user, advisor=advisor, employer=employer, relation=form.cleaned_data["relation"],
                                         note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已登记利害关系。")
                return redirect(advisor.get_absolute_url())
    return _advisor_page(request, pk, tie_form=form)


@require_POST
def advisor_tie_remove(request: StaffRequest, pk: int, tie_pk: int) -> HttpResponse:
    advisor = _advisor(request, pk)
    require(request.user, ADVISORS, advisor)
    tie = AdvisorTie.objects.filter(advisor=advisor, pk=tie_pk).select_related("employer", "advisor").first()
    if tie is None:
        raise Http404("未找到该记录。")
    services.advisor_tie_remove(by=request.user, tie=tie)
    messages.success(request, "已删除利害关系。")
    return redirect(advisor.get_absolute_url())


def reception_list(request: StaffRequest) -> HttpResponse:
    """接待日安排: the coming weeks' reception days of lawyers and psychologists."""
    user = request.user
    require(user, Action.VIEW)
    form = None
    if request.method == "POST":
        require(user, ADVISORS)
        form = forms.ReceptionForm(request.POST, user=user)
        if form.is_valid():
            try:
                services.reception_day_add(by=user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已安排接待日。")
                return redirect("legalaid:reception")
    today = timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday())
    days: list[ReceptionDay] = list(selectors.reception_days_for(user, first, first + datetime.timedelta(days=55)))
    if form is None and can(user, ADVISORS):
        form = forms.ReceptionForm(user=user, initial={"on": today})
    return render(request, "legalaid/reception.html", {"days": days, "form": form, "here": "reception"})


# --- the urgent queue, repeat offenders, the month's figures ------------------------------------------------


@require_safe
def offenders(request: StaffRequest) -> HttpResponse:
    """涉诉较多的用人单位: employers with disputes at or above ``legalaid.repeat_offender_cases``."""
    require(request.user, Action.VIEW)
    return render(request, "legalaid/offenders.html", {
        "rows": selectors.repeat_offenders(request.user), "threshold": selectors.repeat_threshold(request.user),
        "here": "offenders"})


def _month(request: StaffRequest) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in (request.GET.get("month") or "").split("-"))
        datetime.date(year, month, 1)
    except (ValueError, TypeError):
        return today.year, today.month
    if not 2000 <= year <= today.year + 1:
        return today.year, today.month
    return year, month


@require_safe
def figures(request: StaffRequest) -> HttpResponse:
    """The month's figures (this app's part of the monthly summary) for a unit in the user's scope."""
    user = request.user
    require(user, Action.VIEW)
    units = visible(OrgUnit.objects.all(), user)
    unit = user.org_unit
    assert unit is not None
    chosen = request.GET.get("unit", "")
    if chosen.isdigit():
        unit = units.filter(pk=int(chosen)).first() or unit
    year, month = _month(request)
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    values = summary.monthly_figures(unit, first, last)
    rows = [{"figure": f, "value": values.get(f.code)} for f in summary.FIGURES]
    return render(request, "legalaid/figures.html", {
        "rows": rows, "unit": unit, "units": units, "month": f"{year:04d}-{month:02d}", "first": first, "last": last,
        "here": "figures"})


@require_safe
def landing(request: StaffRequest) -> HttpResponse:
    return application_list(request)

