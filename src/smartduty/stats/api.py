"""Stats endpoints: the seed's counters, the command centre's dashboard and Excel export, and
the outbox as officers and commanders may see it (messages about reports in their scope).

Everything here is read-only and scoped through `ParkingReport.objects.visible_to`.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router

from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.isotime import IsoDate
from smartduty.notifications.models import Delivery
from smartduty.org import selectors as org_selectors
from smartduty.org.auth import officer_of, principal_of
from smartduty.parking.selectors import get_report
from smartduty.stats import exports, selectors
from smartduty.stats.schemas import (
    ConsoleFilter,
    ConsoleMessageOut,
    DashboardOut,
    DeliveryOut,
    MyDayOut,
    StatsOut,
)

router = Router(tags=["stats"])
MAX_DAYS = 366


def _period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """The requested period; defaults to the last 7 days (Asia/Shanghai)."""
    today = timezone.localdate()
    end = date_to or today
    start = date_from or end - timedelta(days=6)
    if start > end:
        raise ValidationFailed("开始日期不能晚于结束日期")
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailed(f"统计区间不能超过 {MAX_DAYS} 天")
    return start, end


@router.get("/stats/parking", response=StatsOut)
def get_parking_stats(
    request: HttpRequest,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> selectors.ParkingStats:
    """劝离 / 贴单 / compliance / median time to move, per day, district and unit.

    Defaults to the last 7 days (Asia/Shanghai).
    """
    start, end = _period(date_from, date_to)
    return selectors.parking_counters(
        principal=principal_of(request),
        date_from=start,
        date_to=end,
        district_id=district_id,
        unit_id=unit_id,
    )


@router.get("/stats/parking/dashboard", response=DashboardOut)
def get_parking_dashboard(
    request: HttpRequest,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> selectors.Dashboard:
    """The command centre in one call: totals, trends by hour and day, heatmap (hour × street),
    open cases with countdowns, map points. Poll it every few seconds.
    """
    start, end = _period(date_from, date_to)
    return selectors.dashboard(
        principal=principal_of(request),
        date_from=start,
        date_to=end,
        district_id=district_id,
        unit_id=unit_id,
    )


@router.get("/stats/parking/today", response=MyDayOut)
def get_my_day(request: HttpRequest) -> MyDayOut:
    """Today's counters for the caller's unit and for the caller's own reports (officer app)."""
    principal = principal_of(request)
    today = timezone.localdate()
    officer = officer_of(request)
    unit_stats = selectors.parking_counters(
        principal=principal,
        date_from=today,
        date_to=today,
        unit_id=officer.unit.public_id if officer else None,
    )
    mine = (
        selectors.parking_counters(
            principal=principal, date_from=today, date_to=today, officer_id=officer.pk
        ).total
        if officer
        else selectors.ParkingCounters(None, None, "合计", None, "")
    )
    return MyDayOut(
        date=today.isoformat(),
        unit=officer.unit.name if officer else "",
        district=officer.unit.district.name if officer else "",
        unit_total=unit_stats.total,  # type: ignore[arg-type]  # ninja validates from attributes
        mine=mine,  # type: ignore[arg-type]
    )


def _scope_label(request: HttpRequest, district_id: UUID | None, unit_id: UUID | None) -> str:
    """`东区 / 东区一中队`; a district or unit out of scope is a 404 (`NotFound`)."""
    principal = principal_of(request)
    parts = []
    if district_id is not None:
        parts.append(org_selectors.get_district(principal=principal, public_id=district_id).name)
    if unit_id is not None:
        parts.append(org_selectors.get_unit(principal=principal, public_id=unit_id).name)
    return " / ".join(parts) or "全部辖区"


@router.get(
    "/stats/parking.xlsx",
    openapi_extra={
        "responses": {
            200: {
                "description": "Excel 工作簿（中文表头）",
                "content": {exports.XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export_parking_xlsx(
    request: HttpRequest,
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    district_id: UUID | None = None,
    unit_id: UUID | None = None,
) -> HttpResponse:
    """The command centre's current view as an Excel workbook with Chinese headers."""
    start, end = _period(date_from, date_to)
    principal = principal_of(request)
    board = selectors.dashboard(
        principal=principal,
        date_from=start,
        date_to=end,
        district_id=district_id,
        unit_id=unit_id,
    )
    stats = selectors.parking_counters(
        principal=principal,
        date_from=start,
        date_to=end,
        district_id=district_id,
        unit_id=unit_id,
    )
    data = exports.parking_workbook(
        board=board,
        stats=stats,
        scope_label=_scope_label(request, district_id, unit_id),
        exported_by=principal.username,
    )
    name = f"违停劝离统计_{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type=exports.XLSX_MIME)
    response["Content-Disposition"] = (
        f'attachment; filename="parking-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"; '
        f"filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/outbox/console", response=list[ConsoleMessageOut], tags=["outbox"])
def list_console_messages(
    request: HttpRequest, filters: Query[ConsoleFilter]
) -> list[selectors.ConsoleEntry]:
    """SMS received by the console gateway (the demo's SMS provider) for reports in my scope,
    newest first; `report_id` keeps one report's. Recipients are masked. Needs
    `notifications.view_consolemessage` (403 without it).
    """
    principal = principal_of(request)
    report = (
        get_report(principal=principal, public_id=filters.report_id) if filters.report_id else None
    )
    return selectors.list_console_messages(principal=principal, report=report, limit=filters.limit)


@router.get("/outbox/deliveries", response=list[DeliveryOut], tags=["outbox"])
def list_report_deliveries(request: HttpRequest, report_id: UUID) -> list[Delivery]:
    """Messages requested for one report (owner SMS, re-check push) and whether they went out."""
    principal = principal_of(request)
    report = get_report(principal=principal, public_id=report_id)
    return selectors.list_report_deliveries(principal=principal, report=report)
