"""The vendor receipt endpoints: `/hooks/sms/aliyun/<secret>` and `/hooks/sms/tencent/<secret>`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from smartduty.notifications.models import Delivery, DeliveryReceipt
from smartduty.org.models import Officer
from smartduty.parking.models import ParkingTransition
from smartduty.parking.states import SUBJECT, Status
from tests.factories.parking import report_in

pytestmark = pytest.mark.django_db

ALIYUN_SECRET = "a" * 12 + "Zx9Q7wLm3kP2vB8n"
TENCENT_SECRET = "t" * 12 + "Hj4Rt6Yu8Io0Pq2W"
BIZ_ID = "932702304080415357^0"
SID = "2019:6547923785423985223"


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.SMS_RECEIPT_SECRETS = {"aliyun": ALIYUN_SECRET, "tencent": TENCENT_SECRET}


def _owner_sms(officer: Officer, *, provider: str, message_id: str) -> Delivery:
    report = report_in(Status.AWAITING_MOVE, officer)
    sms = Delivery.objects.get(subject_type=SUBJECT, subject_id=str(report.pk), channel="sms")
    Delivery.objects.filter(pk=sms.pk).update(
        provider=provider, status="sent", provider_message_id=message_id
    )
    sms.refresh_from_db()
    return sms


def aliyun_sample(**changes: Any) -> list[dict[str, Any]]:
    """The example of Aliyun's SmsReport documentation (one report)."""
    row = {
        "phone_number": "18612345678",
        "send_time": "2017-08-30 00:00:00",
        "report_time": "2017-08-30 00:00:00",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": BIZ_ID,
        "out_id": "1184585343",
    }
    return [{**row, **changes}]


def tencent_sample(**changes: Any) -> list[dict[str, Any]]:
    """The example of Tencent Cloud's 短信下发状态回调 documentation (one report)."""
    row = {
        "user_receive_time": "2015-10-17 08:03:04",
        "nationcode": "86",
        "mobile": "13788888888",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": SID,
    }
    return [{**row, **changes}]


def _post(path: str, body: object, **extra: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return Client(enforce_csrf_checks=True).post(
        path, data=data, content_type="application/json", **extra
    )


def test_aliyun_push_marks_the_sms_delivered(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    resp = _post(f"/hooks/sms/aliyun/{ALIYUN_SECRET}", aliyun_sample())
    assert resp.status_code == 200
    assert resp.json() == {"code": 0, "msg": "成功"}
    sms.refresh_from_db()
    assert sms.receipt_status == "delivered"
    assert sms.receipt_code == "DELIVERED"
    assert sms.receipt_at is not None
    assert sms.receipt_at.isoformat() == "2017-08-29T16:00:00+00:00"  # 00:00 Beijing time
    receipt = DeliveryReceipt.objects.get()
    assert (receipt.delivery_id, receipt.is_applied, receipt.raw_status) == (
        sms.pk,
        True,
        "SUCCESS",
    )
    assert "18612345678" not in json.dumps(
        list(DeliveryReceipt.objects.values("provider_message_id", "code", "description"))
    )


def test_tencent_callback_marks_the_sms_undelivered(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="tencent_sms", message_id=SID)
    body = tencent_sample(report_status="FAIL", errmsg="MK:0001", description="空号")
    resp = _post(f"/hooks/sms/tencent/{TENCENT_SECRET}", body)
    assert resp.status_code == 200
    assert resp.json() == {"result": 0, "errmsg": "OK"}
    sms.refresh_from_db()
    assert (sms.receipt_status, sms.receipt_code, sms.receipt_description) == (
        "undelivered",
        "MK:0001",
        "空号",
    )


def test_aliyun_falls_back_to_the_out_id(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id="")
    resp = _post(f"/hooks/sms/aliyun/{ALIYUN_SECRET}", aliyun_sample(out_id=str(sms.public_id)))
    assert resp.status_code == 200
    sms.refresh_from_db()
    assert sms.receipt_status == "delivered"


@pytest.mark.parametrize(
    "path",
    [
        "/hooks/sms/aliyun/wrong-secret-of-enough-length-123",
        f"/hooks/sms/aliyun/{TENCENT_SECRET}",
        "/hooks/sms/aliyun/",
        f"/hooks/sms/tencent/{ALIYUN_SECRET}",
        f"/hooks/sms/tencent/{TENCENT_SECRET}x",
    ],
)
def test_a_wrong_secret_is_a_404_and_changes_nothing(officer_a: Officer, path: str) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    resp = _post(path, aliyun_sample())
    assert resp.status_code == 404
    assert b"secret" not in resp.content.lower()
    sms.refresh_from_db()
    assert sms.receipt_status == ""
    assert not DeliveryReceipt.objects.exists()


def test_no_configured_or_a_short_secret_disables_the_endpoint(
    officer_a: Officer, settings: Any
) -> None:
    settings.SMS_RECEIPT_SECRETS = {"aliyun": "short"}
    assert _post("/hooks/sms/aliyun/short", aliyun_sample()).status_code == 404
    settings.SMS_RECEIPT_SECRETS = {}
    assert _post(f"/hooks/sms/aliyun/{ALIYUN_SECRET}", aliyun_sample()).status_code == 404


def test_the_source_allow_list(officer_a: Officer, settings: Any) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    settings.SMS_RECEIPT_ALLOWED_IPS = {"aliyun": ["106.11.0.0/16"]}
    path = f"/hooks/sms/aliyun/{ALIYUN_SECRET}"
    assert _post(path, aliyun_sample(), REMOTE_ADDR="10.0.0.1").status_code == 404
    sms.refresh_from_db()
    assert sms.receipt_status == ""
    assert _post(path, aliyun_sample(), REMOTE_ADDR="106.11.3.4").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{}",
        "[]",
        '"x"',
        json.dumps([{"biz_id": BIZ_ID}]),
        json.dumps(aliyun_sample(success="true")),
        json.dumps(aliyun_sample(report_time="yesterday")),
        json.dumps([*aliyun_sample(), 5]),
        json.dumps(aliyun_sample(biz_id="x" * 101)),
    ],
)
def test_a_bad_payload_is_a_400_in_chinese_and_changes_nothing(
    officer_a: Officer, body: str
) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    resp = _post(f"/hooks/sms/aliyun/{ALIYUN_SECRET}", body)
    assert resp.status_code == 400
    assert "回执" in resp.json()["message"]
    sms.refresh_from_db()
    assert sms.receipt_status == ""
    assert not DeliveryReceipt.objects.exists()


