"""`kill -9` a worker while it holds work of both queues at once (`kernel.queue`): a batch of
leased messages (the outbox) and a timer inside its claiming transaction. The queue metrics
say what the crash left behind, and the next worker finishes every item exactly once."""

from __future__ import annotations

import re
import time

import pytest
from django.db import connection

from tests.worker.conftest import WorkerEnv
from tests.worker.faultapp.apps import (
    BEFORE_SEND_MARKER,
    HANG_BEFORE_SEND_PROVIDER,
    HANG_TIMER_KIND,
    TIMER_MARKER,
)
from tests.worker.test_crash import FAULTS, pause, wait_for_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TIMERS = "kernel.timers"
OUTBOX = "notifications.outbox"
LEASE_S = 2  # NOTIFICATIONS_LEASE_SECONDS in tests.worker.fault_settings


def test_a_worker_killed_holding_both_queues_leaves_every_item_to_the_next_one(
    worker_env: WorkerEnv,
) -> None:
    faults = worker_env.with_settings(FAULTS)
    messages = [
        faults.ops("queue_sms", provider=HANG_BEFORE_SEND_PROVIDER, key=f"queue-crash-{n}")
        for n in range(3)
    ]
    first = faults.start_worker("--no-tasks")
    # the outbox leased the whole batch in one claim and hangs before the first send, outside
    # any transaction; only then is the timer due, so its claim cannot wait on the outbox's
    wait_for_file(faults.fault_dir / BEFORE_SEND_MARKER, timeout=15)
    timer = faults.ops("schedule", kind=HANG_TIMER_KIND)
    wait_for_file(faults.fault_dir / TIMER_MARKER, timeout=15)  # inside the claiming transaction
    first.kill9()

    left = faults.ops("queue_metrics")
    # a transactional claim dies with its transaction: the timer is simply pending and due
    assert left[TIMERS] == {
        "pending": 1,
        "due": 1,
        "leased": None,
        "expired": None,
        "failed": 0,
        "oldest_due_s": left[TIMERS]["oldest_due_s"],
    }
    assert left[TIMERS]["oldest_due_s"] > 0
    # leased claims outlive the worker until their lease runs out
    assert (left[OUTBOX]["pending"], left[OUTBOX]["leased"]) == (0, 3)
    pause(LEASE_S + 0.2)
    left = faults.ops("queue_metrics")
    assert (left[OUTBOX]["leased"], left[OUTBOX]["expired"], left[OUTBOX]["failed"]) == (3, 3, 0)
    assert left[OUTBOX]["oldest_due_s"] > 0
    state = faults.ops("state")
    assert state["console"] == []  # nothing reached the provider
    assert state["audits"] == []  # the timer handler's write died with its transaction
    assert [d["attempts"] for d in state["deliveries"]] == [1, 1, 1]

    second = faults.start_worker("--no-tasks")
    second.wait_for(r"timer fired kind=tests\.hang_once", 10)
    for message in messages:
        second.wait_for(r"delivery sent id=" + message["public_id"], 10)
    assert second.count(r"delivery lease expired id=") == 3
    second.kill9()

    done = faults.ops("queue_metrics")
    for name in (TIMERS, OUTBOX):
        figures = done[name]
        assert (figures["pending"], figures["due"], figures["failed"]) == (0, 0, 0), name
        assert figures["oldest_due_s"] == 0.0, name
    assert (done[OUTBOX]["leased"], done[OUTBOX]["expired"]) == (0, 0)
    state = faults.ops("state")
    assert sorted(state["console"]) == sorted(m["public_id"] for m in messages)  # once each
    assert [d["status"] for d in state["deliveries"]] == ["sent"] * 3
    assert [d["outcomes"] for d in state["deliveries"]] == [["lease_expired", "sent"]] * 3
    assert [(t["status"], t["attempts"]) for t in state["timers"]] == [("done", 0)]
    assert state["audits"] == [[HANG_TIMER_KIND, str(timer["id"])]]  # fired exactly once


@pytest.mark.postgres
def test_two_workers_on_postgresql_share_both_queues_and_handle_each_item_once(
    worker_env: WorkerEnv,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one worker per database (run_worker's lock file)")
    small = worker_env.with_env(
        SMARTDUTY_WORKER__TIMERS_BATCH_SIZE="5", SMARTDUTY_WORKER__NOTIFICATIONS_BATCH_SIZE="3"
    )
    small.ops("backlog", timers=40, messages=20, delay_s=3.0)  # due once both workers run
    workers = [small.start_worker("--no-tasks"), small.start_worker("--no-tasks")]
    deadline = time.monotonic() + 30
    while True:
        figures = small.ops("queue_metrics")
        if all(figures[name]["pending"] == 0 for name in (TIMERS, OUTBOX)):
            break
        assert time.monotonic() < deadline, figures
        pause(0.5)
    for worker in workers:
        worker.stop()
    fired = [
        int(match.group(1))
        for worker in workers
        for line in worker.lines
        if (match := re.search(r"timer fired kind=kernel\.heartbeat id=(\d+)", line))
    ]
    state = small.ops("state")
    assert sorted(fired) == [t["id"] for t in state["timers"]]  # each once, by one worker
    assert [t["status"] for t in state["timers"]] == ["done"] * 40
    assert [(d["status"], d["attempts"]) for d in state["deliveries"]] == [("sent", 1)] * 20
    assert len(state["console"]) == len(set(state["console"])) == 20
    figures = small.ops("queue_metrics")
    assert figures[OUTBOX]["leased"] == figures[OUTBOX]["failed"] == figures[TIMERS]["failed"] == 0
