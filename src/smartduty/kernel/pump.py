"""Running pumps: drain a pump's due work, and loop it in a thread until told to stop.

`run_worker` starts one `PumpThread` per registered pump (`kernel.registry.register_pump`).
Each thread repeats: call the pump's tick until it reports no work, then wait on the shared
stop `Event` (never `time.sleep`, so a stop request ends the wait at once). The wait is the
pump's `interval_s`, cut short to the pump's next known work when it has a `next_due`
(the timer pump: the earliest pending `due_at`), so a deadline scheduled ahead fires on
time without polling the database more often. An error in a tick is logged and the loop
carries on after the interval (a database restart must not kill the worker).

On SQLite, a pump that has had work for `BUSY_MAX_S` without a pause waits `YIELD_S` before
going on: SQLite has one write lock for the whole database. With the write gate (ADR 0007)
waiting writers queue on an `flock` and get the lock within milliseconds; with Django's stock
backend (`SMARTDUTY_SQLITE_WRITE_GATE=false`) a waiting writer (a web request, another pump)
only polls every 100 ms once it has waited a while and, without a gap, would starve and fail
after its busy timeout. PostgreSQL locks rows, so its pumps never pause while they have work.

The thread keeps its database connection between drains (reopening one per idle wait
costs a PostgreSQL backend start each time); it drops and reopens it after an error and
every `REFRESH_S` seconds (`close_old_connections`), and closes its connections when it ends.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection, connections

from smartduty.kernel.registry import PumpSpec

logger = logging.getLogger(__name__)

DRAIN_LIMIT = 1000
"""Units of work per drain before the loop re-checks its connections (work left → no wait)."""
MIN_WAIT_S = 0.05
"""Shortest idle wait when `next_due` says work is due but the drain found none (another
worker holds it until its transaction ends): keeps the loop from spinning."""
REFRESH_S = 60.0
"""Seconds between the loop's `close_old_connections()` calls (also done after any error)."""
BUSY_MAX_S = 1.0
"""On SQLite, the longest stretch of work (several drains) before the loop pauses."""
YIELD_S = 0.15
"""The pause after `BUSY_MAX_S` of work: longer than SQLite's longest busy-handler sleep
(100 ms), so every writer waiting for the lock gets a turn."""


def drain(
    spec: PumpSpec,
    *,
    stop: threading.Event | None = None,
    limit: int = DRAIN_LIMIT,
    until: float | None = None,
) -> int:
    """Call `spec.tick` until it finds no work, `stop` is set, `limit` units were done or
    the monotonic clock passed `until`.

    With `spec.batch`, a tick doing fewer units than a full batch has caught up and ends the
    drain too. Returns the units of work done (a tick returning True counts as one).
    Exceptions from the tick propagate.
    """
    done = 0
    while done < limit and not (stop is not None and stop.is_set()):
        units = int(spec.tick())
        if units <= 0:
            break
        done += units
        if spec.batch is not None and units < spec.batch:
            break
        if until is not None and time.monotonic() >= until:
            break
    return done


def pauses_for_other_writers() -> bool:
    """Does the database have one write lock that other writers wait for (SQLite)?"""
    return connection.vendor == "sqlite"


def idle_wait(spec: PumpSpec) -> float:
    """Seconds to wait after a drain that ran out of work: `interval_s`, or less when the
    pump's `next_due` knows of work due sooner (at least `MIN_WAIT_S`)."""
    if spec.next_due is None:
        return spec.interval_s
    until = spec.next_due()
    if until is None:
        return spec.interval_s
    return min(spec.interval_s, max(until, MIN_WAIT_S))


def run_loop(spec: PumpSpec, stop: threading.Event, *, limit: int = DRAIN_LIMIT) -> None:
    """Drain, wait (see `idle_wait`), repeat until `stop` is set; then close DB connections."""
    logger.info("pump started name=%s interval_s=%s", spec.name, spec.interval_s)
    refresh_at = 0.0
    busy_since: float | None = None  # start of the current stretch of work without a pause
    busy_max = BUSY_MAX_S if pauses_for_other_writers() else float("inf")
    try:
        while not stop.is_set():
            if time.monotonic() >= refresh_at:
                close_old_connections()
                refresh_at = time.monotonic() + REFRESH_S
            started = time.monotonic() if busy_since is None else busy_since
            try:
                done = drain(spec, stop=stop, limit=limit, until=started + busy_max)
                if time.monotonic() >= started + busy_max:
                    wait, busy_since = YIELD_S, None  # let other writers have the lock
                elif done >= limit:
                    wait, busy_since = 0.0, started  # more work: go on at once
                else:
                    wait, busy_since = idle_wait(spec), None
            except Exception:
                logger.exception("pump tick failed name=%s; retrying after the interval", spec.name)
                refresh_at = 0.0  # drop a broken connection before the next try
                wait, busy_since = spec.interval_s, None
            if wait > 0:
                stop.wait(wait)
    finally:
        connections.close_all()
        logger.info("pump stopped name=%s", spec.name)


class PumpThread(threading.Thread):
    """One pump's loop in its own thread (daemon, named `pump:<name>`)."""

    def __init__(self, spec: PumpSpec, stop: threading.Event) -> None:
        """`stop` is shared by every pump of the worker; setting it ends all loops."""
        super().__init__(name=f"pump:{spec.name}", daemon=True)
        self.spec = spec
        self.stop = stop

    def run(self) -> None:
        """Run the loop until the stop event is set."""
        run_loop(self.spec, self.stop)
