"""The security auditor's search over the append-only audit log."""

from __future__ import annotations

import datetime

import django_filters as df
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..access import Action, require, visible
from ..http import StaffRequest
from ..listing import paginate
from ..models import AuditEvent

# Dates outside this range cannot become aware datetimes in every time zone (year 1 and 9999
# overflow); nobody searches the log for them, so they are refused as input errors.
_FIRST_DAY = datetime.date(2000, 1, 1)
_LAST_DAY = datetime.date(2999, 12, 31)


class DayField(forms.DateField):
    default_validators = [
        MinValueValidator(_FIRST_DAY, message=f"日期不能早于 {_FIRST_DAY:%Y-%m-%d}。"),
        MaxValueValidator(_LAST_DAY, message=f"日期不能晚于 {_LAST_DAY:%Y-%m-%d}。"),
    ]


class DayFilter(df.DateFilter):
    field_class = DayField


class IPFilter(df.CharFilter):
    # Validated as an address: PostgreSQL's inet column raises on a malformed one.
    field_class = forms.GenericIPAddressField


def _target_types() -> list[tuple[str, str]]:
    """Every model an audit row can be about, by its Chinese name."""
    from django.apps import apps

    return sorted(((m._meta.label_lower, str(m._meta.verbose_name)) for m in apps.get_models()), key=lambda c: c[1])


def _start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of ``day`` in the local time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditEventFilter(df.FilterSet):
    username = df.CharFilter(label="用户名", lookup_expr="exact")
    event = df.ChoiceFilter(label="事件", choices=AuditEvent.Event.choices, empty_label="全部")
    outcome = df.ChoiceFilter(label="结果", choices=AuditEvent.Outcome.choices, empty_label="全部")
    ip = IPFilter(label="IP地址", lookup_expr="exact")
    action = df.CharFilter(label="事件类型", lookup_expr="startswith",
                           help_text="如 petitions.close，或 petitions 查该业务的全部事件")
    target_type = df.ChoiceFilter(label="对象类型", choices=lambda: _target_types(), empty_label="全部")
    target = df.CharFilter(label="对象", method="filter_target", help_text="对象名称的一部分，或对象ID")
    # Day bounds become a range on the indexed ``at`` column (not ``at__date``, which the index
    # cannot serve), in local time, so "2026-03-01" means that day in China.
    since = DayFilter(label="起始日期", method="filter_since", widget=forms.DateInput(attrs={"type": "date"}))
    until = DayFilter(label="截止日期", method="filter_until", widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_target(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Q(target_repr__contains=value) | Q(target_label__contains=value) | Q(target_id=value))

    def filter_since(self, qs: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return qs.filter(at__gte=_start_of(value))

    def filter_until(self, qs: QuerySet, name: str, value: datetime.date) -> QuerySet:
        return qs.filter(at__lt=_start_of(value + datetime.timedelta(days=1)))


@require_safe
def audit_log(request: StaffRequest) -> HttpResponse:
    require(request.user, Action.READ_AUDIT_LOG)
    events = visible(AuditEvent.objects.all(), request.user)
    filterset = AuditEventFilter(request.GET or None, queryset=events)
    # A search with an invalid field shows its error and no rows, rather than quietly ignoring
    # that field and showing more than was asked for.
    rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else events.none()
    page, query = paginate(request, rows)
    return render(request, "audit/list.html", {"filter": filterset, "page": page, "query": query})
