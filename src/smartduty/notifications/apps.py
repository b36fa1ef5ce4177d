"""Notifications: the outbox (Delivery rows), templates, sender ports and adapters, receipts."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notifications app configuration.

    `ready()` registers the built-in templates, the console providers (every channel) and
    the outbox pump that `run_worker` runs.
    """

    name = "smartduty.notifications"
    label = "notifications"
    verbose_name = "消息通知"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wire templates, providers and the outbox pump."""
        from smartduty.kernel.registry import register_pump  # noqa: PLC0415 - wiring in ready()
        from smartduty.notifications import outbox, templates  # noqa: PLC0415
        from smartduty.notifications.providers import console, register_provider  # noqa: PLC0415

        templates.register_defaults()
        for sender in console.ALL:
            register_provider("console", sender)
        register_pump(outbox.OUTBOX_PUMP, outbox.tick, interval_s=1.0)
