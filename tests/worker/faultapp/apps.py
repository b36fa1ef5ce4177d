"""Fault injection for tests/worker: hang once right before or after a send, inside a timer
handler, or inside the parking deadline's transition.

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
BEFORE_SEND_MARKER = "hung-before-send"
TIMER_MARKER = "hung-in-timer"
DEADLINE_MARKER = "hung-in-deadline"
CASE_ALERT_MARKER = "hung-in-case-alert"
HANG_TIMER_KIND = "tests.hang_once"
HANG_BEFORE_SEND_PROVIDER = "hang_before_send"


def _hang_once(marker: str) -> None:
    path = Path(os.environ["SD_TEST_FAULT_DIR"]) / marker
    if path.exists():
        return
    path.write_text(str(os.getpid()))
    threading.Event().wait()  # until kill -9


class FaultConfig(AppConfig):
    """Registers the `hang_once` and `hang_before_send` SMS providers, the `tests.hang_once`
    timer kind, a hang in the parking report's `deadline_lapsed` transition and one in a case's
    step alert (`SD_APP_002`)."""

    name = "tests.worker.faultapp"
    label = "worker_faults"

    def ready(self) -> None:
        from django.db.models.signals import post_save  # noqa: PLC0415

        from smartduty.kernel import audit  # noqa: PLC0415
        from smartduty.kernel.models import Timer  # noqa: PLC0415
        from smartduty.kernel.timers import register_timer_kind  # noqa: PLC0415
        from smartduty.notifications.models import Delivery  # noqa: PLC0415
        from smartduty.notifications.ports import (  # noqa: PLC0415
            Channel,
            OutboundMessage,
            Receipt,
        )
        from smartduty.notifications.providers import console, register_provider  # noqa: PLC0415
        from smartduty.parking.models import ParkingTransition  # noqa: PLC0415
        from smartduty.parking.states import Action  # noqa: PLC0415

        class HangAfterSend:
            """The console provider, then a hang: "accepted, but the outbox never knew"."""

            channel: ClassVar[Channel] = Channel.SMS

            def send(self, msg: OutboundMessage) -> Receipt:
                receipt = console.SMS.send(msg)
                _hang_once(SEND_MARKER)
                return receipt

        class HangBeforeSend:
            """A hang, then the console provider: "claimed, but never handed over"."""

            channel: ClassVar[Channel] = Channel.SMS

            def send(self, msg: OutboundMessage) -> Receipt:
                _hang_once(BEFORE_SEND_MARKER)
                return console.SMS.send(msg)

        def hang_in_handler(timer: Timer) -> None:
            audit.record(actor=None, action=HANG_TIMER_KIND, object_id=str(timer.pk))
            _hang_once(TIMER_MARKER)

        def hang_in_deadline(sender: object, instance: ParkingTransition, **kwargs: object) -> None:
            # inside `parking.move_deadline`'s handler, after the report moved on, before commit
            if instance.action == Action.DEADLINE_LAPSED:
                _hang_once(DEADLINE_MARKER)

        def hang_in_case_alert(sender: object, instance: Delivery, **kwargs: object) -> None:
            # inside `cases.step_overdue`'s handler, the alert queued, before the commit
            if instance.template_code == "SD_APP_002" and kwargs.get("created"):
                _hang_once(CASE_ALERT_MARKER)

        register_provider("hang_once", HangAfterSend())
        register_provider(HANG_BEFORE_SEND_PROVIDER, HangBeforeSend())
        register_timer_kind(HANG_TIMER_KIND, hang_in_handler)
        post_save.connect(  # a strong reference: the closure must outlive ready()
            hang_in_deadline,
            sender=ParkingTransition,
            weak=False,
            dispatch_uid="worker_faults.deadline",
        )
        post_save.connect(
            hang_in_case_alert,
            sender=Delivery,
            weak=False,
            dispatch_uid="worker_faults.case_alert",
        )
