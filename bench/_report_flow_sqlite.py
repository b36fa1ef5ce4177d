"""Report-flow benchmark, the SQLite backends side by side (ADR 0007).

`gate` is `smartduty.kernel.sqlite`: Django's SQLite backend plus the cross-process write
gate (an `flock` around every write transaction). `stock` is Django's own
`django.db.backends.sqlite3`. Both run with the same `OPTIONS` from `settings.py`: WAL and
`synchronous=NORMAL` through `init_command`, `transaction_mode="IMMEDIATE"`, `timeout` (the
busy timeout). `SMARTDUTY_SQLITE_WRITE_GATE` picks the backend for every process of a run.

With several rounds the backends alternate (gate, stock, stock, gate, …), so a drift in the
machine's load favours neither; the comparison pools the rounds of each backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bench._stack import Database, percentile, table

FLAG = "SMARTDUTY_SQLITE_WRITE_GATE"
BACKENDS: dict[str, tuple[str, str]] = {
    "gate": ("smartduty.kernel.sqlite (Django's backend + flock write gate)", "true"),
    "stock": ("django.db.backends.sqlite3 (stock, OPTIONS only)", "false"),
}
WIN_FACTOR = 1.3
"""The custom backend stays only if it beats the stock one by more than this (issue 19)."""
DECIDING = ("max", "to_sms", 99)
"""The deciding figure: upload→SMS p99 under the `max` load, where web writers and the
worker's outbox compete for the write lock (what the gate was built for)."""


def variants(names: Sequence[str], rounds: int) -> list[Database]:
    """The SQLite runs, alternating the backends round by round (ABBA…)."""
    runs = []
    for number in range(rounds):
        order = list(names) if number % 2 == 0 else list(reversed(names))
        for name in order:
            note, flag = BACKENDS[name]
            label = f"SQLite {name}" + (f" #{number + 1}" if rounds > 1 else "")
            runs.append(Database(label, "", note, ((FLAG, flag),)))
    return runs


def backend_of(database: Database) -> str | None:
    """`gate` or `stock` for a variant's run; None for anything else."""
    flag = dict(database.env).get(FLAG)
    return next((name for name, (_, value) in BACKENDS.items() if value == flag), None)


def locked_errors(outputs: Iterable[str]) -> int:
    """How many times a process logged Django's "database is locked" error."""
    return sum(
        1
        for output in outputs
        for line in output.splitlines()
        if line.startswith("django.db.utils.OperationalError: database is locked")
    )


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    elapsed = sum(r["elapsed"] for r in runs)
    return {
        "runs": len(runs),
        "created": sum(r["created"] for r in runs),
        "failed": sum(r["failed"] for r in runs),
        "locked": sum(r["locked"] for r in runs),
        "rate": sum(r["created"] for r in runs) / elapsed if elapsed > 0 else float("nan"),
        "to_201": sorted(v for r in runs for v in r["to_201"]),
        "to_sms": sorted(v for r in runs for v in r["to_sms"]),
    }


def _q(values: list[float], q: int) -> float:
    return percentile(values, q) if values else float("nan")


def compare(results: list[dict[str, Any]]) -> bool | None:
    """Print the backends side by side; True when the gate wins by more than `WIN_FACTOR`
    on the deciding figure, False when it does not, None when not both were measured."""
    pooled: dict[tuple[str, str], dict[str, Any]] = {}
    for name in BACKENDS:
        for phase in dict.fromkeys(r["phase"] for r in results):
            runs = [r for r in results if backend_of(r["database"]) == name and r["phase"] == phase]
            if runs:
                pooled[name, phase] = _pooled(runs)
    phases = list(dict.fromkeys(phase for _, phase in pooled))
    if not phases or any(("gate", p) not in pooled or ("stock", p) not in pooled for p in phases):
        return None
    figures = [("to_201", q) for q in (50, 95, 99)] + [("to_sms", q) for q in (50, 95, 99)]
    head = ["load", "backend", "runs", "reports", "failed", "locked", "reports/s"]
    rows = [head + [f"{'201' if key == 'to_201' else 'SMS'} p{q}" for key, q in figures]]
    for phase in phases:
        gate, stock = pooled["gate", phase], pooled["stock", phase]
        for name, p in (("gate", gate), ("stock", stock)):
            rows.append(
                [phase, name, str(p["runs"]), f"{p['created']:,}", str(p["failed"])]
                + [str(p["locked"]) if phase == "max" else "", f"{p['rate']:.1f}"]
                + [f"{_q(p[key], q):.0f}" for key, q in figures]
            )
        rows.append(
            [phase, "gate advantage", "", "", "", "", f"{gate['rate'] / stock['rate']:.2f}×"]
            + [f"{_q(stock[key], q) / _q(gate[key], q):.2f}×" for key, q in figures]
        )
    print("\nSQLite backends side by side (rounds pooled; latencies in ms):")
    print(table(rows))
    print(
        "gate advantage = gate reports/s ÷ stock reports/s, and stock latency ÷ gate latency "
        '(> 1: the gate is better); locked = Django\'s "database is locked" errors in the web '
        "and worker logs (whole stack, both loads)."
    )
    phase, key, q = DECIDING
    gate_ms, stock_ms = _q(pooled["gate", phase][key], q), _q(pooled["stock", phase][key], q)
    factor = stock_ms / gate_ms
    stock_locked = pooled["stock", phase]["locked"] > pooled["gate", phase]["locked"]
    wins = factor > WIN_FACTOR or stock_locked
    print(
        f"deciding figure: upload→SMS p{q} under the {phase} load: gate {gate_ms:.0f} ms, stock "
        f'{stock_ms:.0f} ms ({factor:.2f}×); "database is locked": gate '
        f"{pooled['gate', phase]['locked']}, stock {pooled['stock', phase]['locked']}. "
        + (
            f"The gate wins by more than {WIN_FACTOR}×: keep it."
            if wins
            else f"The gate does not win by more than {WIN_FACTOR}×: use the stock backend."
        )
    )
    return wins
