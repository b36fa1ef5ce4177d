"""Tencent Cloud SMS (SendSms, API 2021-01-11) through the official SDK.

Our template codes (`SD_MOVE_001`) map to Tencent's numeric template ids by configuration
(`settings.SMS_TENCENT["templates"]`). Tencent templates number their variables `{1}`,
`{2}` …, so `TemplateParamSet` is an ordered list: the order is the configured `params` of the
template if given, otherwise the order in which the variables appear in our template text
(`notifications.templates`, handed in as `template_lookup` by `NotificationsConfig.ready()`;
a provider may not import that module itself).

`SessionContext` carries the message's idempotency key, so a resend after a crash carries the
same value and the vendor echoes it back (delivery receipts, the send status). Tencent does not
promise to de-duplicate on it; this sender also remembers the keys it had accepted in this
process, so a retry after a failed "record" step does not reach the vendor twice.

Credentials come from settings (environment or secrets file), never from the database and
never into a log. The SDK logs whole requests (phone numbers included) at DEBUG level on
`tencentcloud_sdk_common`; a filter on that logger hides every long digit run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

# the SDK ships no type information (no py.typed): its names are untyped here
from tencentcloud.common import credential  # type: ignore[import-untyped]
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (  # type: ignore[import-untyped]
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import (  # type: ignore[import-untyped]
    ClientProfile,
)
from tencentcloud.common.profile.http_profile import (  # type: ignore[import-untyped]
    HttpProfile,
)
from tencentcloud.sms.v20210111 import models, sms_client  # type: ignore[import-untyped]

from smartduty.kernel.errors import DomainError
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

PROVIDER_NAME = "tencent_sms"
SDK_LOGGER = "tencentcloud_sdk_common"
MAX_TIMEOUT_SECONDS = 20.0
"""Longest configurable request timeout. The SDK hands it to `requests`, where it bounds the
connect and each read separately, so a send may take about twice this: still well within the
outbox lease (60 s by default)."""
REMEMBERED_KEYS = 4096
"""Idempotency keys (with their receipts) this process remembers after the vendor accepted."""


class TencentSmsTemplate(BaseModel):
    """One of our templates as registered with Tencent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template_id: str = Field(pattern=r"^\d{1,20}$")
    """Tencent's numeric template id (短信正文模板 ID)."""
    params: tuple[str, ...] | None = None
    """Our variable names in the order of Tencent's `{1}`, `{2}` …; unset: the order in which
    they appear in our template text."""


class TencentSmsConfig(BaseModel):
    """Everything the adapter needs, from `settings.SMS_TENCENT`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_id: str = ""
    secret_key: SecretStr = SecretStr("")
    sdk_app_id: str = Field(default="", pattern=r"^(\d{1,20})?$")
    """The SMS application (SmsSdkAppId, e.g. `1400000000`)."""
    region: str = "ap-guangzhou"
    endpoint: str = "sms.tencentcloudapi.com"
    """Host (and port) of the API; tests point it at a loopback fake."""
    protocol: Literal["https", "http"] = "https"
    """`http` only for a loopback test server."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=MAX_TIMEOUT_SECONDS)
    templates: dict[str, TencentSmsTemplate] = Field(default_factory=dict)
    """Our template code (`SD_MOVE_001`) → Tencent's template id and parameter order."""

    @property
    def is_configured(self) -> bool:
        """Are the credentials and the application set?"""
        return bool(self.secret_id and self.secret_key.get_secret_value() and self.sdk_app_id)

    @classmethod
    def from_settings(cls) -> TencentSmsConfig:
        """The config in `settings.SMS_TENCENT` (a mapping; absent: not configured)."""
        raw: Mapping[str, object] = getattr(settings, "SMS_TENCENT", None) or {}
        return cls.model_validate(dict(raw))


class TemplateDefinition(Protocol):
    """What this adapter reads of our template (`notifications.templates.Template`)."""

    @property
    def text(self) -> str:
        """The template text with `${name}` placeholders."""
        ...

    @property
    def variables(self) -> tuple[str, ...]:
        """The variable names."""
        ...


TemplateLookup = Callable[[str], TemplateDefinition]

