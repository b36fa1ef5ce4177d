"""Notifications: the outbox (Delivery rows), templates, sender ports and adapters, receipts."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Notifications app configuration."""

    name = "smartduty.notifications"
    label = "notifications"
    verbose_name = "消息通知"
    default_auto_field = "django.db.models.BigAutoField"
