"""Matching, explained: postings ranked for a seeker, and seekers ranked for a posting.

Hard filters first — a posting that fails one is not ranked at all:

- the posting is open now (招聘中, within its validity) and its wording passed the checker;
- its employer's papers are verified;
- the seeker accepts its employment type (全日制 / 非全日制);
- its wage range reaches the seeker's floor (the upper end is not below it);
- it is in the seeker's desired work area (when one is given);
- the seeker's age is within its age range (when one is given).

Then a score: the sum of weighted factors, in whole points (integers: no rounding, no float drift):

==========  =============================================================================
工种         ``OCCUPATION`` points when the posting's occupation is the seeker's desired one
技能         ``SKILL`` points for each skill the posting asks for that the seeker has
学历         ``EDUCATION`` points when the seeker's education meets the posting's minimum
地点         ``PLACE`` points when the work area is within the unit where the seeker registered
工资         ``WAGE`` points when the lower end of the range is at or above the seeker's floor,
             ``WAGE_PARTIAL`` when only the upper end is (no floor given: 0)
==========  =============================================================================

Each matching skill adds the same points to every posting that asks for it and nothing else
depends on the seeker's skills, so adding a matching skill never lowers a posting's rank (ties are
broken by the posting's id, newest first, whatever the seeker). ``tests/jobs/test_matching.py``
checks that property and that the SQL ranking equals the Python reference.

The ranking is done by the database (``rank_postings`` / ``rank_seekers``: annotations, one query
for the page); the explanation (``explain``) is computed in Python for the rows shown only, from
the same factor definitions, and adds up to the database's score.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from servicecenter.models import OrgUnit

from .models import EmploymentType, Occupation, Posting, Recruiter, Seeker, Skill, open_q

OCCUPATION = 30
SKILL = 10
EDUCATION = 15
PLACE = 15
WAGE = 20
WAGE_PARTIAL = 10

FULL, PART = EmploymentType.FULL_TIME.value, EmploymentType.PART_TIME.value


# --- The facts a match is decided on --------------------------------------------------------------


@dataclass(frozen=True)
class SeekerFacts:
    pk: int | None
    occupation_id: int | None
    skill_ids: frozenset[int]
    education: int
    home_unit_ids: frozenset[int]  # the unit where the seeker registered, and everything below it
    desired_area_ids: frozenset[int] | None  # None: anywhere
    preference: str  # any | full | part
    monthly_floor: Decimal | None
    hourly_floor: Decimal | None
    age: int

    def floor(self, employment_type: str) -> Decimal | None:
        return self.hourly_floor if employment_type == PART else self.monthly_floor

    def with_skill(self, skill_id: int) -> SeekerFacts:
        return SeekerFacts(**{**self.__dict__, "skill_ids": self.skill_ids | {skill_id}})


@dataclass(frozen=True)
class PostingFacts:
    pk: int
    occupation_id: int
    skill_ids: frozenset[int]
    education_min: int
    area_id: int
    area_ancestor_ids: frozenset[int]  # the area and every unit above it
    employment_type: str
    wage_min: Decimal
    wage_max: Decimal
    age_min: int | None
    age_max: int | None
    is_open: bool = True
    verified: bool = True
    wording_ok: bool = True


@dataclass(frozen=True)
class Check:
    label: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Factor:
    code: str
    label: str
    points: int
    detail: str


@dataclass
class Explanation:
    checks: list[Check]
    factors: list[Factor]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def total(self) -> int:
        return sum(f.points for f in self.factors)


@dataclass
class Names:
    """Names for the explanation's sentences (loaded once per page)."""

    occupations: dict[int, str] = field(default_factory=dict)
    skills: dict[int, str] = field(default_factory=dict)
    units: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, unit_ids: Iterable[int] = ()) -> Names:
        return cls(occupations=dict(Occupation.objects.values_list("pk", "name")),
                   skills=dict(Skill.objects.values_list("pk", "name")),
                   units=dict(OrgUnit.objects.filter(pk__in=list(unit_ids)).values_list("pk", "name")))

    def skill_list(self, ids: Iterable[int]) -> str:
        return "、".join(sorted((self.skills.get(i, str(i)) for i in ids), key=lambda n: n))


# --- The rule, in Python ---------------------------------------------------------------------------


def hard_checks(s: SeekerFacts, p: PostingFacts) -> list[Check]:
    floor = s.floor(p.employment_type)
    age_ok = (p.age_min is None or s.age >= p.age_min) and (p.age_max is None or s.age <= p.age_max)
    return [
        Check("岗位招聘中", p.is_open),
        Check("岗位措辞合法", p.wording_ok),
        Check("用工单位证件已核验", p.verified),
        Check("用工形式", s.preference in ("any", p.employment_type)),
        Check("工资不低于期望", floor is None or p.wage_max >= floor,
              "" if floor is None else f"期望不低于{floor:.2f}"),
        Check("工作区域", s.desired_area_ids is None or p.area_id in s.desired_area_ids),
        Check("年龄", age_ok, f"{s.age}岁"),
    ]


