"""A running worker fires deadlines on time, sends the outbox, and stops cleanly."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from tests.worker.conftest import WorkerEnv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _state_once_task_ran(worker_env: WorkerEnv, label: str, timeout_s: float) -> dict[str, Any]:
    """The ops state as soon as the queued job `label` has run (db_worker polls every second
    and, under a loaded test run, starts later than the pumps), or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        state: dict[str, Any] = worker_env.ops("state")
        if ["tests.task", label] in state["audits"] or time.monotonic() > deadline:
            return state
        threading.Event().wait(0.2)


def test_deadline_fires_within_two_seconds_and_the_sms_goes_out_once(
    worker_env: WorkerEnv,
) -> None:
    worker = worker_env.start_worker()
    timer = worker_env.ops("schedule", delay_s=2.0)
    delivery = worker_env.ops("queue_sms")
    worker_env.ops("enqueue_task", label="job-1")
    fired = worker.wait_for(r"timer fired kind=kernel\.heartbeat .* lateness_ms=(\d+)", 8)
    assert int(fired.group(1)) < 2000
    worker.wait_for(r"delivery sent id=" + delivery["public_id"], 5)

    state = _state_once_task_ran(worker_env, "job-1", timeout_s=10)
    assert state["timers"] == [
        {
            "id": timer["id"],
            "kind": "kernel.heartbeat",
            "status": "done",
            "attempts": 0,
            "fired": True,
            "lateness_ms": int(fired.group(1)),
        }
    ]
    assert state["console"] == [delivery["public_id"]]
    assert state["deliveries"][0]["status"] == "sent"
    # db_worker, in the main thread, ran the queued job meanwhile
    assert sorted(state["audits"]) == [
        ["kernel.heartbeat", str(timer["id"])],
        ["tests.task", "job-1"],
    ]
    assert "13800138000" not in worker.output
    assert "138****8000" in worker.output

    # the liveness check sees the running worker fire a fresh heartbeat
    check = worker_env.manage("worker_heartbeat", "--wait", "5")
    assert check.returncode == 0, check.stderr
    assert "heartbeat fired lateness_ms=" in check.stdout

    assert worker.stop() == 0
    assert "run_worker stopped" in worker.output
    # every pump that started also stopped (timers, notifications, the daily case report)
    started = worker.count(r"pump started name=")
    assert started == 3
    assert worker.count(r"pump stopped name=") == started


def test_pumps_only_mode_stops_on_sigterm(worker_env: WorkerEnv) -> None:
    worker = worker_env.start_worker("--no-tasks")
    assert "tasks=no" in worker.output
    worker_env.ops("schedule")
    worker.wait_for(r"timer fired kind=kernel\.heartbeat", 5)
    assert worker.stop() == 0
    assert "run_worker stopped" in worker.output


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the lock file is for SQLite")
def test_a_second_worker_on_the_same_sqlite_file_is_refused(worker_env: WorkerEnv) -> None:
    worker_env.start_worker("--no-tasks")
    second = worker_env.manage("run_worker", "--once")
    assert second.returncode == 1
    assert "已有另一个 run_worker 进程" in second.stderr
    assert "SQLite allows one worker per database" in second.stderr
