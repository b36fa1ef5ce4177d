"""Report-flow benchmark: concurrent officer clients post photo reports through the real stack.

    .venv/bin/python -m bench.report_flow [--clients 4] [--duration 20] [--pg-url URL]
        [--sqlite-backends gate,stock] [--rounds 1]

For SQLite and then PostgreSQL (a throwaway cluster, or a fresh database on `--pg-url`):
migrate a fresh database, `seed_demo` (示范市: officers with password Demo@2026, 200
vehicles), register extra fictional vehicles so that every report has its own plate (no
duplicate-report rule, every report texts an owner), start `gunicorn smartduty.wsgi` and
`manage.py run_worker`, then run `--clients` concurrent httpx clients on the loopback
interface for `--duration` seconds (each logs in with POST /api/v1/auth/tokens, then posts
reports back to back: a small generated JPEG, unique per report, and the confirmed plate).

SQLite runs once per backend of `--sqlite-backends` (default both, `--rounds` times,
alternating): `gate` is our `smartduty.kernel.sqlite` (Django's backend plus a cross-process
write gate), `stock` is Django's `django.db.backends.sqlite3` with the same `OPTIONS` (WAL and
`synchronous=NORMAL` through `init_command`, `transaction_mode="IMMEDIATE"`, `timeout`); a
last table puts them side by side (`bench/_report_flow_sqlite.py`, ADR 0007).

The client sends the confirmed plate with the upload, so the server skips plate recognition
(it reads the plate only when none was sent): the "stub recognizer" case of the target.
Latencies: upload→201 from the client's clocks; upload→SMS from the client's send time to
the console provider's stored `ConsoleMessage.created_at` (the moment the SMS was handed to
the provider), both read from the same machine clock (`time.time()` / `timezone.now()`).

Two loads run on the same stack, one after the other: `max` (`--clients` back to back: the
most reports/s the stack serves; at that point every request queues, so its latency is the
saturation latency) and `@50/s` (`--paced-clients` sending on a fixed schedule that adds up to
`--paced-rate` reports/s: the latency an officer sees at the target load; a late answer does
not delay the next send, and latency counts from the due time).

Targets (core-loop issue, 2 cores, stub recognizer): ≥ 50 reports/s with upload→SMS p95 ≤
300 ms, both measured on the `max` load (the concurrent clients of the issue). The paced load
is printed as information: how much headroom the target rate leaves (a steady 50/s close to
the stack's capacity queues). Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench import _report_flow_sqlite, _stack
from bench._report_flow_load import Load, _own_cpu, _postgres_cpu, _tree_cpu, log_in, make_photos
from bench._stack import Database, Proc, percentile, table, verdict

# bench/soak.py and bench/report_reading.py use these from here
__all__ = [
    "MODULE",
    "_postgres_cpu",
    "_tree_cpu",
    "log_in",
    "main",
    "make_photos",
    "start_gunicorn",
]

MODULE = "bench.report_flow"
TARGET_RATE = 50.0
TARGET_P95_MS = 300.0
EXTRA_PLATE_PREFIX = "鲁Q"


# --- child operations (run with Django set up, in a subprocess) -------------------------


def _setup(*, extra: int) -> dict[str, Any]:
    """Register `extra` fictional vehicles beside the demo's; return every registered plate."""
    from smartduty.kernel.errors import Conflict  # noqa: PLC0415 - children only
    from smartduty.org.models import District  # noqa: PLC0415
    from smartduty.vehicles.models import Vehicle  # noqa: PLC0415
    from smartduty.vehicles.services import register_vehicle  # noqa: PLC0415

    districts = list(District.objects.filter(level="district").order_by("code"))
    for index in range(extra):
        try:
            register_vehicle(
                district=districts[index % len(districts)],
                plate=f"{EXTRA_PLATE_PREFIX}{index:05d}",
                owner_name="测试车主",
                owner_phone=f"139{index:08d}",
            )
        except Conflict:
            continue
    return {"plates": list(Vehicle.objects.order_by("id").values_list("plate", flat=True))}


def _outbox() -> dict[str, Any]:
    """How many deliveries are not finished yet."""
    from smartduty.notifications.models import Delivery  # noqa: PLC0415

    return {"open": Delivery.objects.filter(status__in=["pending", "sending"]).count()}


