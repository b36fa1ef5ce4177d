"""The recording provider: an in-memory fake for tests, idempotent on the message key.

`fail_next(...)` queues errors the next sends raise, so tests drive retries and permanent
failures without mocks. Not registered in production; tests add it with
`senders().override(provider_key(channel=..., name="recording"), sender)`.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import ClassVar

from django.utils import timezone

from smartduty.notifications.ports import (
    AcceptedKeys,
    Channel,
    OutboundMessage,
    PermanentSendError,
    Receipt,
    SendError,
)


class RecordingSender:
    """Keeps what it was asked to send; SMS by default, see `for_channel`."""

    channel: ClassVar[Channel] = Channel.SMS
    _ids = itertools.count(1)

    def __init__(self) -> None:
        """An empty recorder."""
        self.sent: list[OutboundMessage] = []
        self.calls = 0
        self._accepted = AcceptedKeys(size=1_000_000)
        self._failures: deque[SendError] = deque()
        self._lock = threading.Lock()

    def send(self, msg: OutboundMessage) -> Receipt:
        """Record the message once per idempotency key, or raise a queued failure."""
        with self._lock:
            self.calls += 1
            if self._failures:
                raise self._failures.popleft()
            if not msg.address.strip():
                raise PermanentSendError("收件地址为空")
            earlier = self._accepted.earlier(msg.idempotency_key)
            if earlier is not None:
                return earlier
            receipt = Receipt(
                provider_message_id=f"rec-{next(self._ids)}", accepted_at=timezone.now()
            )
            self._accepted.remember(msg.idempotency_key, receipt)
            self.sent.append(msg)
            return receipt

    def fail_next(self, *errors: SendError) -> None:
        """The next sends raise these errors, in order."""
        with self._lock:
            self._failures.extend(errors)

    def texts(self) -> list[str]:
        """Rendered texts of the messages accepted so far."""
        return [msg.rendered_text for msg in self.sent]

    @classmethod
    def for_channel(cls, channel: Channel) -> RecordingSender:
        """A recorder for another channel."""
        return _BY_CHANNEL[channel]()


class RecordingAppPushSender(RecordingSender):
    """Recorder for officer-app notifications."""

    channel: ClassVar[Channel] = Channel.APP_PUSH


class RecordingGroupWebhookSender(RecordingSender):
    """Recorder for group-bot messages."""

    channel: ClassVar[Channel] = Channel.GROUP_WEBHOOK


_BY_CHANNEL: dict[Channel, type[RecordingSender]] = {
    Channel.SMS: RecordingSender,
    Channel.APP_PUSH: RecordingAppPushSender,
    Channel.GROUP_WEBHOOK: RecordingGroupWebhookSender,
}
