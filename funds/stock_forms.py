"""帮扶超市 forms and list filters: what the input alone can check, in plain Chinese; the stock rules
(quantity above stock, a closed day, the quality check …) are ``funds/stock.py``'s, shown at the
field they name."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters as df
from django import forms
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from servicecenter.access import Action, assignable_units, staff_holding, visible
from servicecenter.filters import ScopedFilterSet, UnitFilter, YesNoAll
from servicecenter.forms import UnitChoiceField, plain_messages
from servicecenter.models import OrgUnit, User

from .models import StockItem, StockMovement

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_RANGE = df.widgets.DateRangeWidget(attrs={"type": "date"})
NUMBER = forms.TextInput(attrs={"inputmode": "numeric"})
ISSUE_LINES = 6


class _Plain(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_messages(self)


class _Keyed(_Plain):
    """A form whose hidden token is the service's idempotency key (a double submit records once)."""

    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = uuid.uuid4().hex

    def key(self, prefix: str) -> str:
        token = (self.cleaned_data.get("token") or "").strip() or uuid.uuid4().hex
        return f"{prefix}:{token}"[:64]


def visible_items(user: User) -> QuerySet[StockItem]:
    return visible(StockItem.objects.select_related("org_unit"), user).order_by("org_unit__path", "name", "spec", "id")


def _item_label(item: StockItem) -> str:
    return f"{item.org_unit.name}：{item}（库存 {item.on_hand}{item.unit}）"


class ItemForm(_Plain):
    org_unit = UnitChoiceField(label="帮扶超市所属单位", queryset=OrgUnit.objects.none())
    name = forms.CharField(label="物品名称", max_length=60)
    spec = forms.CharField(label="规格", max_length=60, required=False, help_text="如 10kg、5L")
    measure = forms.CharField(label="计量单位", max_length=10, initial="件", help_text="如 袋、桶、件")
    low_stock = forms.IntegerField(label="低库存预警数量", min_value=0, initial=5, widget=NUMBER,
                                   help_text="库存不高于此数时列表和首页提示补货")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = assignable_units(user)  # type: ignore[attr-defined]
        self.fields["org_unit"].initial = user.org_unit_id


class ReceiptForm(_Keyed):
    item = forms.ModelChoiceField(label="物品", queryset=StockItem.objects.none())
    source = forms.ChoiceField(label="来源", choices=[("purchased", "采购"), ("donated", "捐赠")], initial="purchased",
                               widget=forms.RadioSelect)
    quantity = forms.CharField(label="数量", max_length=9, widget=NUMBER)
    value = forms.DecimalField(label="捐赠物资价值（元）", required=False, max_digits=12, decimal_places=2,
                               help_text="捐赠入库须填写")
    quality_ok = forms.BooleanField(label="质量验收合格", required=False,
                                    help_text="已按规格、数量、质量验收；不合格的物品不得入库")
    received_by = forms.CharField(label="验收签收人", max_length=50)
    day = forms.DateField(label="入库日期", widget=DATE)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["item"]
        field.queryset = visible_items(user)  # type: ignore[attr-defined]
        field.label_from_instance = _item_label  # type: ignore[attr-defined]
        self.fields["day"].initial = timezone.localdate()
        self.fields["received_by"].initial = user.full_name


class IssueForm(_Keyed):
    """发放出库: up to ``ISSUE_LINES`` lines of item and quantity; empty lines are skipped."""

    day = forms.DateField(label="发放日期", widget=DATE)

    def __init__(self, *args: Any, items: QuerySet[StockItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()
        for n in range(1, ISSUE_LINES + 1):
            item = forms.ModelChoiceField(label=f"物品 {n}", queryset=items, required=False)
            item.label_from_instance = _item_label  # type: ignore[method-assign,assignment]
            self.fields[f"item_{n}"] = item
            self.fields[f"quantity_{n}"] = forms.IntegerField(label=f"数量 {n}", required=False, min_value=1,
                                                                  widget=NUMBER)
        plain_messages(self)

    def clean(self) -> dict[str, Any]:
        cd = super().clean() or {}
        lines = []
        for n in range(1, ISSUE_LINES + 1):
            item, quantity = cd.get(f"item_{n}"), cd.get(f"quantity_{n}")
            if item is None and quantity is None:
                continue
            if item is None:
                self.add_error(f"item_{n}", f"请选择物品 {n}。")
            elif quantity is None:
                self.add_error(f"quantity_{n}", f"请填写物品 {n} 的数量。")
            else:
                lines.append((n, item, quantity))
        if not lines and not self.errors:
            self.add_error("item_1", "请填写发放的物品和数量。")
        cd["lines"] = lines
        return cd

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"item_{n}"], self[f"quantity_{n}"]) for n in range(1, ISSUE_LINES + 1)]


