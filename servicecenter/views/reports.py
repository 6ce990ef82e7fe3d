"""统计报表 (/reports/): monthly summaries, their roll-ups, quarterly and yearly statistics.

Thin views: the unit or summary comes through the access policy (404 outside scope), the steps go
through the summaries' transition table (``summaries.SUMMARY_FLOW``, one step view), and every page
shows only figures of a unit the user may see.
"""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.views.decorators.http import require_POST, require_safe

from .. import audit, summaries
from ..access import Action, acts_for, get_visible_or_404, require, role_allows
from ..figures import Period, display, last_ended_month
from ..forms import (
    SummaryAcceptForm,
    SummaryReasonForm,
    SummarySubmitForm,
    SummaryTextForm,
    add_service_error,
)
from ..http import StaffRequest
from ..inbox import forget_inbox_count
from ..models import MonthlySummary, OrgUnit
from ..pdf import print_record
from ..rollups import (
    SOURCE_LABELS,
    MonthView,
    Stats,
    month_view,
    rollup,
    statistics,
    summary_url,
    unit_month_url,
)
from ..steps import Step, StepPage, step_view
from ..summaries import SUMMARY_ACCEPT, SUMMARY_FILE, SUMMARY_FLOW, Chain
from ..summary_exports import stats_workbook, summary_workbook

app_name = "reports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Fetching through the access policy --------------------------------------------------------------


def _unit(request: StaffRequest, pk: Any) -> OrgUnit:
    require(request.user, Action.VIEW)
    return get_visible_or_404(OrgUnit.objects.select_related("parent"), request.user, pk=pk)


def _month(year: Any, month: Any) -> Period:
    try:
        period = Period.month(int(year), int(month))
    except (TypeError, ValueError):
        raise Http404("没有这个月份。") from None
    if period.first > timezone.localdate() or period.year < 2000:
        raise Http404("没有这个月份。")
    return period


def _summary(request: StaffRequest, pk: int) -> MonthlySummary:
    require(request.user, Action.VIEW)
    return get_visible_or_404(MonthlySummary.objects.select_related("org_unit__parent", "submitted_by",
                                                                    "accepted_by"), request.user, pk=pk)


# --- Display helpers -------------------------------------------------------------------------------------


def figure_sections(view: MonthView) -> list[dict[str, Any]]:
    """Per figure group: each figure's value as shown, and the records' value now when it differs."""
    changed = {(c.group.key, c.figure.code) for c in view.changes}
    out = []
    for g in view.groups:
        rows = []
        for f in g.figures:
            value = view.shown.get(g.key, {}).get(f.code)
            live = view.live.get(g.key, {}).get(f.code)
            rows.append({"figure": f, "value": display(f, value), "live": display(f, live),
                         "changed": (g.key, f.code) in changed})
        out.append({"group": g, "rows": rows})
    return out


def rollup_tables(roll: Any) -> list[dict[str, Any]]:
    """One table per figure group: a row per reporting unit below, the unit's own level, the total."""
    out = []
    for g in roll.groups:
        figs = list(g.figures)
        rows = [{"row": r, "cells": [display(f, r.figures.get(g.key, {}).get(f.code)) for f in figs],
                 "source": SOURCE_LABELS[r.cell.source]} for r in roll.rows]
        own = None
        if roll.own.get(g.key) is not None and roll.children:
            own = [display(f, roll.own[g.key].get(f.code)) if f.kind == "additive" else "—" for f in figs]
        total = [display(f, roll.total.figures.get(g.key, {}).get(f.code)) for f in figs]
        out.append({"group": g, "figures": figs, "rows": rows, "own": own, "total": total})
    return out


def _adjustment_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        changes = []
        for c in line.get("changes", []):
            rate = c.get("delta") is None
            unit = "%" if rate else c.get("unit", "")

            def fmt(v: Any, unit: str = unit) -> str:
                if v is None:
                    return "—"
                return f"{v}%" if unit == "%" else f"{v}"

            delta = c.get("delta")
            changes.append({"label": c["label"], "before": fmt(c.get("before")), "after": fmt(c.get("after")),
                            "delta": "" if delta is None else (f"+{delta}" if str(delta)[0] != "-" else f"{delta}"),
                            "unit": "" if rate else unit})
        out.append({"label": line["label"], "against": line["against"], "changes": changes})
    return out


# --- The overview -----------------------------------------------------------------------------------------