def factors(s: SeekerFacts, p: PostingFacts, names: Names | None = None) -> list[Factor]:
    names = names or Names()
    occ = names.occupations
    out = []
    if s.occupation_id is None:
        out.append(Factor("occupation", "工种", 0, "未填写期望工种"))
    elif s.occupation_id == p.occupation_id:
        out.append(Factor("occupation", "工种", OCCUPATION, f"期望工种“{occ.get(p.occupation_id, '')}”与岗位一致"))
    else:
        out.append(Factor("occupation", "工种", 0, f"岗位工种“{occ.get(p.occupation_id, '')}”，"
                                                  f"期望“{occ.get(s.occupation_id, '')}”"))
    matched = s.skill_ids & p.skill_ids
    missing = p.skill_ids - s.skill_ids
    if not p.skill_ids:
        detail = "岗位未要求技能"
    else:
        detail = (f"具备{names.skill_list(matched)}（{len(matched)}项×{SKILL}分）" if matched else "不具备岗位要求的技能")
        if missing:
            detail += f"；尚缺{names.skill_list(missing)}"
    out.append(Factor("skills", "技能", SKILL * len(matched), detail))
    if s.education >= p.education_min:
        out.append(Factor("education", "学历", EDUCATION, "文化程度符合岗位要求"))
    else:
        out.append(Factor("education", "学历", 0, "文化程度低于岗位要求"))
    if p.area_id in s.home_unit_ids:
        out.append(Factor("place", "地点", PLACE, f"工作区域{names.units.get(p.area_id, '')}在求职登记单位辖区内"))
    else:
        out.append(Factor("place", "地点", 0, f"工作区域{names.units.get(p.area_id, '')}不在求职登记单位辖区内"))
    floor = s.floor(p.employment_type)
    if floor is None:
        out.append(Factor("wage", "工资", 0, "未填写期望工资"))
    elif p.wage_min >= floor:
        out.append(Factor("wage", "工资", WAGE, f"工资下限{p.wage_min:.2f}不低于期望{floor:.2f}"))
    else:
        out.append(Factor("wage", "工资", WAGE_PARTIAL, f"工资上限{p.wage_max:.2f}达到期望{floor:.2f}，下限未达到"))
    return out


def explain(s: SeekerFacts, p: PostingFacts, names: Names | None = None) -> Explanation:
    return Explanation(hard_checks(s, p), factors(s, p, names))


def score(s: SeekerFacts, p: PostingFacts) -> int:
    return sum(f.points for f in factors(s, p))


def python_rank(s: SeekerFacts, postings: Iterable[PostingFacts]) -> list[tuple[int, int]]:
    """(posting id, score) of every posting that passes the hard filters, best first: the
    reference the SQL ranking must equal."""
    ranked = [(p.pk, score(s, p)) for p in postings if all(c.passed for c in hard_checks(s, p))]
    ranked.sort(key=lambda pair: (-pair[1], -pair[0]))
    return ranked


# --- Facts from the database ------------------------------------------------------------------------


