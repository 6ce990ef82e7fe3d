"""Every number in DOMAIN.md as data: declared here with its default, set per unit (and year).

A unit without its own value inherits the nearest one above it; with none set anywhere the
declared default applies. ``param(key, unit)`` is the only reader. The core declares its own numbers here; each app declares
its own in its ``ServiceApp`` (``registry.py``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from . import registry
from .models import OrgUnit, Parameter


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: str
    kind: type  # int, Decimal or bool
    default: Any
    unit: str = ""
    per_year: bool = False
    source: str = ""
    minimum: int | Decimal = 0  # numbers only: the smallest value that makes sense

    def parse(self, raw: str) -> Any:
        text = (raw or "").strip()
        try:
            if self.kind is bool:
                if text.lower() in {"1", "true", "yes", "是"}:
                    return True
                if text.lower() in {"0", "false", "no", "否"}:
                    return False
                raise ValueError(text)
            value = int(text) if self.kind is int else Decimal(text)
            if isinstance(value, Decimal) and not value.is_finite():
                raise ValueError(text)
        except (ValueError, InvalidOperation):
            kind = {bool: "是/否", int: "整数", Decimal: "数字"}[self.kind]
            raise ValidationError(f"“{self.label}”应为{kind}，收到“{raw}”。", code="invalid") from None
        if value < self.minimum:
            raise ValidationError(f"“{self.label}”不能小于{self.minimum}，收到“{raw}”。", code="min_value")
        return value


# The core's own numbers; each app declares its own in its ``ServiceApp.parameters``.
CORE_SPECS = [
    ParameterSpec("clock.roll_to_working_day", "按自然日计算的期限落在节假日或周末时顺延至下一个工作日", bool, True,
                  source="通行做法（期限届满日为法定节假日的，以节假日后第一日为期满日）"),
    ParameterSpec("clock.due_soon_days", "即将到期提醒（到期前天数）", int, 3, "天"),
    ParameterSpec("exports.background_rows", "导出转后台处理的行数", int, 50000, "行"),
    ParameterSpec("reports.due_day", "月度汇总报送期限（次月第几日，服务站）", int, 5, "日",
                  source="DOMAIN §3 [000]（每月一次报总工会备案）", minimum=1),
    ParameterSpec("reports.review_days", "每上一级审核汇总顺延的天数", int, 5, "天", minimum=0),
    ParameterSpec("reports.files_monthly", "本单位按月报送月度汇总", bool, True),
    ParameterSpec("reports.adjustment_months", "报送时核对以往已审核月份的月数", int, 12, "个月", minimum=1),
]


class _Specs(Mapping[str, ParameterSpec]):
    """Every declared parameter: the core's and those of the installed apps, read when asked (so
    an app that is not installed has no parameters)."""

    def _all(self) -> dict[str, ParameterSpec]:
        return {s.key: s for s in [*CORE_SPECS, *registry.parameter_specs()]}

    def __getitem__(self, key: str) -> ParameterSpec:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


SPECS: Mapping[str, ParameterSpec] = _Specs()


def param(key: str, unit: OrgUnit, year: int | None = None) -> Any:
    """The value in force for ``unit`` (and ``year``): the nearest unit up the tree that sets it,
    a year-specific value before an any-year one at the same unit."""
    try:
        spec = SPECS[key]
    except KeyError:
        raise LookupError(f"未声明的参数：{key}") from None
    rows = Parameter.objects.filter(key=key, org_unit__path__in=unit.ancestor_paths())
    if spec.per_year and year:
        rows = rows.filter(Q(year=year) | Q(year__isnull=True))
    else:
        rows = rows.filter(year__isnull=True)
    best = None
    for value, depth, row_year in rows.values_list("value", "org_unit__depth", "year"):
        rank = (depth, row_year is not None)
        if best is None or rank > best[0]:
            best = (rank, value)
    return spec.parse(best[1]) if best else spec.default


def param_many(key: str, units: Iterable[OrgUnit], year: int | None = None) -> dict[int, Any]:
    """``param(key, unit, year)`` for many units in one query (a roll-up of a thousand stations
    asks once, not a thousand times): the same nearest-unit-up-the-tree rule."""
    return param_table([key], units, year)[key]


def param_table(keys: Iterable[str], units: Iterable[OrgUnit], year: int | None = None) -> dict[str, dict[int, Any]]:
    """Several parameters for many units, in one query: ``{key: {unit pk: value}}``."""
    keys = list(keys)
    units = list(units)
    specs = {}
    for key in keys:
        try:
            specs[key] = SPECS[key]
        except KeyError:
            raise LookupError(f"未声明的参数：{key}") from None
    at_path: dict[tuple[str, str], tuple[bool, str]] = {}
    rows = Parameter.objects.filter(key__in=keys)
    for key, value, path, row_year in rows.values_list("key", "value", "org_unit__path", "year"):
        spec = specs[key]
        if row_year is not None and not (spec.per_year and year and row_year == year):
            continue
        specific = row_year is not None
        if (key, path) not in at_path or specific > at_path[(key, path)][0]:
            at_path[(key, path)] = (specific, value)
    out: dict[str, dict[int, Any]] = {}
    for key, spec in specs.items():
        values = out[key] = {}
        for unit in units:
            raw = next((at_path[(key, p)][1] for p in reversed(unit.ancestor_paths()) if (key, p) in at_path), None)
            values[unit.pk] = spec.parse(raw) if raw is not None else spec.default
    return out


def validate_parameter(key: str, raw: str) -> None:
    if key not in SPECS:
        raise ValidationError({"key": "未知参数。"})
    SPECS[key].parse(raw)


# --- Values with where they come from ------------------------------------------------------------


@dataclass(frozen=True)
class ValueInForce:
    """A parameter's value for a unit (and year) and where it comes from, for records that must say
    later which numbers they used: the unit whose row applies (empty for the declared default), the
    row's year (per-year parameters) and when the row was last changed."""

    key: str
    value: Any
    unit_code: str = ""
    unit_name: str = ""
    year: int | None = None
    changed_at: datetime.datetime | None = None

    @property
    def is_default(self) -> bool:
        return not self.unit_code


def values_in_force(keys: Iterable[str], unit: OrgUnit, year: int | None = None) -> dict[str, ValueInForce]:
    """``param(key, unit, year)`` for several keys at once, in one query, each with its source.
    The same choice as ``param``: the nearest unit up the tree, a year-specific row before an
    any-year one at the same unit (per-year parameters only)."""
    specs = {}
    for key in keys:
        try:
            specs[key] = SPECS[key]
        except KeyError:
            raise LookupError(f"未声明的参数：{key}") from None
    if not specs:
        return {}
    yearly = [k for k, s in specs.items() if s.per_year] if year else []
    rows = Parameter.objects.filter(key__in=list(specs), org_unit__path__in=unit.ancestor_paths()).filter(
        Q(year__isnull=True) | Q(key__in=yearly, year=year))
    best: dict[str, tuple[tuple[int, bool], tuple]] = {}
    for row in rows.values_list("key", "value", "org_unit__depth", "org_unit__code", "org_unit__name", "year",
                                "changed_at"):
        rank = (row[2], row[5] is not None)
        if row[0] not in best or rank > best[row[0]][0]:
            best[row[0]] = (rank, row)
    out = {}
    for key, spec in specs.items():
        if key in best:
            _, (_, raw, _, code, name, row_year, changed) = best[key]
            out[key] = ValueInForce(key, spec.parse(raw), code, name, row_year, changed)
        else:
            out[key] = ValueInForce(key, spec.default)
    return out
