"""Monthly figures: what each installed app declares (``registry.Figure``), computed for one unit
and period or for many at once, with the rates derived here, and the canonical form whose SHA-256
freezes an accepted summary.

- ``Period``: a month, quarter or year (``2026-03``, ``2026-Q1``, ``2026``) with its bounds.
- ``compute(unit, period)``: every app's ``compute_figures`` for the unit's subtree, keyed by app
  label: ``{"petitions": {"received": 12, …}}``. Rates are recomputed here from their numerator and
  denominator, so every level and every period derives them the same way (never an average of
  children's rates).
- ``table(tree, units, periods)``: the same for every unit × period, through each app's optional
  ``figure_table`` (a fixed number of queries); apps without one are asked unit by unit.
- ``tabulate(...)``: the helper an app's ``figure_table`` is built from. Additive figures are
  grouped by the record's own unit and period in one query and summed up the tree in Python;
  distinct ones are counted again in SQL for every level (one query per depth of the tree), because
  a person served by two stations is one person for their district.
- ``canonical(payload)`` / ``digest(payload)``: sorted-key compact JSON (money and rates as
  decimal strings), and its SHA-256.

The core names no app: everything here iterates ``registry.figure_apps()``.
"""

from __future__ import annotations

import calendar
import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from . import registry
from .models import OrgUnit
from .registry import Breakdown, Figure

Values = dict[str, Any]  # one app's figures: code → value
Figures = dict[str, Values]  # app label → its figures
ONE_DAY = datetime.timedelta(days=1)
MONEY_UNITS = ("元", "万元")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


