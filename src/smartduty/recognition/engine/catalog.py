"""The model files the engine knows, pinned by SHA-256, and where it looks for them.

Nothing is ever downloaded at run time. Optional files (the HyperLPR3 plate detector and
colour classifier) are installed by `manage.py install_models --from PATH_OR_URL`, which
copies them into `VAR_DIR/models` after checking the hashes below. The PP-OCRv4 models ship
inside the `rapidocr_onnxruntime` wheel; they are used from there, or from `VAR_DIR/models`
when installed the same way (for example from the wheel file itself).
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final


class Role(StrEnum):
    """What a model file does in the pipeline."""

    DETECTOR = "detector"
    DETECTOR_LARGE = "detector_large"
    CLASSIFIER = "classifier"
    RECOGNIZER = "recognizer"
    TEXT_DETECTOR = "text_detector"


@dataclass(frozen=True)
class ModelFile:
    """One pinned model file."""

    name: str
    sha256: str
    role: Role
    label: str
    """Short name used in the model-set description, e.g. `hyperlpr3-det320`."""
    source: str
    licence: str

    @property
    def version(self) -> str:
        """`label@sha256-prefix`, logged and returned with every reading."""
        return f"{self.label}@{self.sha256[:12]}"


_HYPERLPR3 = "szad670401/HyperLPR@2c34754f33f3cddd448dd934c0aa80ef4308c546 resource/models/onnx"
_RAPIDOCR = "rapidocr_onnxruntime 1.4.4 (PyPI wheel), PaddleOCR PP-OCRv4"

PINNED: Final[tuple[ModelFile, ...]] = (
    ModelFile(
        "y5fu_320x_sim.onnx",
        "2a985dc63a5cc947ec36d18503d6fc0fd54525b9dba17f2fe29a71e86b44456d",
        Role.DETECTOR,
        "hyperlpr3-det320",
        _HYPERLPR3,
        "Apache-2.0",
    ),
    ModelFile(
        "y5fu_640x_sim.onnx",
        "0306de937471b87f56eb3f5620815e7e7058f8ab7428e0734fc64627cc4d716c",
        Role.DETECTOR_LARGE,
        "hyperlpr3-det640",
        _HYPERLPR3,
        "Apache-2.0",
    ),
    ModelFile(
        "litemodel_cls_96x_r1.onnx",
        "fe123688d3bf08b9ef029fcd57f3ac4644ac2e5ef8b9e7a676aacd5fad152142",
        Role.CLASSIFIER,
        "hyperlpr3-cls96",
        _HYPERLPR3,
        "Apache-2.0",
    ),
    ModelFile(
        "ch_PP-OCRv4_rec_infer.onnx",
        "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
        Role.RECOGNIZER,
        "ppocrv4-rec",
        _RAPIDOCR,
        "Apache-2.0",
    ),
    ModelFile(
        "ch_PP-OCRv4_det_infer.onnx",
        "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
        Role.TEXT_DETECTOR,
        "ppocrv4-det",
        _RAPIDOCR,
        "Apache-2.0",
    ),
)
BY_NAME: Final = {f.name: f for f in PINNED}
BY_SHA256: Final = {f.sha256: f for f in PINNED}
WHEEL_PACKAGE: Final = "rapidocr_onnxruntime"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_model_dir() -> Path | None:
    """The `models/` folder of the installed `rapidocr_onnxruntime` wheel, without importing it.

    Its package `__init__` imports OpenCV's GUI build and more; we only need the files.
    """
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder if folder.is_dir() else None


@dataclass(frozen=True)
class Located:
    """A pinned model file found on disk."""

    spec: ModelFile
    path: Path


def locate(
    folders: Iterable[Path], *, verify: bool = True, trusted: Iterable[Path] = ()
) -> dict[Role, Located]:
    """The first good copy of each pinned file, searching `folders` in order.

    Files in `folders` are checked against their SHA-256 (a wrong file is skipped, as if it
    were absent); files in `trusted` (the installed wheel's own folder) are taken as shipped.
    """
    found: dict[Role, Located] = {}
    trusted_set = {p.resolve() for p in trusted}
    for folder in folders:
        for spec in PINNED:
            if spec.role in found:
                continue
            path = folder / spec.name
            if not path.is_file():
                continue
            if verify and folder.resolve() not in trusted_set and sha256_of(path) != spec.sha256:
                continue
            found[spec.role] = Located(spec, path)
    return found
