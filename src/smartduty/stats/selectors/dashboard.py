"""The command centre's read model: totals, trends, heatmap, open cases and map points.

One call answers one screen refresh (the wall screen polls it every few seconds), in a fixed,
small number of queries whatever the period: the counters query, one narrow query over the
period's reports for trends/heatmap/map, and two for the open cases. Aggregation runs in Python,
so SQLite and PostgreSQL give identical results.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from smartduty.kernel.scoping import Principal
from smartduty.parking.models import ParkingReport
from smartduty.parking.states import OPEN, Status
from smartduty.stats.selectors.counters import (
    VIEW,
    ParkingCounters,
    parking_counters,
    period_reports,
    scope_filters,
)

MAX_POINTS = 2000
MAX_OPEN_CASES = 100
HEATMAP_STREETS = 12
_STREET = re.compile(r"^(.{1,12}?(?:大道|大街|路|街|巷|胡同|道|桥|广场))")


@dataclass(frozen=True)
class TrendPoint:
    """Reports, cars persuaded to leave and notices in one hour of day or one day."""

    label: str
    reports: int
    moved: int
    notices: int


@dataclass(frozen=True)
class Heatmap:
    """Reports by hour of day (0–23) × street; `cells` are `[hour, street index, count]`."""

    streets: list[str]
    cells: list[list[int]]
    max: int


@dataclass(frozen=True)
class OpenCase:
    """A case still being worked on, for the live list."""

    public_id: UUID
    plate: str
    place: str
    status: str
    status_label: str
    officer: str
    badge_number: str
    unit: str
    district: str
    created_at: datetime
    deadline_at: datetime | None

    @property
    def seconds_left(self) -> int | None:
        """Seconds to the move deadline now: 0 once it has passed, None when the case is not
        waiting for the car to move."""
        if self.deadline_at is None or self.status != Status.AWAITING_MOVE:
            return None
        return max(0, int((self.deadline_at - timezone.now()).total_seconds()))


@dataclass(frozen=True)
class MapPoint:
    """A located report for the map."""

    public_id: UUID
    lat: float
    lon: float
    status: str
    status_label: str
    plate: str
    place: str
    created_at: datetime


@dataclass(frozen=True)
class Capabilities:
    """Counters of capabilities not built yet (僵尸车, 施划): None until they exist."""

    zombie_cars_cleared: int | None = None
    parking_spaces_painted: int | None = None
    line_metres_painted: int | None = None


@dataclass(frozen=True)
class Dashboard:
    """Everything the command centre shows for a period, district and unit."""

    date_from: date
    date_to: date
    generated_at: datetime
    total: ParkingCounters
    hourly: list[TrendPoint]
    daily: list[TrendPoint]
    heatmap: Heatmap
    open_cases: list[OpenCase]
    open_total: int
    points: list[MapPoint]
    capabilities: Capabilities


def street_of(place: str, fallback: str) -> str:
    """The street part of a free-text place (`人民路88号新华书店门前` → `人民路`)."""
    text = place.strip()
    if not text:
        return fallback
    match = _STREET.match(text)
    return match.group(1) if match else text[:8]


def _bump(counter: dict[str, list[int]], key: str, status: str, *, posted: bool) -> None:
    row = counter.setdefault(key, [0, 0, 0])
    row[0] += 1
    if status == Status.MOVED:
        row[1] += 1
    elif posted:
        row[2] += 1


def list_open_cases(
    *,
    principal: Principal,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
    limit: int = MAX_OPEN_CASES,
) -> tuple[list[OpenCase], int]:
    """Open cases (soonest deadline first, then oldest) and how many there are in all."""
    qs = scope_filters(
        ParkingReport.objects.visible_to(principal, VIEW).filter(status__in=OPEN),
        principal=principal,
        district_id=district_id,
        unit_id=unit_id,
    )
    total = qs.count()
    rows = qs.select_related("district", "unit", "reported_by").order_by(
        F("deadline_at").asc(nulls_last=True), "created_at", "id"
    )[:limit]
    cases = [
        OpenCase(
            public_id=r.public_id,
            plate=r.plate or r.plate_read,
            place=r.place,
            status=r.status,
            status_label=str(Status(r.status).label),
            officer=r.reported_by.name,
            badge_number=r.reported_by.badge_number,
            unit=r.unit.name,
            district=r.district.name,
            created_at=r.created_at,
            deadline_at=r.deadline_at,
        )
        for r in rows
    ]
    return cases, total


def dashboard(
    *,
    principal: Principal,
    date_from: date,
    date_to: date,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> Dashboard:
    """The command centre's screen for a period (local calendar days), district and unit."""
    tz = ZoneInfo(settings.TIME_ZONE)
    stats = parking_counters(
        principal=principal,
        date_from=date_from,
        date_to=date_to,
        district_id=district_id,
        unit_id=unit_id,
    )
    qs = period_reports(
        principal=principal,
        date_from=date_from,
        date_to=date_to,
        district_id=district_id,
        unit_id=unit_id,
    ).order_by("-created_at", "-id")
    hours: dict[str, list[int]] = {f"{h:02d}": [0, 0, 0] for h in range(24)}
    days: dict[str, list[int]] = {}
    day = date_from
    while day <= date_to:
        days[day.isoformat()] = [0, 0, 0]
        day += timedelta(days=1)
    street_hours: Counter[tuple[str, int]] = Counter()
    street_totals: Counter[str] = Counter()
    points: list[MapPoint] = []
    fields = (
        "public_id",
        "created_at",
        "status",
        "notice_posted_at",
        "plate",
        "plate_read",
        "place",
        "lat",
        "lon",
        "district__name",
    )
    for pid, created, status, posted, plate, read, place, lat, lon, d_name in qs.values_list(
        *fields
    ):
        local = timezone.localtime(created, tz)
        _bump(hours, f"{local.hour:02d}", status, posted=posted is not None)
        _bump(days, local.date().isoformat(), status, posted=posted is not None)
        street = street_of(place, d_name)
        street_hours[(street, local.hour)] += 1
        street_totals[street] += 1
        if lat is not None and lon is not None and len(points) < MAX_POINTS:
            points.append(
                MapPoint(
                    public_id=pid,
                    lat=lat,
                    lon=lon,
                    status=status,
                    status_label=str(Status(status).label),
                    plate=plate or read,
                    place=place,
                    created_at=created,
                )
            )
    streets = [name for name, _ in street_totals.most_common(HEATMAP_STREETS)]
    index = {name: i for i, name in enumerate(streets)}
    cells = sorted(
        [hour, index[street], count]
        for (street, hour), count in street_hours.items()
        if street in index
    )
    open_cases, open_total = list_open_cases(
        principal=principal, district_id=district_id, unit_id=unit_id
    )
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        generated_at=timezone.now(),
        total=stats.total,
        hourly=[TrendPoint(k, *v) for k, v in hours.items()],
        daily=[TrendPoint(k, *v) for k, v in days.items()],
        heatmap=Heatmap(streets=streets, cells=cells, max=max((c for _, _, c in cells), default=0)),
        open_cases=open_cases,
        open_total=open_total,
        points=points,
        capabilities=Capabilities(),
    )
