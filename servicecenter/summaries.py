"""Monthly summaries (月度汇总) filed up the hierarchy: each station with its district, each district
with the city, the city on record (备案) for the higher union (DOMAIN §3: 每月一次报总工会备案; §8).

Rules (the transition table ``SUMMARY_FLOW`` is the one place they are checked):

- Who reports: active units of the regional chain (city, district, station) unless the parameter
  ``reports.files_monthly`` is off for them; the industry chain and service posts do not.
- A summary is the unit's own: only its staff edit and submit it (``summary_file``: station worker,
  supervisor). Only the unit directly above accepts it, returns it with a reason, waives a child's
  month with a reason, or re-opens an accepted one with a reason (``summary_accept``: supervisor).
- A unit submits only after the month has ended and each reporting unit directly below it has been
  accepted or waived. The top unit (no parent in the system) files its summary on record instead:
  the same conditions, and it is frozen at once.
- Re-opening goes top-down only: a child's accepted summary can be re-opened only while the
  parent's summary for that month is not submitted or accepted. No role bypasses any of this: no
  admin page edits summaries and the model refuses to rewrite accepted figures.
- Due: the parameter day ``reports.due_day`` of the next month for a unit with no reporting units
  below it, ``reports.review_days`` later for each reporting level below (a district needs time to
  review its stations). On time = first submitted (or filed) on or before the due day; a return
  for correction does not make it late.
- Figures: submitting takes a snapshot (every installed app's figures for the unit's subtree,
  the breakdowns, the core's own reporting figures) plus the adjustment lines — changes found in
  earlier accepted months of the unit since they were frozen (records back-dated or corrected).
  Accepting stores the SHA-256 of the snapshot's canonical form; later changes to records never
  move it — they show as adjustment lines in the next summary submitted.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import access, figures, timeline
from .figures import FigureGroup, Figures, Period, UnitTree
from .models import MonthlySummary, OrgUnit
from .parameters import param, param_table
from .registry import Figure
from .workflow import Guard, Workflow, refuse, step

if TYPE_CHECKING:
    from .models import User

S = MonthlySummary.Status
SUMMARY_FILE = "summary_file"
SUMMARY_ACCEPT = "summary_accept"
REPORTING_KINDS = (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT, OrgUnit.Kind.STATION)
OPEN_STATES = (S.DRAFT, S.RETURNED)
DONE_STATES = (S.ACCEPTED, S.WAIVED)
REPORTED_STATES = (S.SUBMITTED, S.ACCEPTED)  # the figures are the stored snapshot
TEXT_FIELDS = ("work_done", "problems", "next_plan")
TEXT_MAX = 5000
CORE_GROUP = "servicecenter"


def period_of(summary: MonthlySummary) -> Period:
    return Period.month(summary.year, summary.month)


# --- Who reports, to whom, by when ---------------------------------------------------------------------


class Chain:
    """The reporting chain in a subtree: which units report, their reporting children, due dates.
    Two queries (the units, the parameters) whatever the size of the tree."""

    def __init__(self, tree: UnitTree) -> None:
        self.tree = tree
        units = tree.units()
        values = param_table(["reports.files_monthly", "reports.due_day", "reports.review_days"], units)
        files = values["reports.files_monthly"]
        self.due_day, self.review_days = values["reports.due_day"], values["reports.review_days"]
        self.reporting = {u.pk for u in units if u.is_active and u.kind in REPORTING_KINDS and files[u.pk]}
        self._height: dict[int, int] = {}
        self._children: dict[int, list[OrgUnit]] = {}
        self._due: dict[tuple[int, datetime.date], datetime.date] = {}

    @classmethod
    def of(cls, unit: OrgUnit) -> Chain:
        return cls(UnitTree(unit))

    def reports(self, unit: OrgUnit) -> bool:
        return unit.pk in self.reporting

    def children(self, unit: OrgUnit) -> list[OrgUnit]:
        """Reporting units directly below ``unit`` (they file with it)."""
        found = self._children.get(unit.pk)
        if found is None:
            found = self._children[unit.pk] = [c for c in self.tree.children_of(unit) if c.pk in self.reporting]
        return found

    def below(self, unit: OrgUnit) -> list[OrgUnit]:
        """Every reporting unit under ``unit`` whose chain up to it reports (tree order)."""
        out = []
        for child in self.children(unit):
            out.append(child)
            out.extend(self.below(child))
        return out

    def height(self, unit: OrgUnit) -> int:
        if unit.pk not in self._height:
            self._height[unit.pk] = max((self.height(c) + 1 for c in self.children(unit)), default=0)
        return self._height[unit.pk]

    def due(self, unit: OrgUnit, period: Period) -> datetime.date:
        key = (unit.pk, period.first)
        if key not in self._due:
            day = self.due_day[unit.pk] + self.review_days[unit.pk] * self.height(unit)
            following = period.next()
            self._due[key] = following.first.replace(day=min(day, following.last.day))
        return self._due[key]


def due_date(unit: OrgUnit, period: Period) -> datetime.date:
    return Chain.of(unit).due(unit, period)


def must_report(unit: OrgUnit) -> bool:
    return (unit.is_active and unit.kind in REPORTING_KINDS
            and bool(param("reports.files_monthly", unit)))


def on_time(summary: MonthlySummary | None, due: datetime.date) -> bool:
    return bool(summary and summary.first_submitted_at and timezone.localdate(summary.first_submitted_at) <= due)


@dataclass(frozen=True)
class Timeliness:
    """How a unit's month stands against its due date (what the parent sees highlighted)."""

    due: datetime.date
    summary: MonthlySummary | None
    today: datetime.date

    @property
    def status(self) -> str:
        return self.summary.status if self.summary else ""

    @property
    def submitted(self) -> bool:
        return bool(self.summary and self.summary.first_submitted_at)

    @property
    def waived(self) -> bool:
        return self.status == S.WAIVED

    @property
    def late(self) -> bool:
        """Submitted after the due day, or not submitted and the due day has passed."""
        if self.waived:
            return False
        if self.submitted:
            return not on_time(self.summary, self.due)
        return self.today > self.due

    @property
    def missing(self) -> bool:
        return not self.waived and not self.submitted

    @property
    def label(self) -> str:
        if self.summary is None:
            return "未填报"
        return self.summary.get_status_display()


