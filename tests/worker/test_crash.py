"""`kill -9` the worker at the worst moments; after a restart every deadline fires exactly
once and every message is stored exactly once by the provider."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.worker.conftest import WorkerEnv
from tests.worker.faultapp.apps import HANG_TIMER_KIND, SEND_MARKER, TIMER_MARKER

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
FAULTS = "tests.worker.fault_settings"


def pause(seconds: float) -> None:
    """Let real time pass (the worker under test runs in another process)."""
    threading.Event().wait(seconds)


def wait_for_file(path: Path, timeout: float = 8.0) -> None:
    """Wait until the fault app says the worker is hanging at the planned spot."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        pause(0.05)


def test_killed_before_anything_was_due_then_restarted_after_the_deadline(
    worker_env: WorkerEnv,
) -> None:
    # due well ahead, so that however slowly a loaded machine starts the first worker it is
    # killed before the deadline; then the deadline is moved into the past, as if the time
    # had passed while no worker ran
    timer = worker_env.ops("schedule", delay_s=600.0)
    delivery = worker_env.ops("queue_sms", delay_s=600.0)
    first = worker_env.start_worker()
    first.kill9()  # before the SMS was sent and before the deadline
    assert "timer fired" not in first.output
    state = worker_env.ops("state")
    assert state["deliveries"][0]["attempts"] == 0  # not claimed: it was killed in time
    assert worker_env.ops("make_due") == {"timers": 1, "deliveries": 1}
    state = worker_env.ops("state")
    assert state["timers"][0]["status"] == "pending"
    assert state["console"] == []

    second = worker_env.start_worker()  # the SQLite lock of the killed worker is gone
    second.wait_for(r"timer fired kind=kernel\.heartbeat", 5)
    second.wait_for(r"delivery sent id=" + delivery["public_id"], 5)
    second.kill9()

    third = worker_env.manage("run_worker", "--once")  # nothing is left to do
    assert third.returncode == 0, third.stderr
    assert "kernel.timers=0 notifications.outbox=0" in third.stdout
    state = worker_env.ops("state")
    assert [t["status"] for t in state["timers"]] == ["done"]
    assert state["audits"] == [["kernel.heartbeat", str(timer["id"])]]
    assert state["console"] == [delivery["public_id"]]
    assert state["deliveries"][0]["attempts"] == 1


def test_killed_after_the_provider_accepted_but_before_the_outbox_recorded_it(
    worker_env: WorkerEnv,
) -> None:
    faults = worker_env.with_settings(FAULTS)
    delivery = faults.ops("queue_sms", provider="hang_once")
    first = faults.start_worker()
    wait_for_file(faults.fault_dir / SEND_MARKER)
    first.kill9()
    state = faults.ops("state")
    assert state["console"] == [delivery["public_id"]]  # the provider has it
    assert state["deliveries"][0]["status"] == "sending"  # the outbox does not know

    second = faults.start_worker()
    second.wait_for(r"delivery lease expired id=" + delivery["public_id"], 6)
    sent = second.wait_for(r"delivery sent id=\S+ .* duplicate=(\w+)", 5)
    assert sent.group(1) == "True"
    state = faults.ops("state")
    assert state["console"] == [delivery["public_id"]]  # still exactly one message
    assert state["deliveries"][0]["status"] == "sent"
    assert state["deliveries"][0]["outcomes"] == ["lease_expired", "sent"]


def test_killed_inside_a_timer_handler_rolls_back_and_fires_once_after_restart(
    worker_env: WorkerEnv,
) -> None:
    faults = worker_env.with_settings(FAULTS)
    timer = faults.ops("schedule", kind=HANG_TIMER_KIND)
    first = faults.start_worker("--no-tasks")
    wait_for_file(faults.fault_dir / TIMER_MARKER)
    first.kill9()
    state = faults.ops("state")
    assert state["timers"][0]["status"] == "pending"
    assert state["audits"] == []  # the handler's write died with its transaction

    second = faults.start_worker("--no-tasks")
    second.wait_for(r"timer fired kind=tests\.hang_once", 6)
    state = faults.ops("state")
    assert state["timers"][0]["status"] == "done"
    assert state["timers"][0]["attempts"] == 0
    assert state["audits"] == [[HANG_TIMER_KIND, str(timer["id"])]]
