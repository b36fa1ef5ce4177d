"""The offline plate-recognition engine (ONNX Runtime on the CPU, no network, no Django).

`load_engine(folders)` builds the best `PlateEngine` the installed model files allow:

| files found                                  | model set                                        |
|----------------------------------------------|--------------------------------------------------|
| HyperLPR3 detector 320 (+640, + classifier)  | `hyperlpr3-det320 + ppocrv4-rec` (+ parts)       |
| only the `rapidocr_onnxruntime` wheel        | `wheel-only fallback: ppocrv4-det + ppocrv4-rec` |
| no PP-OCRv4 recogniser anywhere              | `ModelsMissing` with install instructions        |
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from smartduty.recognition.engine.catalog import Located, Role, locate, wheel_model_dir
from smartduty.recognition.engine.color import ColorClassifier
from smartduty.recognition.engine.detector import PlateDetector
from smartduty.recognition.engine.pipeline import EngineConfig, PlateEngine
from smartduty.recognition.engine.reader import CharacterReader
from smartduty.recognition.engine.sessions import make_session
from smartduty.recognition.engine.textdet import TextRegionDetector

__all__ = ["EngineConfig", "ModelsMissing", "PlateEngine", "describe", "find_models", "load_engine"]

logger = logging.getLogger("smartduty.recognition")

WHEEL_ONLY = "wheel-only fallback"


class ModelsMissing(RuntimeError):
    """No recogniser model is installed (neither the wheel nor `install_models`)."""


def find_models(folders: Iterable[Path]) -> dict[Role, Located]:
    """Pinned model files in `folders` (hash-checked), then in the installed wheel."""
    search = [Path(f) for f in folders]
    wheel = wheel_model_dir()
    trusted = [wheel] if wheel is not None else []
    return locate([*search, *trusted], trusted=trusted)


def describe(found: dict[Role, Located]) -> str:
    """The model-set name for a set of located files."""
    if Role.RECOGNIZER not in found:
        return "none"
    rec = found[Role.RECOGNIZER].spec.label
    if Role.DETECTOR in found:
        parts = [found[Role.DETECTOR].spec.label]
        if Role.DETECTOR_LARGE in found:
            parts.append(found[Role.DETECTOR_LARGE].spec.label)
        name = " + ".join(["/".join(parts), rec])
        if Role.CLASSIFIER in found:
            name += " + " + found[Role.CLASSIFIER].spec.label
        return name
    if Role.TEXT_DETECTOR in found:
        return f"{WHEEL_ONLY}: {found[Role.TEXT_DETECTOR].spec.label} + {rec}"
    return "none"


def load_engine(
    folders: Iterable[Path], *, threads: int = 1, config: EngineConfig | None = None
) -> PlateEngine:
    """The best engine the model files in `folders` (and the wheel) allow."""
    found = find_models(folders)
    if Role.RECOGNIZER not in found or (
        Role.DETECTOR not in found and Role.TEXT_DETECTOR not in found
    ):
        raise ModelsMissing(
            "未找到车牌识别模型：请安装 rapidocr_onnxruntime，或运行 "
            "`manage.py install_models --from 路径或网址` / "
            "no plate-recognition models found: install rapidocr_onnxruntime or run "
            "`manage.py install_models --from PATH_OR_URL`"
        )

    def session(role: Role) -> object | None:
        located = found.get(role)
        return make_session(located.path, threads=threads) if located else None

    detector = session(Role.DETECTOR)
    large = session(Role.DETECTOR_LARGE) if detector is not None else None
    classifier = session(Role.CLASSIFIER)
    text_detector = session(Role.TEXT_DETECTOR) if detector is None else None
    order = [Role.DETECTOR, Role.DETECTOR_LARGE, Role.CLASSIFIER, Role.RECOGNIZER]
    if detector is None:
        order = [Role.TEXT_DETECTOR, Role.CLASSIFIER, Role.RECOGNIZER]
    versions = tuple(found[role].spec.version for role in order if role in found)
    name = describe(found)
    engine = PlateEngine(
        reader=CharacterReader(session(Role.RECOGNIZER)),
        detector=PlateDetector(detector) if detector is not None else None,
        detector_large=PlateDetector(large) if large is not None else None,
        text_detector=TextRegionDetector(text_detector) if text_detector is not None else None,
        classifier=ColorClassifier(classifier) if classifier is not None else None,
        model_set=name,
        model_versions=versions,
        config=config,
    )
    logger.info("plate recognition: %s (%s)", name, ", ".join(versions))
    return engine
