"""困难职工档案: the household file (五清), its members and incomes, the eligibility traces, home
visits, the public notice and its objections, the district's spot checks and the reports to the
city. States change only through ``hardship/services.py`` (the table is ``workflow.py``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from servicecenter.clocks import clock_fields
from servicecenter.models import OrgUnit, Person
from servicecenter.timeline import CaseEvent

from . import codes

ZERO = Decimal("0.00")


def _money(label: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=12, decimal_places=2, default=ZERO, **kwargs)  # type: ignore[arg-type]


class HardshipFile(clock_fields("notice_", label="公示期"), models.Model):  # type: ignore[misc]
    """One household's file (one archive per household, DOMAIN §4 and FORMS §1e): the applicant, the
    figures the rules need, and where it stands in the five steps 申请 → 审核 → 公示 → 审批 → 建档."""

    class Status(models.TextChoices):
        APPLIED = "applied", "待审核"
        REVIEWED = "reviewed", "审核通过待公示"
        NOTICE = "notice", "公示中"
        SUBMITTED = "submitted", "待审批"
        ARCHIVED = "archived", "在档"
        DECLINED = "declined", "审核未通过"
        REJECTED = "rejected", "不予批准"
        EXITED = "exited", "已解困脱困"
        CLOSED = "closed", "已注销"

    # One active file per applicant: these states hold the applicant (the partial unique index).
    ACTIVE = (Status.APPLIED, Status.REVIEWED, Status.NOTICE, Status.SUBMITTED, Status.ARCHIVED)
    # Files that the district has approved at some time (the city sees these).
    APPROVED = (Status.ARCHIVED, Status.EXITED, Status.CLOSED)

    number = models.CharField("档案编号", max_length=40, unique=True, null=True, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="申报单位")
    applicant = models.ForeignKey(Person, models.PROTECT, related_name="hardship_files", verbose_name="申请人")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.APPLIED)
    grade = models.CharField("困难类别", max_length=10, choices=codes.Grade.choices, blank=True, default="")
    token = models.UUIDField(unique=True, editable=False)

    # The applicant, as the national form asks (the person record holds name, ID, sex, employer).
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    political = models.CharField("政治面貌", max_length=12, choices=codes.Political.choices,
                                 default=codes.Political.MASSES)
    marital = models.CharField("婚姻状况", max_length=10, choices=codes.Marital.choices, default=codes.Marital.MARRIED)
    hukou = models.CharField("户口类型", max_length=10, choices=codes.Hukou.choices,
                             default=codes.Hukou.NON_AGRICULTURAL)
    disability = models.CharField("残疾类别", max_length=12, choices=codes.Disability.choices, blank=True, default="")
    disability_grade = models.CharField("残疾等级", max_length=2, choices=codes.DisabilityGrade.choices, blank=True,
                                        default="")
    single_parent = models.BooleanField("单亲家庭", default=False)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("家庭住址", max_length=200)

    # Housing and assets.
    housing_type = models.CharField("住房类型", max_length=16, choices=codes.HousingType.choices)
    housing_area = models.DecimalField("住房建筑面积（㎡）", max_digits=8, decimal_places=2)
    home_acquired_on = models.DateField("购房或建房日期", null=True, blank=True)
    luxury_residence = models.BooleanField("居住高档住宅", default=False)
    has_car = models.BooleanField("家庭成员拥有或使用汽车", default=False)
    luxury_goods = models.BooleanField("配戴金银首饰或使用高档消费品", default=False)
    other_assets = models.CharField("其他资产", max_length=200, blank=True)

    # Spending of the year (刚性支出), yuan.
    medical_cost = _money("当年自付医疗费（含工伤）")
    education_cost = _money("子女非义务教育支出")
    rent_cost = _money("房租支出")

    # Support already received and grounds declared by the staff after the home visit.
    receives_dibao = models.BooleanField("享受低保", default=False)
    receives_dibao_edge = models.BooleanField("享受低保边缘救助", default=False)
    basic_support = models.JSONField("已享受的基本保障", default=list, blank=True)
    dibao_topup = _money("家庭人均月低保补差")
    disaster = models.BooleanField("遭受灾害或重大意外事故", default=False)
    disaster_note = models.CharField("灾害或事故情况", max_length=200, blank=True)
    tuition_hardship = models.BooleanField("子女非义务教育学费特别困难、面临辍学", default=False)
    other_special = models.BooleanField("其他原因造成生活特别困难", default=False)
    other_special_note = models.CharField("其他特别困难情况", max_length=200, blank=True)

    # What excludes a household (不予认定), as found on the home visit.
    child_private_school = models.BooleanField("子女择校或义务教育阶段就读高收费私立学校", default=False)
    vice = models.BooleanField("赌博、吸毒、嫖娼、豢养宠物", default=False)
    family_planning_breach = models.BooleanField("违反计划生育政策", default=False)

    main_cause = models.CharField("主要致困原因", max_length=2, choices=codes.Cause.choices)
    secondary_causes = models.JSONField("次要致困原因", default=list, blank=True)
    cause_note = models.CharField("致困原因说明", max_length=200, blank=True)
    needs = models.TextField("困难诉求", blank=True)
    help_received = models.TextField("已获帮扶情况", blank=True)

    # Computed from the members and incomes whenever they are saved (lists and the roster read these);
    # the applicant's health and work status are those of the member row 本人.
    health = models.CharField("健康状况", max_length=2, choices=codes.Health.choices, default=codes.Health.GOOD)
    work_status = models.CharField("工作状态", max_length=16, choices=codes.WorkStatus.choices,
                                   default=codes.WorkStatus.EMPLOYED)
    household_size = models.PositiveSmallIntegerField("家庭人口", default=0)
    own_monthly_income = _money("本人月平均收入")
    other_annual_income = _money("家庭其他非薪资年收入")
    annual_income = _money("家庭年度总收入")
    income_per_head = _money("家庭月人均收入")
    latest_evaluation = models.ForeignKey("Evaluation", models.SET_NULL, null=True, blank=True, related_name="+",
                                          verbose_name="最近认定")

    # The procedure.
    applied_on = models.DateField("申请日期")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name="审核人")
    reviewed_on = models.DateField("审核日期", null=True, blank=True)
    notice_place = models.CharField("公示地点", max_length=100, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name="报送人")
    submitted_on = models.DateField("报送日期", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name="审批人")
    approved_on = models.DateField("审批日期", null=True, blank=True)
    decision = models.ForeignKey("Evaluation", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="审批时的认定")
    city_report = models.ForeignKey("CityReport", models.PROTECT, null=True, blank=True, related_name="files",
                                    verbose_name="报市备案")

    # Yearly review (每年调查摸底) and exit.
    rechecked_on = models.DateField("最近复核日期", null=True, blank=True)
    recheck_due = models.DateField("复核到期日", null=True, blank=True)
    change_reported_on = models.DateField("情况变化登记日期", null=True, blank=True)
    change_note = models.CharField("情况变化", max_length=200, blank=True)
    ended_on = models.DateField("脱困/注销日期", null=True, blank=True)
    end_reason = models.CharField("脱困/注销原因", max_length=16, blank=True)
    end_note = models.CharField("脱困/注销说明", max_length=200, blank=True)

    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "困难职工档案"
        ordering = ["-id"]
        constraints = [
            # One active file per applicant (DOMAIN §4, one archive per household): concurrent
            # submissions for the same person leave exactly one file.
            models.UniqueConstraint(fields=["applicant"], condition=Q(status__in=["applied", "reviewed", "notice",
                                                                                 "submitted", "archived"]),
                                    name="hardship_one_active_file"),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="hardship_status_recent"),
            models.Index(fields=["org_unit", "-id"], name="hardship_unit_recent"),
            models.Index(fields=["status", "recheck_due"], name="hardship_recheck_due"),
            models.Index(fields=["approved_on"], name="hardship_approved_on"),
        ]

    def __str__(self) -> str:
        # Never the applicant's name: this string goes into the audit log.
        return self.number or f"困难职工档案申请 #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("hardship:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def notice_ended(self) -> bool:
        """The notice ran through its last day (the day after it, approval may go ahead)."""
        return self.notice_due_date is not None and self.notice_due_date < timezone.localdate()

    @property
    def basic_support_labels(self) -> str:
        labels = dict(codes.BasicSupport.choices)
        return "、".join(labels.get(s, s) for s in self.basic_support or ())

    @property
    def secondary_cause_labels(self) -> str:
        labels = dict(codes.Cause.choices)
        return "、".join(labels.get(c, c) for c in self.secondary_causes or ())

    @property
    def owned_home(self) -> bool:
        return self.housing_type in codes.OWNED_HOUSING


class Member(models.Model):
    """家庭主要成员, the applicant first (relation 本人). With an ID number the member is a person
    record (``person``); without one, name and age only."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="members")
    order = models.PositiveSmallIntegerField(default=0)
    relation = models.CharField("与申请人关系", max_length=12, choices=codes.Relation.choices)
    name = models.CharField("姓名", max_length=50)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="hardship_memberships",
                               verbose_name="人员")
    id_number_masked = models.CharField("身份证号码", max_length=18, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    age = models.PositiveSmallIntegerField("年龄")
    work_status = models.CharField("身份/职业", max_length=16, choices=codes.WorkStatus.choices)
    health = models.CharField("健康状况", max_length=2, choices=codes.Health.choices, default=codes.Health.GOOD)
    monthly_income = _money("月收入")
    schooling = models.CharField("在读学段", max_length=12, choices=codes.Schooling.choices, blank=True, default="")
    workplace = models.CharField("单位或学校", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员"
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["person"], name="hardship_member_person")]

    def __str__(self) -> str:
        return self.name


