"""Recipient addresses: normalised before storage, digested for look-ups, never logged plain."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.utils.crypto import salted_hmac

from smartduty.kernel.crypto import field_secrets
from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications.ports import Channel

MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_ADDRESS_CHARS = 500


def normalise_address(channel: Channel, address: str) -> str:
    """The canonical form of an address, or `ValidationFailed` (Chinese message).

    SMS: an 11-digit mainland mobile number (spaces, dashes and a +86 prefix are dropped);
    app push: an officer's public_id (UUID); group webhook: the bot's URL.
    """
    value = address.strip()
    if not value:
        raise ValidationFailed("收件地址不能为空")
    if channel == Channel.SMS:
        digits = re.sub(r"[\s-]", "", value)
        digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
        if not MOBILE.match(digits):
            raise ValidationFailed("手机号码格式不正确（需为 11 位大陆手机号）")
        return digits
    if channel == Channel.APP_PUSH:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValidationFailed("App 通知的收件人须为执法人员编号（UUID）") from None
    if len(value) > MAX_ADDRESS_CHARS or not value.startswith(("https://", "http://")):
        raise ValidationFailed("群机器人地址须为 http(s) 网址")
    return value


def recipient_digest(channel: str, address: str, *, secret: str | None = None) -> str:
    """A keyed digest of a normalised address: lets us find rows without decrypting them.

    Keyed by the field key (`secret`, default the current one), so `rotate_field_key`
    recomputes it with the address.
    """
    return salted_hmac(
        "smartduty.notifications.recipient",
        f"{channel}:{address}",
        secret=secret or settings.FIELD_ENCRYPTION_KEY,
        algorithm="sha256",
    ).hexdigest()


def recipient_digests(channel: str, address: str) -> list[str]:
    """The address's digest under the current and every fallback field key: what a look-up
    matches while a key rotation is under way."""
    return [recipient_digest(channel, address, secret=secret) for secret in field_secrets()]
