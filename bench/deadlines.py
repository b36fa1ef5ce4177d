"""Deadline benchmark: 100,000 pending timers due over a short span, fired by real workers.

    .venv/bin/python -m bench.deadlines [--count 100000] [--span 60] [--pg-url URL]

For SQLite and then PostgreSQL (a throwaway cluster, or a fresh database on `--pg-url`):
migrate a fresh database, start the real `run_worker` command in worker process(es) (one on
SQLite, where a lock allows only one; `--pg-workers` on PostgreSQL, sharing the table
through `SKIP LOCKED`), bulk-insert `--count` timers due evenly over `--span` seconds
starting `--lead` seconds later, wait until every timer is done, and compute lateness
(`fired_at - due_at`) from the database. A second phase inserts `--burst` timers that are
all due at once, to measure how fast the workers drain a backlog (capacity).

Timer kind (`--kind`): `noop` (default) is a bench-only kind whose handler does nothing, so
the figures are the pump's own cost (claim, savepoint per handler, done-marking, commit);
the worker process registers it and then runs `call_command("run_worker")`, the same command
`manage.py run_worker` runs. `heartbeat` is the built-in `kernel.heartbeat` kind, whose
handler reads and writes one audit row per timer (a realistic small handler).

Target (core-loop issue): lateness p99 ≤ 2 s while the timers come due at count/span per
second; every timer fires exactly once. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench import _stack
from bench._stack import Database, Proc, percentile, table, verdict

MODULE = "bench.deadlines"
KINDS = {"noop": "bench.noop", "heartbeat": "kernel.heartbeat"}
SUBJECT = "bench.deadline"
TARGET_P99_MS = 2000.0


# --- child operations (run with Django set up, in a subprocess) -------------------------


def _worker(*, args: list[str]) -> dict[str, Any]:
    """Register the bench kind, then run the real `run_worker` command until SIGTERM."""
    from django.core.management import call_command  # noqa: PLC0415 - children only

    from smartduty.kernel.timers import register_timer_kind  # noqa: PLC0415

    register_timer_kind(KINDS["noop"], _noop)
    call_command("run_worker", *args)
    return {}


def _noop(timer: Any) -> None:
    """Handler of `bench.noop`: nothing (the pump's own cost is what is measured)."""


def _insert(*, count: int, span_s: float, lead_s: float, phase: str, kind: str) -> dict[str, Any]:
    """Insert `count` timers due evenly over `span_s` seconds, starting `lead_s` from now."""
    from django.db import transaction  # noqa: PLC0415 - children only
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel.models import Timer  # noqa: PLC0415

    began = timezone.now()
    start = began + timedelta(seconds=lead_s)
    step = span_s / count if count > 1 else 0.0
    rows = [
        Timer(
            kind=kind,
            subject_type=f"{SUBJECT}.{phase}",
            subject_id=str(index),
            due_at=start + timedelta(seconds=index * step),
        )
        for index in range(count)
    ]
    with transaction.atomic():
        Timer.objects.bulk_create(rows, batch_size=2000)
    committed = timezone.now()
    return {
        "first_due": start.isoformat(),
        "last_due": rows[-1].due_at.isoformat(),
        "committed": committed.isoformat(),
        "insert_s": (committed - began).total_seconds(),
    }


def _wait(*, phase: str, timeout_s: float) -> dict[str, Any]:
    """Poll (cheap count every 0.5 s) until no timer of the phase is pending."""
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel.models import Timer, TimerStatus  # noqa: PLC0415

    deadline = timezone.now() + timedelta(seconds=timeout_s)
    rows = Timer.objects.filter(subject_type=f"{SUBJECT}.{phase}", status=TimerStatus.PENDING)
    while True:
        pending = rows.count()
        if pending == 0 or timezone.now() > deadline:
            return {"pending": pending}
        _stack.pause(0.5)


def _stats(*, phase: str, kind: str) -> dict[str, Any]:
    """Lateness percentiles and exactly-once counts of one phase, from the database."""
    from django.db.models import Count, Max, Min  # noqa: PLC0415

    from smartduty.kernel.models import AuditEntry, Timer  # noqa: PLC0415

    timers = Timer.objects.filter(subject_type=f"{SUBJECT}.{phase}")
    by_status = dict(timers.values_list("status").annotate(n=Count("id")))
    fired = list(timers.filter(status="done").values_list("id", "due_at", "fired_at"))
    lateness = sorted((f - d).total_seconds() * 1000 for _, d, f in fired)
    ids = [str(pk) for pk, _, _ in fired]
    audits = AuditEntry.objects.filter(action=kind, object_type="kernel.timer")
    audit_rows = 0
    audit_distinct = 0
    for chunk in range(0, len(ids) if kind == KINDS["heartbeat"] else 0, 5000):
        part = audits.filter(object_id__in=ids[chunk : chunk + 5000])
        audit_rows += part.count()
        audit_distinct += part.values("object_id").distinct().count()
    span = timers.aggregate(
        first_due=Min("due_at"), last_due=Max("due_at"), first=Min("fired_at"), last=Max("fired_at")
    )
    return {
        "by_status": by_status,
        "retried": timers.filter(attempts__gt=0).count(),
        "fired": len(fired),
        "audit_rows": audit_rows,
        "audit_distinct": audit_distinct,
        "p50": percentile(lateness, 50),
        "p95": percentile(lateness, 95),
        "p99": percentile(lateness, 99),
        "max": lateness[-1] if lateness else float("nan"),
        **{key: value.isoformat() if value else None for key, value in span.items()},
    }


CHILD_OPS = {"worker": _worker, "insert": _insert, "wait": _wait, "stats": _stats}


# --- the benchmark ------------------------------------------------------------------------


def _seconds(a: str | None, b: str | None) -> float:
    if a is None or b is None:
        return float("nan")
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def run_one(database: Database, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """One database: migrate, start workers, schedule phase, burst phase, numbers."""
    workdir.mkdir(parents=True, exist_ok=True)
    var_dir = workdir / "var"
    env = _stack.base_env(database, var_dir)
    print(f"\n== {database.label} ({database.note})", flush=True)
    _stack.manage(env, "migrate", "--noinput", "-v", "0")
    count = 1 if database.is_sqlite else max(1, args.pg_workers)
    kind = KINDS[args.kind]
    workers: list[Proc] = []
    # the bench kind must be registered in the worker process, so that process runs the
    # command through `call_command`; the built-in heartbeat runs under plain manage.py
    argv = (
        [_stack.PYTHON, "-m", MODULE, "child", "worker", '{"args": []}']
        if args.kind == "noop"
        else [_stack.PYTHON, "manage.py", "run_worker"]
    )
    for index in range(count):
        worker = Proc(f"worker{index}", argv, env, workdir / f"worker{index}.log")
        workers.append(worker)
        worker.wait_for(r"run_worker started", 60)
    try:
        cpu_before = sum(worker.cpu_seconds() for worker in workers)
        inserted = _stack.child(
            MODULE,
            env,
            "insert",
            count=args.count,
            span_s=args.span,
            lead_s=args.lead,
            phase="schedule",
            kind=kind,
        )
        margin = _seconds(inserted["committed"], inserted["first_due"])
        print(
            f"   {count} worker(s) running; inserted {args.count:,} timers in "
            f"{inserted['insert_s']:.1f} s, committed {margin:.1f} s before the first is due",
            flush=True,
        )
        waited = _stack.child(
            MODULE,
            env,
            "wait",
            phase="schedule",
            timeout_s=args.lead + args.span + args.timeout,
            timeout=args.lead + args.span + args.timeout + 60,
        )
        scheduled = _stack.child(MODULE, env, "stats", phase="schedule", kind=kind)
        cpu_schedule = sum(worker.cpu_seconds() for worker in workers) - cpu_before
        burst: dict[str, Any] = {}
        if args.burst:
            inserted_burst = _stack.child(
                MODULE,
                env,
                "insert",
                count=args.burst,
                span_s=0,
                lead_s=0,
                phase="burst",
                kind=kind,
            )
            _stack.child(
                MODULE,
                env,
                "wait",
                phase="burst",
                timeout_s=args.timeout,
                timeout=args.timeout + 60,
            )
            burst = _stack.child(MODULE, env, "stats", phase="burst", kind=kind)
            burst["drain_s"] = _seconds(inserted_burst["committed"], burst["last"])
    finally:
        for worker in workers:
            worker.stop()
    errors = [
        line
        for worker in workers
        for line in worker.output().splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    return {
        "database": database,
        "workers": count,
        "pending_left": waited["pending"],
        "schedule": scheduled,
        "run_s": _seconds(scheduled["first_due"], scheduled["last"]),
        "cpu_s": cpu_schedule,
        "burst": burst,
        "errors": errors,
    }


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> bool:
    """Print the figures and the targets; True when every target passed."""
    required = args.count / args.span if args.span else float("inf")
    print(
        f"\nDeadline benchmark: {args.count:,} {KINDS[args.kind]} timers due evenly over "
        f"{args.span:g} s ⇒ required rate {required:,.0f} timers/s; lateness = fired_at - due_at"
    )
    print(
        "kind: "
        + (
            "bench.noop, a handler that does nothing: the pump's own cost"
            if args.kind == "noop"
            else "kernel.heartbeat, a handler that reads and writes one audit row per timer"
        )
    )
    rows = [
        [
            "database",
            "workers",
            "fired",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "rate /s",
            "worker CPU s",
            "burst",
            "burst rate /s",
        ]
    ]
    for result in results:
        s = result["schedule"]
        b = result["burst"]
        rate = s["fired"] / result["run_s"] if result["run_s"] > 0 else float("nan")
        burst_rate = b["fired"] / b["drain_s"] if b and b["drain_s"] > 0 else float("nan")
        rows.append(
            [
                result["database"].label,
                str(result["workers"]),
                f"{s['fired']:,}",
                f"{s['p50']:.0f}",
                f"{s['p95']:.0f}",
                f"{s['p99']:.0f}",
                f"{s['max']:.0f}",
                f"{rate:,.0f}",
                f"{result['cpu_s']:.1f}",
                f"{b['fired']:,}" if b else "-",
                f"{burst_rate:,.0f}" if b else "-",
            ]
        )
    print(table(rows))
    print(
        "rate = fired / (last fired_at - first due_at) during the scheduled phase; burst = timers "
        "all due at once after it, burst rate = fired / (last fired_at - insert commit)."
    )
    checks = [["database", "target", "measured", "result"]]
    ok = True
    for result in results:
        s = result["schedule"]
        label = result["database"].label
        audited = args.kind != "heartbeat" or (
            s["audit_rows"] == args.count and s["audit_distinct"] == args.count
        )
        exactly_once = (
            s["fired"] == args.count
            and audited
            and s["retried"] == 0
            and result["pending_left"] == 0
        )
        on_time = s["p99"] <= TARGET_P99_MS
        kept_up = s["fired"] == args.count and result["run_s"] <= args.span + TARGET_P99_MS / 1000
        clean = not result["errors"]
        checks += [
            [label, "lateness p99 ≤ 2000 ms", f"{s['p99']:.0f} ms", verdict(on_time)],
            [
                label,
                f"every timer fired exactly once ({args.count:,})",
                f"done={s['fired']:,} retried={s['retried']} pending={result['pending_left']}"
                + (
                    f" audit rows={s['audit_rows']:,} distinct={s['audit_distinct']:,}"
                    if args.kind == "heartbeat"
                    else ""
                ),
                verdict(exactly_once),
            ],
            [
                label,
                f"sustains {required:,.0f}/s (all done ≤ span + 2 s)",
                f"last fired {result['run_s']:.1f} s after the first due",
                verdict(kept_up),
            ],
            [
                label,
                "no errors in the worker log",
                f"{len(result['errors'])} lines",
                verdict(clean),
            ],
        ]
        ok = ok and on_time and exactly_once and kept_up and clean
        for line in result["errors"][:5]:
            print(f"   {label} worker: {line}")
    print()
    print(table(checks))
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on SQLite and (when available) PostgreSQL; exit 1 on a FAIL."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        _stack.run_child_op(CHILD_OPS, argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="timers (default 100000)")
    parser.add_argument("--span", type=float, default=60.0, help="seconds they come due over")
    parser.add_argument("--lead", type=float, default=15.0, help="seconds before the first is due")
    parser.add_argument("--burst", type=int, default=20_000, help="backlog timers (0: skip)")
    parser.add_argument("--kind", choices=sorted(KINDS), default="noop", help="timer kind")
    parser.add_argument("--timeout", type=float, default=120.0, help="extra seconds to wait")
    parser.add_argument("--pg-workers", type=int, default=2, help="run_worker processes on PG")
    _stack.add_database_options(parser)
    args = parser.parse_args(argv)
    results = _stack.on_each_database(
        args,
        "smartduty-bench-deadlines-",
        lambda database, workdir: [run_one(database, args, workdir)],
    )
    if not results:
        print("nothing measured")
        return 1
    return 0 if report(results, args) else 1


if __name__ == "__main__":
    sys.exit(main())