# --- The core's own figures: timeliness of the units below --------------------------------------------

REPORTING_FIGURES = (
    Figure("units_due", "应报下级单位", counts_by="报送期限", kind="distinct", unit="个",
           note="下级各级中须报送、未免报，且已报送或已过报送期限的单位数"),
    Figure("units_on_time", "按时报送", counts_by="首次报送时间", kind="distinct", unit="个"),
    Figure("units_late", "逾期报送或逾期未报", counts_by="报送期限", kind="distinct", unit="个"),
    Figure("units_waived", "免报", counts_by="上级决定", kind="distinct", unit="个"),
    Figure("on_time_rate", "报送及时率", kind="rate", unit="%", numerator="units_on_time", denominator="units_due",
           note="按时报送单位数 ÷ 应报下级单位数", headline=True),
)
REPORTING_GROUP = FigureGroup(CORE_GROUP, "月度汇总报送", REPORTING_FIGURES)


def groups() -> list[FigureGroup]:
    """Every figure group shown on a summary: each installed app's, then the core's own."""
    return [*figures.app_groups(), REPORTING_GROUP]


def reporting_table(chain: Chain, units: Sequence[OrgUnit], periods: Sequence[Period],
                    today: datetime.date | None = None,
                    rows: dict[tuple[int, int, int], MonthlySummary] | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """The reporting figures of each unit (over every reporting unit below it) and period (a longer
    period counts unit-months). One query for the summaries (none when ``rows`` are given); each
    unit's month is classified once and the counts are added up the chain."""
    today = today or timezone.localdate()
    months = sorted({m for p in periods for m in p.months()})
    rows = summaries_for(chain.tree.root, months) if rows is None else rows
    below: dict[Period, dict[int, list[int]]] = {}
    for month in months:
        counts: dict[int, list[int]] = {}

        def visit(unit: OrgUnit, month: Period = month, counts: dict[int, list[int]] = counts) -> list[int]:
            if unit.pk in counts:
                return counts[unit.pk]
            total = [0, 0, 0, 0]  # due, on time, late, waived
            for child in chain.children(unit):
                sub = visit(child)
                for k in range(4):
                    total[k] += sub[k]
                s = rows.get((child.pk, month.year, month.month_number))
                due = chain.due(child, month)
                if s is not None and s.status == S.WAIVED:
                    total[3] += 1
                elif s is not None and s.first_submitted_at:
                    total[0] += 1
                    total[1 if timezone.localdate(s.first_submitted_at) <= due else 2] += 1
                elif today > due:
                    total[0] += 1
                    total[2] += 1
            counts[unit.pk] = total
            return total

        for unit in units:
            visit(unit)
        below[month] = counts
    out = {}
    for i, period in enumerate(periods):
        spans = period.months()
        for unit in units:
            due = on_time = late = waived = 0
            for month in spans:
                c = below[month][unit.pk]
                due, on_time, late, waived = due + c[0], on_time + c[1], late + c[2], waived + c[3]
            out[(unit.pk, i)] = figures.finish(REPORTING_FIGURES, {"units_due": due, "units_on_time": on_time,
                                                                   "units_late": late, "units_waived": waived})
    return out


def summaries_for(root: OrgUnit, months: Sequence[Period]) -> dict[tuple[int, int, int], MonthlySummary]:
    """The summaries of ``root``'s subtree for ``months``, by (unit, year, month): one query."""
    if not months:
        return {}
    when = Q()
    for m in months:
        when |= Q(year=m.year, month=m.month_number)
    qs = MonthlySummary.objects.filter(when, org_unit__path__startswith=root.path)
    return {(s.org_unit_id, s.year, s.month): s for s in qs}


# --- Snapshot, hash, adjustments -------------------------------------------------------------------------


def live_figures(unit: OrgUnit, period: Period, chain: Chain | None = None) -> Figures:
    """The unit's figures for the month as the records stand now (every app + the core's own)."""
    out = figures.compute(unit, period)
    out[CORE_GROUP] = reporting_table(chain or Chain.of(unit), [unit], [period])[(unit.pk, 0)]
    return out


def snapshot(unit: OrgUnit, period: Period, chain: Chain | None = None) -> dict[str, Any]:
    return {"values": figures.to_json(live_figures(unit, period, chain)),
            "breakdowns": figures.to_json(figures.compute_breakdowns(unit, period))}


def payload(summary: MonthlySummary) -> dict[str, Any]:
    """What the hash covers: whose figures, for which month, the figures and the adjustment lines."""
    return {"unit": summary.org_unit.code, "period": summary.period_key, "figures": summary.figures,
            "adjustments": summary.adjustments}


def verify(summary: MonthlySummary) -> bool:
    """Whether the stored figures still match the hash taken when the summary was accepted."""
    return bool(summary.sha256) and figures.digest(payload(summary)) == summary.sha256


def stored_values(summary: MonthlySummary) -> Figures:
    return figures.from_json((summary.figures or {}).get("values", {}))


def stored_breakdowns(summary: MonthlySummary) -> dict[str, dict[str, dict[str, Any]]]:
    return figures.from_json((summary.figures or {}).get("breakdowns", {}))


def adjustments(unit: OrgUnit, period: Period, *, exclude: MonthlySummary | None = None,
                tree: UnitTree | None = None) -> list[dict[str, Any]]:
    """Adjustment lines for ``unit``'s summary of ``period``: for each earlier month (within
    ``reports.adjustment_months``) whose summary is accepted, the figures that differ between the
    records now and the frozen figures plus the adjustments already reported against that same
    frozen version in the unit's other submitted summaries. A fixed number of queries."""
    window = param("reports.adjustment_months", unit)
    months, month = [], period
    for _ in range(window):
        month = month.previous()
        months.append(month)
    accepted = [s for s in summaries_for_unit(unit, months).values() if s.status == S.ACCEPTED and s.sha256]
    if not accepted:
        return []
    accepted.sort(key=lambda s: (s.year, s.month))
    periods = [period_of(s) for s in accepted]
    live = figures.table(tree or UnitTree(unit), [unit], periods)
    reported: dict[tuple[str, str], list[dict[str, Any]]] = {}
    others = MonthlySummary.objects.filter(org_unit=unit, status__in=REPORTED_STATES)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    for lines in others.values_list("adjustments", flat=True):
        for line in lines or []:
            reported.setdefault((line["period"], line["against"]), []).append(line)
    out = []
    app_groups = figures.app_groups()
    for i, (summary, month) in enumerate(zip(accepted, periods, strict=True)):
        base = stored_values(summary)
        for line in reported.get((month.key, summary.sha256), []):
            for change in line["changes"]:
                if change.get("delta") is not None:
                    values = base.setdefault(change["group"], {})
                    values[change["code"]] = (values.get(change["code"]) or 0) + figures.from_json(change["delta"])
        now = live[(unit.pk, i)]
        changes = []
        for group in app_groups:
            before, after = base.get(group.key, {}), now.get(group.key, {})
            for f in group.figures:
                if f.kind == "rate":
                    continue
                old, new = before.get(f.code) or 0, after.get(f.code) or 0
                if old != new:
                    changes.append({"group": group.key, "code": f.code, "label": f.label, "unit": f.unit,
                                    "before": old, "after": new, "delta": new - old})
            touched = {c["code"] for c in changes if c["group"] == group.key}
            for f in group.figures:
                if f.kind == "rate" and {f.numerator, f.denominator} & touched:
                    changes.append({"group": group.key, "code": f.code, "label": f.label, "unit": f.unit,
                                    "before": figures.rate(before.get(f.numerator), before.get(f.denominator)),
                                    "after": after.get(f.code), "delta": None})
        if changes:
            out.append(figures.to_json({"period": month.key, "label": month.label, "against": summary.sha256,
                                        "changes": changes}))
    return out


def summaries_for_unit(unit: OrgUnit, months: Iterable[Period]) -> dict[str, MonthlySummary]:
    when = Q()
    for m in months:
        when |= Q(year=m.year, month=m.month_number)
    if not when:
        return {}
    return {s.period_key: s for s in MonthlySummary.objects.filter(when, org_unit=unit)}


# --- Guards of the table -----------------------------------------------------------------------------------


def _own_unit(s: MonthlySummary, user: Any) -> bool:
    return access.acts_for(user, s.org_unit_id)


def _has_parent(s: MonthlySummary, user: Any) -> bool:
    return s.org_unit.parent_id is not None


def _is_top(s: MonthlySummary, user: Any) -> bool:
    return s.org_unit.parent_id is None


def _ended(s: MonthlySummary, user: Any) -> bool:
    return period_of(s).ended()


def _pending_children(s: MonthlySummary) -> list[tuple[OrgUnit, str]]:
    chain = Chain.of(s.org_unit)
    children = chain.children(s.org_unit)
    if not children:
        return []
    rows = {x.org_unit_id: x for x in MonthlySummary.objects.filter(org_unit__in=children, year=s.year, month=s.month)}
    return [(c, rows[c.pk].get_status_display() if c.pk in rows else "未填报")
            for c in children if c.pk not in rows or rows[c.pk].status not in DONE_STATES]


def _children_done(s: MonthlySummary, user: Any) -> bool:
    return not _pending_children(s)


def _children_message(s: MonthlySummary, user: Any) -> str:
    waiting = _pending_children(s)
    pending = "、".join(f"{unit}（{state}）" for unit, state in waiting[:8])
    more = f"等{len(waiting)}个单位" if len(waiting) > 8 else ""
    return f"下级单位的月度汇总须全部审核通过或免报后才能报送。尚未完成：{pending}{more}。"


def _parent_acts(s: MonthlySummary, user: Any) -> bool:
    return s.org_unit.parent_id is not None and access.acts_for(user, s.org_unit.parent_id)


def _parent_message(s: MonthlySummary, user: Any) -> str:
    parent = s.org_unit.parent
    if parent is None:
        return f"{s.org_unit}是最上级单位，没有上级单位审核。"
    return f"只有上级单位（{parent}）可以审核、退回或免报{s.org_unit}的月度汇总。"


def _reopener(s: MonthlySummary, user: Any) -> bool:
    return access.acts_for(user, s.org_unit_id if s.org_unit.parent_id is None else s.org_unit.parent_id)


def _reopener_message(s: MonthlySummary, user: Any) -> str:
    if s.org_unit.parent_id is None:
        return f"只有{s.org_unit}的审批人可以重新打开本单位的备案汇总。"
    return f"只有上级单位（{s.org_unit.parent}）可以重新打开{s.org_unit}的月度汇总。"


def _parent_summary(s: MonthlySummary) -> MonthlySummary | None:
    if s.org_unit.parent_id is None:
        return None
    return MonthlySummary.objects.filter(org_unit_id=s.org_unit.parent_id, year=s.year, month=s.month).first()


def _parent_open(s: MonthlySummary, user: Any) -> bool:
    parent = _parent_summary(s)
    return parent is None or parent.status not in REPORTED_STATES


def _parent_open_message(s: MonthlySummary, user: Any) -> str:
    parent = _parent_summary(s)
    state = parent.get_status_display() if parent else ""
    return (f"{s.org_unit.parent}的{s.year}年{s.month}月月度汇总{state}：须先由其上级重新打开（或退回）该汇总，"
            "才能改动下级的汇总（自上而下）。")


OWN = Guard(_own_unit, lambda s, user: f"只有{s.org_unit}的工作人员可以填报、报送本单位的月度汇总。", forbidden=True)
ENDED = Guard(_ended, lambda s, user: f"{s.year}年{s.month}月尚未结束，月末之后才能报送本月汇总。")
CHILDREN_DONE = Guard(_children_done, _children_message)
PARENT = Guard(_parent_acts, _parent_message)
PARENT_OPEN = Guard(_parent_open, _parent_open_message)

FROZEN = "已审核，数据已冻结，不能修改。如需更正，须由上级单位重新打开。"
SUMMARY_FLOW = Workflow(MonthlySummary, S, [
    step("edit", "保存填报内容", OPEN_STATES, permission=SUMMARY_FILE, guards=[OWN],
         refusals={S.SUBMITTED: "已报送，等待上级审核，不能修改。如需修改，请上级退回。", S.ACCEPTED: FROZEN,
                   S.WAIVED: "本月已免报，无需填报。"}),
    step("submit", "报送上级", OPEN_STATES, S.SUBMITTED, permission=SUMMARY_FILE,
         guards=[OWN, Guard(_has_parent, lambda s, user: f"{s.org_unit}是最上级单位，月度汇总请“备案”。"), ENDED,
                 CHILDREN_DONE],
         refusals={S.SUBMITTED: "已报送，等待上级审核，不能重复报送。", S.ACCEPTED: FROZEN, S.WAIVED: "本月已免报，无需报送。"}),
    step("file", "备案（报总工会）", OPEN_STATES, S.ACCEPTED, permission=SUMMARY_ACCEPT,
         guards=[Guard(_own_unit, lambda s, user: f"只有{s.org_unit}的审批人可以备案本单位的月度汇总。", forbidden=True),
                 Guard(_is_top, lambda s, user: f"{s.org_unit}有上级单位，请“报送上级”审核。"), ENDED, CHILDREN_DONE],
         refusals={S.ACCEPTED: "已备案，数据已冻结。", S.WAIVED: "本月已免报。"}),
    step("accept", "审核通过", [S.SUBMITTED], S.ACCEPTED, permission=SUMMARY_ACCEPT, guards=[PARENT],
         refusals={S.DRAFT: "该汇总尚未报送，不能审核。", S.RETURNED: "该汇总已退回修改，等待重新报送。",
                   S.ACCEPTED: "该汇总已审核通过。", S.WAIVED: "该单位本月已免报。"}),
    step("return", "退回修改", [S.SUBMITTED], S.RETURNED, permission=SUMMARY_ACCEPT, guards=[PARENT],
         refusals={S.DRAFT: "该汇总尚未报送，不能退回。", S.RETURNED: "该汇总已退回修改。",
                   S.ACCEPTED: "该汇总已审核通过，数据已冻结；如需更正，请“重新打开”。", S.WAIVED: "该单位本月已免报。"}),
    step("reopen", "重新打开", [S.ACCEPTED, S.WAIVED], permission=SUMMARY_ACCEPT,
         targets={S.ACCEPTED: S.RETURNED, S.WAIVED: S.DRAFT},
         guards=[Guard(_reopener, _reopener_message), PARENT_OPEN],
         refusals={S.DRAFT: "该汇总尚未报送，无需重新打开。", S.SUBMITTED: "该汇总正等待审核，可直接退回修改。",
                   S.RETURNED: "该汇总已退回修改。"}),
    step("waive", "免报", OPEN_STATES, S.WAIVED, permission=SUMMARY_ACCEPT, guards=[PARENT, PARENT_OPEN],
         refusals={S.SUBMITTED: "该汇总已报送，请审核或退回。", S.ACCEPTED: "该汇总已审核通过。", S.WAIVED: "该单位本月已免报。"}),
])


# --- Services --------------------------------------------------------------------------------------------


def _clean_text(values: dict[str, str]) -> dict[str, str]:
    out = {}
    for name in TEXT_FIELDS:
        text = (values.get(name) or "").strip()
        if len(text) > TEXT_MAX:
            refuse(f"不能超过{TEXT_MAX}字（现为{len(text)}字）。", name)
        out[name] = text
    return out


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        refuse(f"{what}须写明理由。", "reason")
    if len(reason) > 500:
        refuse("理由不能超过500字。", "reason")
    return reason


def _month(year: int, month: int) -> Period:
    try:
        return Period.month(int(year), int(month))
    except (TypeError, ValueError):
        raise ValidationError("月份无效。", code="invalid") from None


def _get_or_create(unit: OrgUnit, period: Period, by: User) -> tuple[MonthlySummary, bool]:
    try:
        with transaction.atomic():
            summary, created = MonthlySummary.objects.get_or_create(
                org_unit=unit, year=period.year, month=period.month_number, defaults={"created_by": by})
    except IntegrityError:  # created at the same moment by someone else
        summary, created = MonthlySummary.objects.get(org_unit=unit, year=period.year, month=period.month_number), False
    if created:
        timeline.record(summary.events, "create", label="新建月度汇总", by=by, to_state=summary.status,
                        new={"status": summary.status}, audit_event="create")
    return summary, created


@transaction.atomic
def summary_start(*, unit: OrgUnit, year: int, month: int, by: User, **text: str) -> MonthlySummary:
    """Open the unit's summary for a month (a draft), or return the one already there."""
    access.require(by, SUMMARY_FILE, unit)
    if not access.acts_for(by, unit.pk):
        raise PermissionDenied(f"只有{unit}的工作人员可以填报本单位的月度汇总。")
    period = _month(year, month)
    if period.first > timezone.localdate():
        refuse(f"{period.label}尚未开始，不能填报。")
    if not must_report(unit):
        refuse(f"{unit}不需要报送月度汇总。")
    summary, created = _get_or_create(unit, period, by)
    values = _clean_text(text)
    if created and any(values.values()) and summary.status in OPEN_STATES:
        for name, value in values.items():
            setattr(summary, name, value)
        summary.save(update_fields=[*TEXT_FIELDS, "updated_at"])
    return summary


@transaction.atomic
def summary_edit(*, summary: MonthlySummary, by: User, **text: str) -> MonthlySummary:
    t = SUMMARY_FLOW.begin(summary, by, "edit")
    for name, value in _clean_text(text).items():
        setattr(summary, name, value)
    SUMMARY_FLOW.advance(summary, by, t, update_fields=TEXT_FIELDS)
    return summary


def _take_figures(summary: MonthlySummary) -> None:
    unit, period = summary.org_unit, period_of(summary)
    tree = UnitTree(unit)
    summary.figures = snapshot(unit, period, Chain(tree))
    summary.adjustments = adjustments(unit, period, exclude=summary, tree=tree)
    summary.computed_at = timezone.now()


def _submit_fields(summary: MonthlySummary, by: User, text: dict[str, str]) -> None:
    values = _clean_text(text)
    if not values["work_done"]:
        refuse("请填写本月工作开展情况。", "work_done")
    for name, value in values.items():
        setattr(summary, name, value)
    _take_figures(summary)
    now = timezone.now()
    summary.submitted_at, summary.submitted_by = now, by
    summary.first_submitted_at = summary.first_submitted_at or now


SUBMIT_FIELDS = [*TEXT_FIELDS, "figures", "adjustments", "computed_at", "submitted_at", "submitted_by",
                 "first_submitted_at"]


@transaction.atomic
def summary_submit(*, summary: MonthlySummary, by: User, **text: str) -> MonthlySummary:
    """报送: the written part and a snapshot of the figures go to the unit above for review."""
    t = SUMMARY_FLOW.begin(summary, by, "submit")
    _submit_fields(summary, by, text)
    SUMMARY_FLOW.advance(summary, by, t, update_fields=SUBMIT_FIELDS,
                         data={"adjustments": len(summary.adjustments)})
    return summary


def _freeze(summary: MonthlySummary, by: User) -> str:
    summary.sha256 = figures.digest(payload(summary))
    summary.accepted_at, summary.accepted_by = timezone.now(), by
    return summary.sha256


@transaction.atomic
def summary_file(*, summary: MonthlySummary, by: User, **text: str) -> MonthlySummary:
    """备案: the top unit's summary, filed on record for the higher union and frozen at once."""
    t = SUMMARY_FLOW.begin(summary, by, "file")
    _submit_fields(summary, by, text)
    sha = _freeze(summary, by)
    SUMMARY_FLOW.advance(summary, by, t, update_fields=[*SUBMIT_FIELDS, "sha256", "accepted_at", "accepted_by"],
                         data={"sha256": sha}, new={"sha256": sha})
    return summary


@transaction.atomic
def summary_accept(*, summary: MonthlySummary, by: User, note: str = "") -> MonthlySummary:
    """审核通过: the submitted figures are frozen with their SHA-256."""
    t = SUMMARY_FLOW.begin(summary, by, "accept")
    sha = _freeze(summary, by)
    SUMMARY_FLOW.advance(summary, by, t, update_fields=["sha256", "accepted_at", "accepted_by"],
                         note=(note or "").strip()[:500], data={"sha256": sha}, new={"sha256": sha})
    return summary


@transaction.atomic
def summary_return(*, summary: MonthlySummary, by: User, reason: str) -> MonthlySummary:
    """退回修改, with the reason (kept on the summary's timeline)."""
    t = SUMMARY_FLOW.begin(summary, by, "return")
    reason = _reason(reason, "退回")
    SUMMARY_FLOW.advance(summary, by, t, note=reason)
    return summary


@transaction.atomic
def summary_reopen(*, summary: MonthlySummary, by: User, reason: str) -> MonthlySummary:
    """重新打开 an accepted (→ returned) or waived (→ draft) month, with the reason. The frozen
    figures and their hash stay on the timeline; a new acceptance freezes the new ones."""
    t = SUMMARY_FLOW.begin(summary, by, "reopen")
    reason = _reason(reason, "重新打开")
    data = {"sha256": summary.sha256} if summary.status == S.ACCEPTED else {}
    summary.accepted_at, summary.accepted_by = None, None
    SUMMARY_FLOW.advance(summary, by, t, update_fields=["accepted_at", "accepted_by"], note=reason, data=data)
    return summary


@transaction.atomic
def summary_waive(*, unit: OrgUnit, year: int, month: int, by: User, reason: str) -> MonthlySummary:
    """免报: the unit above excuses a child's month (with the reason), so that it can submit its own."""
    access.require(by, SUMMARY_ACCEPT, unit)
    period = _month(year, month)
    if period.first > timezone.localdate():
        refuse(f"{period.label}尚未开始。")
    if not must_report(unit):
        refuse(f"{unit}不需要报送月度汇总。")
    if unit.parent_id is None or not access.acts_for(by, unit.parent_id):
        raise PermissionDenied(f"只有上级单位（{unit.parent or '无'}）可以免报{unit}的月度汇总。")
    summary, _ = _get_or_create(unit, period, by)
    t = SUMMARY_FLOW.begin(summary, by, "waive")
    reason = _reason(reason, "免报")
    SUMMARY_FLOW.advance(summary, by, t, note=reason)
    return summary
