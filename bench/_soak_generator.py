"""The soak's load generator, in its own processes (`python -m bench.soak gen plan.json
out.json`): runs one share of the schedule against the server, open loop, as the officer app
and the command centre do, and records every outcome."""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench._soak_sizing import (
    APP_RETRY_S,
    CASE_POLL_S,
    DASHBOARD_POLL_S,
    MAX_RETRIES,
    NOTICE_WALK_S,
    SMS_POLL_S,
)


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


def generate(plan_path: str, out_path: str) -> None:
    """Run one generator's plan (JSON) and write its records and cases (JSON)."""
    plan = json.loads(Path(plan_path).read_text())
    generator = Generator(plan)
    print("ready", flush=True)
    result = generator.run()
    Path(out_path).write_text(json.dumps(result))
