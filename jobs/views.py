"""就业援助 pages. Thin: fetch through the access policy, call one service, redirect or render.
Changes are POST-only; a refused step comes back at its form's field with the input kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from servicecenter import registry
from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.attachments import attachment_panel
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.forms import add_service_error
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.models import Employer, OrgUnit, Person, User
from servicecenter.pdf import print_record
from servicecenter.people import person_search
from servicecenter.steps import Panel, Step, StepPage

from . import forms, matching, registers, selectors, services, summary
from .filters import EnrolmentFilter, PostingFilter, RecruiterFilter, ReferralFilter, SeekerFilter
from .models import Course, Education, Enrolment, JobFair, Paper, Posting, Recruiter, Referral, Seeker
from .workflow import (
    COURSE_FLOW,
    ENROLMENT_FLOW,
    EXPORT,
    FAIR_FLOW,
    MANAGE,
    POSTING_FLOW,
    RECRUITER_FLOW,
    REFER,
    REFERRAL_FLOW,
    SEEKER_FLOW,
    SEEKERS,
    TRAIN,
    missing_papers,
    places_taken,
    required_hours,
)

# Every page here is behind the login (LoginRequiredMiddleware): the user is a staff account.
Request = StaffRequest


SEX = dict(Person.Sex.choices)
EDUCATION = dict(Education.choices)
SEEKER_STATUS = dict(Seeker.Status.choices)
CERTIFICATE = dict(Person.JoblessCertificate.choices)


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _flags_for(rows: list[Any], employer_id: Any) -> None:
    """Put each row's employer flags (欠薪 …) on it as ``.flags``: one call for the page."""
    flags = registry.employer_flags(employer_id(r) for r in rows)
    for r in rows:
        r.flags = flags.get(employer_id(r), [])


def _panels(page: StepPage, obj: Any, user: Any, bound: dict[str, Any] | None) -> tuple[list[Panel], set[str]]:
    panels = page.panels(obj, user, bound)
    return panels, {t.name for t in page.workflow.available(obj, user)}


# --- the landing page and lists ------------------------------------------------------------------------


@require_safe
def posting_list(request: Request) -> HttpResponse:
    """岗位: the pool every station refers from (published postings of every unit, drafts of one's own)."""
    require(request.user, Action.VIEW)
    filterset = PostingFilter(request.GET or None, queryset=selectors.postings_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    _flags_for(page.items, lambda p: p.recruiter.employer_id)
    return render(request, "jobs/posting_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "postings", "detail": reverse("jobs:postings"),
        "can_export": can(request.user, EXPORT), "can_change": can(request.user, MANAGE),
    })


@require_safe
def posting_export(request: Request) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    return export_or_enqueue(request, registers.POSTING_EXPORT)


@require_safe
def seeker_list(request: Request) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = visible(Seeker.objects.select_related("person", "org_unit", "desired_occupation"), request.user)
    filterset = SeekerFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    # Labels from dicts made once: get_FOO_display rebuilds its choices on every call (50 rows × 5).
    for s in page.items:
        wages = [f"{s.desired_monthly_wage} 元/月" if s.desired_monthly_wage else "",
                 f"{s.desired_hourly_wage} 元/小时" if s.desired_hourly_wage else ""]
        s.labels = {"sex": SEX[s.person.sex], "education": EDUCATION[s.education], "status": SEEKER_STATUS[s.status],
                    "certificate": CERTIFICATE.get(s.person.jobless_certificate, ""),
                    "wage": " ".join(w for w in wages if w) or "不限", "registered": s.registered_on.isoformat(),
                    "occupation": s.desired_occupation.name if s.desired_occupation else "不限"}
    return render(request, "jobs/seeker_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "seekers",
        # Row links as one prefix (``seekers/<pk>/``): a reverse() per row is a tenth of the page.
        "detail": reverse("jobs:seekers"),
        "can_export": can(request.user, EXPORT), "can_change": can(request.user, SEEKERS),
    })


@require_safe
def seeker_export(request: Request) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    filterset = SeekerFilter(request.GET or None, queryset=Seeker.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.SEEKER_EXPORT, period=filterset.period_label())


