"""The one NinjaAPI, mounted at /api/v1/.

Every error leaves as `{"code": ..., "message": ...}` with a Chinese message; validation
errors add `details`. Operation ids are `<tag>-<function>` so the generated TS client is stable.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from ninja.renderers import JSONRenderer

from smartduty.evidence.api import router as evidence_router
from smartduty.kernel.errors import DomainError
from smartduty.notifications.api import router as notifications_router
from smartduty.org.api import router as org_router
from smartduty.org.auth import AUTH
from smartduty.parking.api import router as parking_router
from smartduty.policy.api import router as policy_router
from smartduty.recognition.api import router as recognition_router
from smartduty.stats.api import router as stats_router
from smartduty.vehicles.api import router as vehicles_router

_STATUS_CODES = {
    400: ("bad_request", "请求格式错误"),
    401: ("not_authenticated", "请先登录"),
    403: ("permission_denied", "您没有执行此操作的权限"),
    404: ("not_found", "未找到该记录，或不在您的辖区范围内"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "当前状态不允许此操作"),
    413: ("payload_too_large", "上传内容过大"),
    422: ("validation_failed", "输入内容不符合要求"),
    429: ("too_many_attempts", "尝试次数过多，请稍后再试"),
}


class SmartdutyAPI(NinjaAPI):
    """NinjaAPI with stable operation ids."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        tag = (operation.tags or ["api"])[0]
        return f"{tag}-{operation.view_func.__name__}"


class UTF8JSONRenderer(JSONRenderer):
    """JSON with Chinese text as UTF-8, not `\\uXXXX` escapes (readable in curl and logs)."""

    json_dumps_params = {"ensure_ascii": False}


api = SmartdutyAPI(
    renderer=UTF8JSONRenderer(),
    title="智慧勤务平台 API",
    version="1.0.0",
    description="smartduty: 城管 + 交警 联合勤务平台接口。错误统一返回 {code, message}。",
    urls_namespace="api-v1",
    auth=AUTH,
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    extra = {"details": exc.details} if exc.details is not None else {}
    response = _error(request, exc.status, exc.code, exc.message, **extra)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after)))
    return response


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields = [".".join(str(p) for p in err.get("loc", [])[1:]) for err in exc.errors]
    message = "输入内容不符合要求：" + "、".join(f for f in fields if f) if fields else None
    return _error(
        request,
        422,
        "validation_failed",
        message or "输入内容不符合要求",
        details=exc.errors,
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:  # noqa: ARG001
    return _error(request, 401, "not_authenticated", "请先登录，或令牌已失效")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:  # noqa: ARG001
    return _error(request, 404, *_STATUS_CODES[404])


@api.exception_handler(DjangoPermissionDenied)
def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:  # noqa: ARG001
    return _error(request, 403, *_STATUS_CODES[403])


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:  # noqa: ARG001
    return _error(request, 413, *_STATUS_CODES[413])


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message = _STATUS_CODES.get(exc.status_code, ("error", str(exc)))
    if exc.status_code == 403 and "CSRF" in str(exc):
        message = "CSRF 校验失败，请刷新页面后重试"
    return _error(request, exc.status_code, code, message)


api.add_router("/", org_router)
api.add_router("/", policy_router)
api.add_router("/", evidence_router)
api.add_router("/", vehicles_router)
api.add_router("/", parking_router)
api.add_router("/", stats_router)
api.add_router("/", recognition_router)
api.add_router("/", notifications_router)
