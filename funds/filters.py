"""The lists' filters (django-filter); the registers' exports reuse them."""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet

from servicecenter.filters import ScopedFilterSet, UnitFilter
from servicecenter.models import OrgUnit, Person
from servicecenter.people import person_search

from .models import FundSource, Grant, LedgerEntry, ReliefType, YearClose

DATE_RANGE = df.widgets.DateRangeWidget(attrs={"type": "date"})


class GrantFilter(ScopedFilterSet):
    q = df.CharFilter(label="救助对象", method="filter_person", help_text="姓名、拼音首字母、电话或完整身份证号")
    number = df.CharFilter(label="救助编号", field_name="number", lookup_expr="icontains")
    relief_type = df.ChoiceFilter(label="救助类型", choices=ReliefType.choices, empty_label="全部")
    status = df.ChoiceFilter(label="状态", choices=Grant.Status.choices, empty_label="全部")
    period = df.CharFilter(label="年度", field_name="period")
    org_unit = UnitFilter(label="申报单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    applied = df.DateFromToRangeFilter(label="申请日期", field_name="applied_on", widget=DATE_RANGE)
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("applied_on", "applied"), ("amount", "amount"), ("paid_on", "paid")),
        field_labels={"id": "登记先后", "applied_on": "申请日期", "amount": "金额", "paid_on": "发放日期"},
        empty_label="最新登记在前")

    class Meta:
        model = Grant
        fields: list[str] = []

    def filter_person(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(person__in=person_search(Person.objects.all(), value).values("pk"))


class SourceFilter(ScopedFilterSet):
    q = df.CharFilter(label="捐赠/拨款方", field_name="donor", lookup_expr="icontains")
    kind = df.ChoiceFilter(label="资金性质", choices=FundSource.Kind.choices, empty_label="全部")
    org_unit = UnitFilter(label="接收单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    received = df.DateFromToRangeFilter(label="到账日期", field_name="received_on", widget=DATE_RANGE)
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("received_on", "received"), ("amount", "amount")),
        field_labels={"id": "登记先后", "received_on": "到账日期", "amount": "金额"}, empty_label="最新登记在前")

    class Meta:
        model = FundSource
        fields: list[str] = []


class LedgerFilter(ScopedFilterSet):
    q = df.CharFilter(label="摘要", field_name="memo", lookup_expr="icontains")
    kind = df.ChoiceFilter(label="类型", choices=LedgerEntry.Kind.choices, empty_label="全部")
    source_kind = df.ChoiceFilter(label="资金性质", field_name="account__source__kind", choices=FundSource.Kind.choices,
                                  empty_label="全部")
    account = df.NumberFilter(label="专户", field_name="account_id", widget=df.widgets.forms.HiddenInput)
    org_unit = UnitFilter(label="单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    at = df.DateFromToRangeFilter(label="记账日期", field_name="at__date", widget=DATE_RANGE)
    ordering = df.OrderingFilter(label="排序", fields=(("id", "id"), ("amount", "amount")),
                                 field_labels={"id": "记账先后", "amount": "金额"}, empty_label="最新在前")

    class Meta:
        model = LedgerEntry
        fields: list[str] = []


class YearCloseFilter(ScopedFilterSet):
    year = df.NumberFilter(label="年度", field_name="year")
    org_unit = UnitFilter(label="单位", queryset=OrgUnit.objects.none(), empty_label="全部")

    class Meta:
        model = YearClose
        fields: list[str] = []
