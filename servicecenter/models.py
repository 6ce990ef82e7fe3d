"""The shared core: organisation tree, staff, people, employers and the records every app uses."""

from __future__ import annotations

import copy
import uuid
from functools import cached_property
from typing import Any, Self

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import encryption
from .roles import Role

# --- Organisation ---------------------------------------------------------------------------------


class OrgUnit(models.Model):
    """A node of the service hierarchy. ``path`` is the chain of codes from the root, so "this unit
    and everything below it" is one indexed prefix query."""

    class Kind(models.TextChoices):
        CITY = "city", "市职工服务中心"
        DISTRICT = "district", "区县职工服务中心"
        STATION = "station", "街道乡镇服务站"
        POST = "post", "社区/村/楼宇服务点"
        INDUSTRY = "industry", "产业工会"
        COMPANY = "company", "局/总公司工会"
        BASE = "base", "基层工会"

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name="上级单位")
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织单位"
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="orgunit_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def compute_path(self) -> str:
        return f"{self.parent.path if self.parent else '/'}{self.code}/"

    def subtree(self) -> models.QuerySet[OrgUnit]:
        return OrgUnit.objects.filter(path__startswith=self.path)

    def ancestor_paths(self) -> list[str]:
        """Paths of this unit and every unit above it, nearest last."""
        codes = [c for c in self.path.split("/") if c]
        return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)


# --- Staff --------------------------------------------------------------------------------------------


class User(AbstractUser):
    """A staff account. It belongs to one unit; its roles apply to that unit and all below it."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, null=True, blank=True, related_name="staff",
                                 verbose_name="所属单位")
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Not a field: access.scope_unit_ids() keeps (unit id, scope ids) here for the life of the object,
    # that is one request. Absent until then, so read it with getattr(…, None).
    _scope_unit_ids: tuple[int, list[int]]

    class Meta:
        verbose_name = verbose_name_plural = "工作人员"

    def __str__(self) -> str:
        return self.full_name or self.username

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    @cached_property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class StaffRole(models.Model):
    user = models.ForeignKey(User, models.CASCADE, related_name="role_grants", verbose_name="工作人员")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField("授予时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "角色授予"
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="staffrole_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


# --- People and employers ---------------------------------------------------------------------------


class Industry(models.TextChoices):
    """GB/T 4754-2017 sections (门类), as the current national software lists them."""

    A = "A", "农、林、牧、渔业"
    B = "B", "采矿业"
    C = "C", "制造业"
    D = "D", "电力、热力、燃气及水生产和供应业"
    E = "E", "建筑业"
    F = "F", "批发和零售业"
    G = "G", "交通运输、仓储和邮政业"
    H = "H", "住宿和餐饮业"
    I = "I", "信息传输、软件和信息技术服务业"  # noqa: E741
    J = "J", "金融业"
    K = "K", "房地产业"
    L = "L", "租赁和商务服务业"
    M = "M", "科学研究和技术服务业"
    N = "N", "水利、环境和公共设施管理业"
    O = "O", "居民服务、修理和其他服务业"  # noqa: E741
    P = "P", "教育"
    Q = "Q", "卫生和社会工作"
    R = "R", "文化、体育和娱乐业"
    S = "S", "公共管理、社会保障和社会组织"
    T = "T", "国际组织"


class Employer(models.Model):
    class UnionStatus(models.TextChoices):
        ESTABLISHED = "established", "已建会"
        NONE = "none", "未建会"
        PREPARING = "preparing", "筹建中"

    name = models.CharField("单位名称", max_length=200, db_index=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    legal_representative = models.CharField("法定代表人", max_length=50, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    contact_person = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    industry = models.CharField("所属行业", max_length=1, choices=Industry.choices, blank=True)
    union_status = models.CharField("工会组建情况", max_length=12, choices=UnionStatus.choices,
                                    default=UnionStatus.ESTABLISHED)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "用人单位"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """One row per real person (职工/来访人), deduplicated by resident ID number.

    The ID number is stored only encrypted; ``id_number_hash`` finds it by exact match and
    ``id_number_masked`` is what pages show without a reveal.
    """

    class Sex(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class ModelWorker(models.TextChoices):
        NONE = "", "非劳模"
        NATIONAL = "national", "全国劳模"
        PROVINCIAL = "provincial", "省部级劳模"
        CITY = "city", "地市级劳模"
        OTHER = "other", "其他"

    class JoblessCertificate(models.TextChoices):
        NONE = "", "无"
        LAYOFF = "layoff", "下岗证"
        UNEMPLOYED = "unemployed", "失业证"

    name = models.CharField("姓名", max_length=50)
    name_initials = models.CharField("拼音首字母", max_length=50, db_index=True, editable=False)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField("出生日期", editable=False)
    id_number_encrypted = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField("身份证号码", max_length=18, editable=False)
    phone = models.CharField("联系电话", max_length=20, blank=True, db_index=True)
    address = models.CharField("住址", max_length=200, blank=True)
    employer = models.ForeignKey(Employer, models.SET_NULL, null=True, blank=True, related_name="people",
                                 verbose_name="工作单位")
    is_union_member = models.BooleanField("工会会员", default=False)
    union_card_number = models.CharField("会员证号", max_length=30, blank=True)
    is_migrant_worker = models.BooleanField("农民工", default=False)
    model_worker = models.CharField("劳模类型", max_length=12, choices=ModelWorker.choices, blank=True, default="")
    jobless_certificate = models.CharField("下岗证/失业证", max_length=12, choices=JoblessCertificate.choices,
                                           blank=True, default="")
    jobless_certificate_number = models.CharField("证件号码", max_length=30, blank=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="登记单位")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords(excluded_fields=["id_number_encrypted", "id_number_hash"])

    class Meta:
        verbose_name = verbose_name_plural = "职工"
        ordering = ["-id"]
        indexes = [models.Index(fields=["org_unit", "-id"], name="person_unit_recent"),
                   models.Index(fields=["created_at"], name="person_created")]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number(self) -> str:
        """The plaintext ID number. Callers that show it go through ``people.person_reveal_id``,
        which checks the role and writes the audit event."""
        return encryption.decrypt(self.id_number_encrypted)

    @property
    def age(self) -> int:
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @property
    def tags(self) -> list[str]:
        out = []
        if self.is_migrant_worker:
            out.append("农民工")
        if self.model_worker:
            out.append(self.get_model_worker_display())
        if self.jobless_certificate:
            out.append(self.get_jobless_certificate_display())
        if self.is_union_member:
            out.append("工会会员")
        return out


class PersonLink(models.Model):
    """A person registered elsewhere who has a record (or was attached) in this unit, so the unit's
    staff may see them. Apps add one whenever they file a record about a person."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="links")
    org_unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "org_unit"], name="personlink_unique")]


