"""The ledger: every movement of money is one immutable ``LedgerEntry``; the account's balance and
holds move with it in the same transaction, through one conditional UPDATE.

Why it cannot go negative, whatever runs at once (issue 12 "Ledger"):

- a movement that takes money out runs ``UPDATE funds_fundaccount SET … WHERE id = %s AND
  balance - held >= amount`` — the database re-checks the condition on the row it has locked, so
  two payers can never both see the same money (no read-then-write in Python, no stale balance);
- CHECK constraints (``balance >= 0``, ``held >= 0``, ``held <= balance``) refuse whatever would
  still go wrong;
- the entry's ``key`` (the client's idempotency key) is UNIQUE: the same key with the same content
  returns the first entry (a double click, a retried request pays once); with other content it is
  refused. A hold is settled once (``settles`` unique), an entry reversed once (``reverses`` unique),
  and a reversal is never reversed.

Lock and serialization failures (PostgreSQL 40001/40P01/55P03, SQLite "database is locked") are
retried a few times when this module owns the transaction and otherwise reported as
``LedgerBusy`` — "系统繁忙", never as "余额不足". Every refusal is written to the audit log (after
the refused transaction has rolled back, so the audit row stays).
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction

from servicecenter import audit

from .models import FundAccount, LedgerEntry, cents, yuan

if TYPE_CHECKING:
    from servicecenter.models import User

K = LedgerEntry.Kind
CENT = Decimal("0.01")
RETRIES = 8
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available

P = ParamSpec("P")
R = TypeVar("R")


class LedgerBusy(ValidationError):
    """The database could not serialise this movement with a concurrent one (after retries).
    Nothing was posted; the user may try again. Never reported as insufficient funds."""

    def __init__(self) -> None:
        super().__init__("系统繁忙（与其他记账同时进行而未能完成），本次未记账，请稍后重试。", code="busy")


class _Insufficient(Exception):
    pass


_nesting = threading.local()


def is_retryable(exc: BaseException) -> bool:
    cause = exc.__cause__ or exc
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(exc) or "deadlock detected" in str(exc)


def guarded(action: str, *, target: str = "") -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a service in its own transaction (a savepoint inside a caller's); retry it on a lock or
    serialization failure when it owns the transaction; audit a refusal (``ValidationError``)
    with the message, after the rollback; turn a lock failure that cannot be retried into
    ``LedgerBusy``. ``target`` names the keyword argument the audit row is about."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            depth = getattr(_nesting, "depth", 0)
            owns = not connection.in_atomic_block
            attempts = RETRIES if owns else 1
            for attempt in range(attempts):
                _nesting.depth = depth + 1
                try:
                    with transaction.atomic():
                        return fn(*args, **kwargs)
                except OperationalError as exc:
                    if not is_retryable(exc) or depth:  # an outer guarded service retries or reports it
                        raise
                    if attempt + 1 < attempts:
                        time.sleep(random.uniform(0.005, 0.03) * (attempt + 1))
                        continue
                    _audit_refusal(action, kwargs, target, LedgerBusy())
                    raise LedgerBusy() from exc
                except ValidationError as exc:
                    if not depth:  # the outermost service audits the refusal once
                        _audit_refusal(action, kwargs, target, exc)
                    raise
                finally:
                    _nesting.depth = depth
            raise LedgerBusy()  # pragma: no cover — the loop returns or raises

        return run

    return decorate


def _audit_refusal(action: str, kwargs: dict[str, Any], target: str, exc: ValidationError) -> None:
    if connection.needs_rollback:  # inside a broken outer transaction: the caller reports it
        return
    obj = kwargs.get(target) if target else None
    user = kwargs.get("by")
    audit.record(audit.Event.STATE, user=user, target=obj if hasattr(obj, "_meta") else None,
                 outcome=audit.Outcome.DENIED, action=f"{action}.refused",
                 detail=("；".join(exc.messages))[:500],
                 new={k: str(v) for k, v in kwargs.items() if k in ("amount", "key", "relief_type")})


def money(value: Any, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals, or a Chinese refusal at ``field``."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: "请填写金额（元），例如 1200.00。"}, code="invalid") from None
    if not amount.is_finite():
        raise ValidationError({field: "请填写金额（元），例如 1200.00。"}, code="invalid")
    if amount <= 0:
        raise ValidationError({field: "金额须大于零。"}, code="invalid")
    if amount != amount.quantize(CENT):
        raise ValidationError({field: "金额最多保留两位小数（到分）。"}, code="invalid")
    if amount >= Decimal("1e12"):
        raise ValidationError({field: "金额过大。"}, code="invalid")
    return amount.quantize(CENT)


def _key(key: Any) -> str:
    text = str(key or "").strip()
    if not text or len(text) > 60:
        raise ValidationError({"key": "缺少或无效的记账幂等键（最长 60 个字符）。"}, code="invalid")
    return text


def fingerprint(**content: Any) -> str:
    canonical = json.dumps({k: (str(v) if v is not None else None) for k, v in sorted(content.items())},
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _same_or_refuse(existing: LedgerEntry, fp: str) -> LedgerEntry:
    if existing.fingerprint != fp:
        raise ValidationError(
            f"幂等键已用于另一笔内容不同的记账（分录 {existing.pk}：{existing.get_kind_display()} {existing.amount} 元），"
            "本次拒绝记账。", code="key_conflict")
    return existing


@dataclass(frozen=True)
class _Move:
    kind: str
    account_id: int
    amount: Decimal
    balance_delta: int  # cents
    held_delta: int
    # What the account row must have for the UPDATE to happen (cents): available money
    # (balance - held), held money, balance. Zero: no condition (the CHECKs still hold).
    needs_available: int = 0
    needs_held: int = 0
    needs_balance: int = 0


# One statement inside the row lock (the lock is held from here to COMMIT, so every round trip in
# it is paid by every waiting payer): the conditional change and the values after it, RETURNING
# (PostgreSQL; SQLite 3.35+). The table name is FundAccount's (a test checks it).
_UPDATE = ("UPDATE funds_fundaccount SET balance_cents = balance_cents + %s, held_cents = held_cents + %s "
           "WHERE id = %s AND balance_cents - held_cents >= %s AND held_cents >= %s AND balance_cents >= %s "
           "RETURNING balance_cents, held_cents, org_unit_id")


def _apply(move: _Move, *, key: str, fp: str, by: User, settles: LedgerEntry | None = None,
           reverses: LedgerEntry | None = None, counterpart: LedgerEntry | None = None, voucher: str = "",
           memo: str = "") -> LedgerEntry:
    """The conditional UPDATE and the entry, in one savepoint: if the INSERT fails (the same key
    posted at the same moment by another connection), the UPDATE goes back with it."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPDATE, [move.balance_delta, move.held_delta, move.account_id, move.needs_available,
                                 move.needs_held, move.needs_balance])
        row = cursor.fetchone()
        if row is None:
            raise _Insufficient
        balance_after, held_after, unit_id = row
        return LedgerEntry.objects.create(
            key=key, fingerprint=fp, account_id=move.account_id, org_unit_id=unit_id, kind=move.kind,
            amount=move.amount, balance_delta=move.balance_delta, held_delta=move.held_delta,
            balance_after=balance_after, held_after=held_after, settles=settles, reverses=reverses,
            counterpart=counterpart, voucher=voucher[:60], memo=memo[:200], by=by)


