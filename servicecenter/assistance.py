"""Help a person has received this year, asked by another service (帮扶情况).

An app that gives help (money, goods) declares ``ServiceApp.help_given``, a ``HelpSource``: the
records of help for a set of people in a year, and the people helped in a year as a queryset of
person ids (so a list page can filter "未帮扶过" with a subquery, no ids read into Python). Another
app asks ``help_received`` / ``helped_people`` and never names the app that answers; with no
source installed, nobody has been helped and the answer is empty.

The source decides what a user may see of another unit's record (unit, date, amount: the person
rule of DOMAIN §7 — no more); ``url`` is set only where the user may open the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from . import registry

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class HelpRecord:
    person_id: int
    kind: str  # 生活救助 / 帮扶超市物品 …
    unit: str  # who gave it
    on: datetime.date
    amount: Decimal | None  # yuan; None for goods counted in items
    state: str  # 已发放 / 待发放 …
    basis: str = ""  # the record's number, as staff name it
    url: str = ""  # empty when the user may not open it


@dataclass(frozen=True)
class HelpSource:
    # (person ids, year, the asking user) → the records, any order.
    records: Callable[[Collection[int], int, User], Iterable[HelpRecord]]
    # year → querysets of the ids of the people helped that year (each ``values("person_id")``-like;
    # several, since a union cannot be a subquery on every database).
    helped: Callable[[int], Iterable[QuerySet]]


def help_received(person_ids: Collection[int], year: int, user: User) -> list[HelpRecord]:
    """Every installed source's records for these people in ``year``, oldest first."""
    ids = {i for i in person_ids if i}
    if not ids:
        return []
    out = [r for source in registry.help_sources() for r in source.records(ids, year, user)]
    return sorted(out, key=lambda r: (r.on, r.kind, r.person_id))


def helped_people(year: int) -> list[QuerySet]:
    """Subqueries of person ids, from every installed source (empty: no source, nobody helped)."""
    return [qs for source in registry.help_sources() for qs in source.helped(year)]
