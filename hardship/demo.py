"""Demo and benchmark files.

``seed_files(count)``: the demo story first — ``DEMO_FILES`` (62) files across the four demo
stations in every state, made through the services (so each has its timeline, evaluations,
approvals, audit rows): applications waiting for review, files under notice (one with an open
objection), files waiting for the district, archived files (some due for their yearly review, one
with a change of circumstances), declined, rejected, exited and closed ones. Dates are moved back
afterwards so that notices have run and some reviews are due. Then, when ``count`` is larger, bulk
archived files (``seed_demo --count hardship=200000`` for the benchmarks) written straight to the
table for the bulk people, without members or timelines.

Idempotent: each file's token is derived from its index; files already there are skipped.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from servicecenter import approvals
from servicecenter.models import Approval, OrgUnit, Person, Sequence, User
from servicecenter.numbering import format_case_number
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles

from . import codes, services
from .models import GradeSpan, HardshipEvent, HardshipFile, HomeVisit, SpotCheck
from .selectors import add_months

NAMESPACE = uuid.UUID("0b1c7f3e-52d4-4b8e-9f41-7a6c2d9e8b13")
STATIONS = ["330602001", "330602002", "330604001", "330604002"]
BULK_BATCH = 5000
D = Decimal

# The story of each station's 15 files: (state, profile).
STORY = [
    ("applied", "income"), ("applied_visited", "spending"), ("applied", "excluded"),
    ("reviewed", "illness"),
    ("notice", "income"), ("notice_objection", "spending"),
    ("submitted", "extreme"),
    ("archived", "income"), ("archived", "extreme"), ("archived_due", "illness"), ("archived_changed", "zero_job"),
    ("archived_due", "spending"),
    ("declined", "excluded"), ("exited", "income"), ("closed", "zero_job"),
]
# The last station's extra story lines, to reach every refused outcome of the district as well.
EXTRA = {0: ("rejected", "none"), 1: ("returned", "income")}
DEMO_FILES = len(STORY) * len(STATIONS) + len(EXTRA)  # 62


def _token(kind: str, i: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}-{i}")


def _member(relation: str, name: str, work: str, income: str, *, age: int | None = None, id_number: str = "",
            health: str = codes.Health.GOOD, schooling: str = "") -> services.MemberData:
    return services.MemberData(relation=relation, name=name, work_status=work, id_number=id_number, age=age,
                               health=health, monthly_income=D(income), schooling=schooling)


def _household(profile: str, person: Person, rng: random.Random) -> services.Household:
    me = person.id_number
    spouse = "配偶" + person.name[0]
    base: dict[str, Any] = {"ethnicity": "汉族", "political": codes.Political.MASSES, "marital": codes.Marital.MARRIED,
            "hukou": codes.Hukou.NON_AGRICULTURAL, "phone": person.phone,
            "address": person.address or "绍兴市越城区解放北路1号", "housing_type": codes.HousingType.RENTED,
            "housing_area": D("48.50"), "main_cause": codes.Cause.LAID_OFF, "secondary_causes": [],
            "needs": "希望得到生活救助和就业帮扶。", "help_received": "无"}
    incomes: list[services.IncomeData] = []
    if profile == "income":
        members = [_member("self", person.name, codes.WorkStatus.EMPLOYED, "1800"),
                   _member("spouse", spouse, codes.WorkStatus.UNEMPLOYED, "0", age=44),
                   _member("child", person.name[0] + "小明", codes.WorkStatus.STUDENT, "0", age=13, schooling="junior")]
        base.update(main_cause=codes.Cause.ABLE_UNEMPLOYED, secondary_causes=[codes.Cause.SCHOOLING])
    elif profile == "spending":
        members = [_member("self", person.name, codes.WorkStatus.EMPLOYED, "2600"),
                   _member("spouse", spouse, codes.WorkStatus.EMPLOYED, "1800", age=47),
                   _member("child", person.name[0] + "佳怡", codes.WorkStatus.STUDENT, "0", age=20, schooling="college")]
        base.update(rent_cost=D("12000"), education_cost=D("15000"), main_cause=codes.Cause.SCHOOLING)
    elif profile == "illness":
        members = [_member("self", person.name, codes.WorkStatus.RETIRED_ILL, "0", health=codes.Health.CANCER),
                   _member("spouse", spouse, codes.WorkStatus.EMPLOYED, "3000", age=52)]
        incomes = [services.IncomeData(codes.IncomeKind.PENSION, D("24000"), "病退养老金")]
        base.update(medical_cost=D("40000"), main_cause=codes.Cause.MAJOR_ILLNESS, housing_type=codes.HousingType.COMMERCIAL,
                    housing_area=D("62.00"), home_acquired_on=datetime.date(2009, 5, 1))
    elif profile == "extreme":
        members = [_member("self", person.name, codes.WorkStatus.LAID_OFF, "0", health=codes.Health.RENAL),
                   _member("spouse", spouse, codes.WorkStatus.UNEMPLOYED, "0", age=50)]
        incomes = [services.IncomeData(codes.IncomeKind.RELIEF, D("13200"), "低保金")]
        base.update(medical_cost=D("30000"), receives_dibao=True, basic_support=[codes.BasicSupport.DIBAO],
                    dibao_topup=D("550"), main_cause=codes.Cause.MAJOR_ILLNESS,
                    secondary_causes=[codes.Cause.NO_WORK_CAPACITY])
    elif profile == "zero_job":
        members = [_member("self", person.name, codes.WorkStatus.LAID_OFF, "0"),
                   _member("spouse", spouse, codes.WorkStatus.UNEMPLOYED, "0", age=45),
                   _member("child", person.name[0] + "浩然", codes.WorkStatus.UNEMPLOYED, "0", age=21)]
        incomes = [services.IncomeData(codes.IncomeKind.UNEMPLOYMENT, D("12000"), "失业保险金")]
        base.update(basic_support=[codes.BasicSupport.LAYOFF_ALLOWANCE, codes.BasicSupport.UNEMPLOYMENT])
    elif profile == "excluded":
        members = [_member("self", person.name, codes.WorkStatus.EMPLOYED, "1500"),
                   _member("spouse", spouse, codes.WorkStatus.UNEMPLOYED, "0", age=41)]
        base.update(has_car=True, other_assets="家用轿车一辆")
    else:  # none: income above every threshold
        members = [_member("self", person.name, codes.WorkStatus.EMPLOYED, "4200"),
                   _member("spouse", spouse, codes.WorkStatus.EMPLOYED, "3600", age=39)]
        base.update(main_cause=codes.Cause.OTHER, cause_note="自述生活困难")
    base["housing_area"] = base["housing_area"] + D(rng.randrange(0, 300)) / 100
    members[0] = dataclasses.replace(members[0], id_number=me)
    return services.Household(base, members, incomes)


def _actor(station: OrgUnit) -> User:
    """The station's worker (or clerk); a station without staff gets a demo worker account that
    cannot log in (it only stands for the base union that filed the demo records)."""
    staff = (User.objects.filter(org_unit=station, is_active=True, role_grants__role__in=[Role.WORKER, Role.CLERK])
             .order_by("-role_grants__role").first())
    if staff is not None:
        return staff
    user, created = User.objects.get_or_create(username=f"demo_hardship_{station.code}",
                                               defaults={"org_unit": station, "full_name": f"{station.name}工作人员"})
    if created:
        user.set_unusable_password()
        user.password_changed_at = timezone.now()
        user.save()
        staff_set_roles(user=user, roles=[Role.WORKER])
    return user


def _approver(station: OrgUnit) -> User:
    approver = User.objects.filter(org_unit_id=station.parent_id, is_active=True,
                                   role_grants__role=Role.SUPERVISOR).first()
    if approver is None:
        raise RuntimeError(f"seed_files: {station.parent} has no supervisor — run seed_demo first")
    return approver


def _shift(file: HardshipFile, days: int) -> None:
    """Move the file's dates ``days`` back (its notice, approval, review dates and timeline)."""
    delta = datetime.timedelta(days=days)
    fields = {}
    for name in ("applied_on", "reviewed_on", "notice_started_on", "notice_due_date", "notice_late_from",
                 "notice_stopped_on", "submitted_on", "approved_on", "rechecked_on", "recheck_due", "ended_on",
                 "change_reported_on"):
        value = getattr(file, name)
        if value is not None:
            fields[name] = value - delta
    HardshipFile.objects.filter(pk=file.pk).update(**fields)
    for event in file.events.all():
        HardshipEvent.objects.filter(pk=event.pk).update(at=event.at - delta)
    HomeVisit.objects.filter(file=file).update(visited_on=timezone.localdate() - delta)
    for span in GradeSpan.objects.filter(file=file):
        GradeSpan.objects.filter(pk=span.pk).update(start=span.start - delta, end=span.end - delta if span.end else None)
    for approval in approvals.history(file):
        Approval.objects.filter(pk=approval.pk).update(
            requested_at=approval.requested_at - delta,
            decided_at=approval.decided_at - delta if approval.decided_at else None)


