"""Providers (adapters of a port) are held to "only their port, the kernel and third parties" by
the import-linter contract in pyproject.toml; these checks keep that contract seeing them."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "smartduty"
CONTRACT = "Providers import only their port, the kernel and third parties"


def _contract() -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT)


def _providers() -> list[Path]:
    return sorted(init.parent for init in SRC.rglob("providers/__init__.py"))


def test_every_providers_package_sits_where_the_contract_looks() -> None:
    """`smartduty.*.providers` matches `smartduty/<app>/providers`, not a deeper package."""
    assert len(_providers()) >= 3
    for package in _providers():
        assert len(package.relative_to(SRC).parts) == 2, package
        assert (package.parent / "ports.py").exists(), f"{package} has no port beside it"
    assert _contract()["source_modules"] == ["smartduty.*.providers"]


def test_a_provider_may_reach_its_own_port_only() -> None:
    """The contract's allowed port imports are each app's own port
    (`<app>.providers… -> <app>.ports`)."""
    allowed_ports = [rule for rule in _contract()["ignore_imports"] if rule.endswith(".ports")]
    assert allowed_ports
    for rule in allowed_ports:
        importer, imported = (side.strip() for side in rule.split("->"))
        assert importer.split(".")[1] == imported.split(".")[1], rule
