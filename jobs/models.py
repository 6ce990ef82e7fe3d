"""就业援助: recruiting employers and their papers, postings, job seekers, referrals with their
outcome and follow-up, training courses and enrolments, job fairs (DOMAIN.md §6).

States change only through ``jobs/services.py`` (the tables are in ``jobs/workflow.py``). The core
``Person`` and ``Employer`` are referenced directly (they are the core's); nothing here points at
another service app.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from servicecenter.models import Attachment, Employer, OrgUnit, Person
from servicecenter.timeline import CaseEvent


class Education(models.IntegerChoices):
    """Ordered, so that "at least 高中" is a comparison (``education >= posting.education_min``)."""

    NONE = 0, "不限"
    PRIMARY = 1, "小学"
    JUNIOR = 2, "初中"
    SENIOR = 3, "高中/中专/技校"
    COLLEGE = 4, "大专"
    BACHELOR = 5, "本科"
    POSTGRADUATE = 6, "研究生"


class EmploymentType(models.TextChoices):
    """全日制 wages are monthly, 非全日制 (part-time) wages hourly (最低工资规定 第五条)."""

    FULL_TIME = "full", "全日制"
    PART_TIME = "part", "非全日制"


# --- Reference lists (the system administrator edits them) ------------------------------------------


class _Term(models.Model):
    """A name with synonyms, so that a clerk typing 电焊 finds 焊工."""

    name = models.CharField("名称", max_length=30, unique=True)
    synonyms = models.CharField("同义词", max_length=200, blank=True, help_text="用顿号或逗号分隔，如：电焊、焊接")
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def synonym_list(self) -> list[str]:
        from .skills import split_terms

        return split_terms(self.synonyms)


class Skill(_Term):
    class Meta(_Term.Meta):
        verbose_name = verbose_name_plural = "技能"


class Occupation(_Term):
    class Meta(_Term.Meta):
        verbose_name = verbose_name_plural = "工种"


# --- Recruiting employers ----------------------------------------------------------------------------


class Recruiter(models.Model):
    """A core employer that recruits through the center, with its papers on file (用工单位登记表).
    Only a verified one may publish postings."""

    class Status(models.TextChoices):
        PENDING = "pending", "待核验"
        VERIFIED = "verified", "已核验"
        SUSPENDED = "suspended", "已暂停"

    employer = models.OneToOneField(Employer, models.PROTECT, related_name="recruiter", verbose_name="用人单位")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    contact_person = models.CharField("招聘联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    note = models.CharField("备注", max_length=200, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    verified_on = models.DateField("核验日期", null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="核验人")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "用工单位"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.employer.name

    def get_absolute_url(self) -> str:
        return reverse("jobs:recruiter_detail", args=[self.pk])

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class RecruiterEvent(CaseEvent):
    recruiter = models.ForeignKey(Recruiter, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "用工单位记录"


class Paper(models.Model):
    """One of the papers an employer supplies (DOMAIN §6), as an uploaded copy."""

    class Kind(models.TextChoices):
        LICENCE = "licence", "营业执照"
        LEGAL_ID = "legal_id", "法定代表人身份证复印件"
        AUTHORISATION = "authorisation", "授权委托书"

    recruiter = models.ForeignKey(Recruiter, models.CASCADE, related_name="papers")
    kind = models.CharField("证件", max_length=15, choices=Kind.choices)
    attachment = models.OneToOneField(Attachment, models.PROTECT, related_name="+")
    valid_until = models.DateField("有效期至", null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    added_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "用工单位证件"
        ordering = ["kind", "-added_at"]


# --- Postings ----------------------------------------------------------------------------------------


class Posting(models.Model):
    """A job an employer offers through the center (岗位). An open posting whose end date has
    passed is expired without anyone acting: ``lapsed_q`` and ``state`` say so."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "招聘中"
        FILLED = "filled", "已招满"
        EXPIRED = "expired", "已过期"

    number = models.CharField("岗位编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    recruiter = models.ForeignKey(Recruiter, models.PROTECT, related_name="postings", verbose_name="用工单位")
    title = models.CharField("岗位名称", max_length=100)
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name="工种")
    openings = models.PositiveIntegerField("招聘人数")
    education_min = models.PositiveSmallIntegerField("学历要求", choices=Education.choices, default=Education.NONE)
    age_min = models.PositiveSmallIntegerField("年龄下限", null=True, blank=True)
    age_max = models.PositiveSmallIntegerField("年龄上限", null=True, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name="技能要求")
    skill_names = models.CharField("技能要求", max_length=300, blank=True, editable=False)
    requirements = models.TextField("其他要求", blank=True)
    # Set from jobs/wording.py on every save; ``manage.py jobs_check_wording`` re-checks after the
    # checker's tables change. Matching ranks only postings that passed.
    wording_ok = models.BooleanField("措辞合法", default=True, editable=False)
    employment_type = models.CharField("用工形式", max_length=4, choices=EmploymentType.choices,
                                       default=EmploymentType.FULL_TIME)
    wage_min = models.DecimalField("工资下限", max_digits=10, decimal_places=2)
    wage_max = models.DecimalField("工资上限", max_digits=10, decimal_places=2)
    area = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="工作区域")
    address = models.CharField("工作地点", max_length=200)
    contact_person = models.CharField("联系人", max_length=50)
    contact_phone = models.CharField("联系电话", max_length=20)
    valid_from = models.DateField("有效期自")
    valid_to = models.DateField("有效期至")
    for_vulnerable = models.BooleanField("适合困难职工、下岗失业人员、农民工", default=False)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_on = models.DateField("发布日期", null=True, blank=True)
    hired_count = models.PositiveIntegerField("已录用", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "岗位"
        ordering = ["-id"]
        indexes = [
            # Matching reads the open postings in force: status and the end date.
            models.Index(fields=["status", "valid_to"], name="posting_open"),
            models.Index(fields=["org_unit", "-id"], name="posting_unit_recent"),
            models.Index(fields=["recruiter", "status"], name="posting_recruiter"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("jobs:posting_detail", args=[self.pk])

    @property
    def wage_unit(self) -> str:
        return "元/小时" if self.employment_type == EmploymentType.PART_TIME else "元/月"

    @property
    def is_lapsed(self) -> bool:
        return self.status == self.Status.OPEN and self.valid_to < timezone.localdate()

    @property
    def state(self) -> str:
        """What the posting is now: an open posting past its end date is expired."""
        return self.Status.EXPIRED.value if self.is_lapsed else self.status

    def get_state_display(self) -> str:
        return str(dict(self.Status.choices)[self.state])

    @property
    def age_text(self) -> str:
        if self.age_min and self.age_max:
            return f"{self.age_min}–{self.age_max}岁"
        if self.age_min:
            return f"{self.age_min}岁以上"
        if self.age_max:
            return f"{self.age_max}岁以下"
        return "不限"


def open_q(today: datetime.date, prefix: str = "") -> Q:
    """Postings open now: published, in force and not past their end date."""
    return Q(**{f"{prefix}status": Posting.Status.OPEN, f"{prefix}valid_to__gte": today,
                f"{prefix}valid_from__lte": today})


def lapsed_q(today: datetime.date, prefix: str = "") -> Q:
    """Expired: closed by staff, or open with the end date passed (nobody needs to act)."""
    return (Q(**{f"{prefix}status": Posting.Status.EXPIRED})
            | Q(**{f"{prefix}status": Posting.Status.OPEN, f"{prefix}valid_to__lt": today}))


class PostingEvent(CaseEvent):
    posting = models.ForeignKey(Posting, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "岗位记录"


# --- Job seekers -------------------------------------------------------------------------------------


class Seeker(models.Model):
    """A person looking for work through the center (求职登记表): one record per person."""

    class Status(models.TextChoices):
        SEEKING = "seeking", "求职中"
        PLACED = "placed", "已就业"
        WITHDRAWN = "withdrawn", "已撤销"

    class Preference(models.TextChoices):
        ANY = "any", "均可"
        FULL_TIME = "full", "全日制"
        PART_TIME = "part", "非全日制"

    number = models.CharField("求职编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    person = models.OneToOneField(Person, models.PROTECT, related_name="job_seeker", verbose_name="求职者")
    education = models.PositiveSmallIntegerField("文化程度", choices=Education.choices, default=Education.JUNIOR)
    skills = models.ManyToManyField(Skill, blank=True, related_name="+", verbose_name="技能")
    skill_names = models.CharField("技能", max_length=300, blank=True, editable=False)
    diploma = models.CharField("毕业证书", max_length=100, blank=True, help_text="学校、专业、毕业年份")
    titles = models.CharField("职称/职业资格证书", max_length=200, blank=True)
    photo = models.ForeignKey(Attachment, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name="照片")
    desired_occupation = models.ForeignKey(Occupation, models.PROTECT, null=True, blank=True, related_name="+",
                                           verbose_name="期望工种")
    desired_area = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name="期望工作区域")
    employment_type = models.CharField("用工形式", max_length=4, choices=Preference.choices, default=Preference.ANY)
    desired_monthly_wage = models.DecimalField("期望月工资（不低于）", max_digits=10, decimal_places=2,
                                               null=True, blank=True)
    desired_hourly_wage = models.DecimalField("期望小时工资（不低于）", max_digits=8, decimal_places=2,
                                              null=True, blank=True)
    available_from = models.DateField("可到岗日期", null=True, blank=True)
    availability = models.CharField("可工作时间", max_length=100, blank=True, help_text="如：可倒班、仅白班、周末")
    certificate_issuer = models.CharField("下岗证/失业证发证机关", max_length=100, blank=True)
    registered_on = models.DateField("登记日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.SEEKING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "求职登记"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["org_unit", "-id"], name="seeker_unit_recent"),
            models.Index(fields=["status", "-id"], name="seeker_status_recent"),
            models.Index(fields=["registered_on"], name="seeker_registered"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("jobs:seeker_detail", args=[self.pk])


class SeekerEvent(CaseEvent):
    seeker = models.ForeignKey(Seeker, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "求职记录"


# --- Job fairs ---------------------------------------------------------------------------------------


class JobFair(models.Model):
    """招聘洽谈会: employers and their postings take part, seekers attend, referrals are made."""

    class Status(models.TextChoices):
        PLANNED = "planned", "筹备中"
        HELD = "held", "已举办"
        CANCELLED = "cancelled", "已取消"

    number = models.CharField("编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="主办单位")
    name = models.CharField("名称", max_length=100)
    held_on = models.DateField("举办日期")
    place = models.CharField("地点", max_length=200)
    note = models.TextField("说明", blank=True)
    recruiters = models.ManyToManyField(Recruiter, blank=True, related_name="fairs", verbose_name="参会单位")
    postings = models.ManyToManyField(Posting, blank=True, related_name="fairs", verbose_name="参会岗位")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "招聘洽谈会"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.held_on:%Y-%m-%d}）"

    def get_absolute_url(self) -> str:
        return reverse("jobs:fair_detail", args=[self.pk])


class FairEvent(CaseEvent):
    fair = models.ForeignKey(JobFair, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "洽谈会记录"


class FairAttendee(models.Model):
    fair = models.ForeignKey(JobFair, models.CASCADE, related_name="attendees")
    seeker = models.ForeignKey(Seeker, models.PROTECT, related_name="+", verbose_name="求职者")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "洽谈会到场人员"
        constraints = [models.UniqueConstraint(fields=["fair", "seeker"], name="fair_attendee_unique")]


# --- Referrals ---------------------------------------------------------------------------------------


class Referral(models.Model):
    """推荐: a seeker sent to a posting with a referral letter (介绍信); the employer's answer; a
    follow-up visit ``jobs.follow_up_days`` after the hire (a fixed clock on ``follow_up_due``)."""

    class Status(models.TextChoices):
        REFERRED = "referred", "待反馈"
        INTERVIEWED = "interviewed", "已面试"
        HIRED = "hired", "已录用"
        REJECTED = "rejected", "未录用"
        NO_SHOW = "no_show", "未到场"

    AWAITING = (Status.REFERRED, Status.INTERVIEWED)

    number = models.CharField("介绍信编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="推荐单位")
    seeker = models.ForeignKey(Seeker, models.PROTECT, related_name="referrals", verbose_name="求职者")
    posting = models.ForeignKey(Posting, models.PROTECT, related_name="referrals", verbose_name="岗位")
    fair = models.ForeignKey(JobFair, models.SET_NULL, null=True, blank=True, related_name="referrals",
                             verbose_name="洽谈会")
    referred_on = models.DateField("推荐日期")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="推荐人")
    note = models.CharField("推荐说明", max_length=200, blank=True)
    # The employer's flags when the referral was made (欠薪 …), as they were shown to the clerk.
    flags = models.JSONField("推荐时的单位提示", default=list, blank=True)
    status = models.CharField("结果", max_length=12, choices=Status.choices, default=Status.REFERRED)
    interviewed_on = models.DateField("面试日期", null=True, blank=True)
    outcome_on = models.DateField("结果日期", null=True, blank=True)
    outcome_note = models.CharField("结果说明", max_length=200, blank=True)
    employment_type = models.CharField("用工形式", max_length=4, choices=EmploymentType.choices, blank=True)
    start_date = models.DateField("到岗日期", null=True, blank=True)
    wage = models.DecimalField("录用工资", max_digits=10, decimal_places=2, null=True, blank=True)
    # The follow-up 30 days after the start (a fixed clock: ``selectors.FOLLOW_UP_CLOCK``).
    follow_up_due = models.DateField("回访期限", null=True, blank=True)
    follow_up_late_from = models.DateField("回访逾期起始日", null=True, blank=True, db_index=True)
    followed_up_on = models.DateField("回访日期", null=True, blank=True)
    still_employed = models.BooleanField("回访时仍在岗", null=True, blank=True)
    follow_up_note = models.CharField("回访情况", max_length=200, blank=True)
    left_on = models.DateField("离职日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "推荐"
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "referred_on"], name="referral_unit_cohort"),
            models.Index(fields=["-referred_on", "-id"], name="referral_recent"),
            models.Index(fields=["status", "referred_on"], name="referral_status"),
        ]
        constraints = [
            # A person holds at most one full-time placement at a time (seekers are one per person).
            models.UniqueConstraint(fields=["seeker"], condition=Q(status="hired", employment_type="full",
                                                                    left_on__isnull=True),
                                    name="referral_one_fulltime_placement"),
            # One open referral of a seeker to a posting (a double click refers once).
            models.UniqueConstraint(fields=["seeker", "posting"], condition=Q(status__in=["referred", "interviewed"]),
                                    name="referral_one_open_per_posting"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("jobs:referral_detail", args=[self.pk])

    @property
    def is_placement(self) -> bool:
        return self.status == self.Status.HIRED and self.left_on is None

    @property
    def follow_up_overdue(self) -> bool:
        return (self.followed_up_on is None and self.follow_up_late_from is not None
                and self.follow_up_late_from <= timezone.localdate())


class ReferralEvent(CaseEvent):
    referral = models.ForeignKey(Referral, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "推荐记录"


# --- Training ----------------------------------------------------------------------------------------


class Course(models.Model):
    """A training course (培训). Holders of a layoff or unemployment certificate pay
    ``fee × (1 − discount_percent / 100)`` (DOMAIN §6: discounted training)."""

    class Status(models.TextChoices):
        ENROLLING = "enrolling", "招生中"
        FINISHED = "finished", "已结业"
        CANCELLED = "cancelled", "已取消"

    number = models.CharField("课程编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="举办单位")
    name = models.CharField("课程名称", max_length=100)
    provider = models.CharField("培训机构", max_length=100)
    starts_on = models.DateField("开班日期")
    ends_on = models.DateField("结业日期")
    hours = models.PositiveIntegerField("课时")
    capacity = models.PositiveIntegerField("名额")
    fee = models.DecimalField("学费（元）", max_digits=10, decimal_places=2)
    discount_percent = models.DecimalField("下岗证/失业证学员减免比例（%）", max_digits=5, decimal_places=2)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ENROLLING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "培训课程"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("jobs:course_detail", args=[self.pk])


class CourseEvent(CaseEvent):
    course = models.ForeignKey(Course, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "课程记录"


class Enrolment(models.Model):
    """A trainee on a course (培训登记表), with the fee, the discount line and what is payable."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", "在训"
        COMPLETED = "completed", "已结业"
        DROPPED = "dropped", "已退训"

    course = models.ForeignKey(Course, models.PROTECT, related_name="enrolments", verbose_name="课程")
    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name="学员")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="报名单位")
    enrolled_on = models.DateField("报名日期")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    fee = models.DecimalField("学费", max_digits=10, decimal_places=2)
    certificate = models.CharField("优惠依据", max_length=12, blank=True,
                                   choices=Person.JoblessCertificate.choices)
    certificate_number = models.CharField("证件号码", max_length=30, blank=True)
    discount_label = models.CharField("优惠", max_length=100, blank=True)
    discount = models.DecimalField("优惠金额", max_digits=10, decimal_places=2, default=0)
    payable = models.DecimalField("实缴学费", max_digits=10, decimal_places=2)
    attended_hours = models.PositiveIntegerField("已出勤课时", default=0)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ENROLLED)
    completed_on = models.DateField("结业日期", null=True, blank=True)
    certificate_no = models.CharField("结业证书编号", max_length=40, blank=True)
    dropped_reason = models.CharField("退训原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "培训报名"
        ordering = ["course", "id"]
        indexes = [models.Index(fields=["org_unit", "enrolled_on"], name="enrolment_unit_day")]
        constraints = [
            models.UniqueConstraint(fields=["course", "person"], condition=~Q(status="dropped"),
                                    name="enrolment_one_per_course"),
        ]

    def __str__(self) -> str:
        # Never the trainee's name: this string goes into the audit log.
        return f"培训报名#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("jobs:enrolment_detail", args=[self.pk])


class EnrolmentEvent(CaseEvent):
    enrolment = models.ForeignKey(Enrolment, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "培训记录"
