"""Pure geometry of the grid layer: GeoJSON checks, bounding boxes, point in polygon, the
15-digit grid code and distances on the ground. No Django here.

Coordinates are GeoJSON order, `[lon, lat]`, in the same datum as the apps' fixes (the
browser's geolocation, WGS-84); a layer drawn on a GCJ-02 map must be converted before import.

Point in polygon is the even-odd crossing rule over every ring of the geometry (outer rings
and holes alike; the parts of a MultiPolygon do not overlap). The ray goes east and an edge
counts when `(y1 > y) != (y2 > y)` and the crossing lies strictly east of the point, so a
point on an edge shared by two grids belongs to exactly one of them: the grid to its east
(vertical edge) or to its north (horizontal edge).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Final

MAX_VERTICES: Final = 5_000
"""Vertices one grid may have (all rings); a 单元网格 drawn by hand has tens."""
MAX_PARTS: Final = 50
EARTH_RADIUS_M: Final = 6_371_008.8
M_PER_DEG_LAT: Final = 111_320.0

_CODE: Final = re.compile(r"[0-9]{15}")

Ring = list[tuple[float, float]]
"""A closed ring as (lon, lat) pairs; the last pair repeats the first."""


class GeometryError(ValueError):
    """A geometry or code that cannot be stored; the message is Chinese, for the user."""


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


def _position(value: object) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise GeometryError("坐标须为 [经度, 纬度]")
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise GeometryError("坐标须为数字")
        if not math.isfinite(number):
            raise GeometryError("坐标须为有限数字")
    if not -180 <= lon <= 180:
        raise GeometryError(f"经度 {lon} 超出 -180 到 180")
    if not -90 <= lat <= 90:
        raise GeometryError(f"纬度 {lat} 超出 -90 到 90")
    return float(lon), float(lat)


def _area2(ring: Ring) -> float:
    """Twice the signed area of a closed ring (shoelace), in square degrees."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring))


def _ring(value: object, label: str) -> Ring:
    if not isinstance(value, list) or len(value) < 4:
        raise GeometryError(f"{label}至少需要 4 个坐标点（首尾相同）")
    ring = [_position(p) for p in value]
    if ring[0] != ring[-1]:
        raise GeometryError(f"{label}未闭合：首尾坐标须相同")
    if abs(_area2(ring)) < 1e-14:
        raise GeometryError(f"{label}面积为零")
    return ring


def _polygon(value: object, label: str) -> list[Ring]:
    if not isinstance(value, list) or not value:
        raise GeometryError(f"{label}缺少外环")
    rings = [
        _ring(r, f"{label}外环" if i == 0 else f"{label}第 {i} 个内环（洞）")
        for i, r in enumerate(value)
    ]
    outer = bbox_of(rings[:1])
    for hole in rings[1:]:
        if not all(outer.contains(lon, lat) for lon, lat in hole):
            raise GeometryError(f"{label}的内环（洞）超出了外环范围")
    return rings


def parse_geometry(value: object) -> tuple[list[list[Ring]], dict[str, Any]]:
    """Check a GeoJSON Polygon or MultiPolygon; return its polygons and the normalised
    GeoJSON to store (floats, no altitude). `GeometryError` (Chinese) when it is unusable."""
    if not isinstance(value, dict):
        raise GeometryError("几何须为 GeoJSON 对象")
    kind, coordinates = value.get("type"), value.get("coordinates")
    if kind == "Polygon":
        polygons = [_polygon(coordinates, "多边形")]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError("MultiPolygon 至少需要一个多边形")
        if len(coordinates) > MAX_PARTS:
            raise GeometryError(f"MultiPolygon 最多 {MAX_PARTS} 个部分")
        polygons = [_polygon(p, f"第 {i + 1} 个多边形") for i, p in enumerate(coordinates)]
    else:
        raise GeometryError("几何类型须为 Polygon 或 MultiPolygon")
    vertices = sum(len(ring) for polygon in polygons for ring in polygon)
    if vertices > MAX_VERTICES:
        raise GeometryError(f"顶点过多：{vertices} 个，最多 {MAX_VERTICES} 个")
    as_lists = [[[[lon, lat] for lon, lat in ring] for ring in polygon] for polygon in polygons]
    normal: dict[str, Any] = (
        {"type": "Polygon", "coordinates": as_lists[0]}
        if kind == "Polygon"
        else {"type": "MultiPolygon", "coordinates": as_lists}
    )
    return polygons, normal


def rings_of(geometry: dict[str, Any]) -> list[Ring]:
    """Every ring of a stored (already checked) geometry, outer rings and holes together."""
    parts = (
        [geometry["coordinates"]]
        if geometry["type"] == "Polygon"
        else list(geometry["coordinates"])
    )
    return [[(float(p[0]), float(p[1])) for p in ring] for polygon in parts for ring in polygon]


def bbox_of(rings: Sequence[Ring]) -> BBox:
    lons = [lon for ring in rings for lon, _ in ring]
    lats = [lat for ring in rings for _, lat in ring]
    return BBox(min(lons), min(lats), max(lons), max(lats))


def contains(rings: Sequence[Ring], lon: float, lat: float) -> bool:
    """Even-odd rule over all rings (see the module docstring for points on an edge)."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in pairwise(ring):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def check_grid_code(code: str, district_path: str) -> None:
    """A 单元网格 code (domain.md §1.2): 15 digits = 6 division + 3 street + 3 community +
    3 sequence. It must start with the deepest numeric 6- or 9-digit code on the grid's
    district path (`/990000/990101/990101001/` → `990101001`), and its sequence is not 000."""
    if not _CODE.fullmatch(code):
        raise GeometryError("网格编码须为 15 位数字（6 位区划 + 3 位街道 + 3 位社区 + 3 位序号）")
    division = code[:6]
    if division[:2] == "00" or division[2:] == "0000":
        raise GeometryError(f"网格编码前 6 位 {division} 不是县级区划代码")
    if code[12:] == "000":
        raise GeometryError("网格编码的后 3 位序号须从 001 开始")
    prefixes = [c for c in district_path.strip("/").split("/") if c.isdigit() and len(c) in (6, 9)]
    if prefixes and not code.startswith(prefixes[-1]):
        raise GeometryError(f"网格编码须以所属辖区代码 {prefixes[-1]} 开头")


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat: float, lon: float, radius_m: float) -> BBox:
    """A lat/lon box that holds every point within `radius_m` (a little more), for an
    indexed SQL prefilter before the exact distance."""
    dlat = radius_m / M_PER_DEG_LAT
    cos_lat = math.cos(math.radians(min(abs(lat) + dlat, 89.9)))
    dlon = min(180.0, radius_m / (M_PER_DEG_LAT * max(cos_lat, 1e-6)))
    return BBox(lon - dlon, lat - dlat, lon + dlon, lat + dlat)


def valid_point(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
