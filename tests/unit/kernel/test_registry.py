"""kernel.registry: named registries and pump registration."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from smartduty.kernel.registry import PUMPS, PumpSpec, Registry, register_pump, registered_pumps


def noop() -> bool:
    return False


def test_register_get_find_names_values() -> None:
    reg: Registry[int] = Registry("number")
    reg.register("b", 2)
    reg.register("a", 1)
    assert reg.get("a") == 1
    assert reg.find("b") == 2
    assert reg.find("c") is None
    assert reg.names() == ["a", "b"]
    assert reg.values() == [1, 2]
    assert "a" in reg
    assert "c" not in reg


def test_registering_the_same_value_again_is_harmless() -> None:
    reg: Registry[str] = Registry("thing")
    reg.register("x", "one")
    reg.register("x", "one")
    assert reg.values() == ["one"]


def test_a_different_value_under_a_taken_name_is_refused() -> None:
    reg: Registry[str] = Registry("thing")
    reg.register("x", "one")
    with pytest.raises(ImproperlyConfigured, match="thing 'x' is already registered"):
        reg.register("x", "two")


def test_a_name_is_required() -> None:
    with pytest.raises(ImproperlyConfigured, match="needs a name"):
        Registry[str]("thing").register("", "one")


def test_get_of_a_missing_name_says_what_is_missing() -> None:
    with pytest.raises(LookupError, match="no thing registered as 'x'"):
        Registry[str]("thing").get("x")


def test_override_replaces_then_restores() -> None:
    reg: Registry[str] = Registry("thing")
    reg.register("x", "one")
    with reg.override("x", "two"):
        assert reg.get("x") == "two"
    assert reg.get("x") == "one"


def test_override_adds_then_removes() -> None:
    reg: Registry[str] = Registry("thing")
    with reg.override("y", "temp"):
        assert reg.get("y") == "temp"
    assert "y" not in reg


def test_register_pump() -> None:
    with PUMPS.override("tests.placeholder", PumpSpec("tests.placeholder", noop)):
        del PUMPS._entries["tests.placeholder"]
        register_pump("tests.placeholder", noop, interval_s=0.5)
        spec = PUMPS.get("tests.placeholder")
        assert spec == PumpSpec(name="tests.placeholder", tick=noop, interval_s=0.5)
        assert spec in registered_pumps()
    assert "tests.placeholder" not in PUMPS


def test_register_pump_refuses_a_non_positive_interval() -> None:
    with pytest.raises(ImproperlyConfigured, match="interval_s must be positive"):
        register_pump("tests.bad", noop, interval_s=0)


def test_apps_registered_their_pumps() -> None:
    assert "notifications.outbox" in PUMPS
