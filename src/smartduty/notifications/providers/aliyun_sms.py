"""Aliyun SMS (dysmsapi 2017-05-25 `SendSms`) through the official SDK.

One `SendSms` per message: `PhoneNumbers` (the plain address, never logged), `SignName` (the
message's registered signature, or the configured one), `TemplateCode` (the vendor's code for
our template code, from `settings.SMS_ALIYUN["templates"]`), `TemplateParam` (our parameters as
JSON) and `OutId` = the message's idempotency key, so a resend after a crash carries the same
`OutId`. The vendor's `BizId` becomes `Receipt.provider_message_id`.

The SDK (`alibabacloud-dysmsapi20170525`, on `alibabacloud-tea-openapi`) signs each request
with ACS3-HMAC-SHA256 and sends it with `requests`. It is imported only when a sender is built,
so a deployment without Aliyun does not pay its import time. Its own retries are off (one HTTP
request per `send`): the outbox retries with back-off.

Errors (`_CODES`): throttling, `isp.*`, HTTP 5xx, timeouts and connection errors are
retryable; a bad number, template, signature or parameters are permanent; a rejected AccessKey
or signature is permanent too (a configuration error, logged at ERROR with a Chinese hint).

De-duplication: repeats of a key within the process return the first receipt without calling
the vendor (`duplicate=True`). After a crash the resend reaches the vendor with the same
`OutId`; whether the vendor drops it is the vendor's behaviour, not something we can check.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar, Literal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from smartduty.notifications.ports import (
    AcceptedKeys,
    Channel,
    OutboundMessage,
    PermanentSendError,
    Receipt,
    RetryableSendError,
    mask_address,
)
from smartduty.notifications.providers import register_provider

logger = logging.getLogger(__name__)

PROVIDER_NAME = "aliyun_sms"
DEFAULT_ENDPOINT = "dysmsapi.aliyuncs.com"
API_VERSION = "2017-05-25"
RECEIPT_CACHE_SIZE = 10_000
"""Receipts remembered per process for repeats of a key (the outbox failed to record one)."""


class AliyunSmsConfig(BaseModel):
    """`settings.SMS_ALIYUN`: credentials, endpoint, template codes and timeouts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    access_key_id: str = ""
    access_key_secret: SecretStr = SecretStr("")
    access_key_secret_file: Path | None = None
    """A file holding the secret (a mounted secret); used instead of `access_key_secret`."""
    endpoint: str = DEFAULT_ENDPOINT
    """Host (`dysmsapi.aliyuncs.com`) or a URL with scheme (`http://127.0.0.1:8123` for a fake)."""
    region_id: str = "cn-hangzhou"
    sign_name: str = ""
    """Overrides the message's signature when the vendor registered it under another name."""
    templates: dict[str, str] = Field(default_factory=dict)
    """Our template code → the vendor's (`{"SD_MOVE_001": "SMS_123456789"}`)."""
    connect_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=30)

    @field_validator("templates")
    @classmethod
    def _our_codes_upper_case(cls, templates: dict[str, str]) -> dict[str, str]:
        # `SMARTDUTY_SMS_ALIYUN__TEMPLATES__SD_MOVE_001=…` arrives lower-cased (env names are
        # case-insensitive); our template codes are upper case
        return {code.strip().upper(): vendor.strip() for code, vendor in templates.items()}

    @model_validator(mode="after")
    def _one_secret(self) -> AliyunSmsConfig:
        if self.access_key_secret_file is not None and self.access_key_secret.get_secret_value():
            raise ValueError("set access_key_secret or access_key_secret_file, not both")
        return self

    @property
    def is_enabled(self) -> bool:
        """Is an AccessKey configured at all?"""
        return bool(self.access_key_id.strip())

    def secret(self) -> str:
        """The AccessKey secret, read from its file when one is named."""
        if self.access_key_secret_file is not None:
            return self.access_key_secret_file.read_text(encoding="utf-8").strip()
        return self.access_key_secret.get_secret_value()

    def protocol_and_host(self) -> tuple[Literal["http", "https"], str]:
        """Where the SDK sends requests: https to a bare host, or the URL's own scheme."""
        endpoint = self.endpoint.strip().rstrip("/")
        if endpoint.startswith("http://"):
            return "http", endpoint.removeprefix("http://")
        return "https", endpoint.removeprefix("https://")

    @classmethod
    def from_settings(cls) -> AliyunSmsConfig:
        """The configuration in `settings.SMS_ALIYUN` (a mapping or an `AliyunSmsConfig`)."""
        raw = getattr(settings, "SMS_ALIYUN", None)
        if raw is None:
            return cls()
        if isinstance(raw, cls):
            return raw
        data = raw.model_dump() if isinstance(raw, BaseModel) else dict(raw)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ImproperlyConfigured(f"settings.SMS_ALIYUN: {exc}") from exc


