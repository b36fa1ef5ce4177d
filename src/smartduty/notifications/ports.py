"""What the notifications app needs from the outside: a `Sender` per channel and vendor.

Chinese SMS gateways only send pre-approved templates under a registered signature, so a
message is never free text: it is a template code plus parameters. `rendered_text` travels
along for adapters that need the final text (console, group bots) and for length checks.

Adapters (`notifications/providers/`) raise only `RetryableSendError` (timeouts, throttling,
5xx: try again later) or `PermanentSendError` (bad number, rejected template: give up), and
treat `idempotency_key` (the delivery's `public_id`) as "send at most once": a repeat with a
key they already accepted returns the earlier receipt. They never log a plain address; use
`mask_address`.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar, Protocol

from django.db import models

from smartduty.kernel.crypto import mask_phone


class Channel(models.TextChoices):
    """How a message reaches its recipient."""

    SMS = "sms", "短信"
    APP_PUSH = "app_push", "App 通知"
    GROUP_WEBHOOK = "group_webhook", "群机器人"


@dataclass(frozen=True)
class OutboundMessage:
    """One message handed to a sender. `address` is plain here and only here."""

    address: str = field(repr=False)
    template_code: str
    params: Mapping[str, str]
    signature: str
    rendered_text: str
    idempotency_key: str

    def __post_init__(self) -> None:
        """Freeze the parameters too."""
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


@dataclass(frozen=True)
class Receipt:
    """A provider's acceptance of a message."""

    provider_message_id: str
    accepted_at: datetime
    duplicate: bool = False
    """True when the provider had already accepted this idempotency key and did not resend."""


class SendError(Exception):
    """Base of the only errors a sender may raise."""


class RetryableSendError(SendError):
    """Temporary failure: the outbox tries again later with back-off."""


class PermanentSendError(SendError):
    """The message can never be sent as it is: the outbox marks the delivery failed."""


class Sender(Protocol):
    """A vendor (or console/test) adapter for one channel."""

    channel: ClassVar[Channel]

    def send(self, msg: OutboundMessage) -> Receipt:
        """Hand the message over; idempotent on `msg.idempotency_key`."""
        ...


class AcceptedKeys:
    """The receipts a vendor adapter got in this process, by idempotency key (the newest
    `size`): a repeat returns the earlier receipt with `duplicate=True` instead of calling the
    vendor again. It covers a retry after the outcome could not be recorded; across a worker
    restart only the vendor can drop the repeat (docs/operations/sms-vendor.md). Thread-safe."""

    def __init__(self, size: int) -> None:
        """Keep at most `size` keys; the oldest goes first."""
        self.size = size
        self._receipts: OrderedDict[str, Receipt] = OrderedDict()
        self._lock = threading.Lock()

    def earlier(self, key: str) -> Receipt | None:
        """The receipt already got for `key`, marked as a duplicate; None if there is none."""
        with self._lock:
            found = self._receipts.get(key)
        if found is None:
            return None
        return Receipt(
            provider_message_id=found.provider_message_id,
            accepted_at=found.accepted_at,
            duplicate=True,
        )

    def remember(self, key: str, receipt: Receipt) -> None:
        """Keep the vendor's receipt for `key`."""
        with self._lock:
            self._receipts[key] = receipt
            while len(self._receipts) > self.size:
                self._receipts.popitem(last=False)


def stores_in_database(sender: Sender) -> bool:
    """Does the sender only write rows of our own database (the console adapter)?

    Such a sender is called inside the transaction that records the outcome: its row and the
    delivery's status commit together, and a batch takes the write lock once (SQLite)
    instead of once per message. A sender that talks to a network never is: no transaction
    may stay open across a network call. Opt in with a class attribute
    `stores_in_database = True`.
    """
    return bool(getattr(sender, "stores_in_database", False))


SINGLE_SEGMENT_CHARS = 70
MULTI_SEGMENT_CHARS = 67


def sms_segments(text: str) -> int:
    """Billed SMS segments of a text as gateways count them (signature included): ≤ 70
    characters → 1, longer → one per 67 characters. Part of the SMS channel's contract: every
    adapter and the templates' length rules count the same way."""
    if len(text) <= SINGLE_SEGMENT_CHARS:
        return 1
    return math.ceil(len(text) / MULTI_SEGMENT_CHARS)


def mask_address(channel: str, address: str) -> str:
    """What may be shown or logged of an address: masked phone, officer id, webhook tail."""
    if channel == Channel.SMS:
        return mask_phone(address)
    if channel == Channel.GROUP_WEBHOOK:
        return f"webhook…{address[-4:]}" if len(address) > 8 else "webhook…"
    return address
