"""Report-flow benchmark, the client side: photos, log-in, the load, CPU accounting."""

from __future__ import annotations

import io
import itertools
import os
import random
import resource
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import _stack
from bench._stack import Proc

PASSWORD = "Demo@2026"  # noqa: S105 - the demo logins' published password
OFFICERS = ("dong_officer", "xi_officer")


def make_photos(count: int) -> list[bytes]:
    """Distinct small JPEGs (640×480, a colour field with a unique noise patch)."""
    from PIL import Image  # noqa: PLC0415

    rng = random.Random(2026)
    noise = Image.effect_noise((64, 64), 60).convert("RGB")
    photos = []
    for index in range(count):
        img = Image.new("RGB", (640, 480), (rng.randrange(256), rng.randrange(256), 90))
        img.paste(noise, (index % 570, (index * 7) % 410))
        buffer = io.BytesIO()
        img.save(buffer, "JPEG", quality=80)
        photos.append(buffer.getvalue())
    return photos


def log_in(http: Any, index: int) -> str:
    """Log an httpx client in as demo officer `index` (bearer token); the refusal or ""."""
    login = http.post(
        "/api/v1/auth/tokens",
        json={"username": OFFICERS[index % len(OFFICERS)], "password": PASSWORD},
    )
    if login.status_code != 201:
        return f"login {login.status_code}: {login.text[:200]}"
    http.headers["Authorization"] = f"Bearer {login.json()['token']}"
    return ""


class Load:
    """Closed-loop clients: each logs in, then posts reports back to back until time is up."""

    def __init__(self, base_url: str, plates: Iterator[str], photos: list[bytes]) -> None:
        self.base_url = base_url
        self._plates = plates
        self._photos = itertools.cycle(photos)
        self._lock = threading.Lock()
        self.results: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._clients = 1
        self._start = time.monotonic()

    def _next(self) -> tuple[str, bytes] | None:
        with self._lock:
            plate = next(self._plates, None)
            return None if plate is None else (plate, next(self._photos))

    def client(self, index: int, stop_at: float, interval: float | None = None) -> None:
        """One officer app: log in, then report until `stop_at` (monotonic) or out of plates.

        Without `interval`, back to back (closed loop). With it, the k-th report is due at
        `start + (index / clients + k) * interval` whatever happened to the one before (a late
        answer does not postpone the next report), and its latency counts from that due time,
        so a stalled server cannot hide its queue (no coordinated omission).
        """
        import httpx  # noqa: PLC0415

        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            refused = log_in(http, index)
            if refused:
                with self._lock:
                    self.errors.append(refused)
                return
            due = self._start + (index * (interval or 0.0)) / max(self._clients, 1)
            while time.monotonic() < stop_at:
                item = self._next()
                if item is None:
                    return
                plate, photo = item
                if interval is not None:
                    _stack.pause(max(0.0, due - time.monotonic()))
                    sent = time.time() - (time.monotonic() - due)  # the due time, wall clock
                    due += interval
                else:
                    sent = time.time()
                try:
                    response = http.post(
                        "/api/v1/parking-reports",
                        files={"file": ("scene.jpg", photo, "image/jpeg")},
                        data={"plate": plate},
                    )
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                answered = time.time()
                with self._lock:
                    if response.status_code == 201:
                        self.results.append(
                            {
                                "public_id": response.json()["public_id"],
                                "sent": sent,
                                "answered": answered,
                            }
                        )
                    else:
                        self.errors.append(f"{response.status_code}: {response.text[:200]}")

    def run(self, clients: int, duration: float, rate: float | None = None) -> float:
        """Run the clients (paced to `rate` reports/s in all when given); returns the
        wall-clock seconds from the start to the last answer."""
        self._clients = clients
        self._start = time.monotonic() + 1.0  # time for every client to log in
        stop_at = self._start + duration
        interval = clients / rate if rate else None
        threads = [
            threading.Thread(target=self.client, args=(index, stop_at, interval), daemon=True)
            for index in range(clients)
        ]
        for thread in threads:
            thread.start()
        began = time.time() + (self._start - time.monotonic())
        for thread in threads:
            thread.join(timeout=duration + 60)
        last = max((r["answered"] for r in self.results), default=began)
        return last - began


# --- CPU accounting ---------------------------------------------------------------------


def _tree_cpu(proc: Proc) -> float:
    """CPU seconds of gunicorn's master and its workers (children of the master)."""
    total = proc.cpu_seconds()
    children = Path(f"/proc/{proc.proc.pid}/task/{proc.proc.pid}/children")
    try:
        pids = [int(pid) for pid in children.read_text().split()]
    except OSError:
        return total
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:13]) / _clock_ticks()
    return total


def _own_cpu() -> float:
    """CPU seconds of this process (the load generator)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    """CPU seconds of every `postgres` process (server and backends, with reaped children)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.endswith("(postgres"):
            total += sum(int(value) for value in tail.split()[11:15]) / _clock_ticks()
    return total