def test_a_bad_tencent_status_is_a_400(officer_a: Officer) -> None:
    _owner_sms(officer_a, provider="tencent_sms", message_id=SID)
    resp = _post(f"/hooks/sms/tencent/{TENCENT_SECRET}", tencent_sample(report_status="MAYBE"))
    assert resp.status_code == 400
    assert not DeliveryReceipt.objects.exists()


def test_a_body_over_the_limit_is_refused(officer_a: Officer) -> None:
    body = json.dumps(aliyun_sample(err_msg="x" * 1000) * 300)
    resp = _post(f"/hooks/sms/aliyun/{ALIYUN_SECRET}", body)
    assert resp.status_code == 413
    assert not DeliveryReceipt.objects.exists()


def test_only_post(officer_a: Officer) -> None:
    resp = Client().get(f"/hooks/sms/aliyun/{ALIYUN_SECRET}")
    assert resp.status_code == 405


def test_a_repeated_report_is_idempotent(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    body = aliyun_sample(success=False, err_code="MN:0001", err_msg="用户关机")
    path = f"/hooks/sms/aliyun/{ALIYUN_SECRET}"
    for _ in range(3):
        assert _post(path, body).status_code == 200
    assert DeliveryReceipt.objects.count() == 1
    report_id = int(sms.subject_id)
    assert (
        ParkingTransition.objects.filter(report_id=report_id, action="sms_undelivered").count() == 1
    )
    assert Delivery.objects.filter(channel="app_push", subject_id=report_id).count() == 1
    # a later, different report is kept for the record, the first one stays
    assert _post(path, aliyun_sample(report_time="2017-08-30 00:01:00")).status_code == 200
    sms.refresh_from_db()
    assert sms.receipt_status == "undelivered"
    assert DeliveryReceipt.objects.filter(is_applied=False).count() == 1


def test_an_unknown_id_is_answered_and_ignored(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=BIZ_ID)
    resp = _post(
        f"/hooks/sms/aliyun/{ALIYUN_SECRET}",
        aliyun_sample(biz_id="unknown^0", out_id="not-ours"),
    )
    assert resp.status_code == 200
    assert resp.json() == {"code": 0, "msg": "成功"}
    assert not DeliveryReceipt.objects.exists()
    sms.refresh_from_db()
    assert sms.receipt_status == ""


def test_another_vendors_message_is_not_matched(officer_a: Officer) -> None:
    sms = _owner_sms(officer_a, provider="aliyun_sms", message_id=SID)
    assert _post(f"/hooks/sms/tencent/{TENCENT_SECRET}", tencent_sample()).status_code == 200
    sms.refresh_from_db()
    assert sms.receipt_status == ""
