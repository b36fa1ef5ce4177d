"""The grid layer on real rows: saving and the code rule, units per agency kind, the GeoJSON
import (row by row, idempotent), `locate` and its index following every change."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from smartduty.grids import selectors, services
from smartduty.grids.models import Grid, GridUnit
from smartduty.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.models import AuditEntry
from smartduty.kernel.scoping import Principal
from smartduty.org import services as org_services
from smartduty.org.models import Officer, Unit
from smartduty.org.services import principal_for_user
from smartduty.org.states import AgencyKind, Role, UnitLevel
from tests.factories.grids import ROOT, make_grid, square
from tests.factories.org import City, make_officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic_unit(city: City) -> Unit:
    return org_services.create_unit(
        name="交警东区大队", agency=city.traffic, level=UnitLevel.DADUI, district=city.district_a
    )


def _feature(code: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": square(lon, lat),
        "properties": {"code": code, "name": f"网格{code[-3:]}", **props},
    }


def _collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def test_save_checks_code_against_the_district(city: City) -> None:
    grid = make_grid(city.street_a, "990001001001001", square(115.98, 36.45))
    assert (grid.min_lon, grid.max_lat) == (115.98, pytest.approx(36.46))
    with pytest.raises(ValidationFailed, match="990001001"):
        make_grid(city.street_a, "990002001001001", square(115.98, 36.45))
    with pytest.raises(ValidationFailed, match="15 位"):
        make_grid(city.street_a, "99000100100100X", square(115.98, 36.45))
    with pytest.raises(ValidationFailed, match="未闭合"):
        make_grid(
            city.street_a,
            "990001001001002",
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 2]]]},
        )


def test_who_may_save(city: City) -> None:
    officer = make_officer(city.unit_a, role=Role.OFFICER)
    with pytest.raises(PermissionDenied):
        services.save_grid(
            principal=principal_for_user(officer.user),
            code="990001001001001",
            name="x",
            district=city.street_a,
            geometry=square(0, 0),
        )
    # a grid keeper of district B (role groups get `grids.*` once org.roles lists the app)
    keeper_b = Principal(
        user_id=None,
        username="b",
        district_path=city.district_b.path,
        permissions=frozenset({services.MANAGE_GRIDS}),
    )
    with pytest.raises(NotFound):
        services.save_grid(
            principal=keeper_b,
            code="990001001001001",
            name="x",
            district=city.street_a,
            geometry=square(0, 0),
        )


def test_units_must_be_of_the_kind_and_cover_the_grid(city: City, traffic_unit: Unit) -> None:
    grid = make_grid(
        city.street_a,
        "990001001001001",
        square(115.98, 36.45),
        units={AgencyKind.CHENGGUAN: city.unit_a, AgencyKind.JIAOJING: traffic_unit},
    )
    assert dict(GridUnit.objects.filter(grid=grid).values_list("agency_kind", "unit")) == {
        "chengguan": city.unit_a.pk,
        "jiaojing": traffic_unit.pk,
    }
    with pytest.raises(ValidationFailed, match="不是交警的单位"):
        make_grid(city.street_a, "990001001001001", square(0, 0), units={"jiaojing": city.unit_a})
    with pytest.raises(ValidationFailed, match="不含网格"):
        make_grid(city.street_a, "990001001001001", square(0, 0), units={"chengguan": city.unit_b})
    # None removes a kind's unit
    make_grid(city.street_a, "990001001001001", square(0, 0), units={"jiaojing": None})
    assert list(GridUnit.objects.values_list("agency_kind", flat=True)) == ["chengguan"]


def test_import_reports_each_bad_feature_and_saves_the_rest(city: City, traffic_unit: Unit) -> None:
    data = _collection(
        _feature(
            "990001001001001", 115.98, 36.45, units={"城管": "东区一中队", "交警": "交警东区大队"}
        ),
        _feature("990001001001002", 115.99, 36.45, units={"jiaojing": str(traffic_unit.public_id)}),
        _feature("990002001001001", 115.98, 36.46),  # another district's code
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [1, 1]},
            "properties": {"code": "990001001001003", "name": "点"},
        },
        _feature("990001001001004", 115.98, 36.47, units={"城管": "西区一中队"}),
        _feature("990001001001005", 115.98, 36.48, units={"消防": "x"}),
        _feature("990001001001001", 115.98, 36.49),  # twice in the file
        {"type": "Feature", "geometry": square(1, 1), "properties": {"name": "无编码"}},
        "junk",
    )
    result = services.import_geojson(
        principal=ROOT, actor=None, district=city.district_a, data=data
    )
    outcomes = [(r.number, r.outcome) for r in result.rows]
    assert outcomes == [
        (1, "created"),
        (2, "created"),
        (3, "failed"),
        (4, "failed"),
        (5, "failed"),
        (6, "failed"),
        (7, "failed"),
        (8, "failed"),
        (9, "failed"),
    ]
    messages = {r.number: r.message for r in result.failed}
    assert "990001 开头" in messages[3]
    assert "Polygon" in messages[4]
    assert "不含网格" in messages[5]
    assert "未知的单位类别" in messages[6]
    assert "重复" in messages[7]
    assert "缺少网格编码" in messages[8]
    assert "Feature" in messages[9]
    first = Grid.objects.get(code="990001001001001")
    assert first.district == city.street_a  # the 街道 named by the code's first 9 digits
    assert first.units.get(agency_kind="jiaojing").unit == traffic_unit
    assert AuditEntry.objects.filter(action="grids.import_geojson").count() == 1


def test_import_again_updates_by_code(city: City) -> None:
    data = _collection(_feature("990001001001001", 115.98, 36.45))
    services.import_geojson(principal=ROOT, actor=None, district=city.district_a, data=data)
    data["features"][0]["properties"]["name"] = "新名字"
    data["features"][0]["geometry"] = square(115.0, 36.0)
    again = services.import_geojson(
        principal=ROOT, actor=None, district=city.district_a, data=json.dumps(data)
    )
    assert [r.outcome for r in again.rows] == ["updated"]
    grid = Grid.objects.get()
    assert (grid.name, grid.min_lon) == ("新名字", 115.0)


def test_whole_file_errors(city: City) -> None:
    for data, message in (
        (b"{not json", "JSON"),
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection"}, "features"),
    ):
        with pytest.raises(ValidationFailed, match=message):
            services.import_geojson(principal=ROOT, actor=None, district=city.district_a, data=data)


def test_command(city: City, tmp_path: Path) -> None:
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(_collection(_feature("990001001001001", 115.98, 36.45))))
    out = StringIO()
    call_command("import_grids", str(path), "--district", "990001", stdout=out)
    assert "新增 1 个" in out.getvalue()
    path.write_text(
        json.dumps(
            _collection(_feature("990001001001001", 115.98, 36.45), _feature("123", 115.98, 36.45))
        )
    )
    err = StringIO()
    with pytest.raises(CommandError, match="失败 1 个"):
        call_command("import_grids", str(path), "--district", "990001", stdout=out, stderr=err)
    assert "第 2 个要素 123：" in err.getvalue()
    with pytest.raises(CommandError, match="找不到辖区"):
        call_command("import_grids", str(path), "--district", "000000")


def test_locate_follows_every_change(city: City) -> None:
    assert selectors.locate(36.455, 115.985) is None
    grid = make_grid(city.street_a, "990001001001001", square(115.98, 36.45))
    assert selectors.locate(36.455, 115.985) == grid
    assert selectors.locate(36.455, 116.5) is None
    # moved: the index is rebuilt
    make_grid(city.street_a, "990001001001001", square(116.0, 36.45))
    assert selectors.locate(36.455, 115.985) is None
    assert selectors.locate(36.455, 116.005) == grid
    # deactivated
    make_grid(city.street_a, "990001001001001", square(116.0, 36.45), active=False)
    assert selectors.locate(36.455, 116.005) is None
    # a write that bypasses the services (a shell, a bulk update) is seen too
    Grid.objects.filter(pk=grid.pk).update(active=True)
    assert selectors.locate(36.455, 116.005) is None  # same stamp: not yet…
    Grid.objects.filter(pk=grid.pk).update(
        active=True, updated_at=grid.updated_at.replace(year=2030)
    )
    assert selectors.locate(36.455, 116.005) == grid
    Grid.objects.filter(pk=grid.pk).delete()
    assert selectors.locate(36.455, 116.005) is None


def test_locate_rejects_odd_points(city: City) -> None:
    make_grid(city.street_a, "990001001001001", square(115.98, 36.45))
    for lat, lon in ((float("nan"), 115.985), (1e308, 115.985), (36.455, float("inf")), (91, 0)):
        assert selectors.locate(lat, lon) is None


def test_list_grids_is_scoped(city: City, officer_a: Officer, officer_b: Officer) -> None:
    mine = make_grid(city.street_a, "990001001001001", square(115.98, 36.45))
    theirs = make_grid(city.street_b, "990002001001001", square(115.90, 36.45))
    assert list(selectors.list_grids(principal=principal_for_user(officer_a.user))) == [mine]
    assert list(selectors.list_grids(principal=principal_for_user(officer_b.user))) == [theirs]
