"""Stats endpoints: the seed's counters, the command centre's dashboard and Excel export, the
outbox as officers and commanders may see it (messages about reports in their scope), the
数字城管 case KPI table (JSON and Excel) and the stored daily case reports.

Everything here is read-only and scoped through `<Model>.objects.visible_to`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from urllib.parse import quote
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.isotime import IsoDate
from smartduty.notifications.models import Delivery
from smartduty.org import selectors as org_selectors
from smartduty.org.auth import officer_of, principal_of
from smartduty.parking.selectors import get_report
from smartduty.stats import exports, selectors
from smartduty.stats.models import CaseReport
from smartduty.stats.schemas import (
    CaseKpiTableOut,
    CaseReportOut,
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
def get_my_day(request: HttpRequest) -> selectors.MyDay:
    """Today's counters for the caller's unit and for the caller's own reports (officer app)."""
    return selectors.my_day(principal=principal_of(request), officer=officer_of(request))


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


# a derived schema is a value to mypy, not a class statement: fine as `response=X`, not in `list[X]`
@router.get("/outbox/console", response=list[ConsoleMessageOut], tags=["outbox"])  # type: ignore[valid-type]
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


# -- 数字城管 case KPIs and the daily case reports ---------------------------------------------


class CaseStatsQuery(Schema):
    """Query of the KPI table: period (local days; default this month up to today), grouping
    and a district's subtree."""

    group_by: Literal["unit", "category", "district", "grid"] = Field(
        default="unit", description="分组：unit 单位，category 案件类别，district 辖区，grid 网格"
    )
    date_from: IsoDate | None = Field(default=None, description="开始日期（含），默认本月1日")
    date_to: IsoDate | None = Field(default=None, description="结束日期（含），默认今天")
    district_id: UUID | None = Field(default=None, description="只统计该辖区（含下级）")


def _case_kpis(request: HttpRequest, query: CaseStatsQuery) -> selectors.CaseKpiTable:
    end = query.date_to or timezone.localdate()
    start, end = _period(query.date_from or end.replace(day=1), end)
    if query.group_by not in selectors.available_groupings():
        raise ValidationFailed("暂不支持按网格统计：案件尚未关联单元网格")
    return selectors.case_kpis(
        principal=principal_of(request),
        date_from=start,
        date_to=end,
        group_by=query.group_by,
        district_id=query.district_id,
    )


@router.get("/stats/cases", response=CaseKpiTableOut)
def get_case_stats(request: HttpRequest, query: Query[CaseStatsQuery]) -> selectors.CaseKpiTable:
    """数字城管 KPIs (受理, 立案, 应结案, 结案, 按期结案, 结案率, 按期结案率, 返工率, 延期率,
    作废率, mean handling time) per unit, category, district or grid, plus the total; only
    cases in my subtree count (`district_id` out of scope: 404).
    """
    return _case_kpis(request, query)


def _attachment(data: bytes, mime: str, ascii_name: str, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type=mime)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _binary(mime: str, description: str) -> dict[str, object]:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {mime: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    }


@router.get(
    "/stats/cases.xlsx", openapi_extra=_binary(exports.XLSX_MIME, "Excel 工作簿（中文表头）")
)
def export_case_stats_xlsx(request: HttpRequest, query: Query[CaseStatsQuery]) -> HttpResponse:
    """The KPI table as an Excel workbook; 结案率 / 按期结案率 cells are green (≥ 90 %), yellow
    (≥ 80 %) or red."""
    table = _case_kpis(request, query)
    data = exports.case_kpi_workbook(
        table=table, scope_label=table.scope_label, exported_by=principal_of(request).username
    )
    span = f"{table.date_from:%Y%m%d}-{table.date_to:%Y%m%d}"
    return _attachment(
        data, exports.XLSX_MIME, f"case-kpis-{span}.xlsx", f"案件考核指标_{span}.xlsx"
    )


class CaseReportFilter(Schema):
    """Query of the daily report list."""

    district_id: UUID | None = Field(default=None, description="只看该辖区的日报")
    limit: int = Field(default=31, ge=1, le=366)


@router.get("/stats/case-reports", response=list[CaseReportOut])
def list_case_reports(request: HttpRequest, filters: Query[CaseReportFilter]) -> list[CaseReport]:
    """The generated daily case reports of districts in my subtree, newest day first."""
    rows = selectors.list_case_reports(
        principal=principal_of(request), district_id=filters.district_id
    )
    return list(rows[: filters.limit])


def _report_file(
    request: HttpRequest, public_id: UUID, kind: Literal["pdf", "xlsx"]
) -> HttpResponse:
    report = selectors.get_case_report(principal=principal_of(request), public_id=public_id)
    field = report.pdf if kind == "pdf" else report.xlsx
    with field.open("rb") as handle:
        data = handle.read()
    mime = "application/pdf" if kind == "pdf" else exports.XLSX_MIME
    stem = f"{report.district.code}-{report.day:%Y%m%d}"
    name = f"{report.district.name}案件日报_{report.day:%Y%m%d}.{kind}"
    return _attachment(data, mime, f"case-report-{stem}.{kind}", name)


@router.get(
    "/stats/case-reports/{public_id}.pdf", openapi_extra=_binary("application/pdf", "PDF 日报")
)
def get_case_report_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One daily report as PDF (title, KPI table per unit, bar chart of the two rates)."""
    return _report_file(request, public_id, "pdf")


@router.get(
    "/stats/case-reports/{public_id}.xlsx", openapi_extra=_binary(exports.XLSX_MIME, "Excel 日报")
)
def get_case_report_xlsx(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One daily report as an Excel workbook."""
    return _report_file(request, public_id, "xlsx")
