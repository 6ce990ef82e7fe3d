"""帮扶资金与物资 pages. Thin: fetch through the access policy, call one service, redirect or render.
Changes are POST-only; a refusal is shown at the form's field with the input kept."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from servicecenter import approvals
from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.forms import add_service_error
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.pdf import print_record
from servicecenter.steps import Step, StepPage

from . import forms, holds, registers, services
from .filters import GrantFilter, LedgerFilter, SourceFilter, YearCloseFilter
from .models import Budget, FundAccount, FundSource, Grant, LedgerEntry, ReliefType, YearClose
from .workflow import APPLY, GRANT_FLOW, MANAGE, PAY

GRANT_RELATED = ("person", "org_unit", "applied_by", "verified_by", "approved_by", "paid_by", "account__source",
                 "account__org_unit", "hold", "paid_entry")


# --- grants ------------------------------------------------------------------------------------------------


@require_safe
def grant_list(request: StaffRequest) -> HttpResponse:
    """救助登记簿: every grant in scope, in every state."""
    require(request.user, Action.VIEW)
    qs = visible(Grant.objects.select_related("person", "org_unit"), request.user)
    filterset = GrantFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/grant_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "grants", "title": "救助登记簿",
        "can_apply": can(request.user, APPLY), "can_export": can(request.user, registers.GRANT_EXPORT.permission),
        "can_pay": can(request.user, PAY)})


@require_safe
def grant_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, registers.GRANT_EXPORT.permission)
    return export_or_enqueue(request, registers.GRANT_EXPORT, period=f"截至{timezone.localdate():%Y-%m-%d}")


def grant_new(request: StaffRequest) -> HttpResponse:
    """救助申请."""
    user = request.user
    require(user, APPLY)
    if request.method == "POST":
        form = forms.GrantForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                grant = services.grant_apply(
                    by=user, token=cd.get("token") or uuid.uuid4(), org_unit=cd["org_unit"],
                    person=cd["person_id_number"], relief_type=cd["relief_type"], amount=cd["amount"],
                    reason=cd["reason"], hardship_file_id=cd.get("hardship_file_id"), evidence=cd.get("evidence") or "",
                    applied_on=cd["applied_on"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记救助申请 {grant.number}，请核实后报批。")
                return redirect("funds:grant", pk=grant.pk)
    else:
        initial = {k: v for k in ("relief_type", "hardship_file_id")
                   if (v := request.GET.get(k, "")) and v.isascii() and v.isalnum()}
        form = forms.GrantForm(user=user, initial=initial)
    return render(request, "funds/form.html", {"form": form, "title": "救助申请", "here": "new"})


@require_safe
def grant_print(request: StaffRequest, pk: int) -> HttpResponse:
    """救助审批表: the grant with its verification, every approval level's opinion and the payment,
    with space for the recipient's signature."""
    grant = _grant(request, pk)
    prior = services.prior_grants(household=grant.household, relief_type=grant.relief_type, period=grant.period,
                                  exclude=grant.pk)
    return print_record(request, record=grant, template="funds/print_grant.html", title="救助审批表",
                        context={"grant": grant, "prior": prior, "today": timezone.localdate(),
                                 "approvals": list(approvals.history(grant).select_related("org_unit", "decided_by")),
                                 "amount_words": registers.amount_in_words(grant.amount)},
                        filename=f"救助审批表-{grant.number}.pdf")


PAYMENT_LIST_LIMIT = 2000


@require_safe
def payment_list(request: StaffRequest) -> HttpResponse:
    """救助金发放清单 (PDF): the approved and paid grants of the grant list's filter, with a signature
    column — what the cashier has signed at the counter."""
    from servicecenter import audit
    from servicecenter.pdf import pdf_response

    user = request.user
    require(user, PAY)
    qs = visible(Grant.objects.select_related("person", "org_unit"), user).filter(
        status__in=[Grant.Status.APPROVED, Grant.Status.PAID])
    filterset = GrantFilter(request.GET or None, queryset=qs, user=user)
    rows = list(filterset.qs.order_by("org_unit__path", "id")[:PAYMENT_LIST_LIMIT + 1])
    truncated = len(rows) > PAYMENT_LIST_LIMIT
    rows = rows[:PAYMENT_LIST_LIMIT]
    total = sum((g.amount for g in rows), Decimal("0.00"))
    response = pdf_response("funds/print_payment_list.html", {
        "rows": rows, "truncated": truncated, "total": total, "total_words": registers.amount_in_words(total),
        "unit": user.org_unit, "user": user, "today": timezone.localdate(),
        "period": f"截至{timezone.localdate():%Y-%m-%d}"}, "救助金发放清单.pdf", request)
    if response.status_code == 200:
        audit.record(audit.Event.PRINT, request=request, action="funds.print_payment_list", detail="救助金发放清单",
                     new={"rows": len(rows), "total": str(total)})
    return response


