"""Versioned per-district rules. An edit never updates a row: it adds the next version."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet

DEFAULT_REMINDER_AT_PERCENT = 0
"""Built-in default of `reminder_at_percent`: no reminder (a second SMS costs money; a
district turns it on)."""
DEFAULT_SMS_CAP_PER_NUMBER = 3
DEFAULT_SMS_CAP_PER_OFFICER = 200
REMINDER_MIN_PERCENT = 10
REMINDER_MAX_PERCENT = 90


class QuietHoursMode(models.TextChoices):
    """What a report with a known owner does inside the district's quiet hours."""

    DEFER = "defer", "推迟发送短信（挪车时限自发送时起算）"
    NOTICE = "notice", "不发短信，直接张贴提示单"


def validate_reminder_percent(value: int) -> None:
    """0 (no reminder) or a point of the move window between 10 % and 90 %."""
    if value != 0 and not REMINDER_MIN_PERCENT <= value <= REMINDER_MAX_PERCENT:
        raise ValidationError(
            f"催挪短信时点须为 0（不发送）或 {REMINDER_MIN_PERCENT}–{REMINDER_MAX_PERCENT}"
            "（挪车时限的百分比）"
        )


class DistrictPolicy(models.Model):
    """One version of a district's rules. Exactly one version per district is current.

    Districts without a policy of their own inherit the nearest ancestor's current version.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(
        "org.District", verbose_name="辖区", on_delete=models.PROTECT, related_name="policies"
    )
    version = models.PositiveIntegerField("版本")
    is_current = models.BooleanField("现行版本", default=True)
    move_window_seconds = models.PositiveIntegerField(
        "挪车时限（秒）", default=600, help_text="短信通知后车主驶离的时限，默认 600 秒（10 分钟）"
    )
    duplicate_window_seconds = models.PositiveIntegerField(
        "重复上报判定窗口（秒）", default=1800, help_text="同一车牌在此时间内重复上报不再发送短信"
    )
    sms_provider = models.CharField("短信通道", max_length=40, default="console")
    sms_signature = models.CharField("短信签名", max_length=20, default="示范城管")
    sms_template_code = models.CharField("挪车短信模板编号", max_length=40, default="SD_MOVE_001")
    quiet_hours_start = models.TimeField("免打扰开始", null=True, blank=True)
    quiet_hours_end = models.TimeField("免打扰结束", null=True, blank=True)
    quiet_hours_mode = models.CharField(
        "免打扰时段内的处理",
        max_length=10,
        choices=QuietHoursMode.choices,
        default=QuietHoursMode.DEFER,
        help_text="推迟：短信在免打扰结束时发送，挪车时限自发送时起算；直接贴单：不发短信",
    )
    reminder_at_percent = models.PositiveSmallIntegerField(
        "催挪短信时点（%）",
        default=DEFAULT_REMINDER_AT_PERCENT,
        validators=[validate_reminder_percent],
        help_text="挪车时限过去该百分比时仍未驶离，再发一条催挪短信（仅一次）；0 表示不发送",
    )
    daily_sms_cap_per_number = models.PositiveSmallIntegerField(
        "同一号码每日短信上限",
        default=DEFAULT_SMS_CAP_PER_NUMBER,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="同一车主号码当天最多收到几起上报的挪车短信，超出则不发短信、直接贴单",
    )
    daily_sms_cap_per_officer = models.PositiveIntegerField(
        "每名队员每日短信上限",
        default=DEFAULT_SMS_CAP_PER_OFFICER,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text="一名队员当天的上报最多触发几条挪车短信，超出则不发短信、直接贴单",
    )
    created_at = models.DateTimeField("生效时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    change_reason = models.CharField("修改原因", max_length=200, blank=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "辖区勤务规则"
        verbose_name_plural = "辖区勤务规则"
        ordering = ("district", "-version")
        constraints = [
            models.UniqueConstraint(fields=("district", "version"), name="policy_version_unique"),
            models.UniqueConstraint(
                fields=("district",),
                condition=models.Q(is_current=True),
                name="policy_one_current_per_district",
            ),
            models.CheckConstraint(
                condition=models.Q(move_window_seconds__gte=10, move_window_seconds__lte=86400),
                name="policy_move_window_range",
            ),
            models.CheckConstraint(
                condition=models.Q(duplicate_window_seconds__lte=7 * 86400),
                name="policy_duplicate_window_range",
            ),
            models.CheckConstraint(
                condition=models.Q(quiet_hours_mode__in=QuietHoursMode.values),
                name="policy_quiet_hours_mode_valid",
                violation_error_message="免打扰时段内的处理方式无效",
            ),
            models.CheckConstraint(
                condition=models.Q(reminder_at_percent=0)
                | models.Q(
                    reminder_at_percent__gte=REMINDER_MIN_PERCENT,
                    reminder_at_percent__lte=REMINDER_MAX_PERCENT,
                ),
                name="policy_reminder_percent_range",
                violation_error_message="催挪短信时点须为 0（不发送）或 10–90",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    daily_sms_cap_per_number__gte=1, daily_sms_cap_per_officer__gte=1
                ),
                name="policy_daily_caps_positive",
                violation_error_message="每日短信上限至少为 1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} 规则 v{self.version}"
