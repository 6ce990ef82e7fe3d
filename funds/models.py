"""帮扶资金与物资: fund sources (money in), one fund account per unit and source, the immutable
ledger, and relief grants.

The money rules live in the database, not only in Python (DOMAIN §7; issue 12 "Ledger"):

- ``FundAccount.balance`` and ``held`` are changed only by ``funds/ledger.py`` with one conditional
  ``UPDATE … WHERE balance - held >= amount``; CHECK constraints (``balance >= 0``, ``held >= 0``,
  ``held <= balance``) refuse anything that would still go wrong.
- ``LedgerEntry`` rows are never changed: triggers (migration 0002) refuse UPDATE and DELETE, as
  for the audit table. A correction is a reversing entry (``reverses`` is unique: one reversal per
  entry; a reversal of a reversal is refused). ``key`` is the client's idempotency key (UNIQUE).
- A hold is settled once (released or paid): ``settles`` is unique.
- ``Grant``: the same household cannot hold two live grants of a capped type in one period (a
  partial UNIQUE index on household, type and period).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from servicecenter.models import OrgUnit, Person
from servicecenter.timeline import CaseEvent

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def yuan(value: int | None) -> Decimal:
    return (Decimal(value or 0) / 100).quantize(CENT)


def _money(label: str, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class ReliefType(models.TextChoices):
    LIVING = "living", "生活救助"
    MEDICAL = "medical", "医疗救助"
    EDUCATION = "education", "助学"
    EMERGENCY = "emergency", "临时/应急救助"
    HOLIDAY = "holiday", "节日慰问（送温暖）"
    BATCH = "batch", "定期批量救助"


class FundSource(models.Model):
    """一笔资金来源 (money in): who gave it, when, how much, and which relief types it may pay."""

    class Kind(models.TextChoices):
        DONATION = "donation", "社会捐助"
        GOVERNMENT = "government", "政府拨款"
        UNION = "union", "工会自筹"
        CENTRAL = "central", "中央财政专项资金"
        MATCHING = "matching", "配套资金"

    number = models.CharField("来源编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="接收单位")
    kind = models.CharField("资金性质", max_length=12, choices=Kind.choices)
    donor = models.CharField("捐赠/拨款单位或个人", max_length=100)
    received_on = models.DateField("到账日期")
    amount = _money("金额（元）")
    # Empty: the money may pay every relief type; else only those listed (限定用途).
    restriction = models.JSONField("限定用途", default=list, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金来源"
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="funds_source_amount_positive")]

    def __str__(self) -> str:
        return f"{self.number} {self.donor}"

    def get_absolute_url(self) -> str:
        return reverse("funds:source", kwargs={"pk": self.pk})

    def allows(self, relief_type: str) -> bool:
        return not self.restriction or relief_type in self.restriction

    @property
    def restriction_display(self) -> str:
        labels = dict(ReliefType.choices)
        return "、".join(str(labels.get(t, t)) for t in self.restriction) if self.restriction else "不限"


class FundAccount(models.Model):
    """专户: one per unit and source, with its keeper. ``balance`` is the money in the account,
    ``held`` the part reserved by approved grants not yet paid; ``available = balance - held``."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    source = models.ForeignKey(FundSource, models.PROTECT, related_name="accounts", verbose_name="资金来源")
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="专管员")
    # Integer cents: SQLite does decimal arithmetic in floating point, and the balance is computed
    # in SQL (the conditional UPDATE); cents are exact on every database.
    balance_cents = models.BigIntegerField("余额（分）", default=0)
    held_cents = models.BigIntegerField("已冻结（分）", default=0)
    created_at = models.DateTimeField("开户时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金专户"
        ordering = ["org_unit__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "source"], name="funds_account_one_per_unit_source"),
            models.CheckConstraint(condition=Q(balance_cents__gte=0), name="funds_account_balance_not_negative"),
            models.CheckConstraint(condition=Q(held_cents__gte=0), name="funds_account_held_not_negative"),
            models.CheckConstraint(condition=Q(held_cents__lte=F("balance_cents")),
                                   name="funds_account_held_within_balance"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} · {self.source.get_kind_display()} · {self.source.donor}"

    def get_absolute_url(self) -> str:
        return reverse("funds:account", kwargs={"pk": self.pk})

    @property
    def balance(self) -> Decimal:
        return yuan(self.balance_cents)

    @property
    def held(self) -> Decimal:
        return yuan(self.held_cents)

    @property
    def available(self) -> Decimal:
        return yuan(self.balance_cents - self.held_cents)


class LedgerEntry(models.Model):
    """One movement of money, never changed (the triggers of migration 0002 refuse UPDATE and
    DELETE). ``balance_delta``/``held_delta`` are what it did to the account; the account's
    balance is the sum of its entries' ``balance_delta`` (the tests check it)."""

    class Kind(models.TextChoices):
        INCOME = "income", "收入"
        ALLOCATION_OUT = "alloc_out", "下拨转出"
        ALLOCATION_IN = "alloc_in", "下拨转入"
        HOLD = "hold", "冻结"
        RELEASE = "release", "解冻"
        DISBURSEMENT = "disburse", "支付"
        REVERSAL = "reversal", "冲正"

    key = models.CharField("幂等键", max_length=64, unique=True)
    fingerprint = models.CharField("内容指纹", max_length=64)
    account = models.ForeignKey(FundAccount, models.PROTECT, related_name="entries", verbose_name="专户")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    amount = _money("金额")
    # In cents, like the account (exact sums on every database).
    balance_delta = models.BigIntegerField("余额变动（分）")
    held_delta = models.BigIntegerField("冻结变动（分）")
    balance_after = models.BigIntegerField("变动后余额（分）")
    held_after = models.BigIntegerField("变动后冻结（分）")
    # A release or a payment settles one hold, once.
    settles = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="settled_by",
                                   verbose_name="结清的冻结")
    # A reversal reverses one entry, once.
    reverses = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="reversed_by",
                                    verbose_name="冲正的分录")
    # The other side of an allocation (下拨): the entry in the other account.
    counterpart = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name="对方分录")
    # What the money was for, as a plain reference ("funds.grant:12"): the voucher.
    voucher = models.CharField("凭证", max_length=60, blank=True)
    memo = models.CharField("摘要", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField("记账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金分录"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_entry_amount_positive"),
            models.CheckConstraint(condition=Q(balance_after__gte=0) & Q(held_after__gte=0),
                                   name="funds_entry_after_not_negative"),
        ]
        indexes = [models.Index(fields=["account", "id"], name="funds_entry_account"),
                   models.Index(fields=["org_unit", "at"], name="funds_entry_unit_at")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} 元（分录 {self.pk}）"

    def get_absolute_url(self) -> str:
        return reverse("funds:account", kwargs={"pk": self.account_id})

    @property
    def balance_after_yuan(self) -> Decimal:
        return yuan(self.balance_after)

    @property
    def held_after_yuan(self) -> Decimal:
        return yuan(self.held_after)

    @property
    def balance_delta_yuan(self) -> Decimal:
        return yuan(self.balance_delta)


class Grant(models.Model):
    """一笔救助 (relief grant): applied for a person (optionally for a hardship file, kept as a
    plain id), verified, approved with the fund account that pays (a hold), and paid by the cashier."""

    class Status(models.TextChoices):
        APPLIED = "applied", "待核实"
        VERIFIED = "verified", "待审批"
        APPROVED = "approved", "待发放"
        PAID = "paid", "已发放"
        REJECTED = "rejected", "不予批准"
        CANCELLED = "cancelled", "已撤销"

    class Method(models.TextChoices):
        CASH = "cash", "现金"
        BANK = "bank", "银行转账"
        GOODS = "goods", "实物"
        CARD = "card", "卡"

    # States in which a grant counts against the household's cap.
    LIVE = (Status.APPLIED, Status.VERIFIED, Status.APPROVED, Status.PAID)

    number = models.CharField("救助编号", max_length=40, unique=True)
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="申报单位")
    person = models.ForeignKey(Person, models.PROTECT, related_name="relief_grants", verbose_name="救助对象")
    # The hardship file, as a plain id (no foreign key: the hardship app may be absent).
    hardship_file_id = models.BigIntegerField("困难职工档案", null=True, blank=True)
    hardship_file_label = models.CharField("困难职工档案编号", max_length=60, blank=True)
    # The household the cap counts: "file:<id>" for a hardship file, else "person:<id>".
    household = models.CharField("户", max_length=40)
    relief_type = models.CharField("救助类型", max_length=10, choices=ReliefType.choices)
    period = models.CharField("救助年度", max_length=10)
    # Whether the type caps the household to one grant a period (a parameter, fixed at application).
    capped = models.BooleanField("每户每年限一次", default=False)
    amount = _money("金额（元）")
    reason = models.TextField("申请理由")
    evidence = models.CharField("证明材料", max_length=200, blank=True,
                                help_text="医疗救助须注明已核验的医疗费原始票据")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.APPLIED)
    token = models.UUIDField(unique=True, editable=False)

    applied_on = models.DateField("申请日期")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="申请登记人")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="核实人")
    verified_note = models.TextField("核实意见", blank=True)
    # Earlier help of the same type this period (shown; an uncapped type needs a reason to approve).
    prior_confirm_reason = models.TextField("重复救助确认理由", blank=True)

    account = models.ForeignKey(FundAccount, models.PROTECT, null=True, blank=True, related_name="grants",
                                verbose_name="支付专户")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="审批人")
    approved_on = models.DateField("审批日期", null=True, blank=True)
    # Set at the final approval (funds.hold_days after it): unpaid after this day, the hold lapses
    # (funds/holds.py, ``manage.py funds_expire_holds``).
    hold_expires_on = models.DateField("冻结到期日", null=True, blank=True)
    hold = models.OneToOneField(LedgerEntry, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="冻结分录")
    budget = models.ForeignKey("Budget", models.PROTECT, null=True, blank=True, related_name="grants",
                               verbose_name="占用预算")
    # A line of a batch (批量救助, funds/batches.py): approved and paid through the batch.
    batch = models.ForeignKey("funds.Batch", models.PROTECT, null=True, blank=True, related_name="grants",
                              verbose_name="批量救助批次")

    paid_entry = models.OneToOneField(LedgerEntry, models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name="支付分录")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="发放人")
    paid_on = models.DateField("发放日期", null=True, blank=True)
    method = models.CharField("发放方式", max_length=6, choices=Method.choices, blank=True)
    received_by_proxy = models.BooleanField("代领", default=False)
    proxy_name = models.CharField("代领人", max_length=50, blank=True)
    proxy_relation = models.CharField("与救助对象关系", max_length=20, blank=True)
    proxy_id_masked = models.CharField("代领人身份证号", max_length=18, blank=True)
    closed_reason = models.TextField("不予批准/撤销理由", blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "救助"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="funds_grant_amount_positive"),
            # No double dipping (DOMAIN §7: one living-relief grant a year per household).
            models.UniqueConstraint(fields=["household", "relief_type", "period"],
                                    condition=Q(capped=True, status__in=["applied", "verified", "approved", "paid"]),
                                    name="funds_grant_once_per_household_period"),
        ]
        indexes = [models.Index(fields=["org_unit", "status"], name="funds_grant_unit_status"),
                   models.Index(fields=["household", "relief_type", "period"], name="funds_grant_household"),
                   models.Index(fields=["hardship_file_id"], name="funds_grant_file"),
                   models.Index(fields=["status", "hold_expires_on"], name="funds_grant_hold_expiry")]

    def __str__(self) -> str:
        return f"{self.number} {self.person.name} {self.get_relief_type_display()}"

    def get_absolute_url(self) -> str:
        return reverse("funds:grant", kwargs={"pk": self.pk})


