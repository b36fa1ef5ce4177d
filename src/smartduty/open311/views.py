"""The GeoReport v2 endpoints under `/open311/v2/` (plain Django views: the spec answers in
`.json` or `.xml` with its own error list, which ninja's `{code, message}` is not).

Besides the spec's five methods (services, service definition, POST / GET requests, one
request) it answers `tokens/{token}` (the case number of a POST's token) and the service
discovery document (`discovery.{fmt}`, here and at `/open311/discovery.{fmt}` through
`discovery_urls`).

Errors: a domain error becomes the spec's list of `{code, description}` in the asked format,
with the HTTP status as its code (422 of the case core is answered 400: the spec knows only
400, 403 and 404 for a request that cannot be served). Writes need `api_key`; reads need
nothing and show only published fields (`documents.service_request`). POST is exempt from
CSRF: it is authenticated by its `api_key`, never by a cookie. The kernel middleware gives
these answers the security headers, the write rate limit (per source address: the key
travels in the form, not in `Authorization`) and load shedding for photo uploads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import wraps
from typing import Final, cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from smartduty.kernel.errors import DomainError, ValidationFailed
from smartduty.open311 import documents, selectors, services
from smartduty.open311.documents import Format

CONTACT: Final = (
    "接口问题请联系本市数字城管指挥中心（for help with this API, contact the city's command "
    "centre）"
)
KEY_SERVICE: Final = (
    "接口密钥（api_key）由指挥中心在管理后台创建，请向指挥中心申请（API keys are issued by "
    "the city's command centre: ask it for one）"
)
DEFAULT_SPAN: Final = timedelta(days=90)
MAX_IDS: Final = 100
_ATTRIBUTE: Final = "attribute["
View = Callable[..., HttpResponse]


def _respond(fmt: Format, root: str, document: documents.Value, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        documents.render(fmt, root, document),
        status=status,
        content_type=documents.CONTENT_TYPES[fmt],
    )
    response["Cache-Control"] = "no-store"
    return response


def error_response(fmt: Format, status: int, description: str) -> HttpResponse:
    """The spec's error list with one error."""
    return _respond(fmt, "errors", documents.errors(status, description), status=status)


def _fmt(value: str) -> Format:
    return "xml" if value == "xml" else "json"


def open311_view(*methods: str) -> Callable[[View], View]:
    """Allow `methods`, and answer domain errors in the spec's format."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(
            request: HttpRequest, *args: object, fmt: str, **kwargs: object
        ) -> HttpResponse:
            chosen = _fmt(fmt)
            if request.method not in methods:
                response = error_response(
                    chosen, 405, f"不支持 {request.method} 方法（method not allowed）"
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=chosen, **kwargs)
            except DomainError as exc:
                status = 400 if isinstance(exc, ValidationFailed) else exc.status
                return error_response(chosen, status, exc.message)

        return wrapper

    return decorate


def _one(params: QueryDict, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _list(params: QueryDict, name: str) -> list[str]:
    return [part.strip() for part in (params.get(name) or "").split(",") if part.strip()]


def _float(params: QueryDict, name: str) -> float | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed(f"{name} 须为数字（invalid {name}）") from None
    if not math.isfinite(value):
        raise ValidationFailed(f"{name} 须为数字（invalid {name}）")
    return value


def _date(params: QueryDict, name: str) -> datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        parsed = parse_datetime(raw)
        day = parse_date(raw) if parsed is None else None
    except ValueError:
        parsed = day = None
    if day is not None:  # a bare date: its midnight in the city's time
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        raise ValidationFailed(f"{name} 须为 ISO 8601 时间（invalid {name}）")
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@open311_view("GET")
def services_list(request: HttpRequest, *, fmt: Format) -> HttpResponse:
    """`GET services.{fmt}`: the active 小类 (parking excluded)."""
    services.check_jurisdiction(_one(request.GET, "jurisdiction_id"))
    rows = [documents.service(c) for c in selectors.list_services()]
    return _respond(fmt, "services", cast(documents.Value, rows))


@open311_view("GET")
def service_definition(request: HttpRequest, service_code: str, *, fmt: Format) -> HttpResponse:
    """`GET services/{service_code}.{fmt}`: the category's form fields as attributes."""
    services.check_jurisdiction(_one(request.GET, "jurisdiction_id"))
    category = selectors.get_service(code=service_code)
    return _respond(fmt, "service_definition", documents.service_definition(category))


