"""Vendor callbacks: the SMS delivery reports (短信回执) pushed by Aliyun and Tencent Cloud.

`POST /hooks/sms/aliyun/<secret>` (SmsReport HTTP batch push) and
`POST /hooks/sms/tencent/<secret>` (短信下发状态回调). Neither vendor signs these pushes, so the
URL carries a long random secret per vendor (`settings.SMS_RECEIPT_SECRETS`, vendor → secret,
compared in constant time); a wrong, missing or too short secret, or a source address outside
the optional allow-list (`settings.SMS_RECEIPT_ALLOWED_IPS`, vendor → addresses or networks),
answers a bare 404, as for a URL nobody serves. No session, no CSRF: the vendor is the caller.
Anonymous writes are rate-limited per source address by `kernel.middleware.RateLimitMiddleware`.

The body is checked whole before anything is written (400 with a Chinese message otherwise,
nothing changes); `receipts.record_reports` does the rest, idempotently. The answer is the
one each vendor documents as success, also for reports about messages we don't know, so that
the vendor stops retrying them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import ValidationFailed
from smartduty.notifications import receipts

logger = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 256 * 1024
"""Largest push accepted (a few hundred reports of well under 500 bytes each)."""
MIN_SECRET_CHARS: Final = 24
"""A shorter configured secret counts as none: the URL is the only credential."""

Parser = Callable[[object], list[receipts.VendorReport]]


def _secret_ok(vendor: str, given: str) -> bool:
    secrets: Mapping[str, str] = getattr(settings, "SMS_RECEIPT_SECRETS", {}) or {}
    expected = str(secrets.get(vendor) or "")
    if len(expected) < MIN_SECRET_CHARS:
        return False
    return constant_time_compare(given, expected)


def _source_ok(vendor: str, request: HttpRequest) -> bool:
    allowed: Mapping[str, Iterable[str]] = getattr(settings, "SMS_RECEIPT_ALLOWED_IPS", {}) or {}
    networks = list(allowed.get(vendor) or ())
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    for net in networks:
        try:
            if address in ipaddress.ip_network(str(net), strict=False):
                return True
        except ValueError:
            logger.warning("SMS_RECEIPT_ALLOWED_IPS[%s] has an invalid entry: %s", vendor, net)
    return False


def _bad(message: str, status: int = 400) -> JsonResponse:
    code = "payload_too_large" if status == 413 else "bad_request"
    return JsonResponse(
        {"code": code, "message": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _receive(
    request: HttpRequest, *, vendor: str, secret: str, parse: Parser, ok: dict[str, object]
) -> HttpResponse:
    if not _secret_ok(vendor, secret) or not _source_ok(vendor, request):
        raise Http404
    if request.method != "POST":
        response = _bad("仅支持 POST 请求", status=405)
        response["Allow"] = "POST"
        return response
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _bad("回执请求体过大", status=413)
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _bad("回执不是有效的 JSON")
    try:
        reports = parse(payload)
    except ValidationFailed as exc:
        logger.warning("sms receipt push refused vendor=%s: %s", vendor, exc.message)
        return _bad(exc.message)
    summary = receipts.record_reports(reports)
    logger.info(
        "sms receipts vendor=%s received=%s applied=%s kept=%s duplicates=%s unknown=%s",
        vendor,
        len(reports),
        summary.applied,
        summary.kept,
        summary.duplicates,
        summary.unknown,
    )
    return JsonResponse(ok, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@never_cache
def aliyun_sms_report(request: HttpRequest, secret: str) -> HttpResponse:
    """Aliyun SmsReport batch push; answers `{"code": 0, "msg": "成功"}`."""
    return _receive(
        request,
        vendor=receipts.ALIYUN,
        secret=secret,
        parse=receipts.parse_aliyun,
        ok={"code": 0, "msg": "成功"},
    )


@csrf_exempt
@never_cache
def tencent_sms_report(request: HttpRequest, secret: str) -> HttpResponse:
    """Tencent Cloud 短信下发状态回调; answers `{"result": 0, "errmsg": "OK"}`."""
    return _receive(
        request,
        vendor=receipts.TENCENT,
        secret=secret,
        parse=receipts.parse_tencent,
        ok={"result": 0, "errmsg": "OK"},
    )
