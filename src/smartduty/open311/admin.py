"""Back office: partners' Open311 keys and the public reports.

A key is created here (name and district; the key itself is generated on the server and shown
once, in the message after saving) or by `manage.py open311_key create`; only its SHA-256
digest and prefix are stored, so it can be renamed or disabled but never shown again.

Who: superusers, and the 指挥中心 (`org.roles`: view, add and change keys, view the
reports) for the districts of its own subtree (the list and the district choices are scoped);
nobody deletes a key through here (a key that sent reports is kept; disable it instead).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.clientip import client_ip
from smartduty.kernel.errors import ValidationFailed
from smartduty.open311 import services
from smartduty.open311.models import ApiKey, PublicReport


class ApiKeyAddForm(forms.ModelForm):  # type: ignore[type-arg]  # django-stubs: ModelForm[ApiKey]
    """New key: a name and a district; the key is generated when it is saved."""

    class Meta:
        model = ApiKey
        fields = ("name", "district")

    def clean_name(self) -> str:
        try:
            return services.clean_key_name(str(self.cleaned_data.get("name") or ""))
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedAuditedAdmin):
    """Keys: only their prefix is visible; create (shown once), rename, disable."""

    list_display = ("name", "prefix", "district", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name", "prefix")
    fields = ("name", "district", "is_active", "prefix", "created_at", "last_used_at")
    readonly_fields = ("district", "prefix", "created_at", "last_used_at")
    actions = ("deactivate",)

    def get_form(  # Django's signature
        self,
        request: HttpRequest,
        obj: Any = None,
        change: bool = False,  # noqa: FBT002
        **kwargs: Any,
    ) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:  # noqa: ARG002
        return ("name", "district") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:  # noqa: ARG002
        return () if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # a new key: the service generates it, stores the digest and audits; the raw key is
        # shown once in this message and kept nowhere
        key, raw = services.issue_api_key(
            name=obj.name,
            district=obj.district,
            actor=request.user,
            ip_address=client_ip(request) or None,
        )
        for name in ("pk", "prefix", "digest", "is_active", "created_at"):
            setattr(obj, name, getattr(key, name))
        obj._state.adding = False
        obj._state.db = key._state.db
        self.message_user(
            request,
            f"已创建密钥“{key.name}”（{key.district.name}）。请立即复制交给对方，"
            f"此密钥只显示这一次，系统不保存原文：{raw}",
            messages.WARNING,
        )

    @admin.action(description="停用所选密钥", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = services.disable_api_keys(
            keys=queryset, actor=request.user, ip_address=client_ip(request) or None
        )
        self.message_user(request, f"已停用 {count} 个密钥")


@admin.register(PublicReport)
class PublicReportAdmin(ScopedAuditedAdmin):
    """Which partner sent which case; the reporter's phone only masked (blank once erased)."""

    list_display = ("case", "api_key", "phone_masked", "contact_erased_at", "created_at")
    fields = (
        "case",
        "api_key",
        "token",
        "media_url",
        "phone_masked",
        "contact_erased_at",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:  # noqa: ARG002
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False
