"""The file and the city-report workflows, tested from their tables (tests/kernel.py): every step
from every state, by a permitted user and by every role without the permission."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from hardship import codes, services
from hardship.models import CityReport, HardshipFile
from hardship.workflow import FILE_FLOW, REPORT_FLOW
from servicecenter.roles import Role
from tests.kernel import run_case, workflow_cases

from .conftest import Kit, household, make_user

S = HardshipFile.Status
DECIDERS = {"approve", "send_back", "reject", "spot_check"}


class FileAdapter:
    def __init__(self, kit: Kit, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.kit = kit
        district = units["330602"]
        # Every role, in a unit whose scope holds the station's files in every state (the district).
        self.roles = {Role.CLERK: users["s11_clerk"], Role.WORKER: users["s11_worker"], Role.SUPERVISOR: users["d1_sup"],
                      Role.ACCOUNTANT: users["d1_accountant"], Role.CASHIER: users["d1_cashier"],
                      Role.AUDITOR: make_user("d1_auditor", district, Role.AUDITOR),
                      Role.SYSADMIN: users["sysadmin"], Role.SECAUDIT: users["secaudit"]}

    def make(self, state: str) -> HardshipFile:
        return self.kit.make(state)

    def prepare(self, step: str, f: HardshipFile) -> None:
        if step == "review":  # the kit's applications have no home visit yet
            self.kit.visit(f)
        if step == "resolve":
            services.objection_record(file=f, by=self.kit.worker, received_on=timezone.localdate(), content="有异议")
        if step == "spot_check":
            self.kit.select_for_spot_check(f)

    def actor(self, step: str, f: HardshipFile) -> Any:
        return self.kit.sup if step in DECIDERS else self.kit.worker

    def user_with_role(self, role: Role, f: HardshipFile) -> Any:
        return self.roles[role]

    def perform(self, step: str, f: HardshipFile, user: Any) -> None:
        today = timezone.localdate()
        visit = {"visited_on": today, "visitors": "陈红梅、许丽娟", "findings": "情况属实。"}
        calls = {
            "edit": lambda: services.file_update(file=f, by=user, household=household(
                f.applicant, members=_members_of(f), rent_cost="3600")),
            "visit": lambda: services.file_record_visit(file=f, by=user, **visit),
            "review": lambda: services.file_review(file=f, by=user, opinion="属实", override_reason="属实"),
            "decline": lambda: services.file_decline(file=f, by=user, reason="家有私家车"),
            "post_notice": lambda: services.file_post_notice(file=f, by=user, place="社区公示栏", start=today),
            "object": lambda: services.objection_record(file=f, by=user, received_on=today, content="收入不实"),
            "resolve": lambda: services.objection_resolve(file=f, by=user, upheld=False, resolution="经核实不属实"),
            "submit": lambda: services.file_submit(file=f, by=user, note="报请审批"),
            "spot_check": lambda: services.file_spot_check(file=f, by=user, **visit),
            "approve": lambda: services.file_approve(file=f, by=user, grade=codes.Grade.HARDSHIP,
                                                     override_reason="属实"),
            "send_back": lambda: services.file_send_back(file=f, by=user, reason="补充材料"),
            "reject": lambda: services.file_reject(file=f, by=user, reason="收入超标"),
            "report_change": lambda: services.file_report_change(file=f, by=user, note="配偶再就业"),
            "recheck": lambda: services.file_recheck(file=f, by=user, grade=codes.Grade.HARDSHIP, opinion="仍困难",
                                                     override_reason="属实"),
            "exit": lambda: services.file_exit(file=f, by=user, reason=codes.ExitReason.REEMPLOYED, note="已就业"),
            "close": lambda: services.file_close(file=f, by=user, reason=codes.CloseReason.DECEASED),
        }
        calls[step]()

    def events(self, f: HardshipFile) -> int:
        return f.events.count()


def _members_of(f: HardshipFile) -> list:
    return [services.MemberData(relation=m.relation, name=m.name, work_status=m.work_status, age=m.age,
                                health=m.health, monthly_income=m.monthly_income, schooling=m.schooling,
                                existing=m.pk) for m in f.members.all()]


class ReportAdapter:
    def __init__(self, kit: Kit, users: dict[str, Any], units: dict[str, Any]) -> None:
        self.kit, self.users = kit, users
        city = units["330600"]
        self.roles = {Role.CLERK: make_user("c_clerk", city, Role.CLERK),
                      Role.WORKER: make_user("c_worker", city, Role.WORKER), Role.SUPERVISOR: users["city_sup"],
                      Role.ACCOUNTANT: make_user("c_accountant", city, Role.ACCOUNTANT),
                      Role.CASHIER: make_user("c_cashier", city, Role.CASHIER), Role.AUDITOR: users["auditor"],
                      Role.SYSADMIN: users["sysadmin"], Role.SECAUDIT: users["secaudit"]}

    def make(self, state: str) -> CityReport:
        f = self.kit.make(S.ARCHIVED)
        report = f.city_report
        if state == CityReport.Status.ACKNOWLEDGED:
            services.report_acknowledge(report=report, by=self.users["city_sup"])
        report.refresh_from_db()
        return report

    def prepare(self, step: str, r: CityReport) -> None:
        pass

    def actor(self, step: str, r: CityReport) -> Any:
        return self.users["city_sup"]

    def user_with_role(self, role: Role, r: CityReport) -> Any:
        return self.roles[role]

    def perform(self, step: str, r: CityReport, user: Any) -> None:
        services.report_acknowledge(report=r, by=user)

    def events(self, r: CityReport) -> int:
        return 0 if r.status == CityReport.Status.OPEN else 1  # no timeline of its own: the audit row counts


@pytest.mark.parametrize("case", workflow_cases(FILE_FLOW), ids=str)
def test_file_workflow(case, kit, users, units):
    run_case(case, FileAdapter(kit, users, units))


@pytest.mark.parametrize("case", workflow_cases(REPORT_FLOW), ids=str)
def test_report_workflow(case, kit, users, units):
    run_case(case, ReportAdapter(kit, users, units))


def test_the_notice_clock_is_posted_days_back_in_the_kit(kit):
    f = kit.make(S.NOTICE)
    assert f.notice_due_date < timezone.localdate() and f.notice_started_on == timezone.localdate() - datetime.timedelta(days=21)
