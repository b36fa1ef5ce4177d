"""Excel export of the command centre's current view (openpyxl, Chinese headers).

Sheets: 汇总 (filters and the seed's totals), 明细 (day × district × unit), 按小时, 按日,
待处理案件 (open cases). Times are local (Asia/Shanghai) and written as text so every
spreadsheet program shows them the same way. Every cell goes through
`kernel.spreadsheets.safe_cell`: no control character can break the workbook and no
user-typed text becomes a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from smartduty.kernel.spreadsheets import safe_row
from smartduty.stats.selectors import Dashboard, ParkingCounters, ParkingStats

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
