"""Policy: per-district rules as versioned rows (move window, SMS, quiet hours, duplicates)."""

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """Policy app configuration."""

    name = "smartduty.policy"
    label = "policy"
    verbose_name = "勤务规则"
    default_auto_field = "django.db.models.BigAutoField"
