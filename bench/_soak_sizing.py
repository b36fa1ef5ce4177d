"""The soak benchmark's sizing (from the seed article, see `bench.soak`), its request
schedule and the pure summaries of what it measured; unit-tested in tests/unit/bench."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench._stack import percentile

# The seed and the sizing assumptions (see `bench.soak`'s docstring).
SEED_CASES = 15_722  # 11,784 moved on + 3,938 notices (聊城日报, 2022-09-21)
SEED_DAYS = 20  # 2022-09-01 to the article
ACTIVE_HOURS = 14  # the command centre dispatches 07:00-21:00 (domain.md)
PEAK_FACTOR = 3.0  # peak hour / mean active hour (assumption)
MULTIPLIER = 10
CASES_PER_OFFICER_HOUR = 6.0  # one case per 10 min per officer at the peak (assumption)
GONE_SHARE = 11_784 / 15_722  # re-checks that find the car gone
LIAOCHENG_SCREENS = 2  # command-centre screens polling the dashboard (assumption)
HOME_POLL_S = 5.0  # officer app HomeView setInterval
CASE_POLL_S = 3.0  # officer app CaseView setInterval
SMS_POLL_S = 1.0  # officer app ReportView setInterval
DASHBOARD_POLL_S = 5.0  # command centre, WEB_POLL_SECONDS default
APP_RETRY_S = 10.0  # the officer app's offline queue syncs every 10 s
MAX_RETRIES = 3
NOTICE_WALK_S = 20.0  # print the notice, post it, photograph it
PLACES = (
    "人民路88号新华书店门前",
    "东昌路12号众稻水晶城店",
    "柳园路阳光小学东门",
    "兴华路与花园路交叉口",
    "光岳路36号菜市场入口",
    "湖南路万达广场北侧",
    "建设路15号银行门前",
    "龙山路社区卫生站",
)


@dataclass(frozen=True)
class Sizing:
    """How the target load follows from the seed; every figure of the load derives from it."""

    cases: int = SEED_CASES
    days: float = SEED_DAYS
    active_hours: float = ACTIVE_HOURS
    peak_factor: float = PEAK_FACTOR
    multiplier: float = MULTIPLIER
    cases_per_officer_hour: float = CASES_PER_OFFICER_HOUR

    @property
    def per_day(self) -> float:
        """Cases per day at Liaocheng."""
        return self.cases / self.days

    @property
    def mean_per_hour(self) -> float:
        """Cases per active hour at Liaocheng."""
        return self.per_day / self.active_hours

    @property
    def peak_per_hour(self) -> float:
        """Cases in Liaocheng's peak hour."""
        return self.mean_per_hour * self.peak_factor

    @property
    def target_per_hour(self) -> float:
        """Cases per hour of the soak."""
        return self.peak_per_hour * self.multiplier

    @property
    def target_per_second(self) -> float:
        """Report uploads per second of the soak."""
        return self.target_per_hour / 3600

    @property
    def officers(self) -> int:
        """Officer accounts reporting at the soak's rate."""
        return math.ceil(self.target_per_hour / self.cases_per_officer_hour)

    @property
    def screens(self) -> int:
        """Command-centre screens polling the dashboard."""
        return math.ceil(LIAOCHENG_SCREENS * self.multiplier)

    def describe(self) -> list[str]:
        """The derivation, one step a line."""
        return [
            f"seed: {self.cases:,} cases in {self.days:g} days = {self.per_day:,.0f}/day",
            f"over {self.active_hours:g} active hours (07:00-21:00) = "
            f"{self.mean_per_hour:,.1f}/h; peak hour × {self.peak_factor:g} = "
            f"{self.peak_per_hour:,.1f}/h",
            f"× {self.multiplier:g} = {self.target_per_hour:,.0f} cases/h = "
            f"{self.target_per_second:.3f} reports/s",
            f"officers: {self.target_per_hour:,.0f}/h ÷ {self.cases_per_officer_hour:g} cases "
            f"per officer-hour = {self.officers} accounts; command-centre screens "
            f"{LIAOCHENG_SCREENS} × {self.multiplier:g} = {self.screens}",
        ]


def poisson_arrivals(rate: float, duration: float, seed: int) -> list[float]:
    """Arrival offsets (seconds) of a Poisson process of `rate`/s in [0, duration)."""
    rng = random.Random(seed)
    out: list[float] = []
    at = rng.expovariate(rate) if rate > 0 else duration
    while at < duration:
        out.append(at)
        at += rng.expovariate(rate)
    return out


def outcome_class(status: int | str) -> str:
    """The printed class of one outcome: 2xx, 429, 503, 4xx, 5xx, timeout, conn_error."""
    if isinstance(status, str):
        return status
    if 200 <= status < 300:
        return "2xx"
    if status in (429, 503):
        return str(status)
    return f"{status // 100}xx"


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per request kind and `all`: count, outcomes by status, latency percentiles (ms).

    Latencies are over every outcome (a timeout counts with the time it took), from each
    request's due time.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["kind"], []).append(record)
    groups["all"] = list(records)
    out: dict[str, dict[str, Any]] = {}
    for kind, rows in groups.items():
        latencies = sorted(r["ms"] for r in rows)
        statuses = Counter(str(r["status"]) for r in rows)
        errors = sum(1 for r in rows if outcome_class(r["status"]) != "2xx")
        out[kind] = {
            "n": len(rows),
            "errors": errors,
            "statuses": dict(sorted(statuses.items())),
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "max": latencies[-1] if latencies else float("nan"),
            "lag_p99": percentile(sorted(r["lag"] for r in rows), 99),
        }
    return out


def memory_growth(
    samples: Sequence[tuple[float, int]], warm_after: float = 0.0
) -> dict[str, float]:
    """RSS samples (time s, KiB) → MiB at the start, after `warm_after` seconds (the first
    sample at or after it: imports and caches loaded), at the end, the max, and the growth
    from the warm sample to the end."""
    if not samples:
        nan = float("nan")
        return {"start": nan, "warm": nan, "end": nan, "max": nan, "growth": nan}
    t0 = samples[0][0]
    warm = next((kib for t, kib in samples if t - t0 >= warm_after), samples[-1][1]) / 1024
    end = samples[-1][1] / 1024
    return {
        "start": samples[0][1] / 1024,
        "warm": warm,
        "end": end,
        "max": max(kib for _, kib in samples) / 1024,
        "growth": end - warm,
    }
