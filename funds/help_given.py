"""What the funds app tells other services about the help people received in a year
(``servicecenter.assistance``): live grants (applied to paid) and goods issued from the help
supermarket. Another unit's record shows unit, date and amount only — its number and link only
where the asking user may see the grant (DOMAIN §7: the approver sees that help was given, not the
other unit's file)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet

from servicecenter.access import visible
from servicecenter.assistance import HelpRecord, HelpSource

from .models import Grant, StockMovement


def records(person_ids: Collection[int], year: int, user: Any) -> list[HelpRecord]:
    grants = list(Grant.objects.filter(person_id__in=person_ids, period=str(year), status__in=Grant.LIVE)
                  .select_related("org_unit").order_by("applied_on", "id"))
    seen = set(visible(Grant.objects.filter(pk__in=[g.pk for g in grants]), user).values_list("pk", flat=True)
               ) if grants else set()
    out = [HelpRecord(person_id=g.person_id, kind=g.get_relief_type_display(), unit=str(g.org_unit),
                      on=g.paid_on or g.applied_on, amount=g.amount, state=g.get_status_display(),
                      basis=g.number if g.pk in seen else "", url=g.get_absolute_url() if g.pk in seen else "")
           for g in grants]
    goods = (StockMovement.objects.filter(person_id__in=person_ids, kind=StockMovement.Kind.ISSUE, day__year=year)
             .select_related("item", "org_unit").order_by("day", "id"))
    out += [HelpRecord(person_id=m.person_id or 0, kind=f"帮扶超市物品：{m.item} {-m.delta}{m.item.unit}",
                       unit=str(m.org_unit), on=m.day, amount=None, state="已领取") for m in goods]
    return out


def helped(year: int) -> list[QuerySet]:
    """The people paid a grant or given goods in ``year``."""
    return [Grant.objects.filter(Q(status=Grant.Status.PAID, paid_on__year=year)).values("person_id"),
            StockMovement.objects.filter(kind=StockMovement.Kind.ISSUE, day__year=year, person__isnull=False)
            .values("person_id")]


HELP = HelpSource(records=records, helped=helped)
