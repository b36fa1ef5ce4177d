"""Back office for districts, agencies, units, officers and tokens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.errors import ValidationFailed
from smartduty.org import services
from smartduty.org.models import Agency, ApiToken, District, Officer, Unit


@admin.register(District)
class DistrictAdmin(ScopedAuditedAdmin):
    """The district tree."""

    list_display = ("name", "code", "level", "parent", "path")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path", "public_id")

    def get_form(
        self,
        request: HttpRequest,
        obj: Any | None = None,
        change: bool = False,  # noqa: FBT002 - ModelAdmin.get_form's signature
        **kwargs: Any,
    ) -> type[ModelForm[Any]]:
        form = super().get_form(request, obj, change, **kwargs)

        class DistrictForm(form):  # type: ignore[misc,valid-type]  # the admin's generated form
            def clean(self) -> Any:
                cleaned = super().clean()
                node = self.instance
                for name in ("code", "level", "parent"):
                    if name in cleaned:
                        setattr(node, name, cleaned[name])
                try:
                    services.check_district(node)
                except ValidationFailed as exc:
                    raise forms.ValidationError(exc.message) from exc
                return cleaned

        return DistrictForm

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        services.save_district(obj)  # its path and its subtree's; the base class audits
        super().save_model(request, obj, form, change)


@admin.register(Agency)
class AgencyAdmin(ScopedAuditedAdmin):
    """城管 and 交警."""

    list_display = ("name", "kind", "district")
    list_filter = ("kind",)


@admin.register(Unit)
class UnitAdmin(ScopedAuditedAdmin):
    """支队, 大队, 中队."""

    list_display = ("name", "agency", "level", "district", "parent")
    list_filter = ("agency__kind", "level")
    search_fields = ("name",)


@admin.register(Officer)
class OfficerAdmin(ScopedAuditedAdmin):
    """Officers and their accounts."""

    list_display = ("name", "badge_number", "unit", "user", "is_active")
    list_filter = ("is_active", "unit__agency__kind", "unit")
    search_fields = ("name", "badge_number", "user__username")
    list_select_related = ("unit", "user")
    raw_id_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAuditedAdmin):
    """Bearer tokens: only their prefix is visible; revoke, never edit."""

    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"已吊销 {count} 个令牌")