@require_safe
def index(request: StaffRequest) -> HttpResponse:
    """统计报表: a unit's months of a year (status, due date, figures) and the units that file with it."""
    user: Any = request.user
    require(user, Action.VIEW)
    unit = _unit(request, request.GET.get("unit")) if request.GET.get("unit") else user.org_unit
    if unit is None:
        raise Http404("没有可查看的单位。")
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
        if not 2000 <= year <= today.year:
            raise ValueError
    except ValueError:
        year = today.year
        messages.error(request, "年份无效，已显示今年。")
    chain = Chain.of(unit)
    months = [Period.month(year, m) for m in range(1, 13) if Period.month(year, m).first <= today]
    rows = summaries.summaries_for(unit, months)
    own = []
    for m in months:
        s = rows.get((unit.pk, m.year, m.month_number))
        own.append({"period": m, "summary": s, "due": chain.due(unit, m), "url": summary_url(unit, m, s),
                    "timeliness": summaries.Timeliness(chain.due(unit, m), s, today), "ended": m.ended(today)})
    last = last_ended_month(today)
    children = chain.children(unit)
    roll = rollup(unit, last, chain=chain, today=today) if children else None
    quarters = [Period.quarter(year, q) for q in range(1, 5) if Period.quarter(year, q).first <= today]
    parent = unit.parent
    up = parent if parent is not None and parent.path.startswith(user.org_unit.path) else None
    return render(request, "reports/index.html", {
        "unit": unit, "year": year, "years": list(range(today.year, max(2000, today.year - 5) - 1, -1)),
        "own": own, "reports": chain.reports(unit), "last": last, "rollup": roll,
        "quarters": quarters, "whole_year": Period.whole_year(year), "parent": up,
        "children": children,
    })


# --- A unit's month without a summary yet ---------------------------------------------------------------


def _month_context(request: StaffRequest, unit: OrgUnit, period: Period, summary: MonthlySummary | None,
                   **extra: Any) -> dict[str, Any]:
    view = month_view(unit, period, summary)
    return {"view": view, "unit": unit, "period": period, "summary": summary, "sections": figure_sections(view),
            "rollup_tables": rollup_tables(view.rollup), "adjustment_lines": _adjustment_lines(view.adjustments),
            "source_label": SOURCE_LABELS[view.source], "today": timezone.localdate(), **extra}


@require_safe
def unit_month(request: StaffRequest, pk: int, year: int, month: int) -> HttpResponse:
    unit = _unit(request, pk)
    period = _month(year, month)
    summary = MonthlySummary.objects.filter(org_unit=unit, year=period.year, month=period.month_number).first()
    if summary is not None:
        return redirect(summary.get_absolute_url())
    return _render_unit_month(request, unit, period)