def _grant(request: StaffRequest, pk: int) -> Grant:
    return get_visible_or_404(Grant.objects.select_related(*GRANT_RELATED), request.user, pk=pk)


def _run(service: Any, **extra: Any) -> Any:
    return lambda g, u, form: service(grant=g, by=u, **extra, **form.cleaned_data)


def _pay(g: Grant, u: Any, form: forms.PayForm) -> Grant:
    cd = dict(form.cleaned_data)
    key = cd.pop("token") or uuid.uuid4().hex
    return services.grant_pay(grant=g, by=u, key=key, **cd)


STEPS: dict[str, Step] = {
    "verify": Step(forms.NoteForm, _run(services.grant_verify), "已核实并报送审批。"),
    "approve": Step(forms.ApproveForm, _run(services.grant_approve), "已审批。"),
    "reject": Step(forms.ReasonForm, _run(services.grant_reject), "已不予批准。"),
    "cancel": Step(forms.ReasonForm, _run(services.grant_cancel), "已撤销申请。"),
    "revoke": Step(forms.ReasonForm, _run(services.grant_revoke), "已撤销审批，冻结资金已解冻。"),
    "pay": Step(forms.PayForm, _pay, "已发放。"),
    "expire": Step(forms.StepForm, lambda g, u, form: holds.grant_expire(grant=g, by=u), "已逾期解冻。"),
}

PAGE = StepPage(
    workflow=GRANT_FLOW, steps=STEPS, fetch=lambda request, pk: _grant(request, pk),
    render=lambda request, g, bound: _grant_page(request, g.pk, bound=bound),
    record_url=lambda g: reverse("funds:grant", args=[g.pk]), url_name=lambda name: f"funds:{name}",
    gone_url="funds:grants", form_kwargs=lambda g, user: {"grant": g, "user": user},
)


@require_safe
def grant_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _grant_page(request, pk)


def _grant_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None) -> HttpResponse:
    grant = _grant(request, pk)
    prior = services.prior_grants(household=grant.household, relief_type=grant.relief_type, period=grant.period,
                                  exclude=grant.pk)
    return render(request, "funds/grant_detail.html", {
        "grant": grant, "prior": prior, "panels": PAGE.panels(grant, request.user, bound or {}),
        "approvals": approvals.history(grant), "events": grant.events.select_related("by"), "here": "grants",
        "can_issue_goods": grant.status in (Grant.Status.APPROVED, Grant.Status.PAID) and can(request.user, PAY, grant)})


# --- money in, accounts, the ledger -------------------------------------------------------------------------


@require_safe
def source_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = visible(FundSource.objects.select_related("org_unit"), request.user)
    filterset = SourceFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/source_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "sources", "can_manage": can(request.user, MANAGE),
        "can_export": can(request.user, registers.DONATION_EXPORT.permission)})


def source_new(request: StaffRequest) -> HttpResponse:
    """资金到账登记."""
    user = request.user
    require(user, MANAGE)
    if request.method == "POST":
        form = forms.SourceForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                source = services.source_record(
                    by=user, org_unit=cd["org_unit"], kind=cd["kind"], donor=cd["donor"],
                    received_on=cd["received_on"], amount=cd["amount"], restriction=cd["restriction"],
                    note=cd.get("note") or "", keeper=cd.get("keeper"), key=form.key())
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已登记资金到账 {source.number}。")
                return redirect("funds:source", pk=source.pk)
    else:
        form = forms.SourceForm(user=user)
    return render(request, "funds/form.html", {"form": form, "title": "资金到账登记", "here": "sources"})


