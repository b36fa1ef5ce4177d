"""Stats: read-only counters and roll-ups for the command centre (劝离, 贴单, compliance), the
数字城管 case KPIs, and the daily case report the worker writes."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    """Stats app configuration; `ready()` registers the daily report's timer kinds and pump."""

    name = "smartduty.stats"
    label = "stats"
    verbose_name = "统计分析"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.stats import timers  # noqa: PLC0415 - wiring happens only in ready()

        timers.register()
