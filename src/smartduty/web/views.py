"""Views that serve the Vite-built front ends on the API's origin, and their session login.

- `/app/…` the officer app (PWA, scope `/app/`): `index.html`, its service worker and manifest
- `/command/…` the command centre
- `/web/session` session login/logout for both (CSRF cookie set on GET)
- `/web/config.json` runtime settings of the front ends (map tiles, polling)

The built files live in `static/web/<app>/` (output of `make frontend`, not committed) and are
found through the staticfiles finders, so they work from the source tree, an installed package
and `collectstatic`; the hashed assets themselves are served by WhiteNoise under `/static/`.
"""

from __future__ import annotations

import json
from typing import Final

from django.conf import settings
from django.contrib import auth
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods

from smartduty.kernel.errors import DomainError
from smartduty.org import services as org_services

APPS: Final = {"officer": "/app/", "command": "/command/"}
CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: http: https:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-src 'self' blob:; frame-ancestors 'none'; form-action 'self'"
)
NOT_BUILT: Final = (
    "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>前端尚未构建</title>"
    "<body style='font-family:sans-serif;padding:2em'><h1>前端尚未构建</h1>"
    "<p>请在项目根目录运行 <code>make frontend</code>（或 <code>make run</code>）后刷新本页。</p>"
)


def _read_built(app: str, name: str) -> bytes | None:
    path = finders.find(f"web/{app}/{name}")
    if not path or isinstance(path, list):
        return None
    with open(path, "rb") as fh:
        return fh.read()


def _secure(response: HttpResponse) -> HttpResponse:
    response["Content-Security-Policy"] = CSP
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
@ensure_csrf_cookie
def spa_index(request: HttpRequest, app: str, rest: str = "") -> HttpResponse:  # noqa: ARG001
    """The app's `index.html` for every client-side route (history-mode router)."""
    body = _read_built(app, "index.html")
    if body is None:
        return _secure(HttpResponse(NOT_BUILT, status=503, content_type="text/html"))
    return _secure(HttpResponse(body, content_type="text/html; charset=utf-8"))


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    """The officer app's service worker, served under `/app/` so that its scope is `/app/`."""
    body = _read_built("officer", "sw.js")
    if body is None:
        return HttpResponse("// not built", status=404, content_type="text/javascript")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = APPS["officer"]
    return response


@require_GET
def web_manifest(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    """The officer app's web app manifest (installable PWA)."""
    body = _read_built("officer", "manifest.webmanifest")
    if body is None:
        return HttpResponse("{}", status=404, content_type="application/manifest+json")
    response = HttpResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def web_config(request: HttpRequest) -> JsonResponse:  # noqa: ARG001
    """Runtime settings for the front ends.

    The map has no tile layer unless `WEB_MAP_TILE_URL` is set (an intranet tile server, say):
    markers and the heatmap work without tiles, which keeps the wall screen usable offline.
    """
    return JsonResponse(
        {
            "map": {
                "tile_url": getattr(settings, "WEB_MAP_TILE_URL", ""),
                "attribution": getattr(settings, "WEB_MAP_ATTRIBUTION", ""),
                "center": getattr(settings, "WEB_MAP_CENTER", [36.456, 115.985]),
                "zoom": getattr(settings, "WEB_MAP_ZOOM", 13),
            },
            "poll_seconds": getattr(settings, "WEB_POLL_SECONDS", 5),
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _session_body(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "authenticated": bool(user.is_authenticated),
        "username": user.get_username() if user.is_authenticated else "",
    }


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST", "DELETE"])
def session(request: HttpRequest) -> JsonResponse:
    """GET: who is logged in (and the CSRF cookie); POST: log in; DELETE: log out.

    Same-origin pages use the session cookie plus CSRF, as the API's `SessionAuth` expects.
    """
    if request.method == "DELETE":
        auth.logout(request)
        return JsonResponse(_session_body(request))
    if request.method == "POST":
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return JsonResponse({"code": "bad_request", "message": "请求格式错误"}, status=400)
        username = str(payload.get("username", "")).strip()
        password = str(payload.get("password", ""))
        if not username or not password:
            return JsonResponse(
                {"code": "validation_failed", "message": "请输入账号和密码"}, status=422
            )
        try:
            user = org_services.authenticate_password(
                username=username, password=password, ip_address=request.META.get("REMOTE_ADDR")
            )
        except DomainError as exc:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
        auth.login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
    return JsonResponse(_session_body(request))
