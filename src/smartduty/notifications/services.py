"""Outbox use cases: request a message, cancel it, and the claim/record steps of the pump.

Domain code calls `request()` inside its own transaction; the row commits (or not) with the
decision that needed the message, and nothing is sent inline. The outbox pump
(`notifications.outbox`) then claims due deliveries with a lease (`claim_due`, or one with
`claim_next_due`), sends them outside any transaction and records the outcomes
(`record_sent` / `record_failure`). Deliveries are the leased queue `OUTBOX` of
`kernel.queue`, which they share with the timers: claiming, leases (60 s), back-off
(5 s · 2^(tries-1), at most 5 min), giving up after `MAX_ATTEMPTS` (6) tries and the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from smartduty.kernel.crypto import encrypt_text
from smartduty.kernel.errors import ValidationFailed
from smartduty.kernel.queue import (
    ERROR_MAX_CHARS,
    Failure,
    Lease,
    Queue,
    RetryPolicy,
    log_on_commit,
    send_safely,
)
from smartduty.notifications import templates
from smartduty.notifications.addresses import normalise_address, recipient_digest
from smartduty.notifications.events import delivery_failed, delivery_sent
from smartduty.notifications.models import Delivery, DeliveryAttempt
from smartduty.notifications.ports import Channel, Receipt, mask_address
from smartduty.notifications.providers import find_sender
from smartduty.notifications.states import OPEN, TERMINAL, AttemptOutcome, DeliveryStatus

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60
"""How long a claimed delivery is ours; a sender must time out well before (httpx timeouts).

`settings.NOTIFICATIONS_LEASE_SECONDS` overrides it (the worker crash tests use 2 s)."""
RETRY = RetryPolicy(base_seconds=5, cap_seconds=300, max_attempts=6)
"""A retryable failure is tried again after 5 s, 10 s, 20 s … at most 5 min; 6 tries in all."""
MAX_ATTEMPTS = RETRY.max_attempts
"""Send attempts before a retryable failure becomes final."""
backoff = RETRY.backoff
"""Wait before the next try after `attempts` tries: 5 s · 2^(attempts-1), ≤ 5 min."""
DEFAULT_BATCH_SIZE = 10
"""Deliveries the outbox pump leases per claim (`settings.NOTIFICATIONS_BATCH_SIZE`)."""


def _describe(delivery: Delivery) -> str:
    return f"id={delivery.public_id}"


def _close_expired_attempt(delivery: Delivery, moment: datetime) -> None:
    """A reclaimed lease: the try its worker started ended with the worker."""
    DeliveryAttempt.objects.filter(delivery=delivery, outcome=AttemptOutcome.IN_PROGRESS).update(
        outcome=AttemptOutcome.LEASE_EXPIRED,
        finished_at=moment,
        error="租约过期：worker 在发送过程中中断",
    )


OUTBOX: Queue[Delivery] = Queue(
    name="notifications.outbox",
    model=Delivery,
    describe=_describe,
    due_field="next_attempt_at",
    retry=RETRY,
    batch_setting="NOTIFICATIONS_BATCH_SIZE",
    batch_default=DEFAULT_BATCH_SIZE,
    dead_letter=delivery_failed,
    lease=Lease(
        status=DeliveryStatus.SENDING,
        field="lease_until",
        setting="NOTIFICATIONS_LEASE_SECONDS",
        default_seconds=DEFAULT_LEASE_SECONDS,
        abandoned_error="多次发送中断，已放弃",
    ),
    on_reclaim=_close_expired_attempt,
)
"""The outbox as a leased queue: sends run outside any transaction, under a lease."""


def lease() -> timedelta:
    """The lease a worker takes on a delivery it is about to send."""
    return OUTBOX.lease_duration()


def request(
    *,
    channel: Channel | str,
    address: str,
    template_code: str,
    params: Mapping[str, str],
    signature: str,
    subject_type: str,
    subject_id: str,
    dedupe_key: str | None = None,
    provider: str = "console",
    not_before: datetime | None = None,
) -> Delivery:
    """Queue one templated message, in the caller's transaction; nothing is sent here.

    Validates the template, parameters, signature and address (`ValidationFailed`), renders
    the text, stores the address encrypted with a masked copy, and returns the `pending`
    delivery. With a `dedupe_key` that already exists, the existing delivery is returned and
    no second message is queued. `not_before` delays the first send (quiet hours).
    """
    channel = Channel(channel)
    template = templates.get_template(template_code)
    if template.channel != channel:
        raise ValidationFailed(f"模板 {template_code} 不适用于{channel.label}渠道")
    if find_sender(channel=channel, name=provider) is None:
        raise ValidationFailed(f"未配置的{channel.label}发送通道：{provider}")
    normalised = normalise_address(channel, address)
    digest = recipient_digest(channel, normalised)
    rendered = templates.render(template_code, params, signature)
    delivery = Delivery(
        channel=channel,
        recipient_encrypted=encrypt_text(normalised),
        recipient_masked=mask_address(channel, normalised),
        recipient_digest=digest,
        template_code=template_code,
        params=dict(params),
        signature=signature,
        rendered_text=rendered,
        provider=provider,
        subject_type=subject_type,
        subject_id=str(subject_id),
        dedupe_key=dedupe_key,
        next_attempt_at=not_before or timezone.now(),
    )
    delivery.full_clean(validate_unique=False, validate_constraints=False)
    # insert first (the usual case: the key is new), read the existing one only on a clash
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        existing = _with_key(dedupe_key) if dedupe_key is not None else None
        if existing is None:
            raise
        return existing
    return delivery


def _with_key(dedupe_key: str) -> Delivery | None:
    return Delivery.objects.filter(dedupe_key=dedupe_key).first()


def cancel_pending(*, subject_type: str, subject_id: str) -> int:
    """Cancel the subject's deliveries that no worker has claimed yet; returns how many."""
    return Delivery.objects.filter(
        subject_type=subject_type, subject_id=str(subject_id), status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED)


