"""Notifications: the outbox (Delivery rows), templates, sender ports and adapters, receipts."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notifications app configuration.

    `ready()` registers the built-in templates, the console providers (every channel), the
    SMS vendors whose credentials are set (`aliyun_sms`, `tencent_sms`), the registered SMS
    providers as the allowed values of a policy's `sms_provider`, the outbox
    pump that `run_worker` runs and the outbox queue (`services.OUTBOX`, for the kernel's
    queue metrics). The pump's idle wait is `settings.NOTIFICATIONS_PUMP_INTERVAL_S`
    (default `outbox.DEFAULT_INTERVAL_S`, 0.05 s): a message queued by a request goes out
    within about that long. An idle check is two indexed reads, so a short interval is
    cheap.
    """

    name = "smartduty.notifications"
    label = "notifications"
    verbose_name = "消息通知"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Wire templates, providers and the outbox pump."""
        from django.conf import settings  # noqa: PLC0415

        from smartduty.kernel.queue import register_queue  # noqa: PLC0415 - wiring in ready()
        from smartduty.kernel.registry import register_pump  # noqa: PLC0415
        from smartduty.kernel.rotation import (  # noqa: PLC0415
            EncryptedField,
            register_encrypted_field,
        )
        from smartduty.notifications import outbox, services, templates  # noqa: PLC0415
        from smartduty.notifications.addresses import recipient_digest  # noqa: PLC0415
        from smartduty.notifications.models import Delivery  # noqa: PLC0415
        from smartduty.notifications.providers import (  # noqa: PLC0415
            aliyun_sms,
            console,
            register_provider,
            tencent_sms,
        )
        from smartduty.policy.choices import register_choices  # noqa: PLC0415

        def refresh_digest(row: object, address: str) -> None:
            assert isinstance(row, Delivery)  # noqa: S101 - registered for Delivery only
            row.recipient_digest = recipient_digest(row.channel, address)

        register_encrypted_field(
            "notifications.recipient",
            EncryptedField(Delivery, "recipient_encrypted", ("recipient_digest",), refresh_digest),
        )
        templates.register_defaults()
        for sender in console.ALL:
            register_provider("console", sender)
        # a vendor is registered only when its credentials are set (settings.SMS_*)
        aliyun_sms.register_if_configured()
        tencent_sms.register_if_configured(template_lookup=templates.get_template)
        register_choices("sms_provider", label="短信通道", values=sms_provider_names)
        interval = getattr(settings, "NOTIFICATIONS_PUMP_INTERVAL_S", outbox.DEFAULT_INTERVAL_S)
        register_pump(outbox.OUTBOX_PUMP, outbox.tick, interval_s=float(interval))
        register_queue(services.OUTBOX)


def sms_provider_names() -> list[str]:
    """The SMS providers registered now: what a district's policy may name."""
    from smartduty.notifications.ports import Channel  # noqa: PLC0415 - apps load first
    from smartduty.notifications.providers import provider_names  # noqa: PLC0415

    return provider_names(channel=Channel.SMS)
