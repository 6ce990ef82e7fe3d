"""帮扶超市 pages: the items, receipts, issues to a grant's recipient, the day close, the quarterly
stocktake, the movement list and its register. Thin, as ``funds/views.py``: fetch through the access
policy, call one service of ``funds/stock.py``, redirect or render; a refusal at the field."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from servicecenter.access import Action, can, get_visible_or_404, require, visible
from servicecenter.exportjobs import export_or_enqueue
from servicecenter.forms import add_service_error
from servicecenter.http import StaffRequest
from servicecenter.listing import list_page
from servicecenter.models import OrgUnit
from servicecenter.pdf import print_record

from . import stock
from .models import Grant, StockDay, StockItem, StockMovement
from .stock_forms import (
    CountForm,
    IssueForm,
    ItemFilter,
    ItemForm,
    MovementFilter,
    ReceiptForm,
    StocktakeForm,
    visible_items,
)
from .stock_registers import STOCK_EXPORT
from .workflow import PAY

CLOSED_SHOWN = 30


def _context(request: StaffRequest, **extra: Any) -> dict[str, Any]:
    return {"here": "stock", "can_keep": can(request.user, PAY), **extra}


def _at_item_field(form: BaseForm, exc: ValidationError, fields: dict[str, dict[str, str]]) -> None:
    """A service refusal that names an item (``"大米（10kg）库存不足……"`` at ``lines``) put at that
    item's input; ``fields`` maps the service's field to {str(item): the form's field}."""
    if not hasattr(exc, "error_dict"):
        add_service_error(form, exc)
        return
    rest: dict[str, Any] = {}
    for name, errors in exc.error_dict.items():
        targets = fields.get(name)
        if targets is None:
            rest[name] = errors
            continue
        for error in errors:
            for message in error.messages:
                named = [label for label in targets if message.startswith(label) or label in message]
                target = targets[max(named, key=len)] if named else next(iter(targets.values()), None)
                form.add_error(target, message)
    if rest:
        add_service_error(form, ValidationError(rest))


# --- items ------------------------------------------------------------------------------------------


@require_safe
def item_list(request: StaffRequest) -> HttpResponse:
    """帮扶超市物品: every item in scope with its stock; low stock flagged."""
    require(request.user, Action.VIEW)
    qs = visible_items(request.user)
    filterset = ItemFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/stock_items.html", _context(request, filter=filterset, page=page, query=page.query,
                                                              can_export=can(request.user, STOCK_EXPORT.permission)))


