"""Gap-free case numbers per (kind, unit, year), e.g. ``XF-330604-2026-00017``.

One ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` both creates the counter and increments it; the
row stays locked until the caller's transaction ends, so concurrent requests queue on it and a
rolled-back record hands its number back. Call it inside the transaction that saves the record.
"""

from __future__ import annotations

from django.db import connection

from .models import OrgUnit, Sequence


def next_number(kind: str, unit: OrgUnit, year: int) -> int:
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that saves the record")
    table = Sequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, org_unit_id, year, last) VALUES (%s, %s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (kind, org_unit_id, year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [kind, unit.pk, year],
        )
        return cursor.fetchone()[0]


def case_number(kind: str, unit: OrgUnit, year: int) -> str:
    """Issue the next formatted number, e.g. ``case_number("XF", unit, 2026)``."""
    return format_case_number(kind, unit, year, next_number(kind, unit, year))


def format_case_number(kind: str, unit: OrgUnit, year: int, seq: int) -> str:
    return f"{kind}-{unit.code}-{year}-{seq:05d}"

