"""The messaging vendors' part of the environment (`SMARTDUTY_SMS_*`), read by `env.Env`.

Each vendor group is empty by default: its provider is registered only when its credentials
are set (`notifications.providers.<vendor>.register_if_configured`), so `make run` keeps the
console provider and a district's policy can name only a vendor that is configured.
Secrets are `SecretStr` (never printed) and may come from a file (`..._FILE`, e.g. a mounted
secret) instead of the environment. See docs/operations/sms-vendor.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class SmsAliyunEnv(BaseModel):
    """Aliyun SMS (`SMARTDUTY_SMS_ALIYUN__...`, provider `aliyun_sms`); without an AccessKey id
    the provider is not registered. Read by `notifications.providers.aliyun_sms`."""

    model_config = ConfigDict(extra="forbid")

    access_key_id: str = ""
    access_key_secret: SecretStr = SecretStr("")
    access_key_secret_file: Path | None = None
    """A file holding the secret (e.g. a mounted secret), instead of `access_key_secret`."""
    endpoint: str = "dysmsapi.aliyuncs.com"
    """API host, or a URL with its scheme (`http://127.0.0.1:8123` for a test fake)."""
    region_id: str = "cn-hangzhou"
    sign_name: str = ""
    """Overrides the message's signature (签名) when Aliyun registered it under another name."""
    templates: dict[str, str] = Field(default_factory=dict)
    """Our template code → Aliyun's: `'{"SD_MOVE_001": "SMS_123456789"}'`."""
    connect_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=30)
    """Connect + read must stay under half of `SMARTDUTY_WORKER__NOTIFICATIONS_LEASE_SECONDS`."""


class SmsTencentTemplateEnv(BaseModel):
    """One of our templates as registered with Tencent."""

    model_config = ConfigDict(extra="forbid")

    template_id: str = Field(pattern=r"^\d{1,20}$")
    params: list[str] | None = None
    """Our variable names in the order of Tencent's {1}, {2} …; unset: their order in our text."""


class SmsTencentEnv(BaseModel):
    """Tencent Cloud SMS (`SMARTDUTY_SMS_TENCENT__...`); provider `tencent_sms` is registered
    when secret_id, secret_key (or secret_key_file) and sdk_app_id are all set."""

    model_config = ConfigDict(extra="forbid")

    secret_id: str = ""
    secret_key: SecretStr = SecretStr("")
    secret_key_file: Path | None = None
    """A file holding the SecretKey (mode 0600, e.g. a systemd credential); wins over secret_key."""
    sdk_app_id: str = ""
    region: str = "ap-guangzhou"
    endpoint: str = "sms.tencentcloudapi.com"
    protocol: Literal["https", "http"] = "https"
    timeout_seconds: float = Field(default=5.0, gt=0, le=20)
    templates: dict[str, SmsTencentTemplateEnv] = Field(default_factory=dict)

    def resolved_secret_key(self) -> SecretStr:
        """The SecretKey, read from `secret_key_file` when one is named."""
        if self.secret_key_file is None:
            return self.secret_key
        return SecretStr(self.secret_key_file.read_text(encoding="utf-8").strip())


class SmsReceiptsEnv(BaseModel):
    """Delivery receipts pushed by the vendors (`SMARTDUTY_SMS_RECEIPTS__...`): the secret that
    ends each vendor's receipt URL (`/hooks/sms/<vendor>/<secret>`, ≥ 24 characters; no secret:
    the endpoint answers 404), optional source addresses per vendor, and which of our provider
    names each vendor's receipts may match. See docs/operations/sms-receipts.md."""

    model_config = ConfigDict(extra="forbid")

    secrets: dict[str, SecretStr] = Field(default_factory=dict)
    """`'{"aliyun": "…", "tencent": "…"}'`."""
    allowed_ips: dict[str, list[str]] = Field(default_factory=dict)
    providers: dict[str, list[str]] = Field(default_factory=dict)
