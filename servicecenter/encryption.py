"""Encryption at rest for identity numbers, and the keyed hash used to find them again.

Both keys are derived from ``FIELD_ENCRYPTION_KEY`` (never from ``SECRET_KEY``) with HKDF under
different labels, so the lookup hash cannot be used to decrypt and vice versa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"servicecenter", info=label).derive(
        settings.FIELD_ENCRYPTION_KEY.encode()
    )


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"field-encryption")))


@lru_cache(maxsize=4)
def _hash_key(key: str) -> bytes:
    return _derive(b"lookup-hash")


def encrypt(plaintext: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def lookup_hash(value: str) -> str:
    """Deterministic HMAC-SHA256 so an exact ID number can be found without storing it."""
    return hmac.new(_hash_key(settings.FIELD_ENCRYPTION_KEY), value.encode(), hashlib.sha256).hexdigest()


def key_fingerprint() -> str:
    """A fingerprint of ``FIELD_ENCRYPTION_KEY`` that reveals nothing about it (an HMAC under a key
    derived for this purpose alone): a backup records it, and a restore compares it with the key it
    runs with before writing anything."""
    return hmac.new(_derive(b"key-fingerprint"), b"servicecenter field encryption key", hashlib.sha256).hexdigest()[:32]


def can_decrypt(token: str) -> bool:
    """Whether this key opens ``token`` (a value ``encrypt`` made)."""
    try:
        decrypt(token)
    except (InvalidToken, ValueError):
        return False
    return True
