"""Signed verification token for the QR code on a printed parking notice.

Scanning the QR code opens ``{PUBLIC_BASE_URL}/n/{token}``. The token is stateless: it carries
the notice number, the report's ``public_id`` and the plate, sealed with a truncated
HMAC-SHA256, so the page can tell a genuine notice from an altered or made-up one before it
looks anything up. (The page then also checks the claim against the stored notice.)

Owner links, the page opened from the SMS, do not use this module: they live in
`smartduty.parking.shortlinks`, a random code stored with the report plus a short MAC, 10
characters in all, so the SMS still fits one 70-character segment. A stateless signed token
cannot be that short: the 16-byte report id alone is 22 base64url characters before any
signature, and the whole link would leave the message no room for the place and time.

Token format (url-safe, no padding)::

    <key id: 1 char><base64url(payload || mac)>

* **Key id.** The first base64url character of ``SHA-256("smartduty.parking.key-id:" + key)``.
  Tokens are signed with ``settings.SECRET_KEY`` and accepted under any key in
  ``SECRET_KEY_FALLBACKS`` whose id matches, so keys rotate the Django way: put the new key in
  ``SECRET_KEY``, move the old one to ``SECRET_KEY_FALLBACKS``, and remove it only once the
  notices printed under it no longer need verifying (notice tokens do not expire).
  Two keys can share an id (1 in 64); then each is tried, which only costs a second HMAC.
* **MAC.** ``salted_hmac(NOTICE_SALT, key_id + payload, key)`` (HMAC-SHA256 over a key derived
  from the salt and the secret), truncated to 12 bytes. The salt is specific to notice tokens,
  so nothing else signed with the same secret is accepted as one.
* **Payload.** ``public_id`` (16 bytes), the notice number (1-byte length + UTF-8) and the
  plate (UTF-8, the rest). Token: about 75 characters for a usual number and plate.

Security trade-off. A full HMAC-SHA256 in base64url is 43 characters; we keep 96 bits, which
keeps the QR code small. Forging a token needs about 2**95 online guesses, each an HTTP
request to our server; the key never leaves the server, so there is no offline attack.
Truncation does not weaken HMAC beyond the length of the tag. Tokens are not encrypted:
anybody holding one can decode the report id, the notice number and the plate (the last two
are printed on the notice anyway).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

NOTICE_SALT: Final = "smartduty.parking.notice"
NOTICE_MAC_BYTES: Final = 12

_UUID_BYTES: Final = 16
_MAX_NUMBER_BYTES: Final = 64
_MAX_PLATE_BYTES: Final = 32
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]+")
_MAX_TOKEN_CHARS: Final = 200


class LinkError(signing.BadSignature):
    """A link that must not be honoured. A `BadSignature`, so Django-style handlers catch it."""


class ForgedLink(LinkError):
    """The token was altered, made up, cut short, or signed for another purpose or key."""


@dataclass(frozen=True, slots=True)
class NoticeClaim:
    """What the QR code on a printed notice vouches for."""

    number: str
    report_public_id: uuid.UUID
    plate: str


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
