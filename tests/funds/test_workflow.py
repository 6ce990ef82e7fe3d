"""The relief grant's workflow, tested from its table (tests/kernel.py): every step from every
state, by a permitted user and by every role without the permission."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from funds import holds, services
from funds.models import Grant
from funds.workflow import GRANT_FLOW
from servicecenter.roles import Role
from tests.hardship.conftest import make_user
from tests.kernel import run_case, workflow_cases

from .conftest import Grants

DECIDERS = {"approve", "reject", "revoke", "expire"}


class GrantAdapter:
    def __init__(self, grants: Grants, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.g = grants
        district = units["330602"]
        self.roles = {Role.CLERK: users["s11_clerk"], Role.WORKER: users["s11_worker"], Role.SUPERVISOR: users["d1_sup"],
                      Role.ACCOUNTANT: users["d1_accountant"], Role.CASHIER: users["d1_cashier"],
                      Role.AUDITOR: make_user("d1_auditor", district, Role.AUDITOR),
                      Role.SYSADMIN: users["sysadmin"], Role.SECAUDIT: users["secaudit"]}

    def make(self, state: str) -> Grant:
        return self.g.make(state)

    def prepare(self, step: str, grant: Grant) -> None:
        if step == "expire":  # past its last day (the guard: not before)
            Grant.objects.filter(pk=grant.pk).update(hold_expires_on=datetime.date.today() - datetime.timedelta(days=1))
            grant.refresh_from_db()

    def actor(self, step: str, grant: Grant) -> Any:
        if step in DECIDERS:
            return self.g.sup
        return self.g.cashier if step == "pay" else self.g.worker

    def user_with_role(self, role: Role, grant: Grant) -> Any:
        return self.roles[role]

    def perform(self, step: str, grant: Grant, user: Any) -> None:
        calls = {
            "verify": lambda: services.grant_verify(grant=grant, by=user, note="属实"),
            "approve": lambda: services.grant_approve(grant=grant, by=user, account=self.g.account, opinion="同意"),
            "reject": lambda: services.grant_reject(grant=grant, by=user, reason="不符合条件"),
            "cancel": lambda: services.grant_cancel(grant=grant, by=user, reason="申请人撤回"),
            "revoke": lambda: services.grant_revoke(grant=grant, by=user, reason="情况有变"),
            "pay": lambda: services.grant_pay(grant=grant, by=user, key=uuid.uuid4().hex, method=Grant.Method.CASH),
            "expire": lambda: holds.grant_expire(grant=grant, by=user),
        }
        calls[step]()

    def events(self, grant: Grant) -> int:
        return grant.events.count()


@pytest.mark.parametrize("case", workflow_cases(GRANT_FLOW), ids=str)
def test_grant_workflow(case, grants, users, units):
    run_case(case, GrantAdapter(grants, users, units))
