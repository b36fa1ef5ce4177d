"""Reads of the case core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet

from smartduty.cases.models import (
    ApprovalStatus,
    CalendarDay,
    CalendarDayKind,
    Case,
    CaseApproval,
    Category,
)
from smartduty.cases.states import OPEN
from smartduty.cases.workcalendar import WorkCalendar
from smartduty.grids.geometry import box_around, haversine_m, valid_point
from smartduty.kernel.errors import NotFound
from smartduty.kernel.scoping import Principal

VIEW_CASE: Final = "cases.view_case"
NEARBY_LIMIT: Final = 200
"""Candidates read from the box at most (the newest), before the exact distance."""
_RELATED: Final = ("category", "district", "unit", "grid", "duplicate_of", "photo", "after_photo")


def work_calendar() -> WorkCalendar:
    """The city's working calendar: its time zone and the 放假 / 调休 days the admin keeps."""
    holidays: list[date] = []
    workdays: list[date] = []
    for day, kind in CalendarDay.objects.values_list("day", "kind"):
        (holidays if kind == CalendarDayKind.HOLIDAY else workdays).append(day)
    return WorkCalendar.of(settings.TIME_ZONE, holidays=holidays, workdays=workdays)


def list_categories(*, include_inactive: bool = False) -> QuerySet[Category]:
    """大类 and 小类 in display order (the officer app's tiles, the admin's list)."""
    rows = Category.objects.select_related("parent")
    return rows if include_inactive else rows.filter(active=True)


def list_cases(
    *,
    principal: Principal,
    status: str | None = None,
    category_code: str | None = None,
    unit_id: int | None = None,
    reported_by_id: int | None = None,
    open_only: bool = False,
    grid_code: str | None = None,
    district_path: str | None = None,
    overdue_at: datetime | None = None,
) -> QuerySet[Case]:
    """Cases of my subtree for the case board: running clocks first, the nearest due time
    first; then the rest, newest first. `district_path` keeps one district's subtree;
    `overdue_at` keeps the open cases whose step was due before that instant. Every filter is
    SQL, so the board's order still walks the index `case_board_order`."""
    rows = (
        Case.objects.visible_to(principal, VIEW_CASE)
        .select_related(*_RELATED)
        .order_by("clock_idle", "step_due_at", "-created_at", "-id")  # index case_board_order
    )
    if status:
        rows = rows.filter(status=status)
    if category_code:
        rows = rows.filter(category__code__startswith=category_code)
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    if reported_by_id is not None:
        rows = rows.filter(reported_by_id=reported_by_id)
    if open_only:
        rows = rows.filter(status__in=OPEN)
    if grid_code:
        rows = rows.filter(grid__code=grid_code)
    if district_path:
        rows = rows.filter(district__path__startswith=district_path)
    if overdue_at is not None:
        rows = rows.filter(status__in=OPEN, step_due_at__lt=overdue_at)
    return rows


def get_case(*, principal: Principal, public_id: UUID) -> Case:
    """One case in my subtree (404 otherwise)."""
    case = (
        Case.objects.visible_to(principal, VIEW_CASE)
        .select_related(*_RELATED)
        .filter(public_id=public_id)
        .first()
    )
    if case is None:
        raise NotFound("未找到该案件，或不在您的辖区范围内")
    return case


def get_category(*, code: str) -> Category:
    category = Category.objects.select_related("parent").filter(code=code, active=True).first()
    if category is None:
        raise NotFound(f"未找到启用的案件类别 {code}")
    return category


def list_approvals(*, principal: Principal, pending_only: bool) -> QuerySet[CaseApproval]:
    """The approval ledger of the cases in my subtree, newest first."""
    rows = CaseApproval.objects.filter(
        case__in=Case.objects.visible_to(principal, VIEW_CASE)
    ).select_related("case", "requested_by", "decided_by")
    return rows.filter(status=ApprovalStatus.PENDING) if pending_only else rows


def get_approval(*, principal: Principal, public_id: UUID) -> CaseApproval:
    approval = list_approvals(principal=principal, pending_only=False).filter(public_id=public_id)
    found = approval.select_related("case__category", "case__district").first()
    if found is None:
        raise NotFound("未找到该审批申请，或不在您的辖区范围内")
    return found


# --- duplicates: open cases of the same category near a point --------------------------------


@dataclass(frozen=True)
class NearbyCase:
    """An open case of the category within its duplicate radius, and how far away it is."""

    case: Case
    distance_m: float


def _nearby(rows: QuerySet[Case], category: Category, lat: float, lon: float) -> list[NearbyCase]:
    """Open cases of `category` within `category.duplicate_radius_m`, nearest first: an
    indexed latitude/longitude box in SQL, then the exact great-circle distance."""
    if not valid_point(lat, lon):
        return []
    radius = float(category.duplicate_radius_m)
    box = box_around(lat, lon, radius)
    candidates = rows.filter(
        category=category,
        status__in=OPEN,
        lat__range=(box.min_lat, box.max_lat),
        lon__range=(box.min_lon, box.max_lon),
    ).order_by("-created_at")[:NEARBY_LIMIT]
    found = []
    for case in candidates:
        distance = haversine_m(lat, lon, float(case.lat or 0.0), float(case.lon or 0.0))
        if distance <= radius:
            found.append(NearbyCase(case, distance))
    return sorted(found, key=lambda n: (n.distance_m, n.case.created_at))


def list_nearby_open_cases(
    *, principal: Principal, category: Category, lat: float, lon: float
) -> list[NearbyCase]:
    """What the officer app shows before sending (已有人上报): open cases of the category
    within its duplicate radius, of my subtree, nearest first."""
    rows = Case.objects.visible_to(principal, VIEW_CASE).select_related(*_RELATED)
    return _nearby(rows, category, lat, lon)


def find_open_duplicate(
    *, principal: Principal, category: Category, lat: float, lon: float
) -> NearbyCase | None:
    """The open case a new report at this point duplicates (the nearest), among the cases of
    the reporter's scope (whoever may report there, may be linked to a case there)."""
    rows = Case.objects.visible_to(principal).select_related("category")
    nearest = _nearby(rows, category, lat, lon)
    return nearest[0] if nearest else None
