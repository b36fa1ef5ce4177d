"""Grid lookup benchmark: the point-in-polygon index of `smartduty.grids.index` on 10,000 grids.

    .venv/bin/python -m bench.grids [--side 100] [--points 10000] [--seed 12]

Builds a `--side` × `--side` tiling of quadrilaterals around 示范市 (lat 36.45, lon 115.98;
cells of about 100 m, the 万米单元网格; interior vertices jittered so that no two grids are
alike, shared edges stay shared), then looks up `--points` random points (5 % of them outside
the layer) one by one, as `grids.selectors.locate` does per report. It does this twice: with
4 edges per grid (the plain-Python path) and with each edge cut into 16 (64 edges per grid,
the numpy path). Printed: build time, per-lookup mean / p50 / p99, the total, and the number
of answers that differ from brute force (a numpy box test over every grid, then the exact
test). Pure code: no database, nothing written anywhere.

`locate` also pays two small queries per call for the layer's stamp (not measured here).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from bench._stack import percentile, table
from smartduty.grids.geometry import Ring, contains
from smartduty.grids.index import GridIndex

LAT0, LON0 = 36.40, 115.93
STEP_LAT, STEP_LON = 0.0009, 0.00112  # about 100 m × 100 m at this latitude


def tiling(side: int, cuts: int, rng: random.Random) -> list[tuple[int, list[Ring]]]:
    """`side`² quadrilaterals sharing jittered vertices; each edge cut into `cuts` pieces."""
    vertex: dict[tuple[int, int], tuple[float, float]] = {}
    for i in range(side + 1):
        for j in range(side + 1):
            inner = 0 < i < side and 0 < j < side
            jx = rng.uniform(-0.3, 0.3) * STEP_LON if inner else 0.0
            jy = rng.uniform(-0.3, 0.3) * STEP_LAT if inner else 0.0
            vertex[i, j] = (LON0 + i * STEP_LON + jx, LAT0 + j * STEP_LAT + jy)

    def edge(a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        return [
            (a[0] + (b[0] - a[0]) * k / cuts, a[1] + (b[1] - a[1]) * k / cuts) for k in range(cuts)
        ]

    grids = []
    for i in range(side):
        for j in range(side):
            corners = [vertex[i, j], vertex[i + 1, j], vertex[i + 1, j + 1], vertex[i, j + 1]]
            ring = [p for k in range(4) for p in edge(corners[k], corners[(k + 1) % 4])]
            grids.append((i * side + j, [[*ring, ring[0]]]))
    return grids


def brute_force(
    grids: list[tuple[int, list[Ring]]], points: list[tuple[float, float]]
) -> list[int | None]:
    boxes = np.array(
        [
            (
                min(p[0] for p in r[0]),
                min(p[1] for p in r[0]),
                max(p[0] for p in r[0]),
                max(p[1] for p in r[0]),
            )
            for _, r in grids
        ]
    )
    answers: list[int | None] = []
    for lon, lat in points:
        hit = np.nonzero(
            (boxes[:, 0] <= lon)
            & (lon <= boxes[:, 2])
            & (boxes[:, 1] <= lat)
            & (lat <= boxes[:, 3])
        )[0]
        answers.append(next((grids[k][0] for k in hit if contains(grids[k][1], lon, lat)), None))
    return answers


def run(side: int, cuts: int, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    grids = tiling(side, cuts, rng)
    began = time.perf_counter()
    index = GridIndex(grids)
    build_ms = (time.perf_counter() - began) * 1000
    span_lon, span_lat = side * STEP_LON, side * STEP_LAT
    points = [
        (
            LON0 + rng.uniform(-0.025, 1.025) * span_lon,
            LAT0 + rng.uniform(-0.025, 1.025) * span_lat,
        )
        for _ in range(count)
    ]
    found: list[int | None] = []
    times: list[float] = []
    began = time.perf_counter()
    for lon, lat in points:
        t0 = time.perf_counter()
        found.append(index.locate(lon, lat))
        times.append((time.perf_counter() - t0) * 1e6)
    total_ms = (time.perf_counter() - began) * 1000
    times.sort()
    wrong = sum(a != b for a, b in zip(found, brute_force(grids, points), strict=True))
    stats = index.stats()
    return [
        f"{len(grids):,}",
        str(cuts * 4),
        f"{int(stats['cells']):,}",
        f"{stats['mean_per_cell']:.2f}",
        f"{build_ms:.0f}",
        f"{sum(times) / len(times):.1f}",
        f"{percentile(times, 50):.1f}",
        f"{percentile(times, 99):.1f}",
        f"{total_ms:.0f}",
        f"{sum(f is None for f in found)}",
        str(wrong),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=100)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rows = [run(args.side, cuts, args.points, args.seed) for cuts in (1, 16)]
    print(f"grid lookups: {args.points:,} points, one at a time (5 % outside the layer)")
    print(
        table(
            [
                [
                    "grids",
                    "edges/grid",
                    "cells",
                    "grids/cell",
                    "build ms",
                    "mean µs",
                    "p50 µs",
                    "p99 µs",
                    f"{args.points:,} lookups ms",
                    "outside",
                    "≠ brute force",
                ],
                *rows,
            ]
        )
    )


if __name__ == "__main__":
    main()
