"""Back office for kernel tables: the audit log (read only)."""

from django.contrib import admin

from smartduty.kernel.admin_support import ReadOnlyAdmin
from smartduty.kernel.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Who did what, when and why."""

    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "reason")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "object_id", "reason")
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]  # noqa: ARG002
        return bool(request.user.is_superuser or request.user.has_perm("kernel.view_auditentry"))
