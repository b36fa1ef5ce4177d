"""Statuses of the outbox."""

from __future__ import annotations

from typing import Final

from django.db import models


class DeliveryStatus(models.TextChoices):
    """Where a message stands in the outbox."""

    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    CANCELLED = "cancelled", "已取消"


OPEN: Final = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING})
TERMINAL: Final = frozenset({DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED})


class AttemptOutcome(models.TextChoices):
    """How one send attempt ended."""

    IN_PROGRESS = "in_progress", "进行中"
    SENT = "sent", "成功"
    RETRY = "retry", "失败，稍后重试"
    FAILED = "failed", "失败，不再重试"
    LEASE_EXPIRED = "lease_expired", "租约过期（worker 中断）"


class ReceiptStatus(models.TextChoices):
    """What the vendor's delivery report (回执) said about a `sent` message.

    Kept apart from `DeliveryStatus` on purpose: the outbox status says whether *we* handed the
    message over (the leased queue of `kernel.queue` only knows pending/sending/failed), the
    receipt says whether the *handset* got it, later and only for vendors that report. Empty
    until a report arrives; the first delivered/undelivered report is final.
    """

    DELIVERED = "delivered", "已送达"
    UNDELIVERED = "undelivered", "未送达"
