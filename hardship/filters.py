"""The file list's and the roster's filters (django-filter); the roster export reuses the roster's."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils import timezone

from servicecenter import registry
from servicecenter.filters import ScopedFilterSet, UnitFilter
from servicecenter.models import OrgUnit, Person
from servicecenter.people import person_search

from . import codes
from .models import HardshipFile
from .selectors import not_helped_in, recheck_due_q, stale_q

HELP_CHOICES = [("none", "本年度未帮扶过"), ("some", "本年度已获帮扶")]
RECHECK_CHOICES = [("due", "复核到期（含情况变化）"), ("stale", "一年未改（超过一年未复核）")]


class _FileFilter(ScopedFilterSet):
    q = df.CharFilter(label="申请人", method="filter_applicant", help_text="姓名、拼音首字母、电话或完整身份证号")
    number = df.CharFilter(label="档案编号", field_name="number", lookup_expr="icontains")
    grade = df.ChoiceFilter(label="困难类别", choices=codes.Grade.choices, empty_label="全部")
    main_cause = df.ChoiceFilter(label="主要致困原因", choices=codes.Cause.choices, empty_label="全部")
    org_unit = UnitFilter(label="申报单位", queryset=OrgUnit.objects.none(), empty_label="全部")

    class Meta:
        model = HardshipFile
        fields: list[str] = []

    def filter_applicant(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        people = person_search(Person.objects.all(), value).values("pk")
        return qs.filter(applicant__in=people)

    def filter_recheck(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "due":
            return qs.filter(recheck_due_q())
        if value == "stale":
            return qs.filter(stale_q())
        return qs


class FileFilter(_FileFilter):
    """The working list of every file in scope, in every state."""

    status = df.ChoiceFilter(label="状态", choices=HardshipFile.Status.choices, empty_label="全部")
    applied = df.DateFromToRangeFilter(label="申请日期", field_name="applied_on",
                                       widget=df.widgets.DateRangeWidget(attrs={"type": "date"}))
    recheck = df.ChoiceFilter(label="复核", choices=RECHECK_CHOICES, method="filter_recheck", empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("applied_on", "applied"), ("income_per_head", "income")),
        field_labels={"id": "登记先后", "applied_on": "申请日期", "income_per_head": "人均月收入"},
        empty_label="最新登记在前")


class RosterFilter(_FileFilter):
    """困难职工花名册: the archived files (the base queryset is already 在档 only)."""

    recheck = df.ChoiceFilter(label="复核", choices=RECHECK_CHOICES, method="filter_recheck", empty_label="全部")
    helped = df.ChoiceFilter(label="帮扶", choices=HELP_CHOICES, method="filter_helped", empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("recheck_due", "due"), ("income_per_head", "income")),
        field_labels={"id": "登记先后", "recheck_due": "复核到期日", "income_per_head": "人均月收入"},
        empty_label="最新登记在前")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if not registry.help_sources():  # no service gives help: nothing to filter by
            self.filters.pop("helped")

    def filter_helped(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        unhelped = not_helped_in(qs, timezone.localdate().year)
        if value == "none":
            return unhelped
        if value == "some":
            return qs.exclude(pk__in=unhelped.values("pk"))
        return qs
