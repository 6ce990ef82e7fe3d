"""The rows of the two big lists (the roster and the file register), rendered in Python.

Through the template language each cell is a variable lookup and a filter (~15 µs): 50 rows of ten
cells were ~7 ms of a page whose database part is 2–5 ms for a station — more than the list's
budget (3 × the raw SQL + 10 ms, bench/README.md). ``format_html`` escapes every value just the same.
The markup is what ``hardship/list.html`` and ``roster.html`` would write; their tests read it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from . import codes
from .models import HardshipFile

GRADES = dict(codes.Grade.choices)
CAUSES = dict(codes.Cause.choices)
STATUSES = dict(HardshipFile.Status.choices)
_TAG = {"archived": " ok", "declined": " err", "rejected": " err", "exited": " grey", "closed": " grey"}


def _date(day: datetime.date | None) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


def _status(f: HardshipFile) -> SafeString:
    status = format_html('<span class="tag{}">{}</span>', _TAG.get(f.status, " warn"), STATUSES.get(f.status, f.status))
    if f.grade:
        status += format_html('<span class="tag{}">{}</span>', " err" if f.grade == "extreme" else "",
                              GRADES.get(f.grade, f.grade))
    return status


def file_rows(files: Iterable[HardshipFile]) -> SafeString:
    """``<tr>``s of the file register (``list.html``)."""
    detail = reverse("hardship:detail", args=[0])[:-2]  # "/hardship/" + pk + "/"
    return format_html_join("\n", (
        '<tr><td class="mono"><a href="{}{}/">{}</a></td><td>{}</td><td class="mono">{}</td><td>{}</td>'
        '<td class="num">{}</td><td>{}</td><td>{}</td><td class="nowrap">{}</td><td>{}</td></tr>'), (
        (detail, f.pk, f.number or "（申请）", f.applicant.name, f.applicant.id_number_masked, f.household_size,
         f.income_per_head, CAUSES.get(f.main_cause, f.main_cause), f.org_unit.name, _date(f.applied_on), _status(f))
        for f in files))


def roster_rows(files: Iterable[HardshipFile], today: datetime.date) -> SafeString:
    """``<tr>``s of the roster (``roster.html``)."""
    detail = reverse("hardship:detail", args=[0])[:-2]

    def grade(f: HardshipFile) -> SafeString:
        label = GRADES.get(f.grade, f.grade)
        return format_html('<span class="tag err">{}</span>', label) if f.grade == "extreme" else format_html("{}", label)

    def due(f: HardshipFile) -> SafeString:
        text = format_html("{}", _date(f.recheck_due))
        if f.recheck_due and f.recheck_due <= today:
            text += mark_safe(' <span class="tag warn">待复核</span>')  # noqa: S308 — a constant
        return text

    return format_html_join("\n", (
        '<tr><td class="mono"><a href="{}{}/">{}</a></td><td>{}</td><td>{}</td><td class="mono">{}</td><td>{}</td>'
        '<td class="num">{}</td><td>{}</td><td>{}</td><td class="nowrap">{}</td><td class="nowrap">{}</td></tr>'), (
        (detail, f.pk, f.number or "", grade(f), f.applicant.name, f.applicant.id_number_masked, f.household_size,
         f.income_per_head, CAUSES.get(f.main_cause, f.main_cause), f.org_unit.name, _date(f.approved_on), due(f))
        for f in files))
