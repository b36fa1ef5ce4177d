"""Grid endpoints: the grid layer for the command centre's map."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from smartduty.grids import selectors
from smartduty.grids.schemas import GridCollectionOut, GridFilter
from smartduty.org.auth import principal_of
from smartduty.org.selectors import get_district

router = Router(tags=["grids"])


@router.get("/grids", response=GridCollectionOut)
def list_grids(request: HttpRequest, filters: Query[GridFilter]) -> dict[str, Any]:
    """The grids of my districts (or of `district_id`'s subtree) as a GeoJSON
    FeatureCollection, by code, with the responsible unit per agency kind."""
    principal = principal_of(request)
    district = (
        get_district(principal=principal, public_id=filters.district_id)
        if filters.district_id is not None
        else None
    )
    rows = selectors.list_grids(
        principal=principal, district=district, active_only=filters.active_only
    )
    return {"type": "FeatureCollection", "features": list(rows)}
