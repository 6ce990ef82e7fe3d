"""The petition, notice, task, 12351 work-order and online-submission workflows, tested from their
tables (tests/kernel.py): every step from every state, by a permitted user and by every role
without the permission."""

from __future__ import annotations

import datetime
import itertools
import uuid
from typing import Any

import pytest
from django.utils import timezone

from petitions import services
from petitions.models import Category, FollowUp, HotlineOrder, Notice, Petition, Submission, TaskTarget
from petitions.workflow import HOTLINE_FLOW, NOTICE_FLOW, PETITION_FLOW, SUBMISSION_FLOW, TASK_FLOW
from servicecenter.models import AuditEvent
from servicecenter.roles import Role
from tests.conftest import make_employer, make_person
from tests.kernel import run_case, workflow_cases

S = Petition.Status
REPORT = services.CompletionReport("拖欠工资属实。", "《劳动合同法》第三十条。", "公司已支付全部工资。", "满意。")
TODAY = timezone.localdate
# A demo account per role whose scope includes station 330602001.
ROLE_USERS = {Role.CLERK: "s11_clerk", Role.WORKER: "s11_worker", Role.SUPERVISOR: "d1_sup",
              Role.ACCOUNTANT: "d1_accountant", Role.CASHIER: "d1_cashier", Role.AUDITOR: "auditor",
              Role.SYSADMIN: "sysadmin", Role.SECAUDIT: "secaudit"}
SUPERVISED = {"extend", "reopen", "review", "acknowledge", "decide_extension", "decide_reopen", "identify"}
_phones = itertools.count(1)


class PetitionAdapter:
    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self.clerk = users["s11_clerk"]
        self.person = make_person(self.clerk, name="赵建国")
        self.employer = make_employer(self.clerk.org_unit, name="越兴纺织印染有限公司")
        self.category = Category.objects.get(name="工资报酬/拖欠工资")

    def make(self, state: str) -> Petition:
        # A group case with an employer, so that acknowledging and notices have what they need.
        p = services.petition_intake(
            by=self.clerk, token=uuid.uuid4(), org_unit=self.clerk.org_unit, person=self.person, channel="visit",
            received_at=timezone.now(), headcount=6, category=self.category, facts="拖欠三个月工资。",
            request="要求支付。", employer=self.employer)
        if state == S.ASSIGNED:
            services.petition_assign(petition=p, by=self.clerk, handler=self.users["s11_worker"], due_date=TODAY())
        if state in (S.FORWARDED, S.REPLIED):
            services.petition_forward(petition=p, by=self.clerk, department="劳动保障监察大队", forwarded_on=TODAY(),
                                      contact="王科长 88120001")
        if state == S.REPLIED:
            services.petition_record_reply(petition=p, by=self.clerk, reply="已责令支付。", replied_on=TODAY())
        if state == S.CLOSED:
            services.petition_close(petition=p, by=self.clerk, report=REPORT)
        p.refresh_from_db()
        return p

    def prepare(self, step: str, p: Petition) -> None:
        if step == "resume":
            services.petition_pause(petition=p, by=self.clerk, reason="等待工伤认定")
        if step == "decide_extension":
            services.petition_request_extension(petition=p, by=self.clerk, days=5, reason="需等待鉴定结论")
        if step == "decide_reopen":
            services.petition_request_reopen(petition=p, by=self.clerk, reason="职工反映问题未解决")
        if step == "review":
            services.followup_record(follow_up=services.pending_follow_up(p), by=self.clerk, method="phone",
                                     satisfaction="unsatisfied", comment="工资只付了一半")
        if step == "identify":  # an anonymous matter
            Petition.objects.filter(pk=p.pk).update(person=None, identity=Petition.Identity.ANONYMOUS)
        if step == "report_back":  # a matter assigned from above
            Petition.objects.filter(pk=p.pk).update(channel=Petition.Channel.ASSIGNED, referred_by="省总工会权益保障部",
                                                    referred_on=TODAY())
        if step == "publish_answer":  # a matter submitted online
            Submission.objects.create(number=f"WS-T-{p.pk}", code_hash="-", token=uuid.uuid4(), org_unit=p.org_unit,
                                      name="赵建国", phone="13900001111", category=p.category, facts=p.facts,
                                      request=p.request, status=Submission.Status.ACCEPTED, petition=p)

    def actor(self, step: str, p: Petition) -> Any:
        return self.users["d1_sup"] if step in SUPERVISED else self.clerk

    def user_with_role(self, role: Role, p: Petition) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, p: Petition, user: Any) -> None:
        today = TODAY()
        follow_up = services.pending_follow_up(p) or FollowUp(petition=p)
        review = services.follow_up_to_review(p) or FollowUp(petition=p)
        calls = {
            "answer": lambda: services.petition_answer(petition=p, by=user, answer="当场解答", basis="条例", response="理解"),
            "assign": lambda: services.petition_assign(petition=p, by=user, handler=self.users["s11_worker"]
                                                       if p.handler_id != self.users["s11_worker"].pk else self.clerk,
                                                       due_date=today),
            "send_up": lambda: services.petition_send_up(petition=p, by=user, reason="涉及面广"),
            "forward": lambda: services.petition_forward(petition=p, by=user, department="医保局", forwarded_on=today,
                                                         contact="陈科长"),
            "reply": lambda: services.petition_record_reply(petition=p, by=user, reply="已处理", replied_on=today),
            "close": lambda: services.petition_close(petition=p, by=user, report=REPORT),
            "notice": lambda: services.notice_issue(petition=p, by=user, kind="suggestion", content="建议按月发薪"),
            "pause": lambda: services.petition_pause(petition=p, by=user, reason="等待鉴定"),
            "resume": lambda: services.petition_resume(petition=p, by=user),
            "request_extension": lambda: services.petition_request_extension(petition=p, by=user, days=5,
                                                                             reason="等待鉴定"),
            "decide_extension": lambda: services.petition_decide_extension(petition=p, by=user, approve=False,
                                                                           note="材料已齐，无需延期"),
            "extend": lambda: services.petition_extend(petition=p, by=user, days=5, reason="等待鉴定"),
            "recuse": lambda: services.petition_recuse(petition=p, by=user, reason="与单位负责人系亲属"),
            "acknowledge": lambda: services.petition_acknowledge(petition=p, by=user),
            "follow_up": lambda: services.followup_record(follow_up=follow_up, by=user, method="phone",
                                                          satisfaction="satisfied"),
            "review": lambda: services.followup_review(follow_up=review, by=user, reopen=False, note="已足额支付"),
            "request_reopen": lambda: services.petition_request_reopen(petition=p, by=user, reason="问题未解决"),
            "decide_reopen": lambda: services.petition_decide_reopen(petition=p, by=user, approve=False,
                                                                     note="已依法处理完毕"),
            "reopen": lambda: services.petition_reopen(petition=p, by=user, reason="复查"),
            "identify": lambda: services.petition_identify(petition=p, by=user, id_number=self.person.id_number),
            "report_back": lambda: services.petition_report_back(petition=p, by=user, report="已办结，职工满意。"),
            "publish_answer": lambda: services.petition_publish_answer(petition=p, by=user, answer="已受理，正在协调。"),
        }
        calls[step]()

    def events(self, p: Petition) -> int:
        return p.events.count()


