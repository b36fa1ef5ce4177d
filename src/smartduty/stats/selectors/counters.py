"""Counters of the core loop per day, district and unit.

- 上报 reports: reports made (duplicates and voided reports excluded)
- 劝离 moved: reports whose car left after the owner was told (status `moved`)
- 贴单 notices: reports where a 文明停车提示单 was posted
- compliance rate = moved / (moved + notices)
- median time to move = median(moved_at - owner_notified_at) of moved cars

Days are calendar days in Asia/Shanghai of the report's creation. Aggregation runs in Python over
one narrow query, so SQLite and PostgreSQL give identical results.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from smartduty.kernel.scoping import Principal
from smartduty.org.models import Officer
from smartduty.org.selectors import get_district, get_unit
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import Status

_EXCLUDED = (Status.DUPLICATE, Status.VOID)
VIEW = "parking.view_parkingreport"


@dataclass
class ParkingCounters:
    """One row of counters (a day × district × unit, or a total)."""

    day: date | None
    district_id: UUID | None
    district: str
    unit_id: UUID | None
    unit: str
    reports: int = 0
    moved: int = 0
    notices: int = 0
    open: int = 0
    move_seconds: list[float] = field(default_factory=list, repr=False)

    @property
    def compliance_rate(self) -> float | None:
        """moved / (moved + notices); None when neither happened."""
        decided = self.moved + self.notices
        return round(self.moved / decided, 4) if decided else None

    @property
    def median_seconds_to_move(self) -> float | None:
        """Median seconds from the owner SMS to the car confirmed gone."""
        return round(statistics.median(self.move_seconds), 1) if self.move_seconds else None

    def add(self, other: ParkingCounters) -> None:
        """Accumulate another row into this one."""
        self.reports += other.reports
        self.moved += other.moved
        self.notices += other.notices
        self.open += other.open
        self.move_seconds.extend(other.move_seconds)


@dataclass(frozen=True)
class ParkingStats:
    """Rows and their total for a period."""

    date_from: date
    date_to: date
    rows: list[ParkingCounters]
    total: ParkingCounters


@dataclass(frozen=True)
class MyDay:
    """Today's counters of an officer's unit and of the officer's own reports."""

    date: date
    unit: str
    district: str
    unit_total: ParkingCounters
    mine: ParkingCounters


def _local_day(at: datetime) -> date:
    return timezone.localtime(at, ZoneInfo(settings.TIME_ZONE)).date()


def period_reports(
    *,
    principal: Principal,
    date_from: date,
    date_to: date,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> QuerySet[ParkingReport]:
    """Visible reports created in the period (local calendar days), duplicates and voids left out.

    `district_id` keeps a district's subtree, `unit_id` one reporting unit.
    """
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    qs = (
        ParkingReport.objects.visible_to(principal, VIEW)
        .filter(created_at__gte=start, created_at__lt=end)
        .exclude(status__in=_EXCLUDED)
    )
    return scope_filters(qs, principal=principal, district_id=district_id, unit_id=unit_id)


def scope_filters(
    qs: QuerySet[ParkingReport],
    *,
    principal: Principal,
    district_id: UUID | None,
    unit_id: UUID | None,
) -> QuerySet[ParkingReport]:
    """Narrow reports to a district's subtree and/or one unit (both optional).

    A district or unit the principal cannot see raises `NotFound` (404), as everywhere else
    in the API, instead of counting nothing.
    """
    if district_id is not None:
        district = get_district(principal=principal, public_id=district_id)
        qs = qs.filter(district__path__startswith=district.path)
    if unit_id is not None:
        qs = qs.filter(unit=get_unit(principal=principal, public_id=unit_id))
    return qs


def parking_counters(
    *,
    principal: Principal,
    date_from: date,
    date_to: date,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
    officer_id: int | None = None,
) -> ParkingStats:
    """Counters per day, district and unit for reports created between the two dates.

    `officer_id` keeps only the reports of one officer (the officer app's "mine").
    """
    qs = period_reports(
        principal=principal,
        date_from=date_from,
        date_to=date_to,
        district_id=district_id,
        unit_id=unit_id,
    )
    if officer_id is not None:
        qs = qs.filter(reported_by_id=officer_id)
    rows: dict[tuple[date, UUID, UUID], ParkingCounters] = {}
    fields = (
        "created_at",
        "status",
        "owner_notified_at",
        "moved_at",
        "notice_posted_at",
        "district__public_id",
        "district__name",
        "unit__public_id",
        "unit__name",
    )
    for created, status, notified, moved, posted, d_id, d_name, u_id, u_name in qs.values_list(
        *fields
    ):
        key = (_local_day(created), d_id, u_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ParkingCounters(key[0], d_id, d_name, u_id, u_name)
        row.reports += 1
        if status == Status.MOVED:
            row.moved += 1
            if notified is not None and moved is not None:
                row.move_seconds.append((moved - notified).total_seconds())
        elif posted is not None:
            row.notices += 1
        else:
            row.open += 1
    ordered = sorted(rows.values(), key=lambda r: (r.day or date.min, r.district, r.unit))
    total = ParkingCounters(None, None, "合计", None, "")
    for row in ordered:
        total.add(row)
    return ParkingStats(date_from=date_from, date_to=date_to, rows=ordered, total=total)


def my_day(*, principal: Principal, officer: Officer | None) -> MyDay:
    """Today's counters (Asia/Shanghai) of the officer's unit and of the officer's own reports;
    without an officer (a command-centre user), everything in scope and nothing of their own."""
    today = timezone.localdate()
    unit_stats = parking_counters(
        principal=principal,
        date_from=today,
        date_to=today,
        unit_id=officer.unit.public_id if officer else None,
    )
    mine = (
        parking_counters(
            principal=principal, date_from=today, date_to=today, officer_id=officer.pk
        ).total
        if officer
        else ParkingCounters(None, None, "合计", None, "")
    )
    return MyDay(
        date=today,
        unit=officer.unit.name if officer else "",
        district=officer.unit.district.name if officer else "",
        unit_total=unit_stats.total,
        mine=mine,
    )


def daily_series(stats: ParkingStats) -> dict[date, ParkingCounters]:
    """Collapse district/unit rows into one row per day (for trend charts)."""
    out: dict[date, ParkingCounters] = defaultdict(
        lambda: ParkingCounters(None, None, "", None, "")
    )
    for row in stats.rows:
        assert row.day is not None  # noqa: S101 - rows always carry a day
        bucket = out[row.day]
        bucket.day = row.day
        bucket.add(row)
    return dict(sorted(out.items()))
