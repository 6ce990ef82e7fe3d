"""The registers (法律援助案件登记表, 劳动争议调解登记表) and the printed forms this app owns.

Each register is the export of its list: the same scope (``access.visible``), the same filterset,
a fixed order. Computed columns (overdue flags, the first worker's name) are computed in the query,
so a register of 200,000 cases streams without a query per row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register
from servicecenter.models import Person

from .declaration import EXPORT
from .filters import ApplicationFilter, MediationFilter
from .models import Application, Forum, Matter, Mediation, MediationParty
from .selectors import LIMIT_CLOCK, REVIEW_CLOCK

TEMPLATES = {
    "application": "legalaid/print_application.html",
    "approval": "legalaid/print_approval.html",
    "refusal": "legalaid/print_refusal.html",
    "withdrawal": "legalaid/print_withdrawal.html",
    "assignment": "legalaid/print_assignment.html",
    "agreement": "legalaid/print_agreement.html",
}

APPLICATION_REGISTER = Register(
    title="法律援助案件登记表",
    filename="法律援助案件登记表",
    columns=[
        Column("编号", "number", 22),
        Column("受理日期", "received_on", 11, kind="date"),
        Column("申请人", "applicant__name", 10),
        Column("性别", "applicant__sex", 6, labels=dict(Person.Sex.choices)),
        Column("身份证号码", "applicant__id_number_masked", 21),
        Column("联系电话", "applicant__phone", 14),
        Column("援助对象", "qualifies", 14, labels=dict(Application.Qualifies.choices)),
        Column("案由", "matter", 14, labels=dict(Matter.choices)),
        Column("对方当事人", "employer__name", 26),
        Column("申请援助形式", "forum", 14, labels=dict(Forum.choices)),
        Column("请求金额", "amount_claimed", 12, kind="money", total=True),
        Column("受理单位", "org_unit__name", 18),
        Column("承办人", "handler__full_name", 10),
        Column("状态", "status", 12, labels=dict(Application.Status.choices)),
        Column("审查期限", "review_due_date", 11, kind="date"),
        Column("审批日期", "decided_on", 11, kind="date"),
        Column("批准援助形式", "granted_forum", 14, labels=dict(Forum.choices)),
        Column("承办律师/志愿者", "advisor__name", 12),
        Column("执业机构", "advisor__firm", 20),
        Column("指派日期", "assigned_on", 11, kind="date"),
        Column("时效届满日", "limitation_ends_on", 11, kind="date"),
        Column("结果", "outcome", 10, labels=dict(Application.Outcome.choices)),
        Column("裁判/协议金额", "amount_awarded", 13, kind="money", total=True),
        Column("实际到手金额", "amount_received", 13, kind="money", total=True),
        Column("结案日期", "closed_on", 11, kind="date"),
        Column("来源", "origin_label", 26),
        Column("审查逾期", "r_review_late", 8, kind="bool", total=True),
        Column("已结案", "r_closed", 7, kind="int", total=True),
    ],
)

MEDIATION_REGISTER = Register(
    title="劳动争议调解登记表",
    filename="劳动争议调解登记表",
    columns=[
        Column("编号", "number", 22),
        Column("申请日期", "applied_on", 11, kind="date"),
        Column("申请人", "r_first_worker", 10),
        Column("人数", "r_workers", 6, kind="int", total=True),
        Column("被申请单位", "employer__name", 26),
        Column("争议事项", "matter", 14, labels=dict(Matter.choices)),
        Column("请求金额", "amount_claimed", 12, kind="money", total=True),
        Column("调解员", "mediator__name", 10),
        Column("受理单位", "org_unit__name", 18),
        Column("调解期限", "limit_due_date", 11, kind="date"),
        Column("状态", "status", 10, labels=dict(Mediation.Status.choices)),
        Column("协议日期", "agreed_on", 11, kind="date"),
        Column("协议金额", "amount_agreed", 12, kind="money", total=True),
        Column("履行期限", "pay_by", 11, kind="date"),
        Column("履行情况", "execution", 10, labels=dict(Mediation.Execution.choices)),
        Column("实际到手金额", "amount_paid", 13, kind="money", total=True),
        Column("终止日期", "failed_on", 11, kind="date"),
        Column("去向", "referred_to", 14, labels=dict(Mediation.Referral.choices)),
        Column("调结", "r_concluded", 6, kind="int", total=True),
        Column("已全部履行", "r_executed", 8, kind="int", total=True),
        Column("超期", "r_late", 6, kind="bool", total=True),
    ],
)


def application_rows(queryset: QuerySet[Application]) -> QuerySet[Application]:
    today = timezone.localdate()
    return queryset.annotate(
        r_review_late=Case(When(REVIEW_CLOCK.overdue_ever_q(today), then=Value(True)), default=Value(False),
                           output_field=BooleanField()),
        r_closed=Case(When(status=Application.Status.CLOSED, then=Value(1)), default=Value(0),
                      output_field=IntegerField()),
    )


def mediation_rows(queryset: QuerySet[Mediation]) -> QuerySet[Mediation]:
    today = timezone.localdate()
    parties = MediationParty.objects.filter(mediation=OuterRef("pk"))
    first = parties.order_by("pk").values("person__name")[:1]
    count = parties.order_by().values("mediation").annotate(n=Count("pk")).values("n")[:1]
    return queryset.annotate(
        r_first_worker=Subquery(first), r_workers=Subquery(count, output_field=IntegerField()),
        r_concluded=Case(When(status__in=[Mediation.Status.AGREED, Mediation.Status.FAILED], then=Value(1)),
                         default=Value(0), output_field=IntegerField()),
        r_executed=Case(When(execution=Mediation.Execution.EXECUTED, then=Value(1)), default=Value(0),
                        output_field=IntegerField()),
        r_late=Case(When(LIMIT_CLOCK.overdue_ever_q(today), then=Value(True)), default=Value(False),
                    output_field=BooleanField()),
    )


class ComputedExportSource(ExportSource):
    """An export whose rows carry computed columns, added to the list's own queryset."""

    def build(self, user: Any, params: Any) -> tuple[Register, QuerySet]:
        rows = application_rows if self.model_is(Application) else mediation_rows
        return self.register, rows(self.queryset(user, params))

    def model_is(self, model: type) -> bool:
        return self.base().model is model


APPLICATION_EXPORT = ComputedExportSource("legalaid.applications", APPLICATION_REGISTER, Application.objects.all,
                                          ApplicationFilter, ordering=("received_on", "id"), permission=EXPORT)
MEDIATION_EXPORT = ComputedExportSource("legalaid.mediations", MEDIATION_REGISTER, Mediation.objects.all,
                                        MediationFilter, ordering=("applied_on", "id"), permission=EXPORT)
