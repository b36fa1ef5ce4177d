"""Enumerations of the vehicles app (plate kinds and colours live in `plates`)."""

from __future__ import annotations

from typing import Final

from django.db import models


class ImportStatus(models.TextChoices):
    """Life of a bulk vehicle import."""

    PENDING = "pending", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


OPEN: Final = frozenset({ImportStatus.PENDING, ImportStatus.RUNNING})
TERMINAL: Final = frozenset({ImportStatus.DONE, ImportStatus.FAILED})