class Income(models.Model):
    """家庭其他非薪资年收入, one row per source (wages are the members' monthly incomes)."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="incomes")
    kind = models.CharField("收入来源", max_length=16, choices=codes.IncomeKind.choices)
    annual_amount = models.DecimalField("年收入（元）", max_digits=12, decimal_places=2)
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "家庭其他收入"
        ordering = ["id"]


class Evaluation(models.Model):
    """One eligibility evaluation, stored whole so that it can be shown and replayed later: the
    facts it read, the parameter values in force that day (with their unit and year), every rule's
    comparisons and the verdict (``eligibility.py``)."""

    class Verdict(models.TextChoices):
        EXTREME = "extreme", "符合特困职工条件"
        HARDSHIP = "hardship", "符合困难职工条件"
        NONE = "none", "不符合认定条件"
        EXCLUDED = "excluded", "不予认定（排除情形）"

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="evaluations")
    at = models.DateTimeField("核算时间", default=timezone.now)
    as_of = models.DateField("认定日期")
    purpose = models.CharField("环节", max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    engine = models.CharField("规则版本", max_length=20)
    facts = models.JSONField("认定依据")
    params = models.JSONField("参数")
    outcome = models.JSONField("核算过程")
    verdict = models.CharField("结论", max_length=10, choices=Verdict.choices)

    class Meta:
        verbose_name = verbose_name_plural = "认定核算"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}（{self.as_of:%Y-%m-%d}）"

    @property
    def grade(self) -> str:
        """The grade the rules give ("" when none)."""
        return self.verdict if self.verdict in (codes.Grade.HARDSHIP, codes.Grade.EXTREME) else ""


class Override(models.Model):
    """Staff proceeding against the computed result, with their written reason (shown on the file)."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="overrides")
    evaluation = models.ForeignKey(Evaluation, models.PROTECT, related_name="+")
    step = models.CharField("环节", max_length=30)
    decided = models.CharField("办理结果", max_length=50)
    reason = models.TextField("理由")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "不按核算结论办理"
        ordering = ["at", "id"]


