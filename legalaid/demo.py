"""Demo and benchmark data for 法律援助 and 劳动争议调解.

``seed_legalaid(count)``:

- the demo set, once (idempotent: every record carries a token derived from its key): lawyers,
  volunteers, mediators and a psychologist with reception days; consultations; applications in
  every state — one whose limitation is urgent, one granted case whose opposing employer is tied to
  a lawyer (assigning that lawyer is refused by the conflict check), one withdrawn as stale; and
  mediations open, past their limit, agreed (executed in full and in part) and failed. Made through
  the services, so timelines, clocks and audit rows are what the pages would have made.
- ``count`` bulk applications for benchmarks (``seed_demo --count legalaid=200000``), written with
  ``bulk_create`` in blocks: realistic states, dates, amounts and clocks, numbers from the same
  ``Sequence`` rows as ``numbering.case_number``; no timelines. Idempotent by token.
"""

from __future__ import annotations

import datetime
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from servicecenter.models import Employer, OrgUnit, Person, Sequence, User
from servicecenter.numbering import format_case_number
from servicecenter.workdays import Calendar

from . import services
from .limitation import add_months, compute
from .models import Advisor, Application, Forum, Matter, Mediation, Progress

NS = uuid.UUID("0b6d7f4e-2a51-4c1e-9d3a-6c8e1f7a2b90")
BLOCK = 10_000
D = Decimal


def _token(key: str) -> uuid.UUID:
    return uuid.uuid5(NS, key)


def seed_legalaid(count: int = 0, *, write: Callable[[str], None] = print) -> str:
    users = {u.username: u for u in User.objects.filter(username__in=["s11_clerk", "s11_worker", "d1_sup", "city_sup",
                                                                       "s21_clerk", "d2_sup"])}
    if {"s11_clerk", "d1_sup"} - set(users):
        return ""
    _demo_set(users)
    if count:
        made = seed_bulk(count)
        if made:
            write(f"法律援助：新增 {made} 件批量案件")
    return f"{Application.objects.count()} 件法律援助申请，{Mediation.objects.count()} 件调解"


# --- the demo set ----------------------------------------------------------------------------------------


ADVISORS = [
    # key, unit, kind, name, firm, licence, specialities
    ("wang", "330602", "lawyer", "王立新", "浙江越州律师事务所", "13306201810000011", "劳动争议、工伤赔偿"),
    ("chen", "330602", "lawyer", "陈静怡", "浙江兰亭律师事务所", "13306201910000027", "劳动合同、社会保险"),
    ("li", "330600", "volunteer", "李明", "绍兴文理学院法学院", "", "劳动法咨询"),
    ("zhao", "330602", "mediator", "赵国平", "越城区职工服务中心", "", "劳动争议调解"),
    ("zhou", "330600", "psychologist", "周晓梅", "绍兴市心理咨询协会", "", "职工心理疏导"),
    ("sun", "330604", "lawyer", "孙建华", "浙江舜江律师事务所", "13306042011000035", "劳动争议"),
    ("qian", "330604", "mediator", "钱玉兰", "上虞区职工服务中心", "", "劳动争议调解"),
]


def _advisors(users: dict[str, User]) -> dict[str, Advisor]:
    out = {}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[a[1] for a in ADVISORS])}
    sup = users["city_sup"] if "city_sup" in users else users["d1_sup"]
    for key, code, kind, name, firm, licence, specialities in ADVISORS:
        found = Advisor.objects.filter(name=name, kind=kind).first()
        if found is None:
            pledge = timezone.localdate() - datetime.timedelta(days=400) if kind == "volunteer" else None
            found = services.advisor_save(by=sup, org_unit=units[code], kind=kind, name=name, firm=firm,
                                          licence_number=licence, phone="", specialities=specialities,
                                          pledge_signed_on=pledge, is_active=True, note="")
        out[key] = found
    return out


def _people(unit_code: str, n: int) -> list[Person]:
    return list(Person.objects.filter(org_unit__code=unit_code).order_by("pk")[:n])


def _employers(unit_code: str) -> list[Employer]:
    return list(Employer.objects.filter(org_unit__code=unit_code).order_by("pk"))


