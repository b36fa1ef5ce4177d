"""Policy reads: the effective rules of a district, and its version history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from uuid import UUID

from django.conf import settings
from django.db.models import QuerySet

from smartduty.kernel.scoping import Principal
from smartduty.org.models import District
from smartduty.policy.models import (
    DEFAULT_REMINDER_AT_PERCENT,
    DEFAULT_SMS_CAP_PER_NUMBER,
    DEFAULT_SMS_CAP_PER_OFFICER,
    DistrictPolicy,
    QuietHoursMode,
)


@dataclass(frozen=True)
class EffectivePolicy:
    """The rules that apply in a district right now, whoever defined them."""

    district_code: str
    source_district_code: str | None
    """District whose policy row applies (this one or an ancestor); None = built-in defaults."""
    version: int
    move_window_seconds: int
    duplicate_window_seconds: int
    sms_provider: str
    sms_signature: str
    sms_template_code: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    quiet_hours_mode: str
    """`QuietHoursMode`: defer the owner SMS to the end of quiet hours, or post the notice."""
    reminder_at_percent: int
    """Point of the move window for the one reminder SMS; 0 = none."""
    daily_sms_cap_per_number: int
    daily_sms_cap_per_officer: int
    policy_id: int | None


def _ancestor_codes(district: District) -> list[str]:
    return [code for code in district.path.strip("/").split("/") if code]


def get_effective_policy(*, district: District, demo_override: bool = True) -> EffectivePolicy:
    """The current policy of the district or its nearest ancestor, else the defaults.

    `SMARTDUTY_MOVE_WINDOW_SECONDS` overrides the move window everywhere (demo runs);
    `demo_override=False` gives the stored rules (what a policy edit starts from).
    """
    codes = _ancestor_codes(district)
    rows = {
        row.district.code: row
        for row in DistrictPolicy.objects.select_related("district").filter(
            is_current=True, district__code__in=codes
        )
    }
    row = next((rows[code] for code in reversed(codes) if code in rows), None)
    override = settings.POLICY_MOVE_WINDOW_OVERRIDE_SECONDS if demo_override else None
    if row is None:
        return EffectivePolicy(
            district_code=district.code,
            source_district_code=None,
            version=0,
            move_window_seconds=override or settings.POLICY_DEFAULT_MOVE_WINDOW_SECONDS,
            duplicate_window_seconds=settings.POLICY_DEFAULT_DUPLICATE_WINDOW_SECONDS,
            sms_provider="console",
            sms_signature="智慧勤务",
            sms_template_code="SD_MOVE_001",
            quiet_hours_start=None,
            quiet_hours_end=None,
            quiet_hours_mode=QuietHoursMode.DEFER,
            reminder_at_percent=DEFAULT_REMINDER_AT_PERCENT,
            daily_sms_cap_per_number=DEFAULT_SMS_CAP_PER_NUMBER,
            daily_sms_cap_per_officer=DEFAULT_SMS_CAP_PER_OFFICER,
            policy_id=None,
        )
    return EffectivePolicy(
        district_code=district.code,
        source_district_code=row.district.code,
        version=row.version,
        move_window_seconds=override or row.move_window_seconds,
        duplicate_window_seconds=row.duplicate_window_seconds,
        sms_provider=row.sms_provider,
        sms_signature=row.sms_signature,
        sms_template_code=row.sms_template_code,
        quiet_hours_start=row.quiet_hours_start,
        quiet_hours_end=row.quiet_hours_end,
        quiet_hours_mode=row.quiet_hours_mode,
        reminder_at_percent=row.reminder_at_percent,
        daily_sms_cap_per_number=row.daily_sms_cap_per_number,
        daily_sms_cap_per_officer=row.daily_sms_cap_per_officer,
        policy_id=row.pk,
    )


def find_current_policy(*, district: District) -> DistrictPolicy | None:
    """The district's own current row (not inherited)."""
    return DistrictPolicy.objects.filter(district=district, is_current=True).first()


def list_policy_versions(
    *, principal: Principal, district_public_id: UUID
) -> QuerySet[DistrictPolicy]:
    """Every version of a visible district's own policy, newest first."""
    return (
        DistrictPolicy.objects.visible_to(principal, "policy.view_districtpolicy")
        .filter(district__public_id=district_public_id)
        .select_related("district", "created_by")
        .order_by("-version")
    )


def list_current_policies() -> QuerySet[DistrictPolicy]:
    """Every district's current row, unscoped: for the start-up check (`policy.checks`)."""
    return DistrictPolicy.objects.filter(is_current=True).select_related("district")
