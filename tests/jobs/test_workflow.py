"""The 就业援助 workflows, tested from their tables (tests/kernel.py): every step from every state,
by a permitted user and by every role without the permission."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from jobs import services
from jobs.models import Course, Enrolment, JobFair, Paper, Posting, Recruiter, Referral, Seeker
from jobs.workflow import (
    COURSE_FLOW,
    ENROLMENT_FLOW,
    FAIR_FLOW,
    POSTING_FLOW,
    RECRUITER_FLOW,
    REFERRAL_FLOW,
    SEEKER_FLOW,
)
from servicecenter.roles import Role
from tests.conftest import make_employer, make_person
from tests.jobs.conftest import TODAY, make_posting, make_recruiter, make_seeker, png, posting_data
from tests.kernel import run_case, workflow_cases

D = Decimal
ROLE_USERS = {Role.CLERK: "s11_clerk", Role.WORKER: "s11_worker", Role.SUPERVISOR: "d1_sup",
              Role.ACCOUNTANT: "d1_accountant", Role.CASHIER: "d1_cashier", Role.AUDITOR: "auditor",
              Role.SYSADMIN: "sysadmin", Role.SECAUDIT: "secaudit"}


class Base:
    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self.clerk = users["s11_clerk"]

    def prepare(self, step: str, obj: Any) -> None:
        pass

    def actor(self, step: str, obj: Any) -> Any:
        return self.clerk

    def user_with_role(self, role: Role, obj: Any) -> Any:
        return self.users[ROLE_USERS[role]]

    def events(self, obj: Any) -> int:
        return obj.events.count()


class RecruiterAdapter(Base):
    def make(self, state: str) -> Recruiter:
        r = make_recruiter(self.clerk, verified=state != Recruiter.Status.PENDING)
        if state == Recruiter.Status.SUSPENDED:
            services.recruiter_suspend(recruiter=r, by=self.clerk, reason="营业执照到期")
        r.refresh_from_db()
        return r

    def prepare(self, step: str, r: Recruiter) -> None:
        if step == "verify" and not r.papers.exists():
            for kind in Paper.Kind.values:
                services.recruiter_add_paper(recruiter=r, by=self.clerk, kind=kind, upload=png())

    def perform(self, step: str, r: Recruiter, user: Any) -> None:
        {
            "edit": lambda: services.recruiter_update(recruiter=r, by=user, contact_person="李经理",
                                                      contact_phone="13905750002"),
            "add_paper": lambda: services.recruiter_add_paper(recruiter=r, by=user, kind="licence", upload=png()),
            "verify": lambda: services.recruiter_verify(recruiter=r, by=user, verified_on=TODAY()),
            "suspend": lambda: services.recruiter_suspend(recruiter=r, by=user, reason="核查中"),
        }[step]()


class PostingAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.recruiter = make_recruiter(self.clerk)

    def make(self, state: str) -> Posting:
        p = make_posting(self.clerk, self.recruiter, publish=state != Posting.Status.DRAFT)
        if state == Posting.Status.FILLED:
            services.posting_fill(posting=p, by=self.clerk)
        if state == Posting.Status.EXPIRED:
            services.posting_close(posting=p, by=self.clerk, reason="单位撤回")
        p.refresh_from_db()
        return p

    def perform(self, step: str, p: Posting, user: Any) -> None:
        {
            "edit": lambda: services.posting_update(posting=p, by=user, **posting_data(self.clerk.org_unit,
                                                                                       title="改后的岗位")),
            "publish": lambda: services.posting_publish(posting=p, by=user),
            "fill": lambda: services.posting_fill(posting=p, by=user),
            "close": lambda: services.posting_close(posting=p, by=user, reason="单位撤回"),
            "renew": lambda: services.posting_renew(posting=p, by=user, valid_to=TODAY() + datetime.timedelta(days=9)),
        }[step]()


class SeekerAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.posting = make_posting(self.clerk, make_recruiter(self.clerk), openings=500)

    def make(self, state: str) -> Seeker:
        s = make_seeker(self.clerk)
        if state == Seeker.Status.PLACED:
            referral = services.referral_create(by=self.clerk, seeker=s, posting=self.posting)
            services.referral_hire(referral=referral, by=self.clerk, start_date=TODAY(), wage=D("4000"))
        if state == Seeker.Status.WITHDRAWN:
            services.seeker_withdraw(seeker=s, by=self.clerk, reason="已自行就业")
        s.refresh_from_db()
        return s

    def perform(self, step: str, s: Seeker, user: Any) -> None:
        {
            "edit": lambda: services.seeker_update(seeker=s, by=user, education=4, employment_type="full",
                                                   desired_monthly_wage=D("5000")),
            "photo": lambda: services.seeker_set_photo(seeker=s, by=user, upload=png("照片.png")),
            "refer": lambda: services.referral_create(by=user, seeker=s, posting=self.posting),
            "place": lambda: services.seeker_place(seeker=s, by=user, note="自行就业"),
            "withdraw": lambda: services.seeker_withdraw(seeker=s, by=user, reason="已自行就业"),
            "resume": lambda: services.seeker_resume(seeker=s, by=user),
        }[step]()


class ReferralAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.posting = make_posting(self.clerk, make_recruiter(self.clerk), openings=500)

    def make(self, state: str) -> Referral:
        r = services.referral_create(by=self.clerk, seeker=make_seeker(self.clerk), posting=self.posting)
        S = Referral.Status
        if state == S.INTERVIEWED:
            services.referral_interview(referral=r, by=self.clerk, interviewed_on=TODAY())
        if state == S.HIRED:
            services.referral_hire(referral=r, by=self.clerk, start_date=TODAY(), wage=D("4000"))
        if state == S.REJECTED:
            services.referral_reject(referral=r, by=self.clerk, note="经验不足")
        if state == S.NO_SHOW:
            services.referral_no_show(referral=r, by=self.clerk)
        r.refresh_from_db()
        return r

    def perform(self, step: str, r: Referral, user: Any) -> None:
        {
            "interview": lambda: services.referral_interview(referral=r, by=user, interviewed_on=TODAY()),
            "hire": lambda: services.referral_hire(referral=r, by=user, start_date=TODAY(), wage=D("4000")),
            "reject": lambda: services.referral_reject(referral=r, by=user, note="不合适"),
            "no_show": lambda: services.referral_no_show(referral=r, by=user),
            "follow_up": lambda: services.referral_follow_up(referral=r, by=user, followed_up_on=TODAY(),
                                                             still_employed=True),
            "leave": lambda: services.referral_leave(referral=r, by=user, left_on=TODAY()),
        }[step]()


def _course(by: Any) -> Course:
    return services.course_create(by=by, name="电工培训", provider="技工学校", starts_on=TODAY(), ends_on=TODAY(),
                                  hours=10, capacity=50, fee=D("600"), discount_percent=D("50"))


class CourseAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.trainee = make_person(self.clerk, name="学员")  # made before the snapshot, not during the step

    def make(self, state: str) -> Course:
        c = _course(self.clerk)
        if state == Course.Status.FINISHED:
            services.course_finish(course=c, by=self.clerk)
        if state == Course.Status.CANCELLED:
            services.course_cancel(course=c, by=self.clerk, reason="报名人数不足")
        c.refresh_from_db()
        return c

    def perform(self, step: str, c: Course, user: Any) -> None:
        {
            "enrol": lambda: services.enrolment_create(by=user, course=c, person=self.trainee),
            "finish": lambda: services.course_finish(course=c, by=user),
            "cancel": lambda: services.course_cancel(course=c, by=user, reason="报名人数不足"),
        }[step]()


class EnrolmentAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.course = _course(self.clerk)

    def make(self, state: str) -> Enrolment:
        e = services.enrolment_create(by=self.clerk, course=self.course, person=make_person(self.clerk, name="学员"))
        if state == Enrolment.Status.COMPLETED:
            services.enrolment_attend(enrolment=e, by=self.clerk, hours=10)
            services.enrolment_complete(enrolment=e, by=self.clerk)
        if state == Enrolment.Status.DROPPED:
            services.enrolment_drop(enrolment=e, by=self.clerk, reason="找到工作")
        e.refresh_from_db()
        return e

    def prepare(self, step: str, e: Enrolment) -> None:
        if step == "complete":
            services.enrolment_attend(enrolment=e, by=self.clerk, hours=8)

    def perform(self, step: str, e: Enrolment, user: Any) -> None:
        {
            "attend": lambda: services.enrolment_attend(enrolment=e, by=user, hours=1),
            "complete": lambda: services.enrolment_complete(enrolment=e, by=user, certificate_no="SX-1"),
            "drop": lambda: services.enrolment_drop(enrolment=e, by=user, reason="找到工作"),
        }[step]()


class FairAdapter(Base):
    def __init__(self, users: dict[str, Any]) -> None:
        super().__init__(users)
        self.recruiter = make_recruiter(self.clerk)
        self.posting = make_posting(self.clerk, self.recruiter, openings=500)
        self.seeker = make_seeker(self.clerk)  # made before the snapshot, not during the step

    def make(self, state: str) -> JobFair:
        f = services.fair_create(by=self.clerk, name="春风行动", held_on=TODAY(), place="府山街道")
        if state == JobFair.Status.HELD:
            services.fair_hold(fair=f, by=self.clerk)
        if state == JobFair.Status.CANCELLED:
            services.fair_cancel(fair=f, by=self.clerk, reason="天气原因")
        f.refresh_from_db()
        return f

    def prepare(self, step: str, f: JobFair) -> None:
        if step == "refer":
            services.fair_join(fair=f, by=self.clerk, recruiter=self.recruiter, postings=[self.posting])

    def perform(self, step: str, f: JobFair, user: Any) -> None:
        {
            "join": lambda: services.fair_join(fair=f, by=user, recruiter=self.recruiter, postings=[self.posting]),
            "attend": lambda: services.fair_attend(fair=f, by=user, seeker=self.seeker),
            "refer": lambda: services.referral_create(by=user, seeker=self.seeker, posting=self.posting, fair=f),
            "hold": lambda: services.fair_hold(fair=f, by=user),
            "cancel": lambda: services.fair_cancel(fair=f, by=user, reason="天气原因"),
        }[step]()


ADAPTERS = {
    RECRUITER_FLOW: RecruiterAdapter, POSTING_FLOW: PostingAdapter, SEEKER_FLOW: SeekerAdapter,
    REFERRAL_FLOW: ReferralAdapter, COURSE_FLOW: CourseAdapter, ENROLMENT_FLOW: EnrolmentAdapter,
    FAIR_FLOW: FairAdapter,
}
CASES = [case for flow in ADAPTERS for case in workflow_cases(flow)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.workflow.model._meta.model_name}-{c}")
def test_workflow(case, users):
    run_case(case, ADAPTERS[case.workflow](users))


def test_every_step_is_exercised():
    assert {(c.workflow, c.step) for c in CASES} == {(f, t) for f in ADAPTERS for t in f.transitions}
    assert make_employer is not None
