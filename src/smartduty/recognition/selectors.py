"""Which plate recogniser this process uses, and what is installed.

`get_recognizer()` builds the best engine the installed models allow once per process (the
ONNX sessions are shared by every request thread) and logs which set it chose. Model files
are looked for in `VAR_DIR/models` (where `install_models` puts them), then in any extra
folders of `settings.RECOGNITION_MODEL_DIRS`, then inside the `rapidocr_onnxruntime` wheel.
Tests of other apps swap in a `StubRecognizer` with `use_recognizer(...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from smartduty.recognition.engine import describe, find_models, load_engine
from smartduty.recognition.engine.catalog import PINNED
from smartduty.recognition.ports import PlateRecognizer

_lock = threading.Lock()
_engine: PlateRecognizer | None = None
_override: PlateRecognizer | None = None


def model_dir() -> Path:
    """Where `install_models` puts model files: `VAR_DIR/models`."""
    return Path(settings.VAR_DIR) / "models"


def model_folders() -> list[Path]:
    """Folders searched for model files, best first (the wheel is searched after these)."""
    extra = [Path(p) for p in getattr(settings, "RECOGNITION_MODEL_DIRS", ())]
    return [model_dir(), *extra]


def get_recognizer() -> PlateRecognizer:
    """The process's recogniser (built on first use); raises `ModelsMissing` without models."""
    global _engine  # noqa: PLW0603 - one engine per process, built lazily under a lock
    if _override is not None:
        return _override
    with _lock:
        if _engine is None:
            threads = int(getattr(settings, "RECOGNITION_THREADS", 1))
            _engine = load_engine(model_folders(), threads=threads)
        return _engine


@contextmanager
def use_recognizer(recognizer: PlateRecognizer) -> Iterator[PlateRecognizer]:
    """Use `recognizer` instead of the engine inside the block (tests, demos)."""
    global _override  # noqa: PLW0603 - process-wide switch, restored on exit
    previous, _override = _override, recognizer
    try:
        yield recognizer
    finally:
        _override = previous


def reset_recognizer() -> None:
    """Forget the built engine, so the next call looks for models again (after installing)."""
    global _engine  # noqa: PLW0603 - see get_recognizer
    with _lock:
        _engine = None


@dataclass(frozen=True)
class InstalledModel:
    """One pinned model file and where it was found (None when missing)."""

    name: str
    role: str
    version: str
    path: Path | None


@dataclass(frozen=True)
class ModelReport:
    """What `plates models` prints: the chosen set and every pinned file."""

    model_set: str
    files: tuple[InstalledModel, ...]


def list_models() -> ModelReport:
    """The model set the engine would choose now, and where each pinned file is."""
    found = find_models(model_folders())
    files = tuple(
        InstalledModel(
            name=spec.name,
            role=str(spec.role),
            version=spec.version,
            path=found[spec.role].path if spec.role in found else None,
        )
        for spec in PINNED
    )
    return ModelReport(model_set=describe(found), files=files)
