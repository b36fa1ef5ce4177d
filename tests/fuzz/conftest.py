"""Fixtures of the API fuzzer: the app it calls in-process, the world it fuzzes, who it is.

The app is Django's own WSGI handler, called by schemathesis's WSGI transport in the test's
thread: requests see the test transaction, so the same test runs on in-memory SQLite and on
PostgreSQL, under xdist, with no server process. Django's `close_old_connections` is
disconnected around each request (as Django's test client does), or the end of a request
would close the connection that holds the test transaction.
"""

from __future__ import annotations

import io
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.transport.serialization import Binary

from tests.factories.evidence import camera_exif, image_bytes
from tests.fuzz import summary
from tests.fuzz import world as world_module
from tests.fuzz.world import World, build_world

ROLES = ("officer", "commander")

# Hypothesis keeps a cache of source constants; under var/ (ignored), not in the checkout root
set_hypothesis_home_dir(Path(__file__).resolve().parents[2] / "var" / "hypothesis")

# Settings the fuzz run overrides so that it fuzzes behaviour, not the limiters: the request
# rate limits (writes, `/plates/read`, phone reveals) and the login throttle (the fuzzer posts
# many wrong passwords to `/auth/tokens` from one source) are raised far above what one fuzz
# item sends. A limit added later must be raised here too; its own tests prove the 429.
_UNLIMITED = 1_000_000
FUZZ_SETTINGS: dict[str, Any] = {
    "RATE_LIMIT_WRITES_PER_MINUTE": _UNLIMITED,
    "RATE_LIMIT_ANONYMOUS_WRITES_PER_MINUTE": _UNLIMITED,
    "RATE_LIMIT_PLATE_READS_PER_MINUTE": _UNLIMITED,
    "RATE_LIMIT_REVEALS_PER_HOUR": _UNLIMITED,
    "RATE_LIMIT_REVEALS_PER_DAY": _UNLIMITED,
    "RATE_LIMIT_REVEAL_BURST_PER_MINUTE": _UNLIMITED,
    "LOGIN_PAIR_LIMIT": _UNLIMITED,
    "LOGIN_SOURCE_LIMIT": _UNLIMITED,
    "LOGIN_ACCOUNT_LIMIT": _UNLIMITED,
}


def _jpeg(size: tuple[int, int], *, exif: bool, quality: int = 80) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (90, 120, 150))
    options: dict[str, Any] = {"quality": quality}
    if exif:
        options["exif"] = camera_exif().tobytes()
    image.save(out, "JPEG", **options)
    return out.getvalue()


# Real, small images for `format: binary` fields (photo uploads), so a good share of the
# uploads get past decoding into the evidence, watermark and case code; the rest is arbitrary
# bytes, which must be refused cleanly.
SAMPLE_IMAGES = (
    _jpeg((640, 480), exif=True),
    _jpeg((480, 640), exif=False),
    _jpeg((64, 48), exif=False, quality=30),
    image_bytes("PNG", size=(320, 240)),
)
schemathesis.openapi.format(
    "binary",
    st.one_of(st.sampled_from(SAMPLE_IMAGES), st.binary(max_size=512)).map(Binary),
)


class FuzzApp:
    """Django's WSGI handler, safe to call inside a test transaction; remembers the traceback
    of the last unhandled exception (a 500) so that a failure says where it came from."""

    def __init__(self) -> None:
        self._handler: WSGIHandler | None = None
        self.last_exception: str | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if self._handler is None:
            self._handler = WSGIHandler()
        self.last_exception = None
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        signals.got_request_exception.connect(self._remember, dispatch_uid="fuzz-app")
        try:
            response = self._handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()  # sends request_finished while close_old_connections is off
        finally:
            signals.got_request_exception.disconnect(dispatch_uid="fuzz-app")
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return [body]

    def _remember(self, **kwargs: Any) -> None:  # noqa: ARG002 - signal arguments
        exc = _current_exception()
        if exc is not None:
            frames = traceback.extract_tb(exc[2])
            ours = [f for f in frames if "/src/smartduty/" in f.filename]
            here = ours[-1] if ours else (frames[-1] if frames else None)
            where = f" at {here.filename.split('/src/')[-1]}:{here.lineno}" if here else ""
            self.last_exception = f"{exc[0].__name__}: {exc[1]}"[:200] + where


def _current_exception() -> tuple[type[BaseException], BaseException, TracebackType] | None:
    info = sys.exc_info()
    if info[0] is None or info[1] is None or info[2] is None:
        return None
    return info[0], info[1], info[2]


APP = FuzzApp()


@dataclass
class Fuzzer:
    """One fuzz item's identity and tallies: sends each case as `role` and validates it."""

    role: str
    world: World
    token: str
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    def check(self, case: schemathesis.Case) -> None:
        """Call the app with this case as the role's officer, then run every check."""
        response = None
        try:
            response = case.call(headers={"Authorization": f"Bearer {self.token}"})
            self.statuses[response.status_code] += 1
            case.validate_response(response, headers={"Authorization": f"Bearer {self.token}"})
        except (Exception, FailureGroup) as exc:  # a FailureGroup is a BaseExceptionGroup
            for failure in _failures_of(exc):
                self.failures[self._describe(failure, response)] += 1
            if response is not None and response.status_code >= 500 and APP.last_exception:
                exc.add_note(f"Server traceback ends in: {APP.last_exception}")
            raise

    def _describe(self, failure: BaseException, response: Any) -> str:
        if isinstance(failure, Failure):
            title = failure.title
        else:
            title = f"{type(failure).__name__}: {failure}"[:120]
        if response is not None and response.status_code >= 500 and APP.last_exception:
            title += f" ({APP.last_exception})"
        elif response is not None:
            title += f" (HTTP {response.status_code})"
        return title


def _failures_of(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _failures_of(inner)
    else:
        yield exc


@pytest.fixture(params=ROLES)
def fuzzer(request: pytest.FixtureRequest, db: Any, settings: Any) -> Iterator[Fuzzer]:
    """The world of this item, and the officer (队员, 东区) or commander (指挥中心, city)."""
    for name, value in FUZZ_SETTINGS.items():
        setattr(settings, name, value)
    world = build_world()
    role = str(request.param)
    fuzz = Fuzzer(role=role, world=world, token=world.token(role))
    world_module.ACTIVE[0] = world
    try:
        yield fuzz
    finally:
        world_module.ACTIVE[0] = None
        summary.record(request.node, fuzz.role, fuzz.statuses, fuzz.failures)
