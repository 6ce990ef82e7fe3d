"""Password rules beyond Django's own: at least N characters (with a Chinese message), three of four
character classes, and not like the username. ``settings.AUTH_PASSWORD_VALIDATORS`` lists them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from .models import User

_CLASSES = [
    (re.compile(r"[a-z]"), "小写字母"),
    (re.compile(r"[A-Z]"), "大写字母"),
    (re.compile(r"[0-9]"), "数字"),
    (re.compile(r"[^a-zA-Z0-9]"), "符号"),
]


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule with a Chinese message: Django 5.2 changed the message's msgid (to
    ``%d``) and its zh_Hans catalogue still only translates the old one, so users saw English."""

    def get_error_message(self) -> str:
        return f"密码太短：至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少 {self.min_length} 个字符。"


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        found = sum(1 for pattern, _ in _CLASSES if pattern.search(password))
        if found < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类。", code="password_classes"
            )

    def get_help_text(self) -> str:
        return f"密码须包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类。"


class NotLikeUsernameValidator:
    """Rejects a password that contains the username or its reverse, case-insensitively."""

    def validate(self, password: str, user: User | None = None) -> None:
        username = (getattr(user, "username", "") or "").lower()
        if len(username) < 3:
            return
        lowered = password.lower()
        if username in lowered or username[::-1] in lowered:
            raise ValidationError("密码不能包含用户名。", code="password_like_username")

    def get_help_text(self) -> str:
        return "密码不能包含用户名。"
