"""What the 困难职工档案 app contributes to shared pages and the monthly summary."""

from __future__ import annotations

from typing import Any

from servicecenter.registry import Section


def person_section(person: Any, user: Any) -> Section:
    return Section(title="困难职工档案")
