"""Back office for the outbox: deliveries and the console SMS store, both read-only.

Addresses appear only masked; nobody edits a delivery by hand (resends go through services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from smartduty.kernel.admin_support import ReadOnlyAdmin
from smartduty.notifications.models import (
    ConsoleMessage,
    Delivery,
    DeliveryAttempt,
    DeliveryReceipt,
)


class DeliveryAttemptInline(admin.TabularInline):  # type: ignore[type-arg]  # any model
    """Every try of a delivery."""

    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ("started_at", "finished_at", "outcome", "error", "provider_message_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # noqa: ARG002
        return False


class DeliveryReceiptInline(admin.TabularInline):  # type: ignore[type-arg]  # any model
    """Every delivery report (回执) the vendor pushed for a delivery, as received."""

    model = DeliveryReceipt
    extra = 0
    can_delete = False
    fields = (
        "received_at",
        "vendor",
        "raw_status",
        "code",
        "description",
        "reported_at",
        "is_applied",
        "provider_message_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # noqa: ARG002
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """消息投递: what was (or will be) sent to whom, masked."""

    list_display = (
        "created_at",
        "channel",
        "recipient_masked",
        "template_code",
        "status",
        "attempts",
        "rendered_text",
        "sent_at",
        "receipt_status",
        "recipient_erased_at",
    )
    list_filter = ("status", "receipt_status", "channel", "provider", "template_code")
    search_fields = ("public_id", "subject_id", "recipient_masked", "provider_message_id")
    date_hierarchy = "created_at"
    exclude = ("recipient_encrypted", "recipient_digest")
    inlines = (DeliveryAttemptInline, DeliveryReceiptInline)


@admin.register(ConsoleMessage)
class ConsoleMessageAdmin(ReadOnlyAdmin):
    """控制台短信: the demo outbox, what an SMS gateway would have delivered."""

    list_display = ("created_at", "channel", "recipient_masked", "text", "segments")
    list_filter = ("channel", "template_code")
    search_fields = ("recipient_masked", "text", "idempotency_key")
    date_hierarchy = "created_at"

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """This list is unscoped (every district's SMS), so it also needs the city-wide
        `view_delivery`; field roles see their reports' copies through the scoped API."""
        return super().has_view_permission(request, obj) and request.user.has_perm(
            "notifications.view_delivery"
        )
