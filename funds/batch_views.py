"""批量救助 pages: the list, the new batch (filter → preview → create), the batch page (its steps,
each line's payment, the bank list out and the bank's result in). Thin: fetch through the access
policy, call one service (funds/batches.py), redirect or render; POST-only changes; a refusal is
shown at the form's field with the input kept."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters as df
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from servicecenter import approvals, audit
from servicecenter.access import Action, assignable_units, can, get_visible_or_404, require, visible
from servicecenter.filters import ScopedFilterSet, UnitFilter
from servicecenter.forms import UnitChoiceField, add_service_error, plain_messages
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.models import OrgUnit
from servicecenter.steps import Step, StepPage

from . import bank_files, batches
from .batch_models import BankTransfer, Batch, BatchLine
from .models import FundAccount, Grant, ReliefType
from .workflow import APPLY, PAY

TEXT = forms.Textarea(attrs={"rows": 3})
GRADE_CHOICES = [("", "全部（困难职工和特困职工）"), *batches.GRADES.items()]


class _Plain(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)


# --- forms ---------------------------------------------------------------------------------------------------


class BatchForm(_Plain):
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label="批次名称", max_length=100, help_text="例如：2026年春节送温暖")
    org_unit = UnitChoiceField(label="范围（单位及其下级）", queryset=OrgUnit.objects.none())
    grade = forms.ChoiceField(label="困难类别", choices=GRADE_CHOICES, required=False)
    relief_type = forms.ChoiceField(label="救助类型", choices=[("", "（请选择）"), *ReliefType.choices])
    amount = forms.CharField(label="每户金额（元）", max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = assignable_units(user)  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id


class StepForm(_Plain):
    def __init__(self, *args: Any, batch: Batch | None = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch, self.user = batch, user


class ApproveForm(StepForm):
    account = forms.ModelChoiceField(label="支付专户", queryset=FundAccount.objects.none(),
                                     help_text="只列出本单位及上级单位可用余额足够支付整批的专户；资金来源须允许该救助类型")
    opinion = forms.CharField(label="审批意见", widget=TEXT, max_length=2000, required=False, initial="同意。")
    confirm_reason = forms.CharField(label="重复救助确认理由", widget=TEXT, max_length=2000, required=False,
                                     help_text="名单中有家庭本年度已获同类救助时须填写")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.batch is not None and self.user is not None:
            field = self.fields["account"]
            field.queryset = batches.payable_accounts(self.batch, self.user, self.batch.total)  # type: ignore[attr-defined]
            field.label_from_instance = (  # type: ignore[attr-defined]
                lambda a: f"{a}（可用 {a.available} 元，限定：{a.source.restriction_display}）")


class ReasonForm(StepForm):
    reason = forms.CharField(label="理由", widget=TEXT, max_length=2000)


class LineForm(_Plain):
    line = forms.IntegerField(label="户", min_value=1, widget=forms.HiddenInput)


class PayForm(LineForm):
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    method = forms.ChoiceField(label="发放方式", choices=[("", "（请选择）"), *Grant.Method.choices])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex


class AccountForm(_Plain):
    line = forms.TypedChoiceField(label="户", coerce=int, choices=())
    account_name = forms.CharField(label="户名", max_length=50, required=False)
    bank_name = forms.CharField(label="开户银行", max_length=60, required=False)
    account_number = forms.CharField(label="银行账号", max_length=40, required=False)

    def __init__(self, *args: Any, lines: list[BatchLine] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [("", "（请选择）")] + [  # type: ignore[attr-defined]
            (line.pk, f"第{line.seq}户 {line.grant.person.name}") for line in lines]


class ReissueForm(AccountForm):
    note = forms.CharField(label="说明", max_length=200, required=False, help_text="例如：账号有误，已核对更正")


class ImportForm(_Plain):
    file = forms.FileField(label="银行回盘文件（xlsx）", required=False,
                           help_text="表头：业务参考号、金额（元）、处理结果（成功/失败）、失败原因")


class BatchFilter(ScopedFilterSet):
    q = df.CharFilter(label="批次名称", field_name="title", lookup_expr="icontains")
    number = df.CharFilter(label="批次编号", field_name="number", lookup_expr="icontains")
    relief_type = df.ChoiceFilter(label="救助类型", choices=ReliefType.choices, empty_label="全部")
    status = df.ChoiceFilter(label="状态", choices=Batch.Status.choices, empty_label="全部")
    org_unit = UnitFilter(label="发起单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("built_on", "built"), ("households", "households")),
        field_labels={"id": "登记先后", "built_on": "制单日期", "households": "户数"}, empty_label="最新登记在前")

    class Meta:
        model = Batch
        fields: list[str] = []


# --- the list and the new batch ----------------------------------------------------------------------------


@require_safe
def batch_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = visible(Batch.objects.select_related("org_unit", "built_by"), request.user)
    filterset = BatchFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/batch_list.html", {
        "filter": filterset, "page": page, "query": page.query, "here": "batches",
        "offered": batches.offered(), "can_build": batches.offered() and can(request.user, APPLY)})


def batch_new(request: StaffRequest) -> HttpResponse:
    """新建批量救助: the filter (GET) shows the list to review; the POST of the same values makes it."""
    user = request.user
    require(user, APPLY)
    if not batches.offered():
        raise Http404("未启用困难职工档案，不能发起批量救助。")
    preview = None
    if request.method == "POST":
        form = BatchForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                batch = batches.batch_create(by=user, token=cd.get("token") or uuid.uuid4(), org_unit=cd["org_unit"],
                                             title=cd["title"], relief_type=cd["relief_type"], grade=cd["grade"],
                                             amount=cd["amount"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已生成批量救助 {batch.number}（{batch.households} 户），已报送审批。")
                return redirect("funds:batch", pk=batch.pk)
    elif request.GET:
        form = BatchForm(request.GET, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                preview = batches.batch_preview(by=user, org_unit=cd["org_unit"], grade=cd["grade"],
                                                relief_type=cd["relief_type"], amount=cd["amount"])
            except ValidationError as exc:
                add_service_error(form, exc)
        data = request.GET.copy()
        data["token"] = str(uuid.uuid4())  # the create form below carries a fresh token
        form.data = data
    else:
        form = BatchForm(user=user)
    return render(request, "funds/batch_new.html", {"form": form, "preview": preview, "here": "batches",
                                                    "title": "新建批量救助"})


# --- the batch page ------------------------------------------------------------------------------------------


def _batch(request: StaffRequest, pk: int) -> Batch:
    return get_visible_or_404(Batch.objects.select_related("org_unit", "built_by", "approved_by", "account__source",
                                                           "account__org_unit"), request.user, pk=pk)


def _run(service: Any) -> Any:
    return lambda b, u, form: service(batch=b, by=u, **form.cleaned_data)


STEPS: dict[str, Step] = {
    "approve": Step(ApproveForm, _run(batches.batch_approve), "已审批。"),
    "reject": Step(ReasonForm, _run(batches.batch_reject), "已不予批准。"),
    "close": Step(ReasonForm, _run(batches.batch_close), "已结束发放，未发放的户已解冻。"),
}

PAGE = StepPage(
    workflow=batches.BATCH_FLOW, steps=STEPS, fetch=lambda request, pk: _batch(request, pk),
    render=lambda request, b, bound: _batch_page(request, b.pk, bound=bound),
    record_url=lambda b: reverse("funds:batch", args=[b.pk]), url_name=lambda name: f"funds:batch_{name}",
    form_kwargs=lambda b, user: {"batch": b, "user": user},
)


@require_safe
def batch_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _batch_page(request, pk)


def _batch_page(request: StaffRequest, pk: int, bound: dict[str, Any] | None = None, **forms_: Any) -> HttpResponse:
    user = request.user
    batch = _batch(request, pk)
    lines = list(batch.lines.select_related("grant__person", "grant__org_unit").order_by("seq"))
    steps = {t.name for t in batches.BATCH_FLOW.available(batch, user)}
    L = BatchLine.State
    failed = [line for line in lines if line.state == L.FAILED]
    rounds = sorted(set(batch.transfers.values_list("round", flat=True)))
    return render(request, "funds/batch_detail.html", {
        "batch": batch, "lines": lines, "totals": batches.totals(batch), "here": "batches",
        "panels": PAGE.panels(batch, user, bound or {}), "steps": steps,
        "pay_form": PayForm(auto_id=False), "pay_error": forms_.get("pay_error"),
        "account_form": forms_.get("account_form") or (
            AccountForm(lines=lines, auto_id="id_account_%s") if "bank_details" in steps else None),
        "reissue_form": forms_.get("reissue_form") or (
            ReissueForm(lines=failed, auto_id="id_reissue_%s") if "reissue" in steps and failed else None),
        "import_form": forms_.get("import_form") or (ImportForm() if "bank" in steps else None),
        "import_report": forms_.get("import_report"),
        "exportable": sum(1 for line in lines if line.state == L.READY and line.account_number),
        "rounds": rounds, "can_download": can(user, PAY, batch),
        "approvals": approvals.history(batch), "events": batch.events.select_related("by"),
    })


@require_POST
def batch_pay(request: StaffRequest, pk: int) -> HttpResponse:
    """发放 one household (the cashier)."""
    batch = _batch(request, pk)
    require(request.user, PAY, batch)
    form = PayForm(request.POST)
    if form.is_valid():
        cd = form.cleaned_data
        try:
            line = batches.batch_pay_line(batch=batch, by=request.user, line=cd["line"],
                                          key=cd.get("token") or uuid.uuid4().hex, method=cd["method"])
        except ValidationError as exc:
            return _batch_page(request, pk, pay_error=(cd["line"], exc.messages))
        messages.success(request, f"第{line.seq}户已发放。")
        return redirect("funds:batch", pk=pk)
    errors = [str(e) for errs in form.errors.values() for e in errs]
    return _batch_page(request, pk, pay_error=(None, errors))


@require_POST
def batch_bank_details(request: StaffRequest, pk: int) -> HttpResponse:
    """银行账户 of one household, before approval."""
    batch = _batch(request, pk)
    require(request.user, APPLY, batch)
    form = AccountForm(request.POST, lines=list(batch.lines.select_related("grant__person")), auto_id="id_account_%s")
    if form.is_valid():
        cd = form.cleaned_data
        try:
            batches.batch_set_bank_account(batch=batch, by=request.user, line=cd["line"],
                                           account_name=cd["account_name"], bank_name=cd["bank_name"],
                                           account_number=cd["account_number"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "已保存银行账户。")
            return redirect("funds:batch", pk=pk)
    return _batch_page(request, pk, account_form=form)


@require_POST
def batch_reissue(request: StaffRequest, pk: int) -> HttpResponse:
    """重新发放 a household the bank returned (the approver)."""
    batch = _batch(request, pk)
    require(request.user, batches.BATCH_FLOW.transition("reissue").permission, batch)
    failed = list(batch.lines.filter(state=BatchLine.State.FAILED).select_related("grant__person"))
    form = ReissueForm(request.POST, lines=failed, auto_id="id_reissue_%s")
    if form.is_valid():
        cd = form.cleaned_data
        try:
            batches.batch_reissue(batch=batch, by=request.user, line=cd["line"], account_name=cd["account_name"],
                                  bank_name=cd["bank_name"], account_number=cd["account_number"], note=cd["note"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "已重新发放（已冻结），可随下一次报盘发送。")
            return redirect("funds:batch", pk=pk)
    return _batch_page(request, pk, reissue_form=form)


@require_POST
def batch_bank_export(request: StaffRequest, pk: int) -> HttpResponse:
    """报盘: a new bank list of the lines waiting for payment, then its download."""
    batch = _batch(request, pk)
    require(request.user, PAY, batch)
    try:
        round_no = batches.batch_bank_export(batch=batch, by=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("funds:batch", pk=pk)
    messages.success(request, f"已生成第{round_no}次报盘文件。")
    return redirect(f"{reverse('funds:batch_bank_list', args=[pk])}?round={round_no}")


@require_safe
def batch_bank_list(request: StaffRequest, pk: int) -> HttpResponse:
    """The bank list of one round (``?round=``, the latest by default), as xlsx. It names account
    numbers: the cashier's, and every download is audited."""
    batch = _batch(request, pk)
    require(request.user, PAY, batch)
    rounds = sorted(set(batch.transfers.values_list("round", flat=True)))
    text = request.GET.get("round", "")
    round_no = int(text) if text.isdigit() else (rounds[-1] if rounds else 0)
    if round_no not in rounds:
        raise Http404("没有该次报盘。")
    transfers = list(BankTransfer.objects.filter(batch=batch, round=round_no).order_by("line__seq"))
    body = bank_files.bank_list(batch, transfers)
    audit.record(audit.Event.EXPORT, request=request, target=batch, action="funds.batch_bank_list",
                 detail=f"{batch.number} 第{round_no}次报盘文件（{len(transfers)} 笔）", new={"round": round_no})
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"银行报盘-{batch.number}-{round_no:02d}.xlsx"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@require_POST
def batch_bank_import(request: StaffRequest, pk: int) -> HttpResponse:
    """回盘: the bank's result file; any problem is listed row by row and nothing changes."""
    batch = _batch(request, pk)
    require(request.user, PAY, batch)
    form = ImportForm(request.POST, request.FILES)
    report = None
    if form.is_valid():
        rows, errors = bank_files.read_result(form.cleaned_data.get("file"))
        if errors:
            form.add_error("file", errors)
        else:
            try:
                report = batches.batch_bank_import(batch=batch, by=request.user, rows=rows)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, str(report))
                return redirect("funds:batch", pk=pk)
    return _batch_page(request, pk, import_form=form)

