"""Referrals between services: a record of one app (a petition) handed to another service (legal
aid), which opens a linked draft of its own; both records get a timeline entry. Neither app names
the other, and either may be missing.

- The app whose records can be referred declares a ``ReferralSource`` in its ``ServiceApp``: the
  model, who may refer its records, how to describe one in neutral terms (``Referral``: the person,
  the employer, the facts …) and where its timeline is.
- The app that takes referrals declares a ``ReferralTarget``: a code, the label the source page
  shows (转法律援助), who may refer to it, ``create`` (make the linked draft from a ``Referral``, in
  the caller's transaction, with its own timeline entry) and ``existing`` (the draft already made
  from a source record, so a record is referred once). The target keeps the origin as a plain
  reference (``origin_of``: content type + id), never a foreign key to the other app.
- A source page includes ``referrals/_panel.html`` with ``referral_panel(request, obj)``: what the
  user may refer the record to, or the draft already made. One POST URL,
  ``/referrals/<target>/<source model>/<pk>/``, runs ``referral_create``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from . import audit, registry, timeline
from .access import can, require, visible

if TYPE_CHECKING:
    from .models import Employer, OrgUnit, Person, User


@dataclass(frozen=True)
class Referral:
    """A source record described in terms any service understands."""

    source: Model
    label: str  # the record as staff name it: 信访事项 XF-330602001-2026-00017
    org_unit: OrgUnit  # the unit that owns the source record (the draft is filed there)
    person: Person | None = None
    employer: Employer | None = None
    category: str = ""  # the source's problem category in words (工资报酬/拖欠工资)
    facts: str = ""
    request: str = ""
    note: str = ""  # what the referring staff member adds
    by: User | None = None


def _absolute_url(obj: Any) -> str:
    return obj.get_absolute_url()


def _no_refusal(obj: Any, user: Any) -> str:
    return ""


@dataclass(frozen=True)
class ReferralSource:
    model: type[Model]
    permission: str  # who may refer a record of this model (one of the source app's permissions)
    describe: Callable[[Any], Referral]
    timeline: str | None = "events"  # the record's timeline manager; None: an audit row only
    url: Callable[[Any], str] = field(default=_absolute_url)
    # Why this user may not refer this record now ("" when they may): a rule of the source app.
    refusal: Callable[[Any, Any], str] = field(default=_no_refusal)

    @property
    def key(self) -> str:
        return self.model._meta.label_lower


def _accepts_all(referral: Referral) -> bool:
    return True


@dataclass(frozen=True)
class ReferralTarget:
    code: str  # "<app>.<name>"
    label: str  # 转法律援助
    permission: str  # who may refer to it (one of the target app's permissions), on the source's unit
    create: Callable[[Referral], Model]  # the linked draft, with its own timeline entry
    existing: Callable[[Model], Model | None]  # the draft already made from this source record
    accepts: Callable[[Referral], bool] = field(default=_accepts_all)
    refused: str = "该记录不能转出到此业务。"  # the message when ``accepts`` says no
    help: str = ""
    url: Callable[[Any], str] = field(default=_absolute_url)


def source_for(model: type[Model]) -> ReferralSource | None:
    key = model._meta.label_lower
    return next((s for s in registry.referral_sources() if s.key == key), None)


def source_by_key(key: str) -> ReferralSource | None:
    return next((s for s in registry.referral_sources() if s.key == key), None)


def target_by_code(code: str) -> ReferralTarget | None:
    return next((t for t in registry.referral_targets() if t.code == code), None)


def origin_of(source: Model) -> tuple[ContentType, int]:
    """How a target stores where a draft came from: (content type, id) — no foreign key."""
    return ContentType.objects.get_for_model(source), source.pk


def origin_record(content_type_id: int | None, object_id: int | None, user: Any) -> Model | None:
    """The origin record, if it still exists, its app is installed and the user may see it."""
    if not content_type_id or not object_id:
        return None
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        return None
    if model is None or source_for(model) is None:
        return None
    return visible(model._default_manager.filter(pk=object_id), user).first()


def _refusal(target: ReferralTarget, source: ReferralSource, obj: Model, by: Any) -> str:
    reason = source.refusal(obj, by)
    if reason:
        return reason
    if not target.accepts(source.describe(obj)):
        return target.refused
    done = target.existing(obj)
    if done is not None:
        return f"该记录已{target.label}：{done}。"
    return ""


@transaction.atomic
def referral_create(*, target: ReferralTarget, source: ReferralSource, obj: Model, by: User, note: str = "") -> Model:
    """Refer ``obj`` to ``target``: 404 outside scope, 403 without either permission, a Chinese
    ``ValidationError`` when the record may not be referred (again); else the linked draft, with
    an entry on the source's timeline and an audit row."""
    require(by, source.permission, obj)
    require(by, target.permission, obj)
    # Two clicks at once: the second waits here and then finds the first one's draft.
    type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first()
    reason = _refusal(target, source, obj, by)
    if reason:
        raise ValidationError(reason, code="state")
    note = (note or "").strip()[:1000]
    draft = target.create(replace(source.describe(obj), note=note, by=by))
    text = f"{target.label}：{draft}" + (f"；{note}" if note else "")
    values = {"target": target.code, "record": str(draft)}
    if source.timeline:
        timeline.record(getattr(obj, source.timeline), "refer", label=target.label, by=by, note=text,
                        audit_event=audit.Event.CREATE, audit_detail=str(draft), new=values)
    else:
        audit.record(audit.Event.CREATE, user=by, target=obj, action=f"{obj._meta.app_label}.refer",
                     detail=f"{target.label} {draft}", new=values)
    return draft


# --- The panel on a source record's page -------------------------------------------------------------


@dataclass(frozen=True)
class ReferralOption:
    target: ReferralTarget
    url: str  # where the form posts
    done: Model | None = None  # the draft already made
    done_url: str = ""
    refusal: str = ""  # why it cannot be referred now (shown instead of the form)
    errors: tuple[str, ...] = ()  # the last refused attempt's messages
    note: str = ""


_ERROR_KEY = "referral_error:{code}:{key}:{pk}"


def remember_error(request: HttpRequest, target: ReferralTarget, obj: Model, messages_: list[str], note: str) -> None:
    """Keep a refused referral's message for the panel, which shows it at the form."""
    request.session[_ERROR_KEY.format(code=target.code, key=obj._meta.label_lower, pk=obj.pk)] = {
        "errors": messages_, "note": note}


def referral_panel(request: HttpRequest, obj: Model) -> dict[str, Any]:
    """What ``referrals/_panel.html`` needs: one option per target the user may refer ``obj`` to."""
    from django.urls import reverse

    user = request.user
    source = source_for(type(obj))
    options = []
    if source is not None and can(user, source.permission, obj):
        for target in registry.referral_targets():
            if not can(user, target.permission, obj):
                continue
            done = target.existing(obj)
            remembered: dict[str, Any] = {}
            if hasattr(request, "session"):
                remembered = request.session.pop(
                    _ERROR_KEY.format(code=target.code, key=source.key, pk=obj.pk), None) or {}
            reason = "" if done is not None else source.refusal(obj, user)
            if not reason and done is None and not target.accepts(source.describe(obj)):
                continue  # a record this service does not take: nothing to offer
            options.append(ReferralOption(
                target=target, url=reverse("referral_create", kwargs={"target": target.code, "source": source.key,
                                                                      "pk": obj.pk}),
                done=done, done_url=target.url(done) if done is not None else "", refusal=reason,
                errors=tuple(remembered.get("errors", ())), note=remembered.get("note", "")))
    return {"referrals": options}
