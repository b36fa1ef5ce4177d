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
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import _stack
from bench._stack import Database, Proc, percentile, table, verdict
from bench.report_flow import MODULE as FLOW
from bench.report_flow import _postgres_cpu, _tree_cpu, start_gunicorn

MODULE = "bench.soak"

# The seed and the sizing assumptions (see the module docstring).
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


# --- sizing and summaries (pure, unit-tested) ----------------------------------------------


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


# --- child operations (Django set up, in a subprocess) -------------------------------------


def _prepare(*, officers: int, screens: int) -> dict[str, Any]:
    """`officers` 队员 accounts (tokens only, no password) in the demo's two squads, and
    `screens` bearer tokens of the demo command-centre user."""
    from django.contrib.auth import get_user_model  # noqa: PLC0415 - children only

    from smartduty.org.models import Officer  # noqa: PLC0415
    from smartduty.org.services import create_officer, issue_token  # noqa: PLC0415
    from smartduty.org.states import Role  # noqa: PLC0415

    units = [
        Officer.objects.get(user__username=name).unit for name in ("dong_officer", "xi_officer")
    ]
    tokens = []
    for index in range(officers):
        officer = create_officer(
            username=f"soak_officer_{index:04d}",
            password=None,  # type: ignore[arg-type]  # unusable password: bearer tokens only
            name=f"压测队员{index}",
            badge_number=f"SK{index:05d}",
            unit=units[index % len(units)],
            roles=[Role.OFFICER],
        )
        tokens.append(issue_token(user=officer.user, name="soak")[1])
    commander = get_user_model().objects.get(username="zhihui")
    screen_tokens = [issue_token(user=commander, name="soak-screen")[1] for _ in range(screens)]
    return {"officers": tokens, "screens": screen_tokens}


def _photos(*, plates: list[str], directory: str) -> dict[str, Any]:
    """Two real JPEGs per plate (the scene, and the re-check a few minutes later), drawn by
    `manage.py demo_photo`'s generator (1280×960, quality 90)."""
    from PIL import ImageDraw  # noqa: PLC0415

    from smartduty.demo.management.commands.demo_photo import draw_scene  # noqa: PLC0415

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index, plate in enumerate(plates):
        for second in (0, 1):
            image = draw_scene(plate)
            if second:  # the same car later: a pedestrian passed, the light changed
                ImageDraw.Draw(image).rectangle((40, 40, 140, 300), fill=(60, 60, 90))
            path = out / f"{index}-{second}.jpg"
            image.save(path, "JPEG", quality=90)
            total += path.stat().st_size
    return {"count": 2 * len(plates), "mean_kb": total / max(1, 2 * len(plates)) / 1024}


def _backlog() -> dict[str, Any]:
    """Work the worker still has to do now: open deliveries, due pending timers."""
    from django.utils import timezone  # noqa: PLC0415

    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import Delivery  # noqa: PLC0415

    return {
        "deliveries": Delivery.objects.filter(status__in=["pending", "sending"]).count(),
        "timers": Timer.objects.filter(status="pending", due_at__lte=timezone.now()).count(),
    }


