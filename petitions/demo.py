"""Demo and benchmark petitions: ``seed_petitions(count)`` bulk-creates realistic cases for the
demo people — open, assigned, forwarded, closed (some late), with timelines, follow-up visits,
escalations of group/urgent cases and a few notices to employers.

Idempotent for a given ``rng_seed``: each generated case carries an intake token derived from
(seed, index), and indices already in the database are skipped, so ``seed_demo`` can call it on
every run. Indices come in blocks of ``RNG_BLOCK``, each drawn from its own random stream (block 0
from ``Random(rng_seed)``), so a block already in the database is skipped without drawing it again
and a larger ``count`` only draws the new blocks. Numbers come from the same ``Sequence`` rows as
``numbering.case_number`` (reserved in blocks inside the transaction), so cases registered later
continue the series without a gap.

Speed: a case is drawn as plain dicts (no model instances) and, on PostgreSQL, a block of 10,000
cases with its timeline, follow-ups, escalations and notices is written with ``COPY`` in one
transaction (ids reserved from the table's sequence first); elsewhere with ``bulk_create`` in
batches of ``batch``. About 1,000,000 cases in a few minutes on two cores (bench/README.md).
"""

from __future__ import annotations

import datetime
import itertools
import json
import multiprocessing
import os
import random
import uuid
from collections import defaultdict, deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypedDict

from django.db import IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from servicecenter.access import escalation_units
from servicecenter.clocks import rolls_over
from servicecenter.demo import mobile, person_name
from servicecenter.models import Employer, EmployerLink, OrgUnit, Person, PersonLink, Sequence, User
from servicecenter.numbering import format_case_number
from servicecenter.parameters import param
from servicecenter.workdays import Calendar

from .models import (
    Category,
    Escalation,
    FollowUp,
    HotlineOrder,
    Notice,
    Petition,
    PetitionEvent,
    Task,
    TaskTarget,
)
from .workflow import PETITION_FLOW

TOKEN_NAMESPACE = uuid.UUID("6f1c2b9e-3d7a-4c55-9a0e-5b8f7e2d1c40")
HANDLER_ROLES = ("clerk", "worker", "supervisor")
DAYS_BACK = 150
BATCH = 2000  # cases per transaction with bulk_create (COPY: one RNG_BLOCK per transaction)
RNG_BLOCK = 10_000  # cases per random stream

# (category, weight, facts, request)
STORIES = [
    ("工资报酬/拖欠工资", 30, "{e}拖欠本人及工友{m}个月工资，约{n}元，多次催要未果。", "要求单位尽快足额支付拖欠的工资。"),
    ("劳动合同", 12, "入职{e}已{m}个月，单位一直未签订书面劳动合同。", "要求签订劳动合同并支付二倍工资差额。"),
    ("社会保险", 12, "{e}未为本人缴纳社会保险，已工作{m}个月。", "要求单位依法补缴社会保险费。"),
    ("工伤/职业病", 8, "在{e}工作时受伤，单位不予申报工伤。", "要求协助申请工伤认定，落实工伤待遇。"),
    ("劳动安全卫生", 4, "{e}车间粉尘大，未发放劳动防护用品。", "要求单位改善作业环境、发放防护用品。"),
    ("工作时间与休息休假", 7, "{e}长期要求每天工作12小时，周末无休，不支付加班费。", "要求依法安排休息并支付加班费。"),
    ("女职工和未成年工特殊保护", 4, "怀孕后被{e}调岗降薪。", "要求恢复原岗位和工资待遇。"),
    ("民主权利(职代会/集体合同)", 3, "{e}多年未召开职工代表大会，福利调整未经职工讨论。", "要求依法召开职代会。"),
    ("人身权利", 2, "在{e}因工作纠纷被主管推搡辱骂。", "要求单位调查处理并赔礼道歉。"),
    ("生活困难", 6, "家中配偶重病，子女上学，收入难以维持生活。", "申请困难帮扶。"),
    ("就业", 5, "被{e}裁员后一直未找到工作。", "希望工会推荐就业岗位或参加技能培训。"),
    ("法律咨询", 6, "咨询与{e}解除劳动合同的经济补偿如何计算。", "请求法律解答。"),
    ("意见建议", 2, "建议在工业园区增设职工服务点。", "希望采纳建议。"),
    ("其他", 2, "反映{e}食堂收费过高等问题。", "请工会协调。"),
]
CHANNELS = [("visit", 45), ("hotline", 30), ("letter", 8), ("online", 12), ("assigned", 5)]
# Of the generated cases, this share is anonymous, and this share known by name and phone only.
ANONYMOUS_SHARE, PARTIAL_SHARE = 0.03, 0.04
DEPARTMENTS = [("区人力社保局劳动保障监察大队", "王科长 0575-88120001"), ("区劳动人事争议仲裁院", "李主任 0575-88120002"),
               ("区医疗保障局", "陈科长 0575-88120003"), ("街道综治中心", "周主任 0575-88120004")]