def item_new(request: StaffRequest) -> HttpResponse:
    user = request.user
    require(user, PAY)
    if request.method == "POST":
        form = ItemForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                item = stock.stock_item_add(by=user, unit=cd["org_unit"], name=cd["name"], spec=cd.get("spec") or "",
                                            measure=cd["measure"], low_stock=cd["low_stock"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已添加物品 {item}。")
                return redirect("funds:stock")
    else:
        form = ItemForm(user=user)
    return render(request, "funds/stock_form.html", _context(request, form=form, title="添加帮扶超市物品"))


# --- receipts and issues --------------------------------------------------------------------------------


def receive(request: StaffRequest) -> HttpResponse:
    """入库: purchased or donated goods, checked against spec, quantity and quality, signed in."""
    user = request.user
    require(user, PAY)
    if request.method == "POST":
        form = ReceiptForm(request.POST, user=user)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                moved = stock.stock_receive(
                    by=user, item=cd["item"], quantity=cd["quantity"], key=form.key("receive"),
                    donated=cd["source"] == "donated", value=cd.get("value"), quality_ok=cd["quality_ok"],
                    received_by=cd["received_by"], day=cd["day"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"已入库 {moved.item} {moved.delta}{moved.item.unit}，现有 {moved.on_hand_after}。")
                return redirect(reverse("funds:stock_movements") + f"?item={moved.item_id}")
    else:
        initial = {"item": v} if (v := request.GET.get("item", "")).isdigit() else {}
        form = ReceiptForm(user=user, initial=initial)
    return render(request, "funds/stock_form.html", _context(request, form=form, title="入库登记"))


def grant_goods(request: StaffRequest, pk: int) -> HttpResponse:
    """发放出库 to the recipient of an approved (or paid) grant: several lines, summed per item; an
    item short of stock is refused at its line, and nothing is issued."""
    user = request.user
    grant = get_visible_or_404(Grant.objects.select_related("person", "org_unit"), user, pk=pk)
    require(user, PAY, grant)
    items = visible_items(user).filter(org_unit__path__in=grant.org_unit.ancestor_paths())
    if request.method == "POST":
        form = IssueForm(request.POST, items=items)
        if form.is_valid():
            lines = form.cleaned_data["lines"]
            try:
                stock.stock_issue(by=user, grant=grant, key=form.key("issue"), day=form.cleaned_data["day"],
                                  lines=[stock.Line(item, quantity) for _, item, quantity in lines])
            except ValidationError as exc:
                at = {str(item): f"quantity_{n}" for n, item, _ in lines}
                _at_item_field(form, exc, {"lines": at, "quantity": at})
            else:
                messages.success(request, f"已向{grant.person.name}发放物品。")
                return redirect("funds:grant_goods", pk=grant.pk)
    else:
        form = IssueForm(items=items)
    issued = grant.goods.select_related("item", "by").order_by("id")
    return render(request, "funds/stock_issue.html", _context(
        request, grant=grant, form=form, issued=issued,
        open=grant.status in (Grant.Status.APPROVED, Grant.Status.PAID)))


# --- day close and stocktake ------------------------------------------------------------------------------


def _unit(request: StaffRequest) -> OrgUnit:
    raw = request.GET.get("unit", "")
    if not raw:
        unit = request.user.org_unit
        if unit is None:
            raise Http404("未找到该记录。")
        return unit
    return get_visible_or_404(OrgUnit.objects.all(), request.user, pk=raw)


def _supermarkets(request: StaffRequest) -> Any:
    """Units in scope that keep items (the unit picker)."""
    ids = visible(StockItem.objects.all(), request.user).values("org_unit_id")
    return OrgUnit.objects.filter(pk__in=ids).order_by("path")


def _count_page(request: StaffRequest, *, stocktake: bool) -> HttpResponse:
    user = request.user
    unit = _unit(request)
    require(user, PAY, unit)
    items = list(StockItem.objects.filter(org_unit=unit).order_by("pk"))
    books = {i.pk: i.on_hand for i in items}
    kwargs: dict[str, Any] = {"items": items, "books": books}
    form_class: type[CountForm] = CountForm
    if stocktake:
        form_class, kwargs = StocktakeForm, {**kwargs, "unit": unit, "user": user}
    if request.method == "POST":
        form = form_class(request.POST, **kwargs)
        if form.is_valid():
            cd = form.cleaned_data
            try:
                if isinstance(form, StocktakeForm):
                    done = stock.stock_take(by=user, unit=unit, day=cd["day"], counted=form.counted(),
                                            reasons=form.reasons(), witness=cd["witness"])
                else:
                    done = stock.stock_close_day(by=user, unit=unit, day=cd["day"], counted=form.counted(),
                                                 reasons=form.reasons())
            except ValidationError as exc:
                _at_item_field(form, exc, {
                    "counted": {str(i): f"counted_{i.pk}" for i in items},
                    "reasons": {str(i): f"reason_{i.pk}" for i in items}})
            else:
                messages.success(request, f"{unit}{done}完成，已锁定{done.day:%Y-%m-%d}及以前的出入库。")
                return redirect("funds:stock_day", pk=done.pk)
    else:
        form = form_class(**kwargs)
    closed = StockDay.objects.filter(org_unit=unit).select_related("closed_by", "witness")[:CLOSED_SHOWN]
    return render(request, "funds/stock_count.html", _context(
        request, form=form, unit=unit, closed=closed, stocktake=stocktake, units=_supermarkets(request),
        title="季度盘点" if stocktake else "日结", quarter=stock.quarter_of(timezone.localdate())))


def close_day(request: StaffRequest) -> HttpResponse:
    """日结: each item's books against the count, the differences with a reason; the day locked."""
    return _count_page(request, stocktake=False)


def stocktake_new(request: StaffRequest) -> HttpResponse:
    """季度盘点 (账实相符), signed by the counter and a witness; it closes the day."""
    return _count_page(request, stocktake=True)


@require_safe
def stocktake_list(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.VIEW)
    qs = visible(StockDay.objects.filter(kind=StockDay.Kind.STOCKTAKE)
                 .select_related("org_unit", "closed_by", "witness"), request.user)
    page = list_page(request, qs, ["-id"])
    return render(request, "funds/stock_stocktakes.html", _context(request, page=page, query=page.query))


def _day(request: StaffRequest, pk: int) -> StockDay:
    return get_visible_or_404(StockDay.objects.select_related("org_unit", "closed_by", "witness"), request.user, pk=pk)


@require_safe
def day_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """A closed day or stocktake: the books, the count, each difference and its reason."""
    require(request.user, Action.VIEW)
    return render(request, "funds/stock_day.html", _context(request, day=_day(request, pk)))


@require_safe
def day_print(request: StaffRequest, pk: int) -> HttpResponse:
    """盘点表 (printable), with the two signatures."""
    require(request.user, Action.VIEW)
    day = _day(request, pk)
    return print_record(request, record=day, template="funds/print_stock_day.html", title=f"帮扶超市{day}",
                        context={"day": day, "today": timezone.localdate()},
                        filename=f"帮扶超市盘点表-{day.org_unit.code}-{day.day:%Y%m%d}.pdf")


# --- movements and the register -----------------------------------------------------------------------------


@require_safe
def movement_list(request: StaffRequest) -> HttpResponse:
    """出入库明细: every movement in scope (by unit, item, kind, date)."""
    require(request.user, Action.VIEW)
    qs = visible(StockMovement.objects.select_related("item", "org_unit", "person", "grant", "by"), request.user)
    filterset = MovementFilter(request.GET or None, queryset=qs, user=request.user)
    page = list_page(request, filterset.qs)
    return render(request, "funds/stock_movements.html", _context(
        request, filter=filterset, page=page, query=page.query, can_export=can(request.user, STOCK_EXPORT.permission)))


@require_safe
def movement_export(request: StaffRequest) -> HttpResponse | FileResponse:
    require(request.user, STOCK_EXPORT.permission)
    return export_or_enqueue(request, STOCK_EXPORT, period=f"截至{timezone.localdate():%Y-%m-%d}")
