"""Back office for parking reports: read-only status, timeline, void through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.errors import DomainError
from smartduty.parking import services
from smartduty.parking.models import ParkingNotice, ParkingReport, ParkingTransition
from smartduty.parking.states import Action


class TransitionInline(admin.TabularInline):  # type: ignore[type-arg]
    """The report's timeline."""

    model = ParkingTransition
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "actor_name", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False


@admin.register(ParkingReport)
class ParkingReportAdmin(ScopedAuditedAdmin):
    """Reports are changed only by the platform's actions, never by editing fields."""

    list_display = (
        "created_at",
        "plate",
        "status",
        "place",
        "district",
        "unit",
        "reported_by",
        "is_plate_edited",
        "deadline_at",
    )
    list_filter = ("status", "district", "unit", "is_plate_edited")
    search_fields = ("plate", "place")
    date_hierarchy = "created_at"
    list_select_related = ("district", "unit", "reported_by")
    inlines = (TransitionInline,)
    actions = ("void_reports",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # noqa: ARG002
        return [f.name for f in ParkingReport._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    @admin.action(description="作废所选上报（中队长审批，原因：后台作废）")
    def void_reports(self, request: HttpRequest, queryset: QuerySet[ParkingReport]) -> None:
        done = 0
        for report in queryset:
            try:
                services.apply_officer_action(
                    principal=self.principal(request),
                    actor=request.user,
                    report=report,
                    action=Action.VOID,
                    reason="后台作废",
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{report}: {exc.message}", level=messages.ERROR)
        if done:
            self.message_user(request, f"已作废 {done} 条上报")


@admin.register(ParkingNotice)
class ParkingNoticeAdmin(ScopedAuditedAdmin):
    """Issued notices (read only)."""

    list_display = ("number", "report", "issued_at", "issued_by")
    search_fields = ("number", "report__plate")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        allowed = ParkingReport.objects.visible_to(self.principal(request))
        return super().get_queryset(request).filter(report__in=allowed)

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False
