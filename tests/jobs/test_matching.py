"""Matching, explained: hard filters first, then a score whose explanation lists every factor and
adds up exactly to it; the SQL ranking equals the Python reference; adding a matching skill never
lowers a posting's rank; a fixed number of queries however many postings there are."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs import matching, services
from jobs.matching import PostingFacts, SeekerFacts
from jobs.models import Occupation, Posting, Recruiter, Seeker, Skill
from servicecenter.models import Person
from tests.conftest import login, make_person
from tests.jobs.conftest import TODAY, make_posting, make_recruiter, make_seeker, occupation, skill

D = Decimal


def open_postings() -> Any:
    return Posting.objects.all()


# --- the explanation adds up ----------------------------------------------------------------------------


def test_every_factor_is_listed_and_they_add_up_to_the_score(clerk, recruiter, units):
    welder, forklift, electric = skill("焊工"), skill("叉车"), skill("电工")
    make_posting(clerk, recruiter, title="电焊工", occupation=occupation("焊工"), skills=[welder, electric],
                 education_min=3, wage_min=D("5000"), wage_max=D("7000"))
    make_posting(clerk, recruiter, title="叉车司机", occupation=occupation("叉车司机"), skills=[forklift],
                 wage_min=D("3500"), wage_max=D("4200"), area=units["330602002"])
    make_posting(clerk, recruiter, title="普工", skills=[], education_min=5, wage_min=D("3000"), wage_max=D("4000"))
    make_posting(clerk, recruiter, title="小时工", employment_type="part", wage_min=D("25"), wage_max=D("30"))
    seeker = make_seeker(clerk, skills=[welder, forklift], desired_occupation=occupation("焊工"), education=3,
                         desired_monthly_wage=D("4000"), desired_hourly_wage=D("24"))
    matches, _ = matching.postings_for(seeker, open_postings())
    # 电焊工 30+10+15+15+20; 小时工 0+0+15+15+20; 叉车司机 0+10+15+0+10; 普工 0+0+0+15+10
    assert [(m.obj.title, m.score) for m in matches] == [("电焊工", 90), ("小时工", 50), ("叉车司机", 35), ("普工", 25)]
    for m in matches:
        assert [f.code for f in m.explanation.factors] == ["occupation", "skills", "education", "place", "wage"]
        assert sum(f.points for f in m.explanation.factors) == m.explanation.total == m.score
        assert m.explanation.passed
    top = {f.code: f for f in matches[0].explanation.factors}
    assert top["occupation"].points == matching.OCCUPATION
    assert top["skills"].points == matching.SKILL and "焊工" in top["skills"].detail and "尚缺电工" in top["skills"].detail
    assert top["wage"].points == matching.WAGE  # 5000 ≥ 4000
    second = {f.code: f for f in matches[2].explanation.factors}
    assert second["place"].points == 0  # 塔山 is not under 府山, where the seeker registered
    assert second["wage"].points == matching.WAGE_PARTIAL  # 3500 < 4000 ≤ 4200
    last = {f.code: f for f in matches[-1].explanation.factors}
    assert last["education"].points == 0 and "低于" in last["education"].detail


def test_hard_filters_come_first(clerk, recruiter, users, freeze):
    unverified = make_recruiter(clerk, verified=False, name="古越商贸有限公司")
    shown = make_posting(clerk, recruiter, title="可推荐")
    make_posting(clerk, unverified, publish=False, title="单位未核验")
    make_posting(clerk, recruiter, title="工资太低", wage_min=D("2300"), wage_max=D("2500"))
    make_posting(clerk, recruiter, title="年龄不符", age_max=30)
    make_posting(clerk, recruiter, title="非全日制", employment_type="part", wage_min=D("25"), wage_max=D("30"))
    lapsed = make_posting(clerk, recruiter, title="已过期", valid_to=TODAY() + datetime.timedelta(days=1))
    draft = make_posting(clerk, recruiter, title="草稿", publish=False)
    unlawful = make_posting(clerk, recruiter, title="措辞")
    Posting.objects.filter(pk=unlawful.pk).update(wording_ok=False)
    Posting.objects.filter(pk=draft.pk).update(recruiter=unverified)
    person = make_person(clerk, name="赵大海")
    Person.objects.filter(pk=person.pk).update(birth_date=datetime.date(1980, 1, 1))
    seeker = make_seeker(clerk, person=person, employment_type="full", desired_monthly_wage=D("3000"))
    freeze(TODAY() + datetime.timedelta(days=2))
    titles = [m.obj.title for m in matching.postings_for(seeker, open_postings())[0]]
    assert titles == [shown.title]
    assert lapsed.title not in titles


def test_the_desired_area_is_a_hard_filter(clerk, recruiter, units):
    make_posting(clerk, recruiter, title="越城区岗位", area=units["330602002"])
    make_posting(clerk, recruiter, title="上虞区岗位", area=units["330604001"])
    seeker = make_seeker(clerk, desired_area=units["330602"])
    assert [m.obj.title for m in matching.postings_for(seeker, open_postings())[0]] == ["越城区岗位"]


def test_a_synonym_finds_the_skill(clerk, recruiter):
    from jobs.forms import TermsField

    field = TermsField(queryset=Skill.objects.all())
    assert field.clean("电焊") == [skill("焊工")]
    make_posting(clerk, recruiter, title="焊工岗", skills=[skill("焊工")])
    seeker = make_seeker(clerk, skills=field.clean("电焊、铲车"))
    m = matching.postings_for(seeker, open_postings())[0][0]
    assert {f.code: f.points for f in m.explanation.factors}["skills"] == matching.SKILL
    body = login(clerk).get("/jobs/seekers/?skill=电焊").content.decode()
    assert seeker.number in body


def test_seekers_are_ranked_for_a_posting_the_same_way(clerk, recruiter):
    posting = make_posting(clerk, recruiter, occupation=occupation("焊工"), skills=[skill("焊工")],
                           wage_min=D("4000"), wage_max=D("6000"))
    best = make_seeker(clerk, name="甲", skills=[skill("焊工")], desired_occupation=occupation("焊工"),
                       desired_monthly_wage=D("4000"))
    make_seeker(clerk, name="乙", desired_monthly_wage=D("5000"))
    make_seeker(clerk, name="丙", desired_monthly_wage=D("7000"))  # above the range: filtered out
    rows = matching.seekers_for(posting, Seeker.objects.all())
    assert [r.obj.person.name for r in rows] == ["甲", "乙"]
    assert rows[0].obj.pk == best.pk
    for r in rows:
        assert r.explanation.total == r.score
    # The same score from the seeker's side.
    from_seeker = {m.obj.pk: m.score for m in matching.postings_for(best, open_postings())[0]}
    assert from_seeker[posting.pk] == rows[0].score


def test_the_page_takes_a_fixed_number_of_queries(clerk, recruiter, django_assert_max_num_queries):
    seeker = make_seeker(clerk, skills=[skill("焊工")], desired_occupation=occupation("普工"))
    counts = []
    for n in (3, 25):
        while Posting.objects.count() < n:
            make_posting(clerk, recruiter, skills=[skill("焊工"), skill("电工")])
        with CaptureQueriesContext(connection) as ctx:
            matches, _ = matching.postings_for(seeker, open_postings())
        counts.append(len(ctx))
        assert len(matches) == min(n, 20)
    # the seeker's skills and home subtree 2, the ranked page 1, the shown postings' skills, areas
    # and the units above them 3, the names of occupations, skills and units 3
    assert counts[0] == counts[1] == 9


def test_the_matches_page_explains_and_refers(clerk, recruiter, django_assert_max_num_queries):
    posting = make_posting(clerk, recruiter, occupation=occupation("焊工"), skills=[skill("焊工")])
    seeker = make_seeker(clerk, skills=[skill("焊工")], desired_occupation=occupation("焊工"))
    client = login(clerk)
    body = client.get(f"/jobs/seekers/{seeker.pk}/matches/").content.decode()
    assert posting.number in body and 'data-factor="skills"' in body and "具备焊工（1项×10分）" in body
    response = client.post(f"/jobs/seekers/{seeker.pk}/refer/", {"posting": posting.pk, "from": "matches"})
    referral = seeker.referrals.get()
    assert response.status_code == 302 and response["Location"] == referral.get_absolute_url()


# --- the SQL ranking equals the Python reference; the monotonic property -----------------------------------

SKILL_IDS = st.frozensets(st.integers(0, 5), max_size=4)


@st.composite
def posting_specs(draw: Any) -> dict[str, Any]:
    part = draw(st.booleans())
    low = draw(st.integers(23, 30)) if part else draw(st.integers(23, 60)) * 100
    return {"occupation": draw(st.integers(0, 2)), "skills": draw(SKILL_IDS), "education_min": draw(st.integers(0, 5)),
            "area": draw(st.integers(0, 2)), "part": part, "wage_min": D(low),
            "wage_max": D(low) + (draw(st.integers(0, 8)) if part else draw(st.integers(0, 30)) * 100),
            "age_min": draw(st.sampled_from([None, 18, 30])), "age_max": draw(st.sampled_from([None, 40, 60]))}


@st.composite
def seeker_specs(draw: Any) -> dict[str, Any]:
    return {"occupation": draw(st.sampled_from([None, 0, 1, 2])), "skills": draw(SKILL_IDS),
            "education": draw(st.integers(1, 6)), "preference": draw(st.sampled_from(["any", "full", "part"])),
            "monthly": draw(st.sampled_from([None, D(3000), D(4500)])),
            "hourly": draw(st.sampled_from([None, D(25)])), "age": draw(st.integers(18, 60)),
            "desired_area": draw(st.sampled_from([None, 0, 1]))}


def facts(seeker: dict[str, Any], postings: list[dict[str, Any]]) -> tuple[SeekerFacts, list[PostingFacts]]:
    """Pure facts: three areas (0 and 1 are in the seeker's home, 2 is not; area 0 alone is "desired area 0")."""
    s = SeekerFacts(pk=None, occupation_id=seeker["occupation"], skill_ids=frozenset(seeker["skills"]),
                    education=seeker["education"], home_unit_ids=frozenset({0, 1}),
                    desired_area_ids=None if seeker["desired_area"] is None else frozenset({seeker["desired_area"]}),
                    preference=seeker["preference"], monthly_floor=seeker["monthly"], hourly_floor=seeker["hourly"],
                    age=seeker["age"])
    ps = [PostingFacts(pk=i + 1, occupation_id=p["occupation"], skill_ids=frozenset(p["skills"]),
                       education_min=p["education_min"], area_id=p["area"], area_ancestor_ids=frozenset({p["area"]}),
                       employment_type="part" if p["part"] else "full", wage_min=p["wage_min"],
                       wage_max=p["wage_max"], age_min=p["age_min"], age_max=p["age_max"])
          for i, p in enumerate(postings)]
    return s, ps


def rank_of(ranked: list[tuple[int, int]], pk: int) -> int | None:
    return next((n for n, (other, _) in enumerate(ranked) if other == pk), None)


@settings(max_examples=300, deadline=None)
@given(seeker=seeker_specs(), postings=st.lists(posting_specs(), min_size=1, max_size=12), data=st.data())
def test_adding_a_matching_skill_never_lowers_a_postings_rank(seeker, postings, data):
    s, ps = facts(seeker, postings)
    before = matching.python_rank(s, ps)
    candidates = [(p, k) for p in ps for k in p.skill_ids - s.skill_ids if rank_of(before, p.pk) is not None]
    if not candidates:
        return
    target, new_skill = data.draw(st.sampled_from(candidates))
    after = matching.python_rank(s.with_skill(new_skill), ps)
    assert rank_of(after, target.pk) <= rank_of(before, target.pk)
    # … and no posting's score went down.
    scores_before, scores_after = dict(before), dict(after)
    assert all(scores_after[pk] >= score for pk, score in scores_before.items())


@pytest.fixture
def world(clerk: Any, recruiter: Recruiter, units: dict) -> dict[str, Any]:
    """Database rows the property examples map their small integers onto."""
    occupations = list(Occupation.objects.order_by("pk")[:3])
    skills = list(Skill.objects.order_by("pk")[:6])
    areas = [units["330602001"], units["330602001"], units["330604001"]]
    return {"occupations": occupations, "skills": skills, "areas": areas, "clerk": clerk, "recruiter": recruiter,
            "units": units}


def _db_example(world: dict[str, Any], seeker: dict[str, Any], postings: list[dict[str, Any]]) -> tuple:
    today = TODAY()
    rows = []
    for p in postings:
        rows.append(Posting(
            number=f"T-{len(rows)}-{id(p)}", org_unit=world["clerk"].org_unit, recruiter=world["recruiter"],
            title="t", occupation=world["occupations"][p["occupation"]], openings=1, education_min=p["education_min"],
            age_min=p["age_min"], age_max=p["age_max"], employment_type="part" if p["part"] else "full",
            wage_min=p["wage_min"], wage_max=p["wage_max"], area=world["areas"][p["area"]], address="x",
            contact_person="x", contact_phone="13800000000", valid_from=today, valid_to=today, status="open",
            created_by=world["clerk"]))
    created = Posting.objects.bulk_create(rows)
    through = Posting.skills.through
    through.objects.bulk_create([through(posting_id=obj.pk, skill_id=world["skills"][k].pk)
                                 for obj, p in zip(created, postings, strict=True) for k in p["skills"]])
    person = make_person(world["clerk"], name="例")
    Person.objects.filter(pk=person.pk).update(birth_date=datetime.date(today.year - seeker["age"], 1, 1))
    desired = {None: None, 0: world["units"]["330602001"], 1: world["units"]["330602"]}[seeker["desired_area"]]
    obj = Seeker.objects.create(
        number=f"QZ-T-{id(seeker)}", org_unit=world["clerk"].org_unit, person=person, education=seeker["education"],
        desired_occupation=None if seeker["occupation"] is None else world["occupations"][seeker["occupation"]],
        desired_area=desired, employment_type=seeker["preference"], desired_monthly_wage=seeker["monthly"],
        desired_hourly_wage=seeker["hourly"], registered_on=today, created_by=world["clerk"])
    obj.skills.set([world["skills"][k] for k in seeker["skills"]])
    return obj, created


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeker=seeker_specs(), postings=st.lists(posting_specs(), min_size=1, max_size=8), data=st.data())
def test_the_sql_ranking_equals_the_python_reference_and_is_monotonic(world, seeker, postings, data):
    with transaction.atomic():
        sid = transaction.savepoint()
        try:
            obj, created = _db_example(world, seeker, postings)
            obj = Seeker.objects.select_related("person").get(pk=obj.pk)
            s = matching.seeker_facts(obj)
            rows = list(Posting.objects.filter(pk__in=[c.pk for c in created]).select_related("recruiter"))
            reference = matching.python_rank(s, matching.posting_facts(rows).values())
            sql = list(matching.rank_postings(Posting.objects.all(), s).values_list("pk", "score"))
            assert sql == reference
            candidates = [(pk, k) for pk, _ in sql for k in
                          set(Posting.skills.through.objects.filter(posting_id=pk).values_list("skill_id", flat=True))
                          - s.skill_ids]
            if candidates:
                pk, new_skill = data.draw(st.sampled_from(candidates))
                obj.skills.add(new_skill)
                after = list(matching.rank_postings(Posting.objects.all(), matching.seeker_facts(obj))
                             .values_list("pk", "score"))
                assert rank_of(after, pk) <= rank_of(sql, pk)
        finally:
            transaction.savepoint_rollback(sid)


def test_the_bench_reference_and_the_page_agree(clerk, recruiter):
    for n in range(6):
        make_posting(clerk, recruiter, skills=[skill("焊工")] if n % 2 else [], wage_min=D(3000 + n * 100))
    seeker = make_seeker(clerk, skills=[skill("焊工")], desired_monthly_wage=D("3200"))
    services_rows = [(m.obj.pk, m.score) for m in matching.postings_for(seeker, open_postings())[0]]
    s = matching.seeker_facts(seeker)
    reference = matching.python_rank(s, matching.posting_facts(
        list(Posting.objects.select_related("recruiter"))).values())
    assert services_rows == reference[:20]
    assert services is not None
