"""The monthly summary's transition table, tested from the table itself (tests/kernel.py): every
step from every state, by the permitted user, and by every role without the permission."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from servicecenter import summaries as sm
from servicecenter.figures import last_ended_month
from servicecenter.models import MonthlySummary, User
from servicecenter.roles import Role
from servicecenter.staff import staff_set_roles
from tests.kernel import run_case, workflow_cases

S = MonthlySummary.Status
TEXT = {"work_done": "本月接待来访12人次，办结9件。", "problems": "人手不足。", "next_plan": "开展欠薪排查。"}
PARENT_STEPS = {"accept", "return", "reopen", "waive"}
_serial = itertools.count(1)


class SummaryAdapter:
    """A station's summary (府山站, filed with 越城区) for every step but ``file``, which is the
    city's own (备案): the top unit has no parent."""

    def __init__(self, users: dict[str, User], units: dict, step: str) -> None:
        self.users, self.units, self.step = users, units, step
        self.month = last_ended_month()
        self.top = step == "file"
        self.unit = units["330600"] if self.top else units["330602001"]
        self.filer = users["city_sup"] if self.top else users["s11_worker"]

    def _start(self) -> MonthlySummary:
        return sm.summary_start(unit=self.unit, year=self.month.year, month=self.month.month_number, by=self.filer)

    def _waive_districts(self) -> None:
        for code in ("330602", "330604"):
            s = MonthlySummary.objects.filter(org_unit=self.units[code], year=self.month.year,
                                              month=self.month.month_number).first()
            if s is None or s.status in sm.OPEN_STATES:
                sm.summary_waive(unit=self.units[code], year=self.month.year, month=self.month.month_number,
                                 by=self.users["city_sup"], reason="本月区中心搬迁，不单独报送")

    def make(self, state: str) -> MonthlySummary:
        if self.top:
            s = self._start()
            if state in (S.ACCEPTED, S.RETURNED):
                self._waive_districts()
                sm.summary_file(summary=s, by=self.filer, **TEXT)
            if state == S.RETURNED:
                sm.summary_reopen(summary=s, by=self.filer, reason="数据需更正")
            if state in (S.SUBMITTED, S.WAIVED):  # states the top unit cannot reach: set directly
                MonthlySummary.objects.filter(pk=s.pk).update(status=state)
            s.refresh_from_db()
            return s
        sup = self.users["d1_sup"]
        if state == S.WAIVED:
            return sm.summary_waive(unit=self.unit, year=self.month.year, month=self.month.month_number, by=sup,
                                    reason="站点合并")
        s = self._start()
        if state in (S.SUBMITTED, S.RETURNED, S.ACCEPTED):
            sm.summary_submit(summary=s, by=self.filer, **TEXT)
        if state == S.RETURNED:
            sm.summary_return(summary=s, by=sup, reason="来访人数与登记表不符")
        if state == S.ACCEPTED:
            sm.summary_accept(summary=s, by=sup)
        s.refresh_from_db()
        return s

    def prepare(self, step: str, s: MonthlySummary) -> None:
        if step == "file":
            self._waive_districts()

    def actor(self, step: str, s: MonthlySummary) -> Any:
        if step in PARENT_STEPS:
            return self.users["d1_sup"]
        return self.filer

    def user_with_role(self, role: Role, s: MonthlySummary) -> Any:
        user = User.objects.create(username=f"role{next(_serial)}_{role.value}", org_unit=s.org_unit)
        staff_set_roles(user=user, roles=[role])
        return User.objects.get(pk=user.pk)

    def perform(self, step: str, s: MonthlySummary, user: Any) -> None:
        calls = {
            "edit": lambda: sm.summary_edit(summary=s, by=user, **TEXT),
            "submit": lambda: sm.summary_submit(summary=s, by=user, **TEXT),
            "file": lambda: sm.summary_file(summary=s, by=user, **TEXT),
            "accept": lambda: sm.summary_accept(summary=s, by=user),
            "return": lambda: sm.summary_return(summary=s, by=user, reason="请核对办结件数"),
            "reopen": lambda: sm.summary_reopen(summary=s, by=user, reason="补录漏登的来访"),
            "waive": lambda: sm.summary_waive(unit=s.org_unit, year=s.year, month=s.month, by=user,
                                              reason="站点撤并"),
        }
        calls[step]()

    def events(self, s: MonthlySummary) -> int:
        return s.events.count()


@pytest.mark.parametrize("case", workflow_cases(sm.SUMMARY_FLOW), ids=str)
def test_summary_workflow(case, users, units):
    run_case(case, SummaryAdapter(users, units, case.step))
