"""What the public pages (online self-service, no login) need besides the services: the rate
limits, the offline CAPTCHA, tracking numbers and lookup codes.

- **Rate limits** count ``PublicAttempt`` rows in a sliding window, per client address and per
  phone number (both kept only as keyed hashes); the limits are parameters (``petition.public_*``)
  of the top unit, since a visitor belongs to no unit.
- **CAPTCHA**: a small sum in Chinese numerals (七 加 五), generated here, with a signed token
  that carries a hash of the answer, a one-time nonce and its time — no image service, no
  internet. A token is good for ``CAPTCHA_MAX_AGE`` seconds and once.
- **Codes**: the tracking number (``WS-20260513-7KQ3PX``) and the 8-character lookup code are
  random (not a sequence: a number says nothing about the others); only the code's hash is kept.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicecenter.models import OrgUnit
from servicecenter.parameters import SPECS, param

from .models import PublicAttempt

Kind = PublicAttempt.Kind
CAPTCHA_SALT = "petitions.public.captcha"
CAPTCHA_MAX_AGE = 15 * 60
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1: read out over the phone
NUMERALS = "零一二三四五六七八九十"


def client_key(kind: str, value: str) -> str:
    """A keyed hash of a client address or phone number: enough to count, nothing to read back."""
    return hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def public_param(key: str) -> int:
    """A public-page limit: the top unit's value (a visitor belongs to no unit), else the default."""
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    return int(param(key, root) if root is not None else SPECS[key].default)


def attempts(kind: str, key: str, window: datetime.timedelta) -> int:
    return PublicAttempt.objects.filter(kind=kind, key=key, at__gte=timezone.now() - window).count()


def note_attempt(kind: str, key: str) -> None:
    PublicAttempt.objects.create(kind=kind, key=key)
    # Old rows say nothing any more; clear them now and then rather than on every request.
    if secrets.randbelow(50) == 0:
        PublicAttempt.objects.filter(at__lt=timezone.now() - datetime.timedelta(days=2)).delete()


def refuse_if_over(kind: str, key: str, limit: int, window: datetime.timedelta, message: str,
                   field: str | None = None) -> None:
    if attempts(kind, key, window) >= limit:
        error = ValidationError(message, code="throttled")
        raise ValidationError({field: error}) if field else error


# --- CAPTCHA ----------------------------------------------------------------------------------------------


def _chinese(n: int) -> str:
    if n <= 10:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens]) + "十" + (NUMERALS[ones] if ones else "")


def _answer_hash(nonce: str, answer: int) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"captcha:{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Challenge:
    question: str  # 七 加 十二 等于几？
    token: str


def new_challenge() -> Challenge:
    a, b = secrets.randbelow(20) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        question, answer = f"{_chinese(a)} 加 {_chinese(b)} 等于几？", a + b
    else:
        a, b = max(a, b), min(a, b)
        question, answer = f"{_chinese(a)} 减 {_chinese(b)} 等于几？", a - b
    nonce = secrets.token_hex(8)
    token = signing.dumps({"n": nonce, "h": _answer_hash(nonce, answer)}, salt=CAPTCHA_SALT)
    return Challenge(question, token)


def check_challenge(token: str, answer: str) -> None:
    """Raise (at the ``captcha`` field) unless ``answer`` solves the challenge of ``token``, which is
    then used up."""
    try:
        data = signing.loads(token or "", salt=CAPTCHA_SALT, max_age=CAPTCHA_MAX_AGE)
        nonce, expected = str(data["n"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError):
        raise ValidationError({"captcha": "验证码已过期，请按新的题目重新计算。"}, code="captcha") from None
    text = (answer or "").strip()
    if not text.isdigit() or not hmac.compare_digest(_answer_hash(nonce, int(text)), expected):
        raise ValidationError({"captcha": "验证码计算结果不正确，请重新计算。"}, code="captcha")
    if PublicAttempt.objects.filter(kind=Kind.CAPTCHA, key=nonce).exists():
        raise ValidationError({"captcha": "验证码已使用，请按新的题目重新计算。"}, code="captcha")
    PublicAttempt.objects.create(kind=Kind.CAPTCHA, key=nonce)


# --- Numbers and codes ---------------------------------------------------------------------------------


def new_number() -> str:
    return f"WS-{timezone.localdate():%Y%m%d}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def normalise_code(text: str) -> str:
    return "".join((text or "").split()).upper().replace("－", "-")
