"""法律援助 and 劳动争议调解: consultations, lawyers and volunteers, legal-aid applications with their
review and assignment clocks, progress and outcome in three amounts, and mediation cases.

States change only through ``legalaid/services.py`` (the tables are in ``workflow.py``). Money is
``Decimal`` yuan with two places. "Money recovered" in every figure is ``amount_received`` (legal
aid) and ``amount_paid`` (mediation): what the worker actually received.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from servicecenter.clocks import Clock, clock_fields
from servicecenter.models import Employer, OrgUnit, Person
from servicecenter.timeline import CaseEvent

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Matter(models.TextChoices):
    """案由: what the dispute is about."""

    WAGES = "wages", "拖欠工资/劳动报酬"
    CONTRACT = "contract", "劳动合同"
    SOCIAL_INSURANCE = "social_insurance", "社会保险"
    WORK_INJURY = "work_injury", "工伤/职业病"
    DISMISSAL = "dismissal", "违法解除/辞退"
    OVERTIME = "overtime", "加班与休息休假"
    UNION_WORK = "union_work", "因履行工会职责受侵害"
    OTHER = "other", "其他"


class Forum(models.TextChoices):
    """援助形式 (DOMAIN §5): what the union does for the worker."""

    CONSULTATION = "consultation", "法律咨询"
    DRAFTING = "drafting", "代写法律文书"
    NON_LITIGATION = "non_litigation", "非诉讼代理（协商、调解）"
    ARBITRATION = "arbitration", "劳动仲裁代理"
    FIRST_INSTANCE = "first_instance", "一审诉讼代理"
    SECOND_INSTANCE = "second_instance", "二审诉讼代理"


# --- Lawyers, volunteers, mediators ---------------------------------------------------------------


class Advisor(models.Model):
    """A lawyer, legal volunteer, psychologist or mediator the center works with. Registered by a
    unit; seen by that unit, everything below it and everything above it (a city center's lawyers
    serve its stations)."""

    class Kind(models.TextChoices):
        LAWYER = "lawyer", "律师"
        VOLUNTEER = "volunteer", "法律志愿者"
        MEDIATOR = "mediator", "调解员"
        PSYCHOLOGIST = "psychologist", "心理咨询师"

    ASSIGNABLE = (Kind.LAWYER, Kind.VOLUNTEER)  # who takes a legal-aid case
    MEDIATES = (Kind.MEDIATOR, Kind.LAWYER, Kind.VOLUNTEER)  # who may mediate

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    kind = models.CharField("类别", max_length=12, choices=Kind.choices)
    name = models.CharField("姓名", max_length=50)
    firm = models.CharField("执业机构/工作单位", max_length=100, blank=True)
    licence_number = models.CharField("执业证号", max_length=30, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    specialities = models.CharField("专长", max_length=200, blank=True, help_text="如：劳动争议、工伤赔偿")
    pledge_signed_on = models.DateField("志愿者承诺书签订日期", null=True, blank=True)
    is_active = models.BooleanField("在册", default=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "律师与志愿者"
        ordering = ["-is_active", "kind", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["licence_number"], condition=~models.Q(licence_number=""),
                                               name="advisor_licence_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("legalaid:advisor_detail", args=[self.pk])


class AdvisorTie(models.Model):
    """A standing tie between an advisor and an employer (常年法律顾问, 任职, 亲属 …): the conflict
    check refuses the advisor on a case against that employer."""

    class Relation(models.TextChoices):
        COUNSEL = "counsel", "担任该单位法律顾问"
        AGENT = "agent", "曾代理该单位"
        EMPLOYED = "employed", "在该单位任职"
        RELATIVE = "relative", "近亲属在该单位任职"
        OTHER = "other", "其他利害关系"

    advisor = models.ForeignKey(Advisor, models.CASCADE, related_name="ties")
    employer = models.ForeignKey(Employer, models.PROTECT, related_name="+", verbose_name="单位")
    relation = models.CharField("关系", max_length=10, choices=Relation.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "利害关系"
        constraints = [models.UniqueConstraint(fields=["advisor", "employer", "relation"], name="advisortie_unique")]


class ReceptionDay(models.Model):
    """A scheduled reception day of a lawyer or psychologist (律师和心理咨询师接待日)."""

    class Session(models.TextChoices):
        MORNING = "am", "上午"
        AFTERNOON = "pm", "下午"
        DAY = "day", "全天"

    advisor = models.ForeignKey(Advisor, models.CASCADE, related_name="reception_days", verbose_name="律师/咨询师")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="接待地点")
    on = models.DateField("日期")
    session = models.CharField("时段", max_length=3, choices=Session.choices, default=Session.MORNING)
    note = models.CharField("说明", max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "接待日"
        ordering = ["on", "session", "id"]
        constraints = [models.UniqueConstraint(fields=["advisor", "on", "session"], name="receptionday_unique")]
        indexes = [models.Index(fields=["org_unit", "on"], name="reception_unit_day")]


# --- Consultations ------------------------------------------------------------------------------------


class Consultation(models.Model):
    """A legal or policy consultation, answered on the spot (walk-in, hotline, reception day)."""

    class Channel(models.TextChoices):
        VISIT = "visit", "来访"
        HOTLINE = "hotline", "来电/12351"
        RECEPTION = "reception", "律师接待日"
        ONLINE = "online", "网络"

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="受理单位")
    at = models.DateTimeField("咨询时间")
    channel = models.CharField("形式", max_length=10, choices=Channel.choices)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="legal_consultations",
                               verbose_name="咨询人")
    caller = models.CharField("咨询人称呼", max_length=50, blank=True, help_text="未登记或匿名时填写，可留空")
    matter = models.CharField("类别", max_length=20, choices=Matter.choices)
    question = models.TextField("咨询问题")
    answer = models.TextField("解答意见")
    advisor = models.ForeignKey(Advisor, models.PROTECT, null=True, blank=True, related_name="consultations",
                                verbose_name="值班律师/志愿者")
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人")
    token = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "法律咨询"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["-at", "-id"], name="consultation_recent"),
                   models.Index(fields=["org_unit", "-at"], name="consultation_unit_recent")]

    def __str__(self) -> str:
        return f"法律咨询 {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    @property
    def who(self) -> str:
        return self.person.name if self.person is not None else (self.caller or "匿名")


# --- Legal-aid applications ---------------------------------------------------------------------------


class Application(clock_fields("review_", label="审查期限"), clock_fields("assign_", label="指派期限"),  # type: ignore[misc]
                  models.Model):
    """法律援助申请 and, once granted, the case it becomes."""

    class Status(models.TextChoices):
        DRAFT = "draft", "待补全"
        REVIEW = "review", "审查中"
        SUPPLEMENT = "supplement", "待补充材料"
        GRANTED = "granted", "已批准待指派"
        ASSIGNED = "assigned", "承办中"
        CLOSED = "closed", "已结案"
        REFUSED = "refused", "不予援助"
        WITHDRAWN = "withdrawn", "已撤回"

    class Qualifies(models.TextChoices):
        """援助对象 (DOMAIN §5)."""

        HARDSHIP = "hardship", "困难职工"
        MODEL_WORKER = "model_worker", "劳动模范"
        UNION_CADRE = "union_cadre", "因履行职责权益受侵害的工会干部"
        OTHER = "other", "其他合法权益受侵害的职工"

    class Outcome(models.TextChoices):
        WON = "won", "胜诉/支持"
        PARTLY = "partly", "部分支持"
        SETTLED = "settled", "和解"
        MEDIATED = "mediated", "调解结案"
        LOST = "lost", "败诉/驳回"
        WITHDRAWN = "withdrawn", "撤诉/撤回"

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        FAIRLY = "fairly", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    OPEN_STATES = (Status.DRAFT, Status.REVIEW, Status.SUPPLEMENT, Status.GRANTED, Status.ASSIGNED)
    UNDECIDED = (Status.DRAFT, Status.REVIEW, Status.SUPPLEMENT)
    NO_AWARD = (Outcome.LOST, Outcome.WITHDRAWN)

    number = models.CharField("编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="受理单位")
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.DRAFT)
    received_on = models.DateField("受理日期")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="受理人")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="承办人")
    token = models.UUIDField(unique=True, editable=False)

    applicant = models.ForeignKey(Person, models.PROTECT, related_name="legalaid_applications", verbose_name="申请人")
    qualifies = models.CharField("援助对象类别", max_length=14, choices=Qualifies.choices, blank=True)
    qualifies_basis = models.CharField("类别依据", max_length=200, blank=True)
    matter = models.CharField("案由", max_length=20, choices=Matter.choices, blank=True)
    forum = models.CharField("申请援助形式", max_length=16, choices=Forum.choices, blank=True)
    employer = models.ForeignKey(Employer, models.PROTECT, null=True, blank=True, related_name="legalaid_disputes",
                                 verbose_name="对方当事人（用人单位）")
    opposing_agent = models.ForeignKey(Advisor, models.PROTECT, null=True, blank=True, related_name="+",
                                       verbose_name="对方代理人", help_text="对方委托的律师在本系统名册中时选择")
    amount_claimed = models.DecimalField("请求金额（元）", null=True, blank=True, **MONEY)
    facts = models.TextField("案情及理由", blank=True)
    request = models.TextField("请求事项", blank=True)
    evidence = models.TextField("证据材料", blank=True)

    # The limitation guard (劳动争议调解仲裁法 §27, §48): the dates given and what follows from them.
    dispute_arose_on = models.DateField("争议发生日", null=True, blank=True,
                                        help_text="知道或应当知道权利被侵害之日")
    employment_ended_on = models.DateField("劳动关系终止日", null=True, blank=True, help_text="仍在职的留空")
    award_served_on = models.DateField("仲裁裁决书送达日", null=True, blank=True)
    arbitration_limit_on = models.DateField("仲裁时效届满日", null=True, blank=True)
    suit_limit_on = models.DateField("起诉期限届满日", null=True, blank=True)
    limitation_ends_on = models.DateField("时效/期限届满日", null=True, blank=True)

    origin_type = models.ForeignKey(ContentType, models.PROTECT, null=True, blank=True, related_name="+")
    origin_id = models.PositiveBigIntegerField(null=True, blank=True)
    origin_label = models.CharField("来源", max_length=100, blank=True)

    completed_on = models.DateField("材料齐全日期", null=True, blank=True)
    material_requested = models.TextField("需补充的材料", blank=True)
    material_requested_on = models.DateField("通知补充日期", null=True, blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name="审查人")
    review_opinion = models.TextField("审查意见", blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name="审批人")
    decided_on = models.DateField("审批日期", null=True, blank=True)
    granted_forum = models.CharField("批准的援助形式", max_length=16, choices=Forum.choices, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    refusal_reason = models.TextField("不予援助理由", blank=True)

    advisor = models.ForeignKey(Advisor, models.PROTECT, null=True, blank=True, related_name="cases",
                                verbose_name="承办律师/志愿者")
    assigned_on = models.DateField("指派日期", null=True, blank=True)

    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, blank=True)
    amount_awarded = models.DecimalField("裁判/协议金额（元）", null=True, blank=True, **MONEY)
    amount_received = models.DecimalField("实际到手金额（元）", null=True, blank=True, **MONEY)
    received_note = models.CharField("到手金额说明", max_length=200, blank=True)
    closed_on = models.DateField("结案日期", null=True, blank=True)
    closing_summary = models.TextField("结案情况", blank=True)
    feedback = models.CharField("职工评价", max_length=12, choices=Satisfaction.choices, blank=True)
    feedback_comment = models.TextField("职工意见", blank=True)

    withdrawn_on = models.DateField("撤回日期", null=True, blank=True)
    withdrawal_reason = models.TextField("撤回原因", blank=True)
    withdrawn_as_stale = models.BooleanField("逾期未补正视为撤回", default=False)

    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "法律援助申请"
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["-received_on", "-id"], name="application_recent"),
            models.Index(fields=["org_unit", "-received_on", "-id"], name="application_unit_recent"),
            models.Index(fields=["status", "-received_on", "-id"], name="application_status_recent"),
            models.Index(fields=["status", "limitation_ends_on"], name="application_limitation"),
            models.Index(fields=["employer", "status"], name="application_employer"),
            models.Index(fields=["advisor", "status"], name="application_advisor"),
            models.Index(fields=["origin_type", "origin_id"], name="application_origin"),
            models.Index(fields=["closed_on"], name="application_closed"),
            models.Index(fields=["decided_on"], name="application_decided"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("legalaid:application_detail", args=[self.pk])

    @property
    def review_clock(self) -> Clock:
        from .selectors import REVIEW_CLOCK

        return REVIEW_CLOCK.read(self)

    @property
    def assign_clock(self) -> Clock:
        from .selectors import ASSIGN_CLOCK

        return ASSIGN_CLOCK.read(self)

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def limitation_days_left(self) -> int | None:
        if self.limitation_ends_on is None:
            return None
        return (self.limitation_ends_on - timezone.localdate()).days


class ApplicationEvent(CaseEvent):
    """One entry on an application's timeline: a workflow step, or one of the kinds below."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "受理登记"
        REFERRED = "referred", "转入"
        ATTACH = "attach", "上传附件"

    application = models.ForeignKey(Application, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "办理记录"


class Progress(models.Model):
    """What happened in the case after assignment: filed, hearing, award, judgment, appeal,
    execution, with its date and the document."""

    class Kind(models.TextChoices):
        FILED = "filed", "立案/申请仲裁"
        HEARING = "hearing", "开庭/仲裁庭审"
        AWARD = "award", "仲裁裁决"
        JUDGMENT = "judgment", "判决/裁定"
        APPEAL = "appeal", "上诉"
        EXECUTION = "execution", "申请执行"
        OTHER = "other", "其他"

    SCHEDULED = (Kind.HEARING,)  # may lie in the future

    application = models.ForeignKey(Application, models.CASCADE, related_name="progress")
    kind = models.CharField("事项", max_length=10, choices=Kind.choices)
    on = models.DateField("日期")
    document = models.CharField("文书", max_length=100, blank=True, help_text="文书名称及文号，扫描件在附件中上传")
    note = models.CharField("说明", max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "案件进展"
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["kind", "on"], name="progress_kind_day")]


