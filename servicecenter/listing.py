"""Paging shared by every list page: keyset pages, cheap counts, links that keep the filters.

    page = list_page(request, filterset.qs)              # ordering: the queryset's own, or Meta.ordering
    page = list_page(request, qs, ordering=["-at", "-id"])

Why not Django's ``Paginator``: it counts every matching row (``COUNT(*)`` over a million people
costs more than the page itself) and fetches page *n* with ``OFFSET (n-1)×50``, which reads and throws
away every row before it. Here:

- **Keyset pages.** A page link carries a *cursor*: the ordering values of the row the page starts
  after (or before). The next page is ``WHERE (ordering) > cursor ORDER BY … LIMIT 51``, which an
  index serves directly, so page 1000 costs what page 1 costs. The primary key is appended to the
  ordering so that it is total. "末页" is the first page of the reversed ordering. A malformed or
  stale cursor is ignored: the list starts again at page 1. A bare ``?page=N`` (typed, bookmarked)
  is served with a short ``OFFSET`` up to page ``MAX_NUMBERED_PAGE``.
- **Counts that cost little.** On the first page a result that fits on it is its own count. Otherwise
  the planner is asked first (``EXPLAIN``): when it expects many rows, or a count would be costly,
  the list shows its estimate ("约 630,000 条") and no ``COUNT`` runs at all; otherwise a count
  capped at ``EXACT_COUNT_LIMIT`` rows gives the exact figure. Databases without a planner estimate
  (SQLite) count up to the cap and say "10,000 条以上" beyond it.
- **A constant number of queries**: the page (1), and at most an ``EXPLAIN`` and a count (2–3);
  nothing per row. Related objects the template shows must be ``select_related`` by the caller.

Orderings that keyset paging cannot serve (expressions, nullable fields, ordering by a relation)
fall back to numbered pages (``OFFSET``) with the same counting rules.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import json
import math
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50
# Counts up to this many rows are exact; above it the page shows an estimate.
EXACT_COUNT_LIMIT = getattr(settings, "LIST_EXACT_COUNT_LIMIT", 10_000)
# PostgreSQL: a count the planner prices above this is not run (about 30–60 ms on a small server).
COUNT_COST_LIMIT = getattr(settings, "LIST_COUNT_COST_LIMIT", 20_000)

# ``?page=N`` without a cursor (typed, bookmarked) is served with OFFSET up to this page.
MAX_NUMBERED_PAGE = 100

CURSOR_PARAM = "cursor"
PAGE_PARAM = "page"
_PAGING_PARAMS = (CURSOR_PARAM, PAGE_PARAM)

NEXT, PREVIOUS, LAST = "n", "p", "l"


# --- the page ---------------------------------------------------------------------------------------


@dataclass
class ListPage:
    """One page of a list, with what the template needs to show it and link onwards."""

    items: list
    per_page: int
    number: int | None  # None when not known (a page reached backwards from the last one)
    has_next: bool
    has_previous: bool
    count: int | None  # matching rows: exact, estimated, or a lower bound (see count_kind)
    count_kind: str  # "exact" | "estimate" | "at_least" | "unknown"
    query: str  # the request's query string without paging parameters (filters, ordering)
    next_cursor: str | None = None
    previous_cursor: str | None = None
    keyset: bool = True
    _links: dict[str, str | None] = field(default_factory=dict, repr=False)

    # --- counts ---
    @property
    def count_is_exact(self) -> bool:
        return self.count_kind == "exact"

    @property
    def num_pages(self) -> int | None:
        if not self.count_is_exact or self.count is None:
            return None
        return max(1, math.ceil(self.count / self.per_page))

    @property
    def count_display(self) -> str:
        if self.count is None:
            return ""
        if self.count_kind == "exact":
            return f"共 {self.count:,} 条"
        if self.count_kind == "at_least":
            return f"{self.count:,} 条以上"
        return f"约 {_round_estimate(self.count):,} 条"

    # --- links (each keeps the filters) ---
    @property
    def first_url(self) -> str | None:
        return self._links.get("first")

    @property
    def previous_url(self) -> str | None:
        return self._links.get("previous")

    @property
    def next_url(self) -> str | None:
        return self._links.get("next")

    @property
    def last_url(self) -> str | None:
        return self._links.get("last")

    # --- what templates written for Django's Page use ---
    @property
    def object_list(self) -> list:
        return self.items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _round_estimate(n: int) -> int:
    """Two significant figures: an estimate should not look more precise than it is."""
    if n < 100:
        return n
    magnitude = 10 ** (len(str(n)) - 2)
    return round(n / magnitude) * magnitude


# --- entry points ------------------------------------------------------------------------------------


def list_page(request: HttpRequest, queryset: QuerySet, ordering: Sequence[str] | None = None, *,
              per_page: int = PAGE_SIZE, exact_limit: int | None = None) -> ListPage:
    """The page of ``queryset`` the request asks for (``?cursor=…`` / ``?page=…``).

    ``ordering`` defaults to the queryset's ``order_by()`` (e.g. from a django-filter
    ``OrderingFilter``), else the model's ``Meta.ordering``, else newest first by primary key.
    """
    exact_limit = EXACT_COUNT_LIMIT if exact_limit is None else exact_limit
    order = _ordering(queryset, ordering)
    params = request.GET.copy()
    for name in _PAGING_PARAMS:
        params.pop(name, None)
    query = params.urlencode()
    keys = _keyset(queryset.model, order)
    if keys is None:
        return _offset_page(request, queryset, order, per_page, exact_limit, query)
    return _keyset_page(request, queryset, keys, per_page, exact_limit, query)


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> tuple[ListPage, str]:
    """Older call style: ``(page, query string without paging parameters)``."""
    page = list_page(request, queryset, per_page=per_page)
    return page, page.query


# --- ordering and keys --------------------------------------------------------------------------------


def _ordering(queryset: QuerySet, ordering: Sequence[str] | None) -> list[Any]:
    if ordering:
        return list(ordering)
    query = queryset.query
    if query.order_by:
        return list(query.order_by)
    meta_ordering = query.get_meta().ordering
    if query.default_ordering and meta_ordering:
        return list(meta_ordering)
    return ["-pk"]


@dataclass(frozen=True)
class _Key:
    path: str  # ORM path, e.g. "name_initials" or "org_unit__path"
    field: models.Field
    descending: bool
    local_attname: str | None  # set when the value can be read straight off the row

    @property
    def alias(self) -> str:
        return "_listing_" + self.path.replace("__", "_")


def _keyset(model: type[models.Model], order: list[Any]) -> list[_Key] | None:
    """The keys to page by, or None when the ordering cannot be served by keyset paging."""
    keys: list[_Key] = []
    pk = model._meta.pk
    for item in order:
        if not isinstance(item, str) or item == "?" or "." in item:
            return None
        descending = item.startswith("-")
        path = item.lstrip("-+")
        resolved = _resolve(model, path)
        if resolved is None:
            return None
        fld, local = resolved
        keys.append(_Key(path=path if fld is not pk or not local else pk.attname, field=fld,
                         descending=descending, local_attname=fld.attname if local else None))
        if fld is pk and local:
            return keys
    # The primary key makes the order total; it follows the direction of the first key.
    keys.append(_Key(path=pk.attname, field=pk, descending=keys[0].descending if keys else True,
                     local_attname=pk.attname))
    return keys


def _resolve(model: type[models.Model], path: str) -> tuple[models.Field, bool] | None:
    parts = path.split("__")
    current = model
    fld: Any = None
    for n, part in enumerate(parts):
        try:
            fld = current._meta.pk if part == "pk" else current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if not getattr(fld, "concrete", False):
            return None
        if fld.is_relation:
            if n == len(parts) - 1:
                return None  # ordering by a relation means the related model's ordering
            current = fld.related_model
    if fld is None or fld.null:
        return None
    return fld, len(parts) == 1


# --- cursors -------------------------------------------------------------------------------------------


def _fingerprint(keys: list[_Key]) -> int:
    return zlib.crc32(",".join(("-" if k.descending else "") + k.path for k in keys).encode()) & 0xFFFF


def _encode_cursor(direction: str, keys: list[_Key], values: Sequence[Any] | None) -> str:
    payload = [direction, _fingerprint(keys), [_jsonable(v) for v in values] if values is not None else None]
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def _decode_cursor(token: str | None, keys: list[_Key]) -> tuple[str, list[Any] | None] | None:
    """``(direction, values)``, or None for anything malformed or made for another ordering."""
    if not token or len(token) > 2000:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, fingerprint, values = json.loads(raw)
        if direction not in (NEXT, PREVIOUS, LAST) or fingerprint != _fingerprint(keys):
            return None
        if direction == LAST:
            return direction, None
        if not isinstance(values, list) or len(values) != len(keys):
            return None
        typed = []
        for key, value in zip(keys, values, strict=True):
            if value is None or isinstance(value, dict | list):
                return None
            converted = key.field.to_python(value)
            key.field.run_validators(converted)  # e.g. an integer beyond the column's range
            typed.append(converted)
        return direction, typed
    except (ValueError, TypeError, ValidationError, binascii.Error, json.JSONDecodeError,
            UnicodeDecodeError, OverflowError):
        return None


def _after(keys: list[_Key], values: list[Any], *, reverse: bool = False) -> Q:
    """Rows after ``values`` in the keys' order (before them when ``reverse``)."""
    condition = Q()
    for n in range(len(keys) - 1, -1, -1):
        key = keys[n]
        greater = key.descending == reverse
        strict = Q(**{f"{key.path}__{'gt' if greater else 'lt'}": values[n]})
        condition = strict if n == len(keys) - 1 else strict | (Q(**{key.path: values[n]}) & condition)
    if len(keys) > 1:
        # Redundant, but gives the database a range on the first key's index.
        first = keys[0]
        greater = first.descending == reverse
        condition &= Q(**{f"{first.path}__{'gte' if greater else 'lte'}": values[0]})
    return condition


