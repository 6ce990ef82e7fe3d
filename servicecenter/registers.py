"""The registers the shared core owns: 职工名册 and 用人单位名册."""

from __future__ import annotations

from .exports import Column, Register
from .models import Employer, Industry, Person

PERSON_REGISTER = Register(
    title="职工信息登记名册",
    filename="职工名册",
    columns=[
        Column("姓名", "name", 10),
        Column("性别", "sex", 6, labels=dict(Person.Sex.choices)),
        Column("出生日期", "birth_date", 12, kind="date"),
        Column("身份证号码", "id_number_masked", 21),
        Column("联系电话", "phone", 15),
        Column("住址", "address", 30),
        Column("工作单位", "employer__name", 28),
        Column("工会会员", "is_union_member", 8, kind="bool", total=True),
        Column("会员证号", "union_card_number", 14),
        Column("农民工", "is_migrant_worker", 8, kind="bool", total=True),
        Column("劳模类型", "model_worker", 12, labels=dict(Person.ModelWorker.choices)),
        Column("下岗证/失业证", "jobless_certificate", 12, labels=dict(Person.JoblessCertificate.choices)),
        Column("登记单位", "org_unit__name", 20),
        Column("登记时间", "created_at", 18, kind="datetime"),
    ],
)

EMPLOYER_REGISTER = Register(
    title="用人单位登记名册",
    filename="用人单位名册",
    columns=[
        Column("单位名称", "name", 32),
        Column("统一社会信用代码", "credit_code", 22),
        Column("法定代表人", "legal_representative", 10),
        Column("所属行业", "industry", 24, labels=dict(Industry.choices)),
        Column("工会组建情况", "union_status", 10, labels=dict(Employer.UnionStatus.choices)),
        Column("地址", "address", 30),
        Column("联系人", "contact_person", 10),
        Column("联系电话", "contact_phone", 15),
        Column("登记单位", "org_unit__name", 20),
    ],
)
