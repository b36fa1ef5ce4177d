"""`manage.py run_worker`: the one background process of a smartduty installation.

It starts one thread per registered pump (the kernel's timer pump and, for example, the
notifications outbox; see `kernel.registry.register_pump`), then runs django-tasks-db's
`db_worker` loop in the main thread. `db_worker` owns the signals: on SIGTERM/SIGINT it ends
its loop (after the running task, if any), and this command then sets the pumps' stop event
and joins their threads. With `--no-tasks`, or when the default task backend is not the
database backend, the main thread just waits for SIGTERM/SIGINT.

On SQLite only one worker may run per database: an exclusive `flock` on a lock file under
`settings.VAR_DIR` refuses a second instance. A killed worker's lock is released by the OS.

`--once` drains the work that is due now (pumps, then queued tasks, then pumps again) and
exits; tests and cron-less scripts use it. See docs/decisions/0001-worker-and-pump.md.

`db_worker` (django-tasks-db 0.13) lets a "database is locked" error escape when SQLite
stays locked past its busy timeout while it begins its claim transaction; that would end
the whole worker, so this command logs it and starts `db_worker` again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection, connections

from smartduty.kernel import timers
from smartduty.kernel.pump import PumpThread, drain
from smartduty.kernel.registry import PumpSpec, registered_pumps

JOIN_TIMEOUT_SECONDS = 30.0
ONCE_MAX_PASSES = 100

logger = logging.getLogger(__name__)


def tasks_backend_is_database() -> bool:
    """Is the default django-tasks backend django-tasks-db's (the only one `db_worker` runs)?"""
    from django_tasks_db.backend import DatabaseBackend  # noqa: PLC0415 - optional at import
    from django_tasks_db.compat import task_backends  # noqa: PLC0415

    return isinstance(task_backends["default"], DatabaseBackend)


def run_db_worker(**options: Any) -> None:
    """`call_command("db_worker", ...)`, started again after a locked-database error.

    SIGTERM/SIGINT still end it: db_worker's handler exits with `SystemExit`, which is not
    caught here. Any other error propagates.
    """
    from django_tasks_db.utils import is_locked_database_exception  # noqa: PLC0415

    while True:
        try:
            call_command("db_worker", **options)
        except OperationalError as exc:
            if not is_locked_database_exception(exc):
                raise
            logger.warning("db_worker stopped on a locked database (%s); starting it again", exc)
            continue
        return


def lock_path() -> Path:
    """The lock file of this database's worker, under `settings.VAR_DIR`."""
    name = str(connection.settings_dict["NAME"])
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return Path(settings.VAR_DIR) / f"run_worker-{digest}.lock"


@contextmanager
def single_instance_lock() -> Iterator[Path | None]:
    """On SQLite, hold an exclusive lock file for the block; elsewhere do nothing.

    Raises `CommandError` (Chinese and English) when another worker holds the lock.
    """
    if connection.vendor != "sqlite":
        yield None
        return
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = path.read_text().strip() or "?"
        os.close(fd)
        raise CommandError(
            f"已有另一个 run_worker 进程（PID {holder}）在使用此 SQLite 数据库，"
            "SQLite 下只能运行一个 worker。\n"
            f"Another run_worker (pid {holder}) already holds {path}; "
            "SQLite allows one worker per database (use PostgreSQL to run several)."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class Command(BaseCommand):
    """Run the pumps (timers, outbox …) and the django-tasks database worker."""

    help = (
        "运行后台 worker：定时器与消息发件箱等泵线程，以及 django-tasks 任务队列。"
        " / Run the background worker: pump threads (timers, outbox) and the task queue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """`--once`, `--no-tasks`, and the task queue options passed to `db_worker`."""
        parser.add_argument(
            "--once",
            action="store_true",
            help="处理完当前到期的工作后退出 / drain the work due now, then exit",
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help="只运行泵线程，不处理任务队列 / run the pumps only, not the task queue",
        )
        parser.add_argument(
            "--queue-name",
            default="*",
            help="db_worker queues, comma-separated; '*' = all (default)",
        )
        parser.add_argument(
            "--tasks-interval",
            type=float,
            default=1.0,
            help="seconds db_worker waits when the task queue is empty (default 1)",
        )

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Register the kernel's built-ins, take the SQLite lock, then run or drain."""
        timers.register_builtins()
        pumps = registered_pumps()
        run_tasks = not options["no_tasks"] and tasks_backend_is_database()
        db_worker_options = {
            "queue_name": options["queue_name"],
            "interval": options["tasks_interval"],
            "reload": False,
            "startup_delay": False,
            "verbosity": options["verbosity"],
        }
        with single_instance_lock():
            if options["once"]:
                self._once(pumps, run_tasks=run_tasks, db_worker_options=db_worker_options)
            else:
                self._forever(pumps, run_tasks=run_tasks, db_worker_options=db_worker_options)

    def _once(
        self, pumps: list[PumpSpec], *, run_tasks: bool, db_worker_options: dict[str, Any]
    ) -> None:
        counts = self._drain_all(pumps)
        if run_tasks:
            run_db_worker(batch=True, **db_worker_options)
            for name, count in self._drain_all(pumps).items():
                counts[name] += count
        summary = " ".join(f"{name}={count}" for name, count in counts.items())
        self.stdout.write(f"run_worker --once: {summary} tasks={'yes' if run_tasks else 'no'}")

    @staticmethod
    def _drain_all(pumps: list[PumpSpec]) -> dict[str, int]:
        """Drain every pump until one whole pass finds nothing (work may feed other pumps)."""
        counts = {spec.name: 0 for spec in pumps}
        for _ in range(ONCE_MAX_PASSES):
            found = 0
            for spec in pumps:
                done = drain(spec)
                counts[spec.name] += done
                found += done
            if not found:
                break
        return counts

    def _forever(
        self, pumps: list[PumpSpec], *, run_tasks: bool, db_worker_options: dict[str, Any]
    ) -> None:
        stop = threading.Event()
        threads = [PumpThread(spec, stop) for spec in pumps]
        for thread in threads:
            thread.start()
        self.stdout.write(
            f"run_worker started pid={os.getpid()} pumps={','.join(s.name for s in pumps)} "
            f"tasks={'yes' if run_tasks else 'no'}"
        )
        self.stdout.flush()
        try:
            if run_tasks:
                run_db_worker(**db_worker_options)
            else:
                self._wait_for_signal(stop)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=JOIN_TIMEOUT_SECONDS)
            connections.close_all()
            self.stdout.write("run_worker stopped")
            self.stdout.flush()

    @staticmethod
    def _wait_for_signal(stop: threading.Event) -> None:
        """Block the main thread until SIGTERM or SIGINT (pumps-only mode)."""

        def request_stop(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not stop.wait(1.0):
                pass
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
