"""Running pumps: drain a pump's due work, and loop it in a thread until told to stop.

`run_worker` starts one `PumpThread` per registered pump (`kernel.registry.register_pump`).
Each thread repeats: drop stale DB connections, call the pump's tick until it reports no
work, then wait on the shared stop `Event` for the pump's interval (never `time.sleep`, so a
stop request ends the wait at once). An error in a tick is logged and the loop carries on
after the interval (a database restart must not kill the worker). The thread closes its own
database connections when it ends.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from smartduty.kernel.registry import PumpSpec

logger = logging.getLogger(__name__)

DRAIN_LIMIT = 1000
"""Ticks per drain before the loop re-checks its connections (work left → no wait)."""


def drain(spec: PumpSpec, *, stop: threading.Event | None = None, limit: int = DRAIN_LIMIT) -> int:
    """Call `spec.tick` until it finds no work, `stop` is set or `limit` ticks did work.

    Returns the number of ticks that did work. Exceptions from the tick propagate.
    """
    done = 0
    while done < limit and not (stop is not None and stop.is_set()):
        if not spec.tick():
            break
        done += 1
    return done


def run_loop(spec: PumpSpec, stop: threading.Event, *, limit: int = DRAIN_LIMIT) -> None:
    """Drain, wait `spec.interval_s`, repeat until `stop` is set; then close DB connections."""
    logger.info("pump started name=%s interval_s=%s", spec.name, spec.interval_s)
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                done = drain(spec, stop=stop, limit=limit)
            except Exception:
                logger.exception("pump tick failed name=%s; retrying after the interval", spec.name)
                done = 0
            if done < limit:
                stop.wait(spec.interval_s)
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