class GrantEvent(CaseEvent):
    grant = models.ForeignKey(Grant, models.CASCADE, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = verbose_name_plural = "救助办理记录"


class StockItem(models.Model):
    """帮扶超市的一种物品 (name, spec, unit) at one unit's supermarket; ``on_hand`` is kept by the
    database like a balance: a conditional UPDATE and a CHECK constraint (never below zero)."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="帮扶超市所属单位")
    name = models.CharField("物品名称", max_length=60)
    spec = models.CharField("规格", max_length=60, blank=True)
    unit = models.CharField("计量单位", max_length=10, default="件")
    on_hand = models.IntegerField("库存", default=0)
    # At or below this the item is short (低库存): the list flags it, the dashboard counts it.
    low_stock = models.PositiveIntegerField("低库存预警数量", default=5)

    class Meta:
        verbose_name = verbose_name_plural = "帮扶超市物品"
        ordering = ["org_unit__path", "name", "spec", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "name", "spec"], name="funds_item_once_per_unit"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="funds_item_stock_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.spec}）" if self.spec else self.name


class StockMovement(models.Model):
    """One movement of goods, never changed (migration 0004's triggers, as for the ledger): a
    receipt (purchased or donated, with the quality check and who signed it in), an issue to a
    recipient (for an approved grant), or a day close's adjustment (with the reason)."""

    class Kind(models.TextChoices):
        PURCHASED = "purchased", "采购入库"
        DONATED = "donated", "捐赠入库"
        ISSUE = "issue", "发放出库"
        ADJUST = "adjust", "盘点调整"

    key = models.CharField("幂等键", max_length=64)
    item = models.ForeignKey(StockItem, models.PROTECT, related_name="movements", verbose_name="物品")
    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    day = models.DateField("业务日期")
    delta = models.IntegerField("数量变动")
    on_hand_after = models.IntegerField("变动后库存")
    value = _money("捐赠物资价值（元）", null=True, blank=True)
    quality_ok = models.BooleanField("质量验收合格", default=True)
    received_by = models.CharField("验收签收人", max_length=50, blank=True)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+", verbose_name="领取人")
    grant = models.ForeignKey(Grant, models.PROTECT, null=True, blank=True, related_name="goods", verbose_name="救助")
    reason = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="经办人")
    at = models.DateTimeField("记账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "帮扶超市出入库"
        ordering = ["-id"]
        constraints = [
            # One key per item: an issue of several lines posts one row per item under one key.
            models.UniqueConstraint(fields=["key", "item"], name="funds_movement_key_per_item"),
            models.CheckConstraint(condition=Q(on_hand_after__gte=0), name="funds_movement_after_not_negative"),
        ]
        indexes = [models.Index(fields=["org_unit", "day"], name="funds_movement_unit_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item} {self.delta:+d}"


class StockDay(models.Model):
    """日结: a supermarket's closed day; movements dated on or before it are refused. A quarterly
    stocktake (季度盘点, ``kind=STOCKTAKE``) is a day close too, with the quarter it counts for and
    two signatures: the cashier who counted (``closed_by``, 盘点人) and another user (监盘人)."""

    class Kind(models.TextChoices):
        CLOSE = "close", "日结"
        STOCKTAKE = "stocktake", "季度盘点"

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    day = models.DateField("日期")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.CLOSE)
    quarter = models.CharField("盘点季度", max_length=7, blank=True, help_text="如 2026Q4；仅季度盘点")
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="日结人")
    witness = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name="监盘人")
    closed_at = models.DateTimeField("日结时间", auto_now_add=True)
    counts = models.JSONField("盘点", default=list, help_text="每种物品：账面数、实盘数、差异、原因")

    class Meta:
        verbose_name = verbose_name_plural = "帮扶超市日结"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "day"], name="funds_stock_day_once"),
            models.UniqueConstraint(fields=["org_unit", "quarter"], condition=Q(kind="stocktake"),
                                    name="funds_stocktake_once_per_quarter"),
            models.CheckConstraint(condition=Q(kind="close") | (Q(witness__isnull=False) & ~Q(quarter="")
                                                                  & ~Q(witness=F("closed_by"))),
                                   name="funds_stocktake_signed_by_two"),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.STOCKTAKE:
            return f"{self.quarter}季度盘点（{self.day:%Y-%m-%d}）"
        return f"{self.day:%Y-%m-%d}日结"