def _demo_set(users: dict[str, User]) -> None:
    if Application.objects.filter(token=_token("demo:draft")).exists():
        return
    clerk, sup = users["s11_clerk"], users["d1_sup"]
    unit = clerk.org_unit
    if unit is None or sup.org_unit is None:
        return
    people = _people(unit.code, 14)
    firms = _employers(unit.code)
    if len(people) < 12 or len(firms) < 3:
        return
    advisors = _advisors(users)
    today = timezone.localdate()
    ago = lambda days: today - datetime.timedelta(days=days)  # noqa: E731
    with transaction.atomic():
        # The conflict to be refused: 王立新 is the standing counsel of the first employer.
        services.advisor_tie_add(by=sup, advisor=advisors["wang"], employer=firms[0], relation="counsel",
                                 note="2024年起担任常年法律顾问")
        for offset in (1, 8, 15, 22):
            day = today + datetime.timedelta(days=offset)
            services.reception_day_add(by=sup, advisor=advisors["wang"], org_unit=unit, on=day, session="am")
            services.reception_day_add(by=sup, advisor=advisors["zhou"], org_unit=sup.org_unit, on=day, session="pm")
        for i, (channel, matter, q, ans) in enumerate([
            ("visit", Matter.WAGES, "单位拖欠两个月工资，怎么维权？", "可先与单位协商，也可申请劳动仲裁或向劳动保障监察投诉。"),
            ("hotline", Matter.CONTRACT, "试用期被辞退有没有补偿？", "试用期内单位须证明不符合录用条件，否则属违法解除。"),
            ("reception", Matter.WORK_INJURY, "下班途中被撞算工伤吗？", "非本人主要责任的交通事故，可认定为工伤。"),
            ("visit", Matter.SOCIAL_INSURANCE, "单位不交社保怎么办？", "可向社会保险征收机构投诉，要求补缴。"),
            ("hotline", Matter.OVERTIME, "周末加班没有加班费合法吗？", "休息日加班又不能安排补休的，应支付不低于200%的工资。"),
        ]):
            services.consultation_create(
                by=clerk, token=_token(f"demo:consult:{i}"), org_unit=unit, at=timezone.now() - datetime.timedelta(days=i),
                channel=channel, matter=matter, question=q, answer=ans, person=people[i] if i % 2 == 0 else None,
                caller="" if i % 2 == 0 else "王先生", advisor=advisors["wang"] if channel == "reception" else None)

        def intake(key: str, person: Person, employer: Employer, matter: str, *, complete: bool = True,
                   claimed: str = "12000", arose: datetime.date | None = None, ended: datetime.date | None = None,
                   qualifies: str = "other") -> Application:
            return services.application_intake(
                by=clerk, token=_token(f"demo:{key}"), org_unit=unit, applicant=person, complete=complete,
                qualifies=qualifies, qualifies_basis="", matter=matter, forum=Forum.ARBITRATION, employer=employer,
                opposing_agent=None, amount_claimed=D(claimed), facts=f"申请人在{employer}工作，{Matter(matter).label}纠纷。",
                request="依法维护申请人合法权益，支付相关款项。", evidence="身份证复印件、劳动合同、工资条、银行流水",
                dispute_arose_on=arose or ago(60), employment_ended_on=ended, award_served_on=None)

        intake("draft", people[0], firms[1], Matter.CONTRACT, complete=False)
        # Urgent: a dismissal whose one-year limitation ends in three weeks.
        arose = add_months(today, -12) + datetime.timedelta(days=20)
        intake("urgent", people[1], firms[1], Matter.DISMISSAL, arose=arose)
        supplement = intake("supplement", people[2], firms[2], Matter.SOCIAL_INSURANCE)
        services.application_request_material(application=supplement, by=clerk, material="社保缴费记录、工资发放记录")

        granted = intake("granted", people[3], firms[0], Matter.WAGES, ended=ago(30), claimed="18600")
        services.application_assess(application=granted, by=clerk, opinion="申请人系农民工，被拖欠工资属实。",
                                    recommend="grant")
        services.application_grant(application=granted, by=sup, forum=Forum.ARBITRATION, note="同意")

        assigned = intake("assigned", people[4], firms[2], Matter.WORK_INJURY, claimed="56000")
        services.application_assess(application=assigned, by=clerk, opinion="工伤认定结论已作出，赔偿未落实。",
                                    recommend="grant")
        services.application_grant(application=assigned, by=sup, forum=Forum.ARBITRATION)
        services.application_assign(application=assigned, by=sup, advisor=advisors["chen"])
        services.application_progress(application=assigned, by=clerk, kind=Progress.Kind.FILED, on=today,
                                      document="仲裁申请书")
        services.application_progress(application=assigned, by=clerk, kind=Progress.Kind.HEARING,
                                      on=today + datetime.timedelta(days=2), note="区劳动人事争议仲裁院第二仲裁庭")

        closed = intake("closed", people[5], firms[1], Matter.WAGES, ended=ago(20), claimed="24000",
                        qualifies="model_worker" if people[5].model_worker else "other")
        services.application_assess(application=closed, by=clerk, opinion="事实清楚。", recommend="grant")
        services.application_grant(application=closed, by=sup, forum=Forum.NON_LITIGATION)
        services.application_assign(application=closed, by=sup, advisor=advisors["chen"])
        services.application_close(application=closed, by=clerk, outcome="mediated", amount_awarded=D("20000"),
                                   amount_received=D("20000"), summary="经仲裁庭调解，单位一次性支付工资20000元，已到账。")
        services.application_feedback(application=closed, by=clerk, satisfaction="satisfied")

        refused = intake("refused", people[6], firms[2], Matter.OTHER)
        services.application_assess(application=refused, by=clerk, opinion="申请人月收入较高，不符合援助条件。",
                                    recommend="refuse")
        services.application_refuse(application=refused, by=sup, reason="申请人家庭经济状况不符合工会法律援助条件。")

        stale = intake("stale", people[7], firms[1], Matter.CONTRACT, complete=False)
        Application.objects.filter(pk=stale.pk).update(received_on=ago(45))
        stale.refresh_from_db()
        services.application_withdraw_stale(application=stale, by=clerk)

        # Mediations.
        open_case = services.mediation_intake(
            by=clerk, token=_token("demo:m-open"), org_unit=unit, workers=people[8:10], employer=firms[1],
            mediator=advisors["zhao"], matter=Matter.WAGES, request="支付拖欠工资共计16000元。", amount_claimed=D("16000"))
        services.mediation_session(mediation=open_case, by=clerk, held_on=today, note="双方到场，单位同意分期支付。")
        past = services.mediation_intake(
            by=clerk, token=_token("demo:m-past"), org_unit=unit, workers=[people[10]], employer=firms[2],
            mediator=advisors["zhao"], matter=Matter.OVERTIME, request="支付加班费。", applied_on=ago(20))
        del past
        agreed = services.mediation_intake(
            by=clerk, token=_token("demo:m-agreed"), org_unit=unit, workers=[people[11]], employer=firms[2],
            mediator=advisors["zhao"], matter=Matter.WAGES, request="支付工资8000元。", amount_claimed=D("8000"),
            applied_on=ago(10))
        services.mediation_agree(mediation=agreed, by=clerk, terms="一、单位于协议签订后五日内支付工资8000元。",
                                 amount_agreed=D("8000"), pay_by=today, agreed_on=ago(5))
        services.mediation_execution(mediation=agreed, by=clerk, execution="executed", amount_paid=D("8000"))
        partly = services.mediation_intake(
            by=clerk, token=_token("demo:m-partly"), org_unit=unit, workers=people[12:14], employer=firms[0],
            mediator=advisors["zhao"], matter=Matter.DISMISSAL, request="支付经济补偿金30000元。", applied_on=ago(12))
        services.mediation_agree(mediation=partly, by=clerk, terms="一、单位分两期支付经济补偿金24000元。",
                                 amount_agreed=D("24000"), pay_by=today + datetime.timedelta(days=20), agreed_on=ago(3))
        services.mediation_execution(mediation=partly, by=clerk, execution="partly", amount_paid=D("12000"))
        failed = services.mediation_intake(
            by=clerk, token=_token("demo:m-failed"), org_unit=unit, workers=[people[6]], employer=firms[1],
            mediator=advisors["zhao"], matter=Matter.WORK_INJURY, request="支付一次性伤残补助金。", applied_on=ago(8))
        services.mediation_fail(mediation=failed, by=clerk, reason="单位不同意赔偿方案。", referred_to="legal_aid")


