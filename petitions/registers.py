"""The 信访接待登记汇总表 register and the printable forms this app owns.

The register is declared per request because the category list is data: one 0/1 column per active
category, so the totals row gives the count per category (分类合计) next to the overall totals.
Complainant columns are computed in the query: on a confidential case the user may not see, the
database already returns "（保密）" — nothing to forget in Python.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils import timezone

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register
from servicecenter.models import Person, User

from .confidentiality import ANONYMOUS, MASK, identity_q
from .filters import PetitionFilter
from .models import Category, FollowUp, Petition
from .selectors import overdue_q

TEMPLATES = {
    "intake": "petitions/print_intake.html",
    "report": "petitions/print_report.html",
    "notice": "petitions/print_notice.html",
    "hotline": "petitions/print_hotline.html",
    "referral": "petitions/print_referral.html",
}


def _masked(user: User, path: str) -> Case:
    return Case(When(identity_q(user), then=F(path)), default=Value(MASK), output_field=CharField())


def _who(user: User, person: str | Cast, caller_path: str | None = None, *, anonymous: str = "") -> Case:
    """A complainant column: the registered person's value, a partly identified complainant's own
    (or nothing), "（匿名）" for the name of an anonymous matter — and "（保密）" wherever the user
    may not name the complainant (computed in the query: nothing to forget in Python)."""
    shown = identity_q(user)
    partial = Value("") if caller_path is None else F(caller_path)
    return Case(
        When(shown & Q(person__isnull=False), then=F(person) if isinstance(person, str) else person),
        When(shown & Q(identity=Petition.Identity.PARTIAL), then=partial),
        When(shown, then=Value(anonymous)),
        default=Value(MASK), output_field=CharField())


def _age(value: object) -> object:
    """年龄 from the birth date the query returns as text (or the mask, or nothing)."""
    if not value or value == MASK:
        return value or ""
    born = datetime.date.fromisoformat(str(value)[:10])
    today = timezone.localdate()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def petition_register(categories: list[Category]) -> Register:
    return Register(
        title="信访接待登记汇总表",
        filename="信访接待登记汇总表",
        columns=[
            Column("编号", "number", 22),
            Column("受理时间", "received_at", 17, kind="datetime"),
            Column("来访形式", "channel", 10, labels=dict(Petition.Channel.choices)),
            Column("12351工单编号", "hotline_order__order_number", 16),
            Column("来访人", "c_name", 10),
            Column("性别", "c_sex", 6, labels={**dict(Person.Sex.choices), MASK: MASK}),
            Column("年龄", "c_birth", 6, transform=_age),
            Column("身份证号码", "c_id", 21),
            Column("联系电话", "c_phone", 14),
            Column("住址", "c_address", 26),
            Column("工作单位", "c_employer", 24),
            Column("工作岗位", "c_post", 10),
            Column("涉及单位", "employer__name", 24),
            Column("人数", "headcount", 6, kind="int", total=True),
            Column("问题类别", "category__name", 14),
            Column("反映内容", "facts", 40),
            Column("诉求", "request", 36),
            Column("接待人", "received_by__full_name", 10),
            Column("受理单位", "received_unit__name", 18),
            Column("上报单位", "sent_up_from__name", 18),
            Column("交办单位", "referred_by", 18),
            Column("交办文号", "referral_ref", 14),
            Column("承办单位", "org_unit__name", 18),
            Column("承办人", "handler__full_name", 10),
            Column("办理方式", "handling", 9, labels=dict(Petition.Handling.choices)),
            Column("转办部门", "forwarded_to", 20),
            Column("转办答复", "reply", 30),
            Column("状态", "status", 10, labels=dict(Petition.Status.choices)),
            Column("办结期限", "due_date", 11, kind="date"),
            Column("延期（天）", "extension_days", 8, kind="int"),
            Column("延期理由", "extension_reason", 20),
            Column("办结时间", "closed_at", 17, kind="datetime"),
            Column("处理结果", "report_result", 36),
            Column("挽回经济损失（元）", "recovered_amount", 14, kind="money", total=True),
            Column("回访方式", "r_method", 8, labels=dict(FollowUp.Method.choices)),
            Column("回访日期", "r_done_at", 17, kind="datetime"),
            Column("回访", "r_satisfaction", 9, labels=dict(FollowUp.Satisfaction.choices)),
            Column("群体性", "is_group", 7, kind="bool", total=True),
            Column("保密", "is_confidential", 6, kind="bool", total=True),
            Column("匿名", "r_anonymous", 6, kind="bool", total=True),
            Column("逾期", "r_overdue", 6, kind="bool", total=True),
            *[Column(c.name, f"cat_{c.pk}", 8, kind="int", total=True) for c in categories],
        ],
    )


def register_queryset(queryset: QuerySet[Petition], user: User, categories: list[Category]) -> QuerySet[Petition]:
    """``queryset`` (already the list's scoped, filtered queryset) with the register's computed
    columns: masked complainant fields, latest follow-up, overdue flag, one column per category."""
    done = FollowUp.objects.filter(petition=OuterRef("pk"), status=FollowUp.Status.DONE).order_by("-done_at", "-id")
    return queryset.order_by("received_at", "id").annotate(
        c_name=_who(user, "person__name", "caller_name", anonymous=ANONYMOUS),
        c_sex=_who(user, "person__sex"),
        c_birth=_who(user, Cast("person__birth_date", CharField())),
        c_id=_who(user, "person__id_number_masked"),
        c_phone=_who(user, "person__phone", "caller_phone"),
        c_address=_who(user, "person__address"),
        c_employer=_who(user, "person__employer__name", "caller_employer"),
        c_post=_masked(user, "visitor_post"),
        r_satisfaction=Subquery(done.values("satisfaction")[:1]),
        r_method=Subquery(done.values("method")[:1]),
        r_done_at=Subquery(done.values("done_at")[:1]),
        r_anonymous=Case(When(identity=Petition.Identity.ANONYMOUS, then=Value(True)), default=Value(False),
                         output_field=BooleanField()),
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
