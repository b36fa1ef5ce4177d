"""Parking: illegal-parking report → owner SMS → 10-minute deadline → re-check → printed notice."""

from django.apps import AppConfig


class ParkingConfig(AppConfig):
    """Parking app configuration; `ready()` registers the move-deadline timer kind."""

    name = "smartduty.parking"
    label = "parking"
    verbose_name = "违停劝离"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.parking import timers  # noqa: PLC0415 - wiring happens only in ready()

        timers.register()
