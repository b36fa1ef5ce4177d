"""Evidence tables: content-addressed originals (`Blob`) and the photos that use them (`Photo`).

The original bytes are stored untouched under their SHA-256; the watermarked display copy is
derived from them and stored separately, so the evidentiary file never changes.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from smartduty.evidence.states import ACCEPTED_MIME_TYPES, PhotoKind
from smartduty.kernel.scoping import ScopedQuerySet


class Blob(models.Model):
    """One original file, stored byte for byte under its SHA-256 (`originals/ab/cd/<sha>.<ext>`).

    Identical uploads share one blob. Width and height are as decoded, before EXIF orientation.
    Blobs are never exposed directly: every access goes through a scoped `Photo`.
    """

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    size_bytes = models.PositiveBigIntegerField("大小（字节）")
    mime_type = models.CharField("文件类型", max_length=40)
    width = models.PositiveIntegerField("宽度（像素）")
    height = models.PositiveIntegerField("高度（像素）")
    storage_name = models.CharField("存储路径", max_length=255, unique=True)
    created_at = models.DateTimeField("首次入库时间", default=timezone.now)

    class Meta:
        verbose_name = "证据原件"
        verbose_name_plural = "证据原件"
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mime_type__in=ACCEPTED_MIME_TYPES), name="blob_mime_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} ({self.mime_type}, {self.size_bytes} B)"


class Photo(models.Model):
    """A photo taken as evidence in a district: who uploaded it, when and where it was taken.

    `received_at` is the server's clock; `device_taken_at` and `exif_*` come from the file's
    EXIF and may be wrong or forged; `client_*` is the position the officer app reported.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(
        "org.District", verbose_name="辖区", on_delete=models.PROTECT, related_name="photos"
    )
    blob = models.ForeignKey(
        Blob, verbose_name="原件", on_delete=models.PROTECT, related_name="photos"
    )
    uploaded_by = models.ForeignKey(
        "org.Officer",
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="photos",
    )
    kind = models.CharField(
        "类别", max_length=12, choices=PhotoKind.choices, default=PhotoKind.SCENE
    )
    received_at = models.DateTimeField("接收时间", default=timezone.now, db_index=True)
    device_taken_at = models.DateTimeField("拍摄时间（设备）", null=True, blank=True)
    exif_lat = models.FloatField("纬度（EXIF）", null=True, blank=True)
    exif_lon = models.FloatField("经度（EXIF）", null=True, blank=True)
    client_lat = models.FloatField("纬度（终端定位）", null=True, blank=True)
    client_lon = models.FloatField("经度（终端定位）", null=True, blank=True)
    client_accuracy_m = models.FloatField("定位精度（米）", null=True, blank=True)
    place = models.CharField("地点", max_length=200, blank=True)
    original_filename = models.CharField("原文件名", max_length=255, blank=True)
    display_name = models.CharField("展示图存储路径", max_length=255)
    display_sha256 = models.CharField("展示图 SHA-256", max_length=64)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "证据照片"
        verbose_name_plural = "证据照片"
        ordering = ("-received_at", "-id")
        indexes = [models.Index(fields=["district", "received_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PhotoKind.values), name="photo_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(exif_lat__isnull=True)
                | models.Q(exif_lat__gte=-90, exif_lat__lte=90),
                name="photo_exif_lat_range",
            ),
            models.CheckConstraint(
                condition=models.Q(exif_lon__isnull=True)
                | models.Q(exif_lon__gte=-180, exif_lon__lte=180),
                name="photo_exif_lon_range",
            ),
            models.CheckConstraint(
                condition=models.Q(client_lat__isnull=True)
                | models.Q(client_lat__gte=-90, client_lat__lte=90),
                name="photo_client_lat_range",
            ),
            models.CheckConstraint(
                condition=models.Q(client_lon__isnull=True)
                | models.Q(client_lon__gte=-180, client_lon__lte=180),
                name="photo_client_lon_range",
            ),
            models.CheckConstraint(
                condition=models.Q(client_accuracy_m__isnull=True)
                | models.Q(client_accuracy_m__gte=0),
                name="photo_client_accuracy_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id.hex[:8]}"
