"""The outbox pump: send once, retry, give up, reclaim expired leases, keep exactly-once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from smartduty.kernel.registry import PUMPS
from smartduty.notifications import outbox, services
from smartduty.notifications.events import delivery_failed, delivery_sent
from smartduty.notifications.models import ConsoleMessage, Delivery, DeliveryAttempt
from smartduty.notifications.ports import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    RetryableSendError,
)
from smartduty.notifications.providers import console, provider_key, senders
from smartduty.notifications.providers.recording import RecordingSender
from smartduty.notifications.states import AttemptOutcome, DeliveryStatus
from tests.factories.notifications import PHONE, make_sms

pytestmark = pytest.mark.django_db


@pytest.fixture
def now() -> datetime:
    return timezone.now() + timedelta(seconds=1)


@pytest.fixture
def signals() -> Iterator[dict[str, list[Delivery]]]:
    received: dict[str, list[Delivery]] = {"sent": [], "failed": []}

    def on_sent(sender: Any, *, delivery: Delivery, **kwargs: Any) -> None:
        received["sent"].append(delivery)

    def on_failed(sender: Any, *, delivery: Delivery, **kwargs: Any) -> None:
        received["failed"].append(delivery)

    delivery_sent.connect(on_sent, dispatch_uid="tests.sent")
    delivery_failed.connect(on_failed, dispatch_uid="tests.failed")
    yield received
    delivery_sent.disconnect(dispatch_uid="tests.sent")
    delivery_failed.disconnect(dispatch_uid="tests.failed")


def attempts_of(delivery: Delivery) -> list[str]:
    return list(
        DeliveryAttempt.objects.filter(delivery=delivery)
        .order_by("id")
        .values_list("outcome", flat=True)
    )


def test_the_pump_sends_each_delivery_once(
    sms: RecordingSender, now: datetime, signals: dict[str, list[Delivery]]
) -> None:
    delivery = make_sms()
    assert outbox.send_next_due(now)
    assert not outbox.send_next_due(now)
    assert sms.texts() == [delivery.rendered_text]
    message = sms.sent[0]
    assert message.address == PHONE
    assert message.idempotency_key == str(delivery.public_id)
    assert message.rendered_text == delivery.rendered_text
    assert message.template_code == "SD_MOVE_001"
    assert message.signature == "示范城管"
    assert dict(message.params) == delivery.params
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.sent_at == now
    assert delivery.provider_message_id.startswith("rec-")
    assert (delivery.attempts, delivery.lease_until, delivery.last_error) == (1, None, "")
    assert attempts_of(delivery) == [AttemptOutcome.SENT]
    assert [d.pk for d in signals["sent"]] == [delivery.pk]


def test_nothing_is_sent_before_it_is_due(sms: RecordingSender, now: datetime) -> None:
    make_sms(not_before=now + timedelta(minutes=5))
    assert not outbox.send_next_due(now)
    assert not outbox.tick()
    assert sms.calls == 0


def test_tick_sends_what_is_due(sms: RecordingSender) -> None:
    make_sms()
    assert outbox.tick()
    assert len(sms.sent) == 1


def test_a_retryable_error_backs_off_then_succeeds(
    sms: RecordingSender,
    now: datetime,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    delivery = make_sms()
    sms.fail_next(RetryableSendError("isv.BUSINESS_LIMIT_CONTROL"), RetryableSendError())
    with django_capture_on_commit_callbacks(execute=True):  # the log line waits for the commit
        outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == "isv.BUSINESS_LIMIT_CONTROL"
    assert delivery.next_attempt_at == now + timedelta(seconds=5)
    assert delivery.lease_until is None
    assert "delivery retry" in caplog.text
    assert not outbox.send_next_due(now + timedelta(seconds=4))
    outbox.send_next_due(now + timedelta(seconds=5))
    delivery.refresh_from_db()
    assert delivery.last_error == "RetryableSendError"
    assert delivery.next_attempt_at == now + timedelta(seconds=15)
    outbox.send_next_due(now + timedelta(seconds=15))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert attempts_of(delivery) == [
        AttemptOutcome.RETRY,
        AttemptOutcome.RETRY,
        AttemptOutcome.SENT,
    ]
    assert len(sms.sent) == 1


def test_retries_run_out(
    sms: RecordingSender, now: datetime, signals: dict[str, list[Delivery]]
) -> None:
    delivery = make_sms()
    sms.fail_next(*[RetryableSendError("timeout")] * services.MAX_ATTEMPTS)
    moment = now
    for _ in range(services.MAX_ATTEMPTS):
        assert outbox.send_next_due(moment)
        delivery.refresh_from_db()
        moment = delivery.next_attempt_at
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, services.MAX_ATTEMPTS)
    assert attempts_of(delivery)[-1] == AttemptOutcome.FAILED
    assert [d.pk for d in signals["failed"]] == [delivery.pk]
    assert not outbox.send_next_due(moment + timedelta(days=1))


def test_a_permanent_error_fails_at_once(
    sms: RecordingSender, now: datetime, signals: dict[str, list[Delivery]]
) -> None:
    delivery = make_sms()
    sms.fail_next(PermanentSendError("isv.MOBILE_NUMBER_ILLEGAL"))
    outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert delivery.last_error == "isv.MOBILE_NUMBER_ILLEGAL"
    assert attempts_of(delivery) == [AttemptOutcome.FAILED]
    assert [d.pk for d in signals["failed"]] == [delivery.pk]
    assert signals["sent"] == []


def test_a_permanent_error_without_a_message_records_its_type(
    sms: RecordingSender, now: datetime
) -> None:
    delivery = make_sms()
    sms.fail_next(PermanentSendError())
    outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert delivery.last_error == "PermanentSendError"


class Broken:
    """A sender that breaks the port contract."""

    channel = Channel.SMS

    def send(self, msg: OutboundMessage) -> Any:
        raise KeyError(f"vendor SDK surprise for {msg.template_code}")


def test_a_sender_breaking_the_contract_is_retried(
    now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    with senders().override(provider_key(channel="sms", name="broken"), Broken()):
        delivery = make_sms(provider="broken")
        outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "KeyError: 'vendor SDK surprise for SD_MOVE_001'"
    assert "sender broken broke the port contract" in caplog.text


def test_a_provider_that_disappeared_is_retried(now: datetime) -> None:
    recorder = RecordingSender()
    with senders().override(provider_key(channel="sms", name="gone"), recorder):
        delivery = make_sms(provider="gone")
    outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "发送通道 gone 未注册"


def test_an_undecryptable_address_fails(sms: RecordingSender, now: datetime) -> None:
    delivery = make_sms()
    Delivery.objects.filter(pk=delivery.pk).update(recipient_encrypted="f1:garbage")
    outbox.send_next_due(now)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("收件地址无法解密")
    assert sms.calls == 0


def test_an_expired_lease_is_reclaimed_and_sent(
    sms: RecordingSender, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    delivery = make_sms()
    claim = services.claim_next_due(now)  # a worker claims it, then dies
    assert claim is not None
    assert claim.delivery.status == DeliveryStatus.SENDING
    assert claim.delivery.lease_until == now + services.lease()
    assert not outbox.send_next_due(now + timedelta(seconds=59))
    assert outbox.send_next_due(now + timedelta(seconds=60))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert attempts_of(delivery) == [AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.SENT]
    assert "delivery lease expired" in caplog.text
    assert len(sms.sent) == 1


def test_a_delivery_whose_worker_always_dies_is_given_up(
    sms: RecordingSender, now: datetime, signals: dict[str, list[Delivery]]
) -> None:
    delivery = make_sms()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=services.MAX_ATTEMPTS,
        lease_until=now - timedelta(seconds=1),
    )
    assert services.claim_next_due(now) is None
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "多次发送中断，已放弃"
    assert [d.pk for d in signals["failed"]] == [delivery.pk]
    assert sms.calls == 0


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_owner(
    sms: RecordingSender, now: datetime
) -> None:
    make_sms()
    slow = services.claim_next_due(now)
    fast = services.claim_next_due(now + services.lease())
    assert slow is not None
    assert fast is not None
    receipt = sms.send(
        OutboundMessage(
            address=PHONE,
            template_code="SD_MOVE_001",
            params={},
            signature="",
            rendered_text="x",
            idempotency_key=str(slow.delivery.public_id),
        )
    )
    assert services.record_sent(slow, receipt) is None
    assert services.record_failure(slow, "late timeout", retryable=True) is None
    assert services.record_failure(slow, "late rejection", retryable=False) is None
    finished = services.record_sent(fast, receipt)
    assert finished is not None
    assert finished.status == DeliveryStatus.SENT
    assert finished.attempts == 2


def test_console_keeps_exactly_once_when_the_worker_dies_after_sending(
    now: datetime,
) -> None:
    delivery = make_sms(provider="console")
    claim = services.claim_next_due(now)
    assert claim is not None
    message = OutboundMessage(
        address=PHONE,
        template_code=delivery.template_code,
        params=delivery.params,
        signature=delivery.signature,
        rendered_text=delivery.rendered_text,
        idempotency_key=str(delivery.public_id),
    )
    first = console.SMS.send(message)  # the provider accepted; the worker died before recording
    assert outbox.send_next_due(now + services.lease())
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_message_id == first.provider_message_id
    assert ConsoleMessage.objects.count() == 1
    stored = ConsoleMessage.objects.get()
    assert stored.recipient_masked == "138****8000"
    assert stored.text == delivery.rendered_text
    assert stored.segments == 1
    assert str(stored).startswith("138****8000: 【示范城管】")


def test_console_row_and_delivery_outcome_commit_together(
    now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    delivery = make_sms(provider="console")

    def broken_record(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away while recording")

    monkeypatch.setattr(services, "record_sent", broken_record)
    with pytest.raises(RuntimeError):
        outbox.send_next_due(now)
    assert ConsoleMessage.objects.count() == 0  # rolled back with the failed recording
    monkeypatch.undo()
    assert outbox.send_next_due(now + services.lease())  # the lease ran out: sent again
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert ConsoleMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # no test transaction around the pump
def test_a_network_sender_is_never_called_inside_a_transaction(now: datetime) -> None:
    seen: list[bool] = []

    class NetworkSender(RecordingSender):
        def send(self, msg: OutboundMessage) -> Any:
            seen.append(connection.in_atomic_block)
            return super().send(msg)

    class DatabaseSender(RecordingSender):
        stores_in_database = True

        def send(self, msg: OutboundMessage) -> Any:
            seen.append(connection.in_atomic_block)
            return super().send(msg)

    with senders().override(provider_key(channel=Channel.SMS, name="net"), NetworkSender()):
        make_sms(provider="net")
        assert outbox.send_next_due(now)
    with senders().override(provider_key(channel=Channel.SMS, name="db"), DatabaseSender()):
        make_sms(provider="db")
        assert outbox.send_next_due(now)
    assert seen == [False, True]  # the console kind runs inside the recording transaction


def test_a_raising_delivery_sent_receiver_keeps_the_delivery_sent(
    sms: RecordingSender, now: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    def receiver(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("stats down")

    delivery_sent.connect(receiver, dispatch_uid="tests.raising")
    try:
        delivery = make_sms()
        outbox.send_next_due(now)
    finally:
        delivery_sent.disconnect(dispatch_uid="tests.raising")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert "receiver raised" in caplog.text


def test_the_plain_number_is_never_logged(
    now: datetime, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    make_sms(provider="console")
    outbox.send_next_due(now)
    out, err = capsys.readouterr()
    assert "138****8000" in caplog.text
    for text in (caplog.text, out, err):
        assert PHONE not in text


def test_the_lease_can_be_configured(settings: Any) -> None:
    assert services.lease() == timedelta(seconds=services.DEFAULT_LEASE_SECONDS)
    settings.NOTIFICATIONS_LEASE_SECONDS = 2
    assert services.lease() == timedelta(seconds=2)


def test_the_outbox_pump_is_registered() -> None:
    assert PUMPS.get(outbox.OUTBOX_PUMP).tick is outbox.tick