def _handoffs(*, public_ids: list[str]) -> dict[str, Any]:
    """Per report: its status and when its owner SMS reached the provider (epoch seconds)."""
    from smartduty.notifications.models import ConsoleMessage, Delivery  # noqa: PLC0415
    from smartduty.parking.models import ParkingReport  # noqa: PLC0415

    reports = dict(
        ParkingReport.objects.filter(public_id__in=public_ids).values_list("pk", "public_id")
    )
    statuses = dict(
        ParkingReport.objects.filter(public_id__in=public_ids).values_list("public_id", "status")
    )
    sms = dict(
        Delivery.objects.filter(
            channel="sms", subject_type="parking.report", subject_id__in=[str(pk) for pk in reports]
        ).values_list("public_id", "subject_id")
    )
    stored = dict(
        ConsoleMessage.objects.filter(idempotency_key__in=[str(key) for key in sms]).values_list(
            "idempotency_key", "created_at"
        )
    )
    out: dict[str, Any] = {
        str(public_id): {"status": statuses[public_id]} for public_id in statuses
    }
    for delivery_id, subject_id in sms.items():
        at = stored.get(str(delivery_id))
        out[str(reports[int(subject_id)])]["sms_at"] = at.timestamp() if at else None
    return {"reports": out, "console_total": ConsoleMessage.objects.count()}


def _settle() -> dict[str, Any]:
    """Before the load: statistics for the freshly loaded tables and a checkpoint, so that
    neither autovacuum nor the checkpoint after the bulk setup runs during the measurement."""
    from django.db import DatabaseError, connection  # noqa: PLC0415

    done = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            done.append("VACUUM ANALYZE")
            with contextlib.suppress(DatabaseError):  # a --pg-url role may not checkpoint
                cursor.execute("CHECKPOINT")  # superuser only (the throwaway cluster)
                done.append("CHECKPOINT")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            done.append("ANALYZE, wal_checkpoint")
    return {"done": done}


CHILD_OPS = {"setup": _setup, "settle": _settle, "outbox": _outbox, "handoffs": _handoffs}


# --- the benchmark ------------------------------------------------------------------------


