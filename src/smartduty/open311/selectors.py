"""Reads of the Open311 interface.

The service list and the request feed are public by design (GeoReport v2): no principal
scopes them. The feed holds only cases that came in through Open311 (a `PublicReport`
row), never the officers' and the command centre's own cases, and the documents built from
it (`documents`) carry only the published fields.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Final

from django.db.models import F, Max, Q, QuerySet

from smartduty.cases.models import Category, Workflow
from smartduty.cases.states import OPEN311_STATUS, Status
from smartduty.kernel.errors import NotFound
from smartduty.open311.models import ApiKey, PublicReport

MAX_REQUESTS: Final = 1000
"""GeoReport v2: at most this many requests per answer (and 90 days by default)."""


def statuses_for(open311_status: str) -> list[str]:
    """The case statuses whose Open311 status is `open` or `closed`."""
    return [s.value for s, (status, _) in OPEN311_STATUS.items() if status == open311_status]


def list_services() -> QuerySet[Category]:
    """The services: active 小类 in display order, without the parking loop's category
    (illegal parking is reported through the officer app only)."""
    return (
        Category.objects.select_related("parent")
        .filter(active=True, parent__isnull=False, parent__active=True)
        .exclude(workflow=Workflow.PARKING)
    )


def get_service(*, code: str) -> Category:
    """One service (404 for an unknown, inactive or parking code)."""
    service = list_services().filter(code=code).first()
    if service is None:
        raise NotFound(f"未找到服务 {code}（service_code not found）")
    return service


def find_active_key(*, digest: str) -> ApiKey | None:
    """The active key with this digest, with its district."""
    return ApiKey.objects.select_related("district").filter(digest=digest, is_active=True).first()


def _feed() -> QuerySet[PublicReport]:
    changed = ~Q(case__transitions__from_status=F("case__transitions__to_status"))
    return PublicReport.objects.select_related(
        "case__category__parent", "case__unit__agency"
    ).annotate(updated_at=Max("case__transitions__at", filter=changed))


def list_requests(
    *,
    numbers: Collection[str] = (),
    service_codes: Collection[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: Collection[str] = (),
    limit: int = MAX_REQUESTS,
) -> QuerySet[PublicReport]:
    """Requests, newest first: the given case numbers (every other filter is ignored then,
    as the spec says), else those reported between `start` and `end` with these service
    codes and Open311 statuses (`open`, `closed`)."""
    rows = _feed().order_by("-case__created_at", "-id")
    if numbers:
        return rows.filter(case__number__in=list(numbers))[:limit]
    if service_codes:
        rows = rows.filter(case__category__code__in=list(service_codes))
    if start is not None:
        rows = rows.filter(case__created_at__gte=start)
    if end is not None:
        rows = rows.filter(case__created_at__lte=end)
    if statuses:
        wanted = [value for status in statuses for value in statuses_for(status)]
        rows = rows.filter(case__status__in=wanted)
    return rows[:limit]


def get_request(*, number: str) -> PublicReport:
    """One request by its case number (404 for any case that did not come in by Open311)."""
    found = _feed().filter(case__number=number).first()
    if found is None:
        raise NotFound(f"未找到服务请求 {number}（service_request_id not found）")
    return found


def get_token(*, token: str) -> PublicReport:
    """The request a POST answered with this token, with its case number (404 for an unknown
    token; the message never repeats it)."""
    found = (
        PublicReport.objects.select_related("case")
        .only("token", "case__number")
        .filter(token=token)
    ).first()
    if found is None:
        raise NotFound("未找到该受理凭证（token not found）")
    return found


def open311_status(status: str) -> tuple[str, str]:
    """(`open`|`closed`, extended status) of a case status (domain.md §3.1)."""
    return OPEN311_STATUS[Status(status)]
