"""notifications.services.request: validation, encryption, dedupe, the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from smartduty.kernel.crypto import decrypt_text
from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import services
from smartduty.notifications.models import Delivery
from smartduty.notifications.ports import Channel, mask_address
from smartduty.notifications.providers.recording import RecordingSender
from smartduty.notifications.states import DeliveryStatus
from smartduty.notifications.templates import APP_NOTICE, MOVE_CAR_SMS, Template, templates
from tests.factories.notifications import MOVE_PARAMS, PHONE, SIGNATURE, make_app_notice, make_sms

pytestmark = pytest.mark.django_db


def test_request_queues_a_pending_encrypted_delivery_and_sends_nothing(
    sms: RecordingSender,
) -> None:
    delivery = make_sms(subject_id="42")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.channel == Channel.SMS
    assert PHONE not in delivery.recipient_encrypted
    assert decrypt_text(delivery.recipient_encrypted) == PHONE
    assert delivery.recipient_masked == "138****8000"
    assert len(delivery.recipient_digest) == 64
    assert delivery.rendered_text.startswith("【示范城管】车辆京AD12345于09:30停东昌路")
    assert delivery.params == dict(MOVE_PARAMS)
    assert (delivery.subject_type, delivery.subject_id) == ("tests.report", "42")
    assert delivery.attempts == 0
    assert delivery.next_attempt_at <= timezone.now()
    assert str(delivery) == "短信 → 138****8000 [SD_MOVE_001]"
    assert sms.calls == 0


@pytest.mark.parametrize(
    "raw", ["13800138000", " 138 0013 8000 ", "+8613800138000", "138-0013-8000"]
)
def test_mobile_numbers_are_normalised(raw: str, sms: RecordingSender) -> None:
    assert decrypt_text(make_sms(address=raw).recipient_encrypted) == PHONE


@pytest.mark.parametrize("raw", ["", "   ", "12800138000", "1380013800", "010-12345678"])
def test_bad_mobile_numbers_are_refused(raw: str, sms: RecordingSender) -> None:
    with pytest.raises(ValidationFailed):
        make_sms(address=raw)
    assert not Delivery.objects.exists()


def test_app_push_goes_to_an_officer_id(recorders: object) -> None:
    officer = uuid.uuid4()
    delivery = make_app_notice(str(officer).upper())
    assert decrypt_text(delivery.recipient_encrypted) == str(officer)
    assert delivery.recipient_masked == str(officer)
    assert delivery.rendered_text == "违停待复查：京AD12345 挪车时限已到"
    with pytest.raises(ValidationFailed, match="执法人员编号"):
        make_app_notice("not-a-uuid")


def test_group_webhooks_need_a_url(recorders: object) -> None:
    def request(address: str) -> Delivery:
        return services.request(
            channel=Channel.GROUP_WEBHOOK,
            address=address,
            template_code="T_GROUP",
            params={"text": "门前五包检查提醒"},
            signature="",
            subject_type="t",
            subject_id="1",
            provider="recording",
        )

    group = Template(
        code="T_GROUP", channel=Channel.GROUP_WEBHOOK, text="通知：${text}", variables=("text",)
    )
    with templates().override("T_GROUP", group):
        url = "https://qyapi.example/cgi-bin/webhook/send?key=abcdef123456"
        delivery = request(url)
        assert delivery.recipient_masked == "webhook…3456"
        with pytest.raises(ValidationFailed, match="群机器人地址"):
            request("ftp://bot")
    assert mask_address(Channel.GROUP_WEBHOOK, "short") == "webhook…"


def test_same_dedupe_key_returns_the_first_delivery(sms: RecordingSender) -> None:
    first = make_sms(dedupe_key="parking:1:owner_sms")
    second = make_sms(dedupe_key="parking:1:owner_sms", address="13900139000")
    assert second.pk == first.pk
    assert Delivery.objects.count() == 1


def test_a_known_key_is_found_after_the_insert_clashes(
    sms: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    # insert first: a new key costs no read; a taken one (a retry, or another transaction
    # that got there first) fails the insert in its savepoint and returns the existing row
    real = services._with_key
    calls: list[str] = []

    def counted(key: str) -> Delivery | None:
        calls.append(key)
        return real(key)

    monkeypatch.setattr(services, "_with_key", counted)
    winner = make_sms(dedupe_key="race")
    assert calls == []
    assert make_sms(dedupe_key="race").pk == winner.pk
    assert calls == ["race"]
    assert Delivery.objects.filter(dedupe_key="race").count() == 1


def test_integrity_error_without_a_winner_propagates(
    sms: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_sms(dedupe_key="ghost")
    monkeypatch.setattr(services, "_with_key", lambda _key: None)
    with pytest.raises(IntegrityError):
        make_sms(dedupe_key="ghost")


def test_integrity_error_without_a_dedupe_key_propagates(
    sms: RecordingSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    def clash(self: Delivery, *args: object, **kwargs: object) -> None:
        raise IntegrityError("UNIQUE constraint failed: notifications_delivery.public_id")

    monkeypatch.setattr(Delivery, "save", clash)
    with pytest.raises(IntegrityError):
        make_sms()


def queue_then_fail() -> None:
    """A caller whose own write fails after it queued the SMS."""
    with transaction.atomic():
        make_sms()
        raise RuntimeError("the report could not be saved")


def test_the_row_belongs_to_the_callers_transaction(sms: RecordingSender) -> None:
    with pytest.raises(RuntimeError):
        queue_then_fail()
    assert not Delivery.objects.exists()


def test_template_must_match_the_channel(sms: RecordingSender) -> None:
    with pytest.raises(ValidationFailed, match="不适用于短信渠道"):
        services.request(
            channel="sms",
            address=PHONE,
            template_code=APP_NOTICE,
            params={"title": "a", "body": "b"},
            signature=SIGNATURE,
            subject_type="t",
            subject_id="1",
            provider="recording",
        )


def test_unknown_provider_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="未配置的短信发送通道：aliyun_sms"):
        make_sms(provider="aliyun_sms")


def test_console_is_the_default_provider() -> None:
    delivery = services.request(
        channel=Channel.SMS,
        address=PHONE,
        template_code=MOVE_CAR_SMS,
        params=MOVE_PARAMS,
        signature=SIGNATURE,
        subject_type="t",
        subject_id="1",
    )
    assert delivery.provider == "console"


def test_not_before_delays_the_first_send(sms: RecordingSender) -> None:
    later = timezone.now() + timedelta(hours=8)
    assert make_sms(not_before=later).next_attempt_at == later


def test_cancel_pending_cancels_only_unclaimed_deliveries_of_the_subject(
    sms: RecordingSender,
) -> None:
    pending = make_sms(subject_id="7")
    claimed = make_sms(subject_id="7")
    other = make_sms(subject_id="8")
    Delivery.objects.filter(pk=claimed.pk).update(status=DeliveryStatus.SENDING)
    assert services.cancel_pending(subject_type="tests.report", subject_id="7") == 1
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {
        pending.pk: DeliveryStatus.CANCELLED,
        claimed.pk: DeliveryStatus.SENDING,
        other.pk: DeliveryStatus.PENDING,
    }
