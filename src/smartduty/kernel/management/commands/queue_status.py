"""`manage.py queue_status`: the durable queues' figures now (timers, outbox, ...).

For operators: how much work is pending and due, leased (and whether leases ran out: a worker
died mid-send), dead-lettered (`failed`) and how late the most overdue item is. `--json`
prints the same figures as JSON (`kernel.health.queue_report`). Exits 1 with `--fail-late S`
when due work has waited longer than S seconds (a worker that is down), for cron or a probe.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from smartduty.kernel.queue import queue_metrics


def _cell(value: int | float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


class Command(BaseCommand):
    """Print each registered queue's figures."""

    help = "显示持久队列（定时器、发件箱）的积压情况 / show the durable queues' backlog"

    def add_arguments(self, parser: CommandParser) -> None:
        """`--json` for machines; `--fail-late S` fails when due work waited over S seconds."""
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--fail-late", type=float, default=None)

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Print the table (or JSON); fail on late work when asked."""
        try:
            figures = queue_metrics()
        except DatabaseError as exc:
            raise CommandError(f"无法读取队列（数据库是否已迁移？先运行 migrate）：{exc}") from exc
        if options["json"]:
            report = {f.queue: f.as_dict() for f in figures}
            self.stdout.write(json.dumps(report, ensure_ascii=False, sort_keys=True))
        else:
            header = (
                "队列 queue",
                "待处理",
                "已到期",
                "租用中",
                "租约过期",
                "失败",
                "最久逾期(秒)",
            )
            self.stdout.write("  ".join(header))
            for f in figures:
                cells = (f.pending, f.due, f.leased, f.expired, f.failed, f.oldest_due_s)
                self.stdout.write("  ".join([f.queue, *(_cell(c) for c in cells)]))
        limit = options["fail_late"]
        late = [f.queue for f in figures if limit is not None and f.oldest_due_s > limit]
        if late:
            raise CommandError(
                f"到期任务等待超过 {limit:g} 秒（worker 是否在运行？）：{', '.join(late)}"
            )