def _order_by(keys: list[_Key], *, reverse: bool = False) -> list[str]:
    return [("-" if key.descending != reverse else "") + key.path for key in keys]


def _with_keys(queryset: QuerySet, keys: list[_Key]) -> QuerySet:
    related = {k.alias: models.F(k.path) for k in keys if k.local_attname is None}
    return queryset.annotate(**related) if related else queryset


def _values(row: Any, keys: list[_Key]) -> list[Any]:
    return [getattr(row, k.local_attname or k.alias) for k in keys]


# --- keyset pages ---------------------------------------------------------------------------------------


def _page_number(request: HttpRequest) -> int | None:
    """The ``page`` parameter when it is a plausible page number above 1."""
    try:
        number = int(request.GET.get(PAGE_PARAM, ""))
    except ValueError:
        return None
    return number if 1 < number < 10**9 else None


def _keyset_page(request: HttpRequest, queryset: QuerySet, keys: list[_Key], per_page: int, exact_limit: int,
                 query: str) -> ListPage:
    qs = _with_keys(queryset, keys)
    forward, backward = _order_by(keys), _order_by(keys, reverse=True)
    cursor = _decode_cursor(request.GET.get(CURSOR_PARAM), keys)
    direction, values = cursor if cursor else (None, None)
    number = _page_number(request)  # with a cursor: only the number to show
    count: tuple[int | None, str] | None = None
    rows: list = []
    has_next = has_previous = False

    if direction == LAST:
        count = _count(queryset, exact_limit)
        size, number = per_page, None
        if count[1] == "exact" and count[0]:
            pages = max(1, math.ceil(count[0] / per_page))
            size, number = count[0] - (pages - 1) * per_page, pages
        rows = list(qs.order_by(*backward)[: size + 1])
        has_previous, rows = len(rows) > size, rows[:size]
        rows.reverse()
        number = number if has_previous else 1
    elif direction == PREVIOUS:
        assert values is not None  # _decode_cursor() has values for every direction but LAST
        rows = list(qs.filter(_after(keys, values, reverse=True)).order_by(*backward)[: per_page + 1])
        has_previous, rows = len(rows) > per_page, rows[:per_page]
        rows.reverse()
        has_next = True
        number = number if has_previous else 1
        if not has_previous and len(rows) < per_page:
            direction = None  # rows went away before this page: show a full first page instead
    elif direction == NEXT:
        assert values is not None  # as above
        rows = list(qs.filter(_after(keys, values)).order_by(*forward)[: per_page + 1])
        has_next, rows = len(rows) > per_page, rows[:per_page]
        has_previous = True
        if not rows:
            direction = None  # nothing after the cursor any more: start again at page 1
    elif number and number <= MAX_NUMBERED_PAGE:
        # A typed or bookmarked ``?page=N``: a short OFFSET is cheap; links from here on are keyset.
        offset = (number - 1) * per_page
        rows = list(qs.order_by(*forward)[offset: offset + per_page + 1])
        has_next, rows = len(rows) > per_page, rows[:per_page]
        has_previous = True
        direction = NEXT if rows else None
    if direction is None:
        rows = list(qs.order_by(*forward)[: per_page + 1])
        has_next, rows = len(rows) > per_page, rows[:per_page]
        has_previous, number = False, 1
        if not has_next:
            count = (len(rows), "exact")
    if count is None:
        count = _count(queryset, exact_limit)

    page = ListPage(items=rows, per_page=per_page, number=number, has_next=has_next, has_previous=has_previous,
                    count=count[0], count_kind=count[1], query=query)
    if rows:
        page.next_cursor = _encode_cursor(NEXT, keys, _values(rows[-1], keys)) if has_next else None
        page.previous_cursor = _encode_cursor(PREVIOUS, keys, _values(rows[0], keys)) if has_previous else None
    links: dict[str, str | None] = {"first": None, "previous": None, "next": None, "last": None}
    if has_previous:
        links["first"] = _link(query)
        links["previous"] = (_link(query) if number == 2 else
                             _link(query, page.previous_cursor, number - 1 if number else None))
    if has_next:
        links["next"] = _link(query, page.next_cursor, number + 1 if number else None)
        links["last"] = _link(query, _encode_cursor(LAST, keys, None), page.num_pages)
    page._links = links
    return page