# --- Mediation ------------------------------------------------------------------------------------------


class Mediation(clock_fields("limit_", label="调解期限"), models.Model):  # type: ignore[misc]
    """A labour-dispute mediation case (劳动争议调解): workers against an employer, a mediator,
    sessions, and either an agreement (whose execution is followed) or a failure."""

    class Status(models.TextChoices):
        OPEN = "open", "调解中"
        AGREED = "agreed", "达成协议"
        FAILED = "failed", "调解不成"

    class Execution(models.TextChoices):
        PENDING = "", "待履行"
        EXECUTED = "executed", "已全部履行"
        PARTLY = "partly", "部分履行"
        NOT = "not", "未履行"

    class Referral(models.TextChoices):
        ARBITRATION = "arbitration", "告知申请劳动仲裁"
        LEGAL_AID = "legal_aid", "转法律援助"
        COURT = "court", "告知向人民法院起诉"
        OTHER = "other", "其他"

    number = models.CharField("编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="受理单位")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.OPEN)
    applied_on = models.DateField("申请日期")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="受理人")
    token = models.UUIDField(unique=True, editable=False)
    workers = models.ManyToManyField(Person, through="MediationParty", related_name="mediations",
                                     verbose_name="申请人（职工）")
    employer = models.ForeignKey(Employer, models.PROTECT, related_name="mediations", verbose_name="被申请人（用人单位）")
    employer_agent = models.ForeignKey(Advisor, models.PROTECT, null=True, blank=True, related_name="+",
                                       verbose_name="单位委托代理人", help_text="在本系统名册中时选择")
    mediator = models.ForeignKey(Advisor, models.PROTECT, related_name="mediations", verbose_name="调解员")
    matter = models.CharField("争议事项", max_length=20, choices=Matter.choices)
    request = models.TextField("请求事项")
    facts = models.TextField("事实与理由", blank=True)
    amount_claimed = models.DecimalField("请求金额（元）", null=True, blank=True, **MONEY)

    parties_notified_on = models.DateField("告知可申请仲裁日期", null=True, blank=True)
    agreed_on = models.DateField("协议日期", null=True, blank=True)
    terms = models.TextField("协议内容", blank=True)
    amount_agreed = models.DecimalField("协议金额（元）", null=True, blank=True, **MONEY)
    pay_by = models.DateField("履行期限", null=True, blank=True)
    failed_on = models.DateField("终止调解日期", null=True, blank=True)
    failure_reason = models.TextField("调解不成原因", blank=True)
    referred_to = models.CharField("去向", max_length=12, choices=Referral.choices, blank=True)
    execution = models.CharField("履行情况", max_length=10, choices=Execution.choices, blank=True, default="")
    amount_paid = models.DecimalField("实际到手金额（元）", null=True, blank=True, **MONEY)
    paid_note = models.CharField("到手金额说明", max_length=200, blank=True)
    execution_recorded_on = models.DateField("履行登记日期", null=True, blank=True)
    executed_on = models.DateField("全部履行日期", null=True, blank=True)

    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "劳动争议调解"
        ordering = ["-applied_on", "-id"]
        indexes = [
            models.Index(fields=["-applied_on", "-id"], name="mediation_recent"),
            models.Index(fields=["org_unit", "-applied_on", "-id"], name="mediation_unit_recent"),
            models.Index(fields=["status", "-applied_on", "-id"], name="mediation_status_recent"),
            models.Index(fields=["employer", "status"], name="mediation_employer"),
            models.Index(fields=["mediator", "status"], name="mediation_mediator"),
            models.Index(fields=["pay_by"], name="mediation_pay_by"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("legalaid:mediation_detail", args=[self.pk])

    @property
    def clock(self) -> Clock:
        from .selectors import LIMIT_CLOCK

        return LIMIT_CLOCK.read(self)


class MediationParty(models.Model):
    mediation = models.ForeignKey(Mediation, models.CASCADE, related_name="parties")
    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name="职工")

    class Meta:
        verbose_name = verbose_name_plural = "调解申请人"
        constraints = [models.UniqueConstraint(fields=["mediation", "person"], name="mediationparty_unique")]


class MediationEvent(CaseEvent):
    class Kind(models.TextChoices):
        INTAKE = "intake", "受理调解"
        ATTACH = "attach", "上传附件"

    mediation = models.ForeignKey(Mediation, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "调解记录"


class ExecutionRecord(models.Model):
    """One recording of how an agreement was carried out. ``received`` is what the workers got
    since the previous recording, so a month's money recovered adds up without counting twice."""

    mediation = models.ForeignKey(Mediation, models.CASCADE, related_name="execution_records")
    recorded_on = models.DateField("登记日期")
    execution = models.CharField("履行情况", max_length=10, choices=Mediation.Execution.choices)
    amount_paid = models.DecimalField("累计到手金额（元）", **MONEY)
    received = models.DecimalField("本次到手金额（元）", **MONEY)
    note = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "协议履行记录"
        ordering = ["recorded_on", "id"]
        indexes = [models.Index(fields=["recorded_on"], name="execution_recorded")]


class MediationSession(models.Model):
    mediation = models.ForeignKey(Mediation, models.CASCADE, related_name="sessions")
    held_on = models.DateField("调解日期")
    place = models.CharField("地点", max_length=100, blank=True)
    note = models.TextField("调解情况")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "调解记录"
        ordering = ["held_on", "id"]
