"""The outbox pump: claim due deliveries, send them outside any transaction, record outcomes.

Registered as pump `notifications.outbox` in `NotificationsConfig.ready()`; `run_worker`
runs it in its own thread, looking for due messages every `DEFAULT_INTERVAL_S` (0.05 s)
when idle. Claiming, leases, back-off and giving up are the shared queue mechanism
(`kernel.queue`, through `services.OUTBOX`). Only `RetryableSendError` is retried;
`PermanentSendError` fails the delivery. A sender that breaks the port contract (raises
anything else) is logged and treated as retryable. If the worker dies between send and
record, the lease expires and the delivery is sent again with the same idempotency key,
which the provider deduplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from smartduty.kernel.crypto import decrypt_text
from smartduty.notifications import services
from smartduty.notifications.ports import (
    OutboundMessage,
    PermanentSendError,
    Receipt,
    RetryableSendError,
    stores_in_database,
)
from smartduty.notifications.providers import find_sender

logger = logging.getLogger(__name__)

OUTBOX_PUMP = services.OUTBOX.name
"""Name of the outbox pump in `run_worker`, and of its queue in the metrics."""
DEFAULT_INTERVAL_S = 0.05
"""Idle wait of the outbox pump (`settings.NOTIFICATIONS_PUMP_INTERVAL_S`): how long a newly
queued message may wait before the worker looks; each look is one indexed read."""


def send_next_due(now: datetime | None = None) -> bool:
    """Send one due delivery; False when nothing was due."""
    return send_due(now, limit=1) > 0


def send_due(now: datetime | None = None, *, limit: int | None = None) -> int:
    """Send up to `limit` (default `services.batch_size()`, 10) due deliveries; how many were
    claimed (0 when nothing was due).

    One transaction leases the batch, each message is sent outside any transaction, and one
    transaction records every outcome (on SQLite: two write locks per batch instead of two
    per message). If recording fails or the worker dies, the leases expire and the messages
    are sent again with the same idempotency keys, which providers deduplicate. A message
    whose lease ran out while earlier ones were being sent is left to be reclaimed.
    """
    claims = services.claim_due(now, limit=limit)
    if not claims:
        return 0
    live = [claim for claim in claims if not _lease_ran_out(claim)]
    local = [claim for claim in live if _stores_in_database(claim)]
    outcomes = [(claim, _send(claim)) for claim in live if claim not in local]
    with transaction.atomic():
        # senders that only write our own rows are called here: their row and the delivery's
        # outcome commit together (see `ports.stores_in_database`)
        outcomes += [(claim, _send(claim)) for claim in local]
        for claim, outcome in outcomes:
            if outcome.receipt is not None:
                services.record_sent(claim, outcome.receipt, now=now)
            else:
                services.record_failure(claim, outcome.error, retryable=outcome.retryable, now=now)
    return len(claims)


def _lease_ran_out(claim: services.Claim) -> bool:
    lease_until = claim.delivery.lease_until
    if lease_until is not None and timezone.now() >= lease_until:
        logger.warning("delivery lease ran out before sending id=%s", claim.delivery.public_id)
        return True
    return False


def _stores_in_database(claim: services.Claim) -> bool:
    sender = find_sender(channel=claim.delivery.channel, name=claim.delivery.provider)
    return sender is not None and stores_in_database(sender)


@dataclass(frozen=True)
class _Outcome:
    """What a provider said: a receipt, or an error and whether to try again."""

    receipt: Receipt | None = None
    error: str = ""
    retryable: bool = False


def _send(claim: services.Claim) -> _Outcome:
    delivery = claim.delivery
    sender = find_sender(channel=delivery.channel, name=delivery.provider)
    if sender is None:
        return _Outcome(error=f"发送通道 {delivery.provider} 未注册", retryable=True)
    try:
        address = decrypt_text(delivery.recipient_encrypted)
    except ValueError as exc:
        return _Outcome(error=f"收件地址无法解密：{exc}")
    message = OutboundMessage(
        address=address,
        template_code=delivery.template_code,
        params=delivery.params,
        signature=delivery.signature,
        rendered_text=delivery.rendered_text,
        idempotency_key=str(delivery.public_id),
    )
    try:
        return _Outcome(receipt=sender.send(message))
    except RetryableSendError as exc:
        return _Outcome(error=str(exc) or type(exc).__name__, retryable=True)
    except PermanentSendError as exc:
        return _Outcome(error=str(exc) or type(exc).__name__)
    except Exception as exc:
        logger.exception("sender %s broke the port contract", delivery.provider)
        return _Outcome(error=f"{type(exc).__name__}: {exc}", retryable=True)


def tick() -> int:
    """The outbox pump's tick: send a batch of due deliveries; how many (0: none was due)."""
    return send_due()