class NoticeAdapter:
    def __init__(self, users: dict[str, Any]) -> None:
        self.petitions = PetitionAdapter(users)
        self.clerk = users["s11_clerk"]
        self.users = users

    def make(self, state: str) -> Notice:
        p = self.petitions.make(S.OPEN)
        notice = services.notice_issue(petition=p, by=self.clerk, kind="rectification", content="限期支付拖欠工资",
                                       deadline=TODAY() + datetime.timedelta(days=10))
        if state == Notice.Status.RESPONDED:
            services.notice_record_response(notice=notice, by=self.clerk, response="已支付", responded_on=TODAY())
        notice.refresh_from_db()
        return notice

    def prepare(self, step: str, n: Notice) -> None:
        pass

    def actor(self, step: str, n: Notice) -> Any:
        return self.clerk

    def user_with_role(self, role: Role, n: Notice) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, n: Notice, user: Any) -> None:
        services.notice_record_response(notice=n, by=user, response="已整改", responded_on=TODAY())

    def events(self, n: Notice) -> int:
        return n.petition.events.count()


class TaskAdapter:
    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users, self.units = users, units
        self.cases = PetitionAdapter(users)

    def make(self, state: str) -> TaskTarget:
        self.case = self.cases.make(S.OPEN)  # a case of the receiving station, to link
        task = services.task_create(by=self.users["d1_sup"], title="节前欠薪排查", content="排查并报告",
                                    due_date=TODAY() + datetime.timedelta(days=5), units=[self.units["330602001"]])
        target = task.targets.get()
        if state == TaskTarget.Status.REPORTED:
            services.task_report(target=target, by=self.users["s11_clerk"], result="排查企业12家")
        target.refresh_from_db()
        return target

    def prepare(self, step: str, t: TaskTarget) -> None:
        pass

    def actor(self, step: str, t: TaskTarget) -> Any:
        return self.users["s11_worker"]

    def user_with_role(self, role: Role, t: TaskTarget) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, t: TaskTarget, user: Any) -> None:
        if step == "link":
            services.task_link(target=t, by=user, petition=self.case)
        else:
            services.task_report(target=t, by=user, result="已完成")

    def events(self, t: TaskTarget) -> int:
        # No timeline of its own: its audit rows count.
        return AuditEvent.objects.filter(target_type="petitions.tasktarget", target_id=str(t.pk)).count()


