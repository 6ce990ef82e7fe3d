"""The petition list's filters (django-filter); the register export reuses the same filterset."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils import timezone

from servicecenter import access
from servicecenter.filters import ScopedFilterSet, UnitFilter, YesNoAll
from servicecenter.models import OrgUnit, Person, User
from servicecenter.people import person_search

from .confidentiality import identity_q
from .forms import HandlerChoiceField
from .models import Category, Petition
from .selectors import CLOCK, due_soon_days, due_soon_q, overdue_open_q
from .workflow import HANDLE

DEADLINE_CHOICES = [
    ("overdue", "已逾期（未办结）"),
    ("due_soon", "即将到期"),
    ("overdue_closed", "逾期办结"),
    ("paused", "暂停计时"),
    ("extended", "已延期"),
]
# The deadline lists come most urgent first (earliest due date) unless the user sorts otherwise.
BY_DUE = ("due_date", "id")


class HandlerFilter(df.ModelChoiceFilter):
    field_class = HandlerChoiceField


class PetitionFilter(ScopedFilterSet):
    number = df.CharFilter(label="编号", field_name="number", lookup_expr="icontains")
    person = df.CharFilter(label="来访人", method="filter_person",
                           help_text="姓名、拼音首字母、电话或完整身份证号")
    channel = df.ChoiceFilter(label="来访形式", choices=Petition.Channel.choices, empty_label="全部")
    category = df.ModelChoiceFilter(label="问题类别", queryset=Category.objects.all(), empty_label="全部")
    status = df.ChoiceFilter(label="状态", choices=Petition.Status.choices, empty_label="全部")
    handler = HandlerFilter(label="承办人", queryset=User.objects.none(), empty_label="全部")
    org_unit = UnitFilter(label="承办单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    received = df.DateFromToRangeFilter(label="受理日期", field_name="received_at",
                                        widget=df.widgets.DateRangeWidget(attrs={"type": "date"}))
    deadline = df.ChoiceFilter(label="办结期限", choices=DEADLINE_CHOICES, method="filter_deadline",
                               empty_label="全部")
    is_group = df.BooleanFilter(label="群体性", widget=YesNoAll())
    is_urgent = df.BooleanFilter(label="重大/紧急", widget=YesNoAll())
    is_confidential = df.BooleanFilter(label="保密", widget=YesNoAll())
    ordering = df.OrderingFilter(
        label="排序",
        fields=(("received_at", "received"), ("due_date", "due"), ("number", "number")),
        field_labels={"received_at": "受理时间", "due_date": "办结期限", "number": "编号"},
        empty_label="最新受理在前",
    )

    class Meta:
        model = Petition
        fields: list[str] = []

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        units = self.filters["org_unit"].queryset
        self.filters["handler"].queryset = access.staff_holding(HANDLE, units)

    def filter_person(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        """Search by the complainant, but never through a confidential case whose complainant
        the user may not see: a hit would tie the name to the case."""
        people = person_search(Person.objects.all(), value).values("pk")
        return qs.filter(identity_q(self.user), person__in=people)

    def filter_deadline(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if value == "overdue":
            return qs.filter(overdue_open_q()).order_by(*BY_DUE)
        if value == "due_soon":
            return qs.filter(due_soon_q(due_soon_days(self.user))).order_by(*BY_DUE)
        if value == "overdue_closed":
            return qs.filter(CLOCK.stopped_late_q())
        if value == "paused":
            return qs.filter(CLOCK.paused_q())
        if value == "extended":
            return qs.filter(extension_days__gt=0)
        return qs

    def period_label(self) -> str:
        """The register's 统计期间, from the received-date filter."""
        value = self.form.cleaned_data.get("received") if self.is_bound and self.form.is_valid() else None
        if not value or (value.start is None and value.stop is None):
            return "全部"
        start = timezone.localdate(value.start).isoformat() if value.start else "—"
        stop = timezone.localdate(value.stop).isoformat() if value.stop else timezone.localdate().isoformat()
        return f"{start} 至 {stop}"