@require_safe
def referral_list(request: Request) -> HttpResponse:
    require(request.user, Action.VIEW)
    filterset = ReferralFilter(request.GET or None, queryset=selectors.referrals_for(request.user), user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "jobs/referral_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "referrals", "today": timezone.localdate(),
        "can_export": can(request.user, EXPORT),
    })


@require_safe
def referral_export(request: Request) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    filterset = ReferralFilter(request.GET or None, queryset=Referral.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.REFERRAL_EXPORT, period=filterset.period_label())


@require_safe
def recruiter_list(request: Request) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = selectors.recruiters_for(request.user).annotate(
        open_postings=Count("postings", filter=Q(postings__status=Posting.Status.OPEN)))
    filterset = RecruiterFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    _flags_for(page.items, lambda r: r.employer_id)
    return render(request, "jobs/recruiter_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "recruiters",
        "can_change": can(request.user, MANAGE),
    })


@require_safe
def course_list(request: Request) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = selectors.courses_for(request.user).annotate(
        taken=Count("enrolments", filter=~Q(enrolments__status=Enrolment.Status.DROPPED)))
    page = list_page(request, qs, ["-starts_on", "-id"])
    return render(request, "jobs/course_list.html", {"page": page, "query": page.query, "here": "courses",
                                                     "can_change": can(request.user, TRAIN)})


@require_safe
def trainee_list(request: Request) -> HttpResponse:
    """培训登记: every enrolment the user may see, with the fee and the discount line."""
    require(request.user, Action.VIEW)
    filterset = EnrolmentFilter(request.GET or None, queryset=selectors.enrolments_for(request.user),
                                user=request.user)
    page = list_page(request, filterset.qs, ["-id"])
    return render(request, "jobs/trainee_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "trainees",
        "can_export": can(request.user, EXPORT),
    })


@require_safe
def trainee_export(request: Request) -> HttpResponse | FileResponse:
    require(request.user, EXPORT)
    filterset = EnrolmentFilter(request.GET or None, queryset=Enrolment.objects.none(), user=request.user)
    return export_or_enqueue(request, registers.TRAINEE_EXPORT, period=filterset.period_label())


@require_safe
def fair_list(request: Request) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = selectors.fairs_for(request.user).annotate(n_recruiters=Count("recruiters", distinct=True),
                                                    n_attendees=Count("attendees", distinct=True),
                                                    n_referrals=Count("referrals", distinct=True))
    page = list_page(request, qs, ["-held_on", "-id"])
    return render(request, "jobs/fair_list.html", {"page": page, "query": page.query, "here": "fairs",
                                                   "can_change": can(request.user, MANAGE)})


@require_safe
def rates(request: Request) -> HttpResponse:
    """中介成功率 per unit: the user's unit and each unit directly below it, for a cohort of
    referrals (by referral date) counted as of a date."""
    user = request.user
    require(user, Action.VIEW)
    today = timezone.localdate()
    form = forms.RatesForm(request.GET or None, initial=forms.default_period(today))
    period = forms.default_period(today)
    if form.is_bound and form.is_valid():
        period = {k: form.cleaned_data[k] for k in ("start", "end", "as_of")}
    unit = user.org_unit
    children = list(OrgUnit.objects.filter(parent=unit, is_active=True).order_by("path")) if unit else []
    rows = summary.placement_by_unit([unit, *children], period["start"], period["end"], period["as_of"]) if unit else []
    return render(request, "jobs/rates.html", {"form": form, "rows": rows, "period": period, "here": "rates"})


# --- recruiters --------------------------------------------------------------------------------------------


def recruiter_new(request: Request) -> HttpResponse:
    require(request.user, MANAGE)
    initial = {}
    employer_pk = request.GET.get("employer", "")
    if employer_pk.isdigit():
        employer = visible(Employer.objects.filter(pk=employer_pk), request.user).first()
        if employer is not None:
            initial = {"credit_code": employer.credit_code, "contact_person": employer.contact_person,
                       "contact_phone": employer.contact_phone}
    if request.method == "POST":
        form = forms.RecruiterForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                recruiter = services.recruiter_register(by=request.user, **form.service_kwargs())
            except ValidationError as exc:
                _at_credit_code(form, exc)
            else:
                messages.success(request, f"已登记用工单位：{recruiter}。请上传证件并核验。")
                return redirect(recruiter.get_absolute_url())
    else:
        form = forms.RecruiterForm(user=request.user, initial=initial)
    return render(request, "jobs/form.html", {"form": form, "title": "用工单位登记", "here": "recruiters"})


