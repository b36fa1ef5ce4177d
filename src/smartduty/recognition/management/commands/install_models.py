"""`manage.py install_models --from PATH_OR_URL`: install plate-recognition model files.

    manage.py install_models --from ../shared/models/hyperlpr3
    manage.py install_models --from https://example.internal/models/y5fu_320x_sim.onnx
    manage.py install_models --from rapidocr_onnxruntime-1.4.4-py3-none-any.whl

Copies the pinned files it finds into `VAR_DIR/models` after checking their SHA-256; a file
with a pinned name and other bytes is refused and the command fails.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from smartduty.recognition import selectors
from smartduty.recognition.engine import describe, find_models
from smartduty.recognition.engine.install import InstallError, install_models


class Command(BaseCommand):
    help = "安装车牌识别模型（校验 SHA-256）/ install plate-recognition models (SHA-256 checked)"
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL")
        parser.add_argument(
            "--dest", default=None, help="目标文件夹（默认 VAR_DIR/models）/ destination folder"
        )

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002 - Django's signature
        dest = Path(options["dest"]) if options["dest"] else selectors.model_dir()
        try:
            report = install_models(options["source"], dest)
        except InstallError as exc:
            raise CommandError(str(exc)) from exc
        for spec in report.installed:
            self.stdout.write(f"已安装 / installed: {spec.name} ({spec.version}) -> {dest}")
        for spec in report.unchanged:
            self.stdout.write(f"已是最新 / already installed: {spec.name} ({spec.version})")
        if report.refused:
            raise CommandError("\n".join(report.refused))
        if not report.installed and not report.unchanged:
            raise CommandError(
                f"未找到可安装的模型文件 / no pinned model file found in {options['source']}"
            )
        selectors.reset_recognizer()
        chosen = describe(find_models([dest, *selectors.model_folders()]))
        self.stdout.write(f"模型组合 / model set: {chosen}")
