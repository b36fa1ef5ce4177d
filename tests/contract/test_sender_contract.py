"""The `Sender` port contract, run over every adapter we ship (console, recording).

A vendor adapter (aliyun_sms, tencent_sms, wecom_bot) joins by adding a `Harness` below,
driven against its sandbox or a recorded transport.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.utils import timezone

from smartduty.notifications.models import ConsoleMessage
from smartduty.notifications.ports import Channel, OutboundMessage, PermanentSendError, Sender
from smartduty.notifications.providers import console
from smartduty.notifications.providers.recording import RecordingSender

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Harness:
    """How to build an adapter, and how to count what it accepted for a key."""

    name: str
    make: Callable[[], Sender]
    accepted: Callable[[Sender, str], int]


def _console_accepted(sender: Sender, key: str) -> int:
    return ConsoleMessage.objects.filter(idempotency_key=key).count()


def _recording_accepted(sender: Sender, key: str) -> int:
    assert isinstance(sender, RecordingSender)
    return sum(1 for msg in sender.sent if msg.idempotency_key == key)


HARNESSES = [
    Harness("console-sms", lambda: console.SMS, _console_accepted),
    Harness("console-app_push", lambda: console.APP_PUSH, _console_accepted),
    Harness("console-group_webhook", lambda: console.GROUP_WEBHOOK, _console_accepted),
    Harness("recording-sms", RecordingSender, _recording_accepted),
    Harness(
        "recording-app_push",
        lambda: RecordingSender.for_channel(Channel.APP_PUSH),
        _recording_accepted,
    ),
    Harness(
        "recording-group_webhook",
        lambda: RecordingSender.for_channel(Channel.GROUP_WEBHOOK),
        _recording_accepted,
    ),
]


@pytest.fixture(params=HARNESSES, ids=[h.name for h in HARNESSES])
def harness(request: pytest.FixtureRequest) -> Harness:
    return request.param  # type: ignore[no-any-return]  # one of HARNESSES


def message(key: str | None = None, address: str = "13800138000") -> OutboundMessage:
    return OutboundMessage(
        address=address,
        template_code="SD_MOVE_001",
        params={"plate": "京AD12345"},
        signature="示范城管",
        rendered_text="【示范城管】车辆京AD12345于09:30停东昌路，请10分钟内驶离，非罚单sd.example/o/x",
        idempotency_key=key or str(uuid.uuid4()),
    )


def test_declares_its_channel(harness: Harness) -> None:
    sender = harness.make()
    assert isinstance(type(sender).channel, Channel)
    assert harness.name.endswith(type(sender).channel.value)


def test_accepts_a_message_with_a_receipt(harness: Harness) -> None:
    sender = harness.make()
    msg = message()
    before = timezone.now()
    receipt = sender.send(msg)
    assert receipt.provider_message_id
    assert isinstance(receipt.accepted_at, datetime)
    assert timezone.is_aware(receipt.accepted_at)
    assert receipt.accepted_at >= before
    assert receipt.duplicate is False
    assert harness.accepted(sender, msg.idempotency_key) == 1


def test_a_repeated_key_returns_the_first_receipt_and_sends_nothing(harness: Harness) -> None:
    sender = harness.make()
    msg = message()
    first = sender.send(msg)
    again = sender.send(msg)
    assert again.provider_message_id == first.provider_message_id
    assert again.accepted_at == first.accepted_at
    assert again.duplicate is True
    assert harness.accepted(sender, msg.idempotency_key) == 1


def test_different_keys_are_different_messages(harness: Harness) -> None:
    sender = harness.make()
    one, two = message(), message()
    assert sender.send(one).provider_message_id != sender.send(two).provider_message_id
    assert harness.accepted(sender, one.idempotency_key) == 1
    assert harness.accepted(sender, two.idempotency_key) == 1


def test_an_empty_address_is_a_permanent_error(harness: Harness) -> None:
    sender = harness.make()
    msg = message(address=" ")
    with pytest.raises(PermanentSendError):
        sender.send(msg)
    assert harness.accepted(sender, msg.idempotency_key) == 0
