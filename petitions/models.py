"""信访接待: petitions and visitors, their timeline, escalations, follow-up visits, notices to
employers and tasks assigned from above. States change only through ``petitions/services.py``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone

from servicecenter.clocks import Clock
from servicecenter.models import Employer, OrgUnit, Person
from servicecenter.timeline import CaseEvent

if TYPE_CHECKING:
    from servicecenter.steps import Panel

    from .confidentiality import Complainant


class Category(models.Model):
    """Problem category (问题类别); the list is reference data the system administrator edits."""

    name = models.CharField("名称", max_length=50, unique=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "信访问题类别"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Petition(models.Model):
    class Channel(models.TextChoices):
        VISIT = "visit", "来访"
        LETTER = "letter", "来信"
        HOTLINE = "hotline", "来电"
        HOTLINE_12351 = "12351", "12351热线"
        ONLINE = "online", "网络"
        ASSIGNED = "assigned", "上级交办"

    class Identity(models.TextChoices):
        """How far the complainant is known: a registered person (with the ID number), a name and
        phone only (an ID is asked for later, where it matters), or nobody (匿名来信/来电)."""

        PERSON = "person", "已登记职工"
        PARTIAL = "partial", "仅留姓名电话"
        ANONYMOUS = "anonymous", "匿名"

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        ASSIGNED = "assigned", "已交办"
        FORWARDED = "forwarded", "已转办待答复"
        REPLIED = "replied", "已答复待办结"
        CLOSED = "closed", "已办结"

    class Handling(models.TextChoices):
        """How the matter was handled (办理方式), the register's column."""

        NONE = "", "—"
        ON_THE_SPOT = "spot", "当场答复"
        SELF = "self", "自行办理"
        ASSIGNED = "assigned", "交办"
        SENT_UP = "sent_up", "上报"
        FORWARDED = "forwarded", "转办"

    OPEN_STATES = (Status.OPEN, Status.ASSIGNED, Status.FORWARDED, Status.REPLIED)

    number = models.CharField("编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="承办单位")
    received_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="受理单位")
    received_at = models.DateTimeField("受理时间")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="接待人")
    channel = models.CharField("来访形式", max_length=10, choices=Channel.choices)
    identity = models.CharField("来访人身份", max_length=10, choices=Identity.choices, default=Identity.PERSON)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="petitions",
                               verbose_name="来访人")
    # A complainant known by name and phone only (identity = partial): what they gave.
    caller_name = models.CharField("来访人姓名", max_length=50, blank=True)
    caller_phone = models.CharField("联系电话", max_length=20, blank=True)
    caller_employer = models.CharField("工作单位", max_length=200, blank=True)
    visitor_post = models.CharField("工作岗位", max_length=50, blank=True)
    headcount = models.PositiveIntegerField("人数", default=1)
    is_group = models.BooleanField("群体性信访", default=False)
    employer = models.ForeignKey(Employer, models.PROTECT, null=True, blank=True, related_name="petitions",
                                 verbose_name="涉及单位")
    category = models.ForeignKey(Category, models.PROTECT, related_name="petitions", verbose_name="问题类别")
    facts = models.TextField("反映内容")
    request = models.TextField("诉求")
    is_confidential = models.BooleanField("保密（投诉、控告、举报）", default=False)
    is_urgent = models.BooleanField("重大/紧急", default=False)
    reception_opinion = models.TextField("接待处理意见", blank=True)
    # A receipt time older than ``petition.receipt_max_days_back`` days: entered by a supervisor, why.
    backdate_reason = models.CharField("补登理由", max_length=200, blank=True)

    # 上级交办: who assigned it, under which reference, when, and by when (the clock follows it).
    referred_by = models.CharField("交办单位", max_length=100, blank=True)
    referral_ref = models.CharField("交办文号", max_length=60, blank=True)
    referred_on = models.DateField("上级交办日期", null=True, blank=True)
    referral_due = models.DateField("上级交办期限", null=True, blank=True)
    task_target = models.ForeignKey("TaskTarget", models.SET_NULL, null=True, blank=True, related_name="petitions",
                                    verbose_name="交办事项")
    referral_report = models.TextField("办理报告", blank=True)
    referral_reported_at = models.DateTimeField("报告交办单位时间", null=True, blank=True)
    referral_reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                             related_name="+", verbose_name="报告人")

    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    handling = models.CharField("办理方式", max_length=10, choices=Handling.choices, blank=True, default="")
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="承办人")
    handler_due = models.DateField("交办期限", null=True, blank=True)
    handed_on = models.DateField("交办日期", null=True, blank=True)
    sent_up_from = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name="上报单位")
    forwarded_to = models.CharField("转办部门", max_length=100, blank=True)
    forwarded_on = models.DateField("转办日期", null=True, blank=True)
    forwarded_contact = models.CharField("转办联系人及电话", max_length=100, blank=True)
    reply = models.TextField("转办答复", blank=True)
    replied_on = models.DateField("答复日期", null=True, blank=True)

    # The deadline clock (servicecenter/clocks.py; ``selectors.CLOCK`` maps its fields): counted from
    # acceptance, in calendar or working days (the mode and length are fixed at intake).
    accepted_on = models.DateField("受理日期")
    deadline_days = models.PositiveIntegerField("办结时限", null=True, blank=True)
    in_working_days = models.BooleanField("按工作日计时", default=False)
    rolls_over = models.BooleanField("期满日遇节假日顺延", default=True)
    due_date = models.DateField("办结期限", db_index=True)
    pauses = models.JSONField("暂停记录", default=list, blank=True)
    paused_since = models.DateField("暂停计时自", null=True, blank=True)
    paused_days = models.PositiveIntegerField("累计暂停天数", default=0)
    extension_days = models.PositiveIntegerField("延期天数", default=0)
    extension_reason = models.CharField("延期理由", max_length=200, blank=True)
    late_from = models.DateField("逾期起始日", null=True, blank=True)
    stopped_on = models.DateField("计时结束日", null=True, blank=True)

    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    report_facts = models.TextField("基本事实", blank=True)
    report_basis = models.TextField("处理依据", blank=True)
    report_result = models.TextField("处理结果", blank=True)
    report_response = models.TextField("职工意见", blank=True)
    recovered_amount = models.DecimalField("挽回经济损失（元）", max_digits=14, decimal_places=2, default=Decimal("0"))
    # What the worker sees online (a case that came through the public self-service), never a note.
    public_answer = models.TextField("网上答复", blank=True)
    public_answered_at = models.DateTimeField("网上答复时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重新办理次数", default=0)

    intake_token = models.UUIDField(unique=True, editable=False)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Not a field: the list pages set it (masked where it must be) on the rows they render.
    complainant: Complainant

    class Meta:
        verbose_name = verbose_name_plural = "信访事项"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["org_unit", "-received_at"], name="petition_unit_recent"),
            models.Index(fields=["-received_at", "-id"], name="petition_recent"),  # the list's default order
            models.Index(fields=["status", "-received_at", "-id"], name="petition_status_recent"),  # … by 状态
            models.Index(fields=["status", "due_date"], name="petition_status_due"),
            models.Index(fields=["handler", "status"], name="petition_handler_status"),
            # The deadline lists (clocks.py): open cases by due date (已逾期, 即将到期: a range on
            # the due date, most urgent first), and the cases closed late, newest first.
            models.Index(fields=["due_date", "id"], name="petition_open_due", condition=models.Q(stopped_on__isnull=True)),
            models.Index(fields=["org_unit", "due_date", "id"], name="petition_unit_open_due",
                         condition=models.Q(stopped_on__isnull=True)),  # a station's deadline lists and counts
            models.Index(fields=["-received_at", "-id"], name="petition_closed_late",
                         condition=models.Q(stopped_on__isnull=False, late_from__isnull=False)),
            # The cases a station sent up (it keeps reading them: selectors.petition_scope).
            models.Index(fields=["received_unit", "-received_at"], name="petition_sent_up",
                         condition=models.Q(sent_up_from__isnull=False)),
        ]

    def __str__(self) -> str:
        # Never the complainant's name: this string goes into the audit log and page titles.
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("petitions:detail", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None and not self.is_closed

    @property
    def is_anonymous(self) -> bool:
        return self.identity == self.Identity.ANONYMOUS

    @property
    def is_referral(self) -> bool:
        return self.channel == self.Channel.ASSIGNED

    @property
    def is_12351(self) -> bool:
        return self.channel == self.Channel.HOTLINE_12351

    @property
    def came_online(self) -> bool:
        """Submitted through the public self-service (its worker reads the published answer)."""
        try:
            self.submission  # noqa: B018 — the reverse one-to-one: raises when there is none
        except ObjectDoesNotExist:
            return False
        return True

    @property
    def referral_reported(self) -> bool:
        """Reported to the assigning body since the last closing (a reopened case reports again)."""
        at = self.referral_reported_at
        return at is not None and (self.closed_at is None or at >= self.closed_at)

    @property
    def is_escalated(self) -> bool:
        return self.is_group or self.is_urgent

    @property
    def clock(self) -> Clock:
        from .selectors import CLOCK

        return CLOCK.read(self)

    @property
    def was_overdue(self) -> bool:
        """Late now, or closed late: a late case stays marked overdue after closing."""
        return self.clock.was_overdue(timezone.localdate())

    @property
    def is_overdue(self) -> bool:
        """Overdue now, or closed late (a late case stays marked overdue after closing)."""
        return self.was_overdue

    @property
    def days_overdue(self) -> int:
        today = timezone.localdate()
        if not self.clock.is_overdue(today):
            return 0
        return (today - self.due_date).days

    @property
    def days_left(self) -> int | None:
        if self.is_closed or self.is_paused:
            return None
        return (self.due_date - timezone.localdate()).days


class PetitionEvent(CaseEvent):
    """One step on a case's timeline (``timeline.CaseEvent``). ``kind`` is the workflow step's
    name, or one of the kinds below for what is not a step."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "受理登记"
        ATTACH = "attach", "上传附件"
        EXTENSION_REQUEST = "extension_request", "申请延期"
        REOPEN_REQUEST = "reopen_request", "申请重新办理"

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "办理记录"


class Recusal(models.Model):
    """A staff member with a stake in the case (利害关系回避). The access policy hides the case from them."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="recusals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    reason = models.CharField("回避理由", max_length=200)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "回避"
        constraints = [models.UniqueConstraint(fields=["petition", "user"], name="recusal_unique")]


class Escalation(models.Model):
    """A group or serious/urgent petition waiting in one unit's supervisors' inbox until a
    supervisor of that unit acknowledges it (签收)."""

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="escalations")
    org_unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="+", verbose_name="报告单位")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField("签收时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name="签收人")

    class Meta:
        verbose_name = verbose_name_plural = "群体性/紧急信访报告"
        constraints = [models.UniqueConstraint(fields=["petition", "org_unit"], name="escalation_unique")]
        indexes = [models.Index(fields=["org_unit", "acknowledged_at"], name="escalation_inbox")]


class FollowUp(models.Model):
    """回访 after closing: method, satisfaction and comment; 不满意 goes to the supervisor."""

    class Status(models.TextChoices):
        PENDING = "pending", "待回访"
        DONE = "done", "已回访"
        CANCELLED = "cancelled", "已取消"

    class Method(models.TextChoices):
        PHONE = "phone", "电话"
        ON_SITE = "on_site", "实地"

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        FAIRLY = "fairly", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    class Review(models.TextChoices):
        NONE = "", "—"
        KEPT = "kept", "维持办结"
        REOPENED = "reopened", "重新办理"

    petition = models.ForeignKey(Petition, models.CASCADE, related_name="follow_ups")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    method = models.CharField("回访方式", max_length=10, choices=Method.choices, blank=True)
    satisfaction = models.CharField("满意度", max_length=12, choices=Satisfaction.choices, blank=True)
    comment = models.TextField("回访意见", blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="回访人")
    done_at = models.DateTimeField("回访时间", null=True, blank=True)
    review = models.CharField("复核结果", max_length=10, choices=Review.choices, blank=True, default="")
    review_note = models.CharField("复核意见", max_length=200, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="复核人")
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回访"
        ordering = ["-created_at", "-id"]

    @property
    def awaits_review(self) -> bool:
        return self.satisfaction == self.Satisfaction.UNSATISFIED and not self.review


class Notice(models.Model):
    """职工维权建议书 / 职工维权整改书 issued to the employer concerned, and its response."""

    class Kind(models.TextChoices):
        SUGGESTION = "suggestion", "职工维权建议书"
        RECTIFICATION = "rectification", "职工维权整改书"

    class Status(models.TextChoices):
        ISSUED = "issued", "待回复"
        RESPONDED = "responded", "已回复"

    NUMBER_PREFIX = {Kind.SUGGESTION: "JY", Kind.RECTIFICATION: "ZG"}

    petition = models.ForeignKey(Petition, models.PROTECT, related_name="notices")
    employer = models.ForeignKey(Employer, models.PROTECT, related_name="+", verbose_name="单位")
    kind = models.CharField("文书", max_length=15, choices=Kind.choices)
    number = models.CharField("文号", max_length=40, unique=True)
    content = models.TextField("问题与建议/整改要求")
    basis = models.TextField("依据", blank=True)
    deadline = models.DateField("回复/整改期限", null=True, blank=True)
    issued_on = models.DateField("发出日期")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ISSUED)
    response = models.TextField("单位回复", blank=True)
    responded_on = models.DateField("回复日期", null=True, blank=True)
    # The deadline's clock (a fixed date; ``selectors.NOTICE_CLOCK``): late from the day after it.
    late_from = models.DateField("逾期起始日", null=True, blank=True, db_index=True)

    panel: Panel | None  # not a field: the case page's response form for this notice, if offered

    class Meta:
        verbose_name = verbose_name_plural = "维权建议书/整改书"
        ordering = ["-issued_on", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_overdue(self) -> bool:
        from .selectors import NOTICE_CLOCK

        return NOTICE_CLOCK.read(self).is_overdue(timezone.localdate())


class Task(models.Model):
    """交办事项: a city or district center assigns a matter to the units below it."""

    title = models.CharField("事项", max_length=100)
    content = models.TextField("要求")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="交办单位")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="交办人")
    created_at = models.DateTimeField("交办时间", default=timezone.now)
    due_date = models.DateField("报告期限")

    class Meta:
        verbose_name = verbose_name_plural = "交办事项"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class TaskTarget(models.Model):
    """One receiving unit's part of a task: it reports the result back."""

    class Status(models.TextChoices):
        PENDING = "pending", "待办理"
        REPORTED = "reported", "已报告"

    task = models.ForeignKey(Task, models.CASCADE, related_name="targets")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="承办单位")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    result = models.TextField("办理结果", blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="报告人")
    reported_at = models.DateTimeField("报告时间", null=True, blank=True)
    # The report's clock (the task's date, fixed; ``selectors.TASK_CLOCK``).
    due_date = models.DateField("报告期限", null=True, blank=True)
    late_from = models.DateField("逾期起始日", null=True, blank=True, db_index=True)
    reported_on = models.DateField("报告日期", null=True, blank=True)

    # Not fields: the task page's step forms for this unit (report, link) and its linked cases.
    panels: dict[str, Panel]
    cases: list[Petition]

    class Meta:
        verbose_name = verbose_name_plural = "交办事项承办"
        constraints = [models.UniqueConstraint(fields=["task", "org_unit"], name="tasktarget_unique")]

    def __str__(self) -> str:
        return f"{self.task} · {self.org_unit}"

    @property
    def is_overdue(self) -> bool:
        """Late now, or reported late."""
        from .selectors import TASK_CLOCK

        return TASK_CLOCK.read(self).was_overdue(timezone.localdate())


