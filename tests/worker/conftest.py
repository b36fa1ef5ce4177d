"""Real `run_worker` processes against a real database file (or the PostgreSQL test database).

On SQLite the test process's own database is in memory, so each test gets a migrated SQLite
file (copied from one migrated once per session) that the worker and the `ops` helper share.
On PostgreSQL they use pytest-django's test database (`transaction=True` tests commit for real).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 15.0


@dataclass
class WorkerEnv:
    """Environment shared by the worker processes and the ops helper of one test."""

    env: dict[str, str]
    fault_dir: Path
    workers: list[Worker] = field(default_factory=list)

    def with_settings(self, module: str) -> WorkerEnv:
        """The same database with another settings module (fault injection)."""
        return self.with_env(DJANGO_SETTINGS_MODULE=module)

    def with_env(self, **values: str) -> WorkerEnv:
        """The same database with more environment variables (`SMARTDUTY_MOVE_WINDOW_SECONDS`)."""
        return WorkerEnv({**self.env, **values}, self.fault_dir, self.workers)

    def ops(self, op: str, **kwargs: Any) -> Any:
        """Run `tests.worker.ops` and return its JSON answer."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.worker.ops", op, json.dumps(kwargs)],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a management command to completion."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start_worker(self, *args: str) -> Worker:
        """Start `manage.py run_worker` and wait until its pumps run."""
        worker = Worker(self.env, args)
        self.workers.append(worker)
        worker.wait_for(r"run_worker started", START_TIMEOUT_S)
        return worker

    def start_command(self, command: str, *args: str) -> Worker:
        """Start another management command, collecting its output like a worker's."""
        process = Worker(self.env, args, command=command)
        self.workers.append(process)
        return process


class Worker:
    """A `run_worker` subprocess whose merged output is collected line by line."""

    def __init__(
        self, env: dict[str, str], args: tuple[str, ...], *, command: str = "run_worker"
    ) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", command, *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything the worker printed so far."""
        with self._changed:
            return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until a line matches `pattern`; fail with the output if it never does."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    pytest.fail(f"worker never printed {pattern!r}; output:\n{self.output}")
                self._changed.wait(min(left, 0.5))

    def count(self, pattern: str) -> int:
        """How many lines so far match `pattern`."""
        regex = re.compile(pattern)
        with self._changed:
            return sum(1 for line in self.lines if regex.search(line))

    def kill9(self) -> None:
        """SIGKILL: no cleanup, no rollback other than the database's own."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """A migrated SQLite file to copy per test (None when the tests run on PostgreSQL)."""
    if connection.vendor != "sqlite":
        return None
    directory = tmp_path_factory.mktemp("worker-template")
    path = directory / "template.sqlite3"
    env = _base_env(f"sqlite:///{path}", directory)
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return path


def _base_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDUTY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "smartduty.settings",
            "DATABASE_URL": database_url,
            "SMARTDUTY_VAR_DIR": str(var_dir),
            "SMARTDUTY_DEBUG": "false",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _postgres_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")  # a socket directory is percent-encoded
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


@pytest.fixture
def worker_env(
    transactional_db: Any, migrated_sqlite: Path | None, tmp_path: Path
) -> Iterator[WorkerEnv]:
    """A database and a var dir for this test's workers; workers are killed at the end."""
    fault_dir = tmp_path / "faults"
    fault_dir.mkdir()
    if migrated_sqlite is None:
        url = _postgres_url()
    else:
        database = tmp_path / "worker.sqlite3"
        shutil.copyfile(migrated_sqlite, database)
        url = f"sqlite:///{database}"
    env = _base_env(url, tmp_path / "var")
    env["SD_TEST_FAULT_DIR"] = str(fault_dir)
    workers = WorkerEnv(env, fault_dir)
    yield workers
    for worker in workers.workers:
        if worker.proc.poll() is None:
            worker.kill9()
