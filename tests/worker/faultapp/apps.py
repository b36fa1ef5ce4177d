"""Fault injection for tests/worker: hang once right after a send, or inside a timer handler.

Installed only by `tests.worker.fault_settings`. Each fault hangs the first time (after
creating a marker file in `$SD_TEST_FAULT_DIR`, which the test waits for before `kill -9`)
and behaves normally once the marker exists, i.e. after the restart.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import ClassVar

from django.apps import AppConfig

SEND_MARKER = "hung-after-send"
TIMER_MARKER = "hung-in-timer"
HANG_TIMER_KIND = "tests.hang_once"


def _hang_once(marker: str) -> None:
    path = Path(os.environ["SD_TEST_FAULT_DIR"]) / marker
    if path.exists():
        return
    path.write_text(str(os.getpid()))
    threading.Event().wait()  # until kill -9


class FaultConfig(AppConfig):
    """Registers the `hang_once` SMS provider and the `tests.hang_once` timer kind."""

    name = "tests.worker.faultapp"
    label = "worker_faults"

    def ready(self) -> None:
        from smartduty.kernel import audit  # noqa: PLC0415
        from smartduty.kernel.models import Timer  # noqa: PLC0415
        from smartduty.kernel.timers import register_timer_kind  # noqa: PLC0415
        from smartduty.notifications.ports import (  # noqa: PLC0415
            Channel,
            OutboundMessage,
            Receipt,
        )
        from smartduty.notifications.providers import console, register_provider  # noqa: PLC0415

        class HangAfterSend:
            """The console provider, then a hang: "accepted, but the outbox never knew"."""

            channel: ClassVar[Channel] = Channel.SMS

            def send(self, msg: OutboundMessage) -> Receipt:
                receipt = console.SMS.send(msg)
                _hang_once(SEND_MARKER)
                return receipt

        def hang_in_handler(timer: Timer) -> None:
            audit.record(actor=None, action=HANG_TIMER_KIND, object_id=str(timer.pk))
            _hang_once(TIMER_MARKER)

        register_provider("hang_once", HangAfterSend())
        register_timer_kind(HANG_TIMER_KIND, hang_in_handler)