# per-number and top-level codes: what may succeed later, what is a configuration error
_RETRYABLE_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded.")
_PERMANENT_LIMITS = frozenset(
    {"LimitExceeded.PhoneNumberCountLimit", "LimitExceeded.AppCountryOrRegionInBlacklist"}
)
_SDK_TRANSPORT = frozenset({"ClientNetworkError", "ServerNetworkError"})
"""The SDK's own codes: no connection, a timeout, or an HTTP status other than 200."""
_SDK_UNREADABLE = frozenset({"JSONDecodeError", "KeyError", "TypeError", "ValueError"})
"""The SDK could not read the answer (a proxy's error page): the outcome is unknown."""
_CONFIG_PREFIXES = ("AuthFailure", "UnauthorizedOperation")
_CONFIG_CODES = frozenset(
    {
        "InvalidParameterValue.SdkAppIdNotExist",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.TemplateUnapprovedOrNotExist",
        "FailedOperation.TemplateIdNotExist",
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.MissingSignature",
        "FailedOperation.InsufficientBalanceInSmsPackage",
    }
)
_BAD_NUMBER_CODES = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
    }
)
_CONFIG_HINTS = {
    "AuthFailure": "请检查腾讯云 SecretId/SecretKey 配置",
    "UnauthorizedOperation": "请检查 SmsSdkAppId、账号权限与 IP 白名单",
}


def is_retryable(code: str) -> bool:
    """Would the same request succeed later? (Tencent's and the SDK's error codes.)"""
    if code in _SDK_TRANSPORT or code in _SDK_UNREADABLE:
        return True
    if code in _PERMANENT_LIMITS:
        return False
    return code.startswith(_RETRYABLE_PREFIXES)


def describe(code: str, message: str) -> str:
    """A Chinese explanation of a Tencent code for the delivery's error column."""
    if code in _SDK_UNREADABLE:
        return f"腾讯云短信应答无法解析（{code}）"
    if code.startswith(_CONFIG_PREFIXES):
        hint = _CONFIG_HINTS[code.split(".", 1)[0]]
        return f"腾讯云短信配置错误（{code}）：{hint}。{message}"
    return f"{_headline(code)}（{code}）：{message}"


def _headline(code: str) -> str:
    if code in _SDK_TRANSPORT:
        return "腾讯云短信网络错误或超时"
    if code in _CONFIG_CODES:
        return "腾讯云短信签名、模板或套餐配置错误"
    if code in _BAD_NUMBER_CODES:
        return "手机号码无效或被拒收"
    if is_retryable(code):
        return "腾讯云短信暂时拒绝发送，稍后重试"
    return "腾讯云短信拒绝发送"


_DIGIT_RUN = re.compile(r"\+?\d{7,}")


def _redact(text: str) -> str:
    """Hide every run of 7 or more digits (phone numbers) in a text."""
    return _DIGIT_RUN.sub("***", text)


class _RedactSdkLog(logging.Filter):
    """Rewrites the SDK's request and response dumps without phone numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.getMessage())
        record.args = None
        return True


def _guard_sdk_logger() -> None:
    sdk_logger = logging.getLogger(SDK_LOGGER)
    if not any(isinstance(f, _RedactSdkLog) for f in sdk_logger.filters):
        sdk_logger.addFilter(_RedactSdkLog())


_CN_MOBILE = re.compile(r"1\d{10}")
_E164 = re.compile(r"\+[1-9]\d{5,14}")


def to_e164(address: str) -> str:
    """`13800138000` → `+8613800138000`; `+…`, `86…` and `0086…` forms are accepted."""
    compact = re.sub(r"[\s()-]", "", address)
    if _CN_MOBILE.fullmatch(compact):
        return f"+86{compact}"
    if compact.startswith("0086"):
        compact = f"+{compact[2:]}"
    elif compact.startswith("86") and _CN_MOBILE.fullmatch(compact[2:]):
        compact = f"+{compact}"
    if _E164.fullmatch(compact):
        return compact
    raise PermanentSendError(f"手机号码格式不正确：{mask_address(Channel.SMS, address)}")


def ordered_params(template: TemplateDefinition) -> tuple[str, ...]:
    """A template's variables in the order they appear in its text."""
    return tuple(sorted(template.variables, key=lambda name: template.text.find(f"${{{name}}}")))


