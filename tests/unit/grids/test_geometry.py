"""Pure geometry: the 15-digit code, GeoJSON checks, point in polygon (holes, MultiPolygon,
points on edges), and the bucket index against brute force."""

from __future__ import annotations

import math
import random

import pytest

from smartduty.grids import index as index_module
from smartduty.grids.geometry import (
    GeometryError,
    box_around,
    check_grid_code,
    contains,
    haversine_m,
    parse_geometry,
    rings_of,
)
from smartduty.grids.index import GridIndex
from tests.factories.grids import square

PATH = "/990000/990001/990001001/"


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("99000100100100", "15 位数字"),
        ("9900010010010011", "15 位数字"),
        ("99000100100100a", "15 位数字"),
        ("９９０００１００１００１００１", "15 位数字"),  # full-width digits are not ASCII
        ("000001001001001", "区划代码"),
        ("990000001001001", "区划代码"),
        ("990001001001000", "序号"),
        ("990002001001001", "990001001"),
    ],
)
def test_bad_codes(code: str, problem: str) -> None:
    with pytest.raises(GeometryError, match=problem):
        check_grid_code(code, PATH)


def test_good_code_and_prefix_of_the_deepest_numeric_district() -> None:
    check_grid_code("990001001002003", PATH)
    check_grid_code("990001002002003", "/990000/990001/")  # a grid of the 区 itself
    check_grid_code("990001002002003", "/CITY/")  # no numeric district: format only


def test_geometry_checks() -> None:
    ok = square(115.98, 36.45)
    assert parse_geometry(ok)[1] == ok
    open_ring = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}
    cases = [
        ({"type": "Point", "coordinates": [1, 2]}, "Polygon 或 MultiPolygon"),
        (
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0.5]]]},
            "未闭合",
        ),
        (open_ring, "至少需要 4 个"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [2, 2], [0, 0]]]}, "面积为零"),
        (square(181, 10), "经度"),
        (square(10, 95), "纬度"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, "x"], [0, 0]]]}, "数字"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, math.nan], [0, 0]]]}, "有限"),
        ({"type": "MultiPolygon", "coordinates": []}, "至少需要一个"),
        ("not a dict", "GeoJSON 对象"),
    ]
    for value, message in cases:
        with pytest.raises(GeometryError, match=message):
            parse_geometry(value)
    many = [[math.cos(t / 1000) * 0.01, math.sin(t / 1000) * 0.01] for t in range(6000)]
    with pytest.raises(GeometryError, match="顶点过多"):
        parse_geometry({"type": "Polygon", "coordinates": [[*many, many[0]]]})
    outside_hole = square(0, 0)["coordinates"] + square(2, 2, 0.1)["coordinates"]
    with pytest.raises(GeometryError, match="超出了外环"):
        parse_geometry({"type": "Polygon", "coordinates": outside_hole})


def test_altitude_is_dropped_and_ints_become_floats() -> None:
    ring = [[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5]]
    _, normal = parse_geometry({"type": "Polygon", "coordinates": [ring]})
    assert normal["coordinates"][0][1] == [1.0, 0.0]


def test_hole_and_multipolygon() -> None:
    donut = {
        "type": "Polygon",
        "coordinates": [square(0, 0, 4)["coordinates"][0], square(1, 1, 2)["coordinates"][0]],
    }
    rings = rings_of(donut)
    assert contains(rings, 0.5, 0.5)
    assert not contains(rings, 2, 2)  # in the hole
    assert contains(rings, 3.5, 3.5)
    two = {
        "type": "MultiPolygon",
        "coordinates": [square(0, 0)["coordinates"], square(5, 5)["coordinates"]],
    }
    rings = rings_of(two)
    assert contains(rings, 0.005, 0.005)
    assert contains(rings, 5.005, 5.005)
    assert not contains(rings, 2, 2)


def test_a_point_on_a_shared_edge_belongs_to_exactly_one_grid() -> None:
    west, east = rings_of(square(0, 0, 1)), rings_of(square(1, 0, 1))
    south, north = rings_of(square(0, 0, 1)), rings_of(square(0, 1, 1))
    assert (contains(west, 1, 0.5), contains(east, 1, 0.5)) == (False, True)  # east wins
    assert (contains(south, 0.5, 1), contains(north, 0.5, 1)) == (False, True)  # north wins
    index = GridIndex([(1, west), (2, east), (3, north)])
    assert index.locate(1, 0.5) == 2
    assert index.locate(0.5, 1) == 3
    assert index.locate(0, 0) == 1  # the south-west corner of the layer is inside
    assert index.locate(2, 0.5) is None  # its east edge is not


def test_index_agrees_with_brute_force_on_odd_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    shapes = []
    for key in range(60):
        cx, cy = rng.uniform(0, 1), rng.uniform(0, 1)
        n = rng.choice((3, 5, 12, 80))  # 80 vertices take the numpy path
        ring = [
            (
                cx + rng.uniform(0.02, 0.08) * math.cos(2 * math.pi * k / n),
                cy + rng.uniform(0.02, 0.08) * math.sin(2 * math.pi * k / n),
            )
            for k in range(n)
        ]
        shapes.append((key, [[*ring, ring[0]]]))
    index = GridIndex(shapes)
    for _ in range(3000):
        lon, lat = rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 1.1)
        brute = next((k for k, rings in shapes if contains(rings, lon, lat)), None)
        assert index.locate(lon, lat) == brute
    # the numpy path and the plain path agree on every polygon
    monkeypatch.setattr(index_module, "NUMPY_EDGES", 10**9)
    plain = GridIndex(shapes)
    for _ in range(1000):
        lon, lat = rng.uniform(0, 1), rng.uniform(0, 1)
        assert plain.locate(lon, lat) == index.locate(lon, lat)


def test_not_a_point_is_nowhere() -> None:
    index = GridIndex([(1, rings_of(square(0, 0, 1)))])
    for lon, lat in ((math.nan, 0.5), (0.5, math.inf), (1e308, 0.5), (-1e308, -1e308)):
        assert index.locate(lon, lat) is None
    assert GridIndex([]).locate(0, 0) is None


def test_distance_and_box() -> None:
    assert haversine_m(36.45, 115.98, 36.45, 115.98) == 0
    assert 110_000 < haversine_m(36, 115, 37, 115) < 112_000
    box = box_around(36.45, 115.98, 250)
    east = haversine_m(36.45, 115.98, 36.45, box.max_lon)
    north = haversine_m(36.45, 115.98, box.max_lat, 115.98)
    assert east >= 249
    assert north >= 249
