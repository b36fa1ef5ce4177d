"""Vehicles API: masked listing, scoping, audited phone reveals and plate validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from tests.factories.org import City
from tests.factories.vehicles import make_vehicle

pytestmark = pytest.mark.django_db

ApiClient = Callable[[Officer], Client]
PHONE = "13812345678"


def _reveal(client: Client, public_id: object, reason: str = "占用消防通道，联系挪车") -> Any:
    return client.post(
        f"/api/v1/vehicles/{public_id}/phone-reveals",
        {"reason": reason},
        content_type="application/json",
    )


def test_list_is_scoped_masked_and_filterable(
    city: City, officer_a: Officer, commander: Officer, api_client: ApiClient
) -> None:
    make_vehicle(city.district_a, plate="鲁A12345", owner_phone=PHONE)
    make_vehicle(city.street_a, plate="鲁AD12345")
    make_vehicle(city.district_b, plate="鲁B12345")

    resp = api_client(officer_a).get("/api/v1/vehicles")
    assert resp.status_code == 200
    body = resp.json()
    assert body["count"] == 2
    assert [v["plate"] for v in body["items"]] == ["鲁A12345", "鲁AD12345"]
    first = body["items"][0]
    assert first["owner_phone_masked"] == "138****5678"
    assert first["plate_kind"] == "ordinary"
    assert first["plate_kind_label"] == "普通号牌"
    assert first["plate_color_label"] == "蓝牌"
    assert first["district_name"] == "东区"
    assert PHONE not in resp.content.decode()
    assert "owner_phone_encrypted" not in first

    all_plates = api_client(commander).get("/api/v1/vehicles").json()
    assert all_plates["count"] == 3
    filtered = api_client(commander).get("/api/v1/vehicles", {"plate": "鲁ａ"}).json()
    assert [v["plate"] for v in filtered["items"]] == ["鲁A12345", "鲁AD12345"]
    exact = api_client(commander).get("/api/v1/vehicles", {"plate": "鲁B 12345"}).json()
    assert [v["plate"] for v in exact["items"]] == ["鲁B12345"]
    page = api_client(commander).get("/api/v1/vehicles", {"limit": 1, "offset": 1}).json()
    assert (page["count"], [v["plate"] for v in page["items"]]) == (3, ["鲁AD12345"])


def test_list_query_count_does_not_grow(
    city: City, officer_a: Officer, api_client: ApiClient, django_assert_max_num_queries: Any
) -> None:
    for _ in range(20):
        make_vehicle(city.district_a)
    client = api_client(officer_a)
    with django_assert_max_num_queries(8):
        resp = client.get("/api/v1/vehicles")
    assert resp.json()["count"] == 20


def test_get_vehicle_is_masked_and_scoped(
    city: City, officer_a: Officer, officer_b: Officer, api_client: ApiClient
) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    resp = api_client(officer_a).get(f"/api/v1/vehicles/{vehicle.public_id}")
    assert resp.status_code == 200
    assert resp.json()["owner_phone_masked"] == "138****5678"
    assert PHONE not in resp.content.decode()

    other = api_client(officer_b).get(f"/api/v1/vehicles/{vehicle.public_id}")
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    assert api_client(officer_b).get("/api/v1/vehicles").json()["count"] == 0


def test_reveal_returns_phone_once_and_audits(
    city: City, leader_a: Officer, api_client: ApiClient
) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    resp = _reveal(api_client(leader_a), vehicle.public_id)
    assert resp.status_code == 201
    assert resp.json()["phone"] == PHONE
    assert resp.json()["revealed_at"]
    assert resp["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="vehicles.reveal_owner_phone")
    assert entry.actor == leader_a.user
    assert entry.reason == "占用消防通道，联系挪车"
    assert entry.object_id == str(vehicle.public_id)


def test_reveal_errors(
    city: City,
    officer_a: Officer,
    officer_b: Officer,
    leader_a: Officer,
    api_client: ApiClient,
) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)

    unauthenticated = _reveal(Client(), vehicle.public_id)
    assert unauthenticated.status_code == 401

    no_permission = _reveal(api_client(officer_a), vehicle.public_id)
    assert no_permission.status_code == 403
    assert no_permission.json()["code"] == "permission_denied"
    assert "查看车主完整电话" in no_permission.json()["message"]

    out_of_scope = _reveal(api_client(officer_b), vehicle.public_id)
    assert out_of_scope.status_code == 404

    no_reason = _reveal(api_client(leader_a), vehicle.public_id, reason=" 挪车 ")
    assert no_reason.status_code == 422
    assert no_reason.json()["code"] == "validation_failed"
    assert "至少 4 个字" in no_reason.json()["message"]

    missing = _reveal(api_client(leader_a), "00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404

    for resp in (no_permission, out_of_scope, no_reason):
        assert PHONE not in resp.content.decode()
    assert not AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").exists()


@pytest.mark.parametrize(
    ("plate", "expected"),
    [
        (
            "鲁Ｐ１２３４５",
            {"valid": True, "normalized": "鲁P12345", "kind": "ordinary", "color": "blue"},
        ),
        (
            "京AD12345",
            {"valid": True, "normalized": "京AD12345", "kind": "nev_small", "color": "green_small"},
        ),
        (
            "粤Z1234港",
            {"valid": True, "normalized": "粤Z1234港", "kind": "hk_macau", "color": "black"},
        ),
        (
            "鲁PI2345",
            {"valid": False, "normalized": "鲁PI2345", "kind": None, "color": None},
        ),
    ],
)
def test_validate_plate(
    officer_a: Officer, api_client: ApiClient, plate: str, expected: dict[str, Any]
) -> None:
    resp = api_client(officer_a).post(
        "/api/v1/plates/validate", {"plate": plate}, content_type="application/json"
    )
    assert resp.status_code == 200
    body = resp.json()
    assert {key: body[key] for key in expected} == expected
    if body["valid"]:
        assert (body["message"], body["suggestions"]) == ("", [])
        assert body["kind_label"]
    else:
        assert body["message"] == "车牌号序号中不能包含字母 I 或 O"
        assert body["suggestions"] == ["鲁P12345"]


def test_validate_plate_needs_login(db: None) -> None:
    resp = Client().post(
        "/api/v1/plates/validate", {"plate": "鲁P12345"}, content_type="application/json"
    )
    assert resp.status_code == 401


def test_operation_ids_are_stable(officer_a: Officer, api_client: ApiClient) -> None:
    schema = api_client(officer_a).get("/api/v1/openapi.json").json()
    ids = {
        op["operationId"]
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and op.get("tags") == ["vehicles"]
    }
    assert ids == {
        "vehicles-list_vehicles",
        "vehicles-get_vehicle",
        "vehicles-reveal_phone",
        "vehicles-validate_plate",
    }


def test_owner_name_is_masked_except_through_the_audited_reveal(
    city: City, officer_a: Officer, leader_a: Officer, api_client: ApiClient
) -> None:
    vehicle = make_vehicle(city.district_a, owner_name="欧阳娜娜", owner_phone=PHONE)
    make_vehicle(city.district_a, owner_name="李")
    client = api_client(officer_a)
    listed = client.get("/api/v1/vehicles").json()["items"]
    assert sorted(v["owner_name_masked"] for v in listed) == ["*", "欧**"]
    one = client.get(f"/api/v1/vehicles/{vehicle.public_id}")
    assert one.json()["owner_name_masked"] == "欧**"
    assert "欧阳娜娜" not in one.content.decode()
    assert "owner_name" not in one.json()
    assert all("owner_name" not in v for v in listed)
    assert all("欧阳娜娜" not in str(v) for v in listed)
    revealed = _reveal(api_client(leader_a), vehicle.public_id)
    assert revealed.status_code == 201
    assert revealed.json()["owner_name"] == "欧阳娜娜"
    assert AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").count() == 1
