"""批量救助 (batch grants) and the bank file round trip: the models (imported by ``models.py``).

- ``Batch``: a list of archived hardship files chosen by a filter (unit, grade), one relief type,
  one amount per household. Approved once, on one fund account.
- ``BatchLine``: one household of the batch. Its money is an ordinary ``Grant`` (``Grant.batch``),
  so the grant register, the person page, ``prior_grants`` and the household cap (the partial
  UNIQUE index on ``Grant``) see batch payments with no extra code. The line adds the bank
  account (户名, 开户银行, 账号) and where its payment stands.
- ``BankTransfer``: one line sent once to the bank (one row of one exported bank list), with its
  reference; the bank's result file is matched on it. A failed transfer's line can be re-issued:
  the next list gets a new transfer with a new reference, so an old result file re-imported
  finds its transfers already settled and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from servicecenter.models import OrgUnit
from servicecenter.timeline import CaseEvent

from .models import FundAccount, ReliefType, _money, yuan


class Batch(models.Model):
    class Status(models.TextChoices):
        BUILT = "built", "待审批"
        APPROVED = "approved", "发放中"
        REJECTED = "rejected", "不予批准"
        CLOSED = "closed", "已结束"

    number = models.CharField("批次编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="发起单位")
    title = models.CharField("批次名称", max_length=100)
    relief_type = models.CharField("救助类型", max_length=10, choices=ReliefType.choices)
    period = models.CharField("救助年度", max_length=10)
    amount = _money("每户金额（元）")
    households = models.PositiveIntegerField("户数", default=0)
    # What the list was chosen by (unit, grade), for the page and the audit row.
    criteria = models.JSONField("筛选条件", default=dict, blank=True)
    # The files the filter found but left out, each with the reason (the household cap).
    excluded = models.JSONField("未列入名单", default=list, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.BUILT)
    token = models.UUIDField(unique=True, editable=False)
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="制单人")
    built_on = models.DateField("制单日期")
    account = models.ForeignKey(FundAccount, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="支付专户")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="审批人")
    approved_on = models.DateField("审批日期", null=True, blank=True)
    prior_confirm_reason = models.TextField("重复救助确认理由", blank=True)
    closed_reason = models.TextField("不予批准/结束理由", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "批量救助"
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="funds_batch_amount_positive")]
        indexes = [models.Index(fields=["org_unit", "status"], name="funds_batch_unit_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("funds:batch", kwargs={"pk": self.pk})

    @property
    def total(self) -> Decimal:
        return self.amount * self.households


class BatchLine(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "待审批"
        READY = "ready", "待发放"
        SENT = "sent", "已报银行"
        PAID = "paid", "已发放"
        FAILED = "failed", "银行退回"
        CLOSED = "closed", "未发放"

    batch = models.ForeignKey(Batch, models.PROTECT, related_name="lines", verbose_name="批次")
    grant = models.OneToOneField("funds.Grant", models.PROTECT, related_name="batch_line", verbose_name="救助")
    seq = models.PositiveIntegerField("序号")
    state = models.CharField("发放情况", max_length=10, choices=State.choices, default=State.PENDING)
    account_name = models.CharField("户名", max_length=50, blank=True)
    bank_name = models.CharField("开户银行", max_length=60, blank=True)
    account_number = models.CharField("银行账号", max_length=32, blank=True)
    # Help the household had this year when the list was made (type, unit, date, amount), as shown.
    prior = models.JSONField("本年度已获救助", default=list, blank=True)
    failures = models.PositiveSmallIntegerField("银行退回次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "批量救助名单"
        ordering = ["batch", "seq"]
        constraints = [models.UniqueConstraint(fields=["batch", "seq"], name="funds_batchline_seq")]

    def __str__(self) -> str:
        return f"{self.batch.number} 第{self.seq}户"


class BankTransfer(models.Model):
    """One line in one exported bank list (报盘). ``reference`` is the line reference the bank
    returns with its result; a line has at most one transfer awaiting a result (the partial
    UNIQUE index), and a transfer's result is recorded once."""

    class Result(models.TextChoices):
        SENT = "sent", "待银行回盘"
        SUCCESS = "success", "成功"
        FAILED = "failed", "失败"

    line = models.ForeignKey(BatchLine, models.PROTECT, related_name="transfers", verbose_name="名单行")
    batch = models.ForeignKey(Batch, models.PROTECT, related_name="transfers", verbose_name="批次")
    round = models.PositiveSmallIntegerField("报盘批次")
    reference = models.CharField("业务参考号", max_length=40, unique=True)
    amount_cents = models.BigIntegerField("金额（分）")
    account_name = models.CharField("户名", max_length=50)
    bank_name = models.CharField("开户银行", max_length=60)
    account_number = models.CharField("银行账号", max_length=32)
    result = models.CharField("银行回盘", max_length=8, choices=Result.choices, default=Result.SENT)
    reason = models.CharField("失败原因", max_length=200, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="报盘人")
    sent_at = models.DateTimeField("报盘时间", auto_now_add=True)
    result_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name="回盘导入人")
    result_at = models.DateTimeField("回盘时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "银行报盘"
        ordering = ["batch", "round", "line__seq"]
        constraints = [
            models.UniqueConstraint(fields=["line"], condition=Q(result="sent"), name="funds_transfer_one_open_per_line"),
            # A line is paid by the bank once: one successful transfer per line.
            models.UniqueConstraint(fields=["line"], condition=Q(result="success"), name="funds_transfer_one_success"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="funds_transfer_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)


class BatchEvent(CaseEvent):
    batch = models.ForeignKey(Batch, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "批量救助办理记录"
