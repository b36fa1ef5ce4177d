"""HTTP hardening: security headers on every page, 429 past the rate limits, 503 under overload."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings

from smartduty.kernel import middleware
from smartduty.kernel.models import RateBucket
from smartduty.kernel.queuewait import QUEUE_WAIT_KEY
from smartduty.notifications.models import Delivery
from smartduty.org.models import Officer
from smartduty.parking import notices
from smartduty.parking.states import Status
from smartduty.recognition import selectors
from smartduty.recognition.providers.stub import StubRecognizer
from tests.factories.parking import jpeg_bytes, report_in

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
PLATES = "/api/v1/plates/read"


def _photo() -> dict[str, SimpleUploadedFile]:
    return {"file": SimpleUploadedFile("scene.jpg", jpeg_bytes(), "image/jpeg")}


def _csp_sources(policy: str, directive: str) -> list[str]:
    for part in policy.split(";"):
        name, *sources = part.split()
        if name == directive:
            return sources
    raise AssertionError(f"{directive} missing from {policy!r}")


def _owner_and_notice_paths(officer: Officer) -> tuple[str, str]:
    report_in(Status.AWAITING_MOVE, officer)
    text = Delivery.objects.get(channel="sms").rendered_text
    found = re.search(r"/o/([A-Za-z0-9_-]+)", text)
    assert found, text
    posted = report_in(Status.NOTICE_POSTED, officer, plate="鲁PB54321")
    verify = notices.notice_data(report=posted, notice=posted.notice).verify_url
    return f"/o/{found.group(1)}", "/n/" + verify.split("/n/", 1)[1]


def test_every_kind_of_page_carries_the_security_headers(
    officer_a: Officer, api_client: ApiClient
) -> None:
    owner, notice = _owner_and_notice_paths(officer_a)
    pages = {
        "/app/": Client().get("/app/"),
        "/command/": Client().get("/command/"),
        "/admin/login/": Client().get("/admin/login/"),
        owner: Client().get(owner),
        notice: Client().get(notice),
        "/api/v1/me": api_client(officer_a).get("/api/v1/me"),
        "/api/v1/me (401)": Client().get("/api/v1/me"),
        "/healthz": Client().get("/healthz"),
    }
    for name, resp in pages.items():
        assert resp.status_code in {200, 401, 503}, (name, resp.status_code)
        policy = resp["Content-Security-Policy"]
        assert _csp_sources(policy, "frame-ancestors") == ["'none'"], name
        img = _csp_sources(policy, "img-src")
        assert not any(s in {"http:", "https:", "*"} for s in img), (name, img)
        assert resp["Referrer-Policy"] in {"same-origin", "no-referrer"}, name
        assert "camera=(self)" in resp["Permissions-Policy"], name
        assert "geolocation=(self)" in resp["Permissions-Policy"], name
        assert resp["X-Content-Type-Options"] == "nosniff", name
        assert resp["X-Frame-Options"] == "DENY", name
    # the SPAs: scripts only from our origin, no eval
    for spa in ("/app/", "/command/"):
        policy = pages[spa]["Content-Security-Policy"]
        assert _csp_sources(policy, "script-src") == ["'self'"]
        assert _csp_sources(policy, "img-src") == ["'self'", "data:", "blob:"]
    # the owner pages keep their own, stricter policy
    assert _csp_sources(pages[owner]["Content-Security-Policy"], "default-src") == ["'none'"]


def test_the_map_tile_host_is_the_only_outside_image_source() -> None:
    with override_settings(
        WEB_MAP_TILE_URL="https://gis.example.gov.cn:8443/tiles/{z}/{x}/{y}.png"
    ):
        policy = Client().get("/command/")["Content-Security-Policy"]
    assert _csp_sources(policy, "img-src") == [
        "'self'",
        "data:",
        "blob:",
        "https://gis.example.gov.cn:8443",
    ]
    assert middleware.tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == (
        "https://*.tile.example.org"
    )
    for bad in ("", "javascript:alert(1)", "https://", "https://a b/", "https://x;script-src *"):
        assert middleware.tile_source(bad) == "", bad


@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_hsts_on_tls_behind_the_proxy_and_not_on_plain_http() -> None:
    behind_proxy = Client().get("/app/", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in Client().get("/app/")


@override_settings(RATE_LIMIT_WRITES_PER_MINUTE=3)
def test_writes_past_the_limit_get_429_with_retry_after(
    officer_a: Officer, officer_b: Officer, api_client: ApiClient
) -> None:
    client = api_client(officer_a)
    with selectors.use_recognizer(StubRecognizer("鲁PA12345")):
        answers = [client.post(PLATES, _photo()).status_code for _ in range(3)]
        refused = client.post(PLATES, _photo())
        other = api_client(officer_b).post(PLATES, _photo())
    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "too_many_attempts"
    assert "秒后再试" in refused.json()["message"]
    assert other.status_code == 200  # another officer has a budget of their own
    assert client.get("/api/v1/me").status_code == 200  # reads are not writes


@override_settings(RATE_LIMIT_PLATE_READS_PER_MINUTE=2)
def test_plate_reads_have_their_own_lower_limit(officer_a: Officer, api_client: ApiClient) -> None:
    stub = StubRecognizer("鲁PA12345")
    client = api_client(officer_a)
    with selectors.use_recognizer(stub):
        answers = [client.post(PLATES, _photo()).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert len(stub.calls) == 2  # the refused read never reached the recogniser


@override_settings(RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE=2)
def test_anonymous_writes_are_limited_per_source_address() -> None:
    def login(ip: str) -> int:
        return (
            Client(REMOTE_ADDR=ip)
            .post(
                "/api/v1/auth/tokens",
                {"username": "nobody", "password": "wrong"},
                content_type="application/json",
            )
            .status_code
        )

    first = [login("198.51.100.7") for _ in range(3)]
    assert first[:2] != [429, 429]
    assert first[2] == 429
    assert login("198.51.100.8") != 429  # a second source is not locked out by the first


def test_the_limiter_state_is_shared_rows(officer_a: Officer, api_client: ApiClient) -> None:
    with selectors.use_recognizer(StubRecognizer(None)):
        api_client(officer_a).post(PLATES, _photo())
    keys = set(RateBucket.objects.values_list("key", flat=True))
    assert any(k.startswith("write:t:") for k in keys)
    assert any(k.startswith("plates:t:") for k in keys)


# --- load shedding -------------------------------------------------------------------------


def _shedder(capacity: int, gate: threading.Event, inside: threading.Semaphore) -> Any:
    def slow_view(request: HttpRequest) -> HttpResponse:
        if middleware.is_heavy(request):
            inside.release()
            gate.wait(10)
        return HttpResponse("ok")

    with override_settings(HEAVY_REQUESTS_PER_PROCESS=capacity, HEAVY_RETRY_AFTER_SECONDS=3):
        return middleware.LoadSheddingMiddleware(slow_view)


def test_an_overloaded_process_sheds_heavy_requests_at_once_and_keeps_healthz_fast() -> None:
    gate, inside = threading.Event(), threading.Semaphore(0)
    shed = _shedder(2, gate, inside)
    factory = RequestFactory()
    with ThreadPoolExecutor(max_workers=4) as pool:
        running = [pool.submit(shed, factory.post(PLATES)) for _ in range(2)]
        for _ in running:
            assert inside.acquire(timeout=5)  # both heavy requests are in the view now
        started = time.monotonic()
        extra = shed(factory.post(PLATES))
        pdf = shed(factory.get("/api/v1/parking-reports/x/notice.pdf"))
        health = shed(factory.get("/healthz"))
        elapsed = time.monotonic() - started
        gate.set()
        assert [f.result(timeout=5).status_code for f in running] == [200, 200]
    assert elapsed < 0.5  # answered at once, not queued behind the heavy ones
    assert extra.status_code == 503
    assert extra["Retry-After"] == "3"
    assert b"service_unavailable" in extra.content
    assert pdf.status_code == 503
    assert health.status_code == 200
    assert shed(factory.post(PLATES)).status_code == 200  # slots come back afterwards


def test_shedding_through_the_whole_stack_answers_503_json(
    officer_a: Officer, api_client: ApiClient
) -> None:
    stub = StubRecognizer("鲁PA12345")
    with override_settings(HEAVY_REQUESTS_PER_PROCESS=1), selectors.use_recognizer(stub):
        client = api_client(officer_a)  # its handler builds the middleware under the cap
        slots = middleware.heavy_slots(1)
        assert slots.acquire(blocking=False)  # another heavy request is in flight
        try:
            resp = client.post(PLATES, _photo())
            health = client.get("/healthz")
        finally:
            slots.release()
        after = client.post(PLATES, _photo())
    assert resp.status_code == 503
    assert resp.json()["code"] == "service_unavailable"
    assert "繁忙" in resp.json()["message"]
    assert int(resp["Retry-After"]) >= 1
    assert stub.calls == [len(jpeg_bytes())]  # only the request after the slot came back
    assert health.status_code == 200
    assert after.status_code == 200


def test_a_request_that_waited_too_long_for_a_thread_is_shed_before_anything_runs() -> None:
    served: list[str] = []

    def view(request: HttpRequest) -> HttpResponse:
        served.append(request.path)
        return HttpResponse("ok")

    factory = RequestFactory()
    late = {QUEUE_WAIT_KEY: 3.5}
    with override_settings(MAX_QUEUE_SECONDS=3.0):
        shed = middleware.LoadSheddingMiddleware(view)
        refused = shed(factory.get("/api/v1/cases", **late))  # type: ignore[arg-type]
        in_time = shed(factory.get("/api/v1/cases", **{QUEUE_WAIT_KEY: 2.9}))  # type: ignore[arg-type]
        health = shed(factory.get("/healthz", **late))  # type: ignore[arg-type]
        unmeasured = shed(factory.get("/api/v1/cases"))  # runserver, tests: nothing measured
        # a client cannot claim a wait: headers arrive as HTTP_*, never as the environ key
        header = shed(factory.get("/api/v1/cases", HTTP_SMARTDUTY_QUEUE_WAIT_S="9"))
    with override_settings(MAX_QUEUE_SECONDS=0):
        switched_off = middleware.LoadSheddingMiddleware(view)(
            factory.get("/api/v1/cases", **late)  # type: ignore[arg-type]
        )
    assert refused.status_code == 503
    assert refused["Retry-After"] == "2"
    assert json.loads(refused.content)["code"] == "service_unavailable"
    assert [r.status_code for r in (in_time, health, unmeasured, header, switched_off)] == [200] * 5
    assert served == [
        "/api/v1/cases",
        "/healthz",
        "/api/v1/cases",
        "/api/v1/cases",
        "/api/v1/cases",
    ]
