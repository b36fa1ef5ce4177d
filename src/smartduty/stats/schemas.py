"""API schemas of the stats app.

The output schemas of the read models are derived from the selectors' dataclasses
(`kernel.schemas.OutputSchemas`): the fields are declared once, on the dataclass, and only the
wording of the API (component names, descriptions) lives here. `DeliveryOut` and
`CaseReportOut` read model rows and are declared as classes; `ConsoleFilter` is a query.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from ninja import Schema
from pydantic import Field

from smartduty.kernel.schemas import OutputSchemas
from smartduty.stats.selectors import (
    Capabilities,
    CaseKpiRow,
    CaseKpiTable,
    ConsoleEntry,
    Dashboard,
    Heatmap,
    MapPoint,
    MyDay,
    OpenCase,
    ParkingCounters,
    ParkingStats,
    TrendPoint,
)

_out = OutputSchemas(__name__)

CountersOut = _out.derive(
    ParkingCounters,
    name="CountersOut",
    doc="Counters for one day × district × unit, or the total.",
    exclude={"move_seconds"},
    computed=("compliance_rate", "median_seconds_to_move"),
    iso_dates={"day"},
)

StatsOut = _out.derive(
    ParkingStats,
    name="StatsOut",
    doc="Counters for a period.",
    iso_dates={"date_from", "date_to"},
)

TrendPointOut = _out.derive(
    TrendPoint,
    name="TrendPointOut",
    doc="One hour of day (`08`) or one day (`2026-11-29`) of a trend.",
)

HeatmapOut = _out.derive(
    Heatmap,
    name="HeatmapOut",
    doc="Reports by hour of day × street; each cell is `[hour, street index, count]`.",
)

OpenCaseOut = _out.derive(
    OpenCase,
    name="OpenCaseOut",
    doc="A case still being worked on, with its live countdown.",
    computed=("seconds_left",),
    descriptions={"seconds_left": "距挪车截止的秒数（已超时为 0；无时限为空）"},
)

MapPointOut = _out.derive(MapPoint, name="MapPointOut", doc="A located report.")

CapabilitiesOut = _out.derive(
    Capabilities,
    name="CapabilitiesOut",
    doc="Counters of capabilities still being built (null until they exist).",
    descriptions={
        "zombie_cars_cleared": "清理僵尸车（辆）",
        "parking_spaces_painted": "施划停车位（个）",
        "line_metres_painted": "施划停车线（米）",
    },
)

DashboardOut = _out.derive(
    Dashboard,
    name="DashboardOut",
    doc="The command centre's screen for a period, district and unit.",
    iso_dates={"date_from", "date_to"},
)

MyDayOut = _out.derive(
    MyDay,
    name="MyDayOut",
    doc="Today's counters for the officer's unit and for the officer's own reports.",
    iso_dates={"date"},
)

ConsoleMessageOut = _out.derive(
    ConsoleEntry,
    name="ConsoleMessageOut",
    doc="An SMS received by the console gateway (demo), recipient masked.",
)

CaseKpiRowOut = _out.derive(
    CaseKpiRow,
    name="CaseKpiRowOut",
    doc="""Counts and KPIs (percentages, two decimals; null when the denominator is 0) of one group,
    or of the total (`key` null).""",
    exclude={"handled", "handling_seconds"},
    computed=(
        "closure_rate",
        "on_time_rate",
        "rework_rate",
        "extension_rate",
        "void_rate",
        "mean_handling_hours",
    ),
    descriptions={
        "key": "单位/辖区 public_id、类别编码或网格编码；合计与未分组为空",
        "received": "受理",
        "registered": "立案",
        "due": "应结案",
        "closed": "结案",
        "closed_on_time": "按期结案",
        "reworked": "返工",
        "extended": "延期",
        "voided": "作废",
        "closure_rate": "结案率（%）= 结案 / 应结案",
        "on_time_rate": "按期结案率（%）= 按期结案 / 应结案",
        "rework_rate": "返工率（%）= 返工 / 立案",
        "extension_rate": "延期率（%）= 延期 / 立案",
        "void_rate": "作废率（%）= 作废 / 立案",
        "mean_handling_hours": "本期结案案件的平均处置用时（小时）",
    },
)

CaseKpiTableOut = _out.derive(
    CaseKpiTable,
    name="CaseKpiTableOut",
    doc="The 数字城管 KPI table of a period, grouped one way, with its total.",
    iso_dates={"date_from", "date_to"},
)


class ConsoleFilter(Schema):
    """Query parameters of the console outbox."""

    report_id: UUID | None = Field(default=None, description="只看该违停上报的短信")
    limit: int = Field(default=20, ge=1, le=100)


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
