"""Worker knobs come from the environment (`SMARTDUTY_WORKER__…`) and reach the pumps."""

from __future__ import annotations

from typing import Any

import pytest

from smartduty.env import Env, WorkerEnv
from smartduty.kernel import timers
from smartduty.notifications import services


def test_worker_knobs_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTDUTY_WORKER__NOTIFICATIONS_BATCH_SIZE", "7")
    monkeypatch.setenv("SMARTDUTY_WORKER__TIMERS_BATCH_MAX_SECONDS", "0.05")
    env = Env(_env_file=None)
    assert env.worker.notifications_batch_size == 7
    assert env.worker.timers_batch_max_seconds == 0.05
    assert env.worker.timers_batch_size == WorkerEnv().timers_batch_size == 100


def test_a_typo_in_a_worker_knob_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTDUTY_WORKER__NOTIFICATIONS_BATCH_SIZ", "7")
    with pytest.raises(ValueError, match="notifications_batch_siz"):
        Env(_env_file=None)


def test_settings_reach_the_pumps(settings: Any) -> None:  # pytest-django's fixture
    settings.NOTIFICATIONS_BATCH_SIZE = 3
    settings.TIMERS_BATCH_SIZE = 11
    assert services.batch_size() == 3
    assert timers.batch_size() == 11
