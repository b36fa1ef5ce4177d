"""API schemas of the stats app."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import Field


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


class TrendPointOut(Schema):
    """One hour of day (`08`) or one day (`2026-11-29`) of a trend."""

    label: str
    reports: int
    moved: int
    notices: int


class HeatmapOut(Schema):
    """Reports by hour of day × street; each cell is `[hour, street index, count]`."""

    streets: list[str]
    cells: list[list[int]]
    max: int


class OpenCaseOut(Schema):
    """A case still being worked on, with its live countdown."""

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
    seconds_left: int | None = Field(description="距挪车截止的秒数（已超时为 0；无时限为空）")

    @staticmethod
    def resolve_seconds_left(obj: Any) -> int | None:
        if obj.deadline_at is None or obj.status != "awaiting_move":
            return None
        return max(0, int((obj.deadline_at - timezone.now()).total_seconds()))


class MapPointOut(Schema):
    """A located report."""

    public_id: UUID
    lat: float
    lon: float
    status: str
    status_label: str
    plate: str
    place: str
    created_at: datetime


class CapabilitiesOut(Schema):
    """Counters of capabilities still being built (null until they exist)."""

    zombie_cars_cleared: int | None = Field(description="清理僵尸车（辆）")
    parking_spaces_painted: int | None = Field(description="施划停车位（个）")
    line_metres_painted: int | None = Field(description="施划停车线（米）")


class DashboardOut(Schema):
    """The command centre's screen for a period, district and unit."""

    date_from: str
    date_to: str
    generated_at: datetime
    total: CountersOut
    hourly: list[TrendPointOut]
    daily: list[TrendPointOut]
    heatmap: HeatmapOut
    open_cases: list[OpenCaseOut]
    open_total: int
    points: list[MapPointOut]
    capabilities: CapabilitiesOut

    @staticmethod
    def resolve_date_from(obj: Any) -> str:
        return str(obj.date_from.isoformat())

    @staticmethod
    def resolve_date_to(obj: Any) -> str:
        return str(obj.date_to.isoformat())


class MyDayOut(Schema):
    """Today's counters for the officer's unit and for the officer's own reports."""

    date: str
    unit: str
    district: str
    unit_total: CountersOut
    mine: CountersOut


class ConsoleFilter(Schema):
    """Query parameters of the console outbox."""

    report_id: UUID | None = Field(default=None, description="只看该违停上报的短信")
    limit: int = Field(default=20, ge=1, le=100)


class ConsoleMessageOut(Schema):
    """An SMS received by the console gateway (demo), recipient masked."""

    provider_message_id: str
    channel: str
    recipient_masked: str
    text: str
    segments: int
    created_at: datetime
    report_id: UUID
    plate: str
    delivery_status: str


class DeliveryOut(Schema):
    """A message requested for a report and where it stands in the outbox."""

    public_id: UUID
    channel: str
    channel_label: str
    recipient_masked: str
    template_code: str
    text: str = Field(alias="rendered_text")
    status: str
    status_label: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_channel_label(obj: Any) -> str:
        return str(obj.get_channel_display())

    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        return str(obj.get_status_display())


class CaseKpiRowOut(Schema):
    """Counts and KPIs (percentages, two decimals; null when the denominator is 0) of one group,
    or of the total (`key` null)."""

    key: str | None = Field(description="单位/辖区 public_id、类别编码或网格编码；合计与未分组为空")
    label: str
    received: int = Field(description="受理")
    registered: int = Field(description="立案")
    due: int = Field(description="应结案")
    closed: int = Field(description="结案")
    closed_on_time: int = Field(description="按期结案")
    reworked: int = Field(description="返工")
    extended: int = Field(description="延期")
    voided: int = Field(description="作废")
    closure_rate: float | None = Field(description="结案率（%）= 结案 / 应结案")
    on_time_rate: float | None = Field(description="按期结案率（%）= 按期结案 / 应结案")
    rework_rate: float | None = Field(description="返工率（%）= 返工 / 立案")
    extension_rate: float | None = Field(description="延期率（%）= 延期 / 立案")
    void_rate: float | None = Field(description="作废率（%）= 作废 / 立案")
    mean_handling_hours: float | None = Field(description="本期结案案件的平均处置用时（小时）")


class CaseKpiTableOut(Schema):
    """The 数字城管 KPI table of a period, grouped one way, with its total."""

    date_from: str
    date_to: str
    group_by: str
    scope_label: str
    rows: list[CaseKpiRowOut]
    total: CaseKpiRowOut

    @staticmethod
    def resolve_date_from(obj: Any) -> str:
        return str(obj.date_from.isoformat())

    @staticmethod
    def resolve_date_to(obj: Any) -> str:
        return str(obj.date_to.isoformat())


class CaseReportOut(Schema):
    """A generated daily case report of one district; download it as PDF or Excel."""

    public_id: UUID
    day: date
    district_id: UUID
    district: str
    received: int = Field(description="受理")
    closure_rate: float | None = Field(description="结案率（%）")
    on_time_rate: float | None = Field(description="按期结案率（%）")
    generated_at: datetime | None
    pdf_url: str
    xlsx_url: str

    @staticmethod
    def resolve_district_id(obj: Any) -> UUID:
        return obj.district.public_id  # type: ignore[no-any-return]  # a model attribute

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return str(obj.district.name)

    @staticmethod
    def resolve_pdf_url(obj: Any) -> str:
        return f"/api/v1/stats/case-reports/{obj.public_id}.pdf"

    @staticmethod
    def resolve_xlsx_url(obj: Any) -> str:
        return f"/api/v1/stats/case-reports/{obj.public_id}.xlsx"
