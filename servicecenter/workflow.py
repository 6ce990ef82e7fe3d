"""Declarative workflows: per model, one table of transitions that services check and pages read.

A ``Transition`` names a step (``close``), its Chinese label (办结), the states it may start from,
the state it leads to (or none: the step does not change the state, like 暂停计时), the permission
it needs and its guards — conditions on the record and the user, each with the Chinese refusal a
clerk sees (“转办事项尚未收到答复，不能办结”). A state-specific refusal can replace the generic
“当前状态为…，不能…” message.

- Services call ``workflow.begin(obj, by, name)`` first: scope (404), permission (403), then the
  row is locked and re-read and the state and guards are checked (a Chinese ``ValidationError``;
  nothing has changed). After their own work they call ``workflow.advance`` — the new state, the
  saved fields, the timeline event and the audit row, in one call, in the caller's transaction.
- Pages ask ``workflow.available(obj, user)`` which steps to offer: the same table, so a step the
  page does not offer is refused by the service too.
- ``tests/kernel.py`` generates, from each table, the tests that every step succeeds from each of
  its source states and is refused from every other state and for every role without its
  permission.

A workflow naming an unknown state fails at import; one naming an undeclared permission fails when
its app is registered (start-up).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404

from . import access, audit, permissions, timeline

if TYPE_CHECKING:
    from .models import User

Test = Callable[[Any, "User"], bool]


@dataclass(frozen=True)
class Guard:
    """A condition a step needs beyond its source state. ``message`` is what a refused user reads;
    it may be a function of the record and the user (to name a date, a unit). A ``forbidden``
    guard is about who acts, not about the record (only the receiving unit reports): it refuses
    with 403."""

    test: Test
    message: str | Callable[[Any, User], str]
    forbidden: bool = False

    def refusal(self, obj: Any, user: User) -> Refusal | None:
        if self.test(obj, user):
            return None
        return Refusal(self.message(obj, user) if callable(self.message) else self.message, self.forbidden)


@dataclass(frozen=True)
class Refusal:
    message: str
    forbidden: bool = False

    def raise_(self) -> NoReturn:
        if self.forbidden:
            raise PermissionDenied(self.message)
        raise ValidationError(self.message, code="state")


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str | None = None  # None: the state does not change
    permission: str = ""
    guards: tuple[Guard, ...] = ()
    # A clearer refusal than the generic one, for a state the step cannot start from.
    refusals: Mapping[str, str] = field(default_factory=dict)
    # Per-source targets, where the step leads elsewhere from some states.
    targets: Mapping[str, str] = field(default_factory=dict)

    def target_from(self, state: str) -> str:
        return self.targets.get(state, self.target or state)


def step(name: str, label: str, sources: Iterable[str], target: str | None = None, *, permission: str,
         guards: Iterable[Guard] = (), refusals: Mapping[str, str] | None = None,
         targets: Mapping[str, str] | None = None) -> Transition:
    """A transition, with the sources as any iterable of states."""
    return Transition(name, label, frozenset(str(s) for s in sources), None if target is None else str(target),
                      permission, tuple(guards), dict(refusals or {}), {str(k): str(v) for k, v in (targets or {}).items()})


class Workflow:
    """The transitions of one model. ``state_field`` holds its state; ``events`` is where its
    timeline is: the related name of a ``timeline.CaseEvent`` subclass, a function giving the
    manager (a sub-record writes on its parent's timeline), or None (an audit row only)."""

    def __init__(self, model: type[models.Model], states: type[models.TextChoices], transitions: Iterable[Transition],
                 *, state_field: str = "status", events: str | Callable[[Any], Any] | None = "events",
                 name: str = "") -> None:
        self.model = model
        self.states = states
        self.state_field = state_field
        self.events = events
        self.name = name or model._meta.label_lower
        self.transitions: dict[str, Transition] = {}
        known = set(states.values)
        for t in transitions:
            if t.name in self.transitions:
                raise ImproperlyConfigured(f"{self.name}：步骤“{t.name}”重复。")
            used = set(t.sources) | {t.target} | set(t.targets) | set(t.targets.values()) | set(t.refusals)
            unknown = {s for s in used if s is not None} - known
            if unknown:
                raise ImproperlyConfigured(f"{self.name}：步骤“{t.name}”用到了未知状态 {sorted(unknown)}。")
            if not t.permission:
                raise ImproperlyConfigured(f"{self.name}：步骤“{t.name}”没有指明所需权限。")
            self.transitions[t.name] = t

    def __repr__(self) -> str:
        return f"<Workflow {self.name}>"

    def check_permissions_declared(self) -> None:
        for t in self.transitions.values():
            if not permissions.is_declared(t.permission):
                raise ImproperlyConfigured(f"{self.name}：步骤“{t.name}”需要的权限“{t.permission}”未声明。")

    def transition(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise Http404("没有这个办理步骤。") from None

    def state_of(self, obj: Any) -> str:
        return str(getattr(obj, self.state_field))

    def state_label(self, state: str) -> str:
        return str(dict(self.states.choices).get(state, state))

    # --- the one check -----------------------------------------------------------------------------

    def refusal(self, obj: Any, user: User, name: str) -> Refusal | None:
        """Why ``user`` may not take step ``name`` on ``obj`` now (state or guard), or None.
        Scope and permission are ``require``'s: callers check them first."""
        t = self.transition(name)
        state = self.state_of(obj)
        if state not in t.sources:
            return Refusal(t.refusals.get(state) or f"当前状态为“{self.state_label(state)}”，不能{t.label}。")
        for guard in t.guards:
            refused = guard.refusal(obj, user)
            if refused:
                return refused
        return None

    def check(self, obj: Any, user: User, name: str) -> Transition:
        """404 outside scope, 403 without the permission (or by a guard about who acts), a
        ``ValidationError`` when the state or a guard refuses; else the transition."""
        t = self.transition(name)
        access.require(user, t.permission, obj)
        refused = self.refusal(obj, user, name)
        if refused:
            refused.raise_()
        return t

    def begin(self, obj: Any, user: User, name: str) -> Transition:
        """``check`` with the row locked and re-read first, so two people acting at once queue
        up and the second sees the first one's result. Call inside ``transaction.atomic``."""
        t = self.transition(name)
        access.require(user, t.permission, obj)
        obj.refresh_from_db(from_queryset=type(obj)._default_manager.select_for_update())
        return self.check(obj, user, name)

    def available(self, obj: Any, user: User) -> list[Transition]:
        """The steps the user may take on ``obj`` now, in table order."""
        out = []
        for t in self.transitions.values():
            if access.can(user, t.permission, obj) and self.refusal(obj, user, t.name) is None:
                out.append(t)
        return out

    # --- after the step's own work ---------------------------------------------------------------

    def advance(self, obj: Any, by: User, transition: Transition, *, update_fields: Iterable[str] = (),
                note: str = "", data: Mapping[str, Any] | None = None, old: Mapping[str, Any] | None = None,
                new: Mapping[str, Any] | None = None, audit_detail: str = "") -> Any:
        """Move ``obj`` to the step's target, save it (with ``update_fields``) and write the
        timeline event and the audit row."""
        before = self.state_of(obj)
        after = transition.target_from(before)
        fields = list(dict.fromkeys(update_fields))
        if after != before:
            setattr(obj, self.state_field, after)
            fields.append(self.state_field)
        if fields:
            if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
                fields.append("updated_at")
            obj.save(update_fields=list(dict.fromkeys(fields)))
        old_values = {self.state_field: before, **(old or {})}
        new_values = {self.state_field: after, **(new or {})}
        if self.events is None:
            return audit.record(audit.Event.STATE, user=by, target=obj, action=f"{obj._meta.app_label}.{transition.name}",
                                detail=f"{transition.label} {audit_detail}".strip()[:500], old=old_values,
                                new=new_values)
        manager = self.events(obj) if callable(self.events) else getattr(obj, self.events)
        return timeline.record(manager, transition.name, label=transition.label, by=by,
                               note=note, from_state=before, to_state=after, data=data,
                               old=old_values, new=new_values, audit_detail=audit_detail)


def offered(workflow: Workflow, obj: Any, user: User) -> set[str]:
    """The names of the steps ``available`` offers (for templates that test ``"close" in steps``)."""
    return {t.name for t in workflow.available(obj, user)}


def refuse(message: str, field: str | None = None) -> None:
    """A refusal with a Chinese message, at ``field`` when given."""
    raise ValidationError({field: message} if field else message, code="invalid")
