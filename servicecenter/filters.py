"""List filters for people and employers (django-filter); exports reuse the same filtersets."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet

from .access import scope_units
from .employers import employer_search
from .forms import UnitChoiceField, plain_messages
from .models import Employer, Industry, OrgUnit, Person, User
from .people import person_search


class YesNoAll(df.widgets.BooleanWidget):
    """是/否 with an empty choice that means "no condition" — django-filter labels it 未知."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", "全部"), ("true", "是"), ("false", "否")]


class UnitFilter(df.ModelChoiceFilter):
    """A unit in the user's scope; selecting it shows that unit and everything below it."""

    field_class = UnitChoiceField

    def filter(self, qs: QuerySet, value: OrgUnit | None) -> QuerySet:
        if not value:
            return qs
        return qs.filter(org_unit__in=OrgUnit.objects.filter(path__startswith=value.path).values("pk"))


class ScopedFilterSet(df.FilterSet):
    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["org_unit"].queryset = scope_units(user)

    @property
    def form(self) -> Any:
        """The filter form, with plain Chinese messages that name the field (never ``org_unit``)."""
        form = super().form
        if not getattr(form, "_plain_messages", False):
            plain_messages(form)
            form._plain_messages = True
        return form


class PersonFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search",
                      help_text="姓名、拼音首字母（如 zs）、电话或完整身份证号")
    sex = df.ChoiceFilter(label="性别", choices=Person.Sex.choices, empty_label="全部")
    org_unit = UnitFilter(label="登记单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    is_migrant_worker = df.BooleanFilter(label="农民工", widget=YesNoAll())
    is_union_member = df.BooleanFilter(label="工会会员", widget=YesNoAll())
    model_worker = df.ChoiceFilter(label="劳模", choices=Person.ModelWorker.choices[1:], empty_label="全部")
    jobless_certificate = df.ChoiceFilter(label="下岗/失业", choices=Person.JoblessCertificate.choices[1:],
                                          empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序",
        fields=(("id", "id"), ("name_initials", "name"), ("birth_date", "birth_date")),
        field_labels={"id": "登记先后", "name_initials": "姓名拼音", "birth_date": "出生日期"},
        empty_label="最新登记在前",
    )

    class Meta:
        model = Person
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return person_search(qs, value)


class EmployerFilter(ScopedFilterSet):
    q = df.CharFilter(label="查找", method="search", help_text="单位名称或统一社会信用代码")
    industry = df.ChoiceFilter(label="行业", choices=Industry.choices, empty_label="全部")
    union_status = df.ChoiceFilter(label="建会情况", choices=Employer.UnionStatus.choices, empty_label="全部")
    org_unit = UnitFilter(label="登记单位", queryset=OrgUnit.objects.none(), empty_label="全部")
    ordering = df.OrderingFilter(
        label="排序", fields=(("id", "id"), ("name", "name")),
        field_labels={"id": "登记先后", "name": "单位名称"}, empty_label="最新登记在前",
    )

    class Meta:
        model = Employer
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return employer_search(qs, value)
