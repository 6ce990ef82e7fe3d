"""The application and mediation workflows, tested from their tables (tests/kernel.py): every step
from every state, by a permitted user and by every role without the permission."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from legalaid import services
from legalaid.models import Application, Mediation
from legalaid.workflow import APPLICATION_FLOW, MEDIATION_FLOW
from servicecenter.roles import Role
from tests.conftest import make_employer, make_person
from tests.kernel import run_case, workflow_cases
from tests.legalaid.conftest import bring, intake, make_advisor, mediate

S = Application.Status
M = Mediation.Status
ROLE_USERS = {Role.CLERK: "s11_clerk", Role.WORKER: "s11_worker", Role.SUPERVISOR: "d1_sup",
              Role.ACCOUNTANT: "d1_accountant", Role.CASHIER: "d1_cashier", Role.AUDITOR: "auditor",
              Role.SYSADMIN: "sysadmin", Role.SECAUDIT: "secaudit"}
DECIDES = {"grant", "refuse"}


class ApplicationAdapter:
    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users = users
        self.clerk = users["s11_clerk"]
        self.applicant = make_person(self.clerk, name="钱小军")
        self.employer = make_employer(units["330602001"], name="鉴湖纺织印染有限公司")
        self.wang = make_advisor(users["d1_sup"], units["330602"], "王立新")
        self.chen = make_advisor(users["d1_sup"], units["330602"], "陈静怡")

    def make(self, state: str) -> Application:
        a = intake(self.clerk, self.applicant, self.employer, complete=False)
        return bring(a, state, self.users, self.wang)

    def prepare(self, step: str, a: Application) -> None:
        if step in DECIDES:
            services.application_assess(application=a, by=self.clerk, opinion="属实。", recommend="grant")
        if step == "withdraw_stale":
            long_ago = timezone.localdate() - datetime.timedelta(days=60)
            Application.objects.filter(pk=a.pk).update(received_on=long_ago, material_requested_on=long_ago)

    def actor(self, step: str, a: Application) -> Any:
        return self.users["d1_sup"] if step in DECIDES else self.clerk

    def user_with_role(self, role: Role, a: Application) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, a: Application, user: Any) -> None:
        today = timezone.localdate()
        calls = {
            "update": lambda: services.application_update(application=a, by=user, evidence="劳动合同、工资条、考勤记录"),
            "complete": lambda: services.application_complete(application=a, by=user),
            "request_material": lambda: services.application_request_material(application=a, by=user,
                                                                             material="社保缴费记录"),
            "supplement": lambda: services.application_supplement(application=a, by=user),
            "assess": lambda: services.application_assess(application=a, by=user, opinion="属实。", recommend="grant"),
            "grant": lambda: services.application_grant(application=a, by=user, forum="arbitration"),
            "refuse": lambda: services.application_refuse(application=a, by=user, reason="不符合条件。"),
            "withdraw": lambda: services.application_withdraw(application=a, by=user, reason="已和解。"),
            "withdraw_stale": lambda: services.application_withdraw_stale(application=a, by=user),
            "assign": lambda: services.application_assign(application=a, by=user, advisor=self.chen),
            "reassign": lambda: services.application_reassign(application=a, by=user, advisor=self.chen,
                                                              reason="原律师出差。"),
            "progress": lambda: services.application_progress(application=a, by=user, kind="filed", on=today),
            "close": lambda: services.application_close(application=a, by=user, outcome="won",
                                                        amount_awarded=Decimal("100"), amount_received=Decimal("100"),
                                                        summary="胜诉。"),
            "feedback": lambda: services.application_feedback(application=a, by=user, satisfaction="satisfied"),
        }
        calls[step]()

    def events(self, a: Application) -> int:
        return a.events.count()


class MediationAdapter:
    def __init__(self, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.users = users
        self.clerk = users["s11_clerk"]
        self.workers = [make_person(self.clerk, name="孙一"), make_person(self.clerk, name="孙二")]
        self.employer = make_employer(units["330602001"], name="鉴湖机械制造有限公司")
        self.mediator = make_advisor(users["d1_sup"], units["330602"], "赵国平", "mediator")
        self.other = make_advisor(users["d1_sup"], units["330602"], "钱玉兰", "mediator")

    def make(self, state: str) -> Mediation:
        m = mediate(self.clerk, self.workers, self.employer, self.mediator)
        if state == M.AGREED:
            services.mediation_agree(mediation=m, by=self.clerk, terms="一、单位三日内支付8000元。",
                                     amount_agreed=Decimal("8000"), pay_by=timezone.localdate())
        if state == M.FAILED:
            services.mediation_fail(mediation=m, by=self.clerk, reason="单位拒绝调解。", referred_to="legal_aid")
        m.refresh_from_db()
        return m

    def prepare(self, step: str, m: Mediation) -> None:
        if step == "notify":
            past = timezone.localdate() - datetime.timedelta(days=1)
            Mediation.objects.filter(pk=m.pk).update(limit_due_date=past, limit_late_from=timezone.localdate())

    def actor(self, step: str, m: Mediation) -> Any:
        return self.clerk

    def user_with_role(self, role: Role, m: Mediation) -> Any:
        return self.users[ROLE_USERS[role]]

    def perform(self, step: str, m: Mediation, user: Any) -> None:
        today = timezone.localdate()
        calls = {
            "session": lambda: services.mediation_session(mediation=m, by=user, held_on=today, note="双方到场。"),
            "change_mediator": lambda: services.mediation_change_mediator(mediation=m, by=user, mediator=self.other,
                                                                          reason="回避。"),
            "notify": lambda: services.mediation_notify(mediation=m, by=user),
            "agree": lambda: services.mediation_agree(mediation=m, by=user, terms="一、支付8000元。",
                                                      amount_agreed=Decimal("8000"), pay_by=today),
            "fail": lambda: services.mediation_fail(mediation=m, by=user, reason="分歧大。", referred_to="arbitration"),
            "execution": lambda: services.mediation_execution(mediation=m, by=user, execution="executed",
                                                              amount_paid=Decimal("8000")),
            "refer": lambda: services.mediation_refer(mediation=m, by=user, worker=self.workers[0]),
        }
        calls[step]()

    def events(self, m: Mediation) -> int:
        return m.events.count()


@pytest.mark.parametrize("case", workflow_cases(APPLICATION_FLOW), ids=str)
def test_application_workflow(case, users, units):
    run_case(case, ApplicationAdapter(users, units))


@pytest.mark.parametrize("case", workflow_cases(MEDIATION_FLOW), ids=str)
def test_mediation_workflow(case, users, units):
    run_case(case, MediationAdapter(users, units))
