"""Versioned per-district rules. An edit never updates a row: it adds the next version."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet


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
        ]

    def __str__(self) -> str:
        return f"{self.district} 规则 v{self.version}"
