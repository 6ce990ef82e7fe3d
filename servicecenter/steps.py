"""One view for every app's workflow steps, and the step panels a record page shows.

An app describes its record's steps once (``StepPage``): the workflow, and per step the form and
the service call. The page offers exactly ``workflow.available`` (the same table the services
check); one URL per step (``<pk>/<step>/``) is served by ``step_view``:

- outside scope → 404 (before anything else); a role without the step's permission → 403;
- GET → back to the record page (a step is a POST; a bookmarked or reloaded step URL lands
  where the clerk was, never on a bare 405);
- a step the state or a guard refuses, invalid input, or a service refusal → the record page again
  with that step's form open, the Chinese message at the field (or on top), what was typed kept;
- success → the record page with a message (or ``gone_url`` when the user may no longer see the
  record: sent up, recused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse

from . import access
from .forms import add_service_error
from .http import StaffRequest
from .workflow import Workflow

if TYPE_CHECKING:
    from .models import User


@dataclass(frozen=True)
class Step:
    form: type[forms.Form]
    run: Callable[[Any, User, Any], Any]
    done: str  # the success message


@dataclass(frozen=True)
class Panel:
    name: str
    label: str
    form: forms.Form
    url: str

    @property
    def open(self) -> bool:
        """A submitted (refused) form is shown unfolded."""
        return self.form.is_bound


@dataclass(frozen=True)
class StepPage:
    workflow: Workflow
    steps: Mapping[str, Step]
    fetch: Callable[..., Any]  # (request, **url kwargs) → the record, through the access policy (404)
    render: Callable[[StaffRequest, Any, dict[str, forms.Form]], HttpResponse]  # the record page, bound forms
    record_url: Callable[[Any], str]
    url_name: Callable[[str], str]  # step → its URL name ("petitions:close")
    url_kwargs: Callable[[Any], dict[str, Any]] = field(default=lambda obj: {"pk": obj.pk})
    gone_url: str = ""  # URL name for when the user can no longer see the record after the step
    form_kwargs: Callable[[Any, User], dict[str, Any]] = field(default=lambda obj, user: {})

    def __post_init__(self) -> None:
        missing = set(self.steps) - set(self.workflow.transitions)
        if missing:
            raise ValueError(f"{self.workflow.name}：页面步骤 {sorted(missing)} 不在流程表中。")

    def form_for(self, name: str, obj: Any, user: User, data: Any = None) -> forms.Form:
        kwargs = self.form_kwargs(obj, user)
        # Every step's form is on the page at once: give each its own ids (id_pause_reason …) so
        # that <label for> and screen readers reach the right field.
        kwargs.setdefault("auto_id", f"id_{name}_%s")
        return self.steps[name].form(data, **kwargs) if data is not None else self.steps[name].form(**kwargs)

    def panels(self, obj: Any, user: User, bound: Mapping[str, forms.Form] | None = None) -> list[Panel]:
        """The step forms the page offers the user now (``bound`` ones as they were submitted)."""
        bound = bound or {}
        out = []
        for t in self.workflow.available(obj, user):
            if t.name in self.steps:
                form = bound.get(t.name) or self.form_for(t.name, obj, user)
                out.append(Panel(t.name, t.label, form, reverse(self.url_name(t.name), kwargs=self.url_kwargs(obj))))
        # A refused step is shown even if it is no longer offered, so its message is seen.
        for name, form in bound.items():
            if name in self.steps and all(p.name != name for p in out):
                t = self.workflow.transition(name)
                out.append(Panel(name, t.label, form, reverse(self.url_name(name), kwargs=self.url_kwargs(obj))))
        return out

    def urlpatterns(self, route: str = "<int:pk>/", name_prefix: str = "") -> list[URLPattern]:
        """One POST URL per step: ``<route><step-with-dashes>/``."""
        return [path(f"{route}{name.replace('_', '-')}/", step_view, {"page": self, "step": name},
                     name=f"{name_prefix}{name}") for name in self.steps]


def step_view(request: StaffRequest, *, page: StepPage, step: str, **kwargs: Any) -> HttpResponse:
    user = request.user
    obj = page.fetch(request, **kwargs)  # 404 outside scope
    if step not in page.steps:
        raise Http404("没有这个办理步骤。")
    if request.method != "POST":
        return redirect(page.record_url(obj))
    transition = page.workflow.transition(step)
    access.require(user, transition.permission, obj)  # 403 for a role without the permission
    spec = page.steps[step]
    form = page.form_for(step, obj, user, request.POST)
    refusal = page.workflow.refusal(obj, user, step)
    if refusal and refusal.forbidden:
        raise PermissionDenied(refusal.message)
    if refusal:
        form.add_error(None, refusal.message)
        return page.render(request, obj, {step: form})
    if form.is_valid():
        try:
            spec.run(obj, user, form)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, spec.done)
            if page.gone_url and not access.visible(type(obj)._default_manager.filter(pk=obj.pk), user).exists():
                return redirect(page.gone_url)
            return redirect(page.record_url(obj))
    return page.render(request, obj, {step: form})
