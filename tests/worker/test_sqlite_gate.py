"""The SQLite write gate (`smartduty.kernel.sqlite`): held for exactly one transaction.

Real processes on a real database file: the gate is a `flock` on `<db>.writegate`, so the
test probes it with its own file descriptor.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Holder:
    """`tests.worker.gate_child` in its own process."""

    def __init__(self, tmp: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDUTY_")}
        env.update(
            DJANGO_SETTINGS_MODULE="smartduty.settings",
            DATABASE_URL=f"sqlite:///{tmp / 'gate.sqlite3'}",
            SMARTDUTY_VAR_DIR=str(tmp / "var"),
            PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.worker.gate_child"],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.expect("ready")

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, word: str) -> None:
        assert self.proc.stdout is not None
        got = self.proc.stdout.readline().strip()
        assert got == word, f"expected {word!r}, child said {got!r}"


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Holder]:
    child = Holder(tmp_path)
    yield child
    child.proc.kill()
    child.proc.wait(timeout=10)


def gate_is_free(tmp: Path) -> bool:
    """Can another open file description take the gate right now?"""
    fd = os.open(tmp / "gate.sqlite3.writegate", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def test_gate_is_held_for_the_whole_transaction_and_released_on_commit(
    holder: Holder, tmp_path: Path
) -> None:
    assert gate_is_free(tmp_path)  # not held while the connection is idle
    holder.say("hold")
    holder.expect("held")
    assert not gate_is_free(tmp_path)  # the inner savepoint ended; the transaction did not
    holder.say("commit")
    holder.expect("done")
    assert gate_is_free(tmp_path)


def test_gate_is_released_on_rollback(holder: Holder, tmp_path: Path) -> None:
    holder.say("hold")
    holder.expect("held")
    holder.say("fail")
    holder.expect("done")
    assert gate_is_free(tmp_path)
    holder.say("hold")  # and can be taken again by the same connection
    holder.expect("held")
    assert not gate_is_free(tmp_path)


def test_a_killed_holder_never_leaves_the_gate_shut(holder: Holder, tmp_path: Path) -> None:
    holder.say("hold")
    holder.expect("held")
    assert not gate_is_free(tmp_path)
    holder.proc.send_signal(signal.SIGKILL)
    holder.proc.wait(timeout=10)
    assert gate_is_free(tmp_path)
    second = Holder(tmp_path)  # a new writer gets the gate and the database at once
    try:
        second.say("hold")
        second.expect("held")
        second.say("commit")
        second.expect("done")
    finally:
        second.proc.kill()
        second.proc.wait(timeout=10)