class HomeVisit(models.Model):
    """入户调查: the base union's review visit, the district's spot check, a yearly review visit.
    Photos are its attachments (``org_unit`` is the file's, so the attachment is filed there)."""

    class Kind(models.TextChoices):
        REVIEW = "review", "审核入户调查"
        SPOT_CHECK = "spot_check", "审批抽查入户"
        RECHECK = "recheck", "复核走访"

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="visits")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    visited_on = models.DateField("走访日期")
    visitors = models.CharField("走访人员", max_length=200)
    findings = models.TextField("走访情况")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "入户调查"
        ordering = ["visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("hardship:visit_detail", args=[self.file_id, self.pk])


class Objection(models.Model):
    """An objection received during the public notice, and how it was resolved."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="objections")
    received_on = models.DateField("收到日期")
    raised_by = models.CharField("异议人", max_length=50, blank=True, help_text="可匿名")
    content = models.TextField("异议内容")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    resolved_on = models.DateField("处理日期", null=True, blank=True)
    upheld = models.BooleanField("异议成立", null=True, blank=True)
    resolution = models.TextField("核实处理情况", blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"
        ordering = ["received_on", "id"]

    @property
    def is_open(self) -> bool:
        return self.resolved_on is None


class SpotCheck(models.Model):
    """The district's draw, at submission, of whether this file gets a spot-check home visit:
    ``draw`` = ``random.Random(seed).random()``, selected when below ``ratio`` (the parameter in
    force). Seed, ratio and draw are kept so that anyone can repeat the draw."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="spot_checks")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="抽查单位")
    drawn_at = models.DateTimeField(default=timezone.now)
    ratio = models.DecimalField("抽查比例", max_digits=5, decimal_places=4)
    seed = models.BigIntegerField("随机种子")
    draw = models.CharField("随机数", max_length=30)
    selected = models.BooleanField("抽中")
    visit = models.ForeignKey(HomeVisit, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "审批抽查"
        ordering = ["drawn_at", "id"]


class CityReport(models.Model):
    """报市备案: the files a district approved, reported to the city center as one list that the
    city acknowledges. Each approval joins its district's open list; acknowledging closes it."""

    class Status(models.TextChoices):
        OPEN = "open", "待市中心确认"
        ACKNOWLEDGED = "acknowledged", "已确认备案"

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="报送单位")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField("报送时间", default=timezone.now)
    acknowledged_at = models.DateTimeField("确认时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name="确认人")

    class Meta:
        verbose_name = verbose_name_plural = "报市备案"
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org_unit"], condition=Q(status="open"),
                                               name="hardship_one_open_report")]

    def __str__(self) -> str:
        return f"{self.org_unit}报市备案 #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("hardship:report", args=[self.pk])


class GradeSpan(models.Model):
    """The grade a file had from one day (included) to another (excluded; open while it holds):
    opened at approval, closed and reopened when a yearly review changes the grade, closed at exit
    or closing. What the month-end figures count (在档困难/特困职工 on the last day)."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="grade_spans")
    grade = models.CharField("困难类别", max_length=10, choices=codes.Grade.choices)
    start = models.DateField("起")
    end = models.DateField("止", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "困难类别区间"
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["start", "end"], name="hardship_gradespan_dates")]


class HardshipEvent(CaseEvent):
    """One step on a file's timeline (``timeline.CaseEvent``); ``kind`` is the workflow step's name
    or ``apply`` / ``attach``."""

    file = models.ForeignKey(HardshipFile, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "档案办理记录"
