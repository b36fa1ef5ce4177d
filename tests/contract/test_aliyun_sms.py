"""The Aliyun SMS adapter through the official SDK against a loopback fake of the vendor's API.

The fake (`tests/contract/fakes/aliyun_sms.py`) verifies the SDK's real ACS3-HMAC-SHA256
signature with its own implementation of the algorithm, checks the `SendSms` payload, answers
the vendor's error shapes and de-duplicates on `OutId`. The shared `Sender` contract
(`test_sender_contract.py`) runs here too, over this adapter (`harness` below).
"""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from pydantic import SecretStr

from smartduty.notifications.ports import (
    Channel,
    OutboundMessage,
    PermanentSendError,
    RetryableSendError,
    Sender,
)
from smartduty.notifications.providers import aliyun_sms
from smartduty.notifications.providers.aliyun_sms import AliyunSmsConfig, AliyunSmsSender
from tests.contract.fakes.aliyun_sms import FakeAliyunSms, canonical_query, percent_encode
from tests.contract.test_sender_contract import (
    Harness,
    test_a_repeated_key_returns_the_first_receipt_and_sends_nothing,
    test_accepts_a_message_with_a_receipt,
    test_an_empty_address_is_a_permanent_error,
    test_declares_its_channel,
    test_different_keys_are_different_messages,
)
from tests.factories.notifications import MOVE_PARAMS, PHONE, SIGNATURE

# the shared contract's tests, collected again here with this module's `harness`
SHARED_CONTRACT = (
    test_declares_its_channel,
    test_accepts_a_message_with_a_receipt,
    test_a_repeated_key_returns_the_first_receipt_and_sends_nothing,
    test_different_keys_are_different_messages,
    test_an_empty_address_is_a_permanent_error,
)

VENDOR_TEMPLATE = "SMS_465920001"
MOVE_VARIABLES = tuple(MOVE_PARAMS)
READ_TIMEOUT_S = 0.5
CONNECT_TIMEOUT_S = 0.5


@pytest.fixture
def fake() -> Iterator[FakeAliyunSms]:
    with FakeAliyunSms(templates={VENDOR_TEMPLATE: MOVE_VARIABLES}) as server:
        yield server


def config_for(fake: FakeAliyunSms, **changes: Any) -> AliyunSmsConfig:
    values: dict[str, Any] = {
        "access_key_id": fake.access_key_id,
        "access_key_secret": SecretStr(fake.access_key_secret),
        "endpoint": fake.endpoint,
        "templates": {"SD_MOVE_001": VENDOR_TEMPLATE},
        "connect_timeout_seconds": CONNECT_TIMEOUT_S,
        "read_timeout_seconds": READ_TIMEOUT_S,
    }
    return AliyunSmsConfig(**(values | changes))


@pytest.fixture
def sender(fake: FakeAliyunSms) -> AliyunSmsSender:
    return AliyunSmsSender(config_for(fake))


def move_sms(key: str | None = None, address: str = PHONE) -> OutboundMessage:
    return OutboundMessage(
        address=address,
        template_code="SD_MOVE_001",
        params=MOVE_PARAMS,
        signature=SIGNATURE,
        rendered_text="【示范城管】车辆京AD12345于09:30停东昌路柳园路口北侧，请10分钟内驶离",
        idempotency_key=key or str(uuid.uuid4()),
    )


# -- the shared Sender contract over this adapter ---------------------------------------------


@pytest.fixture
def harness(fake: FakeAliyunSms) -> Harness:
    """The shared contract's harness: the adapter against this test's fake."""
    fake.templates["SMS_465920002"] = ("plate",)  # the shared suite sends only `plate`

    def make() -> Sender:
        return AliyunSmsSender(config_for(fake, templates={"SD_MOVE_001": "SMS_465920002"}))

    def accepted(sender: Sender, key: str) -> int:
        return len(fake.accepted_for(key))

    return Harness("aliyun-sms", make, accepted)


# -- happy path ----------------------------------------------------------------------------