def _story(i: int, station: OrgUnit, person: Person, state: str, profile: str, rng: random.Random) -> None:
    actor, approver = _actor(station), _approver(station)
    today = timezone.localdate()
    household = _household(profile, person, rng)
    file = services.file_apply(by=actor, token=_token("demo", i), org_unit=station, household=household)
    if state == "applied":
        return
    services.file_record_visit(file=file, by=actor, visited_on=today, visitors=f"{actor}、{station.name}工会委员",
                               findings="入户核实家庭成员、收入和住房情况，与申请一致。")
    if state == "applied_visited":
        return
    if state == "declined":
        services.file_decline(file=file, by=actor, reason="入户发现家庭使用私家车，不符合认定条件。")
        _shift(file, 30)
        return
    reason = "入户核实家庭确有困难，核算未反映的情况已写明。"
    services.file_review(file=file, by=actor, opinion="经入户调查核实，情况属实。", override_reason=reason)
    if state == "reviewed":
        return
    # Posted twenty days ago, so that the notice has run (the demo's only backdating before approval).
    HardshipFile.objects.filter(pk=file.pk).update(reviewed_on=today - datetime.timedelta(days=25))
    file.refresh_from_db()
    start = today - datetime.timedelta(days=2 if state.startswith("notice") else 20)
    services.file_post_notice(file=file, by=actor, place=f"{station.name}公示栏", start=start)
    if state == "notice_objection":
        services.objection_record(file=file, by=actor, received_on=today, raised_by="",
                                  content="反映申请人家庭另有门面房出租收入，未如实申报。")
    if state.startswith("notice"):
        return
    services.file_submit(file=file, by=actor, note="经入户审核、公示期满无异议，报请审批。")
    SpotCheck.objects.filter(file=file).update(selected=False)  # the demo's district visits nobody
    if state == "submitted":
        return
    if state == "rejected":
        services.file_reject(file=file, by=approver, reason="家庭人均收入高于认定标准。")
        return
    if state == "returned":
        services.file_send_back(file=file, by=approver, reason="请补充收入证明和户口簿复印件。")
        return
    grade = file.latest_evaluation.grade if file.latest_evaluation and file.latest_evaluation.grade else "hardship"
    services.file_approve(file=file, by=approver, grade=grade, opinion="同意建档。", override_reason=reason)
    if state == "archived_changed":
        services.file_report_change(file=file, by=actor, note="配偶已找到工作，月收入约3000元。")
    if state == "exited":
        services.file_exit(file=file, by=actor, reason=codes.ExitReason.REEMPLOYED, note="本人已实现再就业，收入稳定。")
    if state == "closed":
        services.file_close(file=file, by=actor, reason=codes.CloseReason.MOVED, note="全家迁往外省。")
    file.refresh_from_db()
    # Approved long enough ago for the yearly review to be due (or well within the year).
    _shift(file, 400 if state == "archived_due" else 40)


