"""Excel export of the command centre's current view (openpyxl, Chinese headers).

Sheets: 汇总 (filters and the seed's totals), 明细 (day × district × unit), 按小时, 按日,
待处理案件 (open cases). `case_kpi_workbook` writes the 数字城管 KPI table (API export and the
daily report) with its rate cells graded green / yellow / red. Times are local
(Asia/Shanghai) and written as text so every spreadsheet program shows them the same way.
Every cell goes through `kernel.spreadsheets.safe_cell`: no control character can break the
workbook and no user-typed text becomes a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from smartduty.kernel.spreadsheets import safe_row
from smartduty.stats.selectors import Dashboard, ParkingCounters, ParkingStats
from smartduty.stats.selectors.cases import CaseKpiRow, CaseKpiTable

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
COUNTER_HEADERS = (
    "日期",
    "辖区",
    "单位",
    "上报数",
    "劝离数",
    "贴单数",
    "处理中",
    "劝离率",
    "挪车用时中位数（分钟）",
)


def _rate(value: float | None) -> str:
    return f"{value * 100:.1f}%" if value is not None else "—"


def _minutes(seconds: float | None) -> float | str:
    return round(seconds / 60, 1) if seconds is not None else "—"


def _local(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]):  # type: ignore[no-untyped-def]  # openpyxl is untyped
    ws = wb.create_sheet(title)
    ws.append(safe_row(headers))
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append(safe_row(row))
    for i, header in enumerate(headers, start=1):
        width = max(
            [len(str(header)) * 2]
            + [len(str(c.value or "")) * 1.6 for c in ws[get_column_letter(i)]]
        )
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 10), 60)
    ws.freeze_panes = "A2"
    return ws


def _counter_row(row: ParkingCounters) -> list[object]:
    return [
        row.day.isoformat() if row.day else "合计",
        row.district,
        row.unit,
        row.reports,
        row.moved,
        row.notices,
        row.open,
        _rate(row.compliance_rate),
        _minutes(row.median_seconds_to_move),
    ]


def parking_workbook(
    *, board: Dashboard, stats: ParkingStats, scope_label: str, exported_by: str
) -> bytes:
    """The workbook of one command-centre view."""
    wb = Workbook()
    wb.remove(wb.active)
    t = board.total
    caps = board.capabilities

    def cap(value: int | None) -> object:
        return value if value is not None else "（功能建设中）"

    summary = [
        ("统计区间", f"{board.date_from.isoformat()} 至 {board.date_to.isoformat()}"),
        ("统计范围", scope_label),
        ("导出人", exported_by),
        ("导出时间", _local(board.generated_at)),
        ("上报数", t.reports),
        ("劝离数（辆）", t.moved),
        ("贴单数（张）", t.notices),
        ("处理中", t.open),
        ("劝离率", _rate(t.compliance_rate)),
        ("挪车用时中位数（分钟）", _minutes(t.median_seconds_to_move)),
        ("清理僵尸车（辆）", cap(caps.zombie_cars_cleared)),
        ("施划停车位（个）", cap(caps.parking_spaces_painted)),
        ("施划停车线（米）", cap(caps.line_metres_painted)),
        ("当前待处理案件", board.open_total),
    ]
    _sheet(wb, "汇总", ("指标", "数值"), summary)
    _sheet(
        wb,
        "明细",
        COUNTER_HEADERS,
        [*(_counter_row(r) for r in stats.rows), _counter_row(stats.total)],
    )
    trend_headers = ("上报数", "劝离数", "贴单数")
    _sheet(
        wb,
        "按小时",
        ("时段", *trend_headers),
        [(f"{p.label}:00–{p.label}:59", p.reports, p.moved, p.notices) for p in board.hourly],
    )
    _sheet(
        wb,
        "按日",
        ("日期", *trend_headers),
        [(p.label, p.reports, p.moved, p.notices) for p in board.daily],
    )
    _sheet(
        wb,
        "待处理案件",
        ("车牌", "地点", "状态", "上报人员", "警号", "单位", "辖区", "上报时间", "挪车截止"),
        [
            (
                c.plate or "未确认",
                c.place,
                c.status_label,
                c.officer,
                c.badge_number,
                c.unit,
                c.district,
                _local(c.created_at),
                _local(c.deadline_at),
            )
            for c in board.open_cases
        ],
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# -- 数字城管 KPI table ---------------------------------------------------------------------

CASE_KPI_HEADERS = (
    "分组",
    "受理",
    "立案",
    "应结案",
    "结案",
    "按期结案",
    "结案率",
    "按期结案率",
    "返工率",
    "延期率",
    "作废率",
    "平均处置用时（小时）",
)
GROUP_LABELS = {"unit": "单位", "category": "案件类别", "district": "辖区", "grid": "网格"}
_RATE_COLUMNS = range(7, 12)  # 结案率 … 作废率 (1-based)
_GRADED_COLUMNS = (7, 8)  # 结案率, 按期结案率: higher is better
GOOD_RATE = Decimal("90")
FAIR_RATE = Decimal("80")
GRADE_FILLS = {
    "good": PatternFill("solid", fgColor="C6EFCE"),
    "fair": PatternFill("solid", fgColor="FFEB9C"),
    "poor": PatternFill("solid", fgColor="FFC7CE"),
}


def grade(value: Decimal | None) -> str | None:
    """The colour grade of a 结案率 / 按期结案率: good ≥ 90 %, fair ≥ 80 %, else poor."""
    if value is None:
        return None
    if value >= GOOD_RATE:
        return "good"
    return "fair" if value >= FAIR_RATE else "poor"


def _percent(value: Decimal | None) -> float | str:
    return float(value) if value is not None else "—"


def _case_kpi_row(row: CaseKpiRow) -> list[object]:
    return [
        row.label,
        row.received,
        row.registered,
        row.due,
        row.closed,
        row.closed_on_time,
        _percent(row.closure_rate),
        _percent(row.on_time_rate),
        _percent(row.rework_rate),
        _percent(row.extension_rate),
        _percent(row.void_rate),
        row.mean_handling_hours if row.mean_handling_hours is not None else "—",
    ]


def case_kpi_workbook(*, table: CaseKpiTable, scope_label: str, exported_by: str) -> bytes:
    """The KPI table as a workbook: 汇总 (period, scope, who) and 考核指标 (rows + 合计), rate
    cells as numbers formatted `0.00%`-like and 结案率 / 按期结案率 graded by colour."""
    wb = Workbook()
    wb.remove(wb.active)
    summary = [
        ("统计区间", f"{table.date_from.isoformat()} 至 {table.date_to.isoformat()}"),
        ("统计范围", scope_label),
        ("分组方式", GROUP_LABELS.get(table.group_by, table.group_by)),
        ("导出人", exported_by),
        ("导出时间", _local(timezone.now())),
        (
            "口径",
            "结案率=结案/应结案，按期结案率=按期结案/应结案；返工率、延期率、作废率以立案为分母",
        ),
        ("颜色", "结案率、按期结案率：绿色≥90%，黄色≥80%，红色<80%"),
    ]
    _sheet(wb, "汇总", ("项目", "内容"), summary)
    rows = [*table.rows, table.total]
    headers = (GROUP_LABELS.get(table.group_by, "分组"), *CASE_KPI_HEADERS[1:])
    ws = _sheet(wb, "考核指标", headers, [_case_kpi_row(r) for r in rows])
    for index, row in enumerate(rows, start=2):
        for column in _RATE_COLUMNS:
            ws.cell(row=index, column=column).number_format = '0.00"%"'
        for column, value in zip(
            _GRADED_COLUMNS, (row.closure_rate, row.on_time_rate), strict=True
        ):
            shade = grade(value)
            if shade is not None:
                ws.cell(row=index, column=column).fill = GRADE_FILLS[shade]
    for cell in ws[len(rows) + 1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