def test_sends_a_signed_send_sms_with_the_exact_payload(
    fake: FakeAliyunSms, sender: AliyunSmsSender
) -> None:
    msg = move_sms()
    before = timezone.now()
    receipt = sender.send(msg)

    [request] = fake.requests
    assert request.signature_valid
    assert request.method == "POST"
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.headers["authorization"].startswith("ACS3-HMAC-SHA256 Credential=")
    assert request.query == {
        "PhoneNumbers": PHONE,
        "SignName": SIGNATURE,
        "TemplateCode": VENDOR_TEMPLATE,
        "TemplateParam": request.query["TemplateParam"],
        "OutId": msg.idempotency_key,
    }
    assert json.loads(request.query["TemplateParam"]) == dict(MOVE_PARAMS)
    [accepted] = fake.accepted
    assert receipt.provider_message_id == accepted.biz_id
    assert request.answer["BizId"] == accepted.biz_id
    assert timezone.is_aware(receipt.accepted_at)
    assert receipt.accepted_at >= before
    assert receipt.duplicate is False


def test_a_configured_sign_name_replaces_the_message_signature(fake: FakeAliyunSms) -> None:
    fake.sign_names.add("示范市城市管理")
    sender = AliyunSmsSender(config_for(fake, sign_name="示范市城市管理"))
    sender.send(move_sms())
    assert fake.accepted[0].sign_name == "示范市城市管理"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", RetryableSendError, "业务限流"),
        ("ServiceUnavailable", RetryableSendError, "暂不可用"),
        ("InternalError", RetryableSendError, "内部错误"),
        ("isv.MOBILE_NUMBER_ILLEGAL", PermanentSendError, "手机号码格式错误"),
        ("isv.INVALID_PARAMETERS", PermanentSendError, "参数不合法"),
        ("isv.SMS_TEMPLATE_ILLEGAL", PermanentSendError, "短信模板"),
        ("isv.SMS_SIGNATURE_ILLEGAL", PermanentSendError, "短信签名"),
        ("isv.TEMPLATE_MISSING_PARAMETERS", PermanentSendError, "缺少变量"),
        ("SignatureDoesNotMatch", PermanentSendError, "配置错误"),
        ("InvalidAccessKeyId.NotFound", PermanentSendError, "AccessKey ID 不存在"),
    ],
)
def test_vendor_errors_map_to_retryable_or_permanent(
    fake: FakeAliyunSms,
    sender: AliyunSmsSender,
    code: str,
    error: type[Exception],
    message: str,
) -> None:
    fake.answer_next(code)
    with pytest.raises(error, match=message) as raised:
        sender.send(move_sms())
    assert code in str(raised.value)
    assert fake.requests[-1].answer["Code"] == code
    assert fake.accepted == []


def test_the_vendor_own_checks_give_the_same_answers(fake: FakeAliyunSms) -> None:
    """Not scripted: the fake refuses a bad number, template, signature or variables."""
    sender = AliyunSmsSender(config_for(fake))
    with pytest.raises(PermanentSendError, match=r"isv\.MOBILE_NUMBER_ILLEGAL"):
        sender.send(move_sms(address="1380013"))
    fake.templates[VENDOR_TEMPLATE] = (*MOVE_VARIABLES, "unit")
    with pytest.raises(PermanentSendError, match=r"isv\.TEMPLATE_MISSING_PARAMETERS"):
        sender.send(move_sms())
    with pytest.raises(PermanentSendError, match=r"isv\.SMS_SIGNATURE_ILLEGAL"):
        AliyunSmsSender(config_for(fake, sign_name="别的签名")).send(move_sms())
    other = config_for(fake, templates={"SD_MOVE_001": "SMS_000000000"})
    with pytest.raises(PermanentSendError, match=r"isv\.SMS_TEMPLATE_ILLEGAL"):
        AliyunSmsSender(other).send(move_sms())
    assert fake.accepted == []


def test_a_bare_5xx_page_is_retryable(fake: FakeAliyunSms, sender: AliyunSmsSender) -> None:
    fake.http_error(502)
    with pytest.raises(RetryableSendError, match="网关错误"):
        sender.send(move_sms())


