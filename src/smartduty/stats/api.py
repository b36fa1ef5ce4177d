"""Stats endpoints: the seed's counters for a period, district and unit."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from smartduty.kernel.errors import ValidationFailed
from smartduty.org.auth import principal_of
from smartduty.stats import selectors
from smartduty.stats.schemas import StatsOut

router = Router(tags=["stats"])
MAX_DAYS = 366


@router.get("/stats/parking", response=StatsOut)
def get_parking_stats(
    request: HttpRequest,
    date_from: date | None = None,
    date_to: date | None = None,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> selectors.ParkingStats:
    """劝离 / 贴单 / compliance / median time to move, per day, district and unit.

    Defaults to the last 7 days (Asia/Shanghai).
    """
    today = timezone.localdate()
    end = date_to or today
    start = date_from or end - timedelta(days=6)
    if start > end:
        raise ValidationFailed("开始日期不能晚于结束日期")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"统计区间不能超过 {MAX_DAYS} 天")
    return selectors.parking_counters(
        principal=principal_of(request),
        date_from=start,
        date_to=end,
        district_id=district_id,
        unit_id=unit_id,
    )
