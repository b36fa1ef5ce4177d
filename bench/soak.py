"""Soak benchmark: the whole core loop at 10× Liaocheng's peak, with the worker running.

    .venv/bin/python -m bench.soak [--db sqlite|postgres|both] [--duration 600]
        [--kill-worker-every 60] [--move-window 30] [--generators 2] [--pg-url URL] [--keep]

Peak sizing (the seed article, 聊城日报 2022-09-21, and docs in ../shared/brief/domain.md):
15,722 parking cases (11,784 劝离 + 3,938 贴单) since 1 September, i.e. in about 20 days
= 786 cases/day. Spread over the 14 active hours of the command centre (07:00-21:00) that is
56 cases/h on average; the peak hour is taken as 3× the mean active hour (school pickup at
11:30 and the lunch-time streets of the article; an assumption, `--peak-factor`), so 168
cases/h at Liaocheng's peak and **1,685 cases/h = 0.47 reports/s at 10×**. Officers: one case
per 10 minutes per officer on the street at the peak (assumption) gives 29 officers at
Liaocheng's peak and 281 officer accounts at 10×; 75 % of re-checks find the car gone
(11,784 / 15,722), 25 % still there (a notice is issued, printed and photographed).

The load mirrors what the front ends do (frontend/officer-app, frontend/command-centre):
- every case: POST /parking-reports (a real JPEG of the car with a registered plate, drawn
  by `manage.py demo_photo`'s generator, plate, place, lat/lon, idempotency key); then the
  officer app's SMS poll (GET /outbox/deliveries every 1 s until sent, then GET
  /outbox/console); when the move window has passed, the case view (report, timeline,
  deliveries, console, every 3 s until `awaiting_recheck`), then POST .../recheck with a
  second photo; for `still_there`, GET notice.pdf and 20 s later POST .../notice-photo.
  A failed write (timeout, connection error, 429, 5xx) is retried like the app's offline
  queue (after Retry-After or 10 s, same idempotency key, at most 3 retries).
- every officer account: the home screen's poll (my reports, today's counters, app
  notifications) every 5 s while the app is in the foreground; `--foreground` (default 0.2)
  of the time, i.e. one poll every 25 s per officer.
- the command centre: 2 screens at Liaocheng (assumption), 20 at 10×, each polling the
  dashboard and the console SMS feed every 5 s (`WEB_POLL_SECONDS`).
Plate reading (POST /plates/read) is not part of this load (it needs the model files; see
`bench.report_reading`); the officer confirms the plate with the upload.

The move window is shortened with SMARTDUTY_MOVE_WINDOW_SECONDS (`--move-window`, default
30 s) so that deadlines fire during the soak.

Honest load: arrivals are open loop (a Poisson schedule fixed before the start; a slow answer
never delays the next arrival) in `--generators` separate processes (not in gunicorn's or
this process's GIL); every request's latency counts from its due time, a timeout
(`--timeout`, 10 s) is an error, and every outcome is recorded. 429 and 503 are counted
separately (rate limits and load shedding).

Checks after the load (the worker drains first): reports created = reports requested (rows
with our idempotency keys), SMS sent = SMS due (one sent owner SMS delivery per notified
report, and one console-provider message per delivery: the console provider's unique
idempotency key is how the product proves "sent once"; a second hand-over shows as a second
`sent` attempt), deadlines fired = deadlines due, no duplicates; RSS of the gunicorn master +
workers and of run_worker at the start and end of the load (/proc). With
`--kill-worker-every N` the worker is SIGKILLed and restarted every N seconds during the
load. Nothing is written into the repository.

This module orchestrates one run per database; `bench._soak_sizing` holds the sizing, the
schedule and the summaries, `bench._soak_children` the child operations, `bench._soak_generator`
the load generator processes and `bench._soak_report` the printed figures and checks.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import _stack
from bench._soak_children import CHILD_OPS
from bench._soak_generator import generate
from bench._soak_report import checks_of, report_one
from bench._soak_sizing import (
    DASHBOARD_POLL_S,
    GONE_SHARE,
    HOME_POLL_S,
    MAX_RETRIES,
    MULTIPLIER,
    PEAK_FACTOR,
    PLACES,
    Sizing,
    memory_growth,
    poisson_arrivals,
)
from bench._stack import Database, Proc, verdict
from bench.report_flow import MODULE as FLOW
from bench.report_flow import _postgres_cpu, _tree_cpu, start_gunicorn

MODULE = "bench.soak"


class Sampler:
    """RSS of gunicorn (master + workers) and of the current run_worker, every few seconds."""

    def __init__(self, web: Proc, worker_of: Callable[[], Proc], every: float = 5.0) -> None:
        self.web = web
        self.worker_of = worker_of
        self.every = every
        self.web_samples: list[tuple[float, int]] = []
        self.worker_samples: list[tuple[float, int, int]] = []  # (t, pid, kib)
        self.web_pids: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Take one sample now."""
        now = time.monotonic()
        pids = [self.web.proc.pid, *_stack.child_pids(self.web.proc.pid)]
        self.web_pids.update(pids[1:])
        self.web_samples.append((now, sum(_stack.rss_kib(pid) or 0 for pid in pids)))
        worker = self.worker_of()
        kib = _stack.rss_kib(worker.proc.pid)
        if kib is not None:
            self.worker_samples.append((now, worker.proc.pid, kib))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def start(self) -> None:
        """Sample now, then in the background."""
        self.sample()
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling after one last sample."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.sample()