def _audit(*, keys: list[str]) -> dict[str, Any]:
    """What the database holds for the cases with these idempotency keys."""
    from django.db.models import Count  # noqa: PLC0415

    from smartduty.kernel.models import Timer  # noqa: PLC0415
    from smartduty.notifications.models import (  # noqa: PLC0415
        ConsoleMessage,
        Delivery,
        DeliveryAttempt,
    )
    from smartduty.parking.models import ParkingNotice, ParkingReport  # noqa: PLC0415
    from smartduty.parking.services import MOVE_DEADLINE  # noqa: PLC0415
    from smartduty.parking.states import SUBJECT  # noqa: PLC0415

    reports = list(
        ParkingReport.objects.filter(idempotency_key__in=keys).values(
            "pk", "idempotency_key", "status", "owner_notified_at"
        )
    )
    by_pk = {str(r["pk"]): r for r in reports}
    key_counts = Counter(r["idempotency_key"] for r in reports)
    deliveries = list(
        Delivery.objects.filter(subject_type=SUBJECT, subject_id__in=list(by_pk)).values(
            "pk", "public_id", "channel", "subject_id", "status", "template_code", "dedupe_key"
        )
    )
    sms = [d for d in deliveries if d["channel"] == "sms"]
    push = [d for d in deliveries if d["channel"] == "app_push"]
    sms_per_report = Counter(d["subject_id"] for d in sms)
    push_per_report = Counter(d["subject_id"] for d in push)
    console = dict(
        ConsoleMessage.objects.filter(
            idempotency_key__in=[str(d["public_id"]) for d in deliveries]
        ).values_list("idempotency_key", "created_at")
    )
    sent_attempts = Counter(
        DeliveryAttempt.objects.filter(
            delivery_id__in=[d["pk"] for d in deliveries], outcome="sent"
        ).values_list("delivery_id", flat=True)
    )
    attempt_outcomes = dict(
        DeliveryAttempt.objects.filter(delivery_id__in=[d["pk"] for d in deliveries])
        .values_list("outcome")
        .annotate(n=Count("id"))
    )
    timers = list(
        Timer.objects.filter(kind=MOVE_DEADLINE, subject_id__in=list(by_pk)).values(
            "subject_id", "status", "due_at", "fired_at"
        )
    )
    timer_per_report = Counter(t["subject_id"] for t in timers)
    sms_at = {}
    for d in sms:
        at = console.get(str(d["public_id"]))
        if at is not None:
            sms_at[by_pk[d["subject_id"]]["idempotency_key"]] = at.timestamp()
    notified = [pk for pk, r in by_pk.items() if r["owner_notified_at"] is not None]
    return {
        "reports": len(reports),
        "reports_total_in_db": ParkingReport.objects.count(),
        "keys_with_two_reports": sum(1 for n in key_counts.values() if n > 1),
        "statuses": dict(Counter(r["status"] for r in reports)),
        "sms_due": len(notified),
        "sms_deliveries": len(sms),
        "sms_statuses": dict(Counter(d["status"] for d in sms)),
        "sms_sent": sum(1 for d in sms if d["status"] == "sent"),
        "notified_without_sms": sum(1 for pk in notified if sms_per_report[pk] == 0),
        "reports_with_two_sms": sum(1 for n in sms_per_report.values() if n > 1),
        "sms_in_console": sum(1 for d in sms if str(d["public_id"]) in console),
        "sent_without_console": sum(
            1 for d in deliveries if d["status"] == "sent" and str(d["public_id"]) not in console
        ),
        "push_deliveries": len(push),
        "push_sent": sum(1 for d in push if d["status"] == "sent"),
        "reports_with_two_push": sum(1 for n in push_per_report.values() if n > 1),
        "delivered_twice": sum(1 for n in sent_attempts.values() if n > 1),
        "attempt_outcomes": attempt_outcomes,
        "console_total": ConsoleMessage.objects.count(),
        "timers": len(timers),
        "reports_with_two_timers": sum(1 for n in timer_per_report.values() if n > 1),
        "timer_statuses": dict(Counter(t["status"] for t in timers)),
        "timer_late_ms": sorted(
            (t["fired_at"] - t["due_at"]).total_seconds() * 1000
            for t in timers
            if t["fired_at"] is not None and t["status"] == "done"
        ),
        "timers_due_now": sum(
            1
            for t in timers
            if t["status"] in ("done", "failed")
            or (t["status"] == "pending" and t["due_at"].timestamp() <= time.time())
        ),
        "timers_overdue_pending": sum(
            1 for t in timers if t["status"] == "pending" and t["due_at"].timestamp() <= time.time()
        ),
        "notices": ParkingNotice.objects.filter(report_id__in=[r["pk"] for r in reports]).count(),
        "sms_at": sms_at,
    }


CHILD_OPS = {"prepare": _prepare, "photos": _photos, "backlog": _backlog, "audit": _audit}


# --- the load generator (its own processes: `python -m bench.soak gen plan.json out.json`) --


