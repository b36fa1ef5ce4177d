"""Demo data: the fictional 示范市 with districts, units, officers, vehicles and policies."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo app configuration (management commands only, no tables)."""

    name = "smartduty.demo"
    label = "demo"
    verbose_name = "演示数据"
