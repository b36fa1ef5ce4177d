"""Outbox reads."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db.models import QuerySet

from smartduty.kernel.errors import NotFound
from smartduty.notifications.addresses import recipient_digests
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel
from smartduty.notifications.states import DeliveryStatus


def list_app_notifications(
    *, officer_public_id: UUID | str, since: datetime | None = None
) -> QuerySet[Delivery]:
    """An officer's app notifications, newest first (all but cancelled ones).

    The delivery row is the officer's inbox: it shows up as soon as the decision that
    requested it commits. `since` keeps only rows created after that instant (polling).
    The caller makes sure the officer is the principal (or someone allowed to read along).
    """
    rows = Delivery.objects.filter(
        channel=Channel.APP_PUSH,
        recipient_digest__in=recipient_digests(Channel.APP_PUSH, str(UUID(str(officer_public_id)))),
    ).exclude(status=DeliveryStatus.CANCELLED)
    if since is not None:
        rows = rows.filter(created_at__gt=since)
    return rows.order_by("-created_at", "-id")


def count_subjects_texted(*, channel: str, address: str, subject_type: str, since: datetime) -> int:
    """How many `subject_type` objects sent `address` a message on `channel` since `since`
    (cancelled messages not counted). Compared on the keyed digest under the current and
    fallback field keys, never the plain address; `address` must be normalised
    (`addresses.normalise_address`)."""
    return (
        Delivery.objects.filter(
            channel=channel,
            recipient_digest__in=recipient_digests(channel, address),
            subject_type=subject_type,
            created_at__gte=since,
        )
        .exclude(status=DeliveryStatus.CANCELLED)
        .values("subject_id")
        .distinct()
        .count()
    )


def list_deliveries_for_subject(*, subject_type: str, subject_id: str) -> QuerySet[Delivery]:
    """Every delivery requested for one business object, oldest first."""
    return Delivery.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "created_at", "id"
    )


def get_delivery(*, public_id: UUID | str) -> Delivery:
    """One delivery by public id, or `NotFound`."""
    delivery = Delivery.objects.filter(public_id=public_id).first()
    if delivery is None:
        raise NotFound("未找到该消息记录")
    return delivery
