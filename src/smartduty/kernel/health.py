"""Start-up checks for the parts every app needs: the CJK font and the storage.

Registered as Django system checks by `KernelConfig.ready()`, so `manage.py check` (run by
`make run` and `make lint`), `runserver` and `migrate` name a missing part before a request
meets it. Apps register checks for their own parts the same way (plate-recognition models
in `recognition.checks`, message providers in `notifications.checks`). Every message is in
Chinese and English and says how to fix it. Ids: `smartduty.E0xx` errors, `smartduty.W0xx`
warnings; the table is in `docs/operations/install.md`.

Each check is cheap: a file stat and, for the font, one parse of its tables (cached per file
and modification time, so repeated checks in one process cost nothing).

The worker's queues (timers, outbox; `kernel.queue`) are checked only with the database
(`manage.py check --database default`, and by `migrate`): `W030` when due work waits longer
than `QUEUE_LATE_S` (is `run_worker` running?). Dead-lettered items are counted, not
warned about: a permanently refused SMS stays `failed` for the record. `queue_report()`
gives every figure as JSON for a status page or monitoring.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from smartduty.kernel.queue import queue_metrics

QUEUE_LATE_S = 60.0
"""Due work waiting longer than this (seconds) makes `check_queues` warn (W030)."""

FONT_HINT = (
    "运行 make run 会安装 fonts-wqy-microhei（或 apt-get install fonts-wqy-microhei），"
    "也可用 SMARTDUTY_EVIDENCE__FONT_PATH 指向其他 TTF/TTC 中文字体 / "
    "`make run` installs fonts-wqy-microhei (or apt-get install fonts-wqy-microhei); "
    "or point SMARTDUTY_EVIDENCE__FONT_PATH at another TTF/TTC CJK font"
)

_font_lock = threading.Lock()
_font_ok: dict[tuple[str, float], str | None] = {}


def font_problem(path: str) -> str | None:
    """Why reportlab cannot use the TrueType font at `path` (None: it can)."""
    file = Path(path)
    try:
        stamp = file.stat().st_mtime
    except OSError:
        return "文件不存在 / file not found"
    if not file.is_file():
        return "不是文件 / not a file"
    with _font_lock:
        key = (str(file), stamp)
        if key not in _font_ok:
            _font_ok[key] = _parse_font(file)
        return _font_ok[key]


def _parse_font(file: Path) -> str | None:
    from reportlab.pdfbase.ttfonts import TTFError, TTFont  # noqa: PLC0415 - only when checked

    try:
        TTFont("smartduty-check", str(file), subfontIndex=0)
    except (TTFError, OSError, ValueError) as exc:
        return f"reportlab 无法读取 / reportlab cannot read it: {exc}"
    return None


def check_font(app_configs: Sequence[AppConfig] | None = None, **kwargs: Any) -> list[CheckMessage]:  # noqa: ARG001
    """E001: the CJK font for notices and watermarks is missing or unreadable."""
    path = str(getattr(settings, "EVIDENCE_FONT_PATH", "") or "")
    problem = font_problem(path) if path else "未配置 / not configured"
    if problem is None:
        return []
    return [
        Error(
            f"缺少中文字体 {path!r}（{problem}）：提示单 PDF 无法生成（接口返回 503），"
            f"照片水印无法写中文 / CJK font missing or unusable at {path!r}: notice PDFs "
            "cannot be printed (the API answers 503) and watermarks cannot show Chinese text",
            hint=FONT_HINT,
            id="smartduty.E001",
        )
    ]


def _writable(path: Path) -> str | None:
    """Why files cannot be written under `path` (None: they can; a missing folder counts as
    writable when its nearest existing parent is, since storage creates it)."""
    if path.exists():
        if not path.is_dir():
            return "不是文件夹 / not a folder"
        return None if os.access(path, os.W_OK | os.X_OK) else "没有写权限 / not writable"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return None
    return f"不存在且无法创建（{parent} 不可写）/ missing and cannot be created ({parent})"


def check_storage(
    app_configs: Sequence[AppConfig] | None = None,  # noqa: ARG001
    **kwargs: Any,  # noqa: ARG001
) -> list[CheckMessage]:
    """E002: `VAR_DIR` or the local `MEDIA_ROOT` cannot be written; E003: S3 without bucket
    or keys."""
    problems: list[CheckMessage] = []
    folders = [("VAR_DIR", Path(settings.VAR_DIR))]
    default = settings.STORAGES.get("default", {})
    backend = str(default.get("BACKEND", ""))
    options = default.get("OPTIONS", {}) or {}
    if backend.endswith("FileSystemStorage"):
        folders.append(("MEDIA_ROOT", Path(options.get("location") or settings.MEDIA_ROOT)))
    for name, folder in folders:
        problem = _writable(folder)
        if problem is not None:
            problems.append(
                Error(
                    f"存储目录 {name}={folder} 不可用（{problem}）：照片和数据库无法写入 / "
                    f"storage folder {name}={folder} is not usable ({problem}): photos and "
                    "data cannot be written",
                    hint=(
                        "创建该目录并让运行服务的用户可写，或设置 SMARTDUTY_VAR_DIR / "
                        "create it writable for the service user, or set SMARTDUTY_VAR_DIR"
                    ),
                    id="smartduty.E002",
                )
            )
    if "s3" in backend.lower():
        missing = [
            env
            for option, env in (
                ("bucket_name", "SMARTDUTY_STORAGE__S3_BUCKET"),
                ("access_key", "SMARTDUTY_STORAGE__S3_ACCESS_KEY"),
                ("secret_key", "SMARTDUTY_STORAGE__S3_SECRET_KEY"),
            )
            if not str(options.get(option) or "").strip()
        ]
        if missing:
            problems.append(
                Error(
                    f"S3 存储缺少配置：{'、'.join(missing)}，照片无法保存 / "
                    f"S3 storage is missing {', '.join(missing)}: photos cannot be stored",
                    hint=(
                        "设置这些环境变量，或改用本地存储 SMARTDUTY_STORAGE__BACKEND=local / "
                        "set these variables, or use SMARTDUTY_STORAGE__BACKEND=local"
                    ),
                    id="smartduty.E003",
                )
            )
    return problems


def queue_report() -> dict[str, dict[str, int | float | None]]:
    """Every registered queue's figures now, by queue name (JSON-ready): pending, due,
    leased, expired (leases that ran out), failed (dead-lettered) and `oldest_due_s`."""
    return {figures.queue: figures.as_dict() for figures in queue_metrics()}


def check_queues(
    app_configs: Sequence[AppConfig] | None = None,  # noqa: ARG001
    databases: Sequence[str] | None = None,
    **kwargs: Any,  # noqa: ARG001
) -> list[CheckMessage]:
    """W030: due work waits longer than `QUEUE_LATE_S` (no worker running?).

    A database check: it runs only when the command names a database (`check --database
    default`, `migrate`), and says nothing while the tables do not exist yet.
    """
    if not databases:
        return []
    try:
        figures = queue_metrics()
    except DatabaseError:  # not migrated yet: `migrate` runs the checks first
        return []
    problems: list[CheckMessage] = []
    for queue in figures:
        if queue.oldest_due_s > QUEUE_LATE_S:
            problems.append(
                Warning(
                    f"队列 {queue.queue} 有 {queue.due + (queue.expired or 0)} 项到期未处理，"
                    f"最久已超时 {queue.oldest_due_s:.0f} 秒 / queue {queue.queue} has due "
                    f"work waiting up to {queue.oldest_due_s:.0f} s",
                    hint=(
                        "确认后台 worker 正在运行（systemctl status smartduty-worker 或 "
                        "manage.py run_worker）/ make sure run_worker is running"
                    ),
                    id="smartduty.W030",
                )
            )
    return problems


def register_checks() -> None:
    """Register the kernel's checks; called from `KernelConfig.ready()` (idempotent)."""
    register(check_font)
    register(check_storage)
    register(check_queues, Tags.database)