def test_a_wrong_secret_fails_the_signature_permanently_with_a_chinese_hint(
    fake: FakeAliyunSms,
) -> None:
    sender = AliyunSmsSender(config_for(fake, access_key_secret=SecretStr("not-the-secret")))
    with pytest.raises(PermanentSendError) as raised:
        sender.send(move_sms())
    assert "请求签名不匹配" in str(raised.value)
    assert "SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_SECRET" in str(raised.value)
    [request] = fake.requests
    assert not request.signature_valid
    assert (request.status, request.answer["Code"]) == (400, "SignatureDoesNotMatch")
    assert fake.accepted == []


def test_a_wrong_access_key_id_is_a_permanent_configuration_error(fake: FakeAliyunSms) -> None:
    sender = AliyunSmsSender(config_for(fake, access_key_id="LTAI-unknown"))
    with pytest.raises(PermanentSendError, match="AccessKey ID 不存在"):
        sender.send(move_sms())
    assert fake.requests[0].status == 404


def test_a_stalled_vendor_times_out_as_retryable_within_the_read_timeout(
    fake: FakeAliyunSms, sender: AliyunSmsSender
) -> None:
    fake.stall()
    started = time.monotonic()
    with pytest.raises(RetryableSendError, match="超时"):
        sender.send(move_sms())
    took = time.monotonic() - started
    assert READ_TIMEOUT_S <= took < READ_TIMEOUT_S + 1.5
    assert fake.stalled.is_set()


def test_a_refused_connection_is_retryable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = AliyunSmsConfig(
        access_key_id="LTAI-x",
        access_key_secret=SecretStr("x"),
        endpoint=f"http://127.0.0.1:{port}",
        templates={"SD_MOVE_001": VENDOR_TEMPLATE},
        connect_timeout_seconds=CONNECT_TIMEOUT_S,
    )
    with pytest.raises(RetryableSendError, match="连接失败") as raised:
        AliyunSmsSender(config).send(move_sms())
    assert PHONE not in str(raised.value)


def test_an_unmapped_template_and_an_empty_address_are_permanent(
    fake: FakeAliyunSms, sender: AliyunSmsSender
) -> None:
    unmapped = OutboundMessage(
        address=PHONE,
        template_code="SD_UNKNOWN",
        params={},
        signature=SIGNATURE,
        rendered_text="x",
        idempotency_key=str(uuid.uuid4()),
    )
    with pytest.raises(PermanentSendError, match="SD_UNKNOWN"):
        sender.send(unmapped)
    with pytest.raises(PermanentSendError, match="收件地址为空"):
        sender.send(move_sms(address="  "))
    assert fake.requests == []


# -- idempotency -------------------------------------------------------------------------


def test_a_repeat_in_the_same_process_returns_the_first_receipt_without_calling(
    fake: FakeAliyunSms, sender: AliyunSmsSender
) -> None:
    msg = move_sms()
    first = sender.send(msg)
    again = sender.send(msg)
    assert (again.provider_message_id, again.accepted_at) == (
        first.provider_message_id,
        first.accepted_at,
    )
    assert again.duplicate is True
    assert len(fake.requests) == 1


def test_a_resend_after_a_restart_carries_the_same_out_id_and_gets_the_same_biz_id(
    fake: FakeAliyunSms,
) -> None:
    msg = move_sms()
    first = AliyunSmsSender(config_for(fake)).send(msg)
    again = AliyunSmsSender(config_for(fake)).send(msg)  # a new process: no memory of `first`
    assert [r.out_id for r in fake.received_for(msg.idempotency_key)] == [
        msg.idempotency_key,
        msg.idempotency_key,
    ]
    assert again.provider_message_id == first.provider_message_id
    assert len(fake.accepted_for(msg.idempotency_key)) == 1


def test_a_retry_after_a_retryable_error_sends_the_same_out_id(
    fake: FakeAliyunSms, sender: AliyunSmsSender
) -> None:
    msg = move_sms()
    fake.answer_next("isv.BUSINESS_LIMIT_CONTROL")
    with pytest.raises(RetryableSendError):
        sender.send(msg)
    receipt = sender.send(msg)
    assert [r.out_id for r in fake.requests] == [msg.idempotency_key] * 2
    assert receipt.provider_message_id == fake.accepted_for(msg.idempotency_key)[0].biz_id


