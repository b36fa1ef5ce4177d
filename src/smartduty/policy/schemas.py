"""API schemas of the policy app."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from ninja import Schema
from pydantic import Field


class EffectivePolicyOut(Schema):
    """The rules in force for a district, and where they come from."""

    district_code: str
    source_district_code: str | None
    version: int
    move_window_seconds: int
    duplicate_window_seconds: int
    sms_provider: str
    sms_signature: str
    sms_template_code: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    quiet_hours_mode: str = Field(description="免打扰时段内：defer 推迟发送短信，notice 直接贴单")
    reminder_at_percent: int = Field(description="催挪短信时点（挪车时限的百分比），0 为不发送")
    daily_sms_cap_per_number: int = Field(description="同一号码每日挪车短信上限（按上报计）")
    daily_sms_cap_per_officer: int = Field(description="每名队员每日触发挪车短信上限")


class PolicyVersionOut(Schema):
    """One stored version of a district's own policy."""

    version: int
    is_current: bool
    move_window_seconds: int
    duplicate_window_seconds: int
    sms_provider: str
    sms_signature: str
    sms_template_code: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    quiet_hours_mode: str = Field(description="免打扰时段内：defer 推迟发送短信，notice 直接贴单")
    reminder_at_percent: int = Field(description="催挪短信时点（挪车时限的百分比），0 为不发送")
    daily_sms_cap_per_number: int = Field(description="同一号码每日挪车短信上限（按上报计）")
    daily_sms_cap_per_officer: int = Field(description="每名队员每日触发挪车短信上限")
    created_at: datetime
    created_by: str | None
    change_reason: str

    @staticmethod
    def resolve_created_by(obj: object) -> str | None:
        user = getattr(obj, "created_by", None)
        return user.get_username() if user is not None else None


class PolicyPatch(Schema):
    """A change to a district's rules; omitted fields keep their value."""

    reason: str = Field(min_length=1, max_length=200, description="修改原因（必填，记入审计日志）")
    expected_version: int | None = Field(default=None, description="当前版本号，防止并发覆盖")
    move_window_seconds: int | None = Field(default=None, ge=10, le=86400)
    duplicate_window_seconds: int | None = Field(default=None, ge=0, le=7 * 86400)
    sms_provider: str | None = Field(
        default=None, max_length=40, description="短信通道，须为已注册的通道（如 console）"
    )
    sms_signature: str | None = Field(default=None, min_length=2, max_length=20)
    sms_template_code: str | None = Field(
        default=None, min_length=1, max_length=40, description="挪车短信模板编号（如 SD_MOVE_001）"
    )
    quiet_hours_start: time | None = Field(
        default=None, description="免打扰开始（当地时间；带时区的时间换算为北京时间）"
    )
    quiet_hours_end: time | None = Field(
        default=None, description="免打扰结束（当地时间；带时区的时间换算为北京时间）"
    )
    clear_quiet_hours: bool = False
    quiet_hours_mode: Literal["defer", "notice"] | None = Field(
        default=None,
        description="免打扰时段内：defer 推迟到时段结束发送短信，notice 不发短信直接贴单",
    )
    reminder_at_percent: int | None = Field(
        default=None, ge=0, le=90, description="催挪短信时点（挪车时限的百分比，10–90），0 为不发送"
    )
    daily_sms_cap_per_number: int | None = Field(
        default=None, ge=1, le=50, description="同一号码每日挪车短信上限"
    )
    daily_sms_cap_per_officer: int | None = Field(
        default=None, ge=1, le=5000, description="每名队员每日触发挪车短信上限"
    )
