"""Views that serve the Vite-built front ends on the API's origin, and their session login.

- `/app/…` the officer app (PWA, scope `/app/`): `index.html`, its service worker and manifest
- `/command/…` the command centre
- `/web/session` session login/logout for both (CSRF cookie set on GET)
- `/web/otp/setup`, `/web/otp/confirm`, `/web/otp/verify` two-factor for the session (JSON)
- `/web/otp/` the same as a page, for the back office
- `/web/config.json` runtime settings of the front ends (map tiles, polling)

The built files live in `static/web/<app>/` (output of `make frontend`, not committed) and are
found through the staticfiles finders, so they work from the source tree, an installed package
and `collectstatic`; the hashed assets themselves are served by WhiteNoise under `/static/`.
"""

from __future__ import annotations

import json
from typing import Final
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import auth
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import DomainError
from smartduty.kernel.middleware import content_security_policy
from smartduty.org import otp as org_otp
from smartduty.org import services as org_services

APPS: Final = {"officer": "/app/", "command": "/command/"}
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
    # the Content-Security-Policy is the site-wide one (`kernel.middleware`): images only
    # from our origin, data:/blob: and the configured map tile host
    response["Content-Security-Policy"] = content_security_policy()
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
    """`otp_stage`: "" (nothing to do), "enrol" (the role requires an authenticator and the
    account has none: only enrolment is open) or "verify" (the session needs its code)."""
    user = request.user
    stage = ""
    if user.is_authenticated and not org_otp.session_ok(user):
        stage = "verify" if org_otp.is_enrolled(user) else "enrol"
    return {
        "authenticated": bool(user.is_authenticated) and not stage,
        "username": user.get_username() if user.is_authenticated else "",
        "otp_stage": stage,
    }


def _error(exc: DomainError) -> JsonResponse:
    response = JsonResponse(
        {"code": exc.code, "message": exc.message},
        status=exc.status,
        json_dumps_params={"ensure_ascii": False},
    )
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        response["Retry-After"] = str(max(1, int(retry_after)))
    return response


def _json_payload(request: HttpRequest) -> dict[str, object] | None:
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


_BAD_REQUEST: Final = {"code": "bad_request", "message": "请求格式错误"}
_LOGIN_FIRST: Final = {"code": "not_authenticated", "message": "请先登录"}


@never_cache
@ensure_csrf_cookie
@require_http_methods(["GET", "POST", "DELETE"])
def session(request: HttpRequest) -> JsonResponse:
    """GET: who is logged in (and the CSRF cookie); POST: log in; DELETE: log out.

    POST takes `username`, `password` and, for an account with an authenticator, `otp` (6
    digits or a recovery code): without it the answer is 401 `otp_required` and no session.
    Log-ins are throttled per account and source (429 with `Retry-After`) and audited.
    Same-origin pages use the session cookie plus CSRF, as the API's `SessionAuth` expects.
    """
    if request.method == "DELETE":
        auth.logout(request)
        return JsonResponse(_session_body(request))
    if request.method == "POST":
        payload = _json_payload(request)
        if payload is None:
            return JsonResponse(_BAD_REQUEST, status=400)
        username = str(payload.get("username", "")).strip()
        password = str(payload.get("password", ""))
        if not username or not password:
            return JsonResponse(
                {"code": "validation_failed", "message": "请输入账号和密码"}, status=422
            )
        try:
            result = org_services.log_in(
                username=username,
                password=password,
                otp=str(payload.get("otp", "") or ""),
                ip_address=client_ip(request),
                channel="web",
                allow_enrolment=True,
            )
        except DomainError as exc:
            return _error(exc)
        auth.login(request, result.user, backend=settings.AUTHENTICATION_BACKENDS[0])
        if result.device is not None:
            django_otp.login(request, result.device)
    return JsonResponse(_session_body(request))


@never_cache
@require_POST
def otp_setup(request: HttpRequest) -> JsonResponse:
    """Start (or show again) the logged-in account's enrolment: secret, otpauth URI, QR code."""
    if not request.user.is_authenticated:
        return JsonResponse(_LOGIN_FIRST, status=401)
    try:
        enrolment = org_otp.start_enrolment(user=request.user)
    except DomainError as exc:
        return _error(exc)
    return JsonResponse(
        {
            "secret": enrolment.secret,
            "otpauth_uri": enrolment.otpauth_uri,
            "qr_svg_data_uri": enrolment.qr_svg_data_uri,
        }
    )


@never_cache
@require_POST
def otp_confirm(request: HttpRequest) -> JsonResponse:
    """Confirm enrolment with the first code: the session is verified and the recovery codes
    are returned this once."""
    if not request.user.is_authenticated:
        return JsonResponse(_LOGIN_FIRST, status=401)
    payload = _json_payload(request)
    if payload is None:
        return JsonResponse(_BAD_REQUEST, status=400)
    try:
        device, codes = org_otp.confirm_enrolment(
            user=request.user, code=str(payload.get("otp", "")), ip_address=client_ip(request)
        )
    except DomainError as exc:
        return _error(exc)
    django_otp.login(request, device)
    return JsonResponse({**_session_body(request), "recovery_codes": codes})


@never_cache
@require_POST
def otp_verify(request: HttpRequest) -> JsonResponse:
    """Verify a logged-in session that still needs its code (throttled like a log-in)."""
    if not request.user.is_authenticated:
        return JsonResponse(_LOGIN_FIRST, status=401)
    payload = _json_payload(request)
    if payload is None:
        return JsonResponse(_BAD_REQUEST, status=400)
    try:
        device = org_services.verify_session_code(
            user=request.user,
            code=str(payload.get("otp", "")),
            ip_address=client_ip(request),
            channel="web",
        )
    except DomainError as exc:
        return _error(exc)
    django_otp.login(request, device)
    return JsonResponse(_session_body(request))


OTP_PAGE_CSP: Final = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _safe_next(request: HttpRequest) -> str:
    target = str(request.POST.get("next") or request.GET.get("next") or "/admin/")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/admin/"


@never_cache
@require_http_methods(["GET", "POST"])
def otp_page(request: HttpRequest) -> HttpResponse:
    """Two-factor page of the back office: enrol (QR code, secret, first code, then the
    recovery codes once) or enter the code of a session that needs it; then go to `next`."""
    target = _safe_next(request)
    user = request.user
    if not user.is_authenticated:
        return redirect(f"{reverse('admin:login')}?{urlencode({'next': target})}")
    enrolled = org_otp.is_enrolled(user)
    if enrolled and getattr(user, "otp_device", None) is not None:
        return redirect(target)
    context: dict[str, object] = {"next": target, "enrolled": enrolled, "error": ""}
    if request.method == "POST":
        code = str(request.POST.get("otp", ""))
        try:
            if enrolled:
                device = org_services.verify_session_code(
                    user=user, code=code, ip_address=client_ip(request), channel="admin"
                )
                django_otp.login(request, device)
                return redirect(target)
            device, codes = org_otp.confirm_enrolment(
                user=user, code=code, ip_address=client_ip(request)
            )
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            django_otp.login(request, device)
            return _otp_response(request, {**context, "recovery_codes": codes}, 200)
    else:
        status = 200
    if not enrolled:
        context["enrolment"] = org_otp.start_enrolment(user=user)
    return _otp_response(request, context, status)


def _otp_response(request: HttpRequest, context: dict[str, object], status: int) -> HttpResponse:
    response = render(request, "web/otp.html", context, status=status)
    response["Content-Security-Policy"] = OTP_PAGE_CSP
    response["Referrer-Policy"] = "same-origin"
    return response