# --- bulk cases for benchmarks -----------------------------------------------------------------------------


class _World:
    def __init__(self) -> None:
        staff = (User.objects.filter(is_active=True, org_unit__isnull=False,
                                     role_grants__role__in=["clerk", "worker", "supervisor"])
                 .select_related("org_unit").distinct())
        self.staff: dict[int, list[int]] = {}
        for u in staff:
            if u.org_unit_id is not None:
                self.staff.setdefault(u.org_unit_id, []).append(u.pk)
        self.units = list(OrgUnit.objects.filter(pk__in=list(self.staff)))
        if not self.units:
            raise RuntimeError("seed_legalaid: no staff — run seed_demo first")
        self.weights = [6 if u.kind == OrgUnit.Kind.STATION else 1 for u in self.units]
        self.people = {u.pk: list(Person.objects.filter(org_unit__path__startswith=u.path)
                                  .values_list("pk", flat=True)[:3000]) for u in self.units}
        self.any_people = list(Person.objects.values_list("pk", flat=True)[:3000])
        self.employers = list(Employer.objects.values_list("pk", flat=True)[:3000])
        self.advisors = list(Advisor.objects.filter(kind__in=Advisor.ASSIGNABLE).values_list("pk", flat=True))
        self.calendar = Calendar()
        self.today = timezone.localdate()
        self._due: dict[tuple[datetime.date, int], datetime.date] = {}

    def working(self, day: datetime.date, n: int) -> datetime.date:
        key = (day, n)
        if key not in self._due:
            self._due[key] = self.calendar.add_working_days(day, n)
        return self._due[key]


