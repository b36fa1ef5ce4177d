"""An in-memory point-in-polygon index over the grid layer (pure Python + numpy, no Django).

A uniform bucket grid covers the extent of all grids; a cell is half the size of a typical
grid's bounding box (the median), so a point meets about three candidates. Each candidate is
checked by its bounding box, then by the even-odd rule of `geometry.contains`: in plain
Python for small polygons, and vectorised over numpy arrays of edges for polygons with more
than `NUMPY_EDGES` edges, where the per-call cost of numpy pays off. Both paths do the same
arithmetic in the same order, so they agree to the bit.

Where grids overlap (a drawing error), the first grid in build order wins.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from smartduty.grids.geometry import Ring, bbox_of, contains

NUMPY_EDGES: Final = 48
CELL_SHARE: Final = 0.5
"""A bucket cell is this share of the median grid box (smaller: fewer candidates, more cells)."""
MAX_CELLS_PER_ITEM: Final = 8
"""The bucket grid has at most this many cells per grid (bounds memory on a sparse layer)."""

_Edges = tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]


@dataclass(frozen=True)
class _Item:
    key: int
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    rings: Sequence[Ring]
    edges: _Edges | None


def _edges(rings: Sequence[Ring]) -> _Edges:
    starts = [p for ring in rings for p in ring[:-1]]
    ends = [p for ring in rings for p in ring[1:]]
    a = np.asarray(starts, dtype=np.float64)
    b = np.asarray(ends, dtype=np.float64)
    return a[:, 0].copy(), a[:, 1].copy(), b[:, 0].copy(), b[:, 1].copy()


def _contains_np(edges: _Edges, lon: float, lat: float) -> bool:
    x1, y1, x2, y2 = edges
    crossing = (y1 > lat) != (y2 > lat)
    if not crossing.any():
        return False
    cx1, cy1, cx2, cy2 = x1[crossing], y1[crossing], x2[crossing], y2[crossing]
    xs = cx1 + (lat - cy1) * (cx2 - cx1) / (cy2 - cy1)
    return int(np.count_nonzero(lon < xs)) % 2 == 1


class GridIndex:
    """Build once from `(key, rings)` pairs; `locate(lon, lat)` answers the key or None."""

    def __init__(self, entries: Iterable[tuple[int, Sequence[Ring]]]) -> None:
        items: list[_Item] = []
        for key, rings in entries:
            if not rings:
                continue
            box = bbox_of(rings)
            edge_count = sum(len(ring) - 1 for ring in rings)
            items.append(
                _Item(
                    key,
                    box.min_lon,
                    box.min_lat,
                    box.max_lon,
                    box.max_lat,
                    rings,
                    _edges(rings) if edge_count > NUMPY_EDGES else None,
                )
            )
        self._items = items
        self._buckets: dict[int, list[int]] = {}
        if not items:
            self._origin = (0.0, 0.0)
            self._cell = (1.0, 1.0)
            self._shape = (1, 1)
            self._extent = (1.0, 1.0, 0.0, 0.0)  # empty: nothing is inside
            return
        min_lon = min(i.min_lon for i in items)
        min_lat = min(i.min_lat for i in items)
        max_lon = max(i.max_lon for i in items)
        max_lat = max(i.max_lat for i in items)
        width, height = max(max_lon - min_lon, 1e-9), max(max_lat - min_lat, 1e-9)
        cell_w = max(statistics.median(i.max_lon - i.min_lon for i in items) * CELL_SHARE, 1e-9)
        cell_h = max(statistics.median(i.max_lat - i.min_lat for i in items) * CELL_SHARE, 1e-9)
        nx, ny = math.ceil(width / cell_w), math.ceil(height / cell_h)
        budget = MAX_CELLS_PER_ITEM * len(items) + 16
        if nx * ny > budget:  # a sparse layer: coarser cells, same shape
            scale = math.sqrt(nx * ny / budget)
            nx, ny = max(1, int(nx / scale)), max(1, int(ny / scale))
        self._origin = (min_lon, min_lat)
        self._cell = (width / nx, height / ny)
        self._shape = (nx, ny)
        self._extent = (min_lon, min_lat, max_lon, max_lat)
        for position, item in enumerate(items):
            x0, y0 = self._cell_of(item.min_lon, item.min_lat)
            x1, y1 = self._cell_of(item.max_lon, item.max_lat)
            for iy in range(y0, y1 + 1):
                for ix in range(x0, x1 + 1):
                    self._buckets.setdefault(iy * nx + ix, []).append(position)

    def __len__(self) -> int:
        return len(self._items)

    def _cell_of(self, lon: float, lat: float) -> tuple[int, int]:
        nx, ny = self._shape
        ix = int((lon - self._origin[0]) / self._cell[0])
        iy = int((lat - self._origin[1]) / self._cell[1])
        return min(max(ix, 0), nx - 1), min(max(iy, 0), ny - 1)

    def locate(self, lon: float, lat: float) -> int | None:
        """The key of the grid that holds the point, or None (NaN and ∞ are outside)."""
        min_lon, min_lat, max_lon, max_lat = self._extent
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return None
        ix, iy = self._cell_of(lon, lat)
        for position in self._buckets.get(iy * self._shape[0] + ix, ()):
            item = self._items[position]
            if not (item.min_lon <= lon <= item.max_lon and item.min_lat <= lat <= item.max_lat):
                continue
            inside = (
                _contains_np(item.edges, lon, lat)
                if item.edges is not None
                else contains(item.rings, lon, lat)
            )
            if inside:
                return item.key
        return None

    def stats(self) -> dict[str, float]:
        """Size figures for the benchmark: grids, cells, mean candidates per non-empty cell."""
        filled = [len(v) for v in self._buckets.values()]
        return {
            "grids": len(self._items),
            "cells": self._shape[0] * self._shape[1],
            "mean_per_cell": (sum(filled) / len(filled)) if filled else 0.0,
        }