def _at_credit_code(form: forms.RecruiterForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "employer" in exc.error_dict:
        exc = ValidationError({"credit_code": exc.error_dict.pop("employer"), **exc.error_dict})
    add_service_error(form, exc)


def _recruiter(request: Request, pk: int) -> Recruiter:
    return get_visible_or_404(Recruiter.objects.select_related("employer", "org_unit", "verified_by"),
                              request.user, pk=pk)


RECRUITER_PAGE = StepPage(
    workflow=RECRUITER_FLOW,
    steps={
        "verify": Step(forms.VerifyForm, lambda r, u, f: services.recruiter_verify(recruiter=r, by=u, **f.cleaned_data),
                       "已核验证件，该单位可以发布岗位。"),
        "suspend": Step(forms.ReasonForm, lambda r, u, f: services.recruiter_suspend(
            recruiter=r, by=u, reason=f.cleaned_data["reason"]), "已暂停该单位的招聘资格。"),
        "edit": Step(forms.RecruiterEditForm, lambda r, u, f: services.recruiter_update(
            recruiter=r, by=u, **f.cleaned_data), "已保存。"),
    },
    fetch=_recruiter, render=lambda request, r, bound: _recruiter_page(request, r, bound),
    record_url=lambda r: r.get_absolute_url(), url_name=lambda name: f"jobs:recruiter_{name}",
    form_kwargs=lambda r, user: {"recruiter": r, "user": user},
)


@require_safe
def recruiter_detail(request: Request, pk: int) -> HttpResponse:
    return _recruiter_page(request, _recruiter(request, pk))


def _recruiter_page(request: HttpRequest, recruiter: Recruiter, bound: dict[str, Any] | None = None,
                    paper_form: forms.PaperForm | None = None) -> HttpResponse:
    user = _user(request)
    panels, offered = _panels(RECRUITER_PAGE, recruiter, user, bound)
    postings = list(selectors.postings_for(user).filter(recruiter=recruiter)[:50])
    flags = registry.employer_flags([recruiter.employer_id]).get(recruiter.employer_id, [])
    return render(request, "jobs/recruiter_detail.html", {
        "recruiter": recruiter, "panels": panels, "flags": flags, "postings": postings, "here": "recruiters",
        "papers": recruiter.papers.select_related("attachment", "added_by"), "missing": missing_papers(recruiter),
        "paper_form": paper_form or (forms.PaperForm() if "add_paper" in offered else None),
        "events": recruiter.events.select_related("by"),
        "can_post": recruiter.is_verified and can(user, MANAGE, recruiter),
    })


@require_POST
def recruiter_add_paper(request: Request, pk: int) -> HttpResponse:
    recruiter = _recruiter(request, pk)
    require(request.user, MANAGE, recruiter)
    form = forms.PaperForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.recruiter_add_paper(recruiter=recruiter, by=request.user, kind=form.cleaned_data["kind"],
                                         upload=form.cleaned_data["file"], valid_until=form.cleaned_data["valid_until"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"已上传：{Paper.Kind(form.cleaned_data['kind']).label}。")
            return redirect(recruiter.get_absolute_url() + "#papers")
    return _recruiter_page(request, recruiter, paper_form=form)


# --- postings ------------------------------------------------------------------------------------------------


def posting_new(request: Request) -> HttpResponse:
    require(request.user, MANAGE)
    if request.method == "POST":
        form = forms.PostingForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                posting = services.posting_create(by=request.user, recruiter=form.cleaned_data["recruiter"],
                                                  publish=request.POST.get("do") == "publish", **form.service_kwargs())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                verb = "已登记并发布" if posting.status == Posting.Status.OPEN else "已登记（草稿）"
                messages.success(request, f"{verb}：{posting.number} {posting.title}")
                return redirect(posting.get_absolute_url())
    else:
        initial: dict[str, Any] = {}
        recruiter_pk = request.GET.get("recruiter", "")
        if recruiter_pk.isdigit():
            recruiter = visible(Recruiter.objects.filter(pk=recruiter_pk), request.user).first()
            if recruiter is not None:
                initial = {"recruiter": recruiter, "contact_person": recruiter.contact_person,
                           "contact_phone": recruiter.contact_phone, "address": recruiter.employer.address}
        form = forms.PostingForm(user=request.user, initial=initial)
    return render(request, "jobs/posting_form.html", {"form": form, "title": "岗位登记", "here": "postings", "new": True})


def _posting(request: Request, pk: int) -> Posting:
    return get_visible_or_404(Posting.objects.select_related("recruiter__employer", "occupation", "area", "org_unit",
                                                             "created_by"), request.user, pk=pk)


def posting_edit(request: Request, pk: int) -> HttpResponse:
    posting = _posting(request, pk)
    require(request.user, MANAGE, posting)
    refusal = POSTING_FLOW.refusal(posting, request.user, "edit")
    if refusal and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    if refusal:
        messages.error(request, refusal.message)
        return redirect(posting.get_absolute_url())
    if request.method == "POST":
        form = forms.PostingForm(request.POST, user=request.user, posting=posting)
        if form.is_valid():
            try:
                services.posting_update(posting=posting, by=request.user, **form.service_kwargs())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存。")
                return redirect(posting.get_absolute_url())
    else:
        form = forms.PostingForm(user=request.user, posting=posting)
    return render(request, "jobs/posting_form.html", {"form": form, "posting": posting, "title": "修改岗位",
                                                      "here": "postings"})


POSTING_PAGE = StepPage(
    workflow=POSTING_FLOW,
    steps={
        "publish": Step(forms.EmptyForm, lambda p, u, f: services.posting_publish(posting=p, by=u), "已发布。"),
        "fill": Step(forms.FillForm, lambda p, u, f: services.posting_fill(posting=p, by=u, **f.cleaned_data),
                     "已标记为招满。"),
        "close": Step(forms.CloseForm, lambda p, u, f: services.posting_close(posting=p, by=u, **f.cleaned_data),
                      "已停止招聘。"),
        "renew": Step(forms.RenewForm, lambda p, u, f: services.posting_renew(posting=p, by=u, **f.cleaned_data),
                      "已续期，岗位重新招聘。"),
    },
    fetch=_posting, render=lambda request, p, bound: _posting_page(request, p, bound),
    record_url=lambda p: p.get_absolute_url(), url_name=lambda name: f"jobs:posting_{name}",
    form_kwargs=lambda p, user: {"posting": p, "user": user},
)


@require_safe
def posting_detail(request: Request, pk: int) -> HttpResponse:
    return _posting_page(request, _posting(request, pk))


def _posting_page(request: HttpRequest, posting: Posting, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = _user(request)
    panels, offered = _panels(POSTING_PAGE, posting, user, bound)
    referrals = list(selectors.referrals_for(user).filter(posting=posting)[:50])
    return render(request, "jobs/posting_detail.html", {
        "posting": posting, "panels": panels, "can_edit": "edit" in offered, "referrals": referrals,
        "flags": registry.employer_flags([posting.recruiter.employer_id]).get(posting.recruiter.employer_id, []),
        "skills": list(posting.skills.all()), "events": posting.events.select_related("by"), "here": "postings",
        "recruiter_visible": visible(Recruiter.objects.filter(pk=posting.recruiter_id), user).exists(),
    })


@require_safe
def posting_matches(request: Request, pk: int) -> HttpResponse:
    """求职者 ranked for this posting (those the user may see), each score explained."""
    posting = _posting(request, pk)
    rows = matching.seekers_for(posting, visible(Seeker.objects.all(), request.user))
    return render(request, "jobs/posting_matches.html", {"posting": posting, "matches": rows, "here": "postings",
                                                         "can_refer": can(request.user, REFER)})


# --- seekers --------------------------------------------------------------------------------------------------


def seeker_new(request: Request) -> HttpResponse:
    """求职登记 for a person: ``?person=<pk>`` (from the person page, or picked here by search)."""
    user = request.user
    require(user, SEEKERS)
    person = None
    person_pk = request.POST.get("person") or request.GET.get("person", "")
    if str(person_pk).isdigit():
        person = get_visible_or_404(Person.objects.select_related("org_unit"), user, pk=person_pk)
    if person is None:
        query = (request.GET.get("q") or "").strip()
        found = list(person_search(visible(Person.objects.select_related("org_unit"), user), query)[:20]) if query else []
        return render(request, "jobs/seeker_pick.html", {"query": query, "found": found, "here": "seekers"})
    existing = Seeker.objects.filter(person=person).first()
    if existing is not None and visible(Seeker.objects.filter(pk=existing.pk), user).exists():
        messages.info(request, f"{person.name}已有求职登记。")
        return redirect(existing.get_absolute_url())
    if request.method == "POST":
        form = forms.SeekerForm(request.POST, user=user, person=person)
        if form.is_valid():
            try:
                seeker = services.seeker_register(by=user, person=person, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记求职：{seeker.number}")
                return redirect(seeker.get_absolute_url())
    else:
        form = forms.SeekerForm(user=user, person=person)
    return render(request, "jobs/seeker_form.html", {"form": form, "person": person, "title": "求职登记",
                                                     "here": "seekers"})


def _seeker(request: Request, pk: int) -> Seeker:
    return get_visible_or_404(Seeker.objects.select_related(*selectors.SEEKER_RELATED, "photo"), request.user, pk=pk)


def seeker_edit(request: Request, pk: int) -> HttpResponse:
    seeker = _seeker(request, pk)
    require(request.user, SEEKERS, seeker)
    refusal = SEEKER_FLOW.refusal(seeker, request.user, "edit")
    if refusal:
        messages.error(request, refusal.message)
        return redirect(seeker.get_absolute_url())
    if request.method == "POST":
        form = forms.SeekerForm(request.POST, user=request.user, seeker=seeker)
        if form.is_valid():
            try:
                services.seeker_update(seeker=seeker, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存。")
                return redirect(seeker.get_absolute_url())
    else:
        form = forms.SeekerForm(user=request.user, seeker=seeker)
    return render(request, "jobs/seeker_form.html", {"form": form, "person": seeker.person, "seeker": seeker,
                                                     "title": "修改求职登记", "here": "seekers"})


SEEKER_PAGE = StepPage(
    workflow=SEEKER_FLOW,
    steps={
        "withdraw": Step(forms.WithdrawForm, lambda s, u, f: services.seeker_withdraw(seeker=s, by=u, **f.cleaned_data),
                         "已撤销求职登记。"),
        "resume": Step(forms.ResumeForm, lambda s, u, f: services.seeker_resume(seeker=s, by=u, **f.cleaned_data),
                       "已恢复求职。"),
    },
    fetch=_seeker, render=lambda request, s, bound: _seeker_page(request, s, bound),
    record_url=lambda s: s.get_absolute_url(), url_name=lambda name: f"jobs:seeker_{name}",
    form_kwargs=lambda s, user: {"seeker": s, "user": user},
)


@require_safe
def seeker_detail(request: Request, pk: int) -> HttpResponse:
    return _seeker_page(request, _seeker(request, pk))


def _seeker_page(request: HttpRequest, seeker: Seeker, bound: dict[str, Any] | None = None,
                 refer_form: forms.ReferForm | None = None, photo_form: forms.PhotoForm | None = None) -> HttpResponse:
    user = _user(request)
    panels, offered = _panels(SEEKER_PAGE, seeker, user, bound)
    if "refer" in offered or refer_form is not None:
        form = refer_form or forms.ReferForm(user=user, seeker=seeker, auto_id="id_refer_%s")
        panels.insert(0, Panel("refer", "推荐", form, reverse("jobs:seeker_refer", args=[seeker.pk])))
    referrals = list(selectors.referrals_for(user).filter(seeker=seeker)[:50])
    _flags_for(referrals, lambda r: r.posting.recruiter.employer_id)
    return render(request, "jobs/seeker_detail.html", {
        "seeker": seeker, "person": seeker.person, "panels": panels, "referrals": referrals,
        "enrolments": list(selectors.enrolments_for(user).filter(person=seeker.person)[:20]),
        "can_edit": "edit" in offered, "photo_form": photo_form or (forms.PhotoForm() if "photo" in offered else None),
        "events": seeker.events.select_related("by"), "here": "seekers",
        **attachment_panel(request, seeker),
    })


@require_POST
def seeker_refer(request: Request, pk: int) -> HttpResponse:
    """推荐 from the seeker page (a posting number) or from the matches (a posting's id): on
    success, the referral and its letter."""
    seeker = _seeker(request, pk)
    require(request.user, REFER, seeker)
    form = forms.ReferForm(request.POST, user=request.user, seeker=seeker, auto_id="id_refer_%s")
    from_matches = request.POST.get("from") == "matches"
    if form.is_valid():
        try:
            referral = services.referral_create(by=request.user, seeker=seeker, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"已推荐：{referral.number}，可打印介绍信。")
            return redirect(referral.get_absolute_url())
    if from_matches:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("jobs:seeker_matches", pk=seeker.pk)
    return _seeker_page(request, seeker, refer_form=form)


@require_POST
def seeker_photo(request: Request, pk: int) -> HttpResponse:
    seeker = _seeker(request, pk)
    require(request.user, SEEKERS, seeker)
    form = forms.PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.seeker_set_photo(seeker=seeker, by=request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "照片已上传。")
            return redirect(seeker.get_absolute_url())
    return _seeker_page(request, seeker, photo_form=form)


@require_safe
def seeker_matches(request: Request, pk: int) -> HttpResponse:
    """岗位 ranked for this seeker, each score explained factor by factor."""
    seeker = _seeker(request, pk)
    rows, facts = matching.postings_for(seeker, visible(Posting.objects.all(), request.user))
    _flags_for(rows, lambda m: m.obj.recruiter.employer_id)
    referred = set(Referral.objects.filter(seeker=seeker, status__in=Referral.AWAITING).values_list("posting_id",
                                                                                                   flat=True))
    return render(request, "jobs/seeker_matches.html", {
        "seeker": seeker, "matches": rows, "referred": referred, "here": "seekers",
        "can_refer": "refer" in {t.name for t in SEEKER_FLOW.available(seeker, request.user)},
        "weights": {"occupation": matching.OCCUPATION, "skill": matching.SKILL, "education": matching.EDUCATION,
                    "place": matching.PLACE, "wage": matching.WAGE, "wage_partial": matching.WAGE_PARTIAL},
    })


# --- referrals ------------------------------------------------------------------------------------------------


def _referral(request: Request, pk: int) -> Referral:
    return get_visible_or_404(Referral.objects.select_related(
        "seeker__person", "posting__recruiter__employer", "posting__area", "posting__occupation", "org_unit",
        "referred_by", "fair"), request.user, pk=pk)


REFERRAL_PAGE = StepPage(
    workflow=REFERRAL_FLOW,
    steps={
        "interview": Step(forms.InterviewForm, lambda r, u, f: services.referral_interview(
            referral=r, by=u, **f.cleaned_data), "已登记面试。"),
        "hire": Step(forms.HireForm, lambda r, u, f: services.referral_hire(referral=r, by=u, **f.cleaned_data),
                     "已登记录用，回访任务已生成。"),
        "reject": Step(forms.RejectForm, lambda r, u, f: services.referral_reject(referral=r, by=u, **f.cleaned_data),
                       "已登记未录用。"),
        "no_show": Step(forms.NoteForm, lambda r, u, f: services.referral_no_show(referral=r, by=u, **f.cleaned_data),
                        "已登记未到场。"),
        "follow_up": Step(forms.FollowUpForm, lambda r, u, f: services.referral_follow_up(
            referral=r, by=u, **f.cleaned_data), "已登记就业回访。"),
        "leave": Step(forms.LeaveForm, lambda r, u, f: services.referral_leave(referral=r, by=u, **f.cleaned_data),
                      "已登记离职。"),
    },
    fetch=_referral, render=lambda request, r, bound: _referral_page(request, r, bound),
    record_url=lambda r: r.get_absolute_url(), url_name=lambda name: f"jobs:referral_{name}",
    form_kwargs=lambda r, user: {"referral": r, "user": user},
)


@require_safe
def referral_detail(request: Request, pk: int) -> HttpResponse:
    return _referral_page(request, _referral(request, pk))


def _referral_page(request: HttpRequest, referral: Referral, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = _user(request)
    panels, _ = _panels(REFERRAL_PAGE, referral, user, bound)
    employer_id = referral.posting.recruiter.employer_id
    return render(request, "jobs/referral_detail.html", {
        "referral": referral, "panels": panels, "events": referral.events.select_related("by"), "here": "referrals",
        "flags_now": registry.employer_flags([employer_id]).get(employer_id, []),
        "by_other_unit": referral.org_unit_id != user.org_unit_id,
    })


@require_safe
def referral_letter(request: Request, pk: int) -> HttpResponse:
    """介绍信 with its return slip (回执) for the employer."""
    referral = _referral(request, pk)
    return print_record(request, record=referral, template=registers.LETTER_TEMPLATE,
                        context={"r": referral, "person": referral.seeker.person, "posting": referral.posting},
                        title="介绍信", filename=f"介绍信-{referral.number}.pdf")


# --- training --------------------------------------------------------------------------------------------


def _create_page(request: Request, form_class: type, create: Callable[[dict], Any], *, done: Callable[[Any], str],
                 title: str, here: str) -> HttpResponse:
    """A "new record" page: the form, the service's refusal at its field, then the record's page."""
    form = form_class(request.POST) if request.method == "POST" else form_class()
    if request.method == "POST" and form.is_valid():
        try:
            record = create(form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done(record))
            return redirect(record.get_absolute_url())
    return render(request, "jobs/form.html", {"form": form, "title": title, "here": here})


def course_new(request: Request) -> HttpResponse:
    require(request.user, TRAIN)
    return _create_page(request, forms.CourseForm, lambda data: services.course_create(by=request.user, **data),
                        done=lambda course: f"已开设课程：{course.name}", title="开设培训课程", here="courses")


def _course(request: Request, pk: int) -> Course:
    return get_visible_or_404(Course.objects.select_related("org_unit"), request.user, pk=pk)


COURSE_PAGE = StepPage(
    workflow=COURSE_FLOW,
    steps={
        "enrol": Step(forms.EnrolForm, lambda c, u, f: services.enrolment_create(course=c, by=u, **f.cleaned_data),
                      "已报名。"),
        "finish": Step(forms.EmptyForm, lambda c, u, f: services.course_finish(course=c, by=u), "课程已结业。"),
        "cancel": Step(forms.ReasonForm, lambda c, u, f: services.course_cancel(course=c, by=u, **f.cleaned_data),
                       "课程已取消。"),
    },
    fetch=_course, render=lambda request, c, bound: _course_page(request, c, bound),
    record_url=lambda c: c.get_absolute_url(), url_name=lambda name: f"jobs:course_{name}",
    form_kwargs=lambda c, user: {"course": c, "user": user},
)


@require_safe
def course_detail(request: Request, pk: int) -> HttpResponse:
    return _course_page(request, _course(request, pk))


def _course_page(request: HttpRequest, course: Course, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = _user(request)
    panels, _ = _panels(COURSE_PAGE, course, user, bound)
    enrolments = list(selectors.enrolments_for(user).filter(course=course).order_by("id")[:200])
    return render(request, "jobs/course_detail.html", {
        "course": course, "panels": panels, "enrolments": enrolments, "taken": places_taken(course),
        "events": course.events.select_related("by"), "here": "courses",
    })


def _enrolment(request: Request, pk: int) -> Enrolment:
    return get_visible_or_404(Enrolment.objects.select_related("course__org_unit", "person", "org_unit", "enrolled_by"),
                              request.user, pk=pk)


ENROLMENT_PAGE = StepPage(
    workflow=ENROLMENT_FLOW,
    steps={
        "attend": Step(forms.AttendForm, lambda e, u, f: services.enrolment_attend(enrolment=e, by=u, **f.cleaned_data),
                       "已登记出勤。"),
        "complete": Step(forms.CompleteForm, lambda e, u, f: services.enrolment_complete(
            enrolment=e, by=u, **f.cleaned_data), "已结业。"),
        "drop": Step(forms.DropForm, lambda e, u, f: services.enrolment_drop(enrolment=e, by=u, **f.cleaned_data),
                     "已退训。"),
    },
    fetch=_enrolment, render=lambda request, e, bound: _enrolment_page(request, e, bound),
    record_url=lambda e: e.get_absolute_url(), url_name=lambda name: f"jobs:enrolment_{name}",
    form_kwargs=lambda e, user: {"enrolment": e, "user": user},
)


@require_safe
def enrolment_detail(request: Request, pk: int) -> HttpResponse:
    return _enrolment_page(request, _enrolment(request, pk))


def _enrolment_page(request: HttpRequest, enrolment: Enrolment, bound: dict[str, Any] | None = None) -> HttpResponse:
    panels, _ = _panels(ENROLMENT_PAGE, enrolment, _user(request), bound)
    return render(request, "jobs/enrolment_detail.html", {
        "e": enrolment, "panels": panels, "required_hours": required_hours(enrolment),
        "events": enrolment.events.select_related("by"), "here": "trainees",
    })


# --- fairs ------------------------------------------------------------------------------------------------


def fair_new(request: Request) -> HttpResponse:
    require(request.user, MANAGE)
    return _create_page(request, forms.FairForm, lambda data: services.fair_create(by=request.user, **data),
                        done=lambda fair: f"已登记洽谈会：{fair.name}", title="登记招聘洽谈会", here="fairs")


def _fair(request: Request, pk: int) -> JobFair:
    return get_visible_or_404(JobFair.objects.select_related("org_unit"), request.user, pk=pk)


FAIR_PAGE = StepPage(
    workflow=FAIR_FLOW,
    steps={
        "join": Step(forms.JoinForm, lambda j, u, f: services.fair_join(fair=j, by=u, **f.cleaned_data),
                     "已登记参会单位。"),
        "attend": Step(forms.AttendeeForm, lambda j, u, f: services.fair_attend(fair=j, by=u, **f.cleaned_data),
                       "已登记到场。"),
        "refer": Step(forms.FairReferForm, lambda j, u, f: services.referral_create(fair=j, by=u, **f.cleaned_data),
                      "已现场推荐。"),
        "hold": Step(forms.NoteForm, lambda j, u, f: services.fair_hold(fair=j, by=u, **f.cleaned_data), "已确认举办。"),
        "cancel": Step(forms.ReasonForm, lambda j, u, f: services.fair_cancel(fair=j, by=u, **f.cleaned_data),
                       "洽谈会已取消。"),
    },
    fetch=_fair, render=lambda request, j, bound: _fair_page(request, j, bound),
    record_url=lambda j: j.get_absolute_url(), url_name=lambda name: f"jobs:fair_{name}",
    form_kwargs=lambda j, user: {"fair": j, "user": user},
)


@require_safe
def fair_detail(request: Request, pk: int) -> HttpResponse:
    return _fair_page(request, _fair(request, pk))


def _fair_page(request: HttpRequest, fair: JobFair, bound: dict[str, Any] | None = None) -> HttpResponse:
    user = _user(request)
    panels, _ = _panels(FAIR_PAGE, fair, user, bound)
    return render(request, "jobs/fair_detail.html", {
        "fair": fair, "panels": panels, "here": "fairs",
        "recruiters": list(fair.recruiters.select_related("employer")),
        "postings": list(fair.postings.select_related("recruiter__employer")),
        "attendees": list(fair.attendees.filter(seeker__in=visible(Seeker.objects.all(), user))
                          .select_related("seeker__person")),
        "referrals": list(selectors.referrals_for(user).filter(fair=fair)),
        "events": fair.events.select_related("by"),
    })

