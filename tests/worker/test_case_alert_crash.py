"""A case's step-overdue alert through real worker processes, with `kill -9` inside the
timer's transaction (after the alert was queued, before the commit): after the restart the
clock has fired once and the unit's app push was handed to the provider exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from typing import Any

import pytest
from django.utils import timezone

from tests.worker.conftest import REPO, WorkerEnv
from tests.worker.faultapp.apps import CASE_ALERT_MARKER
from tests.worker.test_crash import FAULTS, pause, wait_for_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def case_ops(env: WorkerEnv, op: str, **kwargs: Any) -> Any:
    """Run `tests.worker.case_ops` against the worker's database and return its answer."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.worker.case_ops", op, json.dumps(kwargs)],
        cwd=REPO,
        env=env.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_step_overdue_alert_survives_a_kill_and_is_sent_once(worker_env: WorkerEnv) -> None:
    faults = worker_env.with_settings(FAULTS)
    case = case_ops(faults, "dispatched_case", overdue_in_s=2.0)
    due_at = datetime.fromisoformat(case["due_at"])

    # 1. the clock runs out; the worker dies inside the handler, the alert queued, uncommitted
    first = faults.start_worker("--no-tasks")
    wait_for_file(faults.fault_dir / CASE_ALERT_MARKER, timeout=15)
    assert timezone.now() >= due_at
    first.kill9()
    state = case_ops(faults, "case_state", case_id=case["id"])
    assert state["alerts"] == []  # the handler's writes died with its transaction
    assert "step_overdue" not in state["actions"]
    assert state["overdue_steps"] == []
    assert state["timers"] == [["cases.step_overdue", "pending", 0]]

    # 2. after the restart: fired once, one alert to unit A, handed to the provider once
    second = faults.start_worker("--no-tasks")
    second.wait_for(r"timer fired kind=cases\.step_overdue", 10)
    deadline = timezone.now().timestamp() + 10
    while True:
        state = case_ops(faults, "case_state", case_id=case["id"])
        if state["alerts"] and all(a["status"] == "sent" for a in state["alerts"]):
            break
        assert timezone.now().timestamp() < deadline, state
        pause(0.2)
    assert second.stop() == 0
    final = faults.manage("run_worker", "--once", "--no-tasks")  # nothing is left to do
    assert final.returncode == 0, final.stderr
    state = case_ops(faults, "case_state", case_id=case["id"])
    assert state["timers"] == [["cases.step_overdue", "done", 0]]
    assert state["actions"].count("step_overdue") == 1
    assert state["overdue_steps"] == ["handle"]
    [alert] = state["alerts"]
    assert (alert["title"], alert["status"]) == ("处置时限已超时", "sent")
    assert state["console"] == [alert["public_id"]]