@dataclass(frozen=True)
class _Mapped:
    """How an Aliyun error code is handled, and what we record (Chinese, for the back office)."""

    retryable: bool
    message: str
    config_error: bool = False


_CODES: Mapping[str, _Mapped] = {
    "isv.BUSINESS_LIMIT_CONTROL": _Mapped(retryable=True, message="阿里云短信业务限流"),
    "isv.DAY_LIMIT_CONTROL": _Mapped(retryable=True, message="阿里云短信触发日发送上限"),
    "Throttling.User": _Mapped(retryable=True, message="阿里云接口限流"),
    "ServiceUnavailable": _Mapped(retryable=True, message="阿里云短信服务暂不可用"),
    "InternalError": _Mapped(retryable=True, message="阿里云短信服务内部错误"),
    "isp.SYSTEM_ERROR": _Mapped(retryable=True, message="阿里云短信系统错误"),
    "isv.MOBILE_NUMBER_ILLEGAL": _Mapped(retryable=False, message="手机号码格式错误"),
    "isv.INVALID_PARAMETERS": _Mapped(retryable=False, message="短信参数不合法"),
    "isv.INVALID_JSON_PARAM": _Mapped(retryable=False, message="短信模板参数不是合法 JSON"),
    "isv.SMS_TEMPLATE_ILLEGAL": _Mapped(
        retryable=False, message="短信模板未在阿里云审核通过或模板代码错误"
    ),
    "isv.SMS_SIGNATURE_ILLEGAL": _Mapped(
        retryable=False, message="短信签名未在阿里云审核通过或签名名称错误"
    ),
    "isv.TEMPLATE_MISSING_PARAMETERS": _Mapped(retryable=False, message="短信模板缺少变量"),
    "isv.TEMPLATE_PARAMS_ILLEGAL": _Mapped(retryable=False, message="短信模板变量内容不合规"),
    "isv.PARAM_LENGTH_LIMIT": _Mapped(retryable=False, message="短信模板变量超长"),
    "SignatureDoesNotMatch": _Mapped(
        retryable=False,
        config_error=True,
        message=(
            "阿里云短信配置错误：请求签名不匹配，请检查 AccessKey Secret"
            "（SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_SECRET）"
        ),
    ),
    "InvalidAccessKeyId.NotFound": _Mapped(
        retryable=False,
        config_error=True,
        message=(
            "阿里云短信配置错误：AccessKey ID 不存在，请检查 SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_ID"
        ),
    ),
    "InvalidAccessKeyId.Inactive": _Mapped(
        retryable=False,
        config_error=True,
        message="阿里云短信配置错误：AccessKey 已禁用，请在阿里云控制台启用或更换",
    ),
    "isp.RAM_PERMISSION_DENY": _Mapped(
        retryable=False,
        config_error=True,
        message="阿里云短信配置错误：该 AccessKey 没有短信发送权限（RAM 授权）",
    ),
}
"""Aliyun's error codes (HTTP 200 `Code` for `isv.*`/`isp.*`, HTTP 4xx/5xx for the gateway's)."""

_PHONE_LIKE = re.compile(r"(?<!\d)(\+?86)?1\d{10}(?!\d)")
_URL_PHONE = re.compile(r"(PhoneNumbers=)[^&\s\"']+")


def redact(text: str, address: str = "") -> str:
    """`text` without the address or anything that looks like a mainland mobile number."""
    if address.strip():
        text = text.replace(address.strip(), mask_address(Channel.SMS, address))
    text = _URL_PHONE.sub(r"\1***", text)
    return _PHONE_LIKE.sub(lambda m: mask_address(Channel.SMS, m.group(0)), text)


