"""The Tencent Cloud SMS adapter against a loopback fake of SendSms (real sockets, real signing).

The official SDK signs and sends each request; the fake (`fakes/tencent_sms.py`) verifies the
TC3-HMAC-SHA256 signature with its own implementation of the published algorithm.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone
from pydantic import SecretStr

from smartduty.notifications import templates
from smartduty.notifications.ports import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    RetryableSendError,
)
from smartduty.notifications.providers import tencent_sms
from smartduty.notifications.providers.tencent_sms import (
    TencentSmsConfig,
    TencentSmsSender,
    TencentSmsTemplate,
)
from tests.contract.fakes.tencent_sms import FakeTencentSms, tc3_signature

SECRET_ID = "AKIDfakeSecretId0000000000000000"
SECRET_KEY = "fake-secret-key-0000000000000000"
SDK_APP_ID = "1400000001"
TEMPLATE_ID = "2100001"
SIGN = "示范城管"
PHONE = "13800138000"
PARAMS = {
    # deliberately not in template order: the order comes from the template definition
    "link": "sd.example/o/Ab3dE9kQ",
    "minutes": "10分钟",
    "place": "东昌路",
    "time": "09:30",
    "plate": "京AD12345",
}
IN_TEMPLATE_ORDER = ["京AD12345", "09:30", "东昌路", "10分钟", "sd.example/o/Ab3dE9kQ"]
TIMEOUT_S = 0.5


@pytest.fixture
def fake() -> Iterator[FakeTencentSms]:
    with FakeTencentSms(
        secret_id=SECRET_ID,
        secret_key=SECRET_KEY,
        sdk_app_id=SDK_APP_ID,
        templates={TEMPLATE_ID: 5},
        signatures=frozenset({SIGN}),
    ) as server:
        yield server


def make_config(fake: FakeTencentSms, **changes: Any) -> TencentSmsConfig:
    values: dict[str, Any] = {
        "secret_id": SECRET_ID,
        "secret_key": SecretStr(SECRET_KEY),
        "sdk_app_id": SDK_APP_ID,
        "endpoint": fake.endpoint,
        "protocol": "http",
        "timeout_seconds": TIMEOUT_S,
        "templates": {templates.MOVE_CAR_SMS: TencentSmsTemplate(template_id=TEMPLATE_ID)},
    }
    values.update(changes)
    return TencentSmsConfig(**values)


def make_sender(fake: FakeTencentSms, **changes: Any) -> TencentSmsSender:
    return TencentSmsSender(make_config(fake, **changes), template_lookup=templates.get_template)


def message(key: str | None = None, address: str = PHONE, **changes: Any) -> OutboundMessage:
    values: dict[str, Any] = {
        "address": address,
        "template_code": templates.MOVE_CAR_SMS,
        "params": PARAMS,
        "signature": SIGN,
        "rendered_text": templates.render(templates.MOVE_CAR_SMS, PARAMS, SIGN),
        "idempotency_key": key or str(uuid.uuid4()),
    }
    values.update(changes)
    return OutboundMessage(**values)


def test_happy_path_is_signed_exact_and_returns_the_serial_number(fake: FakeTencentSms) -> None:
    sender = make_sender(fake)
    msg = message()

    receipt = sender.send(msg)

    assert len(fake.received) == 1
    got = fake.received[0]
    assert got.signature_ok
    assert got.error_code == ""
    assert got.headers["x-tc-action"] == "SendSms"
    assert got.headers["x-tc-version"] == "2021-01-11"
    assert got.headers["x-tc-region"] == "ap-guangzhou"
    assert got.headers["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={SECRET_ID}/")
    assert dict(got.body) == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": SDK_APP_ID,
        "SignName": SIGN,
        "TemplateId": TEMPLATE_ID,
        "TemplateParamSet": IN_TEMPLATE_ORDER,
        "SessionContext": msg.idempotency_key,
    }
    assert receipt.provider_message_id == fake.accepted(msg.idempotency_key)
    assert receipt.provider_message_id.startswith("2433:")
    assert receipt.duplicate is False
    assert timezone.is_aware(receipt.accepted_at)
    assert type(sender).channel is Channel.SMS


def test_the_configured_parameter_order_wins(fake: FakeTencentSms) -> None:
    order = ("place", "plate", "time", "minutes", "link")
    mapping = TencentSmsTemplate(template_id=TEMPLATE_ID, params=order)
    sender = TencentSmsSender(make_config(fake, templates={templates.MOVE_CAR_SMS: mapping}))

    sender.send(message())

    assert fake.received[0].body["TemplateParamSet"] == [PARAMS[name] for name in order]


@pytest.mark.parametrize(
    "address", ["+8613800138000", "8613800138000", "0086 138-0013-8000", "138 0013 8000"]
)
def test_numbers_are_sent_in_e164(fake: FakeTencentSms, address: str) -> None:
    make_sender(fake).send(message(address=address))

    assert fake.received[0].body["PhoneNumberSet"] == ["+8613800138000"]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("LimitExceeded.PhoneNumberDailyLimit", RetryableSendError),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", RetryableSendError),
        ("LimitExceeded.PhoneNumberOneHourLimit", RetryableSendError),
        ("RequestLimitExceeded", RetryableSendError),
        ("InternalError.Timeout", RetryableSendError),
        ("InvalidParameterValue.IncorrectPhoneNumber", PermanentSendError),
        ("FailedOperation.TemplateIncorrectOrUnapproved", PermanentSendError),
        ("FailedOperation.SignatureIncorrectOrUnapproved", PermanentSendError),
        ("InvalidParameterValue.TemplateParameterFormatError", PermanentSendError),
        ("FailedOperation.PhoneNumberInBlacklist", PermanentSendError),
        ("LimitExceeded.PhoneNumberCountLimit", PermanentSendError),
    ],
)
def test_per_number_codes(fake: FakeTencentSms, code: str, error: type[Exception]) -> None:
    fake.answer_next_with_status(code)

    with pytest.raises(error, match=code.replace(".", r"\.")):
        make_sender(fake).send(message())
    assert fake.received[0].signature_ok


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("InternalError", RetryableSendError),
        ("InternalError.SendAndRecvFail", RetryableSendError),
        ("RequestLimitExceeded", RetryableSendError),
        ("LimitExceeded.AppDailyLimit", RetryableSendError),
        ("AuthFailure.SignatureFailure", PermanentSendError),
        ("AuthFailure.SecretIdNotFound", PermanentSendError),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", PermanentSendError),
        ("FailedOperation.TemplateIncorrectOrUnapproved", PermanentSendError),
    ],
)
def test_top_level_errors(fake: FakeTencentSms, code: str, error: type[Exception]) -> None:
    fake.answer_next_with_error(code)

    with pytest.raises(error, match=code.replace(".", r"\.")):
        make_sender(fake).send(message())


def test_a_wrong_secret_key_fails_the_signature_permanently_with_a_chinese_message(
    fake: FakeTencentSms,
) -> None:
    sender = make_sender(fake, secret_key=SecretStr("not-the-right-key"))

    with pytest.raises(PermanentSendError) as raised:
        sender.send(message())

    assert fake.received[0].signature_ok is False
    assert fake.received[0].error_code == "AuthFailure.SignatureFailure"
    text = str(raised.value)
    assert "腾讯云短信配置错误" in text
    assert "SecretId/SecretKey" in text
    assert "not-the-right-key" not in text


def _signed_post(fake: FakeTencentSms, signed_body: bytes, sent_body: bytes) -> dict[str, Any]:
    """POST to the fake with a signature over `signed_body`, sending `sent_body`."""
    timestamp = str(int(time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(int(timestamp)))
    headers = {"content-type": "application/json", "host": fake.endpoint}
    signature = tc3_signature(
        secret_key=SECRET_KEY,
        method="POST",
        uri="/",
        query="",
        headers=headers,
        signed_headers=["content-type", "host"],
        body=signed_body,
        timestamp=timestamp,
        date=date,
        service="sms",
    )
    host, port = fake.endpoint.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request(
            "POST",
            "/",
            body=sent_body,
            headers={
                "Content-Type": "application/json",
                "Host": fake.endpoint,
                "X-TC-Action": "SendSms",
                "X-TC-Version": "2021-01-11",
                "X-TC-Region": "ap-guangzhou",
                "X-TC-Timestamp": timestamp,
                "Authorization": (
                    f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{date}/sms/tc3_request, "
                    f"SignedHeaders=content-type;host, Signature={signature}"
                ),
            },
        )
        answer: dict[str, Any] = json.loads(connection.getresponse().read())["Response"]
    finally:
        connection.close()
    return answer


def test_the_fake_checks_the_body_against_the_signature(fake: FakeTencentSms) -> None:
    body = {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": SDK_APP_ID,
        "SignName": SIGN,
        "TemplateId": TEMPLATE_ID,
        "TemplateParamSet": IN_TEMPLATE_ORDER,
        "SessionContext": "k1",
    }
    signed = json.dumps(body).encode()
    tampered = json.dumps({**body, "PhoneNumberSet": ["+8613900139000"]}).encode()

    assert _signed_post(fake, signed, signed)["SendStatusSet"][0]["Code"] == "Ok"
    assert _signed_post(fake, signed, tampered)["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_an_unknown_secret_id_is_a_configuration_error(fake: FakeTencentSms) -> None:
    sender = make_sender(fake, secret_id="AKIDunknown")

    with pytest.raises(PermanentSendError, match=r"AuthFailure\.SecretIdNotFound"):
        sender.send(message())


def test_an_unknown_sdk_app_id_is_permanent(fake: FakeTencentSms) -> None:
    with pytest.raises(PermanentSendError, match="SdkAppIdNotExist"):
        make_sender(fake, sdk_app_id="1400009999").send(message())


def test_an_unapproved_template_or_signature_is_permanent(fake: FakeTencentSms) -> None:
    unapproved = {templates.MOVE_CAR_SMS: TencentSmsTemplate(template_id="999")}
    with pytest.raises(PermanentSendError, match="TemplateIncorrectOrUnapproved"):
        make_sender(fake, templates=unapproved).send(message())
    with pytest.raises(PermanentSendError, match="SignatureIncorrectOrUnapproved"):
        make_sender(fake).send(message(signature="别的签名"))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_is_retryable(fake: FakeTencentSms, status: int) -> None:
    fake.answer_next_with_http(status)

    with pytest.raises(RetryableSendError, match="ServerNetworkError"):
        make_sender(fake).send(message())


def test_a_stalled_vendor_is_retryable_within_the_timeout(fake: FakeTencentSms) -> None:
    fake.stall_next(TIMEOUT_S * 8)
    sender = make_sender(fake)

    started = time.monotonic()
    with pytest.raises(RetryableSendError, match="ClientNetworkError"):
        sender.send(message())
    elapsed = time.monotonic() - started

    assert elapsed < TIMEOUT_S * 4


def test_a_refused_connection_is_retryable(fake: FakeTencentSms) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"

    with pytest.raises(RetryableSendError, match="ClientNetworkError"):
        make_sender(fake, endpoint=closed).send(message())


def test_a_resend_after_a_restart_carries_the_same_session_context(fake: FakeTencentSms) -> None:
    key = str(uuid.uuid4())

    first = make_sender(fake).send(message(key))
    # a new process (the worker died before recording the receipt) sends the same delivery
    again = make_sender(fake).send(message(key))

    assert [r.body["SessionContext"] for r in fake.received] == [key, key]
    assert again.provider_message_id == first.provider_message_id


def test_the_same_process_does_not_send_a_key_twice(fake: FakeTencentSms) -> None:
    sender = make_sender(fake)
    key = str(uuid.uuid4())

    first = sender.send(message(key))
    again = sender.send(message(key))
    other = sender.send(message())

    assert len(fake.received) == 2
    assert again.duplicate is True
    assert again.provider_message_id == first.provider_message_id
    assert other.provider_message_id != first.provider_message_id


def test_a_failed_send_is_not_remembered(fake: FakeTencentSms) -> None:
    sender = make_sender(fake)
    key = str(uuid.uuid4())
    fake.answer_next_with_status("LimitExceeded.PhoneNumberThirtySecondLimit")

    with pytest.raises(RetryableSendError):
        sender.send(message(key))
    receipt = sender.send(message(key))

    assert receipt.duplicate is False
    assert len(fake.received) == 2


@pytest.mark.parametrize("address", ["", "12345", "not a number", "+86"])
def test_a_malformed_number_is_refused_before_sending(fake: FakeTencentSms, address: str) -> None:
    with pytest.raises(PermanentSendError, match="手机号码格式不正确"):
        make_sender(fake).send(message(address=address))
    assert fake.received == []


def test_an_unmapped_template_is_permanent(fake: FakeTencentSms) -> None:
    with pytest.raises(PermanentSendError, match="未配置模板"):
        make_sender(fake, templates={}).send(message())
    assert fake.received == []


def test_parameters_that_differ_from_the_template_are_permanent(fake: FakeTencentSms) -> None:
    with pytest.raises(PermanentSendError, match="参数"):
        make_sender(fake).send(message(params={"plate": "京AD12345"}))
    assert fake.received == []


def test_without_an_order_or_a_template_lookup_the_send_is_permanent(
    fake: FakeTencentSms,
) -> None:
    sender = TencentSmsSender(make_config(fake))

    with pytest.raises(PermanentSendError, match="参数顺序"):
        sender.send(message())


def test_the_phone_number_never_reaches_the_logs(
    fake: FakeTencentSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sender = make_sender(fake)

    sender.send(message())
    fake.answer_next_with_status("InvalidParameterValue.IncorrectPhoneNumber")
    with pytest.raises(PermanentSendError) as raised:
        sender.send(message())
    fake.answer_next_with_error("AuthFailure.SignatureFailure")
    with pytest.raises(PermanentSendError):
        sender.send(message())

    assert caplog.records, "the adapter and the SDK log"
    assert "138****8000" in caplog.text
    for form in (PHONE, "+86" + PHONE):
        assert form not in caplog.text
        assert form not in str(raised.value)
    assert SECRET_KEY not in caplog.text
    assert SECRET_KEY not in repr(sender)


def test_register_if_configured(monkeypatch: pytest.MonkeyPatch, fake: FakeTencentSms) -> None:
    registered: list[tuple[str, object]] = []
    monkeypatch.setattr(tencent_sms, "register_provider", lambda n, s: registered.append((n, s)))

    with override_settings(SMS_TENCENT={}):
        assert tencent_sms.register_if_configured() is False
    with override_settings(SMS_TENCENT=make_config(fake).model_dump()):
        assert tencent_sms.register_if_configured(template_lookup=templates.get_template)

    assert len(registered) == 1
    name, sender = registered[0]
    assert name == "tencent_sms"
    assert isinstance(sender, TencentSmsSender)
    assert sender.config.templates[templates.MOVE_CAR_SMS].template_id == TEMPLATE_ID


def test_settings_accept_plain_values_and_refuse_bad_ones(fake: FakeTencentSms) -> None:
    plain = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sdk_app_id": SDK_APP_ID,
        "templates": {"SD_MOVE_001": {"template_id": TEMPLATE_ID, "params": ["plate", "time"]}},
    }
    with override_settings(SMS_TENCENT=plain):
        sender = tencent_sms.sender_from_settings()
    assert sender is not None
    assert sender.config.region == "ap-guangzhou"
    assert sender.config.endpoint == "sms.tencentcloudapi.com"
    assert sender.config.protocol == "https"
    assert sender.config.templates["SD_MOVE_001"].params == ("plate", "time")

    with (
        override_settings(SMS_TENCENT={**plain, "timeout_seconds": 60}),
        pytest.raises(ImproperlyConfigured, match="SMS_TENCENT"),
    ):
        tencent_sms.sender_from_settings()
    with (
        override_settings(SMS_TENCENT={**plain, "templates": {"X": {"template_id": "abc"}}}),
        pytest.raises(ImproperlyConfigured),
    ):
        tencent_sms.sender_from_settings()
    with (
        override_settings(SMS_TENCENT={"secret_id": SECRET_ID, "sdk_app_id": SDK_APP_ID}),
        pytest.raises(ImproperlyConfigured, match="together"),
    ):
        tencent_sms.sender_from_settings()
