"""Template helpers of the 信访接待 pages: offer a link only to those who may use it."""

from __future__ import annotations

from typing import Any

from django import template

from servicecenter.access import can

register = template.Library()


@register.filter
def may(user: Any, permission: str) -> bool:
    """``{% if request.user|may:"petitions.intake" %}``: the role holds the permission (access.can)."""
    return can(user, permission)
