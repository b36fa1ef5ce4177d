"""Short signed owner links that fit inside a one-segment SMS.

A link is `{PUBLIC_BASE_URL}/o/{code}{mac}`: `code` is 7 random base62 characters stored with
the report (about 41.7 bits, unique), `mac` is 3 base64url characters of an HMAC-SHA256 of the
code under `SECRET_KEY`. The MAC lets the server reject forged or mistyped links without a
database look-up; the random code is what makes a link unguessable. The whole token is 10
characters, so with a short public host the SMS keeps room for the place name. A page opened
from the link shows only what the owner needs (photo, place, time, countdown, how to object),
never the owner's number, and stops working `OWNER_LINK_DAYS` after the report.
"""

from __future__ import annotations

import base64
import secrets
import string
from typing import Final

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

CODE_CHARS: Final = 7
MAC_CHARS: Final = 3
TOKEN_CHARS: Final = CODE_CHARS + MAC_CHARS
OWNER_LINK_DAYS: Final = 7
_ALPHABET: Final = string.ascii_letters + string.digits
_SALT: Final = "smartduty.parking.owner-short"


def new_owner_code() -> str:
    """A fresh random code for a report (the model's default)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_CHARS))


def _mac(code: str) -> str:
    digest = salted_hmac(_SALT, code, secret=settings.SECRET_KEY, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_CHARS]


def owner_token(code: str) -> str:
    """The signed token for a report's owner code."""
    return code + _mac(code)


def code_from_token(token: str) -> str | None:
    """The owner code inside a token, or None when the token is malformed or forged."""
    if len(token) != TOKEN_CHARS:
        return None
    code, mac = token[:CODE_CHARS], token[CODE_CHARS:]
    if not all(ch in _ALPHABET for ch in code):
        return None
    return code if constant_time_compare(mac, _mac(code)) else None


def owner_link(code: str) -> str:
    """`{PUBLIC_BASE_URL}/o/{token}` for the SMS and the officer app."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/o/{owner_token(code)}"
