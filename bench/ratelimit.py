"""Limiter benchmark: the cost of one `kernel.ratelimit.hit` and its exactness with many processes.

    .venv/bin/python -m bench.ratelimit [--processes 4] [--threads 4] [--hits 250] [--pg-url URL]

For SQLite (a WAL file with the write gate, as `make run`) and then PostgreSQL (a throwaway
cluster, or a fresh database on `--pg-url`): migrate a fresh database, then

1. `alone`: one thread, 2,000 hits of one key under a limit it never reaches: the cost a
   request pays (the usual path is one `UPDATE` by primary key, in autocommit);
2. `race`: `--processes` processes × `--threads` threads (as gunicorn's workers × threads)
   hit one key `--hits` times each under a limit of half the hits: exactly `limit` must be
   allowed in total (no two processes take the same last slot), and the hit latency under
   that contention is printed.

Nothing is written into the repository (ADR 0009 quotes the figures).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench import _stack
from bench._stack import Database, percentile, table

MODULE = "bench.ratelimit"


def _hammer(*, key: str, limit: int, hits: int, threads: int, start_at: float) -> dict[str, Any]:
    """Child: `threads` threads hit `key` `hits` times each, starting at `start_at`."""
    from django.db import connection  # noqa: PLC0415 - children only

    from smartduty.kernel import ratelimit  # noqa: PLC0415

    rate = ratelimit.Rate(limit=limit, period_s=3600)
    allowed = 0
    latencies: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        nonlocal allowed
        mine, times = 0, []
        _stack.pause(max(0.0, start_at - time.time()))
        try:
            for _ in range(hits):
                began = time.perf_counter()
                mine += ratelimit.hit(key, rate, now=start_at).allowed
                times.append((time.perf_counter() - began) * 1000)
        finally:
            connection.close()
        with lock:
            allowed += mine
            latencies.extend(times)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"allowed": allowed, "latencies_ms": latencies}


def _count(*, key: str) -> dict[str, Any]:
    from smartduty.kernel.models import RateBucket  # noqa: PLC0415

    return {"count": RateBucket.objects.get(key=key).count}


def _percentiles(latencies: list[float]) -> list[str]:
    return [f"{percentile(latencies, q):.3f}" for q in (50, 95, 99)]


def _run(database: Database, workdir: Path, args: argparse.Namespace) -> list[list[str]]:
    workdir.mkdir(parents=True, exist_ok=True)
    env = _stack.base_env(database, workdir / "var")
    _stack.manage(env, "migrate", "--noinput", "-v", "0")
    rows: list[list[str]] = []

    alone = _stack.child(
        MODULE, env, "hammer", key="alone", limit=10**9, hits=2000, threads=1, start_at=0.0
    )
    lat = sorted(alone["latencies_ms"])
    rows.append([database.label, "alone 1×1", "2000", "-", *_percentiles(lat)])

    total = args.processes * args.threads * args.hits
    limit = total // 2
    start_at = time.time() + 3.0  # every child has set Django up by then
    results: list[dict[str, Any]] = []

    def one() -> None:
        results.append(
            _stack.child(
                MODULE,
                env,
                "hammer",
                key="race",
                limit=limit,
                hits=args.hits,
                threads=args.threads,
                start_at=start_at,
            )
        )

    procs = [threading.Thread(target=one) for _ in range(args.processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    allowed = sum(r["allowed"] for r in results)
    stored = _stack.child(MODULE, env, "count", key="race")["count"]
    lat = sorted(x for r in results for x in r["latencies_ms"])
    exact = "yes" if allowed == limit == stored else f"NO ({allowed} allowed, {stored} stored)"
    load = f"race {args.processes}×{args.threads}"
    rows.append([database.label, load, str(total), f"{limit}: {exact}", *_percentiles(lat)])
    return rows


def main(argv: list[str]) -> int:
    """Parse options, run on both databases, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--hits", type=int, default=250, help="hits per thread in the race")
    _stack.add_database_options(parser)
    args = parser.parse_args(argv)
    _stack.print_machine()
    rows = _stack.on_each_database(args, "ratelimit-", lambda db, wd: _run(db, wd, args))
    header = ["database", "load", "hits", "limit: exact", "p50 ms", "p95 ms", "p99 ms"]
    print(table([header, *rows]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        _stack.run_child_op({"hammer": _hammer, "count": _count}, sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
