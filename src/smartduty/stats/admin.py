"""Back-office page of the core-loop counters (劝离, 贴单, compliance, median time to move)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.stats import selectors
from smartduty.stats.models import ParkingStatsEntry


def _date(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


@admin.register(ParkingStatsEntry)
class ParkingStatsAdmin(ScopedAuditedAdmin):
    """Counters per day, district and unit for a chosen period."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return bool(request.user.has_perm("parking.view_parkingreport"))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        today = timezone.localdate()
        date_to = _date(request.GET.get("date_to"), today)
        date_from = _date(request.GET.get("date_from"), date_to - timedelta(days=6))
        date_from = min(date_from, date_to)
        stats = selectors.parking_counters(
            principal=self.principal(request), date_from=date_from, date_to=date_to
        )
        context = {
            **self.admin_site.each_context(request),
            **(extra_context or {}),
            "title": "违停劝离统计",
            "opts": self.model._meta,
            "stats": stats,
            "date_from": date_from,
            "date_to": date_to,
            "series": selectors.daily_series(stats),
        }
        return TemplateResponse(request, "admin/stats/parking_counters.html", context)