class _RedactPhoneNumbers(logging.Filter):
    """urllib3 logs each request line at DEBUG, query string included: the SDK puts
    `PhoneNumbers` there. This filter masks it before any handler sees the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_REDACT_FILTER = _RedactPhoneNumbers()


def _install_log_redaction() -> None:
    for name in ("urllib3.connectionpool", "urllib3.util.retry"):
        target = logging.getLogger(name)
        if _REDACT_FILTER not in target.filters:
            target.addFilter(_REDACT_FILTER)


class AliyunSmsSender:
    """`Sender` for `Channel.SMS` through Aliyun's `SendSms`."""

    channel: ClassVar[Channel] = Channel.SMS

    def __init__(self, config: AliyunSmsConfig) -> None:
        """A sender with its own SDK client (connection pool) for `config`."""
        if not config.is_enabled:
            raise ImproperlyConfigured("阿里云短信未配置 AccessKey ID")
        secret = config.secret()
        if not secret:
            raise ImproperlyConfigured(
                "阿里云短信已配置 AccessKey ID 但缺少 AccessKey Secret"
                "（SMARTDUTY_SMS_ALIYUN__ACCESS_KEY_SECRET 或 …_SECRET_FILE）"
            )
        self.config = config
        self._client, self._runtime = _build_client(config, secret)
        self._accepted = AcceptedKeys(RECEIPT_CACHE_SIZE)
        _install_log_redaction()

    def send(self, msg: OutboundMessage) -> Receipt:
        """One `SendSms`, or the earlier receipt for a key this process already sent."""
        address = msg.address.strip()
        if not address:
            raise PermanentSendError("收件地址为空")
        earlier = self._accepted.earlier(msg.idempotency_key)
        if earlier is not None:
            return earlier
        vendor_template = self.config.templates.get(msg.template_code)
        if not vendor_template:
            raise PermanentSendError(
                f"阿里云短信未配置模板 {msg.template_code} 的模板代码"
                "（SMARTDUTY_SMS_ALIYUN__TEMPLATES）"
            )
        masked = mask_address(self.channel, address)
        body = self._call(msg, address, vendor_template)
        code = str(body.get("Code") or "")
        if code != "OK":
            raise _error(code, str(body.get("Message") or ""), address, masked)
        biz_id = str(body.get("BizId") or "")
        if not biz_id:
            raise RetryableSendError(
                f"阿里云短信应答缺少 BizId（RequestId {body.get('RequestId')}）"
            )
        receipt = Receipt(provider_message_id=biz_id, accepted_at=timezone.now())
        self._accepted.remember(msg.idempotency_key, receipt)
        logger.info(
            "aliyun sms accepted to=%s template=%s biz_id=%s out_id=%s",
            masked,
            vendor_template,
            biz_id,
            msg.idempotency_key,
        )
        return receipt

    def _call(self, msg: OutboundMessage, address: str, vendor_template: str) -> dict[str, Any]:
        sdk = _sdk()
        request = sdk.sms_models.SendSmsRequest(
            phone_numbers=address,
            sign_name=self.config.sign_name or msg.signature,
            template_code=vendor_template,
            template_param=json.dumps(dict(msg.params), ensure_ascii=False, separators=(",", ":")),
            out_id=msg.idempotency_key,
        )
        masked = mask_address(self.channel, address)
        try:
            response = self._client.send_sms_with_options(request, self._runtime)
        except sdk.exceptions.AlibabaCloudException as exc:
            raise _error(
                str(exc.code or ""),
                str(exc.message or ""),
                address,
                masked,
                status=exc.status_code,
            ) from None  # no cause chained: the SDK's texts may hold the request URL
        except Exception as exc:  # the SDK wraps timeouts, connection errors, bad bodies alike
            inner = getattr(exc, "inner_exception", None) or exc
            detail = redact(f"{type(inner).__name__}: {inner}", address)
            logger.warning(
                "aliyun sms transport error to=%s out_id=%s: %s",
                masked,
                msg.idempotency_key,
                detail,
            )
            raise RetryableSendError(f"{_transport_problem(inner)}（{detail[:300]}）") from None
        body = response.body.to_map() if response.body is not None else {}
        return dict(body)