class TencentSmsSender:
    """SMS through Tencent Cloud's SendSms; `SessionContext` = the idempotency key."""

    channel: ClassVar[Channel] = Channel.SMS

    def __init__(
        self, config: TencentSmsConfig, *, template_lookup: TemplateLookup | None = None
    ) -> None:
        """Build the SDK client once; the credentials stay inside it."""
        if not config.is_configured:
            raise ValueError("Tencent SMS needs secret_id, secret_key and sdk_app_id")
        self.config = config
        self._template_lookup = template_lookup
        _guard_sdk_logger()
        http = HttpProfile(
            protocol=config.protocol,
            endpoint=config.endpoint,
            reqMethod="POST",
            reqTimeout=config.timeout_seconds,
        )
        # TC3-HMAC-SHA256, no SDK retries (the outbox retries), no region breaker
        profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http, language="zh-CN")
        cred = credential.Credential(config.secret_id, config.secret_key.get_secret_value())
        self._client = sms_client.SmsClient(cred, config.region, profile)
        self._accepted = AcceptedKeys(REMEMBERED_KEYS)

    def __repr__(self) -> str:
        return f"TencentSmsSender(sdk_app_id={self.config.sdk_app_id!r})"

    def send(self, msg: OutboundMessage) -> Receipt:
        """Send once per idempotency key; raises only the port's two errors."""
        earlier = self._accepted.earlier(msg.idempotency_key)
        if earlier is not None:
            return earlier
        masked = mask_address(self.channel, msg.address)
        request = self._request(msg)
        try:
            response = self._client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code() or "UnknownError")
            error = self._error(code, str(exc.get_message() or ""), msg)
            logger.warning(
                "tencent sms refused to=%s template=%s code=%s request_id=%s",
                masked,
                msg.template_code,
                code,
                exc.get_request_id(),
            )
            raise error from None
        receipt = self._receipt(response, msg)
        logger.info(
            "tencent sms accepted to=%s template=%s serial=%s",
            masked,
            msg.template_code,
            receipt.provider_message_id,
        )
        self._accepted.remember(msg.idempotency_key, receipt)
        return receipt

    def _request(self, msg: OutboundMessage) -> Any:
        mapping = self.config.templates.get(msg.template_code)
        if mapping is None:
            raise PermanentSendError(f"腾讯云短信未配置模板 {msg.template_code} 的模板 ID")
        if not msg.signature:
            raise PermanentSendError("腾讯云短信需要短信签名")
        order = self._param_order(msg.template_code, mapping)
        if sorted(order) != sorted(msg.params):
            raise PermanentSendError(
                f"模板 {msg.template_code} 的参数与腾讯云模板配置不一致："
                f"需要 {'、'.join(order)}，收到 {'、'.join(sorted(msg.params))}"
            )
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [to_e164(msg.address)]
        request.SmsSdkAppId = self.config.sdk_app_id
        request.SignName = msg.signature
        request.TemplateId = mapping.template_id
        request.TemplateParamSet = [msg.params[name] for name in order]
        request.SessionContext = msg.idempotency_key
        return request

    def _param_order(self, code: str, mapping: TencentSmsTemplate) -> tuple[str, ...]:
        if mapping.params is not None:
            return mapping.params
        if self._template_lookup is None:
            raise PermanentSendError(f"腾讯云短信模板 {code} 未配置参数顺序")
        try:
            return ordered_params(self._template_lookup(code))
        except DomainError as exc:
            raise PermanentSendError(f"腾讯云短信模板 {code}：{exc}") from None

    def _error(self, code: str, message: str, msg: OutboundMessage) -> Exception:
        if msg.address:
            message = message.replace(msg.address, "***")
        text = _redact(describe(code, message))
        if is_retryable(code):
            return RetryableSendError(text)
        return PermanentSendError(text)

    def _receipt(self, response: Any, msg: OutboundMessage) -> Receipt:
        statuses = list(getattr(response, "SendStatusSet", None) or [])
        if len(statuses) != 1:
            # no answer for our one number: we cannot know, and a resend carries the same key
            raise RetryableSendError("腾讯云短信应答缺少发送状态")
        status = statuses[0]
        code = str(getattr(status, "Code", "") or "")
        if code.lower() != "ok":
            raise self._error(code or "UnknownError", str(getattr(status, "Message", "")), msg)
        serial = str(getattr(status, "SerialNo", "") or "")
        if not serial:
            serial = f"request:{getattr(response, 'RequestId', '') or msg.idempotency_key}"
        return Receipt(provider_message_id=serial, accepted_at=timezone.now())


def sender_from_settings(
    *, template_lookup: TemplateLookup | None = None
) -> TencentSmsSender | None:
    """The sender built from `settings.SMS_TENCENT`, or None when it is not configured.

    `ImproperlyConfigured` for an invalid config or one with only some of its credentials.
    """
    try:
        config = TencentSmsConfig.from_settings()
    except ValidationError as exc:
        raise ImproperlyConfigured(f"settings.SMS_TENCENT is invalid: {exc}") from None
    if not config.is_configured:
        if config.secret_id or config.secret_key.get_secret_value() or config.sdk_app_id:
            # an enabled channel without its secret fails at start, not on each message
            raise ImproperlyConfigured(
                "settings.SMS_TENCENT needs secret_id, secret_key and sdk_app_id together"
            )
        return None
    return TencentSmsSender(config, template_lookup=template_lookup)


def register_if_configured(*, template_lookup: TemplateLookup | None = None) -> bool:
    """Register `tencent_sms` for SMS when `settings.SMS_TENCENT` has its credentials.

    Called from `NotificationsConfig.ready()` with `templates.get_template`, so a template's
    parameter order comes from our own definition unless the config gives one.
    """
    sender = sender_from_settings(template_lookup=template_lookup)
    if sender is None:
        return False
    register_provider(PROVIDER_NAME, sender)
    return True