MATTERS = [(Matter.WAGES, 40), (Matter.CONTRACT, 12), (Matter.SOCIAL_INSURANCE, 10), (Matter.WORK_INJURY, 14),
           (Matter.DISMISSAL, 14), (Matter.OVERTIME, 6), (Matter.OTHER, 4)]
STATES = [(Application.Status.CLOSED, 55), (Application.Status.ASSIGNED, 15), (Application.Status.REVIEW, 6),
          (Application.Status.SUPPLEMENT, 3), (Application.Status.DRAFT, 3), (Application.Status.GRANTED, 3),
          (Application.Status.REFUSED, 8), (Application.Status.WITHDRAWN, 7)]
OUTCOMES = [("won", 35), ("partly", 20), ("settled", 15), ("mediated", 20), ("lost", 6), ("withdrawn", 4)]


def _pick(rng: random.Random, pairs: list) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _row(world: _World, rng: random.Random, index: int) -> Application:
    S = Application.Status
    unit = rng.choices(world.units, weights=world.weights)[0]
    clerk = rng.choice(world.staff[unit.pk])
    received = world.today - datetime.timedelta(days=int(rng.triangular(0, 700, 30)))
    matter = _pick(rng, MATTERS)
    status = _pick(rng, STATES)
    age = (world.today - received).days
    if age < 20 and status in (S.CLOSED, S.REFUSED, S.WITHDRAWN):
        status = S.REVIEW
    claimed = D(rng.randrange(3, 200) * 500)
    arose = received - datetime.timedelta(days=rng.randint(10, 300))
    ended = arose + datetime.timedelta(days=rng.randint(0, 40)) if rng.random() < 0.6 else None
    a = Application(
        number="", org_unit_id=unit.pk, status=status, received_on=received, received_by_id=clerk, handler_id=clerk,
        token=_token(f"bulk:{index}"), applicant_id=rng.choice(world.people[unit.pk] or world.any_people),
        qualifies=rng.choice(["hardship", "model_worker", "other", "other", "other"]), matter=matter,
        forum=rng.choice(Forum.values), employer_id=rng.choice(world.employers) if world.employers else None,
        amount_claimed=claimed, facts="拖欠工资、未签劳动合同等。", request="支付相关款项。", evidence="劳动合同、工资条",
        dispute_arose_on=arose, employment_ended_on=ended)
    lim = compute(matter=matter, dispute_arose_on=arose, employment_ended_on=ended, award_served_on=None,
                  calendar=world.calendar)
    a.arbitration_limit_on, a.limitation_ends_on = lim.arbitration_ends, lim.ends
    if status != S.DRAFT:
        start = received + datetime.timedelta(days=rng.randint(0, 3))
        due = world.working(start, 7)
        a.completed_on, a.review_started_on, a.review_deadline_days = start, start, 7
        a.review_in_working_days, a.review_due_date = True, due
        decided = min(world.working(start, rng.randint(1, 9)), world.today)
        if status in (S.REVIEW, S.SUPPLEMENT):
            a.review_late_from = due + datetime.timedelta(days=1)
            if status == S.SUPPLEMENT:
                a.review_paused_since = min(start + datetime.timedelta(days=2), world.today)
                a.material_requested, a.material_requested_on = "工资发放记录", a.review_paused_since
        else:
            a.review_stopped_on = decided
            a.review_late_from = due + datetime.timedelta(days=1) if decided > due else None
            if status != S.WITHDRAWN or rng.random() < 0.5:
                a.decided_on, a.decided_by_id = decided, clerk
        if status == S.REFUSED:
            a.refusal_reason = "不符合援助条件。"
        if status == S.WITHDRAWN:
            a.withdrawn_on, a.withdrawal_reason = decided, "申请人与单位自行和解。"
        if status in (S.GRANTED, S.ASSIGNED, S.CLOSED):
            a.granted_forum = a.forum
            a.assign_started_on, a.assign_deadline_days, a.assign_in_working_days = decided, 3, True
            a.assign_due_date = world.working(decided, 3)
            a.assign_late_from = a.assign_due_date + datetime.timedelta(days=1)
            if status != S.GRANTED and world.advisors:
                assigned = min(world.working(decided, rng.randint(0, 4)), world.today)
                a.advisor_id, a.assigned_on, a.assign_stopped_on = rng.choice(world.advisors), assigned, assigned
                a.assign_late_from = a.assign_late_from if assigned > a.assign_due_date else None
                if status == S.CLOSED:
                    outcome = _pick(rng, OUTCOMES)
                    awarded = D("0") if outcome in Application.NO_AWARD else (claimed * D(rng.randint(50, 100)) / 100
                                                                             ).quantize(D("0.01"))
                    a.outcome, a.amount_awarded = outcome, awarded
                    a.amount_received = (awarded * D(rng.choice([100, 100, 100, 80, 50])) / 100).quantize(D("0.01"))
                    a.closed_on = min(assigned + datetime.timedelta(days=rng.randint(10, 120)), world.today)
                    a.closing_summary = "已结案。"
    return a