def _transport_problem(error: BaseException) -> str:
    """What went wrong below the API, in Chinese."""
    if isinstance(error, ValueError) or "json" in str(error).lower():
        return "阿里云短信应答无法解析（网关错误）"  # not JSON: a proxy's or gateway's 5xx page
    if "timed out" in str(error).lower() or isinstance(error, TimeoutError):
        return "阿里云短信请求超时"
    return "阿里云短信连接失败"


def _error(
    code: str, message: str, address: str, masked: str, *, status: int | None = None
) -> RetryableSendError | PermanentSendError:
    """The port's error for an Aliyun answer that is not `OK`."""
    vendor = redact(f"{code}: {message}", address)[:300]
    mapped = _CODES.get(code)
    if mapped is None:
        # unknown codes: the platform's (`isp.*`) and server errors may pass, the rest will not
        retryable = code.startswith(("isp.", "Throttling")) or (status or 0) >= 500
        mapped = _Mapped(retryable=retryable, message="阿里云短信发送失败")
    if mapped.config_error:
        logger.error("aliyun sms configuration rejected (%s) to=%s", code, masked)
    else:
        logger.warning("aliyun sms refused to=%s status=%s %s", masked, status, vendor)
    text = f"{mapped.message}；阿里云返回 {vendor}"
    return RetryableSendError(text) if mapped.retryable else PermanentSendError(text)


@dataclass(frozen=True)
class _Sdk:
    """The SDK's modules, imported on first use (about half a second)."""

    client: ModuleType
    sms_models: ModuleType
    open_api_models: ModuleType
    exceptions: ModuleType
    runtime: ModuleType


_SDK: list[_Sdk] = []


def _sdk() -> _Sdk:
    if not _SDK:
        # lazy (see the module docstring); the SDK ships no type information (no py.typed)
        from alibabacloud_dysmsapi20170525 import (  # type: ignore[import-untyped]  # noqa: PLC0415
            client,
            models,
        )
        from alibabacloud_tea_openapi import (  # type: ignore[import-untyped]  # noqa: PLC0415
            exceptions,
            utils_models,
        )
        from darabonba import runtime  # type: ignore[import-untyped]  # noqa: PLC0415

        _SDK.append(_Sdk(client, models, utils_models, exceptions, runtime))
    return _SDK[0]


def _build_client(config: AliyunSmsConfig, secret: str) -> tuple[Any, Any]:
    """The SDK client and its runtime options (timeouts in ms, no SDK-level retries)."""
    sdk = _sdk()
    protocol, host = config.protocol_and_host()
    connect_ms = round(config.connect_timeout_seconds * 1000)
    read_ms = round(config.read_timeout_seconds * 1000)
    client = sdk.client.Client(
        sdk.open_api_models.Config(
            access_key_id=config.access_key_id,
            access_key_secret=secret,
            endpoint=host,
            protocol=protocol,
            region_id=config.region_id,
            connect_timeout=connect_ms,
            read_timeout=read_ms,
        )
    )
    runtime = sdk.runtime.RuntimeOptions(
        autoretry=False, connect_timeout=connect_ms, read_timeout=read_ms
    )
    return client, runtime


def build_sender() -> AliyunSmsSender | None:
    """A sender for `settings.SMS_ALIYUN`, or None when no AccessKey is configured.

    Refuses (`ImproperlyConfigured`) a half configuration, and timeouts that do not fit well
    inside the outbox lease (`settings.NOTIFICATIONS_LEASE_SECONDS`).
    """
    config = AliyunSmsConfig.from_settings()
    if not config.is_enabled:
        return None
    lease = float(getattr(settings, "NOTIFICATIONS_LEASE_SECONDS", 60))
    if config.connect_timeout_seconds + config.read_timeout_seconds >= lease / 2:
        raise ImproperlyConfigured(
            "阿里云短信超时（连接 + 读取）须小于消息租约的一半（"
            f"{config.connect_timeout_seconds}+{config.read_timeout_seconds} 秒，租约 {lease} 秒）"
        )
    return AliyunSmsSender(config)


def register_if_configured() -> AliyunSmsSender | None:
    """Register provider `aliyun_sms` when `settings.SMS_ALIYUN` names an AccessKey;
    called from `NotificationsConfig.ready()`. Returns the registered sender."""
    sender = build_sender()
    if sender is not None:
        register_provider(PROVIDER_NAME, sender)
    return sender