def _link(query: str, cursor: str | None = None, number: int | None = None) -> str:
    parts = [query] if query else []
    if number and number > 1:
        parts.append(f"{PAGE_PARAM}={number}")
    if cursor:
        parts.append(f"{CURSOR_PARAM}={cursor}")
    return "?" + "&".join(parts)


# --- numbered pages (orderings keyset paging cannot serve) ---------------------------------------------


def _offset_page(request: HttpRequest, queryset: QuerySet, order: list[Any], per_page: int, exact_limit: int,
                 query: str) -> ListPage:
    try:
        number = max(1, min(int(request.GET.get(PAGE_PARAM, "1")), 10**6))
    except ValueError:
        number = 1
    qs = queryset.order_by(*order)
    start = (number - 1) * per_page
    rows = list(qs[start: start + per_page + 1])
    if not rows and number > 1:
        number, start = 1, 0
        rows = list(qs[: per_page + 1])
    has_next, rows = len(rows) > per_page, rows[:per_page]
    count = (start + len(rows), "exact") if not has_next else _count(queryset, exact_limit)
    page = ListPage(items=rows, per_page=per_page, number=number, has_next=has_next, has_previous=number > 1,
                    count=count[0], count_kind=count[1], query=query, keyset=False)
    links: dict[str, str | None] = {"first": None, "previous": None, "next": None, "last": None}
    if number > 1:
        links["first"] = _link(query)
        links["previous"] = _link(query, number=number - 1)
    if has_next:
        links["next"] = _link(query, number=number + 1)
        links["last"] = _link(query, number=page.num_pages) if page.num_pages else None
    page._links = links
    return page


