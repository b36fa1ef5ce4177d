"""`0006_campaign_tile_order` moves only rows that still have their shipped order."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from smartduty.cases.models import Category

pytestmark = pytest.mark.django_db

migration = importlib.import_module("smartduty.cases.migrations.0006_campaign_tile_order")


def test_shipped_rows_move_and_a_citys_own_order_stays() -> None:
    # an install from before the migration: the shipped orders; the city moved 店外经营
    Category.objects.filter(code="E0401").update(sort_order=111)
    Category.objects.filter(code="E0402").update(sort_order=42)
    migration.forward(apps, None)
    order = dict(Category.objects.values_list("code", "sort_order"))
    assert (order["E0401"], order["E0402"], order["E0404"]) == (2, 42, 1)
    migration.backward(apps, None)
    order = dict(Category.objects.values_list("code", "sort_order"))
    assert (order["E0401"], order["E0402"], order["E0403"]) == (111, 42, 113)
