"""Domain errors. Each carries a stable code, an HTTP status and a Chinese message.

Services raise these; the API turns them into `{"code": ..., "message": ...}` bodies.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error a service may raise on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    default_message: ClassVar[str] = "请求无效"

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """Input is well-formed but breaks a business rule."""

    status = 422
    code = "validation_failed"
    default_message = "输入内容不符合要求"


class NotAuthenticated(DomainError):
    """No valid session or token."""

    status = 401
    code = "not_authenticated"
    default_message = "请先登录"


class PermissionDenied(DomainError):
    """The principal may see the object but not do this."""

    status = 403
    code = "permission_denied"
    default_message = "您没有执行此操作的权限"


class NotFound(DomainError):
    """Missing, or outside the principal's scope (we never say which)."""

    status = 404
    code = "not_found"
    default_message = "未找到该记录，或不在您的辖区范围内"


class Conflict(DomainError):
    """Stale version or an action that the current state does not allow."""

    status = 409
    code = "conflict"
    default_message = "记录已被他人修改或当前状态不允许此操作，请刷新后重试"


class TooManyAttempts(DomainError):
    """Rate limit hit (for example repeated wrong passwords); `retry_after` seconds, when set,
    leave as the `Retry-After` header."""

    status = 429
    code = "too_many_attempts"
    default_message = "尝试次数过多，请稍后再试"

    def __init__(
        self, message: str | None = None, *, details: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    """An upload exceeds the configured limits."""

    status = 413
    code = "payload_too_large"
    default_message = "上传内容过大"


class IntegrityViolation(DomainError):
    """Stored evidence no longer matches its recorded hash."""

    status = 409
    code = "evidence_integrity_failed"
    default_message = "证据文件校验失败：内容与登记的哈希值不一致"


class ServiceUnavailable(DomainError):
    """A part the request needs is missing or overloaded (a font, a model file, storage, a
    provider setting, or too many requests in flight). Answered 503 with `Retry-After` when
    `retry_after` is set; `manage.py check` names missing parts at start-up."""

    status = 503
    code = "service_unavailable"
    default_message = "服务暂时不可用，请稍后再试"

    def __init__(
        self, message: str | None = None, *, details: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
