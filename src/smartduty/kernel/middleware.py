"""HTTP hardening that applies to every request: security headers, load shedding, rate limits.

- `SecurityHeadersMiddleware` gives every response a Content-Security-Policy (unless the view
  set a stricter one, like the owner pages), `Referrer-Policy`, `Permissions-Policy` and
  `Cross-Origin-Opener-Policy`. HSTS comes from Django's `SecurityMiddleware` on TLS requests
  (`SECURE_HSTS_SECONDS`, `SECURE_PROXY_SSL_HEADER` behind the proxy).
- `LoadSheddingMiddleware` answers 503 with `Retry-After` at once, before sessions and
  authentication, to a request that already waited longer than `MAX_QUEUE_SECONDS` for a thread
  (the web server's worker measures the wait: `kernel.queuewait`), so an overloaded process
  drains its queue instead of serving requests whose clients are about to give up; and it lets
  at most `HEAVY_REQUESTS_PER_PROCESS` heavy requests (photo uploads, plate reads, PDF and Excel
  renders) run at once in a process, so light requests (`/healthz`, lists) keep a free thread.
- `RateLimitMiddleware` counts every write per signed-in user or API token (per source address
  without either) and every plate read, in `kernel.ratelimit`'s shared counters; over the
  limit it answers 429 with `Retry-After` and a Chinese `{code, message}` body.

Kernel code: it knows URLs only as the settings and the prefixes below name them.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import threading
from collections.abc import Callable
from typing import Final
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from smartduty.kernel import ratelimit
from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import ServiceUnavailable, TooManyAttempts
from smartduty.kernel.queuewait import QUEUE_WAIT_KEY

Handler = Callable[[HttpRequest], HttpResponse]

UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX: Final = "/api/"
PLATE_READ_PATH: Final = "/api/v1/plates/read"
HEAVY_SUFFIXES: Final = (".pdf", ".xlsx")
UNLIMITED_PATHS: Final = frozenset({"/healthz"})
PERMISSIONS_POLICY: Final = (
    "camera=(self), geolocation=(self), microphone=(), payment=(), usb=(), "
    "display-capture=(), fullscreen=(self)"
)
TOO_MANY: Final = "请求过于频繁，请 {seconds} 秒后再试"
PLATE_READS_TOO_MANY: Final = "车牌识别请求过于频繁，请 {seconds} 秒后再试，或手动输入车牌号"
SHED: Final = "服务器繁忙，请 {seconds} 秒后重试"
_HOST: Final = re.compile(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?")

logger = logging.getLogger("smartduty.limits")


def tile_source(tile_url: str) -> str:
    """The CSP source of an XYZ tile URL template: `https://tiles.example.cn` for
    `https://tiles.example.cn/{z}/{x}/{y}.png`, `https://*.example.cn` for `{s}.example.cn`;
    empty when the URL is not an http(s) URL with a host."""
    parts = urlsplit(tile_url.strip())
    host = parts.netloc.rsplit("@", 1)[-1]
    if parts.scheme not in {"http", "https"} or not host:
        return ""
    host = host.replace("{s}", "*")
    if _HOST.fullmatch(host) is None:
        return ""
    return f"{parts.scheme}://{host}"


def content_security_policy() -> str:
    """The policy of every page that does not set its own (see `_policy`)."""
    return _policy(str(getattr(settings, "WEB_MAP_TILE_URL", "") or ""))


@functools.lru_cache(maxsize=8)
def _policy(tile_url: str) -> str:
    """The policy of every page that does not set its own: the built SPAs (scripts and
    styles from our origin; inline styles that Vant, Element Plus and Leaflet set on
    elements), the admin, the API. Images only from our origin, `data:`/`blob:` (photo
    previews) and the configured map tile host: never any http/https host."""
    tiles = tile_source(tile_url)
    img = " ".join(filter(None, ["'self'", "data:", "blob:", tiles]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {img}; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        "font-src 'self' data:; object-src 'none'; base-uri 'self'; frame-src 'self' blob:; "
        "frame-ancestors 'none'; form-action 'self'"
    )


class SecurityHeadersMiddleware:
    """Security headers on every response (a view's own stricter CSP is kept)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response


def error_response(request: HttpRequest, exc: TooManyAttempts | ServiceUnavailable) -> HttpResponse:
    """429/503 as the API answers errors (`{code, message}`, `Retry-After`), or as short
    Chinese text for pages outside `/api/`."""
    if request.path.startswith(API_PREFIX) or "json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"code": exc.code, "message": exc.message},
            status=exc.status,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(
            exc.message, status=exc.status, content_type="text/plain; charset=utf-8"
        )
    if exc.retry_after is not None:
        response["Retry-After"] = str(max(1, int(exc.retry_after)))
    response["Cache-Control"] = "no-store"
    # a refusal by design, not a fault: one WARNING line, never Django's ERROR "Service
    # Unavailable" line (which monitoring counts as a server error)
    logger.warning("%s %s: %s %s", exc.status, exc.code, request.method, request.path)
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log
    return response


def is_heavy(request: HttpRequest) -> bool:
    """Photo uploads, plate reads and rendered files: the requests that take a core and
    tens to hundreds of megabytes for a while."""
    path = request.path
    if path == PLATE_READ_PATH:
        return True
    if request.method in UNSAFE_METHODS and request.content_type == "multipart/form-data":
        return True
    return path.startswith(API_PREFIX) and path.endswith(HEAVY_SUFFIXES)


_slots_lock = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def heavy_slots(capacity: int) -> threading.BoundedSemaphore:
    """The process's slots for heavy requests (one set per capacity, shared by every
    handler the process builds)."""
    with _slots_lock:
        return _slots.setdefault(capacity, threading.BoundedSemaphore(max(1, capacity)))


class LoadSheddingMiddleware:
    """503 at once for a request that queued too long, and a per-process cap on heavy
    requests in flight (the one over it gets 503 at once)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.capacity = int(getattr(settings, "HEAVY_REQUESTS_PER_PROCESS", 3))
        self.retry_after = int(getattr(settings, "HEAVY_RETRY_AFTER_SECONDS", 2))
        self.max_queue = float(getattr(settings, "MAX_QUEUE_SECONDS", 3.0))
        self.slots = heavy_slots(self.capacity)

    def shed(self, request: HttpRequest) -> HttpResponse:
        exc = ServiceUnavailable(
            SHED.format(seconds=self.retry_after), retry_after=self.retry_after
        )
        return error_response(request, exc)

    def queued_too_long(self, request: HttpRequest) -> bool:
        """Whether the request waited longer than `MAX_QUEUE_SECONDS` for a thread (never
        `/healthz`: a load balancer must not take an overloaded process for a dead one)."""
        wait = request.META.get(QUEUE_WAIT_KEY)
        return (
            self.max_queue > 0
            and isinstance(wait, float)
            and wait > self.max_queue
            and request.path not in UNLIMITED_PATHS
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.queued_too_long(request):
            return self.shed(request)
        if self.capacity <= 0 or not is_heavy(request):
            return self.get_response(request)
        if not self.slots.acquire(blocking=False):
            return self.shed(request)
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


def principal_key(request: HttpRequest) -> str:
    """Who is asking: the signed-in user, else the API token (hashed), else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "t:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return f"ip:{client_ip(request) or 'unknown'}"


def _rate(setting: str, default: int) -> ratelimit.Rate:
    return ratelimit.Rate(limit=int(getattr(settings, setting, default)), period_s=60)


class RateLimitMiddleware:
    """429 with `Retry-After` past the write and plate-read limits (ADR 0009)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self.check(request)
        if refused is not None:
            return error_response(request, refused)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> TooManyAttempts | None:
        """The refusal for this request, or None when it may go on."""
        if request.method not in UNSAFE_METHODS or request.path in UNLIMITED_PATHS:
            return None
        who = principal_key(request)
        if who.startswith("ip:"):
            writes = _rate("RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE", 60)
        else:
            writes = _rate("RATE_LIMIT_WRITES_PER_MINUTE", 120)
        checks = [(f"write:{who}", writes, TOO_MANY)]
        if request.path == PLATE_READ_PATH:
            plates = _rate("RATE_LIMIT_PLATE_READS_PER_MINUTE", 30)
            checks.insert(0, (f"plates:{who}", plates, PLATE_READS_TOO_MANY))
        for key, rate, message in checks:
            decision = ratelimit.hit(key, rate)
            if not decision.allowed:
                return TooManyAttempts(
                    message.format(seconds=decision.retry_after),
                    retry_after=decision.retry_after,
                )
        return None