class Generator:
    """Runs one share of the schedule against the server, open loop, and records outcomes."""

    def __init__(self, plan: dict[str, Any]) -> None:
        import httpx  # noqa: PLC0415 - only the generator processes need it

        self.plan = plan
        self.httpx = httpx
        threads = int(plan["threads"])
        self.client = httpx.Client(
            base_url=plan["base_url"],
            timeout=httpx.Timeout(plan["timeout"]),
            # idle connections are dropped after 1 s, below gunicorn's keep-alive of 2 s, as a
            # browser's pool does: a request never goes out on a connection the server is
            # closing at that moment (which httpx reports as a ReadError, not a server error)
            limits=httpx.Limits(
                max_connections=threads, max_keepalive_connections=threads, keepalive_expiry=1.0
            ),
        )
        self.pool = ThreadPoolExecutor(max_workers=threads)
        self.duration = float(plan["duration"])
        self.mono0 = time.monotonic() + (plan["start_epoch"] - time.time())
        self.heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.seq = itertools.count()
        self.cond = threading.Condition()
        self.outstanding = 0
        self.records: list[dict[str, Any]] = []
        self.cases: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.photos = {
            name: Path(plan["photo_dir"], name).read_bytes()
            for case in plan["cases"]
            for name in (f"{case['index']}-0.jpg", f"{case['index']}-1.jpg")
        }

    # scheduling

    def now(self) -> float:
        """Seconds since the load started."""
        return time.monotonic() - self.mono0

    def at(self, due: float, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn(due, *args)` at offset `due`; nothing is due after the end of the load."""
        if due >= self.duration:
            return
        with self.cond:
            heapq.heappush(self.heap, (due, next(self.seq), fn, args))
            self.cond.notify()

    def run(self) -> dict[str, Any]:
        """Schedule everything, dispatch until the end, wait for requests in flight."""
        for case in self.plan["cases"]:
            self.cases[case["key"]] = {"key": case["key"], "due": case["t0"], "public_id": None}
            self.at(case["t0"], self.upload, case, 0)
        rng = random.Random(self.plan["seed"])
        for token in self.plan["officers"]:
            self.at(rng.uniform(0, self.plan["home_period"]), self.home, token)
        for token in self.plan["screens"]:
            self.at(rng.uniform(0, DASHBOARD_POLL_S), self.dashboard, token)
        while True:
            with self.cond:
                while True:
                    if not self.heap:
                        if self.now() >= self.duration:
                            break
                        self.cond.wait(0.2)
                        continue
                    wait = self.heap[0][0] - self.now()
                    if wait <= 0:
                        break
                    self.cond.wait(min(wait, 0.2))
                if not self.heap:
                    break
                due, _, fn, args = heapq.heappop(self.heap)
            self.submit(fn, due, *args)
        with self.cond:  # requests in flight may still start others (a page's parallel calls)
            while self.outstanding:
                self.cond.wait(0.2)
        self.pool.shutdown(wait=True)
        self.client.close()
        return {"records": self.records, "cases": list(self.cases.values())}

    def submit(self, fn: Callable[..., Any], due: float, *args: Any, **kwargs: Any) -> None:
        """Run `fn(due, ...)` on the pool now (it is due already)."""
        with self.cond:
            self.outstanding += 1
        self.pool.submit(self._safe, fn, due, *args, **kwargs)

    def fire(self, kind: str, due: float, method: str, url: str, token: str, **kwargs: Any) -> None:
        """One request in parallel with the caller's (a page's `Promise.all`)."""
        self.submit(self._request, due, kind, method, url, token, **kwargs)

    def _safe(self, fn: Callable[..., Any], due: float, *args: Any, **kwargs: Any) -> None:
        try:
            fn(due, *args, **kwargs)
        except Exception as exc:  # a bug here must not stop the load; it is counted
            with self.lock:
                self.records.append(
                    {"kind": "generator_bug", "status": type(exc).__name__, "ms": 0, "lag": 0}
                )
        finally:
            with self.cond:
                self.outstanding -= 1
                self.cond.notify_all()

    def call(self, kind: str, due: float, method: str, url: str, token: str, **kwargs: Any) -> Any:
        """See `_request`."""
        return self._request(due, kind, method, url, token, **kwargs)

    def _request(
        self, due: float, kind: str, method: str, url: str, token: str, **kwargs: Any
    ) -> Any:
        """One request; its outcome and latency (from `due`) are recorded. None on a
        timeout or connection error."""
        started = self.now()
        response = None
        error = ""
        try:
            response = self.client.request(
                method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
            status: int | str = response.status_code
        except self.httpx.TimeoutException:
            status = "timeout"
        except self.httpx.HTTPError as exc:
            status = "conn_error"
            error = type(exc).__name__
        ended = self.now()
        with self.lock:
            self.records.append(
                {
                    "kind": kind,
                    "status": status,
                    "ms": (ended - due) * 1000,
                    "lag": max(0.0, started - due) * 1000,
                    **({"error": error} if error else {}),
                }
            )
        return response

    def retry_after(self, response: Any) -> float | None:
        """When to retry a failed write (None: do not)."""
        if response is None:
            return APP_RETRY_S
        if response.status_code in (429, 503) or response.status_code >= 500:
            try:
                return max(1.0, float(response.headers.get("Retry-After", APP_RETRY_S)))
            except ValueError:
                return APP_RETRY_S
        return None

    # the officer app

    def upload(self, due: float, case: dict[str, Any], attempt: int) -> None:
        """POST /parking-reports with the photo and the confirmed plate."""
        response = self.call(
            "upload",
            due,
            "POST",
            "/api/v1/parking-reports",
            case["token"],
            files={"file": ("scene.jpg", self.photos[f"{case['index']}-0.jpg"], "image/jpeg")},
            data={
                "plate": case["plate"],
                "place": case["place"],
                "lat": str(case["lat"]),
                "lon": str(case["lon"]),
                "accuracy_m": "8",
                "idempotency_key": case["key"],
            },
        )
        if response is not None and response.status_code in (200, 201):
            public_id = response.json()["public_id"]
            self.cases[case["key"]]["public_id"] = public_id
            self.cases[case["key"]]["http"] = response.status_code
            self.at(self.now(), self.sms_poll, case, public_id, 0)
            window = float(self.plan["move_window"])
            self.at(due + window + 1.0, self.case_view, case, public_id, 0)
            return
        delay = self.retry_after(response)
        if delay is not None and attempt < MAX_RETRIES:
            self.at(self.now() + delay, self.upload, case, attempt + 1)
        else:
            self.cases[case["key"]]["gave_up"] = (
                response.status_code if response is not None else "timeout"
            )

    def sms_poll(self, due: float, case: dict[str, Any], public_id: str, polls: int) -> None:
        """ReportView: deliveries every second until the SMS is sent, then the console copy."""
        response = self.call(
            "sms_poll",
            due,
            "GET",
            "/api/v1/outbox/deliveries",
            case["token"],
            params={"report_id": public_id},
        )
        sent = (
            response is not None
            and response.status_code == 200
            and any(
                d.get("channel") == "sms" and d.get("status") == "sent" for d in response.json()
            )
        )
        if sent:
            self.call(
                "sms_console",
                self.now(),
                "GET",
                "/api/v1/outbox/console",
                case["token"],
                params={"report_id": public_id, "limit": 5},
            )
        elif polls < 15:
            self.at(due + SMS_POLL_S, self.sms_poll, case, public_id, polls + 1)

    def case_view(self, due: float, case: dict[str, Any], public_id: str, polls: int) -> None:
        """CaseView after the window: report, timeline, deliveries, console every 3 s until
        the deadline has fired, then the re-check."""
        token = case["token"]
        base = f"/api/v1/parking-reports/{public_id}"
        self.fire("case_timeline", due, "GET", f"{base}/timeline", token)
        self.fire(
            "case_deliveries",
            due,
            "GET",
            "/api/v1/outbox/deliveries",
            token,
            params={"report_id": public_id},
        )
        self.fire(
            "case_console",
            due,
            "GET",
            "/api/v1/outbox/console",
            token,
            params={"report_id": public_id, "limit": 5},
        )
        response = self.call("case_report", due, "GET", base, token)
        status = (
            response.json().get("status")
            if response is not None and response.status_code == 200
            else None
        )
        if status == "awaiting_recheck":
            self.at(self.now() + 1.0, self.recheck, case, public_id, 0)
        elif status in (None, "awaiting_move") and polls < 40:
            self.at(due + CASE_POLL_S, self.case_view, case, public_id, polls + 1)

    def recheck(self, due: float, case: dict[str, Any], public_id: str, attempt: int) -> None:
        """POST .../recheck with the second photo: gone or still there."""
        base = f"/api/v1/parking-reports/{public_id}"
        if attempt:  # a retry: the earlier try may have been applied after all
            current = self.call("case_report", due, "GET", base, case["token"])
            applied = current is not None and current.status_code == 200
            if applied and current.json().get("status") != "awaiting_recheck":
                return
        response = self.call(
            "recheck",
            due,
            "POST",
            f"{base}/recheck",
            case["token"],
            files={"file": ("recheck.jpg", self.photos[f"{case['index']}-1.jpg"], "image/jpeg")},
            data={
                "outcome": case["outcome"],
                "lat": str(case["lat"] + 0.00001),
                "lon": str(case["lon"]),
                "accuracy_m": "8",
            },
        )
        if response is not None and response.status_code == 200:
            self.cases[case["key"]]["rechecked"] = case["outcome"]
            if case["outcome"] == "still_there":
                self.call(
                    "notice_pdf",
                    self.now(),
                    "GET",
                    f"{base}/notice.pdf",
                    case["token"],
                    params={"layout": "a6"},
                )
                self.at(self.now() + NOTICE_WALK_S, self.notice_photo, case, public_id, 0)
            return
        delay = self.retry_after(response)
        if delay is not None and attempt < MAX_RETRIES:
            self.at(self.now() + delay, self.recheck, case, public_id, attempt + 1)

    def notice_photo(self, due: float, case: dict[str, Any], public_id: str, attempt: int) -> None:
        """POST .../notice-photo: the photo of the posted notice closes the case."""
        response = self.call(
            "notice_photo",
            due,
            "POST",
            f"/api/v1/parking-reports/{public_id}/notice-photo",
            case["token"],
            files={"file": ("notice.jpg", self.photos[f"{case['index']}-1.jpg"], "image/jpeg")},
            data={"lat": str(case["lat"]), "lon": str(case["lon"])},
        )
        if response is not None and response.status_code == 200:
            self.cases[case["key"]]["closed"] = True
            return
        delay = self.retry_after(response)
        if delay is not None and attempt < MAX_RETRIES:
            self.at(self.now() + delay, self.notice_photo, case, public_id, attempt + 1)

    def home(self, due: float, token: str) -> None:
        """HomeView's poll: my reports, today's counters, app notifications."""
        self.fire(
            "home_reports",
            due,
            "GET",
            "/api/v1/parking-reports",
            token,
            params={"mine": "true", "limit": 50},
        )
        self.fire("home_today", due, "GET", "/api/v1/stats/parking/today", token)
        self.fire("home_notifications", due, "GET", "/api/v1/notifications/app", token)
        self.at(due + float(self.plan["home_period"]), self.home, token)

    def dashboard(self, due: float, token: str) -> None:
        """The command centre's poll: the dashboard and the console SMS feed."""
        self.fire("dashboard", due, "GET", "/api/v1/stats/parking/dashboard", token)
        self.fire("dashboard_sms", due, "GET", "/api/v1/outbox/console", token, params={"limit": 8})
        self.at(due + DASHBOARD_POLL_S, self.dashboard, token)


def _generate(plan_path: str, out_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    generator = Generator(plan)
    print("ready", flush=True)
    result = generator.run()
    Path(out_path).write_text(json.dumps(result))


# --- the orchestration ---------------------------------------------------------------------


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


# --- the report ----------------------------------------------------------------------------


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def _worker_memory(samples: list[tuple[float, int, int]], warm_up: float) -> str:
    """Start/end/max RSS per worker generation, condensed."""
    if not samples:
        return "no samples"
    by_pid: dict[int, list[tuple[float, int]]] = {}
    for t, pid, kib in samples:
        by_pid.setdefault(pid, []).append((t, kib))
    if len(by_pid) == 1:
        m = memory_growth(next(iter(by_pid.values())), warm_after=warm_up)
        return (
            f"start {m['start']:.1f} MiB, after {warm_up:g} s {m['warm']:.1f} MiB, end "
            f"{m['end']:.1f} MiB, max {m['max']:.1f} MiB, growth after warm-up "
            f"{m['growth']:+.1f} MiB"
        )
    lives = [memory_growth(v) for v in by_pid.values()]
    longest = max(by_pid.values(), key=lambda v: v[-1][0] - v[0][0])
    m = memory_growth(longest)
    return (
        f"{len(by_pid)} processes (restarted); max {max(x['max'] for x in lives):.1f} MiB; "
        f"longest-lived: start {m['start']:.1f} → end {m['end']:.1f} MiB "
        f"({m['growth']:+.1f} MiB over {longest[-1][0] - longest[0][0]:.0f} s)"
    )


def checks_of(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(check, measured, passed) for one database."""
    audit = result["audit"]
    cases = result["cases"]
    summary = summarize(result["records"])
    requested = len(cases)
    acknowledged = sum(1 for c in cases if c.get("public_id"))
    server_errors = sum(
        n
        for status, n in summary["all"]["statuses"].items()
        if status.isdigit() and int(status) >= 500 and int(status) != 503
    )
    timers_due = audit["timers_due_now"]
    fired = audit["timer_statuses"].get("done", 0)
    push_due = fired  # every fired deadline asks the unit for a re-check
    return [
        (
            "reports created = reports requested",
            f"requested {requested}, acknowledged {acknowledged}, in the database "
            f"{audit['reports']}, keys with two rows {audit['keys_with_two_reports']}",
            audit["reports"] == requested == acknowledged and not audit["keys_with_two_reports"],
        ),
        (
            "SMS sent = SMS due",
            f"due {audit['sms_due']} (owner notified), deliveries {audit['sms_deliveries']}, "
            f"sent {audit['sms_sent']}, at the console provider {audit['sms_in_console']}, "
            f"notified without SMS {audit['notified_without_sms']}",
            audit["sms_due"] == audit["sms_sent"] == audit["sms_in_console"] == requested
            and not audit["notified_without_sms"],
        ),
        (
            "deadlines fired = deadlines due",
            f"due by the end {timers_due}, fired {fired}, overdue still pending "
            f"{audit['timers_overdue_pending']}, failed {audit['timer_statuses'].get('failed', 0)}",
            fired == timers_due and not audit["timers_overdue_pending"],
        ),
        (
            "re-check pushes = fired deadlines",
            f"fired {push_due}, pushes {audit['push_deliveries']}, sent {audit['push_sent']}",
            audit["push_sent"] == audit["push_deliveries"] == push_due,
        ),
        (
            "nothing sent twice",
            f"reports with two SMS {audit['reports_with_two_sms']}, two pushes "
            f"{audit['reports_with_two_push']}, two deadlines {audit['reports_with_two_timers']}, "
            f"deliveries handed to the provider twice {audit['delivered_twice']}, sent without a "
            f"provider message {audit['sent_without_console']}",
            not (
                audit["reports_with_two_sms"]
                or audit["reports_with_two_push"]
                or audit["reports_with_two_timers"]
                or audit["delivered_twice"]
                or audit["sent_without_console"]
            ),
        ),
        (
            "no 5xx (other than 503), no timeouts, no errors logged",
            f"5xx {server_errors}, timeouts {summary['all']['statuses'].get('timeout', 0)}, "
            f"connection errors {summary['all']['statuses'].get('conn_error', 0)}, "
            f"error lines in logs {len(result['log_errors'])}",
            not server_errors
            and not summary["all"]["statuses"].get("timeout")
            and not summary["all"]["statuses"].get("conn_error")
            and not result["log_errors"],
        ),
    ]


def report_one(result: dict[str, Any], args: argparse.Namespace) -> None:
    """Print one database's figures."""
    label = result["database"].label
    summary = summarize(result["records"])
    audit = result["audit"]
    seconds = max(result["load_seconds"], 1e-9)
    print(
        f"\n-- {label}: {summary['all']['n']:,} requests in {seconds:.0f} s "
        f"({summary['all']['n'] / seconds:.1f}/s), {summary['all']['errors']:,} not 2xx; "
        f"drain {result['drain_seconds']:.1f} s; worker SIGKILLed {result['kills']} times"
    )
    statuses = sorted({s for k in summary.values() for s in k["statuses"]})
    rows = [["kind", "requests", *statuses, "p50", "p95", "p99", "max", "gen lag p99"]]
    for kind in [*sorted(k for k in summary if k != "all"), "all"]:
        s = summary[kind]
        rows.append(
            [
                kind,
                f"{s['n']:,}",
                *[str(s["statuses"].get(status, "")) for status in statuses],
                _ms(s["p50"]),
                _ms(s["p95"]),
                _ms(s["p99"]),
                _ms(s["max"]),
                _ms(s["lag_p99"]),
            ]
        )
    print(table(rows))
    print(
        "latency in ms from each request's due time (open loop); columns by HTTP status, "
        "timeout = no answer within "
        f"{args.timeout:g} s; gen lag = how late the generator started a request (its own delay)"
    )
    kinds_of_error = Counter(r["error"] for r in result["records"] if r.get("error"))
    print(
        f"rate limiting / load shedding: 429 × {summary['all']['statuses'].get('429', 0)}, "
        f"503 × {summary['all']['statuses'].get('503', 0)}; connection errors by type "
        f"{dict(kinds_of_error) or '-'}"
    )
    due = {c["key"]: c["due"] for c in result["cases"]}
    to_sms = sorted(
        (at - (result["epoch0"] + due[key])) * 1000
        for key, at in audit["sms_at"].items()
        if key in due
    )
    late = audit["timer_late_ms"]
    print(
        f"upload→SMS at the provider (ms): p50 {_ms(percentile(to_sms, 50))}, p95 "
        f"{_ms(percentile(to_sms, 95))}, p99 {_ms(percentile(to_sms, 99))}, max "
        f"{_ms(percentile(to_sms, 100))}; deadline fired late (ms): p50 "
        f"{_ms(percentile(late, 50))}, p95 {_ms(percentile(late, 95))}, "
        f"max {_ms(percentile(late, 100))}"
    )
    print(
        f"cases: statuses {audit['statuses']}; notices {audit['notices']}; rechecked "
        f"{sum(1 for c in result['cases'] if c.get('rechecked'))}, closed with the notice photo "
        f"{sum(1 for c in result['cases'] if c.get('closed'))}; gave up after retries "
        f"{sum(1 for c in result['cases'] if c.get('gave_up'))}"
    )
    print(
        f"outbox: attempts {audit['attempt_outcomes']}; "
        f"provider log lines {result['provider_lines']}; "
        f"console messages in the database {audit['console_total']}"
    )
    web = result["web_mem"]
    print(
        f"memory (RSS): web (gunicorn master + workers) at the start {web['start']:.1f} MiB, "
        f"after {args.warm_up:g} s {web['warm']:.1f} MiB, end {web['end']:.1f} MiB, max "
        f"{web['max']:.1f} MiB, growth after warm-up {web['growth']:+.1f} MiB "
        f"(worker pids seen {len(result['web_pids'])}); run_worker: "
        f"{_worker_memory(result['worker_samples'], args.warm_up)}"
    )
    print(
        f"CPU during the load: gunicorn {result['cpu']['web']:.0f} s"
        + (f", PostgreSQL {result['cpu']['db']:.0f} s" if result["cpu"]["db"] else "")
        + f" of {seconds:.0f} s wall on {_cpu_count()} CPUs"
    )
    for line in result["log_errors"][:5]:
        print(f"   log: {line[:300]}")
    rows = [["check", "measured", "result"]]
    for check, measured, passed in checks_of(result):
        rows.append([check, measured, verdict(passed)])
    print(table(rows), flush=True)


def _cpu_count() -> int:
    import os  # noqa: PLC0415

    return os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    """Run the soak on the chosen databases; exit 1 on a FAIL."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        _stack.run_child_op(CHILD_OPS, argv[1:])
        return 0
    if argv[:1] == ["gen"]:
        _generate(argv[1], argv[2])
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
