"""The 信访接待登记汇总表 register and the printable forms this app owns.

The register is declared per request because the category list is data: one 0/1 column per active
category, so the totals row gives the count per category (分类合计) next to the overall totals.
Complainant columns are computed in the query: on a confidential case the user may not see, the
database already returns "（保密）" — nothing to forget in Python.
"""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import QueryDict

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register
from servicecenter.models import Person, User

from .confidentiality import MASK, identity_q
from .filters import PetitionFilter
from .models import Category, FollowUp, Petition
from .selectors import overdue_q

TEMPLATES = {
    "intake": "petitions/print_intake.html",
    "report": "petitions/print_report.html",
    "notice": "petitions/print_notice.html",
}


def _masked(user: User, path: str) -> Case:
    return Case(When(identity_q(user), then=F(path)), default=Value(MASK), output_field=CharField())


def petition_register(categories: list[Category]) -> Register:
    return Register(
        title="信访接待登记汇总表",
        filename="信访接待登记汇总表",
        columns=[
            Column("编号", "number", 22),
            Column("受理时间", "received_at", 17, kind="datetime"),
            Column("来访形式", "channel", 10, labels=dict(Petition.Channel.choices)),
            Column("来访人", "c_name", 10),
            Column("性别", "c_sex", 6, labels={**dict(Person.Sex.choices), MASK: MASK}),
            Column("身份证号码", "c_id", 21),
            Column("联系电话", "c_phone", 14),
            Column("工作单位", "employer__name", 26),
            Column("人数", "headcount", 6, kind="int", total=True),
            Column("问题类别", "category__name", 14),
            Column("诉求", "request", 36),
            Column("接待人", "received_by__full_name", 10),
            Column("承办单位", "org_unit__name", 18),
            Column("承办人", "handler__full_name", 10),
            Column("办理方式", "handling", 9, labels=dict(Petition.Handling.choices)),
            Column("状态", "status", 10, labels=dict(Petition.Status.choices)),
            Column("办结期限", "due_date", 11, kind="date"),
            Column("办结时间", "closed_at", 17, kind="datetime"),
            Column("处理结果", "report_result", 36),
            Column("回访", "r_satisfaction", 9, labels=dict(FollowUp.Satisfaction.choices)),
            Column("群体性", "is_group", 7, kind="bool", total=True),
            Column("保密", "is_confidential", 6, kind="bool", total=True),
            Column("逾期", "r_overdue", 6, kind="bool", total=True),
            *[Column(c.name, f"cat_{c.pk}", 8, kind="int", total=True) for c in categories],
        ],
    )


def register_queryset(queryset: QuerySet[Petition], user: User, categories: list[Category]) -> QuerySet[Petition]:
    """``queryset`` (already the list's scoped, filtered queryset) with the register's computed
    columns: masked complainant fields, latest follow-up, overdue flag, one column per category."""
    latest = (FollowUp.objects.filter(petition=OuterRef("pk"), status=FollowUp.Status.DONE)
              .order_by("-done_at").values("satisfaction")[:1])
    return queryset.order_by("received_at", "id").annotate(
        c_name=_masked(user, "person__name"),
        c_sex=_masked(user, "person__sex"),
        c_id=_masked(user, "person__id_number_masked"),
        c_phone=_masked(user, "person__phone"),
        r_satisfaction=Subquery(latest),
        r_overdue=Case(When(overdue_q(), then=Value(True)), default=Value(False), output_field=BooleanField()),
        **{f"cat_{c.pk}": Case(When(category_id=c.pk, then=Value(1)), default=Value(0), output_field=IntegerField())
           for c in categories},
    )


def register_categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True))


class PetitionExportSource(ExportSource):
    """The petition list's export (``exportjobs.export_or_enqueue``: a large one becomes a background
    job). One column per active category: they are read for each export, once for the columns and
    the query alike."""

    def build(self, user: User, params: QueryDict | None) -> tuple[Register, QuerySet[Petition]]:
        categories = register_categories()
        return petition_register(categories), register_queryset(self.queryset(user, params), user, categories)


PETITION_EXPORT = PetitionExportSource("petitions.petitions", petition_register([]), Petition.objects.all,
                                       PetitionFilter, ordering=("received_at", "id"), permission="petitions.export")
