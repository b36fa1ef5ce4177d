"""The outbox pump: claim a due delivery, send it outside any transaction, record the outcome.

Registered as pump `notifications.outbox` in `NotificationsConfig.ready()`; `run_worker`
runs it in its own thread. Only `RetryableSendError` is retried; `PermanentSendError` fails
the delivery. A sender that breaks the port contract (raises anything else) is logged and
treated as retryable. If the worker dies between send and record, the lease expires and the
delivery is sent again with the same idempotency key, which the provider deduplicates.
"""

from __future__ import annotations

import logging
from datetime import datetime

from smartduty.kernel.crypto import decrypt_text
from smartduty.notifications import services
from smartduty.notifications.ports import (
    OutboundMessage,
    PermanentSendError,
    RetryableSendError,
)
from smartduty.notifications.providers import find_sender

logger = logging.getLogger(__name__)

OUTBOX_PUMP = "notifications.outbox"
DEFAULT_INTERVAL_S = 0.1
"""Idle wait of the outbox pump (`settings.NOTIFICATIONS_PUMP_INTERVAL_S`): how long a newly
queued message may wait before the worker looks; each look is one indexed read."""


def send_next_due(now: datetime | None = None) -> bool:
    """Send one due delivery; False when nothing was due."""
    claim = services.claim_next_due(now)
    if claim is None:
        return False
    delivery = claim.delivery
    sender = find_sender(channel=delivery.channel, name=delivery.provider)
    if sender is None:
        services.record_failure(
            claim, f"发送通道 {delivery.provider} 未注册", retryable=True, now=now
        )
        return True
    try:
        address = decrypt_text(delivery.recipient_encrypted)
    except ValueError as exc:
        services.record_failure(claim, f"收件地址无法解密：{exc}", retryable=False, now=now)
        return True
    message = OutboundMessage(
        address=address,
        template_code=delivery.template_code,
        params=delivery.params,
        signature=delivery.signature,
        rendered_text=delivery.rendered_text,
        idempotency_key=str(delivery.public_id),
    )
    try:
        receipt = sender.send(message)
    except RetryableSendError as exc:
        services.record_failure(claim, str(exc) or type(exc).__name__, retryable=True, now=now)
    except PermanentSendError as exc:
        services.record_failure(claim, str(exc) or type(exc).__name__, retryable=False, now=now)
    except Exception as exc:
        logger.exception("sender %s broke the port contract", delivery.provider)
        services.record_failure(claim, f"{type(exc).__name__}: {exc}", retryable=True, now=now)
    else:
        services.record_sent(claim, receipt, now=now)
    return True


def tick() -> bool:
    """The outbox pump's tick."""
    return send_next_due()
