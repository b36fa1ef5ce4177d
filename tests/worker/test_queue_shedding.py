"""Load shedding by queue time, through a real gunicorn process with the product's worker class
(`smartduty.gunicorn_conf`): a request that waited longer than `MAX_QUEUE_SECONDS` for a
thread is answered 503 at once; one taken at once is served; `/healthz` is never shed.

One worker with one thread; a first client sends half of its request headers, so the only
thread sits reading them while the next requests queue behind it.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
MAX_QUEUE_S = 0.5
HOLD_S = 1.5

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTDUTY_")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "smartduty.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SMARTDUTY_VAR_DIR": str(tmp_path / "var"),
            "SMARTDUTY_DEBUG": "false",
            "SMARTDUTY_LIMITS__MAX_QUEUE_SECONDS": str(MAX_QUEUE_S),
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
        }
    )
    argv = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        "python:smartduty.gunicorn_conf",
        "smartduty.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "1",
    ]
    log = (tmp_path / "web.log").open("wb")
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail((tmp_path / "web.log").read_text(errors="replace"))
            threading.Event().wait(0.2)
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _send(address: tuple[str, int], head: bytes) -> socket.socket:
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(head)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    sock.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _request(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()


def test_a_request_that_queued_too_long_is_shed_at_once(server: tuple[str, int]) -> None:
    # the only thread takes this connection and waits for the rest of its headers
    slow = _send(server, b"GET /api/v1/no-such-thing HTTP/1.1\r\nHost: localhost\r\n")
    threading.Event().wait(0.3)
    queued = _send(server, _request("/api/v1/no-such-thing"))
    health = _send(server, _request("/healthz"))
    threading.Event().wait(HOLD_S)
    slow.sendall(b"Connection: close\r\n\r\n")

    slow_status, _, _ = _answer(slow)
    started = time.monotonic()
    queued_status, queued_headers, queued_body = _answer(queued)
    shed_in = time.monotonic() - started
    health_status, _, _ = _answer(health)

    assert slow_status == 404  # taken at once: served, however long its client took
    assert queued_status == 503
    assert queued_headers["retry-after"] == "2"
    assert json.loads(queued_body)["code"] == "service_unavailable"
    assert "繁忙" in json.loads(queued_body)["message"]
    assert shed_in < 0.5  # answered at once, not served late
    assert health_status == 200  # a load balancer must not take the process for dead

    # the queue is empty again: the next request is served
    after_status, _, _ = _answer(_send(server, _request("/api/v1/no-such-thing")))
    assert after_status == 404