def seed_files(count: int = 0, *, write: Callable[[str], None] = print) -> None:
    """The demo story (once), then bulk files until there are ``count`` files in all."""
    _seed_story()
    if count > DEMO_FILES:
        seed_bulk(count - DEMO_FILES, write=write)


def _seed_story() -> None:
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=STATIONS)}
    if len(units) != len(STATIONS):
        return
    rng = random.Random(2026)
    taken = set(HardshipFile.objects.values_list("applicant_id", flat=True))
    for n, code in enumerate(STATIONS):
        station = units[code]
        lines = list(STORY) + ([EXTRA[0], EXTRA[1]] if n == len(STATIONS) - 1 else [])
        if n:  # one file in the demo has an objection: the first station's
            lines = [("notice", profile) if state == "notice_objection" else (state, profile) for state, profile in lines]
        candidates = [p for p in Person.objects.filter(org_unit=station).order_by("pk") if p.pk not in taken]
        for k, (state, profile) in enumerate(lines):
            i = n * 100 + k
            if HardshipFile.objects.filter(token=_token("demo", i)).exists() or not candidates:
                continue
            person = candidates.pop(0)
            taken.add(person.pk)
            with transaction.atomic():
                _story(i, station, person, state, profile, rng)


# --- Bulk (benchmarks) -----------------------------------------------------------------------------------


