"""The soak benchmark's sizing, schedule and summaries (the figures it prints rest on them)."""

from __future__ import annotations

import math

import pytest
from bench._soak_sizing import Sizing, memory_growth, outcome_class, poisson_arrivals, summarize


def test_the_peak_is_sized_from_the_seed_article() -> None:
    sizing = Sizing()
    assert sizing.per_day == pytest.approx(786.1)  # 15,722 cases in 20 days
    assert sizing.mean_per_hour == pytest.approx(56.15, abs=0.01)  # over 14 active hours
    assert sizing.peak_per_hour == pytest.approx(168.45, abs=0.01)  # × 3 in the peak hour
    assert sizing.target_per_hour == pytest.approx(1684.5, abs=0.1)  # × 10
    assert sizing.target_per_second == pytest.approx(0.468, abs=0.001)
    assert sizing.officers == 281  # 1,684.5 / 6 cases per officer-hour, rounded up
    assert sizing.screens == 20
    assert "0.468 reports/s" in " ".join(sizing.describe())


def test_the_sizing_follows_its_factors() -> None:
    assert Sizing(multiplier=1).target_per_hour == pytest.approx(Sizing().peak_per_hour)
    assert Sizing(peak_factor=6).target_per_second == pytest.approx(2 * Sizing().target_per_second)


def test_poisson_arrivals_are_fixed_by_the_seed_and_have_the_rate() -> None:
    arrivals = poisson_arrivals(2.0, 5_000, seed=1)
    assert arrivals == poisson_arrivals(2.0, 5_000, seed=1)
    assert arrivals == sorted(arrivals)
    assert all(0 <= at < 5_000 for at in arrivals)
    assert len(arrivals) == pytest.approx(10_000, rel=0.03)
    assert poisson_arrivals(0.0, 10, seed=1) == []


def test_outcomes_are_classed_with_429_and_503_apart() -> None:
    assert [outcome_class(s) for s in (200, 201, 404, 429, 500, 503, "timeout")] == [
        "2xx",
        "2xx",
        "4xx",
        "429",
        "5xx",
        "503",
        "timeout",
    ]


def test_summary_counts_every_outcome_and_takes_nearest_rank_percentiles() -> None:
    records = [
        {"kind": "upload", "status": 201, "ms": float(ms), "lag": 0.0} for ms in range(1, 101)
    ]
    records += [
        {"kind": "home", "status": 429, "ms": 5.0, "lag": 1.0},
        {"kind": "home", "status": "timeout", "ms": 10_000.0, "lag": 2.0},
    ]
    summary = summarize(records)
    upload, home, every = summary["upload"], summary["home"], summary["all"]
    assert (upload["n"], upload["errors"]) == (100, 0)
    assert (upload["p50"], upload["p95"], upload["p99"], upload["max"]) == (50, 95, 99, 100)
    assert home["statuses"] == {"429": 1, "timeout": 1}
    assert home["errors"] == 2
    assert home["max"] == 10_000  # a timeout counts with the time it took
    assert every["n"] == 102
    assert every["statuses"] == {"201": 100, "429": 1, "timeout": 1}


def test_memory_growth_is_measured_after_the_warm_up() -> None:
    samples = [(0.0, 100 * 1024), (30.0, 200 * 1024), (60.0, 210 * 1024), (90.0, 250 * 1024)]
    growth = memory_growth(samples, warm_after=60)
    assert growth == {"start": 100, "warm": 210, "end": 250, "max": 250, "growth": 40}
    assert memory_growth(samples)["growth"] == 150
    assert all(math.isnan(v) for v in memory_growth([]).values())


def test_the_entry_module_runs_the_child_operations_and_the_generator() -> None:
    from bench import soak  # noqa: PLC0415 - imports the whole benchmark, only here

    assert soak.MODULE == "bench.soak"  # `python -m bench.soak child|gen …` reach these
    assert set(soak.CHILD_OPS) == {"prepare", "photos", "backlog", "audit"}
    assert callable(soak.generate)