class WorkerKeeper:
    """The run_worker process; with `every`, SIGKILL and restart it every `every` seconds."""

    def __init__(self, env: dict[str, str], workdir: Path, every: float) -> None:
        self.env = env
        self.workdir = workdir
        self.every = every
        self.generation = 0
        self.kills = 0
        self.logs: list[Path] = []
        self.worker = self._start()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _start(self) -> Proc:
        self.generation += 1
        log = self.workdir / f"worker.{self.generation}.log"
        self.logs.append(log)
        return _stack.start_worker(self.env, log)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.worker.kill()
            self.kills += 1
            self.worker = self._start()

    def start_killing(self) -> None:
        """Begin the kill/restart cycle (when `every` > 0)."""
        if self.every > 0:
            self._thread.start()

    def stop_killing(self) -> None:
        """End the cycle; a worker is running afterwards."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=120)

    def stop(self) -> None:
        """Stop the running worker cleanly."""
        self.worker.stop()

    def output(self) -> str:
        """Everything every worker generation printed."""
        return "\n".join(log.read_text(errors="replace") for log in self.logs if log.exists())


def build_plan(
    args: argparse.Namespace, sizing: Sizing, plates: list[str], tokens: dict[str, Any]
) -> list[dict[str, Any]]:
    """The schedule, split into one plan per generator process."""
    rng = random.Random(args.seed)
    arrivals = poisson_arrivals(sizing.target_per_second, args.duration, args.seed)
    if len(arrivals) > len(plates):
        raise RuntimeError(f"{len(arrivals)} arrivals but only {len(plates)} plates")
    officers = tokens["officers"]
    cases = []
    for index, t0 in enumerate(arrivals):
        cases.append(
            {
                "index": index,
                "t0": t0,
                "key": f"soak-{uuid.uuid4().hex}",
                "plate": plates[index],
                "token": rng.choice(officers),
                "place": rng.choice(PLACES),
                "lat": round(36.4561 + rng.uniform(-0.01, 0.01), 6),
                "lon": round(115.9851 + rng.uniform(-0.01, 0.01), 6),
                "outcome": "gone" if rng.random() < GONE_SHARE else "still_there",
            }
        )
    generators = args.generators
    return [
        {
            "cases": cases[g::generators],
            "officers": officers[g::generators],
            "screens": tokens["screens"][g::generators],
            "home_period": HOME_POLL_S / args.foreground,
            "move_window": args.move_window,
            "duration": args.duration,
            "timeout": args.timeout,
            "threads": args.threads,
            "seed": args.seed + g,
        }
        for g in range(generators)
    ]


def run_one(database: Database, args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """One database: set up, soak, drain, audit; print its figures at once."""
    sizing = args.sizing
    workdir.mkdir(parents=True, exist_ok=True)
    env = _stack.base_env(
        database, workdir / "var", SMARTDUTY_MOVE_WINDOW_SECONDS=str(args.move_window)
    )
    print(f"\n== {database.label} ({database.note})", flush=True)
    expected = len(poisson_arrivals(sizing.target_per_second, args.duration, args.seed))
    _stack.manage(env, "migrate", "--noinput", "-v", "0")
    _stack.manage(env, "seed_demo")
    plates = _stack.child(FLOW, env, "setup", extra=expected + 10)["plates"]
    random.Random(args.seed).shuffle(plates)
    tokens = _stack.child(MODULE, env, "prepare", officers=sizing.officers, screens=sizing.screens)
    photo_dir = workdir / "photos"
    photos = _stack.child(MODULE, env, "photos", plates=plates[:expected], directory=str(photo_dir))
    _stack.child(FLOW, env, "settle")
    keeper = WorkerKeeper(env, workdir, args.kill_worker_every)
    web, base_url = start_gunicorn(env, workdir, args)
    plans = build_plan(args, sizing, plates, tokens)
    print(
        f"   {expected} cases at {sizing.target_per_second:.3f}/s for {args.duration:g} s, "
        f"{sizing.officers} officers (home poll every {HOME_POLL_S / args.foreground:g} s), "
        f"{sizing.screens} command screens (every {DASHBOARD_POLL_S:g} s), move window "
        f"{args.move_window} s, photos {photos['mean_kb']:.0f} kB JPEG 1280×960; gunicorn "
        f"{args.web_workers}×{args.web_threads} + run_worker"
        + (f" SIGKILLed every {args.kill_worker_every:g} s" if args.kill_worker_every else ""),
        flush=True,
    )
    sampler = Sampler(web, lambda: keeper.worker)
    procs = []
    try:
        start_epoch = time.time() + 5 + 0.002 * expected  # time for the generators to load photos
        for plan in plans:
            plan.update(base_url=base_url, start_epoch=start_epoch, photo_dir=str(photo_dir))
        procs = _launch_generators(plans, env, workdir)
        _stack.pause(max(0.0, start_epoch - time.time()))
        sampler.start()
        keeper.start_killing()
        cpu0 = {"web": _tree_cpu(web), "db": _postgres_cpu()}
        for proc in procs:
            proc.wait(timeout=args.duration + args.timeout * (MAX_RETRIES + 2) + 120)
        load_end = time.time()
        keeper.stop_killing()
        sampler.stop()
        cpu = {"web": _tree_cpu(web) - cpu0["web"], "db": _postgres_cpu() - cpu0["db"]}
        drain_s = _drain(env, args.drain_timeout)
        generated = _collect(workdir, len(plans))
        records = [r for g in generated for r in g["records"]]
        cases = [c for g in generated for c in g["cases"]]
        audit = _stack.child(MODULE, env, "audit", keys=[c["key"] for c in cases])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        web.stop()
        keeper.stop_killing()
        keeper.stop()
    log_errors, provider_lines = _log_findings(web.output(), keeper.output())
    result = {
        "database": database,
        "epoch0": start_epoch,
        "load_seconds": load_end - start_epoch,
        "drain_seconds": drain_s,
        "records": records,
        "cases": cases,
        "audit": audit,
        "kills": keeper.kills,
        "web_mem": memory_growth(sampler.web_samples, warm_after=args.warm_up),
        "web_pids": sorted(sampler.web_pids),
        "worker_samples": sampler.worker_samples,
        "log_errors": log_errors,
        "provider_lines": provider_lines,
        "cpu": cpu,
    }
    report_one(result, args)
    return [result]


def _launch_generators(
    plans: list[dict[str, Any]], env: dict[str, str], workdir: Path
) -> list[subprocess.Popen[bytes]]:
    """One `python -m bench.soak gen` process per plan."""
    procs = []
    for index, plan in enumerate(plans):
        plan_path = workdir / f"plan.{index}.json"
        plan_path.write_text(json.dumps(plan))
        argv = [
            _stack.PYTHON,
            "-m",
            MODULE,
            "gen",
            str(plan_path),
            str(workdir / f"out.{index}.json"),
        ]
        with (workdir / f"gen.{index}.log").open("w") as log:
            procs.append(
                subprocess.Popen(
                    argv,
                    cwd=_stack.REPO,
                    env={**env, "PYTHONPATH": str(_stack.REPO)},
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
    return procs


def _collect(workdir: Path, count: int) -> list[dict[str, Any]]:
    """The records and cases each generator wrote."""
    generated = []
    for index in range(count):
        out = workdir / f"out.{index}.json"
        if not out.exists():
            log = (workdir / f"gen.{index}.log").read_text()
            raise RuntimeError(f"generator {index} failed:\n{log}")
        generated.append(json.loads(out.read_text()))
    return generated


def _log_findings(web_log: str, worker_log: str) -> tuple[list[str], dict[str, int]]:
    """Error lines of the web and worker logs; the console provider's "sent" lines by channel
    (it logs once per message it stores)."""
    errors = [
        line
        for text in (web_log, worker_log)
        for line in text.splitlines()
        if " ERROR " in line or "Traceback" in line
    ]
    sent = Counter(
        line.split("控制台", 1)[1].split(" →", 1)[0]
        for line in worker_log.splitlines()
        if "控制台" in line and " → " in line
    )
    return errors, dict(sent)


def _drain(env: dict[str, str], timeout: float) -> float:
    """Wait until the worker has sent every message and fired every due timer."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        backlog = _stack.child(MODULE, env, "backlog")
        if not backlog["deliveries"] and not backlog["timers"]:
            break
        _stack.pause(1.0)
    return time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    """Run the soak on the chosen databases; exit 1 on a FAIL."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        _stack.run_child_op(CHILD_OPS, argv[1:])
        return 0
    if argv[:1] == ["gen"]:
        generate(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load")
    parser.add_argument("--kill-worker-every", type=float, default=0.0, help="SIGKILL period")
    parser.add_argument("--move-window", type=int, default=30, help="move window (s)")
    parser.add_argument("--peak-factor", type=float, default=PEAK_FACTOR)
    parser.add_argument("--multiplier", type=float, default=MULTIPLIER)
    parser.add_argument("--foreground", type=float, default=0.2, help="app in foreground share")
    parser.add_argument("--generators", type=int, default=2, help="load generator processes")
    parser.add_argument("--threads", type=int, default=128, help="threads per generator")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout (s)")
    parser.add_argument("--drain-timeout", type=float, default=180.0)
    parser.add_argument(
        "--warm-up", type=float, default=60.0, help="seconds before the memory baseline"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (as make run)")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per worker")
    _stack.add_database_options(parser)
    args = parser.parse_args(argv)
    args.skip_sqlite = args.skip_sqlite or args.db == "postgres"
    args.skip_pg = args.skip_pg or args.db == "sqlite"
    args.sizing = Sizing(peak_factor=args.peak_factor, multiplier=args.multiplier)
    _stack.print_machine()
    print("Soak at 10× Liaocheng's peak; sizing:")
    for line in args.sizing.describe():
        print(f"   {line}")
    print(
        "   note: the machine is shared (2 cores, other engineers' builds and tests run on it), "
        "so the figures are taken on a loaded machine"
    )
    results = _stack.on_each_database(
        args, "smartduty-bench-soak-", lambda database, workdir: run_one(database, args, workdir)
    )
    if not results:
        print("nothing measured")
        return 1
    ok = all(passed for r in results for _, _, passed in checks_of(r))
    print(f"\nsoak: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