def age_on(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _subtree_ids(unit_id: int | None) -> frozenset[int]:
    if unit_id is None:
        return frozenset()
    path = OrgUnit.objects.filter(pk=unit_id).values("path")[:1]
    return frozenset(OrgUnit.objects.filter(path__startswith=Subquery(path)).values_list("pk", flat=True))


def _ancestor_ids(unit: OrgUnit) -> frozenset[int]:
    return frozenset(OrgUnit.objects.filter(path__in=unit.ancestor_paths()).values_list("pk", flat=True))


def seeker_facts(seeker: Seeker, today: datetime.date | None = None) -> SeekerFacts:
    """Two queries (three with a desired area): the seeker's skills, its unit's subtree, its
    desired area's subtree."""
    today = today or timezone.localdate()
    return SeekerFacts(
        pk=seeker.pk, occupation_id=seeker.desired_occupation_id,
        skill_ids=frozenset(seeker.skills.values_list("pk", flat=True)),
        education=seeker.education, home_unit_ids=_subtree_ids(seeker.org_unit_id),
        desired_area_ids=_subtree_ids(seeker.desired_area_id) if seeker.desired_area_id else None,
        preference=seeker.employment_type, monthly_floor=seeker.desired_monthly_wage,
        hourly_floor=seeker.desired_hourly_wage, age=age_on(seeker.person.birth_date, today),
    )


def posting_facts(postings: Sequence[Posting], today: datetime.date | None = None) -> dict[int, PostingFacts]:
    """Facts of ``postings`` (fetched with their recruiter): three queries, for their skills, their
    areas and the units above those."""
    today = today or timezone.localdate()
    ids = [p.pk for p in postings]
    skills: dict[int, set[int]] = {pk: set() for pk in ids}
    for posting_id, skill_id in Posting.skills.through.objects.filter(posting_id__in=ids).values_list(
            "posting_id", "skill_id"):
        skills[posting_id].add(skill_id)
    paths = {u.pk: u for u in OrgUnit.objects.filter(pk__in={p.area_id for p in postings})}
    all_paths = {path for u in paths.values() for path in u.ancestor_paths()}
    by_path = dict(OrgUnit.objects.filter(path__in=all_paths).values_list("path", "pk"))
    out = {}
    for p in postings:
        area = paths[p.area_id]
        out[p.pk] = PostingFacts(
            pk=p.pk, occupation_id=p.occupation_id, skill_ids=frozenset(skills[p.pk]),
            education_min=p.education_min, area_id=p.area_id,
            area_ancestor_ids=frozenset(by_path[path] for path in area.ancestor_paths() if path in by_path),
            employment_type=p.employment_type, wage_min=p.wage_min, wage_max=p.wage_max, age_min=p.age_min,
            age_max=p.age_max, is_open=p.status == Posting.Status.OPEN and p.valid_from <= today <= p.valid_to,
            verified=p.recruiter.is_verified,
            wording_ok=p.wording_ok,
        )
    return out


# --- The ranking, in SQL -----------------------------------------------------------------------------


def _points(condition: Q | None, points: int) -> Any:
    if condition is None or points == 0:
        return Value(0)
    return Case(When(condition, then=Value(points)), default=Value(0), output_field=IntegerField())


def _count_in(through: Any, owner: str, ids: Iterable[int]) -> Any:
    """How many of ``ids`` the row's skills include (a correlated count on the M2M table)."""
    ids = list(ids)
    if not ids:
        return Value(0)
    counted = (through.objects.filter(**{owner: OuterRef("pk"), "skill_id__in": ids}).order_by()
               .values(owner).annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def rank_postings(queryset: QuerySet[Posting], s: SeekerFacts, today: datetime.date | None = None) -> QuerySet[Posting]:
    """``queryset`` (the postings the user may see) filtered by the hard filters and annotated
    with each factor's points and ``score``, best first. Nothing is read until it is sliced."""
    today = today or timezone.localdate()
    qs = queryset.filter(open_q(today), wording_ok=True, recruiter__status=Recruiter.Status.VERIFIED)
    if s.preference in (FULL, PART):
        qs = qs.filter(employment_type=s.preference)
    wage = Q()
    for kind, floor in ((FULL, s.monthly_floor), (PART, s.hourly_floor)):
        wage |= Q(employment_type=kind) if floor is None else Q(employment_type=kind, wage_max__gte=floor)
    qs = qs.filter(wage)
    if s.desired_area_ids is not None:
        qs = qs.filter(area_id__in=sorted(s.desired_area_ids))
    qs = qs.filter(Q(age_min__isnull=True) | Q(age_min__lte=s.age), Q(age_max__isnull=True) | Q(age_max__gte=s.age))
    wage_points: Any = Value(0)
    whens = []
    for kind, floor in ((FULL, s.monthly_floor), (PART, s.hourly_floor)):
        if floor is not None:
            whens += [When(employment_type=kind, wage_min__gte=floor, then=Value(WAGE)),
                      When(employment_type=kind, then=Value(WAGE_PARTIAL))]
    if whens:
        wage_points = Case(*whens, default=Value(0), output_field=IntegerField())
    skill_count = _count_in(Posting.skills.through, "posting_id", s.skill_ids)
    return qs.annotate(
        p_occupation=_points(Q(occupation_id=s.occupation_id) if s.occupation_id else None, OCCUPATION),
        p_skills=skill_count * Value(SKILL) if s.skill_ids else Value(0),
        p_education=_points(Q(education_min__lte=s.education), EDUCATION),
        p_place=_points(Q(area_id__in=sorted(s.home_unit_ids)) if s.home_unit_ids else None, PLACE),
        p_wage=wage_points,
    ).annotate(
        score=F("p_occupation") + F("p_skills") + F("p_education") + F("p_place") + F("p_wage"),
    ).order_by("-score", "-pk")


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def rank_seekers(queryset: QuerySet[Seeker], p: PostingFacts, today: datetime.date | None = None) -> QuerySet[Seeker]:
    """The same rule from the posting's side: ``queryset`` (the seekers the user may see) who pass
    the hard filters for this posting, annotated and best first."""
    today = today or timezone.localdate()
    qs = queryset.filter(status=Seeker.Status.SEEKING, employment_type__in=["any", p.employment_type])
    floor_field = "desired_hourly_wage" if p.employment_type == PART else "desired_monthly_wage"
    qs = qs.filter(Q(**{f"{floor_field}__isnull": True}) | Q(**{f"{floor_field}__lte": p.wage_max}))
    qs = qs.filter(Q(desired_area__isnull=True) | Q(desired_area_id__in=sorted(p.area_ancestor_ids)))
    if p.age_min is not None:  # age ≥ min ⇔ born on or before today − min years
        qs = qs.filter(person__birth_date__lte=_years_before(today, p.age_min))
    if p.age_max is not None:  # age ≤ max ⇔ born after today − (max + 1) years
        qs = qs.filter(person__birth_date__gt=_years_before(today, p.age_max + 1))
    wage_points = Case(
        When(**{f"{floor_field}__isnull": True}, then=Value(0)),
        When(**{f"{floor_field}__lte": p.wage_min}, then=Value(WAGE)),
        default=Value(WAGE_PARTIAL), output_field=IntegerField())
    return qs.annotate(
        p_occupation=_points(Q(desired_occupation_id=p.occupation_id), OCCUPATION),
        p_skills=_count_in(Seeker.skills.through, "seeker_id", p.skill_ids) * Value(SKILL)
        if p.skill_ids else Value(0),
        p_education=_points(Q(education__gte=p.education_min), EDUCATION),
        p_place=_points(Q(org_unit_id__in=sorted(p.area_ancestor_ids)), PLACE),
        p_wage=wage_points,
    ).annotate(
        score=F("p_occupation") + F("p_skills") + F("p_education") + F("p_place") + F("p_wage"),
    ).order_by("-score", "-pk")


# --- Pages -------------------------------------------------------------------------------------------


@dataclass
class Match:
    """One ranked row and its explanation (which adds up to ``score``)."""

    obj: Any
    score: int
    explanation: Explanation
    rank: int


def postings_for(seeker: Seeker, queryset: QuerySet[Posting], limit: int = 20,
                 today: datetime.date | None = None) -> tuple[list[Match], SeekerFacts]:
    """The top ``limit`` postings for ``seeker``, explained. A fixed number of queries whatever the
    number of postings: the seeker's facts (2, or 3 with a desired area), the page (1), the shown
    postings' facts (3) and the names (3)."""
    today = today or timezone.localdate()
    s = seeker_facts(seeker, today)
    rows = list(rank_postings(queryset, s, today).select_related("recruiter__employer", "area", "occupation")[:limit])
    facts = posting_facts(rows, today)
    names = Names.load({f.area_id for f in facts.values()} | {seeker.org_unit_id})
    return [Match(row, cast(Any, row).score, explain(s, facts[row.pk], names), n) for n, row in enumerate(rows, start=1)], s


def seekers_for(posting: Posting, queryset: QuerySet[Seeker], limit: int = 20,
                today: datetime.date | None = None) -> list[Match]:
    """The top ``limit`` seekers for ``posting``, explained the same way."""
    today = today or timezone.localdate()
    p = posting_facts([posting], today)[posting.pk]
    rows = list(rank_seekers(queryset, p, today).select_related("person", "org_unit", "desired_occupation")[:limit])
    skills: dict[int, set[int]] = {row.pk: set() for row in rows}
    for seeker_id, skill_id in Seeker.skills.through.objects.filter(seeker_id__in=list(skills)).values_list(
            "seeker_id", "skill_id"):
        skills[seeker_id].add(skill_id)
    unit_ids = {row.org_unit_id for row in rows} | {posting.area_id}
    subtrees = _subtrees({row.org_unit_id for row in rows} | {row.desired_area_id for row in rows
                                                              if row.desired_area_id})
    names = Names.load(unit_ids)
    out = []
    for n, row in enumerate(rows, start=1):
        s = SeekerFacts(
            pk=row.pk, occupation_id=row.desired_occupation_id, skill_ids=frozenset(skills[row.pk]),
            education=row.education, home_unit_ids=subtrees.get(row.org_unit_id, frozenset()),
            desired_area_ids=subtrees.get(row.desired_area_id) if row.desired_area_id else None,
            preference=row.employment_type, monthly_floor=row.desired_monthly_wage,
            hourly_floor=row.desired_hourly_wage, age=age_on(row.person.birth_date, today))
        out.append(Match(row, cast(Any, row).score, explain(s, p, names), n))
    return out


def _subtrees(unit_ids: set[int]) -> dict[int, frozenset[int]]:
    """Each unit's subtree ids, in two queries."""
    units = list(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "path"))
    if not units:
        return {}
    q = Q()
    for _, path in units:
        q |= Q(path__startswith=path)
    everything = list(OrgUnit.objects.filter(q).values_list("pk", "path"))
    return {pk: frozenset(other for other, other_path in everything if other_path.startswith(path))
            for pk, path in units}
