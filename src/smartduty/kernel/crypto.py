"""Encryption at rest for personal data (owner phone numbers), with key rotation.

Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the configured secret by HKDF, so
the secret can be any string. A ciphertext names the key that made it:
`f2:<key id>:<Fernet token>`, the key id being the first 8 hex digits of a SHA-256 of the
derived key (it identifies the key without revealing it).

Rotation: set the new secret as `SMARTDUTY_FIELD_KEY` and list the old ones in
`SMARTDUTY_FIELD_KEY_FALLBACKS`; everything stays readable at once (each ciphertext is read
with the key it names), new writes use the new key, and `manage.py rotate_field_key`
re-encrypts what is stored. When it reports nothing left under an old key, drop that key from
the fallbacks. Ciphertexts of the first format (`f1:<token>`, no key id) are read with every
configured key in turn and rewritten by the same command.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PREFIX = "f2:"
_LEGACY_PREFIX = "f1:"


@lru_cache(maxsize=16)
def _derived(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"smartduty-field-v1", info=b"pii"
    ).derive(secret.encode())


@lru_cache(maxsize=16)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived(secret)))


@lru_cache(maxsize=16)
def key_id(secret: str) -> str:
    """The 8-hex-digit id a ciphertext made with `secret` carries."""
    return hashlib.sha256(b"smartduty-field-key-id:" + _derived(secret)).hexdigest()[:8]


def field_secrets() -> list[str]:
    """The current field secret, then the fallbacks (old secrets still read)."""
    fallbacks = getattr(settings, "FIELD_ENCRYPTION_KEY_FALLBACKS", [])
    return [settings.FIELD_ENCRYPTION_KEY, *fallbacks]


def current_prefix() -> str:
    """What every ciphertext under the current key starts with."""
    return f"{_PREFIX}{key_id(settings.FIELD_ENCRYPTION_KEY)}:"


def encrypt_text(plain: str) -> str:
    """Encrypt a short string for storage, with the current key."""
    token = _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plain.encode())
    return current_prefix() + token.decode()


def decrypt_text(stored: str) -> str:
    """Decrypt what `encrypt_text` produced, with whichever configured key made it.

    Raises ValueError on tampering, an unknown format, or a key that is not configured.
    """
    if stored.startswith(_PREFIX):
        kid, _, token = stored[len(_PREFIX) :].partition(":")
        secret = next((s for s in field_secrets() if key_id(s) == kid), None)
        if secret is None:
            raise ValueError(f"ciphertext made with key {kid}, which is not configured")
        candidates = [secret]
    elif stored.startswith(_LEGACY_PREFIX):
        token, candidates = stored[len(_LEGACY_PREFIX) :], field_secrets()
    else:
        raise ValueError("unknown ciphertext format")
    for secret in candidates:
        try:
            return _fernet(secret).decrypt(token).decode()
        except InvalidToken:
            continue
    raise ValueError("ciphertext cannot be decrypted with the configured keys")


def is_current(stored: str) -> bool:
    """Whether `stored` was made with the current key (nothing to rotate)."""
    return stored.startswith(current_prefix())


def mask_phone(phone: str) -> str:
    """`13800000000` -> `138****0000`; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)