def _post(move: _Move, *, key: str, by: User, settles: LedgerEntry | None = None,
          reverses: LedgerEntry | None = None, voucher: str = "", memo: str = "", extra: str = "") -> LedgerEntry:
    fp = fingerprint(kind=move.kind, account=move.account_id, amount=move.amount, settles=getattr(settles, "pk", None),
                     reverses=getattr(reverses, "pk", None), voucher=voucher, extra=extra)
    existing = LedgerEntry.objects.filter(key=key).first()
    if existing is not None:
        return _same_or_refuse(existing, fp)
    try:
        return _apply(move, key=key, fp=fp, by=by, settles=settles, reverses=reverses, voucher=voucher, memo=memo)
    except IntegrityError:
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            return _same_or_refuse(existing, fp)
        if settles is not None and LedgerEntry.objects.filter(settles=settles).exists():
            raise ValidationError("该冻结已解冻或已支付，不能再次结清。", code="settled") from None
        if reverses is not None and LedgerEntry.objects.filter(reverses=reverses).exists():
            raise ValidationError("该分录已冲正，不能重复冲正。", code="reversed") from None
        raise ValidationError("可用余额不足，未记账。", code="insufficient") from None
    except _Insufficient:
        # Another connection may have posted this very key while we waited for the row.
        existing = LedgerEntry.objects.filter(key=key).first()
        if existing is not None:
            return _same_or_refuse(existing, fp)
        if settles is not None and LedgerEntry.objects.filter(settles=settles).exists():
            raise ValidationError("该冻结已解冻或已支付，不能再次结清。", code="settled") from None
        if reverses is not None and LedgerEntry.objects.filter(reverses=reverses).exists():
            raise ValidationError("该分录已冲正，不能重复冲正。", code="reversed") from None
        account = FundAccount.objects.select_related("org_unit", "source").get(pk=move.account_id)
        raise ValidationError(
            {"amount": f"可用余额不足：{account}可用 {account.available} 元，需要 {move.amount} 元，未记账。"},
            code="insufficient") from None




# --- the movements --------------------------------------------------------------------------------------


@guarded("funds.income", target="account")
def post_income(*, account: FundAccount, amount: Any, key: Any, by: User, voucher: str = "",
                memo: str = "") -> LedgerEntry:
    """收入: money into an account."""
    amount = money(amount)
    return _post(_Move(K.INCOME, account.pk, amount, cents(amount), 0), key=_key(key), by=by,
                 voucher=voucher, memo=memo)