def _reserve(unit: OrgUnit, year: int, n: int) -> int:
    seq, _ = Sequence.objects.select_for_update().get_or_create(kind="FY", org_unit=unit, year=year)
    first = seq.last + 1
    seq.last += n
    seq.save(update_fields=["last"])
    return first


def seed_bulk(count: int, *, batch: int = 5000) -> int:
    """Up to ``count`` bulk applications (indices 0 … count-1); returns how many were new."""
    world = _World()
    units = {u.pk: u for u in world.units}
    made = 0
    for start in range(0, count, BLOCK):
        block = range(start, min(start + BLOCK, count))
        tokens = [_token(f"bulk:{i}") for i in block]
        present = set(Application.objects.filter(token__in=[tokens[0], tokens[-1]]).values_list("token", flat=True))
        if len(present) == 2:
            continue
        rng = random.Random(f"legalaid:{start}")
        rows = [_row(world, rng, i) for i in block]
        existing = set(Application.objects.filter(token__in=tokens).values_list("token", flat=True)) if present else set()
        rows = [r for r in rows if r.token not in existing]
        with transaction.atomic():
            by_key: dict[tuple[int, int], list[Application]] = {}
            for r in rows:
                by_key.setdefault((r.org_unit_id, r.received_on.year), []).append(r)
            for (unit_pk, year), group in by_key.items():
                first = _reserve(units[unit_pk], year, len(group))
                for k, r in enumerate(group):
                    r.number = format_case_number("FY", units[unit_pk], year, first + k)
            Application.objects.bulk_create(rows, batch_size=batch)
        made += len(rows)
    if made and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Application._meta.db_table}")  # noqa: S608
    return made