class CountForm(_Plain):
    """日结 / 季度盘点: per item of one supermarket the counted quantity and, for a difference, the
    reason. The books are the service's; the page shows them beside each input."""

    day = forms.DateField(label="日期", widget=DATE)

    def __init__(self, *args: Any, items: list[StockItem], books: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items, self.books = items, books
        self.fields["day"].initial = timezone.localdate()
        for item in items:
            self.fields[f"counted_{item.pk}"] = forms.IntegerField(
                label=f"{item}实盘数量", min_value=0, widget=NUMBER, initial=books.get(item.pk, 0))
            self.fields[f"reason_{item.pk}"] = forms.CharField(label=f"{item}差异原因", max_length=200, required=False)
        plain_messages(self)

    def lines(self) -> list[dict[str, Any]]:
        return [{"item": i, "books": self.books.get(i.pk, 0), "counted": self[f"counted_{i.pk}"],
                 "reason": self[f"reason_{i.pk}"]} for i in self.items]

    def counted(self) -> dict[int, int]:
        return {i.pk: self.cleaned_data[f"counted_{i.pk}"] for i in self.items}

    def reasons(self) -> dict[int, str]:
        return {i.pk: self.cleaned_data.get(f"reason_{i.pk}") or "" for i in self.items}


class StocktakeForm(CountForm):
    witness = forms.ModelChoiceField(label="监盘人", queryset=User.objects.none(),
                                     help_text="须与盘点人（本人）不同，如本单位或上级单位的负责人")

    def __init__(self, *args: Any, unit: OrgUnit, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        above = OrgUnit.objects.filter(path__in=unit.ancestor_paths())
        field = self.fields["witness"]
        field.queryset = staff_holding(Action.VIEW, above).exclude(pk=user.pk)  # type: ignore[attr-defined]
        field.label_from_instance = lambda u: f"{u.full_name or u.username}（{u.username}）"  # type: ignore[attr-defined]
        self.order_fields(["witness", "day"])


# --- list filters ------------------------------------------------------------------------------------


class ItemFilter(ScopedFilterSet):
    q = df.CharFilter(label="物品名称", method="search", help_text="名称或规格")
    org_unit = UnitFilter(label="帮扶超市所属单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    low = df.BooleanFilter(label="低库存", method="filter_low", widget=YesNoAll())
    ordering = df.OrderingFilter(
        label="排序", fields=(("name", "name"), ("on_hand", "on_hand"), ("id", "id")),
        field_labels={"name": "名称", "on_hand": "库存", "id": "登记先后"}, empty_label="按单位和名称")

    class Meta:
        model = StockItem
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(Q(name__icontains=value) | Q(spec__icontains=value)) if value else qs

    def filter_low(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(on_hand__lte=F("low_stock")) if value else qs.filter(on_hand__gt=F("low_stock"))


class MovementFilter(ScopedFilterSet):
    org_unit = UnitFilter(label="单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    item = df.ModelChoiceFilter(label="物品", queryset=StockItem.objects.none(), empty_label="全部")
    kind = df.ChoiceFilter(label="类型", choices=StockMovement.Kind.choices, empty_label="全部")
    day = df.DateFromToRangeFilter(label="业务日期", field_name="day", widget=DATE_RANGE)
    ordering = df.OrderingFilter(label="排序", fields=(("id", "id"), ("day", "day")),
                                 field_labels={"id": "登记先后", "day": "业务日期"}, empty_label="最新在前")

    class Meta:
        model = StockMovement
        fields: list[str] = []

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.filters["item"].queryset = visible_items(user)