# --- counting ------------------------------------------------------------------------------------------


def _count(queryset: QuerySet, limit: int) -> tuple[int | None, str]:
    """``(count, kind)``: exact up to ``limit`` rows when that is cheap, else the planner's estimate."""
    connection = connections[queryset.db]
    inner = queryset.order_by().values("pk")[: limit + 1]
    sql, params = inner.query.get_compiler(queryset.db).as_sql()
    count_sql = f"SELECT COUNT(*) FROM ({sql}) AS counted"  # noqa: S608 - SQL compiled by the ORM
    estimate = None
    if connection.vendor == "postgresql":
        estimate, cost = _explain(connection, count_sql, params)
        if estimate is not None and (estimate > 2 * limit or cost > COUNT_COST_LIMIT):
            return max(estimate, 0), "estimate"
    with connection.cursor() as cursor:
        cursor.execute(count_sql, params)
        counted = cursor.fetchone()[0]
    if counted <= limit:
        return counted, "exact"
    if estimate is not None:
        return max(estimate, counted), "estimate"
    return limit, "at_least"


def _explain(connection: Any, sql: str, params: Sequence[Any]) -> tuple[int | None, float]:
    """The planner's estimate of all matching rows (below the LIMIT) and the cost of the capped count."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    top = plan[0]["Plan"]
    node: dict | None = top
    while node is not None and node.get("Node Type") != "Limit":
        node = _outer(node)
    below = _outer(node) if node is not None else None
    rows = below.get("Plan Rows") if below is not None else None
    return (int(rows) if rows is not None else None), float(top.get("Total Cost", 0.0))


def _outer(node: dict) -> dict | None:
    """The node's input, skipping InitPlans and SubPlans (which EXPLAIN also lists as children)."""
    for child in node.get("Plans", ()):
        if child.get("Parent Relationship") not in ("InitPlan", "SubPlan"):
            return child
    return None