class Budget(models.Model):
    """年度预算 per unit and relief type. ``committed`` is what approved grants have reserved or
    paid; the database keeps it within the budget (conditional UPDATE + CHECK). A unit without a
    budget row for a type is not limited by one."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    year = models.PositiveSmallIntegerField("年度")
    relief_type = models.CharField("救助类型", max_length=10, choices=ReliefType.choices)
    amount_cents = models.BigIntegerField("预算（分）")
    committed_cents = models.BigIntegerField("已占用（分）", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度预算"
        ordering = ["-year", "org_unit__path", "relief_type"]
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "year", "relief_type"], name="funds_budget_once"),
            models.CheckConstraint(condition=Q(committed_cents__gte=0) & Q(committed_cents__lte=F("amount_cents")),
                                   name="funds_budget_within"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year}年 {self.get_relief_type_display()}预算"

    @property
    def amount(self) -> Decimal:
        return yuan(self.amount_cents)

    @property
    def committed(self) -> Decimal:
        return yuan(self.committed_cents)

    @property
    def left(self) -> Decimal:
        return yuan(self.amount_cents - self.committed_cents)


class YearClose(models.Model):
    """年度结账 (funds/year_close.py): a unit's figures for a year (its subtree), frozen as canonical
    JSON with their SHA-256; afterwards nothing dated in that year may be recorded at or below the
    unit. Never changed once written."""

    org_unit = models.ForeignKey(OrgUnit, models.PROTECT, related_name="+", verbose_name="单位")
    year = models.PositiveSmallIntegerField("年度")
    figures = models.JSONField("冻结数据")
    sha256 = models.CharField("数据校验码（SHA-256）", max_length=64)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name="结账人")
    closed_at = models.DateTimeField("结账时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度结账"
        ordering = ["-year", "org_unit__path"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "year"], name="funds_year_close_once")]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.year}年度结账"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("年度结账数据已冻结，不能修改。")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("funds:year_closes")


# The batch models (批量救助), in their own module; imported here so that Django registers them.
from .batch_models import BankTransfer, Batch, BatchEvent, BatchLine  # noqa: E402,F401
