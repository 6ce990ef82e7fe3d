"""List filters (django-filter) for applications, mediations and consultations; each register export
reuses its list's filterset."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from django.utils import timezone

from servicecenter.employers import employer_search
from servicecenter.filters import ScopedFilterSet, UnitFilter, YesNoAll
from servicecenter.models import Employer, OrgUnit, Person
from servicecenter.people import person_search

from . import selectors
from .models import Advisor, Application, Consultation, Forum, Matter, Mediation
from .selectors import ASSIGN_CLOCK, LIMIT_CLOCK, REVIEW_CLOCK

DATE_RANGE = {"widget": df.widgets.DateRangeWidget(attrs={"type": "date"})}

DEADLINE_CHOICES = [
    ("urgent", "时效紧急"),
    ("review_overdue", "审查已逾期"),
    ("review_due_soon", "审查即将到期"),
    ("review_paused", "待补充材料（暂停计时）"),
    ("assign_overdue", "指派已逾期"),
]


def _period(form: Any, name: str) -> str:
    value = form.cleaned_data.get(name) if form.is_bound and form.is_valid() else None
    if not value or (value.start is None and value.stop is None):
        return "全部"
    start = value.start.isoformat() if value.start else "—"
    stop = value.stop.isoformat() if value.stop else timezone.localdate().isoformat()
    return f"{start} 至 {stop}"


class _AppFilterBase(ScopedFilterSet):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.user = user

    def filter_employer(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(employer__in=employer_search(Employer.objects.all(), value).values("pk"))


class ApplicationFilter(_AppFilterBase):
    number = df.CharFilter(label="编号", field_name="number", lookup_expr="icontains")
    applicant = df.CharFilter(label="申请人", method="filter_applicant", help_text="姓名、拼音首字母、电话或完整身份证号")
    employer = df.CharFilter(label="对方单位", method="filter_employer")
    status = df.ChoiceFilter(label="状态", choices=Application.Status.choices, empty_label="全部")
    qualifies = df.ChoiceFilter(label="援助对象", choices=Application.Qualifies.choices, empty_label="全部")
    matter = df.ChoiceFilter(label="案由", choices=Matter.choices, empty_label="全部")
    forum = df.ChoiceFilter(label="援助形式", choices=Forum.choices, empty_label="全部", field_name="forum")
    org_unit = UnitFilter(label="受理单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    advisor = df.ModelChoiceFilter(label="承办律师", queryset=Advisor.objects.none(), empty_label="全部")
    received = df.DateFromToRangeFilter(label="受理日期", field_name="received_on", **DATE_RANGE)
    deadline = df.ChoiceFilter(label="期限", choices=DEADLINE_CHOICES, method="filter_deadline", empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序",
        fields=(("received_on", "received"), ("number", "number"), ("limitation_ends_on", "limitation"),
                ("review_due_date", "review_due")),
        field_labels={"received_on": "受理日期", "number": "编号", "limitation_ends_on": "时效届满日",
                      "review_due_date": "审查期限"},
        empty_label="最新受理在前",
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.filters["advisor"].queryset = selectors.advisors_for(user).filter(kind__in=Advisor.ASSIGNABLE)

    def filter_applicant(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(applicant__in=person_search(Person.objects.all(), value).values("pk"))

    def filter_deadline(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == "urgent":
            return qs.filter(selectors.urgent_q(today, selectors.urgent_days(self.user)))
        if value == "review_overdue":
            return qs.filter(REVIEW_CLOCK.overdue_q(today))
        if value == "review_due_soon":
            from servicecenter.clocks import due_soon_days

            return qs.filter(REVIEW_CLOCK.due_soon_q(today, due_soon_days(self.user.org_unit)), status="review")
        if value == "review_paused":
            return qs.filter(REVIEW_CLOCK.paused_q())
        if value == "assign_overdue":
            return qs.filter(ASSIGN_CLOCK.overdue_q(today))
        return qs

    def period_label(self) -> str:
        return _period(self.form, "received")


class MediationFilter(_AppFilterBase):
    number = df.CharFilter(label="编号", field_name="number", lookup_expr="icontains")
    worker = df.CharFilter(label="申请人", method="filter_worker", help_text="姓名、拼音首字母、电话或完整身份证号")
    employer = df.CharFilter(label="被申请单位", method="filter_employer")
    status = df.ChoiceFilter(label="状态", choices=Mediation.Status.choices, empty_label="全部")
    execution = df.ChoiceFilter(label="履行情况", choices=Mediation.Execution.choices[1:], empty_label="全部")
    matter = df.ChoiceFilter(label="争议事项", choices=Matter.choices, empty_label="全部")
    org_unit = UnitFilter(label="受理单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    mediator = df.ModelChoiceFilter(label="调解员", queryset=Advisor.objects.none(), empty_label="全部")
    applied = df.DateFromToRangeFilter(label="申请日期", field_name="applied_on", **DATE_RANGE)
    overdue = df.BooleanFilter(label="调解期满未结", method="filter_overdue", widget=YesNoAll())
    ordering = df.OrderingFilter(
        label="排序", fields=(("applied_on", "applied"), ("number", "number"), ("pay_by", "pay_by")),
        field_labels={"applied_on": "申请日期", "number": "编号", "pay_by": "履行期限"}, empty_label="最新受理在前")

    class Meta:
        model = Mediation
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.filters["mediator"].queryset = selectors.advisors_for(user).filter(kind__in=Advisor.MEDIATES)

    def filter_worker(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(workers__in=person_search(Person.objects.all(), value).values("pk")).distinct()

    def filter_overdue(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        q = LIMIT_CLOCK.overdue_q(timezone.localdate())
        return qs.filter(q) if value else qs.exclude(q)

    def period_label(self) -> str:
        return _period(self.form, "applied")


class ConsultationFilter(_AppFilterBase):
    q = df.CharFilter(label="查找", method="search", help_text="咨询问题或解答中的文字")
    person = df.CharFilter(label="咨询人", method="filter_person")
    channel = df.ChoiceFilter(label="形式", choices=Consultation.Channel.choices, empty_label="全部")
    matter = df.ChoiceFilter(label="类别", choices=Matter.choices, empty_label="全部")
    org_unit = UnitFilter(label="受理单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    advisor = df.ModelChoiceFilter(label="值班律师/志愿者", queryset=Advisor.objects.none(), empty_label="全部")
    at = df.DateFromToRangeFilter(label="咨询日期", field_name="at__date", **DATE_RANGE)

    class Meta:
        model = Consultation
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.filters["advisor"].queryset = selectors.advisors_for(user)

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        from django.db.models import Q

        return qs.filter(Q(question__contains=value) | Q(answer__contains=value))

    def filter_person(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        from django.db.models import Q

        return qs.filter(Q(person__in=person_search(Person.objects.all(), value).values("pk"))
                         | Q(caller__contains=value))
