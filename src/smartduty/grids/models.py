"""The grid layer (数字城管 单元网格, GB/T 30428.1): grids with their polygons, and which unit
handles each grid per kind of agency."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from smartduty.grids.geometry import GeometryError, check_grid_code, parse_geometry
from smartduty.kernel.scoping import ScopedQuerySet
from smartduty.org.states import AgencyKind


def validate_geometry(value: object) -> None:
    """A GeoJSON Polygon or MultiPolygon that `geometry.parse_geometry` accepts."""
    try:
        parse_geometry(value)
    except GeometryError as exc:
        raise ValidationError(str(exc)) from None


class Grid(models.Model):
    """One 单元网格: a 15-digit code, a name, its district and its polygon (GeoJSON, stored as
    JSON with its bounding box in indexed columns). Written by `grids.services` only, which
    computes the box and marks the layer changed (`GridLayer`)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        "网格编码",
        max_length=15,
        unique=True,
        help_text="15 位：6 位区划 + 3 位街道 + 3 位社区 + 3 位序号",
    )
    name = models.CharField("名称", max_length=60)
    district = models.ForeignKey("org.District", verbose_name="所属辖区", on_delete=models.PROTECT)
    geometry = models.JSONField(
        "范围（GeoJSON）",
        validators=[validate_geometry],
        help_text="Polygon 或 MultiPolygon，坐标为 [经度, 纬度]（WGS-84）",
    )
    min_lat = models.FloatField("最小纬度", editable=False)
    max_lat = models.FloatField("最大纬度", editable=False)
    min_lon = models.FloatField("最小经度", editable=False)
    max_lon = models.FloatField("最大经度", editable=False)
    active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", default=timezone.now, db_index=True)

    scope_path_lookup = "district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "单元网格"
        verbose_name_plural = "单元网格"
        ordering = ("code",)
        indexes = [
            models.Index(fields=["min_lat", "max_lat"], name="grid_lat_range"),
            models.Index(fields=["min_lon", "max_lon"], name="grid_lon_range"),
            models.Index(fields=["district", "active"], name="grid_district_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_lat__lte=models.F("max_lat"))
                & models.Q(min_lon__lte=models.F("max_lon")),
                name="grid_bbox_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.district_id is not None and self.code:
            try:
                check_grid_code(self.code, self.district.path)
            except GeometryError as exc:
                raise ValidationError({"code": str(exc)}) from None


class GridUnit(models.Model):
    """Who handles a grid for one kind of agency (城管, 交警, 街道办事处, 作业单位): a case
    reported in the grid goes to the unit of its category's `agency_kind`."""

    grid = models.ForeignKey(
        Grid, verbose_name="网格", on_delete=models.CASCADE, related_name="units"
    )
    agency_kind = models.CharField("单位类别", max_length=12, choices=AgencyKind.choices)
    unit = models.ForeignKey(
        "org.Unit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+"
    )

    scope_path_lookup = "grid__district__path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "网格责任单位"
        verbose_name_plural = "网格责任单位"
        ordering = ("grid", "agency_kind")
        constraints = [
            models.UniqueConstraint(fields=["grid", "agency_kind"], name="gridunit_one_per_kind"),
            models.CheckConstraint(
                condition=models.Q(agency_kind__in=AgencyKind.values),
                name="gridunit_agency_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.get_agency_kind_display()}：{self.unit_id}"

    def clean(self) -> None:
        if self.unit_id is None or self.grid_id is None:
            return
        unit, grid = self.unit, self.grid
        if unit.agency.kind != self.agency_kind:
            raise ValidationError(
                {"unit": f"{unit.name}不是{self.get_agency_kind_display()}的单位"}
            )
        if not grid.district.path.startswith(unit.district.path):
            raise ValidationError({"unit": f"{unit.name}的责任辖区不含网格 {grid.code}"})


class GridLayer(models.Model):
    """One row whose `token` changes with every write to the layer, so each process can tell
    cheaply whether its point-in-polygon index is stale (`grids.selectors.locate`)."""

    key = models.CharField(max_length=20, unique=True, default="grids")
    token = models.CharField("版本标记", max_length=32)
    changed_at = models.DateTimeField("变更时间", default=timezone.now)

    class Meta:
        verbose_name = "网格图层版本"
        verbose_name_plural = "网格图层版本"

    def __str__(self) -> str:
        return f"{self.key} {self.token[:8]}"
