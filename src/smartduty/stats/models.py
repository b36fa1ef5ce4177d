"""Stats tables: the stored daily case reports, and a proxy that gives the parking counters
a page in the back office."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.parking.models import ParkingReport


class ParkingStatsEntry(ParkingReport):
    """Back-office entry point for the parking counters (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = "违停劝离统计"
        verbose_name_plural = "违停劝离统计"
        default_permissions = ()


class CaseReportStatus(models.TextChoices):
    PENDING = "pending", "生成中"
    READY = "ready", "已生成"


class CaseReport(models.Model):
    """The daily 数字城管 report of one district and day: its case KPIs per unit as a PDF and an
    Excel workbook, written by the worker (`stats.case_report_render` timers) and kept for
    download. One row per district and day, however often the worker runs."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey("org.District", verbose_name="辖区", on_delete=models.CASCADE)
    day = models.DateField("统计日期")
    status = models.CharField(
        "状态",
        max_length=10,
        choices=CaseReportStatus.choices,
        default=CaseReportStatus.PENDING,
    )
    pdf = models.FileField("PDF 报表", upload_to="case-reports/", blank=True)
    xlsx = models.FileField("Excel 报表", upload_to="case-reports/", blank=True)
    received = models.PositiveIntegerField("受理数", default=0)
    closure_rate = models.DecimalField(
        "结案率（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    on_time_rate = models.DecimalField(
        "按期结案率（%）", max_digits=5, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    generated_at = models.DateTimeField("生成时间", null=True, blank=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "案件日报"
        verbose_name_plural = "案件日报"
        ordering = ("-day", "district__path")
        constraints = [
            models.UniqueConstraint(fields=["district", "day"], name="casereport_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(status__in=CaseReportStatus.values),
                name="casereport_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district_id} {self.day:%Y-%m-%d} {self.get_status_display()}"
