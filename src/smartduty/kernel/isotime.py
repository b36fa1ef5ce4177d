"""Date and time types for API input that take ISO 8601 text only.

Pydantic's lax mode reads a bare number as Unix seconds (`?date_to=0` is 1970-01-01), which
the OpenAPI `format: date` / `format: date-time` does not allow and no client means. These
types refuse it with a Chinese message; everything else is pydantic's own parsing.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Final

from pydantic import BeforeValidator

_BARE_NUMBER: Final = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")


def _is_bare_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (
        isinstance(value, str) and _BARE_NUMBER.fullmatch(value) is not None
    )


def _iso_datetime_only(value: object) -> object:
    if _is_bare_number(value):
        raise ValueError("须为 ISO 8601 时间，如 2026-12-01T08:00:00+08:00")
    return value


def _iso_date_only(value: object) -> object:
    if _is_bare_number(value):
        raise ValueError("须为 ISO 8601 日期，如 2026-12-01")
    return value


# `format: date-time` as the schema says: ISO 8601 text, not a number of seconds
IsoDatetime = Annotated[datetime, BeforeValidator(_iso_datetime_only)]
# `format: date`: YYYY-MM-DD text, not a number of seconds
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
