"""Vehicle tables: the registry of vehicles and owners, and bulk import jobs."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.vehicles.plates import PlateColor, PlateKind
from smartduty.vehicles.states import TERMINAL, ImportStatus


class Vehicle(models.Model):
    """A registered vehicle and how to reach its owner.

    The plate is stored normalised (GA 36-2018, see `plates`). The owner's phone is stored
    encrypted (`kernel.crypto`) next to a masked copy for display; only the reveal service
    decrypts it, and every reveal is audited. `district` is the registering district and
    decides who may see the row.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(
        "org.District", verbose_name="登记辖区", on_delete=models.PROTECT, related_name="vehicles"
    )
    plate = models.CharField("车牌号", max_length=8, unique=True)
    plate_kind = models.CharField("号牌种类", max_length=16, choices=PlateKind.choices)
    plate_color = models.CharField("号牌颜色", max_length=16, choices=PlateColor.choices)
    owner_name = models.CharField("车主姓名", max_length=50)
    owner_phone_encrypted = models.TextField("车主电话（密文）", editable=False)
    owner_phone_masked = models.CharField("车主电话", max_length=20, editable=False)
    created_at = models.DateTimeField("登记时间", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新时间", default=timezone.now, editable=False)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "车辆"
        verbose_name_plural = "车辆"
        ordering = ("plate",)
        permissions = [
            ("reveal_owner_phone", "可查看车主完整电话（需填写事由）"),
            ("import_vehicles", "可批量导入车辆"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plate_kind__in=PlateKind.values), name="vehicle_plate_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(plate_color__in=PlateColor.values),
                name="vehicle_plate_color_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.plate


def import_upload_to(instance: ImportJob, filename: str) -> str:
    """Uploaded files are named by the job, never by the (personal) original file name."""
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"vehicle-imports/{instance.public_id}{suffix}"


class ImportJob(models.Model):
    """One uploaded spreadsheet of vehicles, imported in the background.

    Progress counters are committed every few hundred rows so the back office can show a
    progress bar; `report` lists rejected rows as `{row, plate, reason}`. The uploaded file
    (which holds plain phone numbers) is deleted once the job has finished.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(
        "org.District", verbose_name="登记辖区", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField("文件", upload_to=import_upload_to, max_length=255, blank=True)
    original_filename = models.CharField("原文件名", max_length=255)
    status = models.CharField(
        "状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField("总行数", default=0)
    processed_rows = models.PositiveIntegerField("已处理行数", default=0)
    created_count = models.PositiveIntegerField("新增", default=0)
    updated_count = models.PositiveIntegerField("更新", default=0)
    rejected_count = models.PositiveIntegerField("拒绝", default=0)
    report = models.JSONField("拒绝明细", default=list, blank=True)
    error = models.TextField("错误信息", blank=True)
    created_at = models.DateTimeField("上传时间", default=timezone.now, editable=False)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    progress_at = models.DateTimeField(
        "最近进展", null=True, blank=True, help_text="每处理一批行更新，用于发现中断的导入"
    )
    restarts = models.PositiveSmallIntegerField("中断后重启次数", default=0)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "车辆导入任务"
        verbose_name_plural = "车辆导入任务"
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_filename}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once finished)."""
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_finished(self) -> bool:
        """Done or failed."""
        return self.status in TERMINAL
