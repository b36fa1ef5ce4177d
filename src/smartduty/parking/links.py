"""Signed verification token for the QR code on a printed parking notice.

Scanning the QR code opens ``{PUBLIC_BASE_URL}/n/{token}``. The token is stateless: it carries
the notice number, the report's ``public_id`` and the plate, signed with Django's
`django.core.signing.Signer` (HMAC-SHA256 under ``SECRET_KEY``, salt `NOTICE_SALT`), so the
page can tell a genuine notice from an altered or made-up one before it looks anything up.
(The page then also checks the claim against the stored notice.)

Owner links, the page opened from the SMS, do not use this module: they live in
`smartduty.parking.shortlinks`, a random code stored with the report plus a short MAC, 10
characters in all, so the SMS still fits one 70-character segment. A stateless signed token
cannot be that short: Django's signature alone is 43 characters.

Token: ``<base64url(payload)>:<base64url(HMAC-SHA256)>``, made by `Signer.sign_object` with
a compact binary payload (`_ClaimSerializer`: the 16 bytes of ``public_id``, the notice
number with a 1-byte length, the plate) instead of JSON: about 100 characters for a usual
number and plate, where JSON would take 145 and push the QR code from version 7 to 9 (45 to
53 modules across a 20 mm square on a thermal receipt).

* **Keys.** Rotation is Django's: put the new key in ``SECRET_KEY`` and move the old one to
  ``SECRET_KEY_FALLBACKS``; remove it only once the notices printed under it no longer need
  verifying. Notice tokens carry no time and do not expire: the paper stays on the car, and
  its owner may scan it weeks later.
* **Salt.** Specific to notice tokens, so nothing else signed with the same secret (session
  data, other `signing.dumps` values) is accepted as one.
* **Not encrypted.** Anybody holding a token can decode the report id, the notice number and
  the plate (the last two are printed on the notice anyway).

Notices printed before the switch to `Signer` carry the earlier hand-made format
(``<key id: 1 char><base64url(payload || 12-byte MAC)>``, no ``:``). Those QR codes are on
paper and never expire, so `verify_notice_token` still accepts them (`_open_legacy`); nothing
makes them any more. Remove `_open_legacy` once notices printed before the switch no longer
need verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Final

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare, salted_hmac

NOTICE_SALT: Final = "smartduty.parking.notice"

_UUID_BYTES: Final = 16
_MAX_NUMBER_BYTES: Final = 64
_MAX_PLATE_BYTES: Final = 32
_MAX_TOKEN_CHARS: Final = 200
_LEGACY_MAC_BYTES: Final = 12
_LEGACY_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{2,200}")


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
    claim = NoticeClaim(number=notice_number, report_public_id=report_public_id, plate=plate)
    return _signer().sign_object(claim, serializer=_ClaimSerializer)  # ValueError: bad field


def verify_notice_token(token: str) -> NoticeClaim:
    """The claim a notice QR code carries; `ForgedLink` if any part of it was altered."""
    if not isinstance(token, str) or len(token) > _MAX_TOKEN_CHARS:
        raise ForgedLink("not a link token")
    if ":" not in token:
        return _ClaimSerializer().loads(_open_legacy(token))
    try:
        claim: NoticeClaim = _signer().unsign_object(token, serializer=_ClaimSerializer)
    except (signing.BadSignature, binascii.Error, ValueError) as exc:
        raise ForgedLink("link signature does not match") from exc
    return claim


def notice_url(token: str) -> str:
    """The verification link printed as the notice QR code: ``{PUBLIC_BASE_URL}/n/{token}``."""
    return f"{str(settings.PUBLIC_BASE_URL).rstrip('/')}/n/{token}"


def _signer() -> signing.Signer:
    return signing.Signer(salt=NOTICE_SALT, algorithm="sha256")


class _ClaimSerializer:
    """`NoticeClaim` ↔ bytes: ``public_id`` (16 bytes), number length (1 byte), number, plate.

    A `django.core.signing` serializer: `Signer.sign_object` base64-encodes and signs what
    `dumps` returns; `loads` only ever sees bytes whose signature matched.
    """

    def dumps(self, claim: NoticeClaim) -> bytes:
        number, plate = claim.number.encode(), claim.plate.encode()
        if not 0 < len(number) <= _MAX_NUMBER_BYTES:
            raise ValueError(f"notice number must be 1-{_MAX_NUMBER_BYTES} bytes: {claim.number!r}")
        if not 0 < len(plate) <= _MAX_PLATE_BYTES:
            raise ValueError(f"plate must be 1-{_MAX_PLATE_BYTES} bytes: {claim.plate!r}")
        return claim.report_public_id.bytes + bytes([len(number)]) + number + plate

    def loads(self, data: bytes) -> NoticeClaim:
        end = _UUID_BYTES + 1 + (data[_UUID_BYTES] if len(data) > _UUID_BYTES else 0)
        try:
            number = data[_UUID_BYTES + 1 : end].decode()
            plate = data[end:].decode()
        except UnicodeDecodeError as exc:  # only reachable with a broken signer
            raise ForgedLink("notice token payload is malformed") from exc
        if len(data) < end or not number or not plate:
            raise ForgedLink("notice token payload is malformed")
        return NoticeClaim(
            number=number, report_public_id=uuid.UUID(bytes=data[:_UUID_BYTES]), plate=plate
        )


# -- notices printed before the switch to `Signer` (verify only) --------------------------


def _open_legacy(token: str) -> bytes:
    """The payload of a token in the earlier format, or `ForgedLink`.

    ``<key id><base64url(payload || mac)>``: the key id is the first base64url character of
    ``SHA-256("smartduty.parking.key-id:" + key)``, the MAC ``salted_hmac(NOTICE_SALT, key id
    + payload, key)`` (SHA-256) cut to 12 bytes; any key of ``SECRET_KEY`` and
    ``SECRET_KEY_FALLBACKS`` whose id matches is tried.
    """
    if not _LEGACY_TOKEN_RE.fullmatch(token):
        raise ForgedLink("not a link token")
    key_id, body = token[0], token[1:]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ForgedLink("link token is not base64url") from exc
    if _b64encode(raw) != body:  # unused low bits set: one spelling per token
        raise ForgedLink("link token is not canonical base64url")
    if len(raw) <= _LEGACY_MAC_BYTES:
        raise ForgedLink("link token is too short")
    payload, mac = raw[:-_LEGACY_MAC_BYTES], raw[-_LEGACY_MAC_BYTES:]
    for secret in [str(settings.SECRET_KEY), *(str(k) for k in settings.SECRET_KEY_FALLBACKS)]:
        digest = hashlib.sha256(b"smartduty.parking.key-id:" + secret.encode()).digest()
        if _b64encode(digest)[0] != key_id:
            continue
        value = key_id.encode() + payload
        expected = salted_hmac(NOTICE_SALT, value, secret=secret, algorithm="sha256").digest()
        if constant_time_compare(mac, expected[:_LEGACY_MAC_BYTES]):
            return payload
    raise ForgedLink("link signature does not match")


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
