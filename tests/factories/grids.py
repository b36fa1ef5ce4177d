"""Factories for the grid layer: square grids in the test city, with units per agency kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smartduty.grids import services
from smartduty.grids.models import Grid
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District, Unit

ROOT = Principal(user_id=None, username="tests", district_path=None, is_global=True)


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A GeoJSON Polygon with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def make_grid(
    district: District,
    code: str,
    geometry: dict[str, Any],
    *,
    name: str = "测试网格",
    units: Mapping[str, Unit | None] | None = None,
    active: bool = True,
) -> Grid:
    grid, _ = services.save_grid(
        principal=ROOT,
        code=code,
        name=name,
        district=district,
        geometry=geometry,
        units=units,
        active=active,
    )
    return grid
