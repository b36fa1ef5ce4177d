"""`smartduty plates read [--threads N] PATH...`: read plates in photos, one JSON line each.

    smartduty plates read photos/ IMG_0001.jpg
    {"file": "photos/a.jpg", "plate": "鲁PA1234", "confidence": 0.98, "color": "blue",
     "box": [812, 1460, 1190, 1571], "ms": 31.2, "needs_review": false}

`smartduty plates models` shows which model set would be used and where each file is.
Touches no database, so it works on a machine without one.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from smartduty.kernel.errors import DomainError
from smartduty.recognition import selectors
from smartduty.recognition.engine import ModelsMissing, load_engine
from smartduty.recognition.ports import PlateRecognizer

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp"})


def iter_images(paths: list[str]) -> Iterator[Path]:
    """Files as given, and image files inside folders (recursively, sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            yield path


def read_one(engine: PlateRecognizer, path: Path) -> dict[str, Any]:
    """The JSON object printed for one file."""
    line: dict[str, Any] = {"file": str(path)}
    try:
        result = engine.recognize(path.read_bytes())
    except (OSError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        return {**line, "plate": None, "confidence": 0.0, "color": None, "box": None,
                "ms": 0.0, "needs_review": True, "error": message}  # fmt: skip
    best = result.best
    return {
        **line,
        "plate": best.text if best else None,
        "confidence": best.confidence if best else 0.0,
        "color": best.color.value if best else None,
        "box": list(best.box) if best else None,
        "ms": result.ms,
        "needs_review": result.needs_review,
    }


class Command(BaseCommand):
    help = "车牌识别：smartduty plates read [--threads N] PATH... / plates models"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        read = sub.add_parser("read", help="识别照片中的车牌，每张照片输出一行 JSON")
        read.add_argument("paths", nargs="+", metavar="PATH", help="照片文件或文件夹")
        read.add_argument("--threads", type=int, default=1, help="每个模型的推理线程数（默认 1）")
        sub.add_parser("models", help="显示已安装的模型及所选模型组合")

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        if options["action"] == "models":
            self._models()
            return
        try:
            engine = load_engine(selectors.model_folders(), threads=options["threads"])
        except ModelsMissing as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"model set: {engine.model_set}")
        count = 0
        for path in iter_images(options["paths"]):
            self.stdout.write(json.dumps(read_one(engine, path), ensure_ascii=False))
            self.stdout.flush()
            count += 1
        if count == 0:
            raise CommandError("没有找到图片 / no image files found")

    def _models(self) -> None:
        report = selectors.list_models()
        self.stdout.write(f"model set: {report.model_set}")
        for item in report.files:
            where = str(item.path) if item.path else "未安装 / not installed"
            self.stdout.write(f"  {item.role:15} {item.version:32} {where}")
