"""Demo and benchmark petitions: ``seed_petitions(count)`` bulk-creates realistic cases for the
demo people — open, assigned, forwarded, closed (some late), with timelines, follow-up visits,
escalations of group/urgent cases and a few notices to employers.

Idempotent for a given ``rng_seed``: each generated case carries an intake token derived from
(seed, index), and indices already in the database are skipped, so ``seed_demo`` can call it on
every run. Numbers come from the same ``Sequence`` rows as ``numbering.case_number`` (reserved in
blocks inside the transaction), so cases registered later continue the series without a gap.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from servicecenter.models import Employer, OrgUnit, Person, PersonLink, Sequence, User
from servicecenter.numbering import format_case_number
from servicecenter.parameters import param
from servicecenter.workdays import add_working_days

from .confidentiality import escalation_units
from .models import Category, Escalation, FollowUp, Notice, Petition, PetitionEvent, Task, TaskTarget

TOKEN_NAMESPACE = uuid.UUID("6f1c2b9e-3d7a-4c55-9a0e-5b8f7e2d1c40")
HANDLER_ROLES = ("clerk", "worker", "supervisor")
DAYS_BACK = 150
BATCH = 2000

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
DEPARTMENTS = [("区人力社保局劳动保障监察大队", "王科长 0575-88120001"), ("区劳动人事争议仲裁院", "李主任 0575-88120002"),
               ("区医疗保障局", "陈科长 0575-88120003"), ("街道综治中心", "周主任 0575-88120004")]
SATISFACTION = [("satisfied", 78), ("fairly", 17), ("unsatisfied", 5)]


def _pick(rng: random.Random, pairs: list[tuple]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class _World:
    """What the generator draws from, loaded once."""

    def __init__(self, rng: random.Random) -> None:
        users = (User.objects.filter(is_active=True, org_unit__isnull=False, role_grants__role__in=HANDLER_ROLES)
                 .select_related("org_unit").distinct())
        self.staff: dict[int, list[User]] = defaultdict(list)
        for u in users:
            self.staff[u.org_unit_id].append(u)
        self.units = list(OrgUnit.objects.filter(pk__in=list(self.staff)).select_related("parent"))
        if not self.units:
            raise RuntimeError("seed_petitions: no staff who handle cases — run seed_demo first")
        # Stations receive most visitors.
        self.unit_weights = [6 if u.kind == OrgUnit.Kind.STATION else 1 for u in self.units]
        self.categories = {c.name: c for c in Category.objects.all()}
        self.people: dict[int, list[tuple[int, str]]] = {}
        for unit in self.units:
            rows = list(Person.objects.filter(org_unit__path__startswith=unit.path)
                        .values_list("pk", "org_unit__path")[:5000])
            self.people[unit.pk] = rows
        self.any_people = list(Person.objects.values_list("pk", "org_unit__path")[:5000])
        if not self.any_people:
            raise RuntimeError("seed_petitions: no people — run seed_demo first")
        self.employers = list(Employer.objects.values_list("pk", "name")[:2000])
        supervisors = {u.org_unit_id: u for u in
                       User.objects.filter(is_active=True, role_grants__role="supervisor").order_by("pk")}
        # (unit, a supervisor there who acknowledges older cases — None: nobody, it stays waiting)
        self.escalate_to = {u.pk: [(e.pk, supervisors.get(e.pk)) for e in escalation_units(u)] for u in self.units}
        self.deadline = {u.pk: (param("petition.deadline_days", u), param("petition.deadline_in_working_days", u))
                         for u in self.units}
        self._due_cache: dict[tuple[datetime.date, int], datetime.date] = {}
        self.rng = rng

    def due(self, unit: OrgUnit, accepted: datetime.date) -> tuple[datetime.date, bool]:
        days, working = self.deadline[unit.pk]
        if not working:
            return accepted + datetime.timedelta(days=days), False
        key = (accepted, days)
        if key not in self._due_cache:
            self._due_cache[key] = add_working_days(accepted, days)
        return self._due_cache[key], True


def _reserve_numbers(kind: str, unit: OrgUnit, year: int, n: int) -> list[str]:
    """``n`` consecutive numbers from the unit's series (inside the caller's transaction)."""
    seq, _ = Sequence.objects.select_for_update().get_or_create(kind=kind, org_unit=unit, year=year)
    first = seq.last + 1
    seq.last += n
    seq.save(update_fields=["last"])
    return [format_case_number(kind, unit, year, i) for i in range(first, first + n)]


def seed_petitions(count: int, *, rng_seed: int = 2026, batch: int = BATCH) -> int:
    """Create up to ``count`` demo petitions (indices 0 … count-1 for ``rng_seed``); returns how
    many were new."""
    if count <= 0:
        return 0
    rng = random.Random(rng_seed)
    world = _World(rng)
    created = 0
    for start in range(0, count, batch):
        indices = range(start, min(start + batch, count))
        tokens = {i: uuid.uuid5(TOKEN_NAMESPACE, f"{rng_seed}:{i}") for i in indices}
        existing = set(Petition.objects.filter(intake_token__in=tokens.values()).values_list("intake_token", flat=True))
        specs = [_spec(world, i, tokens[i]) for i in indices]  # drawn even when skipped: same stream each run
        new = [s for s in specs if s["petition"].intake_token not in existing]
        if new:
            created += _write(new)
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
                TaskTarget.objects.create(
                    task=task, org_unit=station, status="reported" if done else "pending",
                    result="排查企业28家，发现2家存在欠薪隐患，已督促整改。" if done else "",
                    reported_by=world.staff[station.pk][0] if done else None,
                    reported_at=timezone.now() - datetime.timedelta(days=1) if done else None)


def _spec(world: _World, index: int, token: uuid.UUID) -> dict[str, Any]:
    rng = world.rng
    now = timezone.now()
    today = timezone.localdate()
    unit = rng.choices(world.units, weights=world.unit_weights)[0]
    staff = world.staff[unit.pk]
    receiver = next((u for u in staff if "clerk" in {r.value for r in u.roles}), staff[0])
    handler = rng.choice(staff)
    pool = world.people[unit.pk] or world.any_people
    person_pk, person_path = rng.choice(pool)
    days_ago = int(rng.triangular(0, DAYS_BACK, 8))
    received = timezone.localtime(now).replace(hour=rng.randint(8, 16), minute=rng.choice((0, 10, 20, 30, 40, 50)),
                                               second=0, microsecond=0) - datetime.timedelta(days=days_ago)
    if received > now:
        received -= datetime.timedelta(days=1)
    accepted = timezone.localdate(received)
    due, working = world.due(unit, accepted)
    name, _, facts, request = rng.choices(STORIES, weights=[s[1] for s in STORIES])[0]
    employer = rng.choice(world.employers) if world.employers and name not in ("生活困难", "意见建议") else None
    group = rng.random() < 0.05
    headcount = rng.randint(5, 40) if group else (1 if rng.random() < 0.85 else rng.randint(2, 4))
    p = Petition(
        org_unit=unit, received_unit=unit, received_at=received, received_by=receiver,
        channel=_pick(rng, CHANNELS), person_id=person_pk, headcount=headcount, is_group=headcount >= 5,
        employer_id=employer[0] if employer else None, category=world.categories.get(name) or next(
            iter(world.categories.values())),
        facts=facts.format(e=employer[1] if employer else "单位", m=rng.randint(2, 8), n=rng.randint(8, 90) * 1000),
        request=request, is_confidential=rng.random() < 0.08, is_urgent=rng.random() < 0.03,
        handler=receiver, accepted_on=accepted, in_working_days=working, due_date=due, intake_token=token,
    )
    events = [("intake", receiver, received, f"{p.get_channel_display()}，{headcount}人")]
    follow_up = None
    notice = None
    age = (today - accepted).days
    fate = rng.random()
    if age > 3 and fate < 0.25:
        p.handler, p.handler_due, p.status, p.handling = handler, min(due, accepted + datetime.timedelta(days=15)), \
            Petition.Status.ASSIGNED, Petition.Handling.ASSIGNED
        events.append(("assign", receiver, received + datetime.timedelta(hours=2), f"交办给{handler}"))
    if age > 5 and 0.25 <= fate < 0.35:
        dept, contact = rng.choice(DEPARTMENTS)
        p.status, p.handling = Petition.Status.FORWARDED, Petition.Handling.FORWARDED
        p.forwarded_to, p.forwarded_on, p.forwarded_contact = dept, accepted + datetime.timedelta(days=1), contact
        events.append(("forward", receiver, received + datetime.timedelta(days=1), f"转办{dept}"))
    closes = age > 2 and (fate >= 0.45 or age > 45)
    if closes:
        spot = p.status == Petition.Status.OPEN and rng.random() < 0.3
        took = 0 if spot else min(age, int(rng.triangular(1, 40, 12)))
        closed_at = received + datetime.timedelta(days=took, hours=1)
        if closed_at > now:
            closed_at = now
        p.closed_at = closed_at
        if p.status == Petition.Status.OPEN:
            p.handler = handler
        p.was_overdue = timezone.localdate(closed_at) > due
        p.handling = Petition.Handling.ON_THE_SPOT if spot else (p.handling or Petition.Handling.SELF)
        p.report_facts, p.report_basis = p.facts, "《劳动合同法》《工资支付暂行规定》等有关规定。"
        p.report_result = "经协调，单位已同意按规定处理，职工诉求得到解决。" if not spot else "当场解答政策，告知维权途径。"
        p.report_response = "表示满意。"
        if p.status == Petition.Status.FORWARDED:
            p.reply, p.replied_on = "已依法处理完毕。", timezone.localdate(closed_at)
            events.append(("reply", receiver, closed_at, f"{p.forwarded_to}答复：{p.reply}"))
        p.status = Petition.Status.CLOSED
        events.append(("answer" if spot else "close", handler, closed_at, p.report_result))
        done = (today - timezone.localdate(closed_at)).days > 3 and rng.random() < 0.85
        satisfaction = _pick(rng, SATISFACTION) if done else ""
        follow_up = FollowUp(status=FollowUp.Status.DONE if done else FollowUp.Status.PENDING, created_at=closed_at,
                             method=rng.choice(["phone", "on_site"]) if done else "", satisfaction=satisfaction,
                             comment="对处理结果不认可。" if satisfaction == "unsatisfied" else "",
                             done_by=handler if done else None,
                             done_at=closed_at + datetime.timedelta(days=3) if done else None)
        if done:
            events.append(("follow_up", handler, follow_up.done_at, FollowUp.Satisfaction(satisfaction).label))
    if p.employer_id and rng.random() < 0.05 and age > 5:
        rect = rng.random() < 0.5
        notice = Notice(employer_id=p.employer_id, kind="rectification" if rect else "suggestion",
                        content="请依法足额支付拖欠工资。" if rect else "建议建立健全工资支付制度。",
                        deadline=accepted + datetime.timedelta(days=20) if rect else None,
                        issued_on=accepted + datetime.timedelta(days=2), issued_by=handler)
        events.append(("notice", handler, received + datetime.timedelta(days=2), notice.get_kind_display()))
    return {"petition": p, "events": events, "follow_up": follow_up, "notice": notice,
            "link": not person_path.startswith(unit.path), "escalate": world.escalate_to[unit.pk],
            "acked_before": received + datetime.timedelta(days=1)
            if age > 2 else None}


@transaction.atomic
def _write(specs: list[dict[str, Any]]) -> int:
    by_series: dict[tuple[str, int, int], list[Petition]] = defaultdict(list)
    for s in specs:
        p = s["petition"]
        by_series[("XF", p.org_unit_id, p.accepted_on.year)].append(p)
    for (kind, _unit_id, year), rows in by_series.items():
        rows.sort(key=lambda p: p.received_at)
        for p, number in zip(rows, _reserve_numbers(kind, rows[0].org_unit, year, len(rows)), strict=True):
            p.number = number
    petitions = Petition.objects.bulk_create([s["petition"] for s in specs], batch_size=500)
    events, follow_ups, escalations, links = [], [], [], []
    notices_by_series: dict[tuple[str, int, int], list[Notice]] = defaultdict(list)
    for s, p in zip(specs, petitions, strict=True):
        events += [PetitionEvent(petition=p, kind=k, by=u, at=at, note=note) for k, u, at, note in s["events"]]
        if s["follow_up"] is not None:
            s["follow_up"].petition = p
            follow_ups.append(s["follow_up"])
        if s["notice"] is not None:
            s["notice"].petition = p
            n = s["notice"]
            notices_by_series[(Notice.NUMBER_PREFIX[Notice.Kind(n.kind)], p.org_unit_id, n.issued_on.year)].append(n)
        if p.is_group or p.is_urgent:
            for unit_pk, supervisor in s["escalate"]:
                acked = s["acked_before"] if supervisor else None
                escalations.append(Escalation(petition=p, org_unit_id=unit_pk, created_at=p.received_at,
                                              acknowledged_at=acked, acknowledged_by=supervisor if acked else None))
        if s["link"]:
            links.append(PersonLink(person_id=p.person_id, org_unit_id=p.org_unit_id))
    notices = []
    for (kind, _unit_id, year), rows in notices_by_series.items():
        unit = rows[0].petition.org_unit
        for n, number in zip(rows, _reserve_numbers(kind, unit, year, len(rows)), strict=True):
            n.number = number
            notices.append(n)
    PetitionEvent.objects.bulk_create(events, batch_size=1000)
    FollowUp.objects.bulk_create(follow_ups, batch_size=1000)
    Escalation.objects.bulk_create(escalations, batch_size=1000, ignore_conflicts=True)
    Notice.objects.bulk_create(notices, batch_size=500)
    PersonLink.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    return len(petitions)

