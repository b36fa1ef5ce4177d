"""How long a request waited for a thread before it was served: the WSGI environ key that the
web server's worker (`smartduty.serving.QueueTimedWorker`) fills in and load shedding reads
(`kernel.middleware.LoadSheddingMiddleware`, ADR 0009). No Django imports: gunicorn loads
this before the application.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Final

QUEUE_WAIT_KEY: Final = "smartduty.queue_wait_s"
"""Seconds (float) between the request being queued for a thread and the thread taking it. A
WSGI environ key, not a header, so a client cannot set it."""

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_current = threading.local()


def set_queue_wait(seconds: float | None) -> None:
    """Note, for the calling thread, how long the request it is about to serve waited for it;
    None when it is done."""
    _current.wait = seconds


def stamp_queue_wait(app: WSGIApp) -> WSGIApp:
    """`app` with the serving thread's queue wait written into each request's environ."""

    def stamped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        wait = getattr(_current, "wait", None)
        if wait is not None:
            environ[QUEUE_WAIT_KEY] = wait
        return app(environ, start_response)

    return stamped
