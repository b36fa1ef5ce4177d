"""Parking tables: the report aggregate, its transition log, notices and their numbering."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.parking import shortlinks
from smartduty.parking.states import RecheckOutcome, Status


class ParkingReport(models.Model):
    """One illegally parked car seen by an officer, from photo to outcome.

    `status` changes only through `parking.services.transition`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.PositiveIntegerField("版本", default=1)
    status = models.CharField(
        "状态", max_length=20, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    district = models.ForeignKey("org.District", verbose_name="辖区", on_delete=models.PROTECT)
    unit = models.ForeignKey("org.Unit", verbose_name="上报单位", on_delete=models.PROTECT)
    reported_by = models.ForeignKey(
        "org.Officer", verbose_name="上报人员", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上报时间", default=timezone.now, db_index=True)
    captured_at = models.DateTimeField("拍摄时间（手机）", null=True, blank=True)
    owner_code = models.CharField(
        "车主链接码", max_length=12, unique=True, default=shortlinks.new_owner_code, editable=False
    )
    idempotency_key = models.CharField(
        "客户端幂等键", max_length=64, null=True, blank=True, unique=True
    )

    plate = models.CharField("车牌号", max_length=10, blank=True, db_index=True)
    plate_read = models.CharField("识别结果", max_length=10, blank=True)
    plate_confidence = models.FloatField("识别置信度", null=True, blank=True)
    is_plate_edited = models.BooleanField("车牌经人工修改", default=False)

    place = models.CharField("地点", max_length=60, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    accuracy_m = models.FloatField("定位精度（米）", null=True, blank=True)

    photo = models.ForeignKey(
        "evidence.Photo", verbose_name="现场照片", on_delete=models.PROTECT, related_name="+"
    )
    recheck_photo = models.ForeignKey(
        "evidence.Photo",
        verbose_name="复查照片",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notice_photo = models.ForeignKey(
        "evidence.Photo",
        verbose_name="贴单照片",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )

    # the report as a case of 违法停车 on the case core (numbered, counted in the KPIs); it
    # follows the report's status (`states.CASE_STATUS`). Empty only without that category.
    case = models.OneToOneField(
        "cases.Case",
        verbose_name="案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parking_report",
    )

    policy_version = models.PositiveIntegerField("规则版本", null=True, blank=True)
    move_window_seconds = models.PositiveIntegerField("挪车时限（秒）", null=True, blank=True)
    owner_notified_at = models.DateTimeField("短信通知时间", null=True, blank=True)
    deadline_at = models.DateTimeField("挪车截止时间", null=True, blank=True)
    moved_at = models.DateTimeField("驶离确认时间", null=True, blank=True)
    recheck_at = models.DateTimeField("复查时间", null=True, blank=True)
    recheck_outcome = models.CharField(
        "复查结果", max_length=12, choices=RecheckOutcome.choices, blank=True
    )
    recheck_distance_m = models.FloatField("两次拍摄距离（米）", null=True, blank=True)
    recheck_warnings = models.JSONField("复查提醒", default=list, blank=True)
    notice_posted_at = models.DateTimeField("贴单时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "违停上报"
        verbose_name_plural = "违停上报"
        ordering = ("-created_at", "-id")
        permissions = [
            ("report_parking", "可上报违停"),
            ("void_parkingreport", "可作废违停上报（中队长审批）"),
        ]
        indexes = [
            models.Index(fields=["plate", "status"]),
            models.Index(fields=["district", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="parkingreport_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate or '未确认车牌'} @ {self.place or '-'}（{self.get_status_display()}）"


class ParkingTransition(models.Model):
    """One step of a report's timeline: who, when, from where to where, and why."""

    report = models.ForeignKey(
        ParkingReport, verbose_name="违停上报", on_delete=models.CASCADE, related_name="transitions"
    )
    at = models.DateTimeField("时间", default=timezone.now)
    action = models.CharField("动作", max_length=24)
    from_status = models.CharField("原状态", max_length=20, blank=True)
    to_status = models.CharField("新状态", max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField("操作人", max_length=60, default="系统")
    reason = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "状态流转"
        verbose_name_plural = "状态流转"
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.action} {self.from_status}→{self.to_status}"


class ParkingNotice(models.Model):
    """A numbered 文明停车提示单 issued for a report."""

    report = models.OneToOneField(
        ParkingReport, verbose_name="违停上报", on_delete=models.PROTECT, related_name="notice"
    )
    number = models.CharField("编号", max_length=32, unique=True)
    issued_at = models.DateTimeField("开具时间", default=timezone.now)
    issued_by = models.ForeignKey(
        "org.Officer", verbose_name="开具人员", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "文明停车提示单"
        verbose_name_plural = "文明停车提示单"
        ordering = ("-issued_at",)

    def __str__(self) -> str:
        return self.number


class NoticeSequence(models.Model):
    """Per district and day counter that numbers notices without gaps or clashes."""

    district = models.ForeignKey("org.District", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "提示单编号序列"
        verbose_name_plural = "提示单编号序列"
        constraints = [
            models.UniqueConstraint(fields=("district", "day"), name="notice_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.district_id}/{self.day}: {self.last_value}"