# --- Periods -------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A span of whole days, ``first`` to ``last`` inclusive: a month, a quarter or a year."""

    first: datetime.date
    last: datetime.date
    kind: str = "month"  # month | quarter | year

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        first_month = 3 * (quarter - 1) + 1
        last = cls.month(year, first_month + 2).last
        return cls(datetime.date(year, first_month, 1), last, "quarter")

    @classmethod
    def whole_year(cls, year: int) -> Period:
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31), "year")

    @classmethod
    def parse(cls, key: str) -> Period:
        """``2026-03``, ``2026-Q1`` or ``2026``; ValueError with a Chinese message otherwise."""
        text = (key or "").strip().upper()
        try:
            if "-Q" in text:
                year, q = text.split("-Q")
                if not 1 <= int(q) <= 4:
                    raise ValueError
                return cls.quarter(_year(year), int(q))
            if "-" in text:
                year, month = text.split("-")
                if not 1 <= int(month) <= 12:
                    raise ValueError
                return cls.month(_year(year), int(month))
            return cls.whole_year(_year(text))
        except ValueError:
            raise ValueError(f"统计期间“{key}”无效，应为 2026-03（月）、2026-Q1（季度）或 2026（年）。") from None

    @classmethod
    def containing(cls, day: datetime.date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def year(self) -> int:
        return self.first.year

    @property
    def month_number(self) -> int:
        return self.first.month

    @property
    def key(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.year}-{self.first.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.year}年"
        if self.kind == "quarter":
            return f"{self.year}年第{(self.first.month - 1) // 3 + 1}季度"
        return f"{self.year}年{self.first.month}月"

    @property
    def short_label(self) -> str:
        return f"{self.first.month}月" if self.kind == "month" else self.label

    def previous(self) -> Period:
        if self.kind == "year":
            return Period.whole_year(self.year - 1)
        if self.kind == "quarter":
            before = self.first - ONE_DAY
            return Period.quarter(before.year, (before.month - 1) // 3 + 1)
        return Period.containing(self.first - ONE_DAY)

    def next(self) -> Period:
        return Period.containing(self.last + ONE_DAY) if self.kind == "month" else self

    def months(self) -> list[Period]:
        out, month = [], Period.containing(self.first)
        while month.first <= self.last:
            out.append(month)
            month = Period.containing(month.last + ONE_DAY)
        return out

    def ended(self, today: datetime.date | None = None) -> bool:
        return self.last < (today or timezone.localdate())

    def bounds(self, *, moments: bool) -> tuple[Any, Any]:
        """[start, end): aware datetimes (Beijing midnight) for a datetime column, dates otherwise."""
        if not moments:
            return self.first, self.last + ONE_DAY
        tz = timezone.get_current_timezone()
        return (datetime.datetime.combine(self.first, datetime.time.min, tzinfo=tz),
                datetime.datetime.combine(self.last + ONE_DAY, datetime.time.min, tzinfo=tz))

    def overlaps(self, other: Period) -> bool:
        return self.first <= other.last and other.first <= self.last

    def __str__(self) -> str:
        return self.label


def _year(text: str) -> int:
    year = int(text)
    if not 2000 <= year <= 2100:
        raise ValueError
    return year


def last_ended_month(today: datetime.date | None = None) -> Period:
    return Period.containing((today or timezone.localdate()).replace(day=1) - ONE_DAY)


# --- The unit tree ---------------------------------------------------------------------------------------


class UnitTree:
    """A unit and everything below it, read in one query, for summing figures up the tree."""

    def __init__(self, root: OrgUnit, units: Iterable[OrgUnit] | None = None) -> None:
        self.root = root
        loaded = list(units) if units is not None else list(OrgUnit.objects.filter(path__startswith=root.path)
                                                           .order_by("path"))
        self.by_id: dict[int, OrgUnit] = {u.pk: u for u in loaded if u.path.startswith(root.path)}
        self.by_id.setdefault(root.pk, root)
        self.children: dict[int, list[OrgUnit]] = {}
        for unit in sorted(self.by_id.values(), key=lambda u: u.path):
            if unit.pk != root.pk and unit.parent_id in self.by_id:
                self.children.setdefault(unit.parent_id, []).append(unit)
        self.max_depth = max(u.depth for u in self.by_id.values())

    def __contains__(self, unit: OrgUnit) -> bool:
        return unit.pk in self.by_id

    def units(self) -> list[OrgUnit]:
        return sorted(self.by_id.values(), key=lambda u: u.path)

    def children_of(self, unit: OrgUnit) -> list[OrgUnit]:
        return self.children.get(unit.pk, [])

    def below(self, unit: OrgUnit) -> list[OrgUnit]:
        """Everything strictly below ``unit``, in tree order."""
        return [u for u in self.units() if u.pk != unit.pk and u.path.startswith(unit.path)]

    def up(self, unit_id: int) -> Iterable[int]:
        """``unit_id`` and each unit above it, up to the root."""
        unit = self.by_id.get(unit_id)
        while unit is not None:
            yield unit.pk
            if unit.pk == self.root.pk:
                return
            unit = self.by_id.get(unit.parent_id)  # type: ignore[arg-type]


# --- tabulate: the helper behind an app's figure_table ---------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """The period a record falls in, as SQL expressions (for a figure such as "closed by the end of
    the month it was received in": ``Count("pk", filter=Q(closed_at__lt=bucket.end))``)."""

    start: Any
    end: Any


AggregateSpec = Aggregate | Callable[[Bucket], Aggregate]
AtEndSpec = Callable[[Period], "Q | Aggregate"]


def tabulate(queryset: QuerySet, tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period], *,
             unit_field: str = "org_unit", date_field: str | None = None,
             additive: Mapping[str, AggregateSpec] | None = None,
             distinct: Mapping[str, Aggregate] | None = None,
             at_end: Mapping[str, AtEndSpec] | None = None,
             into: dict[tuple[int, int], Values] | None = None) -> dict[tuple[int, int], Values]:
    """Figures of ``queryset`` for each of ``units`` (subtrees within ``tree``) and ``periods``.

    - ``additive``: aggregates over the records whose ``date_field`` falls in the period (a callable
      receives the record's ``Bucket``); one query grouped by (record's own unit, period), summed up
      the tree here.
    - ``distinct``: ``Count(…, distinct=True)`` aggregates, counted again in SQL for each depth at
      which a unit is asked for (one query per depth).
    - ``at_end``: a state at the end of each period (open and overdue on the last day …): per
      period a ``Q`` (counted) or an aggregate; one query grouped by the record's own unit.

    Every (unit, period) gets every code (0 when nothing matched). Overlapping periods are fine:
    they are run in separate passes. ``into``: add the codes to these dicts (several calls filling
    one table) instead of new ones.
    """
    codes = [*(additive or {}), *(distinct or {}), *(at_end or {})]
    ids = [u.pk for u in units]
    keys = [(pk, i) for pk in ids for i in range(len(periods))]
    out: dict[tuple[int, int], Values] = into if into is not None else {}
    zeros = dict.fromkeys(codes, 0)
    for key in keys:
        values = out.get(key)
        if values is None:
            out[key] = dict(zeros)
        else:
            values.update(zeros)
    if not units or not periods:
        return out
    wanted = set(ids)
    base = queryset.filter(**{f"{unit_field}__path__startswith": tree.root.path})
    unit_key = unit_field  # values("org_unit") gives the unit's id
    targets: dict[int, list[int]] = {}  # a record's own unit → the wanted units it counts for

    def credit(own_unit: int | None, period: int, values: Mapping[str, Any]) -> None:
        if own_unit is None:
            return
        above = targets.get(own_unit)
        if above is None:
            above = targets[own_unit] = [u for u in tree.up(own_unit) if u in wanted]
        for unit_id in above:
            target = out[(unit_id, period)]
            for code, value in values.items():
                if value:
                    target[code] = target[code] + value

    if date_field and (additive or distinct):
        moments = _is_datetime(queryset.model, date_field)
        for layer in _layers(periods):
            spans = [(i, *periods[i].bounds(moments=moments)) for i in layer]
            period_of = Case(*[When(**{f"{date_field}__gte": lo, f"{date_field}__lt": hi}, then=Value(i))
                               for i, lo, hi in spans], default=Value(-1), output_field=IntegerField())
            bound_field = DateTimeField() if moments else DateField()
            bucket = Bucket(
                start=Case(*[When(**{f"{date_field}__gte": lo, f"{date_field}__lt": hi}, then=Value(lo))
                             for i, lo, hi in spans], output_field=bound_field),
                end=Case(*[When(**{f"{date_field}__gte": lo, f"{date_field}__lt": hi}, then=Value(hi))
                           for i, lo, hi in spans], output_field=bound_field))
            in_layer = base.filter(**{f"{date_field}__gte": min(s[1] for s in spans),
                                      f"{date_field}__lt": max(s[2] for s in spans)})
            if additive:
                aggregates = {code: spec(bucket) if callable(spec) else spec for code, spec in additive.items()}
                rows = (in_layer.annotate(rp_period=period_of).values(unit_key, "rp_period")
                        .annotate(**aggregates).order_by())
                for row in rows:
                    if row["rp_period"] >= 0:
                        credit(row[unit_key], row["rp_period"], {c: row[c] for c in aggregates})
            if distinct:
                for depth in sorted({tree.by_id[u.pk].depth for u in units if u.pk in tree.by_id}):
                    rows = (in_layer.filter(**{f"{unit_field}__depth__gte": depth})
                            .annotate(rp_period=period_of, rp_unit=_ancestor_at(unit_field, depth, tree))
                            .values("rp_unit", "rp_period").annotate(**distinct).order_by())
                    for row in rows:
                        key = (row["rp_unit"], row["rp_period"])
                        if key in out:
                            out[key].update({c: row[c] or 0 for c in distinct})
    if at_end:
        aggregates = {}
        for code, spec in at_end.items():
            for i, period in enumerate(periods):
                made = spec(period)
                aggregates[f"rp_{code}_{i}"] = Count("pk", filter=made) if isinstance(made, Q) else made
        for row in base.values(unit_key).annotate(**aggregates).order_by():
            for i in range(len(periods)):
                credit(row[unit_key], i, {code: row[f"rp_{code}_{i}"] for code in at_end})
    return out


def _layers(periods: Sequence[Period]) -> list[list[int]]:
    """The periods' indices in groups of non-overlapping periods (a record falls in one bucket)."""
    layers: list[list[int]] = []
    for i, period in sorted(enumerate(periods), key=lambda p: p[1].first):
        for layer in layers:
            if not any(periods[j].overlaps(period) for j in layer):
                layer.append(i)
                break
        else:
            layers.append([i])
    return layers


def _ancestor_at(unit_field: str, depth: int, tree: UnitTree) -> Any:
    """The id of the record's unit's ancestor at ``depth`` (or the unit itself at that depth)."""
    if depth == tree.root.depth:
        return Value(tree.root.pk, output_field=IntegerField())
    if depth == tree.max_depth:
        return F(unit_field)
    return Case(*[When(**{f"{unit_field}__depth": own}, then=F(unit_field + "__parent" * (own - depth)))
                  for own in range(depth, tree.max_depth + 1)], output_field=IntegerField())


def _is_datetime(model: type[Model], path: str) -> bool:
    fld: Any = None
    for name in path.split("__"):
        fld = model._meta.get_field(name)
        if fld.is_relation:
            model = fld.related_model
    return isinstance(fld, DateTimeField)


# --- Figures of the installed apps -----------------------------------------------------------------------


@dataclass(frozen=True)
class FigureGroup:
    """One app's figures (or the core's own, ``servicecenter``) as the pages show them."""

    key: str
    name: str
    figures: tuple[Figure, ...]
    breakdowns: tuple[Breakdown, ...] = ()

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)


