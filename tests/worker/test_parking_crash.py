"""The core loop through the real API and real worker processes: photo report → owner SMS →
move deadline → awaiting re-check, with `kill -9` at the worst moments.

The report is posted to `/api/v1/parking-reports` (photo and confirmed plate) by the `ops`
helper against the worker's database; the move window is 3 s (`SMARTDUTY_MOVE_WINDOW_SECONDS`
for the processes, `POLICY_MOVE_WINDOW_OVERRIDE_SECONDS` here).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.worker.conftest import Worker, WorkerEnv
from tests.worker.faultapp.apps import (
    BEFORE_SEND_MARKER,
    DEADLINE_MARKER,
    HANG_BEFORE_SEND_PROVIDER,
)
from tests.worker.test_crash import FAULTS, pause

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
WINDOW_S = 3
LATENESS_LIMIT_MS = 2000


@pytest.fixture
def loop_env(worker_env: WorkerEnv, settings: Any) -> WorkerEnv:
    """The worker environment with a 3-second move window, here and in every process."""
    settings.POLICY_MOVE_WINDOW_OVERRIDE_SECONDS = WINDOW_S
    return worker_env.with_env(SMARTDUTY_MOVE_WINDOW_SECONDS=str(WINDOW_S))


def report(env: WorkerEnv, token: str) -> dict[str, Any]:
    """Post a report through the API; the owner SMS and the deadline are queued with it."""
    created = env.ops("report_parking", token=token)
    assert created["http_status"] == 201
    assert created["status"] == "awaiting_move"
    assert created["move_window_seconds"] == WINDOW_S
    return created


def wait_for_marker(worker: Worker, path: Path, timeout: float = 15.0) -> None:
    """Wait until the fault app hangs the worker at the planned spot (file `path`)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} never appeared; worker output:\n{worker.output}")
        pause(0.05)


def wait_until_settled(env: WorkerEnv, public_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """Poll until the report is awaiting re-check and every message is sent."""
    deadline = time.monotonic() + timeout
    while True:
        state = env.ops("parking_state", public_id=public_id)
        deliveries = state["deliveries"]
        if (
            state["status"] == "awaiting_recheck"
            and len(deliveries) == 2
            and all(d["status"] == "sent" for d in deliveries)
        ):
            return state
        assert time.monotonic() < deadline, state
        pause(0.2)


def assert_exactly_once(state: dict[str, Any]) -> None:
    """One SMS handed to the provider, one lapsed deadline, one app push: nothing twice."""
    assert state["status"] == "awaiting_recheck"
    assert state["actions"] == ["report", "notify_owner", "deadline_lapsed"]
    assert [(t["kind"], t["status"], t["attempts"]) for t in state["timers"]] == [
        ("parking.move_deadline", "done", 0)
    ]
    sms, push = state["deliveries"]
    assert (sms["channel"], sms["status"]) == ("sms", "sent")
    assert (push["channel"], push["status"]) == ("app_push", "sent")
    assert push["attempts"] == 1
    stored = sorted((m["channel"], m["key"]) for m in state["console"])
    assert stored == [("app_push", push["public_id"]), ("sms", sms["public_id"])]


def test_a_running_worker_texts_the_owner_and_fires_the_deadline_on_time(
    loop_env: WorkerEnv,
) -> None:
    token = loop_env.ops("parking_setup")["token"]
    worker = loop_env.start_worker()
    created = report(loop_env, token)
    state = loop_env.ops("parking_state", public_id=created["public_id"])
    sms = state["deliveries"][0]
    worker.wait_for(r"delivery sent id=" + sms["public_id"], 5)
    fired = worker.wait_for(
        r"timer fired kind=parking\.move_deadline .* lateness_ms=(\d+)", WINDOW_S + 5
    )
    state = wait_until_settled(loop_env, created["public_id"])
    assert_exactly_once(state)
    lateness = state["timers"][0]["lateness_ms"]  # fired_at - due_at, from the database
    assert lateness == int(fired.group(1))
    assert 0 <= lateness < LATENESS_LIMIT_MS
    due_at = datetime.fromisoformat(state["timers"][0]["due_at"])
    shown = datetime.fromisoformat(created["deadline_at"])  # the API shows milliseconds
    assert abs((due_at - shown).total_seconds()) < 0.001
    assert worker.stop() == 0


def test_killed_before_the_sms_was_sent_and_again_inside_the_due_deadline(
    loop_env: WorkerEnv,
) -> None:
    faults = loop_env.with_settings(FAULTS)
    token = faults.ops("parking_setup", provider=HANG_BEFORE_SEND_PROVIDER)["token"]

    # 1. the worker claims the owner SMS and dies before handing it to the provider
    first = faults.start_worker()
    created = report(faults, token)
    wait_for_marker(first, faults.fault_dir / BEFORE_SEND_MARKER)
    first.kill9()
    state = faults.ops("parking_state", public_id=created["public_id"])
    assert state["status"] == "awaiting_move"
    assert [(d["channel"], d["status"]) for d in state["deliveries"]] == [("sms", "sending")]
    assert state["console"] == []  # the provider never got it
    assert [t["status"] for t in state["timers"]] == ["pending"]

    # 2. the deadline comes due while no worker runs; the restarted worker dies inside its
    #    handler, after the report moved to awaiting_recheck but before the commit
    due_at = datetime.fromisoformat(created["deadline_at"])
    pause(max(0.0, (due_at - timezone.now()).total_seconds()) + 0.2)
    second = faults.start_worker()
    wait_for_marker(second, faults.fault_dir / DEADLINE_MARKER)
    second.kill9()
    state = faults.ops("parking_state", public_id=created["public_id"])
    assert state["status"] == "awaiting_move"  # the handler's transaction died with it
    assert "deadline_lapsed" not in state["actions"]
    assert [(t["status"], t["attempts"]) for t in state["timers"]] == [("pending", 0)]
    assert [d["channel"] for d in state["deliveries"]] == ["sms"]  # no app push yet
    assert len(state["console"]) <= 1  # the SMS may or may not have gone out meanwhile

    # 3. after a second restart the SMS has gone out once and the deadline has fired once
    third = faults.start_worker()
    third.wait_for(r"timer fired kind=parking\.move_deadline", 10)
    assert_exactly_once(wait_until_settled(faults, created["public_id"]))
    assert third.stop() == 0
    final = faults.manage("run_worker", "--once")  # nothing is left to do
    assert final.returncode == 0, final.stderr
    assert "kernel.timers=0 notifications.outbox=0" in final.stdout
    assert_exactly_once(faults.ops("parking_state", public_id=created["public_id"]))
