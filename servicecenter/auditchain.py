"""Tamper evidence for the audit log: every row carries an HMAC chained to the previous row.

``row_hash = HMAC(key, prev_hash ‖ canonical(row))`` where ``prev_hash`` is the ``row_hash`` of the
row before it in the same chain (by id). Changing, deleting or inserting a row by hand breaks the
chain at that row: ``manage.py verify_audit_chain`` recomputes it and reports the first break.

- **The key** (``AUDIT_CHAIN_KEY``, by default derived from ``FIELD_ENCRYPTION_KEY``) is not in the
  database, so someone who can write to the database alone cannot forge a row that verifies. Whoever
  holds the application's keys can; that is what keeping the keys off the database server is for.
- **Chains.** On PostgreSQL a writer takes one of ``CHAINS`` transaction-level advisory locks (the
  first free one) and appends to that chain; the lock is held until its transaction ends, so a
  chain's rows are appended one at a time in id order, and two transactions writing audit rows at
  once do not wait for each other. A rolled-back row is gone from the chain with its transaction.
  SQLite has one writer at a time (``BEGIN IMMEDIATE``): one chain.
- **Not detected**: removing the newest rows of a chain (nothing after them points back). The verify
  command prints each chain's last id and hash, so an operator who keeps that output elsewhere
  (the CI log, a ticket) can tell that rows went missing since. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections
from django.utils.ipv6 import clean_ipv6_address

CHAINS = 16
_local = threading.local()
_LOCK_CLASS = 0x5C_A0D1  # advisory lock namespace for the chains (any constant of our own)

HASHED_FIELDS = ("at", "user_id", "username", "ip", "event", "target_type", "target_id", "target_repr",
                 "outcome", "detail", "action", "target_label", "old_values", "new_values", "chain")


@lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"servicecenter", info=b"audit-chain").derive(
        secret.encode())


def _secret() -> str:
    return getattr(settings, "AUDIT_CHAIN_KEY", "") or settings.FIELD_ENCRYPTION_KEY


def canonical(values: dict[str, Any]) -> bytes:
    out: dict[str, Any] = {}
    for name in HASHED_FIELDS:
        value = values.get(name)
        if name == "at" and value is not None:
            value = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        elif name == "ip" and value and ":" in value:
            value = clean_ipv6_address(value)
        elif name in ("user_id", "chain") and value is not None:
            value = int(value)
        out[name] = value if value is not None else ""
    return json.dumps(out, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def row_hash(prev_hash: str, values: dict[str, Any]) -> str:
    return hmac.new(_key(_secret()), (prev_hash or "").encode() + b"\n" + canonical(values), hashlib.sha256).hexdigest()


def take_chain(using: str = "default") -> int:
    """The chain this transaction appends to (call inside ``transaction.atomic``)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return 0
    # A thread keeps to the chain it had last (long chains, so a removed row is seen by the next
    # row of its chain), and moves on only while another transaction holds that one.
    start = getattr(_local, "chain", None)
    if start is None:
        start = random.randrange(CHAINS)  # noqa: S311 - spreading writers, not a secret
    with connection.cursor() as cursor:
        for n in range(CHAINS):
            chain = (start + n) % CHAINS
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, chain])
            if cursor.fetchone()[0]:
                _local.chain = chain
                return chain
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, start])
    return start


def last_hash(chain: int) -> str:
    from .models import AuditEvent

    last = (AuditEvent.objects.filter(chain=chain, row_hash__isnull=False).order_by("-id")
            .values_list("row_hash", flat=True).first())
    return last or ""


@dataclass
class Break:
    event_id: int
    chain: int | None
    reason: str


@dataclass
class Report:
    rows: int
    unchained: int  # rows written before the chain existed (the oldest ones)
    heads: dict[int, tuple[int, str]]  # chain → (last id, last hash)
    first_break: Break | None


def verify(batch: int = 2000) -> Report:
    """Walk every chain in id order; the first row whose hash or link does not match is the break."""
    from .models import AuditEvent

    heads: dict[int, tuple[int, str]] = {}
    rows = unchained = 0
    seen_chained = False
    for row in _rows(AuditEvent, batch):
        rows += 1
        if row["row_hash"] is None and row["chain"] is None:
            if seen_chained:
                return Report(rows, unchained, heads, Break(row["id"], None, "该行没有校验码（链开始之后写入）"))
            unchained += 1
            continue
        seen_chained = True
        chain = row["chain"]
        if chain is None:
            return Report(rows, unchained, heads, Break(row["id"], None, "该行没有链号"))
        prev = heads.get(chain, (0, ""))[1]
        if (row["prev_hash"] or "") != prev:
            return Report(rows, unchained, heads,
                          Break(row["id"], chain, "与前一行不衔接（前面的行被删除、插入或修改）"))
        if not hmac.compare_digest(row_hash(prev, row), row["row_hash"] or ""):
            return Report(rows, unchained, heads, Break(row["id"], chain, "校验码不符（该行内容被修改或伪造）"))
        heads[chain] = (row["id"], row["row_hash"])
    return Report(rows, unchained, heads, None)


def _rows(model: Any, batch: int) -> Iterator[dict[str, Any]]:
    last = 0
    fields = ("id", "prev_hash", "row_hash", *HASHED_FIELDS)
    while True:
        chunk = list(model.objects.filter(id__gt=last).order_by("id").values(*fields)[:batch])
        if not chunk:
            return
        yield from chunk
        last = chunk[-1]["id"]
