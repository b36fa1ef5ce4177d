"""Signed short links: the owner page opened from the SMS and the QR code on a printed notice.

Both tokens are stateless: everything the page needs to find its report is inside the token,
sealed with a truncated HMAC-SHA256 so nobody can alter it or make one up.

Token format (url-safe, no padding)::

    <key id: 1 char><base64url(payload || mac)>

* **Key id.** The first base64url character of ``SHA-256("smartduty.parking.key-id:" + key)``.
  Tokens are signed with ``settings.SECRET_KEY`` and accepted under any key in
  ``SECRET_KEY_FALLBACKS`` whose id matches, so keys rotate the Django way: put the new key in
  ``SECRET_KEY``, move the old one to ``SECRET_KEY_FALLBACKS``, remove it once its links may die.
  Two keys can share an id (1 in 64); then each is tried, which only costs a second HMAC.
* **MAC.** ``salted_hmac(salt, key_id + payload, key)`` (HMAC-SHA256 over a key derived from the
  salt and the secret), truncated. Each kind has its own salt, so an owner token is never
  accepted as a notice token and the other way round.
* **Owner payload.** The report's ``public_id`` (16 bytes) and the issue time (unsigned 32-bit
  Unix seconds, good until 2106). MAC: 8 bytes. Token: 39 characters, always.
* **Notice payload.** ``public_id`` (16 bytes), the notice number (1-byte length + UTF-8) and the
  plate (UTF-8, the rest). MAC: 12 bytes. Token: about 75 characters for a usual number and plate.

Security trade-off. A full HMAC-SHA256 in base64url is 43 characters; we keep 64 bits for the
owner link (96 for the notice). Forging a link needs the target report's random 122-bit
``public_id`` *and* about 2**63 online guesses, each an HTTP request to our server; the key
never leaves the server, so there is no offline attack. Truncation does not weaken HMAC beyond
the length of the tag. Tokens are not encrypted: anybody holding one can decode the report id
(and, for a notice, its number and plate, which are printed on the notice anyway).

Length. The owner link cannot be 40 characters at the default base URL: the 16-byte id alone is
22 base64url characters and ``http://127.0.0.1:8000/o/`` is 24, which makes 46 before any
signature. The token is 39 characters; with a short public host (``https://sfs.cn/o/`` is 17)
the link is 56. An SMS that must fit one 70-character segment would need a random short code
stored with the report instead of a stateless token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Final

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

OWNER_SALT: Final = "smartduty.parking.owner"
NOTICE_SALT: Final = "smartduty.parking.notice"

OWNER_MAC_BYTES: Final = 8
NOTICE_MAC_BYTES: Final = 12
OWNER_TOKEN_LENGTH: Final = 39  # 1 key id + base64url(16 id + 4 time + 8 mac = 28 bytes)

_UUID_BYTES: Final = 16
_OWNER_PAYLOAD = struct.Struct(">16sI")
_MAX_NUMBER_BYTES: Final = 64
_MAX_PLATE_BYTES: Final = 32
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]+")
_MAX_TOKEN_CHARS: Final = 200


class LinkError(signing.BadSignature):
    """A link that must not be honoured. A `BadSignature`, so Django-style handlers catch it."""


class ForgedLink(LinkError):
    """The token was altered, made up, cut short, or signed for another purpose or key."""


class ExpiredLink(LinkError):
    """The token is genuine but older than the caller's `max_age`.

    `report_public_id` is the (authentic) report the link was for, so a page can say
    which report the stale link belonged to.
    """

    def __init__(self, message: str, *, report_public_id: uuid.UUID, age_seconds: int) -> None:
        super().__init__(message)
        self.report_public_id = report_public_id
        self.age_seconds = age_seconds


@dataclass(frozen=True, slots=True)
class NoticeClaim:
    """What the QR code on a printed notice vouches for."""

    number: str
    report_public_id: uuid.UUID
    plate: str


# -- owner page -----------------------------------------------------------------------------


def make_owner_token(report_public_id: uuid.UUID) -> str:
    """A 39-character token for the owner page of a report, stamped with the current time."""
    issued = int(timezone.now().timestamp())
    payload = _OWNER_PAYLOAD.pack(report_public_id.bytes, issued)
    return _seal(OWNER_SALT, payload, OWNER_MAC_BYTES)


def read_owner_token(token: str, *, max_age: int | timedelta | None = None) -> uuid.UUID:
    """The report id inside an owner token.

    Raises `ForgedLink` if the token is not one of ours, and `ExpiredLink` if it is older
    than `max_age` (seconds or a timedelta; `None` accepts any age).
    """
    payload = _open(OWNER_SALT, token, OWNER_MAC_BYTES)
    if len(payload) != _OWNER_PAYLOAD.size:
        raise ForgedLink("owner token has the wrong length")
    raw_id, issued = _OWNER_PAYLOAD.unpack(payload)
    report_public_id = uuid.UUID(bytes=raw_id)
    if max_age is not None:
        limit = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
        age = int(timezone.now().timestamp()) - issued
        if age > limit:
            raise ExpiredLink(
                f"owner link is {age} s old (limit {limit:g} s)",
                report_public_id=report_public_id,
                age_seconds=age,
            )
    return report_public_id


def owner_url(token: str) -> str:
    """The absolute owner-page link for an SMS: ``{PUBLIC_BASE_URL}/o/{token}``."""
    return f"{_base_url()}/o/{token}"


# -- printed notice -------------------------------------------------------------------------


def make_notice_token(notice_number: str, report_public_id: uuid.UUID, plate: str) -> str:
    """A token proving that notice `notice_number` for `plate` was issued for the report."""
    number_bytes = notice_number.encode()
    plate_bytes = plate.encode()
    if not 0 < len(number_bytes) <= _MAX_NUMBER_BYTES:
        raise ValueError(f"notice number must be 1-{_MAX_NUMBER_BYTES} bytes: {notice_number!r}")
    if not 0 < len(plate_bytes) <= _MAX_PLATE_BYTES:
        raise ValueError(f"plate must be 1-{_MAX_PLATE_BYTES} bytes: {plate!r}")
    payload = report_public_id.bytes + bytes([len(number_bytes)]) + number_bytes + plate_bytes
    return _seal(NOTICE_SALT, payload, NOTICE_MAC_BYTES)


def verify_notice_token(token: str) -> NoticeClaim:
    """The claim a notice QR code carries; `ForgedLink` if any part of it was altered."""
    payload = _open(NOTICE_SALT, token, NOTICE_MAC_BYTES)
    try:
        number_length = payload[_UUID_BYTES]
        number_end = _UUID_BYTES + 1 + number_length
        number = payload[_UUID_BYTES + 1 : number_end].decode()
        plate = payload[number_end:].decode()
    except (IndexError, UnicodeDecodeError) as exc:  # only reachable with a broken signer
        raise ForgedLink("notice token payload is malformed") from exc
    if len(number.encode()) != number_length or not number or not plate:
        raise ForgedLink("notice token payload is malformed")
    return NoticeClaim(
        number=number,
        report_public_id=uuid.UUID(bytes=payload[:_UUID_BYTES]),
        plate=plate,
    )


def notice_url(token: str) -> str:
    """The verification link printed as the notice QR code: ``{PUBLIC_BASE_URL}/n/{token}``."""
    return f"{_base_url()}/n/{token}"


# -- sealing --------------------------------------------------------------------------------


def _base_url() -> str:
    return str(settings.PUBLIC_BASE_URL).rstrip("/")


@lru_cache(maxsize=16)
def _key_id(secret: str) -> str:
    digest = hashlib.sha256(b"smartduty.parking.key-id:" + secret.encode()).digest()
    return _b64encode(digest)[0]


def _mac(salt: str, key_id: str, payload: bytes, secret: str, size: int) -> bytes:
    value = key_id.encode() + payload
    return salted_hmac(salt, value, secret=secret, algorithm="sha256").digest()[:size]


def _seal(salt: str, payload: bytes, mac_size: int) -> str:
    secret = str(settings.SECRET_KEY)
    key_id = _key_id(secret)
    return key_id + _b64encode(payload + _mac(salt, key_id, payload, secret, mac_size))


def _open(salt: str, token: str, mac_size: int) -> bytes:
    """The payload of a sealed token, or `ForgedLink`."""
    if (
        not isinstance(token, str)
        or len(token) > _MAX_TOKEN_CHARS
        or not _TOKEN_RE.fullmatch(token)
        or len(token) < 2
    ):
        raise ForgedLink("not a link token")
    key_id, body = token[0], token[1:]
    raw = _b64decode(body)
    if len(raw) <= mac_size:
        raise ForgedLink("link token is too short")
    payload, mac = raw[:-mac_size], raw[-mac_size:]
    secrets = [str(settings.SECRET_KEY), *(str(k) for k in settings.SECRET_KEY_FALLBACKS)]
    for secret in secrets:
        if _key_id(secret) == key_id and constant_time_compare(
            mac, _mac(salt, key_id, payload, secret, mac_size)
        ):
            return payload
    raise ForgedLink("link signature does not match")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Strict base64url: one spelling per byte string, so no two tokens mean the same."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ForgedLink("link token is not base64url") from exc
    if _b64encode(raw) != text:  # unused low bits set, or an impossible length
        raise ForgedLink("link token is not canonical base64url")
    return raw