def _render_unit_month(request: StaffRequest, unit: OrgUnit, period: Period, *, start_form: Any = None,
                       waive_form: Any = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    may_start = role_allows(user, SUMMARY_FILE) and acts_for(user, unit.pk) and summaries.must_report(unit)
    may_waive = (role_allows(user, SUMMARY_ACCEPT) and unit.parent_id is not None and acts_for(user, unit.parent_id)
                 and summaries.must_report(unit) and period.first <= timezone.localdate())
    context = _month_context(request, unit, period, None,
                             start_form=(start_form or SummaryTextForm(auto_id="id_start_%s")) if may_start else None,
                             waive_form=(waive_form or SummaryReasonForm(auto_id="id_waive_%s")) if may_waive else None,
                             start_url=unit_month_url(unit, period) + "start/",
                             waive_url=unit_month_url(unit, period) + "waive/")
    return render(request, "reports/month.html", context, status=status)


@require_POST
def start(request: StaffRequest, pk: int, year: int, month: int) -> HttpResponse:
    """开始填报: the unit's own staff open the month as a draft (with what they typed)."""
    unit = _unit(request, pk)
    period = _month(year, month)
    user: Any = request.user
    require(user, SUMMARY_FILE, unit)
    form = SummaryTextForm(request.POST, auto_id="id_start_%s")
    if form.is_valid():
        try:
            summary = summaries.summary_start(unit=unit, year=period.year, month=period.month_number, by=user,
                                              **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            forget_inbox_count(request)
            messages.success(request, f"已保存{period.label}月度汇总草稿。")
            return redirect(summary.get_absolute_url())
    return _render_unit_month(request, unit, period, start_form=form)


@require_POST
def waive(request: StaffRequest, pk: int, year: int, month: int) -> HttpResponse:
    """免报: the unit above excuses this unit's month, with the reason."""
    unit = _unit(request, pk)
    period = _month(year, month)
    user: Any = request.user
    require(user, SUMMARY_ACCEPT, unit)
    form = SummaryReasonForm(request.POST, auto_id="id_waive_%s")
    if form.is_valid():
        try:
            summary = summaries.summary_waive(unit=unit, year=period.year, month=period.month_number, by=user,
                                              reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            forget_inbox_count(request)
            messages.success(request, f"已同意{unit}{period.label}免报。")
            return redirect(summary.get_absolute_url())
    existing = MonthlySummary.objects.filter(org_unit=unit, year=period.year, month=period.month_number).first()
    if existing is not None:
        return _render_summary(request, existing, {}, waive_form=form, status=200)
    return _render_unit_month(request, unit, period, waive_form=form)


# --- The summary page and its steps ---------------------------------------------------------------------


def _fetch(request: StaffRequest, pk: int) -> MonthlySummary:
    return _summary(request, pk)


def _render_summary(request: StaffRequest, summary: MonthlySummary, bound: dict[str, django_forms.Form], *,
                    waive_form: Any = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    period = summaries.period_of(summary)
    offered = {t.name for t in SUMMARY_FLOW.available(summary, user)}
    if waive_form is None and "waive" in offered:
        waive_form = SummaryReasonForm(auto_id="id_waive_%s")
    context = _month_context(
        request, summary.org_unit, period, summary, panels=PAGE.panels(summary, user, bound), waive_form=waive_form,
        waive_url=unit_month_url(summary.org_unit, period) + "waive/",
        events=summary.events.select_related("by").order_by("at", "id"),
        verified=summaries.verify(summary) if summary.sha256 else None,
    )
    return render(request, "reports/month.html", context, status=status)


@require_safe
def summary_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _render_summary(request, _summary(request, pk), {})


def _text(form: django_forms.Form) -> dict[str, str]:
    return {name: form.cleaned_data.get(name, "") for name in summaries.TEXT_FIELDS}


PAGE = StepPage(
    workflow=SUMMARY_FLOW,
    steps={
        "edit": Step(SummaryTextForm, lambda s, user, form: summaries.summary_edit(summary=s, by=user, **_text(form)),
                     "已保存填报内容。"),
        "submit": Step(SummarySubmitForm,
                       lambda s, user, form: summaries.summary_submit(summary=s, by=user, **_text(form)),
                       "已报送上级单位审核。"),
        "file": Step(SummarySubmitForm, lambda s, user, form: summaries.summary_file(summary=s, by=user, **_text(form)),
                     "已备案，数据已冻结。"),
        "accept": Step(SummaryAcceptForm,
                       lambda s, user, form: summaries.summary_accept(summary=s, by=user,
                                                                      note=form.cleaned_data.get("note", "")),
                       "已审核通过，数据已冻结。"),
        "return": Step(SummaryReasonForm,
                       lambda s, user, form: summaries.summary_return(summary=s, by=user,
                                                                      reason=form.cleaned_data["reason"]),
                       "已退回修改。"),
        "reopen": Step(SummaryReasonForm,
                       lambda s, user, form: summaries.summary_reopen(summary=s, by=user,
                                                                      reason=form.cleaned_data["reason"]),
                       "已重新打开。"),
    },
    fetch=_fetch,
    render=lambda request, s, bound: _render_summary(request, s, bound),
    record_url=lambda s: s.get_absolute_url(),
    url_name=lambda name: f"reports:{name}",
    form_kwargs=lambda s, user: {"summary": s},
)


def summary_step(request: StaffRequest, pk: int, *, step: str) -> HttpResponse:
    """The kernel's step view; the user's inbox count is refreshed after any step they take."""
    response = step_view(request, page=PAGE, step=step, pk=pk)
    if request.method == "POST":
        forget_inbox_count(request)
    return response


# --- Exports --------------------------------------------------------------------------------------------


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


@require_safe
def summary_export(request: StaffRequest, pk: int) -> HttpResponse:
    """The summary as the paper 汇总表: a sheet for the total, one per unit below, one by unit."""
    summary = _summary(request, pk)
    view = month_view(summary.org_unit, summaries.period_of(summary), summary)
    content = summary_workbook(view)
    audit.record(audit.Event.EXPORT, request=request, target=summary, action="servicecenter.summary_export",
                 detail=f"月度汇总 {summary}")
    return _download(content, f"月度汇总-{summary.org_unit.code}-{summary.period_key}.xlsx")


@require_safe
def summary_print(request: StaffRequest, pk: int) -> HttpResponse:
    summary = _summary(request, pk)
    view = month_view(summary.org_unit, summaries.period_of(summary), summary)
    context = {"view": view, "summary": summary, "sections": figure_sections(view),
               "rollup_tables": rollup_tables(view.rollup), "adjustment_lines": _adjustment_lines(view.adjustments),
               "source_label": SOURCE_LABELS[view.source], "printed": timezone.localtime()}
    return print_record(request, record=summary, template="reports/print_summary.html", context=context,
                        title=f"打印{summary}", filename=f"月度汇总-{summary.org_unit.code}-{summary.period_key}.pdf")


# --- Statistics ------------------------------------------------------------------------------------------


def _stats(request: StaffRequest) -> tuple[Stats, list[Period]]:
    user: Any = request.user
    require(user, Action.VIEW)
    unit = _unit(request, request.GET.get("unit")) if request.GET.get("unit") else user.org_unit
    if unit is None:
        raise Http404("没有可查看的单位。")
    today = timezone.localdate()
    default = Period.quarter(today.year, (today.month - 1) // 3 + 1)
    try:
        period = Period.parse(request.GET["period"]) if request.GET.get("period") else default
        if period.kind == "month" or period.first > today:
            raise ValueError(f"统计期间“{request.GET['period']}”无效：请选择季度或年度，且不能晚于本季度。")
    except ValueError as exc:
        messages.error(request, f"{exc} 已显示本季度。")
        period = default
    choices = []
    for year in range(today.year, today.year - 3, -1):
        choices.append(Period.whole_year(year))
        choices.extend(Period.quarter(year, q) for q in range(4, 0, -1) if Period.quarter(year, q).first <= today)
    return statistics(unit, period), choices


def _stat_rows(stats: Stats) -> list[dict[str, Any]]:
    out = []
    for line in stats.lines:
        delta = line.delta
        sign = "" if delta is None or delta <= 0 else "+"
        unit = "个百分点" if line.figure.kind == "rate" else line.figure.unit
        out.append({"line": line, "now": display(line.figure, line.now), "before": display(line.figure, line.before),
                    "delta": "—" if delta is None else f"{sign}{delta}{unit if line.figure.kind == 'rate' else ''}",
                    "percent": "—" if line.change_percent is None else f"{'+' if line.change_percent > 0 else ''}"
                                                                        f"{line.change_percent}%"})
    return out


def _child_tables(stats: Stats) -> list[dict[str, Any]]:
    out = []
    for g in stats.groups:
        figs = list(g.figures)
        rows = [{"unit": unit, "cells": [display(f, now.get(g.key, {}).get(f.code)) for f in figs],
                 "before": [display(f, before.get(g.key, {}).get(f.code)) for f in figs]}
                for unit, now, before in stats.children]
        out.append({"group": g, "figures": figs, "rows": rows,
                    "total": [display(f, stats.total.get(g.key, {}).get(f.code)) for f in figs]})
    return out


def _month_tables(stats: Stats) -> list[dict[str, Any]]:
    out = []
    for g in stats.groups:
        figs = list(g.figures)
        rows = [{"period": m, "cells": [display(f, values.get(g.key, {}).get(f.code)) for f in figs]}
                for m, values in stats.months]
        out.append({"group": g, "figures": figs, "rows": rows,
                    "total": [display(f, stats.total.get(g.key, {}).get(f.code)) for f in figs]})
    return out


def stats_context(stats: Stats) -> dict[str, Any]:
    return {"stats": stats, "rows": _stat_rows(stats), "child_tables": _child_tables(stats),
            "month_tables": _month_tables(stats)}


@require_safe
def stats(request: StaffRequest) -> HttpResponse:
    """季度分析 / 年度统计: the same figures over a quarter or a year, against the period before."""
    data, choices = _stats(request)
    return render(request, "reports/stats.html", {**stats_context(data), "choices": choices,
                                                  "query": request.GET.urlencode()})


@require_safe
def stats_export(request: StaffRequest) -> HttpResponse:
    data, _ = _stats(request)
    content = stats_workbook(data)
    audit.record(audit.Event.EXPORT, request=request, target=data.unit, action="servicecenter.stats_export",
                 detail=f"{data.unit} {data.period.label}统计")
    return _download(content, f"统计-{data.unit.code}-{data.period.key}.xlsx")


@require_safe
def stats_print(request: StaffRequest) -> HttpResponse:
    data, _ = _stats(request)
    return print_record(request, record=data.unit, template="reports/print_stats.html",
                        context={**stats_context(data), "printed": timezone.localtime()},
                        title=f"打印{data.unit}{data.period.label}统计",
                        filename=f"统计-{data.unit.code}-{data.period.key}.pdf")


UNIT_MONTH = "units/<int:pk>/<int:year>/<int:month>/"
STEPS = tuple(PAGE.steps)
urlpatterns = [
    path("stats/", stats, name="stats"),
    path("stats/export.xlsx", stats_export, name="stats_export"),
    path("stats/print.pdf", stats_print, name="stats_print"),
    path(UNIT_MONTH, unit_month, name="unit_month"),
    path(UNIT_MONTH + "start/", start, name="start"),
    path(UNIT_MONTH + "waive/", waive, name="waive"),
    path("<int:pk>/", summary_detail, name="summary"),
    path("<int:pk>/export.xlsx", summary_export, name="export"),
    path("<int:pk>/print.pdf", summary_print, name="print"),
    *[path(f"<int:pk>/{name}/", summary_step, {"step": name}, name=name) for name in STEPS],
]
