"""kernel.pump: draining, the loop, and the thread wrapper (no database involved).

Loops run in their own thread, as in the worker: `run_loop` closes the calling thread's
database connections when it ends, which must not be the test thread's.
"""

from __future__ import annotations

import logging
import threading

import pytest

from smartduty.kernel.pump import PumpThread, drain, run_loop
from smartduty.kernel.registry import PumpSpec


class Work:
    """A tick function over a list of pending items."""

    def __init__(self, items: int, *, stop: threading.Event | None = None) -> None:
        self.items = items
        self.calls = 0
        self.stop = stop

    def tick(self) -> bool:
        self.calls += 1
        if self.items == 0:
            if self.stop is not None:
                self.stop.set()
            return False
        self.items -= 1
        return True


def in_thread(spec: PumpSpec, stop: threading.Event, **kwargs: int) -> None:
    """Run `run_loop` in a fresh thread and wait for it."""
    thread = threading.Thread(target=run_loop, args=(spec, stop), kwargs=kwargs)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_drain_runs_until_no_work() -> None:
    work = Work(3)
    assert drain(PumpSpec("t", work.tick)) == 3
    assert work.calls == 4


def test_drain_stops_at_the_limit() -> None:
    work = Work(10)
    assert drain(PumpSpec("t", work.tick), limit=4) == 4
    assert work.items == 6


def test_drain_stops_when_asked() -> None:
    stop = threading.Event()
    stop.set()
    work = Work(3)
    assert drain(PumpSpec("t", work.tick), stop=stop) == 0
    assert work.calls == 0


def test_loop_drains_waits_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="smartduty.kernel.pump")
    stop = threading.Event()
    work = Work(2, stop=stop)
    in_thread(PumpSpec("t", work.tick, interval_s=0.01), stop)
    assert work.items == 0
    assert "pump started name=t" in caplog.text
    assert "pump stopped name=t" in caplog.text


def test_loop_skips_the_wait_when_the_limit_was_hit() -> None:
    stop = threading.Event()
    waits: list[float | None] = []
    real_wait = stop.wait

    def counting_wait(timeout: float | None = None) -> bool:
        waits.append(timeout)
        return real_wait(0)

    stop.wait = counting_wait  # type: ignore[method-assign]  # observe the idle waits
    work = Work(5, stop=stop)
    in_thread(PumpSpec("t", work.tick, interval_s=60), stop, limit=2)
    # drains of 2, 2, 1 (+ the empty tick): only the short drain waited
    assert waits == [60]
    assert work.items == 0


def test_loop_survives_a_failing_tick(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    calls: list[int] = []

    def tick() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database restarting")
        stop.set()
        return False

    in_thread(PumpSpec("flaky", tick, interval_s=0.01), stop)
    assert len(calls) == 2
    assert "pump tick failed name=flaky" in caplog.text


def test_pump_thread_runs_the_loop_until_stopped() -> None:
    stop = threading.Event()
    work = Work(3, stop=stop)
    thread = PumpThread(PumpSpec("threaded", work.tick, interval_s=0.01), stop)
    assert thread.name == "pump:threaded"
    assert thread.daemon
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert work.items == 0
