"""Encryption at rest for personal data (owner phone numbers).

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from `settings.FIELD_ENCRYPTION_KEY`
by HKDF, so the configured secret can be any string. Ciphertexts are prefixed with a key id
so that keys can be rotated later.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "f1:"


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"smartduty-field-v1", info=b"pii"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_text(plain: str) -> str:
    """Encrypt a short string for storage."""
    token = _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plain.encode())
    return _PREFIX + token.decode()


def decrypt_text(stored: str) -> str:
    """Decrypt what `encrypt_text` produced; raises ValueError on tampering or a wrong key."""
    if not stored.startswith(_PREFIX):
        raise ValueError("unknown ciphertext format")
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(stored[len(_PREFIX) :]).decode()
    except InvalidToken as exc:
        raise ValueError("ciphertext cannot be decrypted with the configured key") from exc


def mask_phone(phone: str) -> str:
    """`13800000000` -> `138****0000`; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)
