"""API schemas of the stats app."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ninja import Schema


class CountersOut(Schema):
    """Counters for one day × district × unit, or the total."""

    day: str | None
    district_id: UUID | None
    district: str
    unit_id: UUID | None
    unit: str
    reports: int
    moved: int
    notices: int
    open: int
    compliance_rate: float | None
    median_seconds_to_move: float | None

    @staticmethod
    def resolve_day(obj: Any) -> str | None:
        return obj.day.isoformat() if obj.day else None


class StatsOut(Schema):
    """Counters for a period."""

    date_from: str
    date_to: str
    rows: list[CountersOut]
    total: CountersOut

    @staticmethod
    def resolve_date_from(obj: Any) -> str:
        return str(obj.date_from.isoformat())

    @staticmethod
    def resolve_date_to(obj: Any) -> str:
        return str(obj.date_to.isoformat())