def app_groups() -> list[FigureGroup]:
    return [FigureGroup(app.label, app.name, app.figures, app.breakdowns) for app in registry.figure_apps()]


def rate(part: Any, whole: Any) -> Decimal | None:
    """``part`` ÷ ``whole`` × 100 with one decimal (half up); None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _number(figure: Figure, value: Any) -> Any:
    if type(value) is int and figure.unit not in MONEY_UNITS:
        return value
    if value is None:
        value = 0
    if isinstance(value, str):
        value = Decimal(value)
    if figure.unit in MONEY_UNITS:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


_PLANS: dict[int, tuple[Sequence[Figure], list[Figure], list[tuple[str, str, str]]]] = {}


def _plan(figures: Sequence[Figure]) -> tuple[list[Figure], list[tuple[str, str, str]]]:
    """The figures split once per declaration (``finish`` runs for every unit × period × app)."""
    plan = _PLANS.get(id(figures))
    if plan is None or plan[0] is not figures:
        plan = _PLANS[id(figures)] = (figures, [f for f in figures if f.kind != "rate"],
                                      [(f.code, f.numerator, f.denominator) for f in figures if f.kind == "rate"])
    return plan[1], plan[2]


def finish(figures: Sequence[Figure], raw: Mapping[str, Any]) -> Values:
    """The declared figures from an app's raw answer: counts and sums as numbers (missing: 0;
    money with two decimals), rates derived from their numerator and denominator."""
    plain, rates = _plan(figures)
    out: Values = {}
    for f in plain:
        value = raw.get(f.code)
        out[f.code] = value if type(value) is int and f.unit not in MONEY_UNITS else _number(f, value)
    for code, numerator, denominator in rates:
        out[code] = rate(out.get(numerator), out.get(denominator))
    return out


def compute(unit: OrgUnit, period: Period) -> Figures:
    """Every installed app's figures for ``unit`` and everything below it, for ``period`` (the
    caller has checked that the user may see ``unit``)."""
    return {app.label: finish(app.figures, app.compute_figures(unit, period.first, period.last))  # type: ignore[misc]
            for app in registry.figure_apps()}


def compute_breakdowns(unit: OrgUnit, period: Period) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for app in registry.figure_apps():
        if app.breakdowns and app.compute_breakdowns is not None:
            raw = app.compute_breakdowns(unit, period.first, period.last)
            out[app.label] = {b.code: {str(k): _plain(v) for k, v in (raw.get(b.code) or {}).items()}
                              for b in app.breakdowns}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value if value is not None else 0


def table(tree: UnitTree, units: Sequence[OrgUnit], periods: Sequence[Period]) -> dict[tuple[int, int], Figures]:
    """``compute`` for every unit × period: each app's ``figure_table`` when it declares one (a
    fixed number of queries), else its ``compute_figures`` once per unit and period."""
    ids = [u.pk for u in units]
    out: dict[tuple[int, int], Figures] = {(pk, i): {} for pk in ids for i in range(len(periods))}
    if not units or not periods:
        return out
    for app in registry.figure_apps():
        if app.figure_table is not None:
            raw = app.figure_table(tree, units, periods)
        else:
            raw = {(u.pk, i): app.compute_figures(u, p.first, p.last)  # type: ignore[misc]
                   for u in units for i, p in enumerate(periods)}
        for key, values in out.items():
            values[app.label] = finish(app.figures, raw.get(key) or {})
    return out


def add_up(groups: Sequence[FigureGroup], parts: Sequence[Figures], whole: Figures | None = None) -> Figures:
    """Figures of a longer period from its months: additive figures summed, distinct ones taken
    from ``whole`` (computed from the records over the whole period: a person helped in two months
    is one person for the quarter), rates derived again."""
    out: Figures = {}
    for group in groups:
        raw: Values = {}
        for f in group.figures:
            if f.kind == "additive":
                raw[f.code] = sum((p.get(group.key, {}).get(f.code) or 0 for p in parts), 0)
            elif f.kind == "distinct":
                raw[f.code] = (whole or {}).get(group.key, {}).get(f.code)
        out[group.key] = finish(group.figures, raw)
        for f in group.figures:  # a distinct figure not computed for the whole period stays unknown
            if f.kind == "distinct" and whole is None:
                out[group.key][f.code] = None
    return out


# --- Differences -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    group: FigureGroup
    figure: Figure
    old: Any
    new: Any

    @property
    def delta(self) -> Any:
        if self.old is None or self.new is None:
            return None
        return Decimal(str(self.new)) - Decimal(str(self.old)) if self.figure.kind == "rate" else self.new - self.old


def diff(groups: Sequence[FigureGroup], old: Figures, new: Figures) -> list[Change]:
    """The figures that differ between ``old`` and ``new``, in declared order."""
    out = []
    for group in groups:
        for f in group.figures:
            a, b = _num(old.get(group.key, {}).get(f.code)), _num(new.get(group.key, {}).get(f.code))
            if a != b:
                out.append(Change(group, f, a, b))
    return out


def _num(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


# --- Canonical form and hash -----------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """Figures as JSON values: Decimals become decimal strings (exact; a float would not be)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """Stored figures back as numbers (decimal strings → Decimal)."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    if isinstance(value, Mapping):
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def canonical(payload: Any) -> str:
    """One text for one content: keys sorted, no spaces, UTF-8 as is, numbers as ``to_json``."""
    return json.dumps(to_json(payload), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def digest(payload: Any) -> str:
    return hashlib.sha256(canonical(payload).encode("utf-8")).hexdigest()


# --- Showing a value -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    figure: Figure
    value: Any
    group: FigureGroup | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return display(self.figure, self.value)


def display(figure: Figure, value: Any) -> str:
    value = _num(value)
    if value is None:
        return "—"
    if figure.kind == "rate":
        return f"{Decimal(value):.1f}%"
    if figure.unit in MONEY_UNITS:
        return f"{Decimal(value):,.2f}"
    return f"{value}"
