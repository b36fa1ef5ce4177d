"""Vehicle services: registration, encryption at rest, updates and audited phone reveals."""

from __future__ import annotations

import pytest
from django.db import connection

from smartduty.kernel.crypto import decrypt_text
from smartduty.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from smartduty.kernel.models import AuditEntry
from smartduty.org.models import Officer
from smartduty.org.services import principal_for_user
from smartduty.org.states import Role
from smartduty.vehicles import services
from smartduty.vehicles.phones import InvalidPhone, normalize_mobile
from smartduty.vehicles.plates import InvalidPlate, PlateColor, PlateKind
from tests.factories.org import City, make_officer
from tests.factories.vehicles import make_vehicle

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def test_register_normalises_plate_and_encrypts_phone(city: City) -> None:
    vehicle = services.register_vehicle(
        district=city.district_a,
        plate="鲁ａ·ｄ１２３４５",
        owner_name=" 李  四 ",
        owner_phone="+86 138-1234-5678",
    )
    vehicle.refresh_from_db()
    assert vehicle.plate == "鲁AD12345"
    assert vehicle.plate_kind == PlateKind.NEV_SMALL
    assert vehicle.plate_color == PlateColor.GREEN_SMALL
    assert vehicle.owner_name == "李 四"
    assert vehicle.owner_phone_masked == "138****5678"
    assert decrypt_text(vehicle.owner_phone_encrypted) == PHONE


def test_phone_is_not_stored_in_plain(city: City) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM vehicles_vehicle WHERE id = %s", [vehicle.pk])
        raw_row = cursor.fetchone()
    assert raw_row is not None
    assert PHONE not in repr(raw_row)
    assert "5678" in repr(raw_row)  # only the masked copy keeps the last four digits


def test_register_rejects_bad_input(city: City) -> None:
    with pytest.raises(InvalidPlate, match="省份简称无效"):
        services.register_vehicle(
            district=city.district_a, plate="X A12345", owner_name="张三", owner_phone=PHONE
        )
    with pytest.raises(InvalidPhone) as caught:
        services.register_vehicle(
            district=city.district_a, plate="鲁A12345", owner_name="张三", owner_phone="12345"
        )
    assert caught.value.status == 422
    assert "手机号码" in caught.value.message
    with pytest.raises(ValidationFailed, match="请填写车主姓名"):
        services.register_vehicle(
            district=city.district_a, plate="鲁A12345", owner_name="  ", owner_phone=PHONE
        )
    with pytest.raises(InvalidPlate, match="号牌颜色与号牌种类不符"):
        services.register_vehicle(
            district=city.district_a,
            plate="鲁A12345",
            owner_name="张三",
            owner_phone=PHONE,
            plate_color="green_small",
        )


def test_register_twice_is_a_conflict(city: City) -> None:
    make_vehicle(city.district_a, plate="鲁A12345")
    with pytest.raises(Conflict, match="已登记"):
        make_vehicle(city.district_b, plate="鲁a 12345")


def test_update_vehicle(city: City) -> None:
    vehicle = make_vehicle(city.district_a, plate="鲁A12345")
    before = vehicle.updated_at
    services.update_vehicle(
        vehicle=vehicle, owner_name="王五", owner_phone="13900001111", plate_color="黄"
    )
    vehicle.refresh_from_db()
    assert vehicle.owner_name == "王五"
    assert vehicle.owner_phone_masked == "139****1111"
    assert decrypt_text(vehicle.owner_phone_encrypted) == "13900001111"
    assert vehicle.plate_color == PlateColor.YELLOW
    assert vehicle.updated_at >= before
    services.update_vehicle(vehicle=vehicle, plate_color="")
    assert vehicle.plate_color == PlateColor.BLUE  # empty = the kind's default


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_normalize_mobile(raw: str, expected: str) -> None:
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["", "12812345678", "1381234567", "138123456789", "010-12345678"])
def test_normalize_mobile_rejects(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_mobile(raw)


def test_reveal_needs_permission(city: City, officer_a: Officer) -> None:
    vehicle = make_vehicle(city.district_a)
    principal = principal_for_user(officer_a.user)
    with pytest.raises(PermissionDenied) as caught:
        services.reveal_owner_phone(
            principal=principal, actor=officer_a.user, vehicle=vehicle, reason="联系车主挪车"
        )
    assert caught.value.status == 403
    assert not AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").exists()


def test_reveal_out_of_scope_is_not_found(city: City) -> None:
    vehicle = make_vehicle(city.district_a)
    leader_b = make_officer(city.unit_b, role=Role.SQUAD_LEADER)
    with pytest.raises(NotFound):
        services.reveal_owner_phone(
            principal=principal_for_user(leader_b.user),
            actor=leader_b.user,
            vehicle=vehicle,
            reason="联系车主挪车",
        )


@pytest.mark.parametrize("reason", ["", "   ", "挪车", "a b c", "x" * 201])
def test_reveal_needs_a_reason(city: City, leader_a: Officer, reason: str) -> None:
    vehicle = make_vehicle(city.district_a)
    with pytest.raises(ValidationFailed) as caught:
        services.reveal_owner_phone(
            principal=principal_for_user(leader_a.user),
            actor=leader_a.user,
            vehicle=vehicle,
            reason=reason,
        )
    assert caught.value.status == 422
    assert "原因" in caught.value.message
    assert not AuditEntry.objects.filter(action="vehicles.reveal_owner_phone").exists()


def test_reveal_returns_phone_and_audits_without_it(city: City, leader_a: Officer) -> None:
    vehicle = make_vehicle(city.district_a, owner_phone=PHONE)
    phone = services.reveal_owner_phone(
        principal=principal_for_user(leader_a.user),
        actor=leader_a.user,
        vehicle=vehicle,
        reason="  占用消防通道，联系挪车 ",
        ip_address="10.0.0.8",
    )
    assert phone == PHONE
    entry = AuditEntry.objects.get(action="vehicles.reveal_owner_phone")
    assert entry.actor == leader_a.user
    assert entry.reason == "占用消防通道，联系挪车"
    assert entry.object_id == str(vehicle.public_id)
    assert entry.object_repr == vehicle.plate
    assert entry.district_path == city.district_a.path
    assert entry.ip_address == "10.0.0.8"
    stored = repr(AuditEntry.objects.filter(pk=entry.pk).values().get())
    assert PHONE not in stored
