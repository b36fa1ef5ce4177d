"""Stats owns no tables; a proxy gives the counters a page in the back office."""

from __future__ import annotations

from smartduty.parking.models import ParkingReport


class ParkingStatsEntry(ParkingReport):
    """Back-office entry point for the parking counters (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "违停劝离统计"
        verbose_name_plural = "违停劝离统计"
        default_permissions = ()
