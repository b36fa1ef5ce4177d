"""The OwnerLookup port: one contract run over every adapter, and the configured adapter."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings

from smartduty.vehicles.ports import OwnerContact, OwnerLookup
from smartduty.vehicles.providers.memory import InMemoryOwnerLookup
from smartduty.vehicles.providers.registry import RegistryOwnerLookup
from smartduty.vehicles.selectors import get_owner_lookup
from tests.factories.org import City
from tests.factories.vehicles import make_vehicle

pytestmark = pytest.mark.django_db

PLATE = "鲁AD12345"
PHONE = "13812345678"


def _registry(city: City) -> OwnerLookup:
    make_vehicle(city.district_a, plate=PLATE, owner_name="张三", owner_phone=PHONE)
    return RegistryOwnerLookup()


def _memory(city: City) -> OwnerLookup:
    return InMemoryOwnerLookup({PLATE: ("张三", PHONE)})


@pytest.mark.parametrize("build", [_registry, _memory], ids=["registry", "memory"])
def test_owner_lookup_contract(city: City, build: Callable[[City], OwnerLookup]) -> None:
    lookup = build(city)
    assert isinstance(lookup, OwnerLookup)
    contact = lookup.lookup("鲁ａｄ·12345")  # any spelling of the plate
    assert contact == OwnerContact(name="张三", phone=PHONE, masked="138****5678")
    assert PHONE not in repr(contact)
    assert lookup.lookup("鲁A99999") is None
    assert lookup.lookup("not a plate") is None


def test_memory_lookup_records_calls() -> None:
    lookup = InMemoryOwnerLookup()
    lookup.add("京A12345", name="李四", phone="13900000000")
    assert lookup.lookup("京a12345") is not None
    assert lookup.calls == ["京A12345"]


def test_get_owner_lookup_uses_the_setting() -> None:
    assert isinstance(get_owner_lookup(), RegistryOwnerLookup)
    path = "smartduty.vehicles.providers.memory.InMemoryOwnerLookup"
    with override_settings(VEHICLES_OWNER_LOOKUP=path):
        assert isinstance(get_owner_lookup(), InMemoryOwnerLookup)
    with (
        override_settings(VEHICLES_OWNER_LOOKUP="collections.OrderedDict"),
        pytest.raises(TypeError),
    ):
        get_owner_lookup()
