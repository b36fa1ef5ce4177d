"""Timer kinds and the pump of the stats app, registered from `StatsConfig.ready()`."""

from __future__ import annotations

from smartduty.kernel.models import Timer
from smartduty.kernel.registry import register_pump
from smartduty.kernel.timers import register_timer_kind
from smartduty.stats import services

PUMP: str = "stats.case_reports"
PUMP_INTERVAL_S = 3600.0
"""How often the pump checks that the daily run is scheduled (it is, but for a fresh install)."""


def on_daily(timer: Timer) -> None:
    """`stats.case_reports_daily`: plan yesterday's reports and the next run (idempotent)."""
    services.plan_daily_reports(run_at=timer.due_at)


def on_render(timer: Timer) -> None:
    """`stats.case_report_render`: render one report (idempotent)."""
    services.render_case_report(report_id=int(timer.subject_id))


def register() -> None:
    """Register the timer kinds and the pump that starts the daily chain."""
    register_timer_kind(services.DAILY_KIND, on_daily)
    register_timer_kind(services.RENDER_KIND, on_render)
    register_pump(PUMP, services.ensure_daily_timer, interval_s=PUMP_INTERVAL_S)