def start_gunicorn(
    env: dict[str, str], workdir: Path, args: argparse.Namespace
) -> tuple[Proc, str]:
    """`gunicorn smartduty.wsgi` on a free loopback port; waits until /healthz answers."""
    import httpx  # noqa: PLC0415

    port = _stack.free_port()
    argv = [
        str(Path(_stack.PYTHON).parent / "gunicorn"),
        "-c",
        "python:smartduty.gunicorn_conf",
        "smartduty.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.web_workers),
        "--threads",
        str(args.web_threads),
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    web = Proc("gunicorn", argv, env, workdir / "gunicorn.log")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return web, base_url
        except httpx.HTTPError:
            pass
        if web.proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start:\n{web.output()}")
        _stack.pause(0.2)


def run_one(database: Database, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """One database: migrate, seed, start web and worker, then two loads on the same stack:
    `max` (closed loop: the most reports/s it serves) and `@50/s` (paced at the target rate:
    the latency an officer sees at that load); collect the figures of each."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = _stack.base_env(database, workdir / "var", **_stack.bench_limits(args.web_threads))
    print(f"\n== {database.label} ({database.note})", flush=True)
    _stack.manage(env, "migrate", "--noinput", "-v", "0")
    _stack.manage(env, "seed_demo")
    plates = _stack.child(MODULE, env, "setup", extra=args.max_reports)["plates"]
    random.Random(7).shuffle(plates)
    plates = plates[: args.max_reports]
    photos = make_photos(min(len(plates), 2000))
    _stack.child(MODULE, env, "settle")
    worker = _stack.start_worker(env, workdir / "worker.log")
    web, base_url = start_gunicorn(env, workdir, args)
    try:
        phases = []
        plate_iter = iter(plates)
        for phase, clients, rate in (
            ("max", args.clients, None),
            (f"@{args.paced_rate:g}/s", args.paced_clients, args.paced_rate),
        ):
            cpu_before = {
                "web": _tree_cpu(web),
                "worker": worker.cpu_seconds(),
                "client": _own_cpu(),
                "db": _postgres_cpu(),
            }
            load = Load(base_url, plate_iter, photos)
            how = f"paced to {rate:g} reports/s" if rate else "back to back"
            print(
                f"   {phase}: {clients} clients {how} for {args.duration:g} s against gunicorn "
                f"({args.web_workers} workers × {args.web_threads} threads) + 1 run_worker",
                flush=True,
            )
            elapsed = load.run(clients, args.duration, rate)
            cpu_load = {
                "web": _tree_cpu(web) - cpu_before["web"],
                "worker": worker.cpu_seconds() - cpu_before["worker"],
                "client": _own_cpu() - cpu_before["client"],
                "db": _postgres_cpu() - cpu_before["db"],
            }
            deadline = time.monotonic() + 60
            while _stack.child(MODULE, env, "outbox")["open"] and time.monotonic() < deadline:
                _stack.pause(0.5)
            phases.append((phase, rate, load, elapsed, cpu_load))
        handoffs = _stack.child(
            MODULE,
            env,
            "handoffs",
            public_ids=[r["public_id"] for _, _, load, _, _ in phases for r in load.results],
        )
    finally:
        web.stop()
        worker.stop()
    errors = [
        line
        for proc in (web, worker)
        for line in proc.output().splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    locked = _report_flow_sqlite.locked_errors(proc.output() for proc in (web, worker))
    return [
        _figures(
            database=database,
            phase=phase,
            paced_rate=rate,
            load=load,
            elapsed=elapsed,
            handoffs=handoffs,
            cpu=cpu_load,
            errors=errors,
            locked=locked,
        )
        for phase, rate, load, elapsed, cpu_load in phases
    ]


def _figures(
    *,
    database: Database,
    phase: str,
    paced_rate: float | None,
    load: Load,
    elapsed: float,
    handoffs: dict[str, Any],
    cpu: dict[str, float],
    errors: list[str],
    locked: int,
) -> dict[str, Any]:
    reports = handoffs["reports"]
    to_201 = sorted((r["answered"] - r["sent"]) * 1000 for r in load.results)
    to_sms = []
    statuses: dict[str, int] = {}
    missing = 0
    for result in load.results:
        row = reports.get(result["public_id"], {})
        statuses[row.get("status", "?")] = statuses.get(row.get("status", "?"), 0) + 1
        if row.get("sms_at") is None:
            missing += 1
        else:
            to_sms.append((row["sms_at"] - result["sent"]) * 1000)
    to_sms.sort()
    return {
        "database": database,
        "phase": phase,
        "paced_rate": paced_rate,
        "created": len(load.results),
        "failed": len(load.errors),
        "client_errors": load.errors[:5],
        "elapsed": elapsed,
        "rate": len(load.results) / elapsed if elapsed > 0 else float("nan"),
        "to_201": to_201,
        "to_sms": to_sms,
        "sms_missing": missing,
        "console_total": handoffs["console_total"],
        "statuses": statuses,
        "cpu": cpu,
        "errors": errors,
        "locked": locked,  # "database is locked" errors in the web and worker logs (per stack)
    }


def _per_report(result: dict[str, Any]) -> str:
    count = max(result["created"], 1)
    web, worker, client, db = (
        result["cpu"][key] * 1000 / count for key in ("web", "worker", "client", "db")
    )
    return f"{web:.0f}+{worker:.0f}+{client:.0f}+{db:.0f}"


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q):.0f}" if values else "-"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> bool:
    """Print figures and targets; True when every target passed."""
    print(
        f"\nReport-flow benchmark, photo (640×480 JPEG) + confirmed plate per report, "
        f"{args.duration:g} s per load: max = {args.clients} clients back to back (the most "
        f"reports/s served); @{args.paced_rate:g}/s = {args.paced_clients} clients paced to "
        f"{args.paced_rate:g} reports/s in all (the latency at the target rate)."
    )
    print(
        "Stub recognizer case: the client sends the confirmed plate with the upload, so the "
        "server skips plate recognition."
    )
    rows = [
        [
            "database",
            "load",
            "reports",
            "errors",
            "reports/s",
            "201 p50",
            "201 p95",
            "201 p99",
            "SMS p50",
            "SMS p95",
            "SMS p99",
            "SMS max",
            "CPU ms/report web+worker+client+db",
        ]
    ]
    for r in results:
        rows.append(
            [
                r["database"].label,
                r["phase"],
                f"{r['created']:,}",
                str(r["failed"]),
                f"{r['rate']:.1f}",
                _ms(r["to_201"], 50),
                _ms(r["to_201"], 95),
                _ms(r["to_201"], 99),
                _ms(r["to_sms"], 50),
                _ms(r["to_sms"], 95),
                _ms(r["to_sms"], 99),
                _ms(r["to_sms"], 100),
                _per_report(r),
            ]
        )
    print(table(rows))
    print(
        "latencies in ms; 201 = client send → 201 response; SMS = client send → ConsoleMessage "
        "stored by the console provider (SMS handed to the provider); paced loads count from "
        "each report's due time. CPU = CPU seconds of gunicorn (master + workers), run_worker, "
        "this load generator and the PostgreSQL processes (db; SQLite runs inside the others) "
        "during the load, per report."
    )
    checks = [["database", "target", "measured", "result"]]
    ok = True
    for label in dict.fromkeys(r["database"].label for r in results):
        mine = [r for r in results if r["database"].label == label]
        most = next(r for r in mine if r["paced_rate"] is None)
        paced = next(r for r in mine if r["paced_rate"] is not None)
        p95 = percentile(most["to_sms"], 95) if most["to_sms"] else float("inf")
        paced95 = percentile(paced["to_sms"], 95) if paced["to_sms"] else float("inf")
        created = sum(r["created"] for r in mine)
        every_sms = (
            all(r["sms_missing"] == 0 for r in mine)
            and all(r["statuses"].get("awaiting_move", 0) == r["created"] for r in mine)
            and most["console_total"] == created
        )
        clean = all(r["failed"] == 0 for r in mine) and not most["errors"]
        rate_ok = most["rate"] >= TARGET_RATE
        p95_ok = p95 <= TARGET_P95_MS
        checks += [
            [
                label,
                f"≥ {TARGET_RATE:g} reports/s (max)",
                f"{most['rate']:.1f}/s",
                verdict(rate_ok),
            ],
            [
                label,
                f"upload→SMS p95 ≤ {TARGET_P95_MS:g} ms (max)",
                f"{p95:.0f} ms at {most['rate']:.1f}/s",
                verdict(p95_ok),
            ],
            [
                label,
                f"information: upload→SMS p95 at a steady {paced['paced_rate']:g} reports/s",
                f"{paced95:.0f} ms at {paced['rate']:.1f}/s",
                "info",
            ],
            [
                label,
                "one SMS per report, no duplicates",
                f"reports={created} console={most['console_total']} "
                f"missing={sum(r['sms_missing'] for r in mine)}",
                verdict(every_sms),
            ],
            [
                label,
                "no failed requests, no errors logged",
                f"{sum(r['failed'] for r in mine)} failed, {len(most['errors'])} error lines",
                verdict(clean),
            ],
        ]
        ok = ok and rate_ok and p95_ok and every_sms and clean
        for line in [*most["client_errors"], *paced["client_errors"], *most["errors"][:5]]:
            print(f"   {label}: {line}")
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
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument(
        "--max-reports", type=int, default=4000, help="upper bound of reports (both loads)"
    )
    parser.add_argument(
        "--paced-rate", type=float, default=TARGET_RATE, help="reports/s of the paced load"
    )
    parser.add_argument("--paced-clients", type=int, default=8, help="clients of the paced load")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (as make run)")
    parser.add_argument(
        "--web-threads", type=int, default=4, help="threads per worker (as make run)"
    )
    parser.add_argument(
        "--sqlite-backends",
        default=",".join(_report_flow_sqlite.BACKENDS),
        help="SQLite backends to run side by side: gate (smartduty.kernel.sqlite), stock",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="SQLite runs per backend (alternating)"
    )
    _stack.add_database_options(parser)
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.sqlite_backends.split(",") if name.strip()]
    if unknown := set(backends) - set(_report_flow_sqlite.BACKENDS):
        parser.error(f"unknown SQLite backend(s): {', '.join(sorted(unknown))}")
    _stack.print_machine()
    results = _stack.on_each_database(
        args,
        "smartduty-bench-flow-",
        lambda database, workdir: run_one(database, args, workdir),
        sqlite_variants=_report_flow_sqlite.variants(backends, args.rounds),
    )
    if not results:
        print("nothing measured")
        return 1
    passed = report(results, args)
    _report_flow_sqlite.compare(results)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
