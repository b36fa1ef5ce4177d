from django.apps import AppConfig


class CasesConfig(AppConfig):
    """The case core; `ready()` registers the step-clock timer kinds."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "smartduty.cases"
    label = "cases"
    verbose_name = "案件"

    def ready(self) -> None:
        from smartduty.cases import timers  # noqa: PLC0415 - wiring happens only in ready()

        timers.register()