H = HotlineOrder.Status


class HotlineAdapter:
    """12351 work orders, logged at the district (so that there is a station below to dispatch to)."""

    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users, self.units = users, units
        self.sup = users["d1_sup"]
        self.category = Category.objects.get(name="工资报酬/拖欠工资")

    def make(self, state: str) -> HotlineOrder:
        n = next(_phones)
        p = services.petition_intake(
            by=self.sup, token=uuid.uuid4(), org_unit=self.units["330602"],
            person=services.Caller("钱师傅", f"139{n:08d}"), channel="12351", received_at=timezone.now(), headcount=1,
            category=self.category, facts="反映公司拖欠工资。", request="要求支付。",
            hotline=services.HotlineDetails(f"GD-T-{n}", f"139{n:08d}", "话务员甲", timezone.now(), "complaint",
                                            TODAY() + datetime.timedelta(days=5)))
        order = p.hotline_order
        if state == H.DISPATCHED:
            services.hotline_dispatch(order=order, by=self.sup, unit=self.units["330602001"])
        if state in (H.ANSWERED, H.CLOSED):
            services.hotline_feedback(order=order, by=self.sup, feedback="已协调支付。")
        if state == H.CLOSED:
            services.hotline_revisit(order=order, by=self.sup, satisfaction="satisfied")
        order.refresh_from_db()
        return order

    def prepare(self, step: str, o: HotlineOrder) -> None:
        pass

    def actor(self, step: str, o: HotlineOrder) -> Any:
        return self.sup

    def user_with_role(self, role: Role, o: HotlineOrder) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, o: HotlineOrder, user: Any) -> None:
        calls = {
            "dispatch": lambda: services.hotline_dispatch(order=o, by=user, unit=self.units["330602002"]),
            "feedback": lambda: services.hotline_feedback(order=o, by=user, feedback="已办结。"),
            "revisit": lambda: services.hotline_revisit(order=o, by=user, satisfaction="fairly"),
            "return_order": lambda: services.hotline_return(order=o, by=user, reason="职工反映未解决"),
        }
        calls[step]()

    def events(self, o: HotlineOrder) -> int:
        return o.petition.events.count()


class SubmissionAdapter:
    """Online submissions to station 330602001, accepted or declined by its clerk."""

    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users, self.units = users, units
        self.clerk = users["s11_clerk"]
        self.category = Category.objects.get(name="工资报酬/拖欠工资")

    def make(self, state: str) -> Submission:
        n = next(_phones)
        sub, _ = services.submission_create(
            token=uuid.uuid4(), org_unit=self.units["330602001"], name="孙晓梅", phone=f"137{n:08d}",
            category=self.category, facts="公司拖欠工资。", request="要求支付。", client=f"10.0.0.{n % 250}")
        if state == Submission.Status.ACCEPTED:
            services.submission_accept(submission=sub, by=self.clerk, category=self.category)
        if state == Submission.Status.DECLINED:
            services.submission_decline(submission=sub, by=self.clerk, reason="不属于工会受理范围。")
        sub.refresh_from_db()
        return sub

    def prepare(self, step: str, s: Submission) -> None:
        pass

    def actor(self, step: str, s: Submission) -> Any:
        return self.clerk

    def user_with_role(self, role: Role, s: Submission) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, s: Submission, user: Any) -> None:
        if step == "accept":
            services.submission_accept(submission=s, by=user, category=self.category)
        else:
            services.submission_decline(submission=s, by=user, reason="已向劳动监察反映，请直接联系。")

    def events(self, s: Submission) -> int:
        return AuditEvent.objects.filter(target_type="petitions.submission", target_id=str(s.pk)).count()


@pytest.mark.parametrize("case", workflow_cases(PETITION_FLOW), ids=str)
def test_petition_workflow(case, users):
    run_case(case, PetitionAdapter(users))


@pytest.mark.parametrize("case", workflow_cases(NOTICE_FLOW), ids=str)
def test_notice_workflow(case, users):
    run_case(case, NoticeAdapter(users))


@pytest.mark.parametrize("case", workflow_cases(TASK_FLOW), ids=str)
def test_task_workflow(case, users, units):
    run_case(case, TaskAdapter(users, units))


@pytest.mark.parametrize("case", workflow_cases(HOTLINE_FLOW), ids=str)
def test_hotline_workflow(case, users, units):
    run_case(case, HotlineAdapter(users, units))


@pytest.mark.parametrize("case", workflow_cases(SUBMISSION_FLOW), ids=str)
def test_submission_workflow(case, users, units):
    run_case(case, SubmissionAdapter(users, units))
