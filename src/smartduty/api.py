"""The one NinjaAPI, mounted at /api/v1/.

Every error leaves as `{"code": ..., "message": ...}` with a Chinese message; validation
errors add `details`. Operation ids are `<tag>-<function>` so the generated TS client is stable.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.renderers import JSONRenderer
from pydantic import Field

from smartduty import errorpages
from smartduty.cases.api import router as cases_router
from smartduty.evidence.api import router as evidence_router
from smartduty.grids.api import router as grids_router
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


class ErrorOut(Schema):
    """Every error body: a stable code, a Chinese message, and details for invalid input."""

    code: str = Field(description="稳定的错误代码，如 not_found、validation_failed")
    message: str = Field(description="中文错误说明，可直接展示给用户")
    details: Any | None = Field(default=None, description="输入校验错误的逐项说明（可选）")


ERROR_RESPONSES: Final[dict[int, str]] = {
    400: "请求格式错误",
    401: "未登录或令牌已失效",
    403: "没有权限",
    404: "记录不存在，或不在您的辖区范围内",
    409: "版本冲突，或当前状态不允许此操作",
    413: "上传内容过大",
    422: "输入内容不符合要求",
    429: "请求过于频繁，请按 Retry-After 稍后再试",
    503: "服务暂时不可用（缺少字体、模型等部件，或负载过高），请按 Retry-After 稍后再试",
}
_WRITE_METHODS: Final = frozenset({"post", "put", "patch", "delete"})


def _body_fields(schema: dict[str, Any], body: dict[str, Any]) -> set[str]:
    """The field names of a request body, in any of its media types (`$ref`s followed)."""
    components = schema.get("components", {}).get("schemas", {})
    names: set[str] = set()
    for media in body.values():
        part = media.get("schema", {})
        ref = part.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            part = components.get(ref.rsplit("/", 1)[-1], {})
        names.update(part.get("properties", {}))
    return names


def _error_statuses(
    path: str, method: str, operation: dict[str, Any], schema: dict[str, Any]
) -> list[int]:
    """The error statuses an operation can answer, from what the operation takes."""
    params = operation.get("parameters", [])
    body = operation.get("requestBody", {}).get("content", {})
    fields = {p.get("name", "") for p in params} | _body_fields(schema, body)
    # 401/403 on every operation: the public ones check credentials too (`POST /auth/tokens`
    # refuses a wrong password with 401 and an account that must enrol TOTP with 403)
    statuses = [401, 403, 429, 503]
    # a path id, or an id in the query or body (`district_id`), may name nothing visible
    if "{" in path or any(name.endswith("_id") for name in fields):
        statuses.append(404)
    if params or body:
        statuses.append(422)
    if body:
        statuses.append(400)
    if method in _WRITE_METHODS:
        statuses.append(409)
    if "multipart/form-data" in body:
        statuses.append(413)
    return sorted(statuses)


def declare_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add `ErrorOut` and the error responses each operation can give (kept where declared)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, methods in schema.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            for status in _error_statuses(path, method, operation, schema):
                responses.setdefault(
                    status,
                    {
                        "description": ERROR_RESPONSES[status],
                        "content": {"application/json": {"schema": ref}},
                    },
                )
    return schema


class SmartdutyAPI(NinjaAPI):
    """NinjaAPI with stable operation ids, declared error responses and JSON 405s."""

    def get_openapi_operation_id(self, operation: Operation) -> str:
        tag = (operation.tags or ["api"])[0]
        return f"{tag}-{operation.view_func.__name__}"

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        """Ninja's schema plus `ErrorOut` responses on every operation."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_error_responses(schema)
        return schema

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        """Ninja's URL patterns; a method a path does not take answers JSON 405."""
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = errorpages.json_method_not_allowed(pattern.callback)
        return urls


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


_RULES: Final[dict[str, str]] = {
    "less_than_equal": "不能大于 {le}",
    "less_than": "须小于 {lt}",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "须大于 {gt}",
    "string_too_long": "最多 {max_length} 个字符",
    "string_too_short": "至少 {min_length} 个字符",
    "missing": "为必填项",
    "literal_error": "只能是 {expected}",
    "enum": "只能是 {expected}",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
}


def _problem(err: dict[str, Any]) -> str:
    """One invalid input in Chinese: the field and, where pydantic says, the bound it broke."""
    field = ".".join(str(p) for p in err.get("loc", [])[1:])
    kind = str(err.get("type", ""))
    if kind == "value_error":  # a validator's own (Chinese) message
        return f"{field} {str(err.get('msg', '')).removeprefix('Value error, ')}".strip()
    rule = _RULES.get(kind)
    if rule is None:
        return field
    ctx = defaultdict(str, {k: str(v) for k, v in (err.get("ctx") or {}).items()})
    return f"{field} {rule.format_map(ctx)}".strip()


@api.exception_handler(NinjaValidationError)
def _validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    problems = [_problem(err) for err in exc.errors]
    message = "输入内容不符合要求：" + "；".join(p for p in problems if p) if problems else None
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
api.add_router("/", cases_router)
api.add_router("/", grids_router)
