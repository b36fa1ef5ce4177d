"""`manage.py rotate_field_key`: re-encrypt stored personal data under the current field key.

Rotation, step by step (docs/operations/install.md):
1. set the new secret as `SMARTDUTY_FIELD_KEY` and the old one in
   `SMARTDUTY_FIELD_KEY_FALLBACKS` (JSON list) for the web, the worker and this command;
2. run this command (it may run while the platform serves; it can be stopped or killed at
   any point and run again, it goes on where it stopped);
3. when it prints that nothing is left under another key, drop the old secret.

Every encrypted column the apps registered (`kernel.rotation`) is re-encrypted in batches of
`--batch-size` rows, one transaction each, with `--pause-ms` between batches to leave room
for other writers. Rows no configured key can read are counted and make the command fail.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from smartduty.kernel.rotation import encrypted_fields, rotate_batch, stale


class Command(BaseCommand):
    """Re-encrypt every registered encrypted column under the current key."""

    help = "用当前密钥重新加密已存储的个人信息 / re-encrypt personal data under the current key"

    def add_arguments(self, parser: CommandParser) -> None:
        """`--batch-size` rows per transaction, `--pause-ms` between transactions."""
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--pause-ms", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        """Rotate each column, printing progress; fail if some rows stay unreadable."""
        pause = threading.Event()
        unreadable_total = 0
        for name, spec in encrypted_fields().items():
            todo = stale(spec).count()
            rotated = unreadable = after = 0
            self.stdout.write(f"{name}: {todo} 条待轮换 / to rotate")
            while True:
                batch = rotate_batch(spec, after_pk=after, batch_size=options["batch_size"])
                if not batch.last_pk:
                    break
                after = batch.last_pk
                rotated += batch.rotated
                unreadable += batch.unreadable
                self.stdout.write(f"{name}: {rotated}/{todo} 已轮换 / rotated", ending="\n")
                self.stdout.flush()
                if options["pause_ms"] > 0:
                    pause.wait(options["pause_ms"] / 1000.0)
            left = stale(spec).count()
            self.stdout.write(
                f"{name}: 完成，轮换 {rotated} 条，仍在旧密钥下 {left} 条 / "
                f"done: {rotated} rotated, {left} left under another key"
            )
            unreadable_total += unreadable
        if unreadable_total:
            raise CommandError(
                f"{unreadable_total} 条记录无法解密：请把加密它们的旧密钥放进 "
                "SMARTDUTY_FIELD_KEY_FALLBACKS 后重新运行 / "
                f"{unreadable_total} rows cannot be decrypted with the configured keys"
            )
