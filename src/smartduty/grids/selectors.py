"""Reads of the grid layer: which grid holds a point, who handles it, the map's layer.

`locate` is the routing lookup every report makes. It is not scoped (a point lies in one
grid whoever asks; the caller decides what to do with a grid outside its scope) and uses one
`GridIndex` per process, rebuilt when the layer's stamp changes: the `GridLayer` token that
every write of `grids.services` renews, plus the count and the newest `updated_at` of the
grids (which also catch a write that bypassed the services). The check is two small queries.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Final

from django.db import connection
from django.db.models import Count, Max, QuerySet

from smartduty.grids.geometry import rings_of, valid_point
from smartduty.grids.index import GridIndex
from smartduty.grids.models import Grid, GridLayer, GridUnit
from smartduty.kernel.scoping import Principal
from smartduty.org.models import District, Unit

LAYER_KEY: Final = "grids"
VIEW_GRIDS: Final = "org.view_district"
"""Grids are the geography of districts: whoever may see a district may see its grids."""

_lock = threading.Lock()
_cached: dict[str, tuple[Hashable, GridIndex]] = {}


def layer_stamp() -> Hashable:
    """What changes whenever the active layer may have changed."""
    token = GridLayer.objects.filter(key=LAYER_KEY).values_list("token", flat=True).first()
    figures = Grid.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (token, figures["n"], figures["last"])


def build_index() -> GridIndex:
    """A fresh index of the active grids, in code order (the first of two overlaps wins)."""
    rows = Grid.objects.filter(active=True).order_by("code").values_list("id", "geometry")
    return GridIndex((pk, rings_of(geometry)) for pk, geometry in rows.iterator(chunk_size=2000))


def grid_index() -> GridIndex:
    """This process's index, rebuilt when the layer's stamp has changed."""
    stamp = layer_stamp()
    alias = connection.alias
    with _lock:
        cached = _cached.get(alias)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = build_index()
        _cached[alias] = (stamp, index)
        return index


def locate(lat: float, lon: float) -> Grid | None:
    """The active grid that holds the point, or None (outside every grid, or not a point)."""
    if not valid_point(lat, lon):
        return None
    key = grid_index().locate(lon, lat)
    if key is None:
        return None
    return Grid.objects.select_related("district").filter(pk=key, active=True).first()


def find_responsible_unit(*, grid: Grid, agency_kind: str) -> Unit | None:
    """The unit that handles the grid for this kind of agency, if one is set."""
    row = (
        GridUnit.objects.select_related("unit__agency", "unit__district")
        .filter(grid=grid, agency_kind=agency_kind)
        .first()
    )
    return row.unit if row is not None else None


def list_grids(
    *, principal: Principal, district: District | None = None, active_only: bool = True
) -> QuerySet[Grid]:
    """Grids of my subtree (or of `district`'s subtree), by code, with their units."""
    rows = (
        Grid.objects.visible_to(principal, VIEW_GRIDS)
        .select_related("district")
        .prefetch_related("units__unit")
        .order_by("code")
    )
    if district is not None:
        rows = rows.filter(district__path__startswith=district.path)
    return rows.filter(active=True) if active_only else rows
