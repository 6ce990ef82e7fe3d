"""List filters of 就业援助 (django-filter); each register export reuses its list's filterset."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils import timezone

from servicecenter.filters import ScopedFilterSet, UnitFilter, YesNoAll
from servicecenter.models import OrgUnit, Person
from servicecenter.people import person_search

from . import skills
from .models import (
    Course,
    Education,
    EmploymentType,
    Enrolment,
    Occupation,
    Posting,
    Recruiter,
    Referral,
    Seeker,
    Skill,
)
from .models import lapsed_q as posting_lapsed_q
from .models import open_q as posting_open_q
from .selectors import FOLLOW_UP_CLOCK

DATE_RANGE = {"widget": df.widgets.DateRangeWidget(attrs={"type": "date"})}


def _period(filterset: df.FilterSet, name: str) -> str:
    value = filterset.form.cleaned_data.get(name) if filterset.is_bound and filterset.form.is_valid() else None
    if not value or (value.start is None and value.stop is None):
        return "全部"
    start = value.start.isoformat() if value.start else "—"
    stop = value.stop.isoformat() if value.stop else timezone.localdate().isoformat()
    return f"{start} 至 {stop}"


def _skill_q(prefix: str, text: str) -> Q:
    """Rows with any skill the text could mean (its name or a synonym: 电焊 → 焊工)."""
    ids = skills.term_ids(Skill.objects.all(), text)
    return Q(**{f"{prefix}skills__in": ids}) if ids else Q(pk__in=[])


class PostingFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="岗位名称、编号或单位名称")
    state = df.ChoiceFilter(label="状态", choices=Posting.Status.choices, method="filter_state", empty_label="全部")
    occupation = df.ModelChoiceFilter(label="工种", queryset=Occupation.objects.all(), empty_label="全部")
    skill = df.CharFilter(label="技能", method="filter_skill", help_text="可写同义词")
    employment_type = df.ChoiceFilter(label="用工形式", choices=EmploymentType.choices, empty_label="全部")
    area = df.ModelChoiceFilter(label="工作区域", queryset=OrgUnit.objects.all(), method="filter_area",
                                empty_label="全部")
    for_vulnerable = df.BooleanFilter(label="适合困难群体", widget=YesNoAll())
    org_unit = UnitFilter(label="登记单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("valid_to", "valid_to"), ("wage_max", "wage")),
        field_labels={"id": "登记先后", "valid_to": "有效期", "wage_max": "工资"}, empty_label="最新登记在前")

    class Meta:
        model = Posting
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        from .forms import area_units

        self.filters["area"].queryset = area_units()

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(Q(title__contains=value) | Q(number=value.upper())
                         | Q(recruiter__employer__name__contains=value))

    def filter_state(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == Posting.Status.OPEN:
            return qs.filter(status=Posting.Status.OPEN, valid_to__gte=today)
        if value == Posting.Status.EXPIRED:
            return qs.filter(posting_lapsed_q(today))
        return qs.filter(status=value)

    def filter_skill(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=Posting.objects.filter(_skill_q("", value)).values("pk"))

    def filter_area(self, qs: QuerySet, name: str, value: OrgUnit | None) -> QuerySet:
        if not value:
            return qs
        return qs.filter(area__in=OrgUnit.objects.filter(path__startswith=value.path).values("pk"))

    def period_label(self) -> str:
        return "全部"


class SeekerFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="姓名、拼音首字母、电话、身份证号或求职编号")
    status = df.ChoiceFilter(label="状态", choices=Seeker.Status.choices, empty_label="全部")
    skill = df.CharFilter(label="技能", method="filter_skill", help_text="可写同义词，如“电焊”")
    # Text, not a list of every occupation: 电焊工 finds 焊工 through its synonyms, and the page
    # renders (and queries) no option list.
    desired_occupation = df.CharFilter(label="期望工种", method="filter_occupation", help_text="可写同义词")
    education = df.ChoiceFilter(label="文化程度不低于", choices=Education.choices[1:], method="filter_education",
                                empty_label="全部")
    certificate = df.ChoiceFilter(label="下岗证/失业证", choices=Person.JoblessCertificate.choices[1:],
                                  field_name="person__jobless_certificate", empty_label="全部")
    org_unit = UnitFilter(label="登记单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    registered = df.DateFromToRangeFilter(label="登记日期", field_name="registered_on", **DATE_RANGE)
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("registered_on", "registered")),
        field_labels={"id": "登记先后", "registered_on": "登记日期"}, empty_label="最新登记在前")

    class Meta:
        model = Seeker
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.upper().startswith("QZ-"):
            return qs.filter(number=value.upper())
        return qs.filter(person__in=person_search(Person.objects.all(), value).values("pk"))

    def filter_skill(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(pk__in=Seeker.objects.filter(_skill_q("", value)).values("pk"))

    def filter_occupation(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        ids = skills.term_ids(Occupation.objects.all(), value)
        return qs.filter(desired_occupation__in=ids) if ids else qs.none()

    def filter_education(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(education__gte=int(value))

    def period_label(self) -> str:
        return _period(self, "registered")


class ReferralFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="介绍信编号、求职者或单位名称")
    status = df.ChoiceFilter(label="结果", choices=Referral.Status.choices, empty_label="全部")
    follow_up = df.ChoiceFilter(label="回访", choices=[("due", "待回访（含逾期）"), ("overdue", "回访逾期"),
                                                      ("done", "已回访")], method="filter_follow_up", empty_label="全部")
    org_unit = UnitFilter(label="推荐单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    referred = df.DateFromToRangeFilter(label="推荐日期", field_name="referred_on", **DATE_RANGE)
    ordering = df.OrderingFilter(label="排序", fields=(("referred_on", "referred"),),
                                 field_labels={"referred_on": "推荐日期"}, empty_label="最新推荐在前")

    class Meta:
        model = Referral
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if value.upper().startswith("TJ-"):
            return qs.filter(number=value.upper())
        people = person_search(Person.objects.all(), value).values("pk")
        return qs.filter(Q(seeker__person__in=people) | Q(posting__recruiter__employer__name__contains=value))

    def filter_follow_up(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == "overdue":
            return qs.filter(FOLLOW_UP_CLOCK.overdue_q(today))
        if value == "done":
            return qs.filter(followed_up_on__isnull=False)
        return qs.filter(status=Referral.Status.HIRED, followed_up_on__isnull=True, follow_up_due__isnull=False)

    def period_label(self) -> str:
        return _period(self, "referred")


class EnrolmentFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="学员姓名、电话或身份证号")
    course = df.ModelChoiceFilter(label="课程", queryset=Course.objects.all(), empty_label="全部")
    status = df.ChoiceFilter(label="状态", choices=Enrolment.Status.choices, empty_label="全部")
    discounted = df.BooleanFilter(label="享受优惠", method="filter_discounted", widget=YesNoAll())
    org_unit = UnitFilter(label="报名单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    enrolled = df.DateFromToRangeFilter(label="报名日期", field_name="enrolled_on", **DATE_RANGE)

    class Meta:
        model = Enrolment
        fields: list[str] = []

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        from .selectors import courses_for

        self.filters["course"].queryset = courses_for(user).order_by("-starts_on")

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(person__in=person_search(Person.objects.all(), value).values("pk"))

    def filter_discounted(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        return qs.filter(discount__gt=0) if value else qs.filter(discount=0)

    def period_label(self) -> str:
        return _period(self, "enrolled")


class RecruiterFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="单位名称或统一社会信用代码")
    status = df.ChoiceFilter(label="证件核验", choices=Recruiter.Status.choices, empty_label="全部")
    org_unit = UnitFilter(label="登记单位", queryset=OrgUnit.objects.none(), empty_label="全部")

    class Meta:
        model = Recruiter
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return qs.filter(Q(employer__name__contains=value) | Q(employer__credit_code__startswith=value.upper()))


def open_postings_q() -> Q:
    return posting_open_q(timezone.localdate())
