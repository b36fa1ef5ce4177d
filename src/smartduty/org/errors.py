"""Log-in errors of the org app (domain errors with their own stable codes)."""

from __future__ import annotations

from smartduty.kernel.errors import NotAuthenticated, PermissionDenied


class OtpRequired(NotAuthenticated):
    """The password is right; the account also needs its one-time code (or a recovery code)."""

    code = "otp_required"
    default_message = "该账号已启用两步验证，请输入身份验证器上的 6 位动态验证码（或一个恢复码）"


class OtpInvalid(NotAuthenticated):
    """The one-time code is wrong, expired or already used."""

    code = "otp_invalid"
    default_message = "动态验证码错误、已过期或已使用，请核对手机时间后重试"


class OtpEnrolmentRequired(PermissionDenied):
    """The account's role requires two-factor, and it has no authenticator yet."""

    code = "otp_enrolment_required"
    default_message = (
        "该账号的角色要求两步验证，请先在电脑上登录指挥中心或管理后台，绑定身份验证器后再登录"
    )
