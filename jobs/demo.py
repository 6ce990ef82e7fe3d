"""Demo and benchmark data for 就业援助 (``seed_demo``; ``--count jobs=N`` for N seekers).

The demo set goes through the services, as a clerk would enter it: employers registered as
recruiters with their three papers and verified, postings published, seekers registered (some
with a layoff or unemployment certificate), referrals with interviews, hires and follow-ups,
training courses with discounted enrolments and a job fair. Its dates are then spread over the
last weeks (the services date everything today), consistently: an outcome never before its
referral, a follow-up due 30 days after the start.

Beyond the demo set (``--count jobs=N`` with N above it) seekers and postings are bulk-created:
N seekers (as many as there are people without one) and N / 5 open postings, from verified
recruiters — what the matching and list benchmarks need. Idempotent: a second run with the same N
adds nothing; every demo record is found again by its employer, person or name.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from servicecenter import demo as core_demo
from servicecenter.models import Employer, OrgUnit, Person, Sequence, User
from servicecenter.numbering import format_case_number

from . import services
from .models import (
    Education,
    EmploymentType,
    Occupation,
    Paper,
    Posting,
    Recruiter,
    Referral,
    Seeker,
    Skill,
)

DEMO_RECRUITERS = 10
DEMO_POSTINGS = 30
BULK_BATCH = 5000
POSTINGS_PER_SEEKER = 5  # N seekers → N / 5 postings
POSTINGS_PER_RECRUITER = 10

TITLES = [("普工", "车间操作工"), ("焊工", "电焊工"), ("电工", "设备维修电工"), ("叉车司机", "仓库叉车司机"),
          ("驾驶员", "送货司机"), ("缝纫工", "服装缝纫工"), ("厨师", "食堂厨师"), ("服务员", "餐厅服务员"),
          ("保洁员", "物业保洁员"), ("保安员", "小区保安"), ("家政服务员", "家政服务员"), ("养老护理员", "养老院护理员"),
          ("营业员", "超市营业员"), ("收银员", "超市收银员"), ("仓管员", "仓库管理员"), ("快递员", "快递配送员"),
          ("数控操作工", "数控车床操作工"), ("印染工", "印染车间操作工"), ("挡车工", "纺织挡车工"), ("装配工", "电子装配工"),
          ("质检员", "质检员"), ("文员", "办公室文员"), ("客服专员", "电话客服")]
SKILLS_FOR = {"焊工": ["焊工"], "电工": ["电工"], "叉车司机": ["叉车"], "驾驶员": ["驾驶（C1）"], "缝纫工": ["缝纫"],
              "厨师": ["烹饪", "面点"], "保洁员": ["保洁"], "保安员": ["安保"], "家政服务员": ["家政服务"],
              "养老护理员": ["养老护理"], "营业员": ["销售"], "收银员": ["收银"], "仓管员": ["仓储管理", "计算机操作"],
              "快递员": ["快递配送", "驾驶（C1）"], "数控操作工": ["数控车床"], "印染工": ["印染"], "挡车工": ["纺织挡车"],
              "装配工": ["电子装配"], "质检员": ["质检"], "文员": ["计算机操作"], "客服专员": ["客户服务", "计算机操作"]}
REQUIREMENTS = ["能适应两班倒", "身体健康，吃苦耐劳", "有相关工作经验者优先", "包吃包住", "缴纳五险，月休四天", "", ""]


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


class _World:
    def __init__(self) -> None:
        self.stations = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION, is_active=True).order_by("path"))
        if not self.stations:
            raise RuntimeError("seed_jobs: no stations — run seed_demo first")
        clerks = (User.objects.filter(is_active=True, org_unit__isnull=False, role_grants__role="clerk")
                  .select_related("org_unit").order_by("pk").distinct())
        self.clerk_of = {u.org_unit_id: u for u in clerks}
        self.any_clerk = next(iter(self.clerk_of.values()), None)
        if self.any_clerk is None:
            raise RuntimeError("seed_jobs: no clerk accounts — run seed_demo first")
        self.occupations = {o.name: o for o in Occupation.objects.all()}
        self.skills = {s.name: s for s in Skill.objects.all()}

    def clerk(self, unit: OrgUnit) -> User:
        return self.clerk_of.get(unit.pk) or self.any_clerk  # type: ignore[return-value]


def seed_jobs(count: int, *, write: Callable[[str], None] = print) -> str:
    world = _World()
    _demo_set(world)
    if count > Seeker.objects.count():
        _bulk(world, count, write)
    return (f"{Seeker.objects.count()} 名求职者，{Posting.objects.count()} 个岗位，"
            f"{Referral.objects.count()} 次推荐")


# --- the demo set, through the services -------------------------------------------------------------


def _demo_set(world: _World) -> None:
    rng = random.Random(11)
    demo_clerks = [u for u in world.clerk_of.values() if u.org_unit and u.org_unit.kind == OrgUnit.Kind.STATION]
    if not demo_clerks:
        return
    recruiters = _demo_recruiters(world, demo_clerks, rng)
    postings = _demo_postings(world, recruiters, rng)
    seekers = _demo_seekers(world, demo_clerks, rng)
    if not Referral.objects.exists():
        _demo_referrals(world, seekers, postings, rng)
    _demo_training(world, demo_clerks, rng)
    _demo_fair(world, demo_clerks, recruiters, seekers)


def _demo_recruiters(world: _World, clerks: list[User], rng: random.Random) -> list[Recruiter]:
    out: list[Recruiter] = []
    for clerk in clerks:
        employers = list(Employer.objects.filter(org_unit=clerk.org_unit).order_by("pk")[:DEMO_RECRUITERS // len(clerks) + 1])
        for employer in employers:
            recruiter = Recruiter.objects.filter(employer=employer).first()
            if recruiter is None:
                with transaction.atomic():
                    recruiter = services.recruiter_register(
                        by=clerk, employer=employer, contact_person=employer.contact_person or core_demo.person_name(rng),
                        contact_phone=employer.contact_phone or core_demo.mobile(rng))
                    for kind, _ in Paper.Kind.choices:
                        upload = SimpleUploadedFile(f"{kind}.png", _png(), content_type="image/png")
                        services.recruiter_add_paper(recruiter=recruiter, by=clerk, kind=kind, upload=upload)
                    if len(out) % 5 != 4:  # one in five still waits for verification
                        services.recruiter_verify(recruiter=recruiter, by=clerk, verified_on=timezone.localdate())
            out.append(recruiter)
    return out


def _demo_postings(world: _World, recruiters: list[Recruiter], rng: random.Random) -> list[Posting]:
    today = timezone.localdate()
    verified = [r for r in recruiters if r.is_verified]
    if Posting.objects.filter(recruiter__in=recruiters).exists() or not verified:
        return list(Posting.objects.filter(recruiter__in=recruiters))
    out: list[Posting] = []
    for i in range(DEMO_POSTINGS):
        recruiter = verified[i % len(verified)]
        occupation, title = TITLES[(i * 7) % len(TITLES)]
        part = i % 6 == 5
        wage_min = Decimal(rng.randrange(23, 35)) if part else Decimal(rng.randrange(2300, 6000, 100))
        wage_max = wage_min + (Decimal(rng.randrange(2, 10)) if part else Decimal(rng.randrange(500, 3000, 100)))
        by = world.clerk(recruiter.org_unit)
        with transaction.atomic():
            posting = services.posting_create(
                by=by, recruiter=recruiter, publish=True, title=title, occupation=world.occupations[occupation],
                openings=rng.randrange(1, 8), education_min=rng.choice([0, 0, 2, 3]),
                age_min=rng.choice([None, 18, 18, 20]), age_max=rng.choice([None, 45, 50, 55]),
                skills=[world.skills[s] for s in SKILLS_FOR.get(occupation, [])][: rng.randrange(0, 3)],
                requirements=rng.choice(REQUIREMENTS),
                employment_type=EmploymentType.PART_TIME if part else EmploymentType.FULL_TIME,
                wage_min=wage_min, wage_max=wage_max, area=rng.choice(world.stations),
                address=recruiter.employer.address or "绍兴市越城区", contact_person=recruiter.contact_person,
                contact_phone=recruiter.contact_phone, valid_from=today - datetime.timedelta(days=rng.randrange(0, 40)),
                valid_to=today + datetime.timedelta(days=rng.randrange(3, 90)), for_vulnerable=i % 3 == 0)
        out.append(posting)
    return out


def _demo_seekers(world: _World, clerks: list[User], rng: random.Random) -> list[Seeker]:
    out = []
    for clerk in clerks:
        people = list(Person.objects.filter(org_unit=clerk.org_unit).order_by("pk")[:15])
        for person in people:
            seeker = Seeker.objects.filter(person=person).first()
            if seeker is None:
                occupation, _ = rng.choice(TITLES)
                known = SKILLS_FOR.get(occupation, [])
                with transaction.atomic():
                    seeker = services.seeker_register(
                        by=clerk, person=person, education=rng.choice([2, 2, 3, 3, 4, 5]),
                        skills=[world.skills[s] for s in known[: rng.randrange(0, len(known) + 1)]],
                        desired_occupation=world.occupations[occupation] if rng.random() < 0.8 else None,
                        employment_type=rng.choice(["any", "any", "full", "part"]),
                        desired_monthly_wage=Decimal(rng.randrange(2500, 5000, 100)) if rng.random() < 0.7 else None,
                        desired_hourly_wage=Decimal(rng.randrange(20, 28)) if rng.random() < 0.3 else None,
                        availability=rng.choice(["", "可倒班", "仅白班"]),
                        certificate_issuer="绍兴市越城区人力资源和社会保障局" if person.jobless_certificate else "")
            out.append(seeker)
    return out


def _demo_referrals(world: _World, seekers: list[Seeker], postings: list[Posting], rng: random.Random) -> None:
    today = timezone.localdate()
    open_postings = [p for p in postings if p.status == Posting.Status.OPEN]
    if not open_postings:
        return
    for i, seeker in enumerate(seekers[:30]):
        clerk = world.clerk(seeker.org_unit)
        posting = open_postings[(i * 5) % len(open_postings)]
        posting.refresh_from_db()
        if posting.status != Posting.Status.OPEN:
            continue
        with transaction.atomic():
            referral = services.referral_create(by=clerk, seeker=seeker, posting=posting, note="")
            fate = i % 5
            if fate in (1, 2):
                services.referral_interview(referral=referral, by=clerk, interviewed_on=today)
                if fate == 2:
                    wage = max(posting.wage_min, posting.wage_min)
                    services.referral_hire(referral=referral, by=clerk, start_date=today, wage=wage)
            elif fate == 3:
                services.referral_reject(referral=referral, by=clerk, note="经验不足")
        # Spread the dates over the last weeks (the services dated everything today).
        back = datetime.timedelta(days=rng.randrange(0, 50))
        referral.refresh_from_db()
        changes: dict[str, Any] = {"referred_on": today - back}
        if referral.status == Referral.Status.HIRED:
            start = today - back + datetime.timedelta(days=7) if back.days >= 7 else today
            due = start + datetime.timedelta(days=30)
            changes.update(start_date=start, outcome_on=min(today, today - back + datetime.timedelta(days=5)),
                           follow_up_due=due, follow_up_late_from=due + datetime.timedelta(days=1))
        elif referral.status != Referral.Status.REFERRED:
            changes["outcome_on"] = min(today, today - back + datetime.timedelta(days=5))
            if referral.interviewed_on:
                changes["interviewed_on"] = min(today, today - back + datetime.timedelta(days=3))
        Referral.objects.filter(pk=referral.pk).update(**changes)


def _demo_training(world: _World, clerks: list[User], rng: random.Random) -> None:
    from .models import Course

    if Course.objects.exists():
        return
    today = timezone.localdate()
    station = clerks[0].org_unit
    assert station is not None
    by = clerks[0]
    specs = [("电焊工技能培训", "绍兴市技工学校", 60, 30, Decimal("1200.00")),
             ("养老护理员培训", "越城区职业培训中心", 40, 25, Decimal("800.00")),
             ("电商客服实务", "绍兴市职工学校", 24, 20, Decimal("0.00"))]
    for k, (name, provider, hours, capacity, fee) in enumerate(specs):
        with transaction.atomic():
            course = services.course_create(by=by, org_unit=station, name=name, provider=provider,
                                            starts_on=today - datetime.timedelta(days=10 - k * 10),
                                            ends_on=today + datetime.timedelta(days=20 + k * 5), hours=hours,
                                            capacity=capacity, fee=fee)
            people = list(Person.objects.filter(org_unit=station).order_by("-pk")[k * 5: k * 5 + 5])
            for person in people:
                services.enrolment_create(by=clerks[0], course=course, person=person)


def _demo_fair(world: _World, clerks: list[User], recruiters: list[Recruiter], seekers: list[Seeker]) -> None:
    from .models import JobFair

    if JobFair.objects.exists():
        return
    clerk = clerks[0]
    today = timezone.localdate()
    with transaction.atomic():
        fair = services.fair_create(by=clerk, name="春风行动专场招聘洽谈会", held_on=today,
                                    place="府山街道职工服务站一楼大厅", note="面向下岗失业人员、农民工和困难职工")
        for recruiter in [r for r in recruiters if r.is_verified and r.org_unit_id == clerk.org_unit_id][:3]:
            open_ones = list(Posting.objects.filter(recruiter=recruiter, status=Posting.Status.OPEN,
                                                    valid_to__gte=today, valid_from__lte=today))
            services.fair_join(fair=fair, by=clerk, recruiter=recruiter, postings=open_ones)
        for seeker in [s for s in seekers if s.org_unit_id == clerk.org_unit_id][10:14]:
            services.fair_attend(fair=fair, by=clerk, seeker=seeker)


# --- bulk (benchmarks) -------------------------------------------------------------------------------------


def _reserve(kind: str, unit: OrgUnit, year: int, n: int) -> int:
    """Take ``n`` numbers from the series ``numbering.case_number`` uses; returns the first."""
    seq, _ = Sequence.objects.select_for_update().get_or_create(kind=kind, org_unit=unit, year=year)
    first = seq.last + 1
    Sequence.objects.filter(pk=seq.pk).update(last=seq.last + n)
    return first


def _bulk(world: _World, count: int, write: Callable[[str], None]) -> None:
    rng = random.Random(2026)
    today = timezone.localdate()
    units = {u.pk: u for u in OrgUnit.objects.all()}
    skills = list(world.skills.values())
    occupations = list(world.occupations.values())
    stations = world.stations
    want_postings = count // POSTINGS_PER_SEEKER
    have_postings = Posting.objects.count()
    if want_postings > have_postings:
        recruiters = _bulk_recruiters(world, -(-(want_postings - have_postings) // POSTINGS_PER_RECRUITER), rng)
        _bulk_postings(world, recruiters, want_postings - have_postings, rng, units, skills, occupations, stations)
        write(f"  岗位：{Posting.objects.count():,} 个")
    missing = count - Seeker.objects.count()
    people = Person.objects.filter(job_seeker__isnull=True).order_by("pk").values_list("pk", "org_unit_id")
    done = 0
    batch: list[tuple[int, int]] = []
    for row in people.iterator(chunk_size=BULK_BATCH):
        if done + len(batch) >= missing:
            break
        batch.append(row)
        if len(batch) == BULK_BATCH:
            _bulk_seekers(world, batch, rng, units, skills, occupations, today)
            done += len(batch)
            batch = []
            write(f"  求职者：{done:,}/{missing:,}")
    if batch:
        _bulk_seekers(world, batch, rng, units, skills, occupations, today)
        done += len(batch)
    if done < missing:
        write(f"  只有 {done:,} 名职工尚无求职登记，少于所需的 {missing:,}（先用 --scale 生成更多职工）。")
    if connection.vendor == "postgresql":
        # Fresh statistics for the planner after a bulk load (what autovacuum would do later).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE jobs_posting, jobs_posting_skills, jobs_seeker, jobs_seeker_skills, jobs_recruiter")


def _bulk_recruiters(world: _World, n: int, rng: random.Random) -> list[Recruiter]:
    existing = list(Recruiter.objects.filter(status=Recruiter.Status.VERIFIED))
    if len(existing) >= n:
        return existing
    candidates = list(Employer.objects.filter(recruiter__isnull=True).order_by("pk")[: n - len(existing)])
    today = timezone.localdate()
    rows = [Recruiter(employer=e, org_unit_id=e.org_unit_id, contact_person=e.contact_person or "张经理",
                      contact_phone=e.contact_phone or "13800000000", status=Recruiter.Status.VERIFIED,
                      verified_on=today, verified_by=world.any_clerk, created_by=world.any_clerk) for e in candidates]
    Recruiter.objects.bulk_create(rows, batch_size=BULK_BATCH)
    return list(Recruiter.objects.filter(status=Recruiter.Status.VERIFIED))


@transaction.atomic
def _bulk_postings(world: _World, recruiters: list[Recruiter], n: int, rng: random.Random, units: dict,
                   skills: list[Skill], occupations: list[Occupation], stations: list[OrgUnit]) -> None:
    today = timezone.localdate()
    by_unit: dict[int, list[Recruiter]] = {}
    for r in recruiters:
        by_unit.setdefault(r.org_unit_id, []).append(r)
    plan = [recruiters[i % len(recruiters)] for i in range(n)]
    counts: dict[int, int] = {}
    for r in plan:
        counts[r.org_unit_id] = counts.get(r.org_unit_id, 0) + 1
    next_number = {pk: _reserve("GW", units[pk], today.year, c) for pk, c in counts.items()}
    rows = []
    skill_sets = []
    for r in plan:
        unit = units[r.org_unit_id]
        number = format_case_number("GW", unit, today.year, next_number[unit.pk])
        next_number[unit.pk] += 1
        part = rng.random() < 0.15
        wage_min = Decimal(rng.randrange(23, 35)) if part else Decimal(rng.randrange(2300, 7000, 100))
        wage_max = wage_min + (Decimal(rng.randrange(2, 10)) if part else Decimal(rng.randrange(500, 3000, 100)))
        age_max = rng.choice([None, 45, 50, 55, 60])
        rows.append(Posting(
            number=number, org_unit_id=unit.pk, recruiter_id=r.pk, title=f"{rng.choice(TITLES)[1]}",
            occupation_id=rng.choice(occupations).pk, openings=rng.randrange(1, 10),
            education_min=rng.choice([0, 0, 0, 2, 3, 4]), age_min=rng.choice([None, 18, 20]), age_max=age_max,
            employment_type=EmploymentType.PART_TIME if part else EmploymentType.FULL_TIME, wage_min=wage_min,
            wage_max=wage_max, area_id=rng.choice(stations).pk, address="绍兴市", contact_person=r.contact_person,
            contact_phone=r.contact_phone, valid_from=today - datetime.timedelta(days=rng.randrange(0, 60)),
            valid_to=today + datetime.timedelta(days=rng.randrange(1, 120)), for_vulnerable=rng.random() < 0.3,
            status=Posting.Status.OPEN, published_on=today - datetime.timedelta(days=rng.randrange(0, 60)),
            created_by=world.any_clerk))
        skill_sets.append(rng.sample(skills, rng.randrange(0, 4)))
    created = Posting.objects.bulk_create(rows, batch_size=BULK_BATCH)
    through = Posting.skills.through
    links = [through(posting_id=p.pk, skill_id=s.pk) for p, chosen in zip(created, skill_sets, strict=True)
             for s in chosen]
    through.objects.bulk_create(links, batch_size=BULK_BATCH)
    names = {s.pk: s.name for s in skills}
    for p, chosen in zip(created, skill_sets, strict=True):
        p.skill_names = "、".join(names[s.pk] for s in chosen)
    Posting.objects.bulk_update(created, ["skill_names"], batch_size=BULK_BATCH)


@transaction.atomic
def _bulk_seekers(world: _World, people: list[tuple[int, int]], rng: random.Random, units: dict,
                  skills: list[Skill], occupations: list[Occupation], today: datetime.date) -> None:
    counts: dict[int, int] = {}
    for _, unit_id in people:
        counts[unit_id] = counts.get(unit_id, 0) + 1
    next_number = {pk: _reserve("QZ", units[pk], today.year, c) for pk, c in counts.items()}
    rows = []
    skill_sets = []
    districts = [u for u in units.values() if u.kind == OrgUnit.Kind.DISTRICT]
    for person_id, unit_id in people:
        unit = units[unit_id]
        number = format_case_number("QZ", unit, today.year, next_number[unit_id])
        next_number[unit_id] += 1
        rows.append(Seeker(
            number=number, org_unit_id=unit_id, person_id=person_id,
            education=rng.choice([Education.PRIMARY, Education.JUNIOR, Education.JUNIOR, Education.SENIOR,
                                  Education.SENIOR, Education.COLLEGE, Education.BACHELOR]),
            desired_occupation_id=rng.choice(occupations).pk if rng.random() < 0.8 else None,
            desired_area_id=rng.choice(districts).pk if districts and rng.random() < 0.3 else None,
            employment_type=rng.choice(["any", "any", "any", "full", "part"]),
            desired_monthly_wage=Decimal(rng.randrange(2500, 6000, 100)) if rng.random() < 0.7 else None,
            desired_hourly_wage=Decimal(rng.randrange(20, 30)) if rng.random() < 0.3 else None,
            registered_on=today - datetime.timedelta(days=rng.randrange(0, 365)), created_by=world.any_clerk))
        skill_sets.append(rng.sample(skills, rng.randrange(0, 4)))
    created = Seeker.objects.bulk_create(rows, batch_size=BULK_BATCH)
    through = Seeker.skills.through
    links = [through(seeker_id=s.pk, skill_id=k.pk) for s, chosen in zip(created, skill_sets, strict=True)
             for k in chosen]
    through.objects.bulk_create(links, batch_size=BULK_BATCH)
    names = {s.pk: s.name for s in skills}
    for s, chosen in zip(created, skill_sets, strict=True):
        s.skill_names = "、".join(names[k.pk] for k in chosen)
    Seeker.objects.bulk_update(created, ["skill_names"], batch_size=BULK_BATCH)
