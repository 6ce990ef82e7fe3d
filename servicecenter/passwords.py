"""Password rules beyond Django's own: at least N characters (with a Chinese message), three of four
character classes, and not like the username. ``settings.AUTH_PASSWORD_VALIDATORS`` lists them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
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


class PasswordHistoryValidator:
    """The new password must differ from the current one and from the last N
    (``security.password_history``, default 5): otherwise expiry is defeated by "changing" the
    password to itself. ``password_changed`` (Django calls it after a successful change) keeps the
    history."""

    def _limit(self, user: User | None) -> int:
        from .parameters import SPECS, param

        key = "security.password_history"
        unit = getattr(user, "org_unit", None)
        return int(param(key, unit) if unit is not None else SPECS[key].default)

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        if user.password and check_password(password, user.password):
            raise ValidationError("新密码不能与当前密码相同。", code="password_unchanged")
        limit = self._limit(user)
        earlier = user.password_history.values_list("password", flat=True)[:limit]
        if any(check_password(password, hashed) for hashed in earlier):
            raise ValidationError(f"新密码不能与最近{limit}次使用过的密码相同。", code="password_reused")

    def password_changed(self, password: str, user: User | None = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from .models import PasswordHistory

        PasswordHistory.objects.create(user=user, password=user.password)
        keep = list(user.password_history.values_list("pk", flat=True)[: max(self._limit(user), 1)])
        user.password_history.exclude(pk__in=keep).delete()

    def get_help_text(self) -> str:
        return "新密码不能与当前密码及最近几次使用过的密码相同。"


# Passwords that pass the character-class rule but are on every attacker's first list: a keyboard
# or counting run with the classes bolted on (123456Aa, Qwerty123!, P@ssw0rd, Aa123456 …).
_RUNS = ["1234567890", "0987654321", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc", "qazwsx",
         "abcdefgh", "password", "passw0rd", "admin", "welcome", "iloveyou", "woaini", "zhongguo"]
_LEET = str.maketrans({"@": "a", "0": "o", "1": "l", "3": "e", "$": "s", "!": ""})


class LocalCommonPasswordValidator:
    """Refuses a password that is a common run (keyboard rows, counting, 'password', 'admin' …)
    of four or more characters plus at most four other characters."""

    def validate(self, password: str, user: User | None = None) -> None:
        lowered = password.lower()
        for text in {lowered, lowered.translate(_LEET)}:
            core = re.sub(r"[^a-z0-9]", "", text)
            for run in _RUNS:
                longest = _longest_common_run(core, run)
                if longest >= 4 and len(core) - longest <= 4:
                    raise ValidationError("密码过于常见（如 123456Aa、Qwerty123!），请换一个不易猜到的密码。",
                                          code="password_too_common_local")

    def get_help_text(self) -> str:
        return "不能使用 123456Aa、Qwerty123! 这类常见密码。"


def _longest_common_run(text: str, run: str) -> int:
    """The longest piece of ``run`` (or of it reversed) that ``text`` contains."""
    best = 0
    for source in (run, run[::-1]):
        for i in range(len(source)):
            for j in range(len(source), i + best, -1):
                if source[i:j] in text:
                    best = j - i
                    break
    return best
