"""Where the service apps plug into shared pages.

The person page shows one section per app. Each app's ``summary.py`` defines
``person_section(person, user) -> Section`` (and may define ``employer_section`` and
``dashboard_section``); the list below is the whole wiring — an explicit,
ordered list of plain imports, no discovery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

SERVICE_APPS = ("petitions", "hardship", "legalaid", "jobs", "funds")


@dataclass
class Section:
    title: str
    template: str = "servicecenter/section_empty.html"
    context: dict[str, Any] = field(default_factory=dict)
    url: str = ""


def person_sections(person: Any, user: Any) -> list[Section]:
    return [import_module(f"{app}.summary").person_section(person, user) for app in SERVICE_APPS]


def dashboard_sections(user: Any) -> list[Section]:
    """What each app puts on the dashboard of a user who works on cases."""
    sections = []
    for app in SERVICE_APPS:
        module = import_module(f"{app}.summary")
        if hasattr(module, "dashboard_section"):
            sections.append(module.dashboard_section(user))
    return sections


def employer_sections(employer: Any, user: Any) -> list[Section]:
    sections = []
    for app in SERVICE_APPS:
        module = import_module(f"{app}.summary")
        if hasattr(module, "employer_section"):
            sections.append(module.employer_section(employer, user))
    return sections
