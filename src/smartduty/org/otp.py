"""Two-factor log-in with TOTP (RFC 6238) on django-otp's devices.

- Policy: `settings.OTP_REQUIRED_ROLES` (role values, see `org.states.Role`) lists the roles
  that must use a code; superusers count as `sysadmin`. An account that has enrolled is
  always asked for its code, whatever its role.
- Enrolment: an unconfirmed `TOTPDevice` (its otpauth URI as a QR code, and the secret for
  manual entry); the first right code confirms it and creates ten recovery codes (a django-otp
  `StaticDevice`), shown once, each usable once.
- Verification: a 6-digit code against the TOTP device (django-otp refuses a code already
  used and throttles wrong codes per device), else a recovery code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from smartduty.kernel import audit
from smartduty.kernel.errors import Conflict
from smartduty.org.errors import OtpInvalid
from smartduty.org.states import Role

TOTP_DEVICE_NAME = "身份验证器"
RECOVERY_DEVICE_NAME = "恢复码"
RECOVERY_CODE_COUNT = 10
_SEPARATORS = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class Enrolment:
    """What an enrolment screen shows: the secret (base32) and its otpauth URI as a QR code."""

    secret: str
    otpauth_uri: str
    qr_svg_data_uri: str


def role_values(user: AbstractBaseUser) -> set[str]:
    """The `Role` values of the account's groups (superusers also count as `sysadmin`)."""
    by_label = {str(role.label): str(role.value) for role in Role}
    names = user.groups.values_list("name", flat=True)  # type: ignore[attr-defined]
    values = {by_label[name] for name in names if name in by_label}
    if getattr(user, "is_superuser", False):
        values.add(str(Role.SYSADMIN.value))
    return values


def otp_required(user: AbstractBaseUser) -> bool:
    """Whether the policy makes this account use a one-time code."""
    required = set(settings.OTP_REQUIRED_ROLES)
    return bool(required) and bool(role_values(user) & required)


def is_enrolled(user: AbstractBaseUser) -> bool:
    """Whether the account has a confirmed authenticator."""
    return bool(TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists())


def session_ok(user: Any) -> bool:
    """Whether a session user may use the back office and the API: verified with a code when
    the policy asks for one (`otp_device`, set by django-otp's middleware and `login`)."""
    if not settings.OTP_REQUIRED_ROLES or not otp_required(user):
        return True
    return getattr(user, "otp_device", None) is not None  # what django-otp's is_verified() checks


def start_enrolment(*, user: AbstractBaseUser) -> Enrolment:
    """The account's pending authenticator (created on first call, the same one after)."""
    if is_enrolled(user):
        raise Conflict("该账号已绑定身份验证器；如需更换，请联系系统管理员重置")
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return _enrolment(device)


def _enrolment(device: TOTPDevice) -> Enrolment:
    uri: str = device.config_url
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    qr = segno.make(uri, error="m")
    return Enrolment(
        secret=secret, otpauth_uri=uri, qr_svg_data_uri=qr.svg_data_uri(scale=5, border=2)
    )


@transaction.atomic
def confirm_enrolment(
    *, user: AbstractBaseUser, code: str, ip_address: str | None = None
) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with its first code; return it and new recovery codes.

    The recovery codes are returned this once (stored as django-otp keeps them)."""
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).first()
    if device is None:
        raise Conflict("没有待绑定的身份验证器，请刷新页面重新开始")
    if not device.verify_token(_normalise(code)):
        raise OtpInvalid()
    TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record(
        actor=user,  # type: ignore[arg-type]  # the configured user model
        action="auth.otp_enrolled",
        object_type="auth.user",
        object_id=user.get_username()[:64],
        ip_address=ip_address,
    )
    return device, codes


def _new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify_code(
    *, user: AbstractBaseUser, code: str, ip_address: str | None = None
) -> TOTPDevice | StaticDevice | None:
    """The device that accepts this code (TOTP first, then a recovery code, used up), or None."""
    token = _normalise(code)
    if not token:
        return None
    candidates: list[TOTPDevice | StaticDevice] = []
    if len(token) == 6 and token.isdigit():  # a TOTP code; recovery codes have 8 characters
        candidates += TOTPDevice.objects.filter(user_id=user.pk, confirmed=True)
    else:
        candidates += StaticDevice.objects.filter(user_id=user.pk, confirmed=True)
    for device in candidates:
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            if isinstance(verified, StaticDevice):
                left = StaticToken.objects.filter(device=verified).count()
                audit.record(
                    actor=user,  # type: ignore[arg-type]  # the configured user model
                    action="auth.recovery_code_used",
                    object_type="auth.user",
                    object_id=user.get_username()[:64],
                    changes={"left": left},
                    ip_address=ip_address,
                )
            return verified
    return None


def reset_devices(*, user: AbstractBaseUser, actor: Any, ip_address: str | None = None) -> None:
    """Remove an account's authenticator and recovery codes (lost phone); it enrols again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user_id=user.pk).delete()
        StaticDevice.objects.filter(user_id=user.pk).delete()
        audit.record(
            actor=actor,
            action="auth.otp_reset",
            object_type="auth.user",
            object_id=user.get_username()[:64],
            ip_address=ip_address,
        )


def _normalise(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()[:16]