class EmployerLink(models.Model):
    employer = models.ForeignKey(Employer, models.CASCADE, related_name="links")
    org_unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["employer", "org_unit"], name="employerlink_unique")]


# --- Attachments ------------------------------------------------------------------------------------


class Attachment(models.Model):
    """An uploaded file belonging to some record. Stored under a random name outside ``static/``;
    only ``attachment_download`` serves it, after checking access to the owning record."""

    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    owner = GenericForeignKey("content_type", "object_id")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    original_name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    mime_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    description = models.CharField("说明", max_length=100, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "附件"
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_owner")]

    def __str__(self) -> str:
        return self.original_name


# --- Numbering, calendar, parameters ----------------------------------------------------------------


class Sequence(models.Model):
    """The last number issued per (kind, unit, year). Incremented inside the transaction that
    creates the record, so a rolled-back record gives its number back: no gaps."""

    kind = models.CharField(max_length=10)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "org_unit", "year"], name="sequence_unique")]


class CalendarDay(models.Model):
    """A day that breaks the Monday–Friday rule: a public holiday on a weekday, or a weekend day
    that is worked (调休). Days not listed follow the weekday rule."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "节假日（休息）"
        WORKDAY = "workday", "调休上班"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Parameter(models.Model):
    """A value set for a unit (and, where it matters, a year), overriding the value inherited from
    above. Keys and defaults are declared in ``servicecenter/parameters.py``."""

    key = models.CharField("参数", max_length=60)
    org_unit = models.ForeignKey(OrgUnit, models.CASCADE, related_name="parameters", verbose_name="适用单位")
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    value = models.CharField("值", max_length=100)
    note = models.CharField("备注", max_length=200, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", null=True, blank=True)
    changed_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "业务参数"
        constraints = [
            models.UniqueConstraint(fields=["key", "org_unit", "year"], name="parameter_unique"),
            models.UniqueConstraint(fields=["key", "org_unit"], condition=models.Q(year__isnull=True),
                                    name="parameter_unique_any_year"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


# --- Audit ----------------------------------------------------------------------------------------------


class AuditEvent(models.Model):
    """Append-only: a database trigger refuses UPDATE and DELETE (migration 0002)."""

    class Event(models.TextChoices):
        LOGIN = "login", "登录成功"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出登录"
        REVEAL = "reveal", "查看敏感信息"
        EXPORT = "export", "导出"
        PRINT = "print", "打印"
        STATE = "state", "状态变更"
        CREATE = "create", "新建"
        ATTACH = "attach", "关联他处人员"
        DOWNLOAD = "download", "下载附件"
        ROLE = "role", "角色变更"
        PARAMETER = "parameter", "参数变更"
        PASSWORD = "password", "修改密码"
        UPLOAD = "upload", "上传附件"
        CALENDAR = "calendar", "节假日调整"
        APPROVAL = "approval", "审批"

    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    # No foreign key: deleting a user must not need to touch (UPDATE) the append-only rows.
    user_id = models.BigIntegerField("用户ID", null=True, blank=True)
    username = models.CharField("用户名", max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField("IP地址", null=True, blank=True)
    event = models.CharField("事件", max_length=20, choices=Event.choices, db_index=True)
    target_type = models.CharField("对象类型", max_length=50, blank=True)
    target_id = models.CharField("对象ID", max_length=40, blank=True)
    target_repr = models.CharField("对象", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.CharField("详情", max_length=500, blank=True)
    # Structured (zulip's RealmAuditLog): the precise event type and the changed values as data.
    # Nullable so that adding them is a plain ALTER TABLE (SQLite would otherwise rebuild the
    # append-only table, and its triggers with it).
    action = models.CharField("事件类型", max_length=60, null=True, blank=True, db_index=True)
    target_label = models.CharField("对象名称", max_length=200, null=True, blank=True)
    old_values = models.JSONField("原值", null=True, blank=True)
    new_values = models.JSONField("新值", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.get_event_display()}"


# --- Approvals ------------------------------------------------------------------------------------------


class Approval(models.Model):
    """A request that waits for a decision by the unit that leads the record (or the level above,
    when a rule says so): who asked, when and why; who decided, when, how and why.

    One row per level: a decision at level 1 that needs a higher level opens the next row. The
    kinds (``petitions.extension`` …) are declared by the apps (``approvals.ApprovalKind``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已批准"
        RETURNED = "returned", "退回修改"
        REJECTED = "rejected", "不予批准"
        WITHDRAWN = "withdrawn", "已撤回"

    content_type = models.ForeignKey(ContentType, models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    kind = models.CharField("审批事项", max_length=60)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="审批单位")
    level = models.PositiveSmallIntegerField("审批层级", default=1)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申请人")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    request_note = models.TextField("申请理由", blank=True)
    data = models.JSONField("申请内容", default=dict, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name="审批人")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审批"
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["org_unit", "status"], name="approval_inbox"),
                   models.Index(fields=["content_type", "object_id"], name="approval_target")]
        constraints = [
            # One open request of a kind per record and level: a double click asks once.
            models.UniqueConstraint(fields=["content_type", "object_id", "kind", "level"],
                                    condition=models.Q(status="pending"), name="approval_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} #{self.object_id}（第{self.level}级）"

    @property
    def kind_label(self) -> str:
        from django.core.exceptions import ImproperlyConfigured

        from .approvals import kind_of

        try:
            return kind_of(self.kind).label
        except ImproperlyConfigured:
            return self.kind


# --- Background exports ---------------------------------------------------------------------------------


class ExportJob(models.Model):
    """A register export too large to build inside a request (``exports.background_rows``).

    The job keeps what is needed to rebuild *the same* scoped, filtered queryset in a worker: the
    requesting user (scope comes from ``access.visible`` for that user), the unit they worked in
    when they asked, the register's key and the list's filter query string. The finished file lives
    under ``MEDIA_ROOT/exports/`` with a random name and is served only to the same user.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "正在生成"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name="申请人")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="申请时所在单位")
    register = models.CharField("名册", max_length=60)
    title = models.CharField("名册名称", max_length=100)
    query = models.TextField("筛选条件", blank=True)
    period = models.CharField("统计期间", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField("总行数", null=True, blank=True)
    rows_done = models.PositiveIntegerField("已写行数", default=0)
    stored_name = models.CharField(max_length=80, blank=True, editable=False)
    filename = models.CharField("文件名", max_length=200, blank=True)
    size = models.PositiveBigIntegerField("文件大小", null=True, blank=True)
    error = models.CharField("错误", max_length=500, blank=True)
    task_id = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("申请时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    filters: str  # not a field: the job list sets describe_filters(job) on the rows it shows

    class Meta:
        verbose_name = verbose_name_plural = "后台导出任务"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_recent")]

    def __str__(self) -> str:
        return f"{self.title} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.row_count:
            return 0
        return min(99, self.rows_done * 100 // self.row_count)


# --- Monthly summaries ----------------------------------------------------------------------------------
# Imported here, after AuditEvent: timeline.py imports audit.py, which imports this module.
from .timeline import CaseEvent  # noqa: E402


class MonthlySummary(models.Model):
    """A unit's monthly summary (月度工作汇总): the figures of its subtree for the month and a
    written part, filed with the unit above it (``servicecenter/summaries.py`` holds the rules).

    ``figures`` is the snapshot taken when the summary was submitted: ``{"values": {app: {code:
    value}}, "breakdowns": {app: {code: {label: value}}}}`` (decimals as strings); ``adjustments``
    the changes found then in earlier accepted months. On acceptance ``sha256`` is the hash of
    their canonical form, and the row refuses any later change to them (``save``).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "已报送待审核"
        RETURNED = "returned", "退回修改"
        ACCEPTED = "accepted", "已审核"
        WAIVED = "waived", "免报"

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="填报单位")
    year = models.PositiveSmallIntegerField("年度")
    month = models.PositiveSmallIntegerField("月份")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    work_done = models.TextField("本月工作开展情况", blank=True)
    problems = models.TextField("存在的问题", blank=True)
    next_plan = models.TextField("下月工作计划", blank=True)
    figures = models.JSONField("报送数据", default=dict, blank=True)
    adjustments = models.JSONField("以往月份调整", default=list, blank=True)
    computed_at = models.DateTimeField("数据计算时间", null=True, blank=True)
    sha256 = models.CharField("数据校验码（SHA-256）", max_length=64, blank=True)
    first_submitted_at = models.DateTimeField("首次报送时间", null=True, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name="报送人")
    accepted_at = models.DateTimeField("审核时间", null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="审核人")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="创建人")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    FROZEN_FIELDS = ("figures", "adjustments", "sha256", "org_unit_id", "year", "month")

    class Meta:
        verbose_name = verbose_name_plural = "月度汇总"
        ordering = ["-year", "-month", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year", "month"], name="summary_unit_month"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="summary_month_valid"),
        ]
        indexes = [models.Index(fields=["year", "month", "status"], name="summary_period_status")]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year}年{self.month}月月度汇总"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Accepted figures are frozen: no code path, role or admin may rewrite them. Re-opening
        # (summaries.summary_reopen) changes the state and keeps them as they were.
        loaded = getattr(self, "_loaded", {})
        if loaded.get("status") == self.Status.ACCEPTED:
            changed = [name for name in self.FROZEN_FIELDS if name in loaded and loaded[name] != getattr(self, name)]
            if changed:
                raise ValueError(f"{self} 已审核，数据已冻结，不能修改（{', '.join(changed)}）。")
        super().save(*args, **kwargs)
        self._remember()

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:summary", args=[self.pk])

    def _remember(self) -> None:
        # Copies: the JSON fields are dicts, and a change made in place must still show.
        self._loaded = {name: copy.deepcopy(getattr(self, name, None)) for name in ("status", *self.FROZEN_FIELDS)
                        if name in self.__dict__}

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._remember()
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember()

    @property
    def period_key(self) -> str:
        return f"{self.year}-{self.month:02d}"


class SummaryEvent(CaseEvent):
    """A step on a monthly summary's timeline (submitted, returned with the reason, accepted …)."""

    summary = models.ForeignKey(MonthlySummary, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "月度汇总记录"
