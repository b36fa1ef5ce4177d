"""Start-up check of the plate-recognition model files (registered in `ready()`).

Looks for the pinned files where the engine does (`VAR_DIR/models`, `RECOGNITION_MODEL_DIRS`,
then the `rapidocr_onnxruntime` wheel), by name and size only: no hashing and no model
loading, so `manage.py check` stays fast. The engine still verifies hashes when it loads.

- `smartduty.E010`: no usable set (no recogniser, or neither detector): every reading answers
  503 and officers type plates by hand.
- `smartduty.W010`: the optional HyperLPR3 plate detector is not installed; the engine falls
  back to the wheel's PP-OCRv4 text detector, which finds fewer plates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning, register

from smartduty.recognition.engine.catalog import PINNED, Role, wheel_model_dir
from smartduty.recognition.selectors import model_dir, model_folders

INSTALL_HINT = (
    "运行 make models，或 manage.py install_models --from 路径或网址（文件按 SHA-256 校验）/ "
    "run `make models` or `manage.py install_models --from PATH_OR_URL` (files are "
    "SHA-256 checked)"
)


def present_roles(folders: Sequence[Path]) -> set[Role]:
    """Roles with a non-empty pinned file in `folders` (by name and size only)."""
    found: set[Role] = set()
    for folder in folders:
        for spec in PINNED:
            try:
                if (folder / spec.name).stat().st_size > 0:
                    found.add(spec.role)
            except OSError:
                continue
    return found


def check_models(
    app_configs: Sequence[AppConfig] | None = None,  # noqa: ARG001
    **kwargs: Any,  # noqa: ARG001
) -> list[CheckMessage]:
    """E010 when nothing usable is installed, W010 when only the wheel's fallback is."""
    wheel = wheel_model_dir()
    folders = [*model_folders(), *([wheel] if wheel is not None else [])]
    roles = present_roles(folders)
    if Role.RECOGNIZER not in roles or not roles & {Role.DETECTOR, Role.TEXT_DETECTOR}:
        searched = ", ".join(map(str, folders))
        return [
            Error(
                f"未找到可用的车牌识别模型（已查找 {searched}）：识别接口将返回 "
                "503，车牌需手动输入 / no usable plate-recognition models found (searched "
                f"{searched}): plate reading answers 503 and officers must "
                "type plates",
                hint="安装 rapidocr_onnxruntime（pip install -e .）或 / install "
                "rapidocr_onnxruntime (pip install -e .) or " + INSTALL_HINT,
                id="smartduty.E010",
            )
        ]
    if Role.DETECTOR not in roles:
        return [
            Warning(
                f"未安装可选的 HyperLPR3 车牌检测模型（{model_dir()}），使用 wheel 自带的 "
                "PP-OCRv4 文字检测，识别率较低 / optional HyperLPR3 plate detector not "
                f"installed in {model_dir()}: using the wheel's PP-OCRv4 text detector, which "
                "finds fewer plates",
                hint=INSTALL_HINT,
                id="smartduty.W010",
            )
        ]
    return []


def register_checks() -> None:
    """Register the check; called from `RecognitionConfig.ready()` (idempotent)."""
    register(check_models)