def seed_bulk(count: int, *, write: Callable[[str], None] = print, seed: int = 2026) -> int:
    """``count`` archived files (mostly 在档, some under review or exited) for people without a file,
    written with ``bulk_create``; numbers continue each unit's series. Returns how many were made."""
    existing = _bulk_present(count)
    todo = count - existing
    if existing:
        write(f"  已有 {existing:,} 份批量困难职工档案，跳过。")
    if todo <= 0:
        return 0
    stations = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.STATION, is_active=True).order_by("pk"))
    station_ids = {s.pk for s in stations}
    creator = User.objects.filter(is_active=True, org_unit__isnull=False, role_grants__role=Role.SUPERVISOR).first()
    if creator is None or not stations:
        raise RuntimeError("seed_bulk: run seed_demo first")
    taken = HardshipFile.objects.values("applicant_id")
    people = list(Person.objects.exclude(pk__in=taken).order_by("pk").values_list("pk", "org_unit_id")[:todo])
    if len(people) < todo:
        write(f"  只有 {len(people):,} 名职工尚无档案，批量档案减为 {len(people):,} 份（先运行 seed_demo --scale N）。")
    started, made = time.monotonic(), 0
    rng = random.Random(seed + existing)
    today = timezone.localdate()
    for offset in range(0, len(people), BULK_BATCH):
        chunk = people[offset:offset + BULK_BATCH]
        with transaction.atomic():
            rows = [_bulk_row(existing + made + k, pk, unit if unit in station_ids else rng.choice(stations).pk,
                              creator, rng, today) for k, (pk, unit) in enumerate(chunk)]
            _number(rows)
            HardshipFile.objects.bulk_create(rows, batch_size=1000)
            GradeSpan.objects.bulk_create([GradeSpan(file=row, grade=row.grade, start=row.approved_on or today, end=row.ended_on)
                                           for row in rows], batch_size=2000)
        made += len(chunk)
        write(f"  {made:,}/{len(people):,} 份困难职工档案，{time.monotonic() - started:.0f} 秒")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {HardshipFile._meta.db_table}")
    return made


def _bulk_present(count: int) -> int:
    present = 0
    for start in range(0, count, 10_000):
        tokens = [_token("bulk", i) for i in range(start, min(count, start + 10_000))]
        present += HardshipFile.objects.filter(token__in=tokens).count()
    return present


_PROFILES = [
    # (weight, grade, per-head income range, size range, cause)
    (60, codes.Grade.HARDSHIP, (500, 1320), (1, 4), codes.Cause.LAID_OFF),
    (25, codes.Grade.HARDSHIP, (900, 1650), (2, 5), codes.Cause.MAJOR_ILLNESS),
    (15, codes.Grade.EXTREME, (0, 900), (1, 4), codes.Cause.NO_WORK_CAPACITY),
]


def _bulk_row(i: int, person_id: int, unit_id: int, creator: User, rng: random.Random,
              today: datetime.date) -> HardshipFile:
    _, grade, (low, high), (small, big), cause = rng.choices(_PROFILES, weights=[p[0] for p in _PROFILES])[0]
    size = rng.randint(small, big)
    per_head = D(rng.randrange(low * 100, high * 100)) / 100
    annual = (per_head * 12 * size).quantize(D("0.01"))
    own = (annual / 12 / size).quantize(D("0.01"))
    approved = today - datetime.timedelta(days=rng.randrange(10, 1000))
    state = rng.random()
    status = HardshipFile.Status.ARCHIVED if state < 0.9 else (
        HardshipFile.Status.EXITED if state < 0.96 else HardshipFile.Status.CLOSED)
    rechecked = approved if rng.random() < 0.5 else min(today, approved + datetime.timedelta(days=365))
    return HardshipFile(
        org_unit_id=unit_id, applicant_id=person_id, status=status, grade=grade, token=_token("bulk", i),
        address=f"绍兴市{rng.choice(['解放北路', '中兴中路', '胜利东路', '人民西路', '环城南路'])}{rng.randrange(1, 400)}号",
        housing_type=rng.choice(codes.HousingType.values), housing_area=D(rng.randrange(1500, 9000)) / 100,
        main_cause=cause, secondary_causes=[codes.Cause.SCHOOLING] if rng.random() < 0.3 else [],
        health=rng.choice(codes.Health.values), work_status=rng.choice(codes.WorkStatus.values),
        household_size=size, own_monthly_income=own, annual_income=annual, income_per_head=per_head,
        applied_on=approved - datetime.timedelta(days=30), created_by=creator, reviewed_by=creator,
        reviewed_on=approved - datetime.timedelta(days=20), approved_by=creator, approved_on=approved,
        rechecked_on=rechecked, recheck_due=add_months(rechecked, 12),
        ended_on=today - datetime.timedelta(days=rng.randrange(1, 60)) if status != HardshipFile.Status.ARCHIVED else None,
        phone=f"13{rng.randrange(10**9):09d}",
    )


def _number(rows: list[HardshipFile]) -> None:
    """File numbers for a batch: each (unit, year) series continues from its ``Sequence`` row."""
    groups: dict[tuple[int, int], list[HardshipFile]] = defaultdict(list)
    for row in rows:
        assert row.approved_on is not None
        groups[(row.org_unit_id, row.approved_on.year)].append(row)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in={k[0] for k in groups})}
    for (unit_id, year), members in groups.items():
        sequence, _ = Sequence.objects.select_for_update().get_or_create(kind="KN", org_unit_id=unit_id, year=year)
        for n, row in enumerate(members, start=sequence.last + 1):
            row.number = format_case_number("KN", units[unit_id], year, n)
        sequence.last += len(members)
        sequence.save(update_fields=["last"])