@guarded("funds.hold", target="account")
def hold(*, account: FundAccount, amount: Any, key: Any, by: User, voucher: str = "", memo: str = "") -> LedgerEntry:
    """冻结: reserve available money (an approved grant not yet paid)."""
    amount = money(amount)
    return _post(_Move(K.HOLD, account.pk, amount, 0, cents(amount), needs_available=cents(amount)), key=_key(key), by=by,
                 voucher=voucher, memo=memo)


def _open_hold(entry: LedgerEntry) -> LedgerEntry:
    if entry.kind != K.HOLD:
        raise ValidationError("只能结清冻结分录。", code="invalid")
    return entry


@guarded("funds.release", target="hold_entry")
def release(*, hold_entry: LedgerEntry, key: Any, by: User, memo: str = "") -> LedgerEntry:
    """解冻: give a hold's money back to the available balance (rejection, cancellation, expiry)."""
    h = _open_hold(hold_entry)
    return _post(_Move(K.RELEASE, h.account_id, h.amount, 0, -cents(h.amount), needs_held=cents(h.amount)),
                 key=_key(key), by=by, settles=h, voucher=h.voucher, memo=memo)


@guarded("funds.disburse", target="account")
def disburse(*, account: FundAccount, amount: Any, key: Any, by: User, hold_entry: LedgerEntry | None = None,
             voucher: str = "", memo: str = "") -> LedgerEntry:
    """支付: money out. With ``hold_entry`` it pays that hold (the amounts must match); without, it
    takes available money directly."""
    amount = money(amount)
    if hold_entry is not None:
        h = _open_hold(hold_entry)
        if h.account_id != account.pk or h.amount != amount:
            raise ValidationError({"amount": f"支付金额须与冻结金额一致（{h.amount} 元）。"}, code="invalid")
        c = cents(amount)
        move = _Move(K.DISBURSEMENT, account.pk, amount, -c, -c, needs_held=c, needs_balance=c)
        return _post(move, key=_key(key), by=by, settles=h, voucher=voucher, memo=memo)
    move = _Move(K.DISBURSEMENT, account.pk, amount, -cents(amount), 0, needs_available=cents(amount))
    return _post(move, key=_key(key), by=by, voucher=voucher, memo=memo)


@guarded("funds.allocate", target="source")
def allocate(*, source: FundAccount, target: FundAccount, amount: Any, key: Any, by: User,
             memo: str = "") -> tuple[LedgerEntry, LedgerEntry]:
    """下拨: from a unit's account to a lower unit's account of the same source; two entries (out,
    in). Both rows are locked in id order first, so two opposite allocations cannot deadlock."""
    amount = money(amount)
    key = _key(key)
    if source.pk == target.pk:
        raise ValidationError({"target": "转出与转入不能是同一专户。"}, code="invalid")
    if source.source_id != target.source_id:
        raise ValidationError({"target": "下拨只能在同一资金来源的专户之间进行。"}, code="invalid")
    list(FundAccount.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk"))
    out = _post(_Move(K.ALLOCATION_OUT, source.pk, amount, -cents(amount), 0, needs_available=cents(amount)), key=key, by=by,
                memo=memo, extra=f"to:{target.pk}")
    incoming = LedgerEntry.objects.filter(key=f"{key}:in").first()
    if incoming is None:
        incoming = _post(_Move(K.ALLOCATION_IN, target.pk, amount, cents(amount), 0), key=f"{key}:in", by=by,
                         memo=memo, extra=f"from:{source.pk}")
    return out, incoming


REVERSIBLE = {K.INCOME, K.DISBURSEMENT, K.ALLOCATION_OUT, K.ALLOCATION_IN}


@guarded("funds.reverse", target="entry")
def reverse(*, entry: LedgerEntry, key: Any, by: User, reason: str) -> LedgerEntry:
    """冲正: the correction of an entry, as a new entry with the opposite effect on the balance.
    A reversal is never reversed; an entry is reversed once; a hold is undone by a release."""
    key = _key(key)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因。"}, code="required")
    if entry.kind == K.REVERSAL:
        raise ValidationError("冲正分录不能再冲正。", code="invalid")
    if entry.kind not in REVERSIBLE:
        raise ValidationError("冻结与解冻不能冲正（冻结请解冻）。", code="invalid")
    delta = -entry.balance_delta
    # Taking money back out needs it to be available.
    move = _Move(K.REVERSAL, entry.account_id, entry.amount, delta, 0, needs_available=-delta if delta < 0 else 0)
    return _post(move, key=key, by=by, reverses=entry, voucher=entry.voucher, memo=f"冲正：{reason}")


def ledger_sum(account: FundAccount) -> tuple[Decimal, Decimal]:
    """What the entries say the account holds: (balance, held)."""
    from django.db.models import Sum

    sums = LedgerEntry.objects.filter(account=account).aggregate(b=Sum("balance_delta"), h=Sum("held_delta"))
    return yuan(sums["b"]), yuan(sums["h"])