@csrf_exempt
@open311_view("GET", "POST")
def requests(request: HttpRequest, *, fmt: Format) -> HttpResponse:
    """`POST requests.{fmt}` creates one; `GET requests.{fmt}` lists them."""
    if request.method == "POST":
        return _create(request, fmt)
    params = request.GET
    services.check_jurisdiction(_one(params, "jurisdiction_id"))
    numbers = _list(params, "service_request_id")
    if len(numbers) > MAX_IDS:
        raise ValidationFailed(f"service_request_id 最多 {MAX_IDS} 个")
    statuses = _list(params, "status")
    if any(s not in {"open", "closed"} for s in statuses):
        raise ValidationFailed("status 须为 open 或 closed（invalid status）")
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if start is None:
        start = (end or timezone.now()) - DEFAULT_SPAN
    if end is not None and end < start:
        raise ValidationFailed("end_date 须晚于 start_date")
    rows = selectors.list_requests(
        numbers=numbers,
        service_codes=_list(params, "service_code"),
        start=start,
        end=end,
        statuses=statuses,
    )
    found = [documents.service_request(r) for r in rows]
    return _respond(fmt, "service_requests", cast(documents.Value, found))


def _create(request: HttpRequest, fmt: Format) -> HttpResponse:
    form = request.POST
    key = services.authenticate_key(raw=form.get("api_key") or "")
    services.check_jurisdiction(_one(form, "jurisdiction_id"))
    code = (form.get("service_code") or "").strip()
    if not code:
        raise ValidationFailed("缺少 service_code（service_code required）")
    category = selectors.get_service(code=code)
    attributes = {
        name[len(_ATTRIBUTE) : -1]: str(value)
        for name, value in form.items()
        if name.startswith(_ATTRIBUTE) and name.endswith("]")
    }
    media = request.FILES.get("media")
    report = services.submit_request(
        key=key,
        category=category,
        lat=_float(form, "lat"),
        lon=_float(form, "long"),
        address=form.get("address_string") or "",
        description=form.get("description") or "",
        attributes=attributes,
        media_url=form.get("media_url") or "",
        contact=services.Contact(
            first_name=form.get("first_name") or "",
            last_name=form.get("last_name") or "",
            email=form.get("email") or "",
            phone=form.get("phone") or "",
        ),
        media=media,
        media_name=(media.name or "media") if media is not None else "media",
    )
    return _respond(fmt, "service_requests", [documents.created(report)])


@open311_view("GET")
def request_detail(request: HttpRequest, service_request_id: str, *, fmt: Format) -> HttpResponse:
    """`GET requests/{service_request_id}.{fmt}`: one request, in a list as the spec has it."""
    services.check_jurisdiction(_one(request.GET, "jurisdiction_id"))
    report = selectors.get_request(number=service_request_id)
    return _respond(fmt, "service_requests", [documents.service_request(report)])


@open311_view("GET")
def token(request: HttpRequest, token_id: str, *, fmt: Format) -> HttpResponse:
    """`GET tokens/{token_id}.{fmt}`: the service request id of a POST's token, in a list as
    the spec has it (404 for an unknown token)."""
    services.check_jurisdiction(_one(request.GET, "jurisdiction_id"))
    report = selectors.get_token(token=token_id)
    return _respond(fmt, "service_requests", [documents.token(report)])


@open311_view("GET")
def discovery(request: HttpRequest, *, fmt: Format) -> HttpResponse:  # noqa: ARG001
    """`GET discovery.{fmt}`: where the GeoReport v2 endpoint is, what it speaks, whom to
    ask for help and for a key (`OPEN311_CONTACT`, `OPEN311_KEY_SERVICE` where set)."""
    services_url = reverse("open311-services", kwargs={"fmt": "json"})
    base_url = settings.PUBLIC_BASE_URL.rstrip("/") + services_url.rsplit("/", 1)[0]
    document = documents.discovery(
        base_url=base_url,
        contact=str(getattr(settings, "OPEN311_CONTACT", "") or CONTACT),
        key_service=str(getattr(settings, "OPEN311_KEY_SERVICE", "") or KEY_SERVICE),
    )
    return _respond(fmt, "discovery", document)


@csrf_exempt
def not_found(request: HttpRequest, path: str) -> HttpResponse:  # noqa: ARG001
    """Any other path under `/open311/v2/`: 404 in the spec's format (XML for `.xml`)."""
    fmt: Format = "xml" if path.endswith(".xml") else "json"
    return error_response(fmt, 404, "未找到该接口（not found）")
