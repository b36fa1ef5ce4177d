"""The plate-recognition port: what other apps may ask of a plate reader, and what it answers.

`PlateRecognizer.recognize(image)` takes the bytes of a photo (JPEG, PNG, WebP, HEIC) or a
decoded BGR `numpy` array and returns a `Recognition`: every plate found, ranked so that the
most likely target (large, central, sharp, confidently read) comes first. A photo with no
plate is an empty `Recognition`, not an error. Adapters live in `providers/`: `onnx` (the
offline engine) and `stub` (a configured answer, for tests of other apps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from smartduty.vehicles.plates import PlateColor

Point = tuple[float, float]
ImageInput = bytes | npt.NDArray[np.uint8]
"""Encoded photo bytes, or a decoded H×W×3 BGR array (OpenCV's order)."""

REVIEW_THRESHOLD = 0.80
"""Below this overall confidence a reading is flagged for the officer to confirm or type."""
CHAR_REVIEW_THRESHOLD = 0.50
"""A reading with any character below this confidence is flagged as well."""


@dataclass(frozen=True)
class PlateCandidate:
    """One plate found in the photo."""

    text: str
    """Normalised plate, always valid under GA 36-2018 (`vehicles.plates.parse_plate`)."""
    confidence: float
    """Probability, 0…1, that the whole text is right."""
    char_confidences: tuple[float, ...]
    color: PlateColor
    corners: tuple[Point, Point, Point, Point]
    """Top-left, top-right, bottom-right, bottom-left, in pixels of the upright photo."""
    box: tuple[int, int, int, int]
    """x1, y1, x2, y2 in pixels of the upright photo."""
    detection_score: float = 0.0
    sharpness: float = 0.0
    """Variance of the Laplacian of the rectified crop (higher is sharper)."""
    rank_score: float = 0.0
    """How likely this plate is the photo's subject (size, centre, sharpness, confidence)."""
    double_layer: bool = False

    @property
    def unsure_positions(self) -> tuple[int, ...]:
        """Indexes (0-based) of the characters read below `CHAR_REVIEW_THRESHOLD`: the ones
        the officer should look at."""
        return tuple(i for i, p in enumerate(self.char_confidences) if p < CHAR_REVIEW_THRESHOLD)

    @property
    def needs_review(self) -> bool:
        """Whether an officer should confirm or correct this reading."""
        return self.confidence < REVIEW_THRESHOLD or (
            bool(self.char_confidences) and min(self.char_confidences) < CHAR_REVIEW_THRESHOLD
        )


@dataclass(frozen=True)
class Recognition:
    """The answer for one photo."""

    candidates: tuple[PlateCandidate, ...] = ()
    """Plates found, the most likely target first."""
    model_versions: tuple[str, ...] = ()
    """The model files that produced the reading (name and SHA-256 prefix)."""
    model_set: str = ""
    """Which set of models ran, e.g. `hyperlpr3-det320 + ppocrv4-rec`."""
    ms: float = 0.0
    """Milliseconds spent on this photo (decoding included)."""
    model_ms: float = 0.0
    """Of `ms`, the milliseconds spent inside the models themselves."""
    decode_ms: float = 0.0
    """Of `ms`, the milliseconds spent decoding the photo (JPEG/PNG/HEIC to pixels)."""
    image_size: tuple[int, int] = (0, 0)
    """Width and height of the upright photo."""
    notes: tuple[str, ...] = field(default=())
    """What the engine did beyond the usual (e.g. "retried with the 640 px detector")."""

    @property
    def best(self) -> PlateCandidate | None:
        """The most likely target plate, or None when the photo shows no plate."""
        return self.candidates[0] if self.candidates else None

    @property
    def needs_review(self) -> bool:
        """True when there is no plate or the best reading is not confident."""
        best = self.best
        return best is None or best.needs_review


@runtime_checkable
class PlateRecognizer(Protocol):
    """Reads licence plates in a photo. Implementations must be thread-safe."""

    model_set: str

    def recognize(self, image: ImageInput) -> Recognition:
        """Every plate in the photo, ranked; raises `ValidationFailed` for undecodable bytes."""
        ...
