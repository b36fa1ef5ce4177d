"""A process that holds SQLite write transactions on command (for test_sqlite_gate).

Reads lines from stdin: `hold` opens a transaction, writes a row and nests a savepoint that
it leaves again, then prints `held` and waits for the next line: `commit` or `fail` (raise
inside the block: rollback). Prints `done` after each transaction ends.
"""

from __future__ import annotations

import sys

import django


def _say(word: str) -> None:
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def main() -> None:
    django.setup()
    from django.db import connection, transaction  # noqa: PLC0415 - after setup

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS gate_probe (x INTEGER)")
    _say("ready")
    for line in sys.stdin:
        if line.strip() != "hold":
            continue
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO gate_probe (x) VALUES (1)")
                with transaction.atomic(), connection.cursor() as cursor:  # a savepoint
                    cursor.execute("INSERT INTO gate_probe (x) VALUES (2)")
                _say("held")
                if sys.stdin.readline().strip() == "fail":
                    raise RuntimeError("rolled back on purpose")
        except RuntimeError:
            pass
        _say("done")


if __name__ == "__main__":
    main()
