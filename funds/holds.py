"""Holds that lapse, and the amount limit per hardship grade (issue 12 items 3 and 8).

- **Expiry**: the final approval places a hold on the paying account and reserves the budget; it
  also sets ``Grant.hold_expires_on`` = the approval day + ``funds.hold_days`` (per unit, default
  30). A grant still unpaid after that day is expired by ``grant_expire`` (the workflow's
  ``expire`` step: 待发放 → 已撤销, "逾期未发放，已解冻"): the hold is released and the budget
  reservation returned, exactly as a revocation does (``services._release``). ``holds_expire``
  runs it for every expired grant in the user's scope, each in its own transaction; the daily
  ``manage.py funds_expire_holds --by <account>`` calls it. Safe twice or concurrently: the step
  locks and re-reads the grant (``GRANT_FLOW.begin``) — a second run, or a payment that got the
  lock first, finds it no longer 待发放; and a hold is settled once at the database (``settles``
  UNIQUE), so a grant is paid or expired, never both.
- **Grade limits**: ``funds.limit.<type>.<grade>`` (grade ``hardship`` 困难职工 / ``extreme``
  特困职工, the file's 困难类别) is the most one grant of the type may pay for a household of that
  grade; 0 (the default) means the type's own ``funds.limit.<type>`` applies, as it does for a
  grant without a file.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from servicecenter import access
from servicecenter.parameters import param

from .declaration import GRADES
from .ledger import guarded
from .models import Grant
from .workflow import GRANT_FLOW

if TYPE_CHECKING:
    from servicecenter.models import OrgUnit, User

S = Grant.Status
EXPIRED_REASON = "逾期未发放，已解冻"


def _today() -> datetime.date:
    return timezone.localdate()


# --- amount limits per grade ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    amount: Decimal
    grade_label: str  # "特困职工" when a grade's own limit applies, else ""


def limit_for(relief_type: str, unit: OrgUnit, year: int, grade: str = "") -> Limit:
    """The most one grant of ``relief_type`` may pay at ``unit`` in ``year`` for a household of
    ``grade`` ("" without a hardship file): the grade's limit when it is set, else the type's."""
    if grade in GRADES:
        by_grade = Decimal(param(f"funds.limit.{relief_type}.{grade}", unit, year))
        if by_grade > 0:
            return Limit(by_grade, GRADES[grade])
    return Limit(Decimal(param(f"funds.limit.{relief_type}", unit, year)), "")


# --- hold expiry ---------------------------------------------------------------------------------------


def expiry_date(grant: Grant, approved_on: datetime.date) -> datetime.date:
    """The last day the approved grant may be paid: ``funds.hold_days`` after the approval."""
    return approved_on + datetime.timedelta(days=int(param("funds.hold_days", grant.org_unit)))


def is_expired(grant: Grant, today: datetime.date | None = None) -> bool:
    """Approved, unpaid, and past its last day (the last day itself may still be paid)."""
    return (grant.status == S.APPROVED and grant.hold_expires_on is not None
            and grant.hold_expires_on < (today or _today()))


def expiring_soon(queryset: object, days: int = 7, today: datetime.date | None = None) -> object:
    """Approved grants whose hold lapses within ``days`` days (today included), not yet lapsed."""
    today = today or _today()
    return queryset.filter(status=S.APPROVED, hold_expires_on__gte=today,  # type: ignore[attr-defined]
                           hold_expires_on__lt=today + datetime.timedelta(days=days))


@guarded("funds.grant_expire", target="grant")
def grant_expire(*, grant: Grant, by: User) -> Grant:
    """逾期解冻: an approved grant not paid by its ``hold_expires_on`` — the hold released, the
    budget reservation returned, the grant cancelled with the reason."""
    from .services import _release

    step = GRANT_FLOW.begin(grant, by, "expire")  # the row locked and re-read: paid meanwhile → refused
    _release(grant, by, EXPIRED_REASON)
    grant.closed_reason = f"{EXPIRED_REASON}（应于 {grant.hold_expires_on:%Y-%m-%d} 前发放）"
    GRANT_FLOW.advance(grant, by, step, update_fields=["closed_reason"], note=grant.closed_reason,
                       audit_detail=grant.number)
    return grant


def holds_expire(*, by: User, today: datetime.date | None = None) -> list[Grant]:
    """Every expired grant the user may expire, each in its own transaction (one refusal — paid at
    the same moment — does not stop the others). For the daily ``manage.py funds_expire_holds``."""
    from django.core.exceptions import ValidationError

    access.require(by, GRANT_FLOW.transition("expire").permission)
    today = today or _today()
    done = []
    candidates = (access.visible(Grant.objects.all(), by)
                  .filter(status=S.APPROVED, hold_expires_on__lt=today).order_by("pk"))
    for pk in list(candidates.values_list("pk", flat=True)):
        grant = Grant.objects.select_related("org_unit", "account", "hold").get(pk=pk)
        if not access.can(by, GRANT_FLOW.transition("expire").permission, grant):
            continue
        try:
            done.append(grant_expire(grant=grant, by=by))
        except ValidationError:
            continue  # paid (or expired by another run) meanwhile: nothing to do
    return done
