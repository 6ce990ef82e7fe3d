"""信访接待 pages. Thin: fetch through the access policy, call one service, redirect or render.
Changes are POST-only; a refused step is shown at the form's field with the input kept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from servicecenter import approvals, audit, clocks
from servicecenter.access import Action, can, get_visible_or_404, require, role_allows, units_below, visible
from servicecenter.attachments import attachment_panel
from servicecenter.employers import DuplicateEmployer, ForeignEmployer
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.forms import EmployerForm, PersonForm, add_service_error
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.models import Employer, Person
from servicecenter.pdf import print_record
from servicecenter.people import DuplicatePerson, ForeignPerson
from servicecenter.referrals import referral_panel
from servicecenter.steps import Step, StepPage

from . import forms, registers, selectors, services
from .confidentiality import complainant, identity_visible
from .filters import PetitionFilter
from .models import FollowUp, HotlineOrder, Notice, Petition, Submission, Task, TaskTarget
from .workflow import (
    ACKNOWLEDGE,
    BACKDATE,
    HOTLINE_FLOW,
    NOTICE_FLOW,
    PETITION_FLOW,
    SUBMISSION_FLOW,
    TASK_FLOW,
)

DETAIL_RELATED = ("person__employer", "category", "org_unit__parent", "handler__org_unit", "employer", "received_by",
                  "received_unit", "sent_up_from", "referral_reported_by", "task_target__task")


def _petition(request: StaffRequest, pk: int) -> Petition:
    return get_visible_or_404(Petition.objects.select_related(*DETAIL_RELATED), request.user, pk=pk)


# --- list, register ---------------------------------------------------------------------------------


@require_safe
def petition_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = PetitionFilter(request.GET or None, queryset=selectors.petitions_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    rows = page.items
    for p in rows:
        p.complainant = complainant(p, request.user, shown=p.identity_shown)
    return render(request, "petitions/list.html", {
        "filter": filterset, "page": page, "rows": rows, "query": page.query,
        "can_export": can(request.user, registers.PETITION_EXPORT.permission),
        "can_change": can(request.user, "petitions.intake"),
    })


@require_safe
def petition_export(request: StaffRequest) -> HttpResponse | FileResponse:
    """The register of the list as filtered; above ``exports.background_rows`` rows a background job."""
    require(request.user, registers.PETITION_EXPORT.permission)
    filterset = PetitionFilter(request.GET or None, queryset=Petition.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.PETITION_EXPORT, period=filterset.period_label())


# --- intake ------------------------------------------------------------------------------------------


def _unbound_initial(data: Any, prefix: str = "") -> dict[str, Any]:
    """What was typed, as initial values (so a search re-renders the form without errors)."""
    out: dict[str, Any] = {}
    for key in data:
        if key == "csrfmiddlewaretoken":
            continue
        if prefix:
            if not key.startswith(prefix + "-"):
                continue
            name = key[len(prefix) + 1:]
        elif "-" in key:
            continue
        else:
            name = key
        out[name] = data.get(key)
    return out


def petition_new(request: StaffRequest) -> HttpResponse:
    """受理登记: search the complainant, fill in the matter, save (or save and print)."""
    user = request.user
    require(user, "petitions.intake")
    do = request.POST.get("do", "save")
    offer: dict[str, Any] = {}
    if request.method == "POST" and do != "lookup":
        person_form = PersonForm(request.POST, prefix="p", user=user)
        employer_form = EmployerForm(request.POST, prefix="e", user=user)
        form = forms.IntakeForm(request.POST, user=user, person_form=person_form, employer_form=employer_form)
        if form.is_valid():
            try:
                petition = services.petition_intake(by=user, **form.service_kwargs())
            except services.PartError as exc:
                sub = person_form if exc.part == "person" else employer_form
                choice = form.cleaned_data.get(f"{exc.part}_choice")
                if choice == "new":
                    add_service_error(sub, exc)
                    offer = _duplicate_offer(request, exc)
                    form.add_error(None, offer.get("message") or "新登记的信息有误，请按提示修改。")
                else:
                    form.add_error(f"{exc.part}_query", exc.messages)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已受理登记：{petition.number}")
                url = reverse("petitions:detail", args=[petition.pk])
                # 保存并打印 stays on the case page with the form shown inline, so the clerk can
                # print it and still has the case in front of them for the next step.
                return redirect(f"{url}?print=1" if do == "print" else url)
        # A sub-form the clerk did not choose is not shown with errors (its input is kept).
        if request.POST.get("person_choice") != "new":
            person_form = PersonForm(prefix="p", user=user, initial=_unbound_initial(request.POST, "p"))
        if request.POST.get("employer_choice") != "new":
            employer_form = EmployerForm(prefix="e", user=user, initial=_unbound_initial(request.POST, "e"))
    elif request.method == "POST":  # 查找: show matches, keep what was typed, validate nothing yet
        form = forms.IntakeForm(initial=_unbound_initial(request.POST), user=user)
        person_form = PersonForm(prefix="p", user=user, initial=_unbound_initial(request.POST, "p"))
        employer_form = EmployerForm(prefix="e", user=user, initial=_unbound_initial(request.POST, "e"))
    else:
        target = None
        if request.GET.get("task"):
            target = get_visible_or_404(TaskTarget.objects.select_related("task__org_unit"), user,
                                        pk=request.GET["task"])
        form = forms.IntakeForm(initial=forms.IntakeForm.initial_for(user, target), user=user)
        person_form = PersonForm(prefix="p", user=user)
        employer_form = EmployerForm(prefix="e", user=user)
    return render(request, "petitions/new.html", {
        "form": form, "person_form": person_form, "employer_form": employer_form,
        "may_backdate": role_allows(user, BACKDATE),
        **_intake_choices(request, form, offer),
    })


def _duplicate_offer(request: StaffRequest, exc: services.PartError) -> dict[str, Any]:
    """The person (or employer) the new registration duplicates, offered instead: picked when the
    clerk may see them, or attached from the unit that registered them (the person form's way)."""
    if isinstance(exc.error, DuplicatePerson):
        person = exc.error.person
        number = request.POST.get("p-id_number", "")
        if visible(Person.objects.filter(pk=person.pk), request.user).exists():
            return {"part": "person", "choice": str(person.pk), "people": [person],
                    "message": f"该身份证号码已登记（{person.name}），已为您选中此人，请核对后保存。"}
        foreign = ForeignPerson(person.pk, person.name, person.id_number_masked, person.org_unit.name)
        return {"part": "person", "choice": "attach", "foreign": foreign, "query": number,
                "message": f"该身份证号码已由{person.org_unit}登记（{person.name}），可选择“关联到本单位”后保存，无需重复登记。"}
    if isinstance(exc.error, DuplicateEmployer):
        employer = exc.error.employer
        code = request.POST.get("e-credit_code", "")
        if visible(Employer.objects.filter(pk=employer.pk), request.user).exists():
            return {"part": "employer", "choice": str(employer.pk), "employers": [employer],
                    "message": f"该统一社会信用代码已登记（{employer.name}），已为您选中该单位，请核对后保存。"}
        foreign_e = ForeignEmployer(employer.pk, employer.name, employer.org_unit.name)
        return {"part": "employer", "choice": "attach", "foreign": foreign_e, "query": code,
                "message": f"该统一社会信用代码已由{employer.org_unit}登记（{employer.name}），可选择“关联到本单位”后保存。"}
    return {}


def _intake_choices(request: StaffRequest, form: forms.IntakeForm, offer: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    offer = offer or {}
    value = form.data.get if form.is_bound else lambda k, d="": form.initial.get(k, d)
    person_query, employer_query = value("person_query", "") or "", value("employer_query", "") or ""
    person_choice, employer_choice = value("person_choice", "") or "", value("employer_choice", "") or ""
    if offer.get("part") == "person":
        person_choice, person_query = offer["choice"], offer.get("query", person_query)
    if offer.get("part") == "employer":
        employer_choice, employer_query = offer["choice"], offer.get("query", employer_query)
    people, foreign_person = selectors.person_candidates(request.user, person_query)
    employers, foreign_employer = selectors.employer_candidates(request.user, employer_query)
    if offer.get("part") == "person":
        people, foreign_person = offer.get("people", people), offer.get("foreign", foreign_person)
    if offer.get("part") == "employer":
        employers, foreign_employer = offer.get("employers", employers), offer.get("foreign", foreign_employer)
    if len(people) == 1 and not person_choice:
        person_choice = str(people[0].pk)
    if len(employers) == 1 and not employer_choice:
        employer_choice = str(employers[0].pk)
    return {
        "people": people, "foreign_person": foreign_person, "person_choice": str(person_choice),
        "person_query": person_query, "employer_query": employer_query,
        "employers": employers, "foreign_employer": foreign_employer, "employer_choice": str(employer_choice),
        "person_searched": bool(person_query.strip()), "employer_searched": bool(employer_query.strip()),
        "channel": str(value("channel", "") or ""),
    }


# --- detail and steps ----------------------------------------------------------------------------------


def _follow_up(petition: Petition) -> FollowUp:
    follow_up = services.pending_follow_up(petition)
    if follow_up is None:
        raise ValidationError("没有待回访的记录。", code="state")
    return follow_up


def _review(petition: Petition) -> FollowUp:
    follow_up = services.follow_up_to_review(petition)
    if follow_up is None:
        raise ValidationError("该回访无需复核。", code="state")
    return follow_up


def _fetch(request: StaffRequest, pk: int) -> Petition:
    return _petition(request, pk)


STEPS: dict[str, Step] = {
    "answer": Step(forms.AnswerForm, lambda p, u, f: services.petition_answer(petition=p, by=u, **f.cleaned_data),
                   "已当场答复并办结，回访任务已生成。"),
    "assign": Step(forms.AssignForm, lambda p, u, f: services.petition_assign(petition=p, by=u, **f.cleaned_data),
                   "已交办。"),
    "send_up": Step(forms.SendUpForm, lambda p, u, f: services.petition_send_up(petition=p, by=u, **f.cleaned_data),
                    "已上报上级中心。"),
    "forward": Step(forms.ForwardForm, lambda p, u, f: services.petition_forward(petition=p, by=u, **f.cleaned_data),
                    "已转办，等待答复。"),
    "reply": Step(forms.ReplyForm, lambda p, u, f: services.petition_record_reply(petition=p, by=u, **f.cleaned_data),
                  "已登记转办答复。"),
    "close": Step(forms.CloseForm, lambda p, u, f: services.petition_close(petition=p, by=u, **f.service_kwargs()),
                  "已办结，回访任务已生成。"),
    "notice": Step(forms.NoticeForm, lambda p, u, f: services.notice_issue(petition=p, by=u, **f.cleaned_data),
                   "已发出通知书。"),
    "pause": Step(forms.PauseForm, lambda p, u, f: services.petition_pause(petition=p, by=u, **f.cleaned_data),
                  "已暂停计时。"),
    "resume": Step(forms.ResumeForm, lambda p, u, f: services.petition_resume(petition=p, by=u, **f.cleaned_data),
                   "已恢复计时。"),
    "request_extension": Step(forms.ExtendForm, lambda p, u, f: services.petition_request_extension(
        petition=p, by=u, **f.cleaned_data), "已提交延期申请，等待分管领导审批。"),
    "decide_extension": Step(forms.DecisionForm, lambda p, u, f: services.petition_decide_extension(
        petition=p, by=u, **f.service_kwargs()), "已审批延期申请。"),
    "extend": Step(forms.ExtendForm, lambda p, u, f: services.petition_extend(petition=p, by=u, **f.cleaned_data),
                   "已延期。"),
    "recuse": Step(forms.RecuseForm, lambda p, u, f: services.petition_recuse(petition=p, by=u, **f.cleaned_data),
                   "已声明回避，本事项将由他人承办。"),
    "acknowledge": Step(forms.AcknowledgeForm, lambda p, u, f: services.petition_acknowledge(petition=p, by=u),
                        "已签收。"),
    "follow_up": Step(forms.FollowUpForm, lambda p, u, f: services.followup_record(
        follow_up=_follow_up(p), by=u, **f.cleaned_data), "已登记回访。"),
    "review": Step(forms.ReviewForm, lambda p, u, f: services.followup_review(
        follow_up=_review(p), by=u, reopen=f.cleaned_data["decision"] == "reopen", note=f.cleaned_data["note"]),
        "已复核。"),
    "request_reopen": Step(forms.ReopenForm, lambda p, u, f: services.petition_request_reopen(
        petition=p, by=u, **f.cleaned_data), "已提交重新办理申请，等待分管领导审批。"),
    "decide_reopen": Step(forms.DecisionForm, lambda p, u, f: services.petition_decide_reopen(
        petition=p, by=u, **f.service_kwargs()), "已审批重新办理申请。"),
    "reopen": Step(forms.ReopenForm, lambda p, u, f: services.petition_reopen(petition=p, by=u, **f.cleaned_data),
                   "已重新办理。"),
    "identify": Step(forms.IdentifyForm, lambda p, u, f: services.petition_identify(
        petition=p, by=u, **f.cleaned_data), "已关联来访人。"),
    "report_back": Step(forms.ReportBackForm, lambda p, u, f: services.petition_report_back(
        petition=p, by=u, **f.cleaned_data), "已向交办单位报告办理结果。"),
    "publish_answer": Step(forms.PublishAnswerForm, lambda p, u, f: services.petition_publish_answer(
        petition=p, by=u, **f.cleaned_data), "已发布网上答复，职工查询进度时可以看到。"),
}


def _render_detail(request: StaffRequest, petition: Petition, bound: dict[str, Any]) -> HttpResponse:
    return _detail_page(request, petition.pk, bound=bound)


PAGE = StepPage(
    workflow=PETITION_FLOW, steps=STEPS, fetch=_fetch, render=_render_detail,
    record_url=lambda p: reverse("petitions:detail", args=[p.pk]), url_name=lambda name: f"petitions:{name}",
    gone_url="petitions:landing", form_kwargs=lambda p, user: {"petition": p, "user": user},
)


def _fetch_notice(request: StaffRequest, pk: int, notice_pk: int) -> Notice:
    petition = _petition(request, pk)
    notice = petition.notices.select_related("petition__org_unit").filter(pk=notice_pk).first()
    if notice is None:
        raise Http404("未找到该记录。")
    return notice


def _render_notice(request: StaffRequest, notice: Notice, bound: dict[str, Any]) -> HttpResponse:
    return _detail_page(request, notice.petition_id, bound={f"notice:{notice.pk}": bound["response"]})


NOTICE_PAGE = StepPage(
    workflow=NOTICE_FLOW,
    steps={"response": Step(forms.NoticeResponseForm, lambda n, u, f: services.notice_record_response(
        notice=n, by=u, **f.cleaned_data), "已登记单位回复。")},
    fetch=_fetch_notice, render=_render_notice,
    record_url=lambda n: reverse("petitions:detail", args=[n.petition_id]),
    url_name=lambda name: "petitions:notice_response",
    url_kwargs=lambda n: {"pk": n.petition_id, "notice_pk": n.pk},
)


def _fetch_order(request: StaffRequest, pk: int) -> HotlineOrder:
    petition = _petition(request, pk)
    order = HotlineOrder.objects.select_related("petition__org_unit", "dispatched_to").filter(petition=petition).first()
    if order is None:
        raise Http404("该事项没有12351工单。")
    return order


def _render_order(request: StaffRequest, order: HotlineOrder, bound: dict[str, Any]) -> HttpResponse:
    return _detail_page(request, order.petition_id, bound={f"hotline:{k}": v for k, v in bound.items()})


HOTLINE_PAGE = StepPage(
    workflow=HOTLINE_FLOW,
    steps={
        "dispatch": Step(forms.DispatchForm, lambda o, u, f: services.hotline_dispatch(
            order=o, by=u, **f.cleaned_data), "已转派。"),
        "feedback": Step(forms.FeedbackForm, lambda o, u, f: services.hotline_feedback(
            order=o, by=u, **f.cleaned_data), "已登记向12351平台的反馈，可打印工单反馈单。"),
        "revisit": Step(forms.RevisitForm, lambda o, u, f: services.hotline_revisit(
            order=o, by=u, **f.cleaned_data), "已登记平台回访，工单结案。"),
        "return_order": Step(forms.ReturnForm, lambda o, u, f: services.hotline_return(
            order=o, by=u, **f.cleaned_data), "已登记平台退回，请重新办理并反馈。"),
    },
    fetch=_fetch_order, render=_render_order,
    record_url=lambda o: reverse("petitions:detail", args=[o.petition_id]),
    url_name=lambda name: f"petitions:hotline_{name}",
    url_kwargs=lambda o: {"pk": o.petition_id},
    gone_url="petitions:landing",
    form_kwargs=lambda o, user: {"order": o, "user": user},
)


@require_safe
def petition_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _detail_page(request, pk)


def _detail_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    """The case page; after a refused step, with that step's bound form (errors, input kept)."""
    user = request.user
    petition = _petition(request, pk)
    shown = identity_visible(user, petition)
    if petition.is_confidential and shown:
        audit.record(audit.Event.REVEAL, request=request, target=petition, detail="保密信访件来访人身份")
    bound = bound or {}
    notices = list(petition.notices.select_related("employer", "issued_by", "petition__org_unit"))
    for n in notices:
        key = f"notice:{n.pk}"
        n.panel = next(iter(NOTICE_PAGE.panels(n, user, {"response": bound[key]} if key in bound else None)), None)
    panels = PAGE.panels(petition, user, {k: v for k, v in bound.items() if ":" not in k})
    order = HotlineOrder.objects.select_related("dispatched_to", "feedback_by").filter(petition=petition).first()
    order_panels = HOTLINE_PAGE.panels(order, user, {k.split(":", 1)[1]: v for k, v in bound.items()
                                                      if k.startswith("hotline:")}) if order else []
    submission = Submission.objects.filter(petition=petition).first()
    return render(request, "petitions/detail.html", {
        "petition": petition, "c": complainant(petition, user, shown=shown),
        "order": order, "order_panels": order_panels, "submission": submission,
        "reads_only": not selectors.owns(petition, user),
        "task_visible": petition.task_target is not None and visible(
            Task.objects.filter(pk=petition.task_target.task_id), user).exists(),
        "clock": clocks.view(petition.clock, timezone.localdate()),
        "events": petition.events.select_related("by"),
        "escalations": petition.escalations.select_related("org_unit", "acknowledged_by").order_by("org_unit__path"),
        "follow_ups": petition.follow_ups.select_related("done_by", "reviewed_by"),
        "recusals": petition.recusals.select_related("user"),
        "approvals": approvals.history(petition),
        "notices": notices,
        **attachment_panel(request, petition),
        **referral_panel(request, petition),
        "panels": panels, "actions": {panel.name for panel in panels}, "bound": next(iter(bound), ""),
        "print_preview": request.GET.get("print") == "1",
    })


# --- printed forms -----------------------------------------------------------------------------------


def _print(request: StaffRequest, petition: Petition, kind: str, title: str, extra: dict[str, Any]) -> HttpResponse:
    context = {"petition": petition, "c": complainant(petition, request.user), "title": title, **extra}
    return print_record(request, record=petition, template=registers.TEMPLATES[kind], context=context, title=title,
                        filename=f"{title}-{petition.number}.pdf")


def _feedback_date(petition: Petition) -> Any:
    """反馈日期 of the 接待登记表: when the handler answered back (closed, or the department replied)."""
    if petition.closed_at:
        return timezone.localdate(petition.closed_at)
    return petition.replied_on


@require_safe
def petition_print(request: StaffRequest, pk: int) -> HttpResponse:
    """工会职工维权服务接待登记表."""
    petition = _petition(request, pk)
    follow_up = petition.follow_ups.filter(status=FollowUp.Status.DONE).order_by("-done_at").first()
    order = HotlineOrder.objects.filter(petition=petition).first()
    return _print(request, petition, "intake", "接待登记表", {"follow_up": follow_up, "order": order,
                                                          "feedback_on": _feedback_date(petition)})


@require_safe
def petition_report_print(request: StaffRequest, pk: int) -> HttpResponse:
    """职工维权服务办结报告."""
    petition = _petition(request, pk)
    if not petition.is_closed:
        messages.error(request, "事项尚未办结，没有办结报告。")
        return redirect("petitions:detail", pk=pk)
    follow_up = petition.follow_ups.filter(status=FollowUp.Status.DONE).order_by("-done_at").first()
    pauses = [{"from": a, "to": b} for a, b in petition.clock.pauses]
    return _print(request, petition, "report", "职工维权服务办结报告", {"follow_up": follow_up, "pauses": pauses})


@require_safe
def hotline_print(request: StaffRequest, pk: int) -> HttpResponse:
    """12351职工服务热线工单反馈单."""
    order = _fetch_order(request, pk)
    return _print(request, order.petition, "hotline", "12351工单反馈单", {"order": order})


@require_safe
def referral_report_print(request: StaffRequest, pk: int) -> HttpResponse:
    """办理报告 to the body that assigned the matter."""
    petition = _petition(request, pk)
    if not petition.referral_reported_at:
        messages.error(request, "尚未向交办单位报告办理结果。")
        return redirect("petitions:detail", pk=pk)
    return _print(request, petition, "referral", "办理报告", {})


@require_safe
def notice_print(request: StaffRequest, pk: int, notice_pk: int) -> HttpResponse:
    petition = _petition(request, pk)
    notice = petition.notices.select_related("employer", "issued_by").filter(pk=notice_pk).first()
    if notice is None:
        raise Http404("未找到该记录。")
    return _print(request, petition, "notice", notice.get_kind_display(), {"notice": notice})


# --- inboxes -----------------------------------------------------------------------------------------


@require_safe
def escalation_list(request: StaffRequest) -> HttpResponse:
    """群体性/紧急信访: what waits for this supervisor's unit to acknowledge."""
    require(request.user, Action.VIEW)
    items = list(selectors.escalation_inbox(request.user))
    for e in items:
        e.petition.complainant = complainant(e.petition, request.user)
    return render(request, "petitions/escalations.html", {
        "items": items, "is_supervisor": role_allows(request.user, ACKNOWLEDGE)})


@require_safe
def follow_up_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    pending = list(selectors.pending_follow_ups(request.user)[:200])
    reviews = list(selectors.reviews_awaiting(request.user))
    for fu in pending + reviews:
        fu.petition.complainant = complainant(fu.petition, request.user)
    return render(request, "petitions/follow_ups.html", {"pending": pending, "reviews": reviews})


@require_safe
def notice_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = selectors.notices_for(request.user)
    if request.GET.get("overdue") == "1":
        qs = qs.filter(selectors.NOTICE_CLOCK.overdue_q(timezone.localdate()))
    page = list_page(request, qs, ["-issued_on", "-id"])
    return render(request, "petitions/notices.html", {"page": page, "query": page.query,
                                                      "overdue_only": request.GET.get("overdue") == "1"})


# --- tasks (交办事项) -----------------------------------------------------------------------------------


@require_safe
def task_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    return render(request, "petitions/tasks.html", {
        "sent": selectors.tasks_sent(request.user)[:100],
        "received": selectors.task_targets_received(request.user)[:100],
        "can_send": can(request.user, "petitions.tasks") and units_below(request.user).exists(),
    })


def task_new(request: StaffRequest) -> HttpResponse:
    require(request.user, "petitions.tasks")
    if request.method == "POST":
        form = forms.TaskForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                task = services.task_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已交办给{task.targets.count()}个单位。")
                return redirect("petitions:task_detail", pk=task.pk)
    else:
        form = forms.TaskForm(user=request.user)
    return render(request, "petitions/task_form.html", {"form": form})


@require_safe
def task_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _task_page(request, pk)


def _task_page(request: StaffRequest, pk: int, bound: dict[int, dict[str, Any]] | None = None) -> HttpResponse:
    """The task and the parts of it the user may see: the sender's subtree sees every receiving
    unit's part and its cases (with their state), a receiving unit its own."""
    user = request.user
    task = get_visible_or_404(Task.objects.select_related("org_unit", "created_by"), user, pk=pk)
    targets = list(visible(TaskTarget.objects.select_related("org_unit", "reported_by", "task"), user)
                   .filter(task_id=task.pk).order_by("org_unit__path"))
    cases: dict[int, list[Petition]] = {}
    for p in (visible(Petition.objects.select_related("org_unit"), user)
              .filter(task_target__in=[t.pk for t in targets]).order_by("received_at")):
        assert p.task_target_id is not None  # filtered on it
        cases.setdefault(p.task_target_id, []).append(p)
    for t in targets:
        t.panels = {panel.name: panel for panel in TASK_PAGE.panels(t, user, (bound or {}).get(t.pk))}
        t.cases = cases.get(t.pk, [])
    done = sum(t.status == TaskTarget.Status.REPORTED for t in targets)
    return render(request, "petitions/task_detail.html", {
        "task": task, "targets": targets, "done": done, "can_intake": can(user, "petitions.intake")})


def _fetch_target(request: StaffRequest, pk: int) -> TaskTarget:
    return get_visible_or_404(TaskTarget.objects.select_related("task", "org_unit"), request.user, pk=pk)


def _link_case(target: TaskTarget, user: Any, form: forms.TaskLinkForm) -> Any:
    number = form.cleaned_data["number"].strip().upper()
    petition = visible(Petition.objects.select_related("org_unit"), user).filter(number=number).first()
    if petition is None:
        raise ValidationError({"number": f"未找到编号为{number}的信访事项。"})
    return services.task_link(target=target, by=user, petition=petition)


TASK_PAGE = StepPage(
    workflow=TASK_FLOW,
    steps={"report": Step(forms.TaskReportForm, lambda t, u, f: services.task_report(
        target=t, by=u, result=f.cleaned_data["result"]), "已报告办理结果。"),
        "link": Step(forms.TaskLinkForm, _link_case, "已关联信访事项。")},
    fetch=_fetch_target,
    render=lambda request, t, bound: _task_page(request, t.task_id, bound={t.pk: bound}),
    record_url=lambda t: reverse("petitions:task_detail", args=[t.task_id]),
    url_name=lambda name: f"petitions:task_{name}",
)


# --- online submissions: the queue ---------------------------------------------------------------------


@require_safe
def submission_list(request: StaffRequest) -> HttpResponse:
    """网上提交: what waits in the user's units, oldest first, and what was decided lately."""
    require(request.user, Action.VIEW)
    waiting = selectors.submission_queue(request.user)
    decided = (visible(Submission.objects.select_related("org_unit", "category", "petition", "decided_by"),
                       request.user).exclude(status=Submission.Status.RECEIVED).order_by("-decided_at", "-id"))
    page = list_page(request, waiting, ["created_at", "id"])
    return render(request, "petitions/submissions.html", {
        "page": page, "query": page.query, "decided": decided[:20]})


def _fetch_submission(request: StaffRequest, pk: int) -> Submission:
    return get_visible_or_404(Submission.objects.select_related("org_unit", "category", "petition", "decided_by"),
                              request.user, pk=pk)


def _submission_page(request: StaffRequest, submission: Submission, bound: dict[str, Any] | None = None
                     ) -> HttpResponse:
    panels = SUBMISSION_PAGE.panels(submission, request.user, bound)
    return render(request, "petitions/submission_detail.html", {
        "s": submission, "files": list(submission.files.all()), "panels": panels})


@require_safe
def submission_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _submission_page(request, _fetch_submission(request, pk))


@require_safe
def submission_file(request: StaffRequest, pk: int, file_pk: int) -> FileResponse:
    """A file sent with a submission, for the clerk deciding on it (downloads only, audited)."""
    from servicecenter.attachments import storage_path

    submission = _fetch_submission(request, pk)
    f = submission.files.filter(pk=file_pk).first()
    if f is None:
        raise Http404("未找到该附件。")
    try:
        handle = storage_path(f.stored_name).open("rb")
    except (OSError, ValueError):
        raise Http404("附件文件缺失，请联系系统管理员。") from None
    audit.record(audit.Event.DOWNLOAD, request=request, target=submission, detail=f.original_name)
    response = FileResponse(handle, as_attachment=True, filename=f.original_name, content_type=f.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _accepted(submission: Submission, user: Any, form: forms.AcceptForm) -> Any:
    return services.submission_accept(submission=submission, by=user, **form.service_kwargs())


SUBMISSION_PAGE = StepPage(
    workflow=SUBMISSION_FLOW,
    steps={
        "accept": Step(forms.AcceptForm, _accepted, "已受理，已生成信访事项。"),
        "decline": Step(forms.DeclineForm, lambda sub, u, f: services.submission_decline(
            submission=sub, by=u, **f.cleaned_data), "已不予受理，职工查询时可看到理由。"),
    },
    fetch=_fetch_submission, render=_submission_page,
    record_url=lambda sub: reverse("petitions:submission_detail", args=[sub.pk]),
    url_name=lambda name: f"petitions:submission_{name}",
    form_kwargs=lambda sub, user: {"submission": sub, "user": user},
)
