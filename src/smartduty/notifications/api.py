"""API of the notifications app: the officer app's inbox of pushes.

Pushes are addressed to an officer's or a unit's public id (the re-check request goes to the
reporting unit); the inbox shows both for the caller. The console SMS outbox, which needs a
report's district to be scoped, is a read model of `stats` (`/api/v1/outbox/...`).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from smartduty.notifications import selectors
from smartduty.notifications.models import Delivery
from smartduty.notifications.schemas import AppNotificationFilter, AppNotificationOut
from smartduty.org.auth import officer_of

router = Router(tags=["notifications"])


@router.get("/notifications/app", response=list[AppNotificationOut])
def list_app_notifications(
    request: HttpRequest, filters: Query[AppNotificationFilter]
) -> list[Delivery]:
    """My app notifications and my unit's (e.g. 违停待复查), newest first."""
    officer = officer_of(request)
    if officer is None:
        return []
    rows: list[Delivery] = []
    for address in (officer.public_id, officer.unit.public_id):
        rows.extend(
            selectors.list_app_notifications(officer_public_id=address, since=filters.since)[
                : filters.limit
            ]
        )
    rows.sort(key=lambda d: (d.created_at, d.pk), reverse=True)
    return rows[: filters.limit]
