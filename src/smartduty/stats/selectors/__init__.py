"""Stats reads: the seed's counters, the command-centre dashboard and the scoped outbox view.

Every read starts from `ParkingReport.objects.visible_to(principal, ...)`, so a principal never
counts, lists or reads messages of a report outside their district subtree.
"""

from smartduty.stats.selectors.counters import (
    VIEW,
    ParkingCounters,
    ParkingStats,
    daily_series,
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

__all__ = [
    "VIEW",
    "VIEW_CONSOLE",
    "Capabilities",
    "ConsoleEntry",
    "Dashboard",
    "Heatmap",
    "MapPoint",
    "OpenCase",
    "ParkingCounters",
    "ParkingStats",
    "TrendPoint",
    "daily_series",
    "dashboard",
    "list_console_messages",
    "list_open_cases",
    "list_report_deliveries",
    "parking_counters",
    "period_reports",
    "scope_filters",
    "street_of",
]
