"""Fixtures: engines over the models that are present, skipped cleanly where they are not.

The HyperLPR3 files are read from `../shared/models/hyperlpr3` beside the repository (CI has
that folder, read-only); the PP-OCRv4 files from the installed `rapidocr_onnxruntime` wheel.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartduty.recognition.engine import PlateEngine, load_engine
from smartduty.recognition.engine.catalog import wheel_model_dir
from tests.unit.recognition.synth import FONT_PATH

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared"
HYPERLPR3 = SHARED / "models" / "hyperlpr3"
DEV_PHOTOS = SHARED / "data" / "plates" / "dev"


def _need_wheel() -> None:
    if wheel_model_dir() is None:
        pytest.skip("rapidocr_onnxruntime (wheel-shipped PP-OCRv4 models) is not installed")


def _need_font() -> None:
    if not FONT_PATH.is_file():
        # `make test` installs it (deploy/system-packages.sh): missing is a broken set-up
        pytest.fail(f"CJK font {FONT_PATH} missing: run `make system-packages-test` as root")


@pytest.fixture(scope="session")
def hyperlpr3_dir() -> Path:
    """The shared HyperLPR3 model folder (with the wheel's recogniser), or a skip."""
    if not (HYPERLPR3 / "y5fu_320x_sim.onnx").is_file():
        pytest.skip(f"HyperLPR3 models not found at {HYPERLPR3}")
    _need_wheel()
    return HYPERLPR3


@pytest.fixture(scope="session")
def full_engine(hyperlpr3_dir: Path) -> PlateEngine:
    """HyperLPR3 detectors + classifier + PP-OCRv4 recogniser, one thread."""
    _need_wheel()
    _need_font()
    return load_engine([hyperlpr3_dir])


@pytest.fixture(scope="session")
def wheel_engine(tmp_path_factory: pytest.TempPathFactory) -> PlateEngine:
    """The wheel-only fallback (no optional model installed)."""
    _need_wheel()
    _need_font()
    return load_engine([tmp_path_factory.mktemp("no-models")])


@pytest.fixture
def font_available() -> None:
    """Skip when the CJK font for synthetic plates is missing."""
    _need_font()
