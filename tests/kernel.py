"""Tests generated from a workflow table (servicecenter/workflow.py).

For every step of a ``Workflow``:
- from each of its source states, a permitted user succeeds: the record ends in the step's target
  state and the timeline and the audit log each gained a row;
- from every other state, the same user is refused with the table's Chinese message, and nothing
  changed (the record, its timeline, the audit log, its approvals);
- every role that does not hold the step's permission is refused (403; 404 for the roles that see
  no case data at all), and nothing changed.

An app's test module supplies an ``Adapter`` that knows how to make a record in a given state, what
a step needs first (pause before resume …), who may take it, and how to call its service with valid
input; then::

    CASES = workflow_cases(X_FLOW)

    @pytest.mark.parametrize("case", CASES, ids=str)
    def test_x_workflow(case, x_adapter):
        run_case(case, x_adapter)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import model_to_dict
from django.http import Http404

from servicecenter import permissions
from servicecenter.models import Approval, AuditEvent
from servicecenter.roles import CASE_ROLES, Role
from servicecenter.workflow import Workflow


@dataclass(frozen=True)
class Case:
    workflow: Workflow
    step: str
    state: str
    outcome: str  # "ok" | "wrong_state" | "no_permission"
    role: Role | None = None

    def __str__(self) -> str:
        who = f"-{self.role.value}" if self.role else ""
        return f"{self.step}-from-{self.state}-{self.outcome}{who}"


def workflow_cases(workflow: Workflow) -> list[Case]:
    cases = []
    states = list(workflow.states.values)
    for t in workflow.transitions.values():
        for state in states:
            cases.append(Case(workflow, t.name, state, "ok" if state in t.sources else "wrong_state"))
        holders = permissions.get(t.permission).roles
        source = next(s for s in states if s in t.sources)
        for role in Role:
            if role not in holders:
                cases.append(Case(workflow, t.name, source, "no_permission", role))
    return cases


class Adapter(Protocol):
    def make(self, state: str) -> Any:
        """A fresh record in ``state``."""

    def prepare(self, step: str, obj: Any) -> None:
        """Whatever ``step``'s guards need on a record in one of its source states."""

    def actor(self, step: str, obj: Any) -> Any:
        """A user holding the step's permission for whom its guards pass."""

    def user_with_role(self, role: Role, obj: Any) -> Any:
        """A user holding exactly ``role`` whose scope includes ``obj`` (case roles)."""

    def perform(self, step: str, obj: Any, user: Any) -> None:
        """Call the step's service with valid input."""

    def events(self, obj: Any) -> int:
        """How many timeline rows the record has."""


def snapshot(obj: Any, adapter: Adapter) -> tuple:
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    # A refusal may be recorded (outcome "denied", e.g. the funds app audits every refused money
    # movement); anything else written to the audit log is a change.
    audits = AuditEvent.objects.exclude(outcome=AuditEvent.Outcome.DENIED).count()
    return (model_to_dict(fresh), adapter.events(fresh), audits, Approval.objects.count())


def run_case(case: Case, adapter: Adapter) -> None:
    workflow = case.workflow
    t = workflow.transition(case.step)
    obj = adapter.make(case.state)
    assert workflow.state_of(obj) == case.state, "the adapter made a record in the wrong state"
    if case.outcome == "ok":
        adapter.prepare(case.step, obj)
        user = adapter.actor(case.step, obj)
        obj.refresh_from_db()
        assert t.name in {x.name for x in workflow.available(obj, user)}, "a permitted step is not offered"
        events, audits = adapter.events(obj), AuditEvent.objects.count()
        adapter.perform(case.step, obj, user)
        obj.refresh_from_db()
        assert workflow.state_of(obj) == t.target_from(case.state)
        assert adapter.events(obj) > events and AuditEvent.objects.count() > audits
        return
    if case.outcome == "wrong_state":
        user = adapter.actor(case.step, obj)
        obj.refresh_from_db()
        refusal = workflow.refusal(obj, user, case.step)
        assert refusal is not None and not refusal.forbidden
        assert t.name not in {x.name for x in workflow.available(obj, user)}, "a refused step is offered"
        before = snapshot(obj, adapter)
        with pytest.raises(ValidationError) as caught:
            adapter.perform(case.step, obj, user)
        assert refusal.message in " ".join(caught.value.messages)
        assert snapshot(obj, adapter) == before
        return
    adapter.prepare(case.step, obj)
    assert case.role is not None
    user = adapter.user_with_role(case.role, obj)
    obj.refresh_from_db()
    assert t.name not in {x.name for x in workflow.available(obj, user)}
    before = snapshot(obj, adapter)
    expected = PermissionDenied if case.role in CASE_ROLES else Http404
    with pytest.raises(expected):
        adapter.perform(case.step, obj, user)
    assert snapshot(obj, adapter) == before