@dataclass(frozen=True)
class Erasure:
    """What `erase_recipients` did: addresses erased, and messages still on their way."""

    erased: int
    unfinished: int


def erase_recipients(
    *, subject_type: str, subject_id: str, channel: str = Channel.SMS, now: datetime | None = None
) -> Erasure:
    """Erase the stored addresses of the subject's finished messages on `channel`.

    The encrypted address and its digest are blanked and `recipient_erased_at` is set; the
    masked copy (`138****0000`), the text and the attempts stay for the record. Messages still
    pending or being sent keep their address (they need it) and are counted as `unfinished`,
    so that the caller can come back later. Idempotent; run it in the caller's transaction.
    """
    mine = Delivery.objects.filter(
        subject_type=subject_type, subject_id=str(subject_id), channel=channel
    )
    erased = mine.filter(status__in=TERMINAL, recipient_erased_at__isnull=True).update(
        recipient_encrypted="", recipient_digest="", recipient_erased_at=now or timezone.now()
    )
    return Erasure(erased=erased, unfinished=mine.filter(status__in=OPEN).count())


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds a lease on, and the attempt row recording the try."""

    delivery: Delivery
    attempt_id: int


def batch_size() -> int:
    """Deliveries leased per claim (`settings.NOTIFICATIONS_BATCH_SIZE`, default 10)."""
    return OUTBOX.batch_size()


def claim_next_due(now: datetime | None = None) -> Claim | None:
    """Lease the next due delivery in a short transaction; None when nothing is due.

    Expired leases come first: their worker died mid-send, so they are sent again (the
    provider deduplicates on the idempotency key). A delivery whose worker died on every one
    of its `MAX_ATTEMPTS` tries is marked failed instead of being tried again.
    """
    claims = claim_due(now, limit=1)
    return claims[0] if claims else None


def claim_due(now: datetime | None = None, *, limit: int | None = None) -> list[Claim]:
    """Lease up to `limit` (default `batch_size()`) due deliveries in one short transaction,
    in the order `claim_next_due` takes them; [] when nothing is due.

    One transaction for the batch means one write lock (SQLite) and one commit instead of
    one per message; each delivery still gets its own lease and attempt row.
    """
    moment = now or timezone.now()
    with OUTBOX.claim(moment, limit or batch_size()) as leased:
        return [
            Claim(
                delivery=delivery,
                attempt_id=DeliveryAttempt.objects.create(delivery=delivery, started_at=moment).pk,
            )
            for delivery in leased
        ]


def record_sent(claim: Claim, receipt: Receipt, now: datetime | None = None) -> Delivery | None:
    """Record a provider's acceptance; sends `delivery_sent`. None if the lease was lost."""
    moment = now or timezone.now()
    with transaction.atomic():
        _close_attempt(claim, AttemptOutcome.SENT, moment, message_id=receipt.provider_message_id)
        delivery = OUTBOX.holds_lease(claim.delivery)
        if delivery is None:
            return None
        delivery.status = DeliveryStatus.SENT
        delivery.lease_until = None
        delivery.sent_at = moment
        delivery.last_error = ""
        delivery.provider_message_id = receipt.provider_message_id
        delivery.save(
            update_fields=["status", "lease_until", "sent_at", "last_error", "provider_message_id"]
        )
        send_safely(delivery_sent, sender=Delivery, delivery=delivery)
    log_on_commit(  # the outbox records a batch in one transaction
        logging.INFO,
        "delivery sent id=%s channel=%s to=%s provider=%s attempts=%s duplicate=%s",
        delivery.public_id,
        delivery.channel,
        delivery.recipient_masked,
        delivery.provider,
        delivery.attempts,
        receipt.duplicate,
        to=logger,
    )
    return delivery


def record_failure(
    claim: Claim, error: str, *, retryable: bool, now: datetime | None = None
) -> Delivery | None:
    """Record a failed try: back off and retry, or give up (`delivery_failed`).

    A retryable failure becomes final after `MAX_ATTEMPTS` tries. None if the lease was lost.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        delivery = OUTBOX.holds_lease(claim.delivery)
        failure = Failure.RETRY if retryable else Failure.DEAD
        if delivery is not None:
            failure = OUTBOX.fail(delivery, error, moment, retryable=retryable)
        outcome = AttemptOutcome.RETRY if failure is Failure.RETRY else AttemptOutcome.FAILED
        _close_attempt(claim, outcome, moment, error=error[:ERROR_MAX_CHARS])
    return delivery


def _close_attempt(
    claim: Claim,
    outcome: AttemptOutcome,
    moment: datetime,
    *,
    error: str = "",
    message_id: str = "",
) -> None:
    DeliveryAttempt.objects.filter(pk=claim.attempt_id).update(
        outcome=outcome, finished_at=moment, error=error, provider_message_id=message_id
    )
