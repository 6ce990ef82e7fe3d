"""Reads: the files a user may see, the lists that are due, the facts and parameters an evaluation
reads, the household-member warnings, and the household's help this year and 未帮扶过 (asked of
whichever service gives help: ``servicecenter.assistance``).

Scope (``file_scope``, declared in the ``ServiceApp``): a file is seen by its own unit and by the
unit that leads it (a station's district, which approves it); the units above see it once it has
been approved (在档, and after it as 已脱困 / 已注销) — the city sees what the districts approved,
not the applications in progress.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from servicecenter import access, assistance, clocks
from servicecenter.access import visible
from servicecenter.models import OrgUnit, User
from servicecenter.parameters import SPECS, values_in_force

from . import eligibility
from .models import HardshipFile, HomeVisit, Member

NOTICE_CLOCK = clocks.ClockSpec(HardshipFile, "公示期", prefix="notice_")
S = HardshipFile.Status
LIST_RELATED = ("applicant", "org_unit")


# --- Scope ----------------------------------------------------------------------------------------


LED_KINDS = (OrgUnit.Kind.STATION, OrgUnit.Kind.POST)  # the kinds of unit led from above (access.leading_unit)


def file_scope(queryset: QuerySet[HardshipFile], user: User) -> QuerySet[HardshipFile]:
    """Owned in the user's subtree, and either owned or led by the user's unit or approved."""
    owned = access.owned_in_scope(queryset, user)
    own = user.org_unit_id
    # The led units as a join on the unit (lists join it anyway) rather than one more query per request.
    return owned.filter(Q(org_unit_id=own) | Q(org_unit__parent_id=own, org_unit__kind__in=LED_KINDS)
                        | Q(status__in=HardshipFile.APPROVED))


def visit_scope(queryset: QuerySet[HomeVisit], user: User) -> QuerySet[HomeVisit]:
    """A home visit is seen with its file."""
    return queryset.filter(file__in=visible(HardshipFile.objects.all(), user).values("pk"))


def files_for(user: Any) -> QuerySet[HardshipFile]:
    return visible(HardshipFile.objects.select_related(*LIST_RELATED), user)


def roster_for(user: Any) -> QuerySet[HardshipFile]:
    """在档的困难职工: the roster (花名册)."""
    return files_for(user).filter(status=S.ARCHIVED)


# --- Dates ------------------------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def recheck_due_q(today: datetime.date | None = None) -> Q:
    """Archived files due for their yearly review (or with a change of circumstances reported)."""
    return Q(status=S.ARCHIVED, recheck_due__lte=today or timezone.localdate())


def stale_q(today: datetime.date | None = None) -> Q:
    """一年未改: archived files neither approved nor reviewed in the last twelve months."""
    return Q(status=S.ARCHIVED, rechecked_on__lt=add_months(today or timezone.localdate(), -12))


def notice_ending_q(today: datetime.date, days: int) -> Q:
    """Under notice and ending within ``days`` days (the end day included)."""
    return Q(status=S.NOTICE) & NOTICE_CLOCK.due_soon_q(today, days)


def notice_ended_q(today: datetime.date) -> Q:
    """Under notice, the period over: ready to be submitted (once objections are resolved)."""
    return Q(status=S.NOTICE, notice_due_date__lt=today)


# --- What an evaluation reads ---------------------------------------------------------------------------


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def member_age(member: Member, day: datetime.date) -> int:
    return age_on(member.birth_date, day) if member.birth_date else member.age


def facts_of(file: HardshipFile, as_of: datetime.date, members: Iterable[Member] | None = None,
             other_income: Any = None) -> eligibility.Facts:
    """The eligibility facts of ``file`` as its record stands, on ``as_of``."""
    rows = list(file.members.all()) if members is None else list(members)
    if other_income is None:
        other_income = sum((i.annual_amount for i in file.incomes.all()), eligibility.ZERO)
    return eligibility.Facts(
        as_of=as_of,
        members=tuple(eligibility.MemberFacts(m.name, m.relation, member_age(m, as_of), m.work_status, m.health,
                                              m.monthly_income, m.schooling) for m in rows),
        other_income=other_income, medical_cost=file.medical_cost, education_cost=file.education_cost,
        rent_cost=file.rent_cost, housing_area=file.housing_area, home_owned=file.owned_home,
        home_acquired_on=file.home_acquired_on, luxury_residence=file.luxury_residence, has_car=file.has_car,
        luxury_goods=file.luxury_goods, receives_dibao=file.receives_dibao,
        receives_dibao_edge=file.receives_dibao_edge, basic_support=tuple(file.basic_support or ()),
        dibao_topup=file.dibao_topup, disaster=file.disaster, tuition_hardship=file.tuition_hardship,
        other_special=file.other_special, child_private_school=file.child_private_school, vice=file.vice,
        family_planning_breach=file.family_planning_breach,
    )


def params_for(unit: OrgUnit, as_of: datetime.date) -> dict[str, eligibility.ParamUsed]:
    """The parameters the rules read, in force for ``unit`` on ``as_of``, with their source (one query)."""
    values = values_in_force(eligibility.KEYS, unit, as_of.year)
    out = {}
    for key, v in values.items():
        spec = SPECS[key]
        out[key] = eligibility.ParamUsed(
            key=key, label=spec.label, value=v.value, unit=spec.unit,
            source=f"{v.unit_name}设定" if not v.is_default else "系统默认值",
            year=v.year if spec.per_year else None,
            since=f"{timezone.localtime(v.changed_at):%Y-%m-%d}" if v.changed_at else "")
    return out


# --- Household members on other files ----------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """A member of this household who is on another active file. ``file`` is that file when the
    user may see it; otherwise only what the person rule lets anyone see: the person's name,
    masked ID number and registering unit."""

    member_name: str
    id_number_masked: str
    registering_unit: str
    file: HardshipFile | None

    @property
    def text(self) -> str:
        if self.file is not None:
            return (f"{self.member_name}（{self.id_number_masked}）已列入另一份有效档案"
                    f"（{self.file.number or self.file.get_status_display()}，{self.file.org_unit}）。")
        return (f"{self.member_name}（{self.id_number_masked}，{self.registering_unit}登记）已列入其他单位的有效困难职工档案，"
                "请与该单位核实，一户只建一档。")


def member_conflicts(file: HardshipFile, user: Any, person_ids: Iterable[int] | None = None) -> list[Conflict]:
    """Members of ``file`` (or the given people) who are on another active file anywhere."""
    ids = list(person_ids) if person_ids is not None else list(
        file.members.filter(person__isnull=False).values_list("person_id", flat=True))
    if not ids:
        return []
    others = (Member.objects.filter(person_id__in=ids, file__status__in=HardshipFile.ACTIVE)
              .exclude(file_id=file.pk).select_related("person__org_unit", "file__org_unit"))
    rows = list(others)
    if not rows:
        return []
    seen = set(visible(HardshipFile.objects.filter(pk__in={m.file_id for m in rows}), user).values_list("pk", flat=True))
    out, done = [], set()
    for m in rows:
        key = (m.person_id, m.file_id)
        if key in done:
            continue
        done.add(key)
        person = m.person
        assert person is not None
        out.append(Conflict(person.name, person.id_number_masked, person.org_unit.name,
                            m.file if m.file_id in seen else None))
    return out


# --- Help received (servicecenter.assistance) ---------------------------------------------------


def help_this_year(file: HardshipFile, members: Iterable[Member], user: Any,
                   year: int | None = None) -> list[assistance.HelpRecord]:
    """本年度帮扶情况: the help the household's people (the applicant and every member with a
    person record) received this year, from whichever service gives help (``servicecenter.assistance``)."""
    people = {file.applicant_id, *(m.person_id for m in members if m.person_id)}
    return assistance.help_received(people, year or timezone.localdate().year, user)


def not_helped_in(files: QuerySet[HardshipFile], year: int) -> QuerySet[HardshipFile]:
    """未帮扶过: the archived files of ``files`` none of whose people (applicant or member) received
    help in ``year``, as the services that give help say (subqueries: no ids read into Python)."""
    out = files.filter(status=S.ARCHIVED)
    for helped in assistance.helped_people(year):
        out = out.exclude(applicant_id__in=helped).exclude(members__person_id__in=helped)
    return out
