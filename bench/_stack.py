"""Shared helpers for the benchmarks: throwaway databases, real processes, child operations.

Everything lives in a temporary directory that is removed at the end; nothing is written
into the repository. A benchmark talks to its database only through child processes
(`python -m bench.<module> child <op> '<json>'`), because Django's settings are global to a
process and one invocation measures SQLite and PostgreSQL in turn.

PostgreSQL: with `--pg-url` the benchmark creates (and drops) a fresh database on that
server; otherwise, when it runs as root and `/usr/lib/postgresql/15/bin` exists, it starts a
throwaway cluster (initdb as user `postgres` in a /tmp directory, a free loopback port,
default durability settings) and stops it at the end. Else PostgreSQL is skipped with the
reason printed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class Database:
    """A fresh, empty database for one benchmark run."""

    label: str  # "SQLite" or "PostgreSQL" (or a variant's name, such as "SQLite stock")
    url: str
    note: str = ""
    env: tuple[tuple[str, str], ...] = ()  # extra environment of every process of its run

    @property
    def is_sqlite(self) -> bool:
        """True for the SQLite file database."""
        return self.url.startswith("sqlite:")


def base_env(database: Database, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of every process of one run (no SMARTDUTY_* leaks in from outside)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDUTY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "smartduty.settings",
            "DATABASE_URL": database.url,
            "SMARTDUTY_VAR_DIR": str(var_dir),
            "SMARTDUTY_DEBUG": "false",
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(database.env)
    env.update(extra)
    return env


def bench_limits(web_threads: int) -> dict[str, str]:
    """Limits for a benchmark's few clients that post back to back (ADR 0009): two officers at
    30 reports/s each are far above the per-user write limit meant for a person, and every
    client's upload may land on one process. The limiter still runs (its cost is measured);
    it just never refuses, and no upload is shed while a thread is free."""
    return {
        "SMARTDUTY_LIMITS__WRITES_PER_MINUTE": "1000000",
        "SMARTDUTY_LIMITS__PLATE_READS_PER_MINUTE": "1000000",
        "SMARTDUTY_LIMITS__ANONYMOUS_WRITES_PER_MINUTE": "1000000",
        "SMARTDUTY_LIMITS__HEAVY_CONCURRENCY": str(web_threads),
    }


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run `manage.py` to completion; raise with its output when it fails."""
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def child(module: str, env: dict[str, str], op: str, timeout: float = 600, **kwargs: Any) -> Any:
    """Run `python -m <module> child <op> <json>` and return the JSON of its last line."""
    done = subprocess.run(
        [PYTHON, "-m", module, "child", op, json.dumps(kwargs)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {op} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child_op(ops: dict[str, Callable[..., Any]], argv: Sequence[str]) -> None:
    """Entry point of a child process: `child <op> '<json kwargs>'`; prints the JSON result."""
    import django  # noqa: PLC0415 - only children set Django up

    django.setup()
    kwargs = json.loads(argv[1]) if len(argv) > 1 else {}
    sys.stdout.write(json.dumps(ops[argv[0]](**kwargs)) + "\n")


class Proc:
    """A long-running process whose merged output goes to a log file."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._file = log.open("w")
        self.proc = subprocess.Popen(
            list(argv), cwd=REPO, env=env, stdout=self._file, stderr=subprocess.STDOUT
        )

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float) -> None:
        """Wait until the log matches `pattern`; raise with the log when it never does."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while not regex.search(self.output()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} never printed {pattern!r}:\n{self.output()}")
            pause(0.05)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the process and its reaped children (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        ticks = sum(int(value) for value in fields[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL the process and its children (no clean shutdown), then reap it."""
        if self.proc.poll() is None:
            for pid in child_pids(self.proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._file.close()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM, wait, SIGKILL if it does not stop."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._file.close()


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc); [] when it is gone."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int | None:
    """Resident set size of one process in KiB (VmRSS of /proc/<pid>/status), None when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def pause(seconds: float) -> None:
    """Let real time pass (no `time.sleep`, which the project bans)."""
    threading.Event().wait(seconds)


def start_worker(env: dict[str, str], log: Path, *args: str, timeout: float = 60) -> Proc:
    """Start `manage.py run_worker` and wait until its pumps run."""
    worker = Proc("run_worker", [PYTHON, "manage.py", "run_worker", *args], env, log)
    worker.wait_for(r"run_worker started", timeout)
    return worker


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def temp_dir(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A temporary directory under /tmp, removed afterwards unless `keep` (logs, databases)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def sqlite_database(directory: Path, variant: Database | None = None) -> Iterator[Database]:
    """A fresh SQLite file (the product's settings: WAL, synchronous=NORMAL, IMMEDIATE); a
    `variant` gives the label, note and environment (its url is ignored)."""
    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    if variant is None:
        yield Database("SQLite", url, "fresh temp file")
    else:
        yield Database(variant.label, url, variant.note, variant.env)


@contextmanager
def postgres_database(pg_url: str | None) -> Iterator[tuple[Database | None, str]]:
    """A fresh PostgreSQL database, or (None, why it was skipped)."""
    if pg_url:
        with _database_on(pg_url, note=f"fresh database on {_safe(pg_url)}") as database:
            yield database, ""
        return
    reason = _why_no_local_postgres()
    if reason:
        yield None, reason
        return
    with (
        _throwaway_cluster() as server_url,
        _database_on(
            server_url, note="throwaway cluster (initdb), default durability (fsync on)"
        ) as database,
    ):
        yield database, ""


def _safe(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{host}{port}", parts.path, "", ""))


def _why_no_local_postgres() -> str:
    if os.geteuid() != 0:
        return "not running as root (a throwaway cluster needs runuser); pass --pg-url"
    if not (PG_BIN / "initdb").exists():
        return f"{PG_BIN}/initdb not found; pass --pg-url"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no 'postgres' system user; pass --pg-url"
    try:
        import psycopg  # noqa: F401, PLC0415
    except ImportError:
        return "psycopg is not installed (pip install -e '.[pg]')"
    return ""


@contextmanager
def _throwaway_cluster() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="pgbench.", dir="/tmp"))
    root.chmod(0o755)
    (root / "data").mkdir()
    (root / "sock").mkdir()
    shutil.chown(root, "postgres")
    for sub in ("data", "sock"):
        shutil.chown(root / sub, "postgres")
    port = free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    pg_ctl = [*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(root / "data")]
    try:
        subprocess.run(
            [
                *as_pg,
                str(PG_BIN / "initdb"),
                "-D",
                str(root / "data"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = (
            f"-p {port} -k {root / 'sock'} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        subprocess.run(
            [*pg_ctl, "-l", str(root / "log"), "-w", "-o", options, "start"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True, timeout=60
        )
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def _database_on(server_url: str, *, note: str) -> Iterator[Database]:
    import psycopg  # noqa: PLC0415 - only needed with PostgreSQL

    name = f"smartduty_bench_{os.getpid()}_{int(time.time())}"
    parts = urlsplit(server_url)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Database("PostgreSQL", urlunsplit(parts._replace(path=f"/{name}")), note)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def verdict(passed: bool) -> str:  # noqa: FBT001 - a printable flag
    """PASS or FAIL."""
    return "PASS" if passed else "FAIL"


def table(rows: Sequence[Sequence[str]]) -> str:
    """A plain text table; the first row is the header."""
    widths = [max(_width(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [str(cell) + " " * (widths[i] - _width(str(cell))) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def print_machine() -> None:
    """The start time, CPU count and load average: the context of every figure that follows."""
    load1, load5, _ = os.getloadavg()
    print(
        f"started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z} on {os.cpu_count()} CPUs, "
        f"load average {load1:.2f} (1 min) {load5:.2f} (5 min)",
        flush=True,
    )


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """`--pg-url`, `--skip-sqlite`, `--skip-pg`, `--keep` (read by `on_each_database`)."""
    parser.add_argument("--pg-url", default="", help="PostgreSQL server URL (else a throwaway)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, DBs)")


def on_each_database(
    args: argparse.Namespace,
    prefix: str,
    run: Callable[[Database, Path], list[Any]],
    sqlite_variants: Sequence[Database] = (),
) -> list[Any]:
    """`run(database, workdir)` on a fresh SQLite file (one per `sqlite_variants`, in their
    order, when given), then on PostgreSQL when available (saying why not otherwise), in one
    temporary directory; the results of all, in order."""
    results: list[Any] = []
    with temp_dir(prefix, keep=args.keep) as workdir:
        if not args.skip_sqlite:
            for index, variant in enumerate(sqlite_variants or [None]):
                directory = workdir / f"sqlite-{index}" if variant else workdir
                directory.mkdir(exist_ok=True)
                with sqlite_database(directory, variant) as database:
                    results += run(database, directory / "sqlite")
        if args.skip_pg:
            print("\nPostgreSQL skipped: --skip-pg")
            return results
        with postgres_database(args.pg_url) as (database, reason):
            if database is None:
                print(f"\nPostgreSQL skipped: {reason}")
            else:
                results += run(database, workdir / "pg")
    return results
