"""Stats reads: the seed's counters, the command-centre dashboard, the scoped outbox view, the
数字城管 case KPIs and the stored daily case reports.

Every read starts from `<Model>.objects.visible_to(principal, ...)`, so a principal never
counts, lists or reads messages of a report or case outside their district subtree.
"""

from smartduty.stats.selectors.cases import (
    GROUPINGS,
    CaseKpiRow,
    CaseKpiTable,
    available_groupings,
    case_kpis,
)
from smartduty.stats.selectors.counters import (
    VIEW,
    MyDay,
    ParkingCounters,
    ParkingStats,
    daily_series,
    my_day,
    parking_counters,
    period_reports,
    scope_filters,
)
from smartduty.stats.selectors.dashboard import (
    Capabilities,
    Dashboard,
    Heatmap,
    MapPoint,
    OpenCase,
    TrendPoint,
    dashboard,
    list_open_cases,
    street_of,
)
from smartduty.stats.selectors.outbox import (
    VIEW_CONSOLE,
    ConsoleEntry,
    list_console_messages,
    list_report_deliveries,
)
from smartduty.stats.selectors.reports import get_case_report, list_case_reports

__all__ = [
    "GROUPINGS",
    "VIEW",
    "VIEW_CONSOLE",
    "Capabilities",
    "CaseKpiRow",
    "CaseKpiTable",
    "ConsoleEntry",
    "Dashboard",
    "Heatmap",
    "MapPoint",
    "MyDay",
    "OpenCase",
    "ParkingCounters",
    "ParkingStats",
    "TrendPoint",
    "available_groupings",
    "case_kpis",
    "daily_series",
    "dashboard",
    "get_case_report",
    "list_case_reports",
    "list_console_messages",
    "list_open_cases",
    "list_report_deliveries",
    "my_day",
    "parking_counters",
    "period_reports",
    "scope_filters",
    "street_of",
]
