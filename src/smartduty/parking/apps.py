"""Parking: illegal-parking report → owner SMS → 10-minute deadline → re-check → printed notice."""

from django.apps import AppConfig


class ParkingConfig(AppConfig):
    """Parking app configuration; `ready()` registers the move-deadline timer kind, the
    SMS templates a policy's `sms_template_code` may name (those taking the move-car
    parameters) and the receivers of the owner SMS's delivery reports (`receipts`)."""

    name = "smartduty.parking"
    label = "parking"
    verbose_name = "违停劝离"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from smartduty.parking import receipts, timers  # noqa: PLC0415 - wiring only in ready()
        from smartduty.policy.choices import register_choices  # noqa: PLC0415

        timers.register()
        receipts.connect()
        register_choices("sms_template_code", label="挪车短信模板编号", values=move_car_templates)


def move_car_templates() -> list[str]:
    """Codes of the registered SMS templates that take the same parameters as `SD_MOVE_001`
    (what `parking.sms.move_car_params` fills in)."""
    from smartduty.notifications.ports import Channel  # noqa: PLC0415 - apps load first
    from smartduty.notifications.templates import MOVE_CAR_SMS, templates  # noqa: PLC0415

    registry = templates()
    base = registry.find(MOVE_CAR_SMS)
    wanted = set(base.variables) if base is not None else set()
    return [
        t.code for t in registry.values() if t.channel == Channel.SMS and set(t.variables) == wanted
    ]
