"""Parsing and recording vendor delivery reports (`notifications.receipts`)."""

from __future__ import annotations

from typing import Any

import pytest

from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import receipts
from smartduty.notifications.events import delivery_delivered, delivery_undelivered
from smartduty.notifications.models import Delivery, DeliveryReceipt
from tests.factories.notifications import make_sms

pytestmark = pytest.mark.django_db


def _aliyun(**changes: Any) -> dict[str, Any]:
    return {
        "phone_number": "18612345678",
        "send_time": "2017-08-30 00:00:00",
        "report_time": "2017-08-30 00:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": "biz-1",
        "out_id": "",
        **changes,
    }


def _sent(provider: str = "aliyun_sms", message_id: str = "biz-1") -> Delivery:
    sms = make_sms(provider="console")
    Delivery.objects.filter(pk=sms.pk).update(
        provider=provider, status="sent", provider_message_id=message_id
    )
    sms.refresh_from_db()
    return sms


def test_parse_keeps_no_phone_number() -> None:
    (report,) = receipts.parse_aliyun([_aliyun(extra_field="ignored")])
    assert report.message_id == "biz-1"
    assert report.is_success
    assert "18612345678" not in repr(report)


@pytest.mark.parametrize(
    "payload",
    [{}, [], [_aliyun(success=1)], [_aliyun(biz_id=None)], [_aliyun(send_time="x" * 41)]],
)
def test_parse_refuses_bad_shapes(payload: object) -> None:
    with pytest.raises(ValidationFailed):
        receipts.parse_aliyun(payload)


def test_parse_refuses_too_many() -> None:
    with pytest.raises(ValidationFailed, match="过多"):
        receipts.parse_aliyun([_aliyun()] * (receipts.MAX_REPORTS + 1))


def test_record_settles_once_and_signals_once() -> None:
    sms = _sent()
    seen: list[str] = []

    def delivered(sender: Any, *, delivery: Delivery, **kwargs: Any) -> None:
        seen.append(delivery.receipt_status)

    delivery_delivered.connect(delivered, dispatch_uid="test-delivered")
    try:
        first = receipts.record_reports(receipts.parse_aliyun([_aliyun()]))
        again = receipts.record_reports(receipts.parse_aliyun([_aliyun()]))
    finally:
        delivery_delivered.disconnect(dispatch_uid="test-delivered")
    assert (first.applied, again.duplicates) == (1, 1)
    assert seen == ["delivered"]
    sms.refresh_from_db()
    assert sms.status == "sent"  # the outbox status is left as it is
    assert DeliveryReceipt.objects.get().fingerprint


def test_a_receiver_that_raises_keeps_the_receipt() -> None:
    sms = _sent()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError

    delivery_undelivered.connect(broken, dispatch_uid="test-broken")
    try:
        receipts.record_reports(receipts.parse_aliyun([_aliyun(success=False, err_code="MN:0001")]))
    finally:
        delivery_undelivered.disconnect(dispatch_uid="test-broken")
    sms.refresh_from_db()
    assert sms.receipt_status == "undelivered"


def test_out_id_does_not_override_a_different_message_id() -> None:
    sms = _sent(message_id="biz-other")
    summary = receipts.record_reports(receipts.parse_aliyun([_aliyun(out_id=str(sms.public_id))]))
    assert summary.unknown == 1


def test_providers_can_be_configured(settings: Any) -> None:
    settings.SMS_RECEIPT_PROVIDERS = {"aliyun": ["city_sms"]}
    _sent(provider="city_sms")
    assert receipts.record_reports(receipts.parse_aliyun([_aliyun()])).applied == 1
