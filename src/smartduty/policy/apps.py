"""Policy: per-district rules as versioned rows (move window, SMS, quiet hours, duplicates)."""

from django.apps import AppConfig


class PolicyConfig(AppConfig):
    """Policy app configuration; `ready()` registers the stored-policy start-up check."""

    name = "smartduty.policy"
    label = "policy"
    verbose_name = "勤务规则"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.policy import checks  # noqa: PLC0415 - wiring only in ready()

        checks.register_checks()
