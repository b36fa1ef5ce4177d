"""Django's SQLite backend plus a cross-process write gate.

SQLite has one write lock per database file. A writer that finds it taken waits in SQLite's
busy handler, which sleeps 1, 2, 5, 10 … and then 100 ms between tries: under steady load
(web processes reporting, the worker sending) a waiter often sleeps far longer than the lock
was held, which shows up as latency (an owner SMS stored 0.5 s after its report).

The gate: before `BEGIN IMMEDIATE`, each connection takes an exclusive `flock` on
`<database>.writegate` (its own file descriptor, so threads and processes exclude each
other alike) and lets go after `COMMIT`/`ROLLBACK`. Waiting writers re-try the gate every
0.1–2 ms, so the lock changes hands within a couple of milliseconds of being released. The
kernel drops the lock of a killed process, so a crash never leaves the gate shut. After
`GATE_TIMEOUT_S` without the gate a writer goes ahead anyway and SQLite's own busy timeout
takes over, exactly as without the gate. A write statement outside a transaction (an
autocommit `UPDATE`, such as a token's last-use time) takes the gate for that statement alone:
left to SQLite's busy handler it could sleep for seconds behind the gated writers. In-memory
databases (tests) have no gate.

`SMARTDUTY_SQLITE_WRITE_GATE=false` runs Django's stock backend with the same options instead;
`bench/report_flow.py` measures both side by side (ADR 0007: same throughput, upload→SMS p99
2–3× shorter with the gate under concurrent writers).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from typing import Any, Final

from django.db.backends.sqlite3 import base

GATE_TIMEOUT_S: Final = 20.0
_WRITES: Final = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_FIRST_PAUSE_S: Final = 0.0001
_MAX_PAUSE_S: Final = 0.002


class GatedCursor(base.SQLiteCursorWrapper):
    """Django's cursor; a write outside a transaction holds the gate while it runs."""

    def __init__(self, connection: Any, gate: DatabaseWrapper) -> None:
        super().__init__(connection)
        self._gate = gate

    def execute(self, query: str, params: Any = None) -> Any:
        with self._gate.statement_gate(query):
            return super().execute(query, params)

    def executemany(self, query: str, param_list: Any) -> Any:
        with self._gate.statement_gate(query):
            return super().executemany(query, param_list)


def _is_write(query: str) -> bool:
    return query.lstrip()[:7].upper().startswith(_WRITES)


class DatabaseWrapper(base.DatabaseWrapper):
    """`django.db.backends.sqlite3` with the write gate around every transaction."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate_fd: int | None = None
        self.gate_held = False

    def _gate_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or self.is_in_memory_db():
            return None
        return f"{name}.writegate"

    def acquire_gate(self) -> None:
        path = self._gate_path()
        if path is None or self.gate_held:
            return
        if self._gate_fd is None:
            self._gate_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + GATE_TIMEOUT_S
        pause = _FIRST_PAUSE_S
        while True:
            try:
                fcntl.flock(self._gate_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return  # SQLite's busy timeout decides from here
                time.sleep(pause)  # noqa: TID251 - a lock wait of at most 2 ms, not a schedule
                pause = min(pause * 2, _MAX_PAUSE_S)
                continue
            self.gate_held = True
            return

    def release_gate(self) -> None:
        if self.gate_held and self._gate_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._gate_fd, fcntl.LOCK_UN)
        self.gate_held = False

    @contextlib.contextmanager
    def statement_gate(self, query: str) -> Iterator[None]:
        """Hold the gate around one write outside a transaction; anything else (a statement
        inside a transaction, which took the gate or timed out, or a read) runs as it is."""
        if self.in_atomic_block or self.gate_held or not _is_write(query):
            yield
            return
        self.acquire_gate()
        try:
            yield
        finally:
            self.release_gate()

    def create_cursor(self, name: str | None = None) -> Any:  # noqa: ARG002 - Django's signature
        return self.connection.cursor(factory=lambda conn: GatedCursor(conn, self))

    def _start_transaction_under_autocommit(self) -> None:
        self.acquire_gate()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self.release_gate()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self.release_gate()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self.release_gate()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in django-stubs
        finally:
            self.release_gate()
            if self._gate_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._gate_fd)
                self._gate_fd = None