@require_safe
def source_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, registers.DONATION_EXPORT.permission)
    return export_or_enqueue(request, registers.DONATION_EXPORT, period=f"截至{timezone.localdate():%Y-%m-%d}")


@require_safe
def source_detail(request: StaffRequest, pk: int) -> HttpResponse:
    source = get_visible_or_404(FundSource.objects.select_related("org_unit", "created_by"), request.user, pk=pk)
    accounts = visible(source.accounts.select_related("org_unit", "keeper"), request.user)
    return render(request, "funds/source_detail.html", {"source": source, "accounts": accounts, "here": "sources"})


@require_safe
def source_receipt(request: StaffRequest, pk: int) -> HttpResponse:
    """捐赠收据 (or, for public money, the receipt of the transfer), printable."""
    source = get_visible_or_404(FundSource.objects.select_related("org_unit", "created_by"), request.user, pk=pk)
    return print_record(request, record=source, template="funds/print_receipt.html", title="捐赠收据",
                        context={"source": source, "today": timezone.localdate(),
                                 "amount_words": registers.amount_in_words(source.amount)},
                        filename=f"捐赠收据-{source.number}.pdf")


def _account(request: StaffRequest, pk: int) -> FundAccount:
    return get_visible_or_404(FundAccount.objects.select_related("org_unit", "source", "keeper"), request.user, pk=pk)


@require_safe
def account_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _account_page(request, pk)


def _account_page(request: StaffRequest, pk: int, allocation: forms.AllocationForm | None = None,
                  reversal: tuple[int, forms.ReverseForm] | None = None) -> HttpResponse:
    account = _account(request, pk)
    entries = account.entries.select_related("by").order_by("-id")
    page = list_page(request, entries, ["-id"])
    manage = can(request.user, MANAGE, account)
    return render(request, "funds/account_detail.html", {
        "account": account, "page": page, "query": page.query, "here": "ledger", "can_manage": manage,
        "allocation": allocation or (forms.AllocationForm(account=account) if manage else None),
        "reversal_for": reversal[0] if reversal else None, "reversal": reversal[1] if reversal else forms.ReverseForm(),
    })


@require_POST
def account_allocate(request: StaffRequest, pk: int) -> HttpResponse:
    """下拨 from this account to a unit below."""
    account = _account(request, pk)
    require(request.user, MANAGE, account)
    form = forms.AllocationForm(request.POST, account=account)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            services.allocation_make(by=request.user, account=account, to_unit=cd["to_unit"], amount=cd["amount"],
                                     key=cd.get("token") or uuid.uuid4().hex, memo=cd.get("memo") or "")
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"已下拨至{cd['to_unit']}。")
            return redirect("funds:account", pk=account.pk)
    return _account_page(request, account.pk, allocation=form)


@require_POST
def entry_reverse(request: StaffRequest, pk: int) -> HttpResponse:
    """冲正 an entry (a new entry; the old one stays)."""
    entry = get_visible_or_404(LedgerEntry.objects.select_related("account"), request.user, pk=pk)
    require(request.user, MANAGE, entry)
    form = forms.ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.entry_reverse(by=request.user, entry=entry, key=form.cleaned_data.get("token") or uuid.uuid4().hex,
                                   reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"已冲正分录 {entry.pk}。")
            return redirect("funds:account", pk=entry.account_id)
    return _account_page(request, entry.account_id, reversal=(entry.pk, form))


@require_safe
def account_list(request: StaffRequest) -> HttpResponse:
    """资金专户: each account with its balance, holds and available money."""
    require(request.user, Action.VIEW)
    qs = visible(FundAccount.objects.select_related("org_unit", "source", "keeper"), request.user)
    page = list_page(request, qs, ["id"])
    return render(request, "funds/account_list.html", {"page": page, "query": page.query, "here": "accounts"})


@require_safe
def ledger_list(request: StaffRequest) -> HttpResponse:
    """资金台账: every entry in scope."""
    require(request.user, Action.VIEW)
    qs = visible(LedgerEntry.objects.select_related("org_unit", "account__source", "by"), request.user)
    filterset = LedgerFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/ledger_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "ledger",
        "can_export": can(request.user, registers.LEDGER_EXPORT.permission)})


@require_safe
def ledger_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, registers.LEDGER_EXPORT.permission)
    return export_or_enqueue(request, registers.LEDGER_EXPORT, period=f"截至{timezone.localdate():%Y-%m-%d}")


