"""API schemas of the grid layer: the map's GeoJSON FeatureCollection."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field


class GridFilter(Schema):
    district_id: UUID | None = Field(default=None, description="只看该辖区（含下级）的网格")
    active_only: bool = Field(default=True, description="只看启用的网格")


class GridProperties(Schema):
    public_id: UUID
    code: str
    name: str
    district_id: UUID
    district: str
    active: bool
    units: dict[str, str] = Field(description="各类单位（chengguan、jiaojing…）的责任单位名称")

    @staticmethod
    def resolve_district_id(obj: Any) -> UUID:
        return obj.district.public_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_district(obj: Any) -> str:
        return str(obj.district.name)

    @staticmethod
    def resolve_units(obj: Any) -> dict[str, str]:
        return {str(row.agency_kind): str(row.unit.name) for row in obj.units.all()}


class GridFeatureOut(Schema):
    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: GridProperties

    @staticmethod
    def resolve_type(obj: Any) -> str:  # noqa: ARG004 - a constant
        return "Feature"

    @staticmethod
    def resolve_id(obj: Any) -> str:
        return str(obj.code)

    @staticmethod
    def resolve_properties(obj: Any) -> Any:
        return obj


class GridCollectionOut(Schema):
    """GeoJSON FeatureCollection of grids (coordinates [经度, 纬度], WGS-84)."""

    type: Literal["FeatureCollection"]
    features: list[GridFeatureOut]
