"""Stats: read-only counters and roll-ups for the command centre (劝离, 贴单, compliance)."""

from django.apps import AppConfig


class StatsConfig(AppConfig):
    """Stats app configuration."""

    name = "smartduty.stats"
    label = "stats"
    verbose_name = "统计分析"
    default_auto_field = "django.db.models.BigAutoField"
