"""Back office: partners' Open311 keys (created by `manage.py open311_key create`, which
prints the raw key once; here they are renamed or disabled) and the public reports."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.open311.models import ApiKey, PublicReport


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAuditedAdmin):
    """Keys: only their prefix is visible; disable, never see the key again."""

    list_display = ("name", "prefix", "district", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    fields = ("name", "district", "is_active", "prefix", "created_at", "last_used_at")
    readonly_fields = ("district", "prefix", "created_at", "last_used_at")
    actions = ("deactivate",)

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    @admin.action(description="停用所选密钥")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = queryset.filter(is_active=True).update(is_active=False)
        self.message_user(request, f"已停用 {count} 个密钥")


@admin.register(PublicReport)
class PublicReportAdmin(ScopedAuditedAdmin):
    """Which partner sent which case; the reporter's phone only masked."""

    list_display = ("case", "api_key", "phone_masked", "created_at")
    fields = ("case", "api_key", "media_url", "phone_masked", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False