class HotlineOrder(models.Model):
    """A 12351 职工服务热线 work order: the platform's number, who called and when, who took the
    call, the platform's category and time limit, and the cycle the platform expects back —
    转派 (down the levels) → 反馈 (what was done, when, by whom; printed as the 工单反馈单) →
    回访 by the platform (or 退回重办). The case itself is the petition it belongs to."""

    class Category(models.TextChoices):
        CONSULT = "consult", "问题咨询"
        HELP = "help", "服务帮扶"
        COMPLAINT = "complaint", "信访投诉"
        LEGAL = "legal", "法律援助"
        SUGGESTION = "suggestion", "意见建议"

    class Status(models.TextChoices):
        RECEIVED = "received", "待反馈"
        DISPATCHED = "dispatched", "已转派待反馈"
        ANSWERED = "answered", "已反馈待回访"
        CLOSED = "closed", "平台已回访结案"

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        FAIRLY = "fairly", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    petition = models.OneToOneField(Petition, models.CASCADE, related_name="hotline_order", verbose_name="信访事项")
    order_number = models.CharField("工单编号", max_length=40, unique=True)
    caller_number = models.CharField("来电号码", max_length=20)
    operator = models.CharField("接线员", max_length=50)
    called_at = models.DateTimeField("来电时间")
    category = models.CharField("12351类别", max_length=12, choices=Category.choices)
    status = models.CharField("工单状态", max_length=12, choices=Status.choices, default=Status.RECEIVED)
    # The platform's time limit (a fixed date; ``selectors.HOTLINE_CLOCK``): late from the day after.
    called_on = models.DateField("来电日期")
    due_date = models.DateField("平台办理时限")
    late_from = models.DateField("逾期起始日", null=True, blank=True, db_index=True)
    answered_on = models.DateField("反馈日期", null=True, blank=True)
    dispatched_to = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name="转派单位")
    dispatched_at = models.DateTimeField("转派时间", null=True, blank=True)
    feedback = models.TextField("反馈内容", blank=True)
    feedback_at = models.DateTimeField("反馈时间", null=True, blank=True)
    feedback_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="反馈人")
    revisit_satisfaction = models.CharField("平台回访满意度", max_length=12, choices=Satisfaction.choices, blank=True)
    revisit_note = models.CharField("平台回访意见", max_length=500, blank=True)
    revisit_at = models.DateTimeField("平台回访时间", null=True, blank=True)
    returned_count = models.PositiveSmallIntegerField("退回重办次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "12351热线工单"

    def __str__(self) -> str:
        return self.order_number

    @property
    def is_overdue(self) -> bool:
        from .selectors import HOTLINE_CLOCK

        return HOTLINE_CLOCK.read(self).was_overdue(timezone.localdate())


class Submission(models.Model):
    """A matter a worker submitted online (网上自助提交), waiting in the chosen unit's queue until a
    clerk accepts it into a petition (channel 网络) or declines it with a reason the worker sees.

    The worker gets ``number`` and a lookup code (only its hash is kept); a lookup with a wrong
    code counts in ``failed_lookups`` and enough of them lock the number for a while."""

    class Status(models.TextChoices):
        RECEIVED = "received", "待受理"
        ACCEPTED = "accepted", "已受理"
        DECLINED = "declined", "不予受理"

    number = models.CharField("查询编号", max_length=30, unique=True)
    code_hash = models.CharField(max_length=200, editable=False)
    token = models.UUIDField(unique=True, editable=False)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="受理单位")
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("联系电话", max_length=20, db_index=True)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_masked = models.CharField("身份证号码", max_length=18, blank=True)
    employer_name = models.CharField("工作单位", max_length=200, blank=True)
    category = models.ForeignKey(Category, models.PROTECT, related_name="+", verbose_name="问题类别")
    facts = models.TextField("反映内容")
    request = models.TextField("诉求")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    created_at = models.DateTimeField("提交时间", default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="处理人")
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decline_reason = models.CharField("不予受理理由", max_length=500, blank=True)
    petition = models.OneToOneField(Petition, models.PROTECT, null=True, blank=True, related_name="submission",
                                    verbose_name="信访事项")
    failed_lookups = models.PositiveSmallIntegerField("查询码错误次数", default=0)
    locked_until = models.DateTimeField("查询锁定至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "网上提交"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org_unit", "status", "-created_at"], name="submission_queue")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("petitions:submission_detail", args=[self.pk])


class SubmissionFile(models.Model):
    """A file sent with an online submission, checked like every attachment (content, size). It is
    stored like one, and becomes an attachment of the case when the submission is accepted."""

    submission = models.ForeignKey(Submission, models.CASCADE, related_name="files")
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    mime_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "网上提交附件"

    def __str__(self) -> str:
        return self.original_name


class PublicAttempt(models.Model):
    """One use of the public pages, counted for the rate limits (per address, per phone number)
    and the lookup lockout. ``key`` is a keyed hash: no address or phone number is kept here."""

    class Kind(models.TextChoices):
        SUBMIT = "submit", "提交"
        LOOKUP = "lookup", "查询"
        LOOKUP_FAILED = "lookup_failed", "查询码错误"
        CAPTCHA = "captcha", "验证码已使用"

    kind = models.CharField(max_length=15, choices=Kind.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"], name="publicattempt_window")]
