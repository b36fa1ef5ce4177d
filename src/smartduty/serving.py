"""The gunicorn worker that `make run`, the e2e tests, the benchmarks and the systemd unit use
(`gunicorn -c python:smartduty.gunicorn_conf smartduty.wsgi`).

gunicorn's threaded worker (`gthread`) accepts every connection at once and queues it for its
thread pool; a request can wait in that queue far longer than it takes to serve, and Django
never sees how long. `QueueTimedWorker` notes when a connection's request was queued (a new
connection, or a keep-alive connection that became readable) and hands the wait to the
application in the WSGI environ (from queued to taken by a thread, `kernel.queuewait`).
`kernel.middleware.LoadSheddingMiddleware` answers 503 at once when the wait was longer than
`SMARTDUTY_LIMITS__MAX_QUEUE_SECONDS` (ADR 0009).
"""

from __future__ import annotations

import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from smartduty.kernel.queuewait import WSGIApp, set_queue_wait, stamp_queue_wait

_QUEUED_AT = "smartduty_queued_at"
_WAIT = "smartduty_queue_wait"


class QueueTimedWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn ships no type hints
    """gunicorn's `gthread` worker that tells the application how long a request queued."""

    wsgi: WSGIApp

    def enqueue_req(self, conn: Any) -> None:
        setattr(conn, _QUEUED_AT, time.monotonic())
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        # the wait ends when a thread takes the connection; reading a slow client's headers
        # after that is not queueing
        queued_at = getattr(conn, _QUEUED_AT, None)
        setattr(conn, _WAIT, None if queued_at is None else time.monotonic() - queued_at)
        return super().handle(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        set_queue_wait(getattr(conn, _WAIT, None))
        try:
            return super().handle_request(req, conn)
        finally:
            set_queue_wait(None)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi = stamp_queue_wait(self.wsgi)