SATISFACTION = [("satisfied", 78), ("fairly", 17), ("unsatisfied", 5)]


def _pick(rng: random.Random, pairs: list[tuple]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


CHANNEL_LABELS = dict(Petition.Channel.choices)
NOTICE_LABELS = dict(Notice.Kind.choices)
SATISFACTION_LABELS = dict(FollowUp.Satisfaction.choices)
STORY_WEIGHTS = [s[1] for s in STORIES]
CHANNEL_VALUES, CHANNEL_WEIGHTS = [c[0] for c in CHANNELS], [c[1] for c in CHANNELS]
SATISFACTION_VALUES, SATISFACTION_WEIGHTS = [s[0] for s in SATISFACTION], [s[1] for s in SATISFACTION]
ONE_DAY = datetime.timedelta(days=1)
EVENT_LABELS = {**{t.name: t.label for t in PETITION_FLOW.transitions.values()}, **dict(PetitionEvent.Kind.choices)}


class _World:
    """What the generator draws from, loaded once."""

    def __init__(self) -> None:
        users = (User.objects.filter(is_active=True, org_unit__isnull=False, role_grants__role__in=HANDLER_ROLES)
                 .select_related("org_unit").distinct())
        self.staff: dict[int, list[User]] = defaultdict(list)
        for u in users:
            assert u.org_unit_id is not None  # org_unit__isnull=False above
            self.staff[u.org_unit_id].append(u)
        self.units = list(OrgUnit.objects.filter(pk__in=list(self.staff)).select_related("parent"))
        self.unit = {u.pk: u for u in self.units}
        if not self.units:
            raise RuntimeError("seed_petitions: no staff who handle cases — run seed_demo first")
        # Stations receive most visitors.
        self.unit_weights = [6 if u.kind == OrgUnit.Kind.STATION else 1 for u in self.units]
        # Per unit: the staff's ids and names, and who receives visitors (the first clerk).
        self.staff_ids = {pk: [(u.pk, str(u)) for u in staff] for pk, staff in self.staff.items()}
        self.receiver = {pk: next(((u.pk, str(u)) for u in staff if "clerk" in {r.value for r in u.roles}),
                                  (staff[0].pk, str(staff[0]))) for pk, staff in self.staff.items()}
        self.categories = {c.name: c.pk for c in Category.objects.all()}
        self.people: dict[int, list[tuple[int, str]]] = {}
        for unit in self.units:
            rows = list(Person.objects.filter(org_unit__path__startswith=unit.path)
                        .values_list("pk", "org_unit__path")[:5000])
            self.people[unit.pk] = rows
        self.any_people = list(Person.objects.values_list("pk", "org_unit__path")[:5000])
        if not self.any_people:
            raise RuntimeError("seed_petitions: no people — run seed_demo first")
        self.employers = list(Employer.objects.values_list("pk", "name", "org_unit__path")[:2000])
        supervisors = {u.org_unit_id: u for u in
                       User.objects.filter(is_active=True, role_grants__role="supervisor").order_by("pk")}
        # (unit, a supervisor there who acknowledges older cases — None: nobody, it stays waiting)
        self.escalate_to = {u.pk: [(e.pk, supervisors.get(e.pk)) for e in escalation_units(u)] for u in self.units}
        self.deadline = {u.pk: (param("petition.deadline_days", u), param("petition.deadline_in_working_days", u),
                                rolls_over(u)) for u in self.units}
        self._due_cache: dict[tuple[datetime.date, int, bool, bool], datetime.date] = {}
        self.calendar = Calendar()
        # One clock for the whole run (timezone.localtime() per call costs more than a case's dice).
        self.tz = timezone.get_current_timezone()
        self.now = timezone.now()
        self.today = self.now.astimezone(self.tz).date()

    def prime_due(self) -> None:
        """Every deadline a case can get, computed now (each is a query on the holiday calendar)."""
        first = self.today - datetime.timedelta(days=DAYS_BACK + 2)
        for unit in self.units:
            for n in range((self.today - first).days + 1):
                self.due(unit, first + datetime.timedelta(days=n))

    def due(self, unit: OrgUnit, accepted: datetime.date) -> tuple[datetime.date, bool, bool, int]:
        """(due date, in working days, rolls over, deadline days) of a case accepted then."""
        days, working, rolls = self.deadline[unit.pk]
        key = (accepted, days, working, rolls)
        if key not in self._due_cache:
            cal = self.calendar
            if working:
                self._due_cache[key] = cal.add_working_days(accepted, days)
            else:
                due = accepted + datetime.timedelta(days=days)
                self._due_cache[key] = cal.next_working_day(due) if rolls else due
        return self._due_cache[key], working, rolls, days


def _reserve_numbers(kind: str, unit: OrgUnit, year: int, n: int) -> list[str]:
    """``n`` consecutive numbers from the unit's series (inside the caller's transaction)."""
    seq, _ = Sequence.objects.select_for_update().get_or_create(kind=kind, org_unit=unit, year=year)
    first = seq.last + 1
    seq.last += n
    seq.save(update_fields=["last"])
    return [format_case_number(kind, unit, year, i) for i in range(first, first + n)]


def _token(rng_seed: int, index: int) -> uuid.UUID:
    return uuid.uuid5(TOKEN_NAMESPACE, f"{rng_seed}:{index}")


def _block_rng(rng_seed: int, block: int) -> random.Random:
    return random.Random(rng_seed if block == 0 else f"{rng_seed}:{block}")


def seed_petitions(count: int, *, rng_seed: int = 2026, batch: int = BATCH, workers: int | None = None) -> int:
    """Create up to ``count`` demo petitions (indices 0 … count-1 for ``rng_seed``); returns how
    many were new. ``workers``: processes drawing blocks for COPY (default: up to 2)."""
    if count <= 0:
        return 0
    world = _World()
    blocks = [range(start, min(start + RNG_BLOCK, count)) for start in range(0, count, RNG_BLOCK)]
    # Cases are written in index order, a block at a time: a block whose first and last case are
    # there is complete; one with neither is new; anything else is looked at case by case.
    present: set[uuid.UUID] = set()
    for k in range(0, len(blocks), 500):
        chunk = [t for b in blocks[k:k + 500] for t in (_token(rng_seed, b[0]), _token(rng_seed, b[-1]))]
        present.update(Petition.objects.filter(intake_token__in=chunk).values_list("intake_token", flat=True))
    fresh: list[range] = []
    partial: list[range] = []
    for b in blocks:
        found = (_token(rng_seed, b[0]) in present) + (_token(rng_seed, b[-1]) in present)
        if found < 2:
            (partial if found else fresh).append(b)
    created = 0
    if fresh and connection.vendor == "postgresql":
        done, failed = _copy_blocks(world, fresh, rng_seed, workers)
        created += done
        fresh = failed  # some of those cases existed after all (rows deleted in between?)
    for b in sorted(partial + fresh, key=lambda r: r.start):
        rng = _block_rng(rng_seed, b.start // RNG_BLOCK)
        # Drawn even when some are skipped: the same stream each run.
        specs = [_spec(world, rng, i, _token(rng_seed, i)) for i in b]
        for start in range(0, len(specs), batch):
            part = specs[start:start + batch]
            tokens = [s["petition"]["intake_token"] for s in part]
            existing = set(Petition.objects.filter(intake_token__in=tokens).values_list("intake_token", flat=True))
            new = [s for s in part if s["petition"]["intake_token"] not in existing]
            if new:
                created += _write(new)
    if connection.vendor == "postgresql" and created >= RNG_BLOCK:
        _analyze()
    _seed_tasks(world)
    return created


DEMO_TASKS = [
    ("节前欠薪隐患排查", "请对辖区内建筑、餐饮、纺织企业开展欠薪隐患排查，报告排查企业数、发现问题及处置情况。", 10, 1),
    ("新就业形态劳动者入会情况摸底", "请摸底辖区快递、外卖、网约车从业人员入会情况，报告人数和存在困难。", 20, 0),
]


def _seed_tasks(world: _World) -> None:
    """Two 交办事项 from each district center to its stations (once), one partly reported."""
    today = timezone.localdate()
    for district in [u for u in world.units if u.kind == OrgUnit.Kind.DISTRICT]:
        sender = next((u for u in world.staff[district.pk] if "supervisor" in {r.value for r in u.roles}), None)
        stations = list(OrgUnit.objects.filter(parent=district, kind=OrgUnit.Kind.STATION, is_active=True))
        if sender is None or not stations:
            continue
        for title, content, days, reported in DEMO_TASKS:
            if Task.objects.filter(title=title, org_unit=district).exists():
                continue
            task = Task.objects.create(title=title, content=content, org_unit=district, created_by=sender,
                                       created_at=timezone.now() - datetime.timedelta(days=5),
                                       due_date=today + datetime.timedelta(days=days))
            for i, station in enumerate(stations):
                done = i < reported and world.staff.get(station.pk)
                reported_at = timezone.now() - datetime.timedelta(days=1) if done else None
                TaskTarget.objects.create(
                    task=task, org_unit=station, status="reported" if done else "pending",
                    result="排查企业28家，发现2家存在欠薪隐患，已督促整改。" if done else "",
                    reported_by=world.staff[station.pk][0] if done else None, reported_at=reported_at,
                    reported_on=timezone.localdate(reported_at) if reported_at else None,
                    due_date=task.due_date, late_from=None if done else task.due_date + ONE_DAY)


DEMO_ORDER_PREFIX = "GD3306"


def seed_ways_in() -> int:
    """A few cases for each way in that the generator does not draw, made through the services (once):
    12351 work orders at each stage, matters assigned from above (one for a 交办事项), an anonymous
    group letter, a caller who left a name and phone only, and online submissions waiting, accepted
    and declined."""
    from . import services

    if HotlineOrder.objects.filter(order_number__startswith=DEMO_ORDER_PREFIX).exists():
        return 0
    station = OrgUnit.objects.filter(code="330602001").select_related("parent").first()
    clerk = User.objects.filter(org_unit=station, role_grants__role="clerk", is_active=True).order_by("pk").first()
    category = Category.objects.filter(is_active=True).order_by("order").first()
    if station is None or clerk is None or category is None:
        return 0
    supervisor = User.objects.filter(org_unit_id=station.parent_id, role_grants__role="supervisor",
                                     is_active=True).order_by("pk").first()
    employer = Employer.objects.filter(org_unit__path__startswith=station.path).order_by("pk").first()
    before = Petition.objects.count()
    now, today = timezone.now(), timezone.localdate()
    report = services.CompletionReport("经核实，公司拖欠两个月工资属实。", "《工资支付暂行规定》第七条。",
                                       "经协调，公司已补发拖欠工资。", "表示满意。", Decimal("16800.00"))

    def intake(channel: str, person: Any, **extra: Any) -> Petition:
        return services.petition_intake(
            by=clerk, token=uuid.uuid5(TOKEN_NAMESPACE, f"ways-in:{channel}:{extra.pop('key')}"), org_unit=station,
            person=person, channel=channel, received_at=now - datetime.timedelta(hours=2), headcount=extra.pop("n", 1),
            category=category, facts=extra.pop("facts", "反映单位拖欠工资两个月。"), request="要求足额支付。",
            employer=employer, **extra)

    for k, stage in enumerate(("received", "answered", "closed")):
        hotline = services.HotlineDetails(f"{DEMO_ORDER_PREFIX}{today:%Y%m%d}{k + 1:04d}", mobile(random.Random(k)),
                                          "省12351平台话务员" + "甲乙丙"[k], now - datetime.timedelta(hours=3),
                                          "complaint", today + datetime.timedelta(days=7))
        p = intake("12351", services.Caller(person_name(random.Random(100 + k)), mobile(random.Random(200 + k))),
                   key=k, hotline=hotline)
        if stage in ("answered", "closed"):
            services.petition_close(petition=p, by=clerk, report=report)
            services.hotline_feedback(order=p.hotline_order, by=clerk, feedback="已协调公司补发拖欠工资，职工表示满意。")
        if stage == "closed":
            services.hotline_revisit(order=p.hotline_order, by=clerk, satisfaction="satisfied")
    intake("assigned", services.Caller("匿名职工代表", "13905750001"), key="province", facts="反映公司长期安排加班不付加班费。",
           referral=services.Referral("省总工会权益保障部", "浙工权〔2026〕12号", today - datetime.timedelta(days=2),
                                      today + datetime.timedelta(days=20)))
    target = TaskTarget.objects.filter(org_unit=station, status="pending").select_related("task").first()
    if target is not None:
        intake("assigned", None, key="task", facts=target.task.content, referral=services.Referral(
            target.task.org_unit.name, f"交办事项：{target.task.title}", timezone.localdate(target.task.created_at),
            target.task.due_date, target))
    intake("letter", None, key="anonymous-group", n=12, is_confidential=True,
           facts="匿名联名信：车间十余名职工反映公司克扣加班费。")
    intake("hotline", services.Caller("陈师傅", "13705751234", "越城区某物流公司"), key="partial")
    # Online: one waiting in the queue, one accepted, one declined (the public page's path).
    waiting = []
    for k in range(3):
        sub, _ = services.submission_create(
            token=uuid.uuid5(TOKEN_NAMESPACE, f"ways-in:online:{k}"), org_unit=station,
            name=person_name(random.Random(300 + k)), phone=mobile(random.Random(400 + k)),
            employer_name=employer.name if employer else "", category=category,
            facts="网上反映：公司未按时发放上月工资。", request="希望工会帮助协调。", client="demo")
        waiting.append(sub)
    services.submission_accept(submission=waiting[1], by=clerk, category=category, employer=employer)
    services.submission_decline(submission=waiting[2], by=clerk, reason="该事项已由劳动保障监察部门立案处理，请向其咨询进度。")
    if supervisor is not None:
        anonymous = Petition.objects.filter(org_unit=station, identity="anonymous").order_by("pk").first()
        known = Person.objects.filter(org_unit=station).order_by("pk").first()
        if anonymous is not None and known is not None and not anonymous.is_confidential:
            services.petition_identify(petition=anonymous, by=supervisor, id_number=known.id_number)
    return Petition.objects.count() - before


def _spec(world: _World, rng: random.Random, index: int, token: uuid.UUID) -> dict[str, Any]:
    """One case, its timeline and what follows from it, as plain values (model field attnames)."""
    now, today, tz = world.now, world.today, world.tz
    unit = rng.choices(world.units, weights=world.unit_weights)[0]
    receiver, receiver_name = world.receiver[unit.pk]
    handler, handler_name = rng.choice(world.staff_ids[unit.pk])
    pool = world.people[unit.pk] or world.any_people
    person_pk, person_path = rng.choice(pool)
    days_ago = int(rng.triangular(0, DAYS_BACK, 8))
    received = now.astimezone(tz).replace(hour=rng.randint(8, 16), minute=rng.choice((0, 10, 20, 30, 40, 50)),
                                          second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    if received > now:
        received -= ONE_DAY
    accepted = received.astimezone(tz).date()
    due, working, rolls, deadline_days = world.due(unit, accepted)
    name, _, facts, request = rng.choices(STORIES, weights=STORY_WEIGHTS)[0]
    employer = rng.choice(world.employers) if world.employers and name not in ("生活困难", "意见建议") else None
    group = rng.random() < 0.05
    headcount = rng.randint(5, 40) if group else (1 if rng.random() < 0.85 else rng.randint(2, 4))
    channel = rng.choices(CHANNEL_VALUES, weights=CHANNEL_WEIGHTS)[0]
    category = world.categories.get(name) or next(iter(world.categories.values()))
    facts = facts.format(e=employer[1] if employer else "单位", m=rng.randint(2, 8), n=rng.randint(8, 90) * 1000)
    who = rng.random()
    identity = ("anonymous" if who < ANONYMOUS_SHARE else "partial" if who < ANONYMOUS_SHARE + PARTIAL_SHARE
                else "person")
    p: dict[str, Any] = {
        "org_unit_id": unit.pk, "received_unit_id": unit.pk, "received_at": received, "received_by_id": receiver,
        "channel": channel, "person_id": person_pk if identity == "person" else None, "identity": identity,
        "caller_name": person_name(rng) if identity == "partial" else "",
        "caller_phone": mobile(rng) if identity == "partial" else "",
        "headcount": headcount, "is_group": headcount >= 5,
        "employer_id": employer[0] if employer else None, "category_id": category, "facts": facts,
        "request": request, "is_confidential": rng.random() < 0.08, "is_urgent": rng.random() < 0.03,
        "handler_id": receiver, "accepted_on": accepted, "in_working_days": working, "due_date": due,
        "deadline_days": deadline_days, "rolls_over": rolls, "pauses": [], "late_from": due + ONE_DAY,
        "intake_token": token, "status": Petition.Status.OPEN.value, "handling": "",
    }
    events = [("intake", receiver, received, f"{CHANNEL_LABELS[channel]}，{headcount}人")]
    follow_up: dict[str, Any] | None = None
    notice: dict[str, Any] | None = None
    age = (today - accepted).days
    fate = rng.random()
    if age > 3 and fate < 0.25:
        p["handler_id"], p["handler_due"] = handler, min(due, accepted + datetime.timedelta(days=15))
        p["status"], p["handling"] = Petition.Status.ASSIGNED.value, Petition.Handling.ASSIGNED.value
        events.append(("assign", receiver, received + datetime.timedelta(hours=2), f"交办给{handler_name}"))
    if age > 5 and 0.25 <= fate < 0.35:
        dept, contact = rng.choice(DEPARTMENTS)
        p["status"], p["handling"] = Petition.Status.FORWARDED.value, Petition.Handling.FORWARDED.value
        p["forwarded_to"], p["forwarded_on"], p["forwarded_contact"] = dept, accepted + ONE_DAY, contact
        events.append(("forward", receiver, received + ONE_DAY, f"转办{dept}"))
    closes = age > 2 and (fate >= 0.45 or age > 45)
    if closes:
        spot = p["status"] == Petition.Status.OPEN and rng.random() < 0.3
        took = 0 if spot else min(age, int(rng.triangular(1, 40, 12)))
        closed_at = received + datetime.timedelta(days=took, hours=1)
        if closed_at > now:
            closed_at = now
        closed_on = closed_at.astimezone(tz).date()
        p["closed_at"] = closed_at
        if p["status"] == Petition.Status.OPEN:
            p["handler_id"] = handler
        p["stopped_on"] = closed_on
        p["late_from"] = due + ONE_DAY if closed_on > due else None
        p["handling"] = Petition.Handling.ON_THE_SPOT.value if spot else (
            p["handling"] or Petition.Handling.SELF.value)
        p["report_facts"], p["report_basis"] = facts, "《劳动合同法》《工资支付暂行规定》等有关规定。"
        p["report_result"] = "经协调，单位已同意按规定处理，职工诉求得到解决。" if not spot else "当场解答政策，告知维权途径。"
        p["report_response"] = "表示满意。"
        if p["status"] == Petition.Status.FORWARDED:
            p["reply"], p["replied_on"] = "已依法处理完毕。", closed_on
            events.append(("reply", receiver, closed_at, f"{p['forwarded_to']}答复：{p['reply']}"))
        p["status"] = Petition.Status.CLOSED.value
        events.append(("answer" if spot else "close", handler, closed_at, p["report_result"]))
        done = (today - closed_on).days > 3 and rng.random() < 0.85
        satisfaction = rng.choices(SATISFACTION_VALUES, weights=SATISFACTION_WEIGHTS)[0] if done else ""
        follow_up = {"status": FollowUp.Status.DONE.value if done else FollowUp.Status.PENDING.value,
                     "created_at": closed_at, "method": rng.choice(["phone", "on_site"]) if done else "",
                     "satisfaction": satisfaction,
                     "comment": "对处理结果不认可。" if satisfaction == "unsatisfied" else "",
                     "done_by_id": handler if done else None,
                     "done_at": closed_at + datetime.timedelta(days=3) if done else None}
        if done:
            events.append(("follow_up", handler, follow_up["done_at"], SATISFACTION_LABELS[satisfaction]))
    if p["employer_id"] and rng.random() < 0.05 and age > 5:
        rect = rng.random() < 0.5
        kind = "rectification" if rect else "suggestion"
        deadline = accepted + datetime.timedelta(days=20) if rect else None
        notice = {"employer_id": p["employer_id"], "kind": kind,
                  "content": "请依法足额支付拖欠工资。" if rect else "建议建立健全工资支付制度。",
                  "deadline": deadline, "late_from": deadline + ONE_DAY if deadline else None,
                  "issued_on": accepted + datetime.timedelta(days=2), "issued_by_id": handler}
        events.append(("notice", handler, received + datetime.timedelta(days=2), NOTICE_LABELS[kind]))
    return {"petition": p, "unit": unit, "events": events, "follow_up": follow_up, "notice": notice,
            "link": identity == "person" and not person_path.startswith(unit.path),
            # The employer concerned is linked to the case's unit, as at intake (its page opens there).
            "employer_link": employer is not None and not employer[2].startswith(unit.path),
            "escalate": world.escalate_to[unit.pk],
            "acked_before": received + ONE_DAY if age > 2 else None}


def _numbers(specs: list[dict[str, Any]]) -> None:
    """Case and notice numbers, from their series in received order (inside the transaction)."""
    by_series: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for s in specs:
        p = s["petition"]
        by_series[("XF", p["org_unit_id"], p["accepted_on"].year)].append(s)
    for (kind, _unit_id, year), rows in by_series.items():
        rows.sort(key=lambda s: s["petition"]["received_at"])
        for s, number in zip(rows, _reserve_numbers(kind, rows[0]["unit"], year, len(rows)), strict=True):
            s["petition"]["number"] = number
    notices: dict[tuple[str, int, int], list[dict[str, Any]]] = defaultdict(list)
    for s in specs:
        n = s["notice"]
        if n is not None:
            notices[(Notice.NUMBER_PREFIX[Notice.Kind(n["kind"])], s["unit"].pk, n["issued_on"].year)].append(s)
    for (kind, _unit_id, year), rows in notices.items():
        for s, number in zip(rows, _reserve_numbers(kind, rows[0]["unit"], year, len(rows)), strict=True):
            s["notice"]["number"] = number


class _Related(TypedDict):
    events: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]
    escalations: list[dict[str, Any]]
    notices: list[dict[str, Any]]
    links: list[PersonLink]
    employer_links: list[EmployerLink]


def _related(specs: list[dict[str, Any]], petition_ids: list[int]) -> _Related:
    """The rows that hang off each case, with the case's id filled in."""
    events: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    notices: list[dict[str, Any]] = []
    links: list[PersonLink] = []
    employer_links: list[EmployerLink] = []
    for s, pk in zip(specs, petition_ids, strict=True):
        p = s["petition"]
        events += [{"petition_id": pk, "kind": k, "label": EVENT_LABELS.get(k, k), "by_id": u, "at": at, "note": note,
                    "data": {}} for k, u, at, note in s["events"]]
        if s["follow_up"] is not None:
            follow_ups.append({**s["follow_up"], "petition_id": pk})
        if s["notice"] is not None:
            notices.append({**s["notice"], "petition_id": pk})
        if p["is_group"] or p["is_urgent"]:
            for unit_pk, supervisor in s["escalate"]:
                acked = s["acked_before"] if supervisor else None
                escalations.append({"petition_id": pk, "org_unit_id": unit_pk, "created_at": p["received_at"],
                                    "acknowledged_at": acked, "acknowledged_by_id": supervisor.pk if acked else None})
        if s["link"]:
            links.append(PersonLink(person_id=p["person_id"], org_unit_id=p["org_unit_id"]))
        if s["employer_link"]:
            employer_links.append(EmployerLink(employer_id=p["employer_id"], org_unit_id=p["org_unit_id"]))
    return {"events": events, "follow_ups": follow_ups, "escalations": escalations, "notices": notices,
            "links": links, "employer_links": employer_links}


@transaction.atomic
def _write(specs: list[dict[str, Any]]) -> int:
    """The portable path: ``bulk_create``."""
    _numbers(specs)
    petitions = Petition.objects.bulk_create([Petition(**s["petition"]) for s in specs], batch_size=500)
    rows = _related(specs, [p.pk for p in petitions])
    PetitionEvent.objects.bulk_create([PetitionEvent(**r) for r in rows["events"]], batch_size=1000)
    FollowUp.objects.bulk_create([FollowUp(**r) for r in rows["follow_ups"]], batch_size=1000)
    Escalation.objects.bulk_create([Escalation(**r) for r in rows["escalations"]], batch_size=1000,
                                   ignore_conflicts=True)
    Notice.objects.bulk_create([Notice(**r) for r in rows["notices"]], batch_size=500)
    PersonLink.objects.bulk_create(rows["links"], batch_size=1000, ignore_conflicts=True)
    EmployerLink.objects.bulk_create(rows["employer_links"], batch_size=1000, ignore_conflicts=True)
    return len(petitions)


# --- PostgreSQL: COPY ------------------------------------------------------------------------------------
#
# Worker processes draw whole blocks (each block has its own random stream, so the order of drawing
# does not matter) and turn them into COPY text; the main process gives each block its case and
# notice numbers (the ``Sequence`` rows, inside the block's transaction) and streams it to the
# server. Petition ids are reserved from the table's sequence up front, so the timeline, follow-up
# and escalation rows can be written by the workers too. The number is the last column of a case
# or notice line, added by the main process.

_WORLD: _World | None = None


def _copy_blocks(world: _World, blocks: list[range], rng_seed: int, workers: int | None) -> tuple[int, list[range]]:
    """Write ``blocks`` (none of whose cases exist) with COPY; returns (cases written, blocks
    refused because some case existed after all)."""
    global _WORLD
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{Petition._meta.db_table}', 'id')) "  # noqa: S608
                       "FROM generate_series(1, %s)", [sum(len(b) for b in blocks)])
        ids = sorted(row[0] for row in cursor.fetchall())
    jobs, at = [], 0
    for b in blocks:
        jobs.append((b.start, b.stop, rng_seed, ids[at:at + len(b)]))
        at += len(b)
    world.prime_due()  # the workers must not touch the database
    _WORLD = world
    workers = min(2, os.cpu_count() or 1) if workers is None else workers
    created = 0
    failed: list[range] = []
    if workers <= 1 or len(jobs) == 1:
        for job in jobs:
            created += _write_block(world, job, _build_block(job), failed)
        return created, failed
    if not connection.in_atomic_block:
        connections.close_all()  # the children never use the database: do not hand them its socket
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        pending: deque = deque()
        queue = iter(jobs)
        for job in itertools.islice(queue, workers + 1):  # a bounded number of blocks in memory
            pending.append((job, pool.apply_async(_build_block, (job,))))
        while pending:
            job, result = pending.popleft()
            payload = result.get()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append((nxt, pool.apply_async(_build_block, (nxt,))))
            created += _write_block(world, job, payload, failed)
    finally:
        pool.terminate()
    return created, failed


def _build_block(job: tuple[int, int, int, list[int]]) -> dict[str, Any]:
    """One block as COPY text (runs in a worker): cases without their numbers, the rest complete."""
    start, stop, rng_seed, ids = job
    world = _WORLD
    assert world is not None
    rng = _block_rng(rng_seed, start // RNG_BLOCK)
    specs = [_spec(world, rng, i, _token(rng_seed, i)) for i in range(start, stop)]
    series: dict[tuple[int, int], list[int]] = defaultdict(list)
    for n, (s, pk) in enumerate(zip(specs, ids, strict=True)):
        p = s["petition"]
        p.update(id=pk, created_at=world.now, updated_at=world.now)
        series[(p["org_unit_id"], p["accepted_on"].year)].append(n)
    for rows in series.values():
        rows.sort(key=lambda n: specs[n]["petition"]["received_at"])  # numbered in order of receipt
    related = _related(specs, ids)
    notice_series = [(Notice.NUMBER_PREFIX[Notice.Kind(n["kind"])], s["unit"].pk, n["issued_on"].year)
                     for s in specs if (n := s["notice"]) is not None]
    return {
        "petitions": _copy_lines(Petition, [s["petition"] for s in specs], with_pk=True, last="number"),
        "series": dict(series),
        "events": _copy_lines(PetitionEvent, related["events"]),
        "follow_ups": _copy_lines(FollowUp, related["follow_ups"]),
        "escalations": _copy_lines(Escalation, related["escalations"]),
        "notices": _copy_lines(Notice, related["notices"], last="number"),
        "notice_series": notice_series,
        "links": [(link.person_id, link.org_unit_id) for link in related["links"]],
        "employer_links": [(link.employer_id, link.org_unit_id) for link in related["employer_links"]],
    }


def _write_block(world: _World, job: tuple, payload: dict[str, Any], failed: list[range]) -> int:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            numbers: list[str] = [""] * len(payload["petitions"])
            for (unit_pk, year), rows in payload["series"].items():
                for n, number in zip(rows, _reserve_numbers("XF", world.unit[unit_pk], year, len(rows)), strict=True):
                    numbers[n] = number
            _copy(cursor, Petition, payload["petitions"], with_pk=True, last="number", last_values=numbers)
            for model, key in ((PetitionEvent, "events"), (FollowUp, "follow_ups"), (Escalation, "escalations")):
                _copy(cursor, model, payload[key])
            by_series: dict[tuple[str, int, int], list[int]] = defaultdict(list)
            for n, key in enumerate(payload["notice_series"]):
                by_series[key].append(n)
            notice_numbers = [""] * len(payload["notices"])
            for (kind, unit_pk, year), rows in by_series.items():
                for n, number in zip(rows, _reserve_numbers(kind, world.unit[unit_pk], year, len(rows)), strict=True):
                    notice_numbers[n] = number
            _copy(cursor, Notice, payload["notices"], last="number", last_values=notice_numbers)
            PersonLink.objects.bulk_create([PersonLink(person_id=person, org_unit_id=unit)
                                            for person, unit in payload["links"]], ignore_conflicts=True)
            EmployerLink.objects.bulk_create([EmployerLink(employer_id=employer, org_unit_id=unit)
                                              for employer, unit in payload["employer_links"]], ignore_conflicts=True)
    except IntegrityError:
        failed.append(range(job[0], job[1]))
        return 0
    return len(payload["petitions"])


def _copy_fields(model: type[models.Model], *, with_pk: bool = False, last: str | None = None) -> list[models.Field]:
    fields = [f for f in model._meta.concrete_fields if (with_pk or not f.primary_key) and f.attname != last]
    if last:
        field = model._meta.get_field(last)
        assert isinstance(field, models.Field)  # a column of the model, not a reverse relation
        fields.append(field)
    return fields


def _copy_lines(model: type[models.Model], rows: Iterable[dict[str, Any]], *, with_pk: bool = False,
                last: str | None = None) -> list[str]:
    """Rows in COPY text format, one line each without its newline (and without ``last``)."""
    fields = _copy_fields(model, with_pk=with_pk, last=last)
    if last:
        fields = fields[:-1]
    defaults = {f.attname: None if f.primary_key else f.get_default() for f in fields}
    names = list(defaults)
    return ["\t".join([_copy_text(row.get(name, defaults[name])) for name in names]) for row in rows]


def _column(field: models.Field) -> str:
    assert field.column is not None  # _copy_fields() gives concrete fields, which have a column
    return field.column


def _copy(cursor: Any, model: type[models.Model], lines: list[str], *, with_pk: bool = False,
          last: str | None = None, last_values: list[str] | None = None) -> None:
    if not lines:
        return
    fields = _copy_fields(model, with_pk=with_pk, last=last)
    if last_values is not None:
        data = "".join(f"{line}\t{_copy_text(value)}\n" for line, value in zip(lines, last_values, strict=True))
    else:
        data = "\n".join(lines) + "\n"
    columns = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
        copy.write(data.encode())


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime.date):  # dates and aware datetimes
        return value.isoformat()
    return str(value)  # numbers, UUIDs


def _analyze() -> None:
    """Fresh planner statistics after a large load (and, outside a transaction, the visibility map
    that index-only scans need): what autovacuum would do a little later."""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (Petition, PetitionEvent, FollowUp, Escalation, Notice):
            cursor.execute(f"{command} {model._meta.db_table}")
