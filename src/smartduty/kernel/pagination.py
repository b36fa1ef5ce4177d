"""Limit/offset pagination with bounds, for every `@paginate` endpoint.

Ninja's own `LimitOffsetPagination` takes any integer: `offset=9223372036854775808` overflows
the database's 64-bit integer (HTTP 500) and `limit=100000000` returns every row. Here both
are bounded and the bounds are part of the OpenAPI schema (`maximum`), so a request out of
range is a 422 with a Chinese message, like any other invalid input.
`settings.NINJA_PAGINATION_CLASS` names this class, so a bare `@paginate` uses it.
"""

from __future__ import annotations

from typing import Any, Final

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT: Final = 200
"""Most items one page returns."""
MAX_OFFSET: Final = 1_000_000
"""Largest offset: far beyond any registry a city keeps, far below the 64-bit limit."""


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """`limit` 1–200 (default `NINJA_PAGINATION_PER_PAGE`), `offset` 0–1,000,000."""

    class Input(Schema):
        """Query parameters of a paginated list."""

        limit: int = Field(
            min(int(ninja_settings.PAGINATION_PER_PAGE), MAX_LIMIT),
            ge=1,
            le=MAX_LIMIT,
            description=f"每页条数（1–{MAX_LIMIT}）",
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"跳过的条数（0–{MAX_OFFSET}）")

    def __init__(self, max_limit: int = MAX_LIMIT, **kwargs: Any) -> None:
        super().__init__(max_limit=min(max_limit, MAX_LIMIT), **kwargs)


COUNT_CAP: Final = 10_000
"""Most rows a capped list counts: its `count` is exact up to this and this beyond it."""


class CappedCountPagination(BoundedLimitOffsetPagination):
    """For lists that hold a city's years (the case board): counting a million rows costs
    more than reading the page, so `count` stops at `COUNT_CAP` (a screen shows "10000+")."""

    def _items_count(self, queryset: Any) -> int:
        if not hasattr(queryset, "order_by"):
            return len(queryset)
        counted: int = queryset.order_by()[:COUNT_CAP].count()
        return counted
