"""Error responses that Django itself produces, in the API's shape and in Chinese.

Inside an API operation every error is turned into `{"code", "message"}` by the handlers in
`smartduty.api`. A few errors happen outside them: an unhandled exception with `DEBUG=False`
(Django's `handler500`), a URL nobody serves (`handler404`), a method an API path does not
take (ninja answers 405 itself), and the CSRF middleware's refusal (`CSRF_FAILURE_VIEW`).
Those go through here: JSON `{code, message}` for `/api/` paths and for callers that ask for
JSON, a short Chinese HTML page for everything else. Nothing here may fail: no templates,
no database.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Final

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

API_PREFIX: Final = "/api/"

ERRORS: Final[dict[int, tuple[str, str]]] = {
    400: ("bad_request", "请求格式错误"),
    403: ("permission_denied", "您没有执行此操作的权限"),
    404: ("not_found", "未找到该页面或记录"),
    405: ("method_not_allowed", "不支持该请求方法"),
    500: ("server_error", "服务器内部错误，请稍后再试"),
}
CSRF_FAILED: Final = ("csrf_failed", "CSRF 校验失败，请刷新页面后重试")


def wants_json(request: HttpRequest) -> bool:
    """An API path, or a caller that sends or accepts JSON (the SPAs' fetch calls)."""
    if request.path.startswith(API_PREFIX):
        return True
    accept = request.headers.get("Accept", "")
    content_type = request.headers.get("Content-Type", "")
    return "application/json" in content_type or (
        "application/json" in accept and "text/html" not in accept
    )


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """`{code, message}` JSON or a Chinese HTML page with `message`, as the caller prefers."""
    if wants_json(request):
        return JsonResponse(
            {"code": code, "message": message},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    text = escape(message)
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text}</title></head><body>"
        f"<h1>{text}</h1><p>错误代码：{status}</p>"
        '<p><a href="/">返回首页</a></p></body></html>'
    )
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


def _standard(request: HttpRequest, status: int) -> HttpResponse:
    return error_response(request, status, *ERRORS[status])


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:  # noqa: ARG001
    """`handler400`."""
    return _standard(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:  # noqa: ARG001
    """`handler403`."""
    return _standard(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:  # noqa: ARG001
    """`handler404`."""
    return _standard(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: Django has logged the traceback already; the caller never sees it."""
    return _standard(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:  # noqa: ARG001
    """`CSRF_FAILURE_VIEW`: 403 without Django's English explanation."""
    return error_response(request, 403, *CSRF_FAILED)


ViewFunc = Callable[..., Any]


def json_method_not_allowed(view: ViewFunc) -> ViewFunc:
    """Wrap an API view so that ninja's plain-text 405 leaves as `{code, message}` JSON.

    The `Allow` header is kept; every other response passes through untouched.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if getattr(response, "status_code", None) == 405 and not isinstance(response, JsonResponse):
            allow = response.get("Allow", "")
            response = error_response(request, 405, *ERRORS[405])
            if allow:
                response["Allow"] = allow
        return response

    return wrapper
