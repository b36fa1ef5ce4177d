"""Back office for district policies. Saving the form writes a new version through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms import CharField, ModelForm
from django.http import HttpRequest

from smartduty.kernel.admin_support import ScopedAuditedAdmin
from smartduty.kernel.errors import DomainError
from smartduty.policy import services
from smartduty.policy.models import DistrictPolicy


class PolicyForm(ModelForm):  # type: ignore[type-arg]
    """Form for a new version; the reason is required and goes to the audit log."""

    change_reason = CharField(label="修改原因", max_length=200, required=True)

    class Meta:
        model = DistrictPolicy
        fields = (
            "district",
            *services.EDITABLE_FIELDS,
            "change_reason",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("quiet_hours_start") is None) != (data.get("quiet_hours_end") is None):
            raise ValidationError("免打扰时段的开始和结束时间需同时填写")
        start = data.get("quiet_hours_start")
        if start is not None and start == data.get("quiet_hours_end"):
            raise ValidationError("免打扰时段的开始和结束时间不能相同")
        return data


@admin.register(DistrictPolicy)
class DistrictPolicyAdmin(ScopedAuditedAdmin):
    """Versions are immutable: “add” creates the next version of a district's rules."""

    form = PolicyForm
    list_display = (
        "district",
        "version",
        "is_current",
        "move_window_seconds",
        "quiet_hours_start",
        "quiet_hours_end",
        "quiet_hours_mode",
        "reminder_at_percent",
        "daily_sms_cap_per_number",
        "daily_sms_cap_per_officer",
        "sms_signature",
        "sms_template_code",
        "created_at",
        "created_by",
        "change_reason",
    )
    list_filter = ("is_current", "district")
    list_select_related = ("district", "created_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # noqa: ARG002
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:  # noqa: ARG002
        data = form.cleaned_data
        try:
            saved = services.update_policy(
                principal=self.principal(request),
                actor=request.user,
                district=data["district"],
                changes=services.PolicyChanges(
                    **{name: data.get(name) for name in services.EDITABLE_FIELDS},
                    clear_quiet_hours=data.get("quiet_hours_start") is None,
                ),
                reason=data["change_reason"],
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = saved.pk
        obj.version = saved.version