# -- no phone numbers in logs ----------------------------------------------------------------


def test_the_phone_number_never_appears_in_logs_or_errors(
    fake: FakeAliyunSms, sender: AliyunSmsSender, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs request lines, query string included
    errors: list[str] = []
    sender.send(move_sms())
    for code in (
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.MOBILE_NUMBER_ILLEGAL",
        "SignatureDoesNotMatch",
    ):
        fake.answer_next(code)
        with pytest.raises((RetryableSendError, PermanentSendError)) as raised:
            sender.send(move_sms())
        errors.append(str(raised.value))
    fake.stall()
    with pytest.raises(RetryableSendError) as timed_out:
        sender.send(move_sms())
    errors.append(str(timed_out.value))
    fake.release()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "aliyun sms accepted to=138****8000" in logged
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    assert PHONE not in logged
    assert all(PHONE not in error for error in errors)


# -- configuration and registration ----------------------------------------------------------


def test_config_from_settings_and_registration(
    fake: FakeAliyunSms, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[tuple[str, Sender]] = []
    monkeypatch.setattr(aliyun_sms, "register_provider", lambda n, s: registered.append((n, s)))

    settings.SMS_ALIYUN = {"access_key_id": ""}
    assert aliyun_sms.register_if_configured() is None

    settings.SMS_ALIYUN = config_for(fake).model_dump()  # as settings.py copies it from env
    sender = aliyun_sms.register_if_configured()
    assert isinstance(sender, AliyunSmsSender)
    assert registered == [("aliyun_sms", sender)]
    assert type(sender).channel is Channel.SMS
    assert sender.send(move_sms()).provider_message_id == fake.accepted[0].biz_id


def test_a_secret_file_is_read(fake: FakeAliyunSms, tmp_path: Path) -> None:
    secret = tmp_path / "aliyun-secret"
    secret.write_text(fake.access_key_secret + "\n", encoding="utf-8")
    config = config_for(fake, access_key_secret=SecretStr(""), access_key_secret_file=secret)
    AliyunSmsSender(config).send(move_sms())
    assert fake.requests[0].signature_valid


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"access_key_id": "LTAI-x"}, "缺少 AccessKey Secret"),
        (
            {"access_key_id": "LTAI-x", "access_key_secret": "s", "read_timeout_seconds": 29},
            "租约",
        ),
        ({"access_key_id": "LTAI-x", "timeout": 3}, "SMS_ALIYUN"),
        (
            {"access_key_id": "x", "access_key_secret": "s", "access_key_secret_file": "/x"},
            "not both",
        ),
    ],
)
def test_a_broken_configuration_stops_the_start(
    settings: Any, values: dict[str, Any], problem: str
) -> None:
    settings.SMS_ALIYUN = values
    with pytest.raises(ImproperlyConfigured, match=problem):
        aliyun_sms.build_sender()


def test_template_codes_from_nested_variables_are_matched_upper_case() -> None:
    config = AliyunSmsConfig(templates={"sd_move_001": " SMS_465920001 "})
    assert config.templates == {"SD_MOVE_001": "SMS_465920001"}


def test_the_endpoint_may_name_its_scheme() -> None:
    assert AliyunSmsConfig().protocol_and_host() == ("https", "dysmsapi.aliyuncs.com")
    local = AliyunSmsConfig(endpoint="http://127.0.0.1:8123/")
    assert local.protocol_and_host() == ("http", "127.0.0.1:8123")


# -- the fake's own signature algorithm ------------------------------------------------------


def test_the_fake_encodes_the_canonical_query_as_rfc_3986() -> None:
    assert percent_encode("a b+c*~/示") == "a%20b%2Bc%2A~%2F%E7%A4%BA"
    assert canonical_query([("b", "2"), ("A", "x y"), ("a", "1")]) == "A=x%20y&a=1&b=2"
