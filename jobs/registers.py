"""The registers of 就业援助 (xlsx, through ``servicecenter.exports``) and the printed letter.

- 求职登记表: the seekers list as filtered;
- 用工单位登记表: the postings with their employer's particulars and papers' verification;
- 推荐登记表: referrals with the outcome and the follow-up;
- 培训登记表: trainees with the fee, the discount and what was paid.

Each is an ``ExportSource`` (declared in ``declaration.py``): the list's own scoped, filtered
queryset, so the file holds exactly the rows the list shows. ID numbers are the masked ones.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.utils import timezone

from servicecenter.exportjobs import ExportSource
from servicecenter.exports import Column, Register
from servicecenter.models import Person

from .filters import EnrolmentFilter, PostingFilter, ReferralFilter, SeekerFilter
from .models import Education, EmploymentType, Enrolment, Posting, Recruiter, Referral, Seeker
from .workflow import EXPORT

LETTER_TEMPLATE = "jobs/print_letter.html"

SEX = dict(Person.Sex.choices)
EDUCATION = dict(Education.choices)
CERTIFICATE = dict(Person.JoblessCertificate.choices)

SEEKER_REGISTER = Register(
    title="求职登记表", filename="求职登记表",
    columns=[
        Column("求职编号", "number", 22),
        Column("姓名", "person__name", 10),
        Column("性别", "person__sex", 6, labels=SEX),
        Column("出生日期", "person__birth_date", 11, kind="date"),
        Column("身份证号码", "person__id_number_masked", 21),
        Column("联系电话", "person__phone", 14),
        Column("文化程度", "education", 12, labels=EDUCATION),
        Column("技能", "skill_names", 20),
        Column("毕业证书", "diploma", 20),
        Column("职称/职业资格证书", "titles", 20),
        Column("期望工种", "desired_occupation__name", 12),
        Column("期望工作区域", "desired_area__name", 16),
        Column("用工形式", "employment_type", 9, labels=dict(Seeker.Preference.choices)),
        Column("期望月工资", "desired_monthly_wage", 11, kind="money"),
        Column("期望小时工资", "desired_hourly_wage", 11, kind="money"),
        Column("可到岗日期", "available_from", 11, kind="date"),
        Column("下岗证/失业证", "person__jobless_certificate", 10, labels=CERTIFICATE),
        Column("证件号码", "person__jobless_certificate_number", 16),
        Column("发证机关", "certificate_issuer", 16),
        Column("农民工", "person__is_migrant_worker", 7, kind="bool", total=True),
        Column("登记单位", "org_unit__name", 18),
        Column("登记日期", "registered_on", 11, kind="date"),
        Column("状态", "status", 8, labels=dict(Seeker.Status.choices)),
    ],
)

POSTING_REGISTER = Register(
    title="用工单位登记表", filename="用工单位登记表",
    columns=[
        Column("岗位编号", "number", 22),
        Column("单位名称", "recruiter__employer__name", 26),
        Column("统一社会信用代码", "recruiter__employer__credit_code", 20),
        Column("法定代表人", "recruiter__employer__legal_representative", 10),
        Column("单位地址", "recruiter__employer__address", 24),
        Column("证件核验", "recruiter__status", 9, labels=dict(Recruiter.Status.choices)),
        Column("核验日期", "recruiter__verified_on", 11, kind="date"),
        Column("岗位名称", "title", 16),
        Column("工种", "occupation__name", 10),
        Column("招聘人数", "openings", 8, kind="int", total=True),
        Column("已录用", "hired_count", 8, kind="int", total=True),
        Column("用工形式", "employment_type", 9, labels=dict(EmploymentType.choices)),
        Column("工资下限", "wage_min", 10, kind="money"),
        Column("工资上限", "wage_max", 10, kind="money"),
        Column("学历要求", "education_min", 12, labels=EDUCATION),
        Column("年龄下限", "age_min", 8, kind="int"),
        Column("年龄上限", "age_max", 8, kind="int"),
        Column("技能要求", "skill_names", 18),
        Column("其他要求", "requirements", 30),
        Column("工作区域", "area__name", 16),
        Column("工作地点", "address", 24),
        Column("联系人", "contact_person", 10),
        Column("联系电话", "contact_phone", 14),
        Column("有效期自", "valid_from", 11, kind="date"),
        Column("有效期至", "valid_to", 11, kind="date"),
        Column("适合困难群体", "for_vulnerable", 9, kind="bool", total=True),
        Column("状态", "r_state", 8, labels=dict(Posting.Status.choices)),
        Column("登记单位", "org_unit__name", 18),
    ],
)

REFERRAL_REGISTER = Register(
    title="推荐就业登记表", filename="推荐就业登记表",
    columns=[
        Column("介绍信编号", "number", 22),
        Column("推荐日期", "referred_on", 11, kind="date"),
        Column("求职者", "seeker__person__name", 10),
        Column("身份证号码", "seeker__person__id_number_masked", 21),
        Column("联系电话", "seeker__person__phone", 14),
        Column("用工单位", "posting__recruiter__employer__name", 26),
        Column("岗位编号", "posting__number", 22),
        Column("岗位", "posting__title", 16),
        Column("结果", "status", 8, labels=dict(Referral.Status.choices)),
        Column("面试日期", "interviewed_on", 11, kind="date"),
        Column("到岗日期", "start_date", 11, kind="date"),
        Column("录用工资", "wage", 10, kind="money"),
        Column("用工形式", "employment_type", 9, labels=dict(EmploymentType.choices)),
        Column("回访期限", "follow_up_due", 11, kind="date"),
        Column("回访日期", "followed_up_on", 11, kind="date"),
        Column("回访时仍在岗", "still_employed", 9, kind="bool"),
        Column("离职日期", "left_on", 11, kind="date"),
        Column("洽谈会", "fair__name", 16),
        Column("推荐单位", "org_unit__name", 18),
        Column("推荐人", "referred_by__full_name", 10),
        Column("录用", "r_hired", 6, kind="int", total=True),
    ],
)

TRAINEE_REGISTER = Register(
    title="培训登记表", filename="培训登记表",
    columns=[
        Column("课程编号", "course__number", 22),
        Column("课程", "course__name", 18),
        Column("培训机构", "course__provider", 18),
        Column("开班日期", "course__starts_on", 11, kind="date"),
        Column("学员", "person__name", 10),
        Column("性别", "person__sex", 6, labels=SEX),
        Column("身份证号码", "person__id_number_masked", 21),
        Column("联系电话", "person__phone", 14),
        Column("报名日期", "enrolled_on", 11, kind="date"),
        Column("优惠依据", "certificate", 10, labels=CERTIFICATE),
        Column("证件号码", "certificate_number", 16),
        Column("学费", "fee", 10, kind="money"),
        Column("优惠", "discount_label", 24),
        Column("优惠金额", "discount", 10, kind="money"),
        Column("实缴学费", "payable", 10, kind="money"),
        Column("已出勤课时", "attended_hours", 9, kind="int"),
        Column("状态", "status", 8, labels=dict(Enrolment.Status.choices)),
        Column("结业日期", "completed_on", 11, kind="date"),
        Column("结业证书编号", "certificate_no", 18),
        Column("报名单位", "org_unit__name", 18),
    ],
)


def posting_state_annotation() -> Case:
    """What a posting is now, in SQL: an open posting past its end date is expired."""
    return Case(When(status=Posting.Status.OPEN, valid_to__lt=timezone.localdate(), then=Value("expired")),
                default=F("status"), output_field=CharField())


class PostingExportSource(ExportSource):
    def build(self, user: Any, params: Any) -> tuple[Register, QuerySet]:
        return self.register, self.queryset(user, params).annotate(r_state=posting_state_annotation())


class ReferralExportSource(ExportSource):
    def build(self, user: Any, params: Any) -> tuple[Register, QuerySet]:
        hired = Case(When(status=Referral.Status.HIRED, then=Value(1)), default=Value(0))
        return self.register, self.queryset(user, params).annotate(r_hired=hired)


SEEKER_EXPORT = ExportSource("jobs.seekers", SEEKER_REGISTER, Seeker.objects.all, SeekerFilter,
                             ordering=("registered_on", "id"), permission=EXPORT)
POSTING_EXPORT = PostingExportSource("jobs.postings", POSTING_REGISTER, Posting.objects.all, PostingFilter,
                                     ordering=("id",), permission=EXPORT)
REFERRAL_EXPORT = ReferralExportSource("jobs.referrals", REFERRAL_REGISTER, Referral.objects.all, ReferralFilter,
                                       ordering=("referred_on", "id"), permission=EXPORT)
TRAINEE_EXPORT = ExportSource("jobs.trainees", TRAINEE_REGISTER, Enrolment.objects.all, EnrolmentFilter,
                              ordering=("course__starts_on", "course_id", "id"), permission=EXPORT)
EXPORTS = (SEEKER_EXPORT, POSTING_EXPORT, REFERRAL_EXPORT, TRAINEE_EXPORT)
