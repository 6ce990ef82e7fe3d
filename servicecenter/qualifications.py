"""What the services' records say a person qualifies as, asked by another service.

An app that keeps such records declares ``ServiceApp.qualifications``: a function of a person and a
day returning ``Qualification``s — "on that day this person is a 困难职工, per file KN-…". Another
app asks ``qualifications_of(person, day)`` (legal aid: is the applicant a hardship worker?) and
never names the app that answers; with no provider installed the answer is empty and staff decide.

Codes are a small shared vocabulary, agreed between the asking and the answering app (legal aid
looks for ``HARDSHIP_WORKER``); the core attaches no meaning to them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import registry

if TYPE_CHECKING:
    from .models import Person

HARDSHIP_WORKER = "hardship_worker"  # 困难职工（含特困职工）: an active file on that day


@dataclass(frozen=True)
class Qualification:
    code: str  # what the person qualifies as (HARDSHIP_WORKER …)
    label: str  # 困难职工 / 特困职工
    basis: str  # the record that says so, as staff name it: 困难职工档案 KN-330602-2026-00003
    until: datetime.date | None = None  # the last day it holds, when known


def qualifications_of(person: Person, day: datetime.date) -> list[Qualification]:
    """Every installed app's answer for ``person`` on ``day``."""
    out: list[Qualification] = []
    for provider in registry.qualification_providers():
        out.extend(provider(person, day))
    return out


def qualifies_as(person: Person, code: str, day: datetime.date) -> Qualification | None:
    """The first answer with ``code``, or None."""
    return next((q for q in qualifications_of(person, day) if q.code == code), None)
