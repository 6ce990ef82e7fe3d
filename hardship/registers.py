"""困难职工花名册 (the roster, Excel) and the printed forms this app owns.

The roster follows the national archive form's column order and code lists (FORMS §1a/§1c). It is
the roster list's export: the same scope (``access.visible``), the same filters (``RosterFilter``).
ID numbers are masked unless the exporting user's role may see them (``reveal``); for those users
the column reads the encrypted number and decrypts it row by row (the export itself is audited).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from servicecenter import encryption
from servicecenter.access import Action, role_allows
from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register
from servicecenter.models import Person

from . import codes
from .filters import RosterFilter
from .models import HardshipFile
from .workflow import EXPORT

TEMPLATES = {
    "approval": "hardship/print_approval.html",
    "card": "hardship/print_card.html",
    "notice": "hardship/print_notice.html",
}
CAUSES = dict(codes.Cause.choices)


def _causes(value: Any) -> str:
    return "、".join(CAUSES.get(c, c) for c in value or ())


def _decrypt(value: Any) -> str:
    return encryption.decrypt(value) if value else ""


def roster_register(*, full_ids: bool) -> Register:
    id_column = (Column("身份证号", "applicant__id_number_encrypted", 21, transform=_decrypt) if full_ids else
                 Column("身份证号", "applicant__id_number_masked", 21))
    return Register(
        title="困难职工花名册",
        filename="困难职工花名册",
        columns=[
            Column("职工编号", "number", 24),
            Column("困难类别", "grade", 10, labels=dict(codes.Grade.choices)),
            Column("姓名", "applicant__name", 10),
            Column("民族", "ethnicity", 6),
            Column("性别", "applicant__sex", 5, labels=dict(Person.Sex.choices)),
            Column("政治面貌", "political", 9, labels=dict(codes.Political.choices)),
            id_column,
            Column("出生日期", "applicant__birth_date", 11, kind="date"),
            Column("健康状况", "health", 10, labels=dict(codes.Health.choices)),
            Column("残疾类别", "disability", 8, labels=dict(codes.Disability.choices)),
            Column("工作状态", "work_status", 9, labels=dict(codes.WorkStatus.choices)),
            Column("劳模类型", "applicant__model_worker", 9, labels=dict(Person.ModelWorker.choices)),
            Column("住房类型", "housing_type", 11, labels=dict(codes.HousingType.choices)),
            Column("建筑面积（㎡）", "housing_area", 10, kind="money"),
            Column("手机号码", "phone", 13),
            Column("婚姻状况", "marital", 8, labels=dict(codes.Marital.choices)),
            Column("户口类型", "hukou", 8, labels=dict(codes.Hukou.choices)),
            Column("家庭住址", "address", 28),
            Column("工作单位", "applicant__employer__name", 24),
            Column("是否单亲", "single_parent", 7, kind="bool"),
            Column("本人月平均收入", "own_monthly_income", 12, kind="money"),
            Column("家庭其他非薪资年收入", "other_annual_income", 13, kind="money"),
            Column("家庭年度总收入", "annual_income", 13, kind="money", total=True),
            Column("家庭人口", "household_size", 7, kind="int", total=True),
            Column("家庭月人均收入", "income_per_head", 12, kind="money"),
            Column("主要致困原因", "main_cause", 14, labels=CAUSES),
            Column("次要致困原因", "secondary_causes", 20, transform=_causes),
            Column("建档单位", "org_unit__name", 18),
            Column("建档日期", "approved_on", 11, kind="date"),
            Column("复核到期日", "recheck_due", 11, kind="date"),
        ],
    )


class RosterExportSource(ExportSource):
    """The roster's export (large ones become a background job): the full ID numbers for those
    who may see them, masked for the others."""

    def build(self, user: Any, params: Any) -> tuple[Register, QuerySet[HardshipFile]]:
        return roster_register(full_ids=role_allows(user, Action.REVEAL)), self.queryset(user, params)


def roster_base() -> QuerySet[HardshipFile]:
    return HardshipFile.objects.filter(status=HardshipFile.Status.ARCHIVED)


ROSTER_EXPORT = RosterExportSource("hardship.roster", roster_register(full_ids=False), roster_base, RosterFilter,
                                   ordering=("-id",), permission=EXPORT)


def mask_name(name: str) -> str:
    """张*三 for the public notice: the first and last characters kept, the middle masked (a
    two-character name keeps its first: 张*)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
