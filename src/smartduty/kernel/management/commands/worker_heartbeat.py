"""`manage.py worker_heartbeat`: prove that a running worker fires timers.

Schedules a `kernel.heartbeat` timer (due now, or after `--delay`). With `--wait N` it waits
up to N seconds for the worker to fire it and fails (exit 1) if it does not: a liveness check
for monitoring. The heartbeat handler writes one audit row per timer.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from smartduty.kernel import timers
from smartduty.kernel.models import Timer, TimerStatus

POLL_SECONDS = 0.1


class Command(BaseCommand):
    """Schedule a heartbeat timer and optionally wait until the worker fired it."""

    help = "安排一次 worker 心跳定时器，可等待其触发 / schedule a worker heartbeat timer"

    def add_arguments(self, parser: CommandParser) -> None:
        """`--delay` (seconds until due) and `--wait` (seconds to wait for it to fire)."""
        parser.add_argument("--delay", type=float, default=0.0, help="seconds until due")
        parser.add_argument(
            "--wait", type=float, default=0.0, help="seconds to wait for the worker (0: no wait)"
        )

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Schedule, then poll the timer row until it is done or the wait runs out."""
        timers.register_builtins()
        timer = timers.schedule_heartbeat(delay=timedelta(seconds=options["delay"]))
        self.stdout.write(f"heartbeat timer id={timer.pk} due_at={timer.due_at.isoformat()}")
        if options["wait"] <= 0:
            return
        deadline = timer.due_at + timedelta(seconds=options["wait"])
        pause = threading.Event()
        while True:
            current = Timer.objects.get(pk=timer.pk)
            if current.status == TimerStatus.DONE:
                self.stdout.write(f"heartbeat fired lateness_ms={current.lateness_ms}")
                return
            if timezone.now() > deadline:
                raise CommandError(
                    f"worker 未在 {options['wait']} 秒内触发心跳定时器（状态 {current.status}）"
                    f" / the worker did not fire heartbeat timer {timer.pk} in time"
                )
            pause.wait(POLL_SECONDS)
