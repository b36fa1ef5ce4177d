"""The grid layer and routing over HTTP: the map's FeatureCollection (scoped), a report that
lands in a grid and its unit, 已有人上报 before sending, the link when sent anyway, the case
board by grid, and odd numbers that must be a 422, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from smartduty.cases.models import Case
from smartduty.org.models import Officer
from tests.factories.grids import make_grid, square
from tests.factories.org import City

pytestmark = pytest.mark.django_db
POINT = {"lat": "36.4560", "lon": "115.9850"}


@pytest.fixture
def grids(city: City) -> None:
    make_grid(
        city.street_a,
        "990001001001001",
        square(115.98, 36.45),
        name="人民路东段",
        units={"chengguan": city.unit_a},
    )
    make_grid(city.street_b, "990002001001001", square(115.90, 36.45), name="文化路西段")


def _report(client: Client, **form: Any) -> Any:
    return client.post("/api/v1/cases", {"category_code": "E0401", **POINT, **form})


def test_the_layer_is_a_feature_collection_of_my_districts(
    grids: None, city: City, officer_a: Officer, commander: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    body = api_client(officer_a).get("/api/v1/grids").json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["type"] == "Feature"
    assert feature["id"] == "990001001001001"
    assert feature["geometry"]["type"] == "Polygon"
    props = feature["properties"]
    assert (props["name"], props["district"]) == ("人民路东段", "东一街道")
    assert props["units"] == {"chengguan": "东区一中队"}
    command = api_client(commander)
    assert len(command.get("/api/v1/grids").json()["features"]) == 2
    only_b = command.get(f"/api/v1/grids?district_id={city.district_b.public_id}").json()
    assert [f["id"] for f in only_b["features"]] == ["990002001001001"]
    # naming another district is a 404, like every out-of-scope id
    refused = api_client(officer_a).get(f"/api/v1/grids?district_id={city.district_b.public_id}")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")


def test_report_lands_in_its_grid_and_unit(
    grids: None, city: City, officer_a: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    client = api_client(officer_a)
    created = _report(client)
    assert created.status_code == 201, created.content
    case = created.json()
    assert (case["grid_code"], case["grid_name"], case["unit"]) == (
        "990001001001001",
        "人民路东段",
        "东区一中队",
    )
    board = client.get("/api/v1/cases?grid_code=990001001001001").json()
    assert [c["public_id"] for c in board["items"]] == [case["public_id"]]
    assert client.get("/api/v1/cases?grid_code=990002001001001").json()["count"] == 0
    assert client.get("/api/v1/cases?grid_code=12").status_code == 422


def test_already_reported_then_linked(
    grids: None, officer_a: Officer, leader_a: Officer, api_client
) -> None:  # type: ignore[no-untyped-def]
    officer, leader = api_client(officer_a), api_client(leader_a)
    empty = officer.get("/api/v1/cases/nearby", {"category_code": "E0401", **POINT}).json()
    assert (empty["radius_m"], empty["items"]) == (250, [])
    first = _report(officer).json()
    nearby = leader.get(
        "/api/v1/cases/nearby", {"category_code": "E0401", "lat": "36.4569", "lon": "115.9850"}
    ).json()
    [seen] = nearby["items"]
    assert (seen["number"], seen["status"]) == (first["number"], "reported")
    assert 95 <= seen["distance_m"] <= 105
    # sent anyway: linked, not a second open case
    linked = _report(leader, lat="36.4569").json()
    assert (linked["status"], linked["duplicate_of_number"]) == ("duplicate", first["number"])
    assert linked["duplicate_of_id"] == first["public_id"]
    steps = [
        r["action"] for r in officer.get(f"/api/v1/cases/{first['public_id']}/timeline").json()
    ]
    assert steps == ["report", "duplicate_reported"]
    # "another problem": a new open case
    other = _report(leader, lat="36.4569", not_duplicate="true").json()
    assert (other["status"], other["duplicate_of_id"]) == ("reported", None)
    assert Case.objects.filter(status="reported").count() == 2


@pytest.mark.parametrize(
    "query",
    [
        {"category_code": "E0401", "lat": "1e308", "lon": "115.98"},
        {"category_code": "E0401", "lat": "nan", "lon": "115.98"},
        {"category_code": "E0401", "lat": "36.45", "lon": "inf"},
        {"category_code": "E0401", "lat": "36.45", "lon": "-Infinity"},
        {"category_code": "E0401", "lat": "abc", "lon": "115.98"},
        {"category_code": "E0401", "lat": "36.45"},
        {"category_code": "e0401", "lat": "36.45", "lon": "115.98"},
    ],
)
def test_odd_nearby_queries_are_422(officer_a: Officer, api_client, query: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    answer = api_client(officer_a).get("/api/v1/cases/nearby", query)
    assert answer.status_code == 422, answer.content
    assert answer.json()["message"]


def test_unknown_category_is_422(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    answer = api_client(officer_a).get("/api/v1/cases/nearby", {"category_code": "E9999", **POINT})
    assert answer.status_code == 422
    assert "E9999" in answer.json()["message"]


@pytest.mark.parametrize("lat", ["1e308", "nan", "inf", "-1e400"])
def test_odd_report_coordinates_are_422(officer_a: Officer, api_client, lat: str) -> None:  # type: ignore[no-untyped-def]
    answer = _report(api_client(officer_a), lat=lat)
    assert answer.status_code == 422, answer.content
    assert Case.objects.count() == 0


def test_odd_grid_queries(officer_a: Officer, api_client) -> None:  # type: ignore[no-untyped-def]
    client = api_client(officer_a)
    assert client.get("/api/v1/grids?district_id=nope").status_code == 422
    assert client.get("/api/v1/grids?active_only=maybe").status_code == 422
    assert client.get("/api/v1/grids").json() == {"type": "FeatureCollection", "features": []}


def test_anonymous_is_401(client: Client) -> None:
    assert client.get("/api/v1/grids").status_code == 401
    assert (
        client.get("/api/v1/cases/nearby", {"category_code": "E0401", **POINT}).status_code == 401
    )
