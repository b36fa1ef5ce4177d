"""Shared fixtures: a test city, officers in each district, and authenticated API clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from smartduty.org import services as org_services
from smartduty.org.models import Officer
from smartduty.org.states import Role
from tests.factories.org import City, make_city, make_officer
from tests.fuzz.summary import (  # noqa: F401 - hooks: the fuzz summary, also under xdist
    pytest_runtest_logreport,
    pytest_terminal_summary,
)


@pytest.fixture
def city(db: Any) -> City:
    """示范市 with districts A (东区) and B (西区)."""
    return make_city()


@pytest.fixture
def officer_a(city: City) -> Officer:
    """A 队员 of district A."""
    return make_officer(city.unit_a, role=Role.OFFICER, username="officer_a")


@pytest.fixture
def officer_b(city: City) -> Officer:
    """A 队员 of district B."""
    return make_officer(city.unit_b, role=Role.OFFICER, username="officer_b")


@pytest.fixture
def leader_a(city: City) -> Officer:
    """A 中队长 of district A."""
    return make_officer(city.unit_a, role=Role.SQUAD_LEADER, username="leader_a")


@pytest.fixture
def commander(city: City) -> Officer:
    """A 指挥中心 officer at city level (sees both districts)."""
    return make_officer(city.city_unit, role=Role.COMMAND, username="commander")


@pytest.fixture
def api_client() -> Callable[[Officer], Client]:
    """A test client that sends a bearer token of the given officer."""

    def build(officer: Officer) -> Client:
        _, raw = org_services.issue_token(user=officer.user)
        return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {raw}")

    return build
