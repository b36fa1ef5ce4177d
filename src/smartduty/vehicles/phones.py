"""Mainland mobile numbers: normalisation and validation (pure functions)."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from smartduty.kernel.errors import ValidationFailed

MOBILE_RE: Final = re.compile(r"^1[3-9][0-9]{9}$")
_NOISE: Final = re.compile(r"[\s\-–—()（）.]+")


class InvalidPhone(ValidationFailed):
    """Not a mainland mobile number."""

    code = "invalid_phone"
    default_message = "车主电话应为 11 位手机号码（1 开头，第 2 位为 3-9）"


def normalize_mobile(raw: str) -> str:
    """`+86 138-0000-0000` → `13800000000`; raises `InvalidPhone` for anything else.

    Full-width digits are accepted; the country code `+86`/`0086`/`86` is dropped.
    """
    text = _NOISE.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not text:
        raise InvalidPhone("请填写车主电话")
    for prefix in ("+86", "0086", "86"):
        if text.startswith(prefix) and len(text) == len(prefix) + 11:
            text = text[len(prefix) :]
            break
    if not MOBILE_RE.fullmatch(text):
        raise InvalidPhone()
    return text
