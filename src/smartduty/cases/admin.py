"""Back office of the case core: the categories and the working calendar, edited per city."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from smartduty.cases.models import CalendarDay, Case, CaseApproval, CaseTransition, Category
from smartduty.kernel.admin_support import ReadOnlyAdmin, ScopedAuditedAdmin


@admin.register(Category)
class CategoryAdmin(ScopedAuditedAdmin):
    """Categories are rows: a city adds a 小类 or changes a time limit here, no code change."""

    list_display = (
        "code",
        "name",
        "parent",
        "kind",
        "agency_kind",
        "workflow",
        "handle_limit",
        "handle_unit",
        "verified_by",
        "active",
    )
    list_filter = ("kind", "agency_kind", "workflow", "active", "parent")
    search_fields = ("code", "name")
    ordering = ("code",)
    fieldsets = (
        (None, {"fields": ("code", "name", "parent", "kind", "active", "sort_order")}),
        ("处置", {"fields": ("agency_kind", "workflow", "duplicate_radius_m")}),
        (
            "时限",
            {
                "fields": (
                    ("dispatch_limit", "dispatch_unit"),
                    ("handle_limit", "handle_unit"),
                    ("verify_limit", "verify_unit"),
                )
            },
        ),
        ("结案条件", {"fields": ("after_photo_required", "verified_by")}),
        ("上报表单", {"fields": ("form_fields",)}),
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedAuditedAdmin):
    """放假 weekdays and worked weekend days (调休); every working-time limit counts with them."""

    list_display = ("day", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "day"
    search_fields = ("name",)


class CaseTransitionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CaseTransition
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "actor_name", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin, ScopedAuditedAdmin):
    """Cases of the user's subtree, read-only: every change goes through the loop's actions."""

    list_display = (
        "number",
        "category",
        "status",
        "district",
        "grid",
        "unit",
        "created_at",
        "step_due_at",
        "rework_count",
        "extension_count",
    )
    list_filter = ("status", "category__parent", "channel")
    search_fields = ("number", "place", "description", "grid__code")
    date_hierarchy = "created_at"
    inlines = (CaseTransitionInline,)
    list_select_related = ("category", "district", "grid", "unit")


@admin.register(CaseApproval)
class CaseApprovalAdmin(ReadOnlyAdmin, ScopedAuditedAdmin):
    """The ledger of 回退, 延期, 缓办 and 作废 (decided through the API's approval actions)."""

    list_display = ("case", "action", "status", "requested_by", "requested_at", "decided_by")
    list_filter = ("action", "status")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseApproval]:
        visible = Case.objects.visible_to(self.principal(request))
        return super().get_queryset(request).filter(case__in=visible)