def budget_list(request: StaffRequest) -> HttpResponse:
    """年度预算: each unit's budget per type, what approved grants have taken of it; the accountant
    sets them here (POST)."""
    user = request.user
    require(user, Action.VIEW)
    form = None
    if request.method == "POST":
        require(user, MANAGE)
        form = forms.BudgetForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                services.budget_set(by=user, org_unit=cd["org_unit"], year=cd["year"], relief_type=cd["relief_type"],
                                    amount=cd["amount"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "已保存年度预算。")
                return redirect("funds:budgets")
    elif can(user, MANAGE):
        form = forms.BudgetForm(user=user)
    qs = visible(Budget.objects.select_related("org_unit"), user)
    page = list_page(request, qs, ["-id"])
    return render(request, "funds/budget_list.html", {"page": page, "query": page.query, "form": form,
                                                      "here": "budgets"})


@require_safe
def announcement(request: StaffRequest) -> HttpResponse:
    """资金使用公告 (the yearly public announcement, DOMAIN §7): money received by source, grants
    paid by type, and the recipients with masked names — no ID numbers. For the user's scope."""
    from django.db.models import Count, Sum

    from servicecenter import audit
    from servicecenter.pdf import pdf_response

    user = request.user
    require(user, registers.GRANT_EXPORT.permission)
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else timezone.localdate().year
    sources = (visible(FundSource.objects.filter(received_on__year=year), user).values("kind")
               .annotate(n=Count("id"), total=Sum("amount")).order_by("kind"))
    paid = visible(Grant.objects.filter(status=Grant.Status.PAID, paid_on__year=year), user)
    by_type = paid.values("relief_type").annotate(n=Count("id"), households=Count("household", distinct=True),
                                                   total=Sum("amount")).order_by("relief_type")
    kinds, types = dict(FundSource.Kind.choices), dict(ReliefType.choices)
    recipients = [(registers.mask_name(g.person.name), g.org_unit.name, types.get(g.relief_type, ""), g.amount)
                  for g in paid.select_related("person", "org_unit").order_by("org_unit__path", "paid_on", "id")[:2000]]
    response = pdf_response("funds/print_announcement.html", {
        "year": year, "unit": user.org_unit, "today": timezone.localdate(),
        "sources": [(kinds.get(r["kind"], r["kind"]), r["n"], r["total"]) for r in sources],
        "types": [(types.get(r["relief_type"], r["relief_type"]), r["n"], r["households"], r["total"]) for r in by_type],
        "recipients": recipients, "total_in": sum((r["total"] for r in sources), Decimal(0)),
        "total_out": sum((r["total"] for r in by_type), Decimal(0)),
    }, f"帮扶资金使用公告-{year}.pdf", request)
    if response.status_code == 200:
        audit.record(audit.Event.PRINT, request=request, action="funds.print_announcement",
                     detail=f"{year}年帮扶资金使用公告", new={"year": year, "recipients": len(recipients)})
    return response


def year_close_list(request: StaffRequest) -> HttpResponse:
    """年度结账: the closes in scope (unit, year, by, at, hash, whether it still verifies, the frozen
    figures); the accountant closes an ended year here (POST)."""
    from . import year_close

    user = request.user
    require(user, Action.VIEW)
    form = None
    if request.method == "POST":
        require(user, MANAGE)
        form = forms.YearCloseForm(request.POST, user=user)
        if form.is_valid():
            try:
                yc = year_close.year_close(by=user, org_unit=form.cleaned_data["org_unit"],
                                           year=form.cleaned_data["year"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已完成{yc}，校验码 {yc.sha256[:16]}…")
                return redirect("funds:year_closes")
    elif can(user, MANAGE):
        form = forms.YearCloseForm(user=user)
    qs = visible(YearClose.objects.select_related("org_unit", "closed_by"), user)
    filterset = YearCloseFilter(request.GET or None, queryset=qs, user=user)
    page = list_page(request, filterset.qs, ["-id"])
    rows = [(yc, year_close.verify(yc)) for yc in page.items]
    return render(request, "funds/year_close_list.html", {"filter": filterset, "page": page, "query": page.query,
                                                          "form": form, "rows": rows, "here": "year_closes"})
