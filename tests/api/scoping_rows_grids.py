"""Scoping-matrix rows of the grid layer."""

from __future__ import annotations

UNSCOPED = {
    "grids-list_grids": (
        "a FeatureCollection (no items list); test_grids_api checks it holds only my grids "
        "and that naming another district is a 404"
    ),
}
