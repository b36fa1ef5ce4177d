"""Fixtures of the API tests that several modules share: an Open311 partner key and a
client that posts GeoReport v2 service requests with it (`test_open311_*.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from smartduty.open311 import services
from tests.api.open311_helpers import BASE
from tests.factories.org import City


@pytest.fixture
def open311_key(city: City) -> str:
    """A raw Open311 partner key of 东区 (`12345热线`)."""
    _, raw = services.issue_api_key(name="12345热线", district=city.district_a)
    return raw


@pytest.fixture
def open311_post(open311_key: str) -> Callable[..., Any]:
    """POST a 占道经营 service request with that key (`fmt`, then fields: a keyword replaces
    a field, None drops it)."""

    def send(fmt: str = "json", client: Client | None = None, **fields: Any) -> Any:
        data = {
            "api_key": open311_key,
            "service_code": "E0401",
            "lat": "36.456",
            "long": "115.985",
            "address_string": "人民路88号",
            "description": "人行道上有流动摊点",
            **fields,
        }
        data = {k: v for k, v in data.items() if v is not None}
        return (client or Client()).post(f"{BASE}/requests.{fmt}", data)

    return send
