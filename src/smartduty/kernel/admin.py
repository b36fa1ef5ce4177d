"""Back office for kernel tables: the audit log (read only)."""

from django.contrib import admin

from smartduty.kernel.admin_support import ReadOnlyAdmin
from smartduty.kernel.models import AuditEntry, Timer


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Who did what, when and why."""

    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "object_id", "reason")
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # noqa: ARG002
        return bool(request.user.is_superuser or request.user.has_perm("kernel.view_auditentry"))


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    """Durable deadlines: what is due, what fired late, what keeps failing."""

    list_display = (
        "kind",
        "subject_type",
        "subject_id",
        "due_at",
        "status",
        "attempts",
        "fired_at",
        "lateness",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("subject_id", "dedupe_key", "last_error")
    date_hierarchy = "due_at"

    @admin.display(description="延迟（毫秒）")
    def lateness(self, obj: Timer) -> str:
        if obj.fired_at is None:
            return "—"
        return f"{(obj.fired_at - obj.due_at).total_seconds() * 1000:.0f}"
