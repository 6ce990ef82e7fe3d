"""The security auditor's search over the append-only audit log."""

from __future__ import annotations

import django_filters as df
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..access import Action, require, visible
from ..listing import paginate
from ..models import AuditEvent


class AuditEventFilter(df.FilterSet):
    username = df.CharFilter(label="用户名", lookup_expr="exact")
    event = df.ChoiceFilter(label="事件", choices=AuditEvent.Event.choices, empty_label="全部")
    outcome = df.ChoiceFilter(label="结果", choices=AuditEvent.Outcome.choices, empty_label="全部")
    ip = df.CharFilter(label="IP地址", lookup_expr="exact")
    target = df.CharFilter(label="对象", field_name="target_repr", lookup_expr="contains")
    since = df.DateFilter(label="起始日期", field_name="at", lookup_expr="date__gte",
                          widget=df.widgets.forms.DateInput(attrs={"type": "date"}))
    until = df.DateFilter(label="截止日期", field_name="at", lookup_expr="date__lte",
                          widget=df.widgets.forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = AuditEvent
        fields: list[str] = []


def audit_log(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.READ_AUDIT_LOG)
    filterset = AuditEventFilter(request.GET or None, queryset=visible(AuditEvent.objects.all(), request.user))
    page, query = paginate(request, filterset.qs)
    return render(request, "audit/list.html", {"filter": filterset, "page": page, "query": query})
