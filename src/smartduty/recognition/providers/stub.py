"""A recogniser that answers what it was told: for tests and demos of other apps.

    recognizer = StubRecognizer(plate="鲁PA1234", confidence=0.97)
    with use_recognizer(recognizer):  # from smartduty.recognition.selectors
        ...

Thread-safe; it records the number of calls and the size of every image it was given.
"""

from __future__ import annotations

import threading

from smartduty.recognition.ports import ImageInput, PlateCandidate, Recognition
from smartduty.vehicles.plates import PlateColor, normalize_plate


class StubRecognizer:
    """Returns one configured plate (or none) for every photo."""

    model_set = "stub"

    def __init__(
        self,
        plate: str | None = "鲁PA12345",
        *,
        confidence: float = 0.99,
        color: PlateColor = PlateColor.BLUE,
        box: tuple[int, int, int, int] = (100, 200, 340, 280),
        char_confidences: tuple[float, ...] | None = None,
    ) -> None:
        """`char_confidences`: per character (default: `confidence` for every one)."""
        self.plate = normalize_plate(plate) if plate else None
        if self.plate and char_confidences is not None and len(char_confidences) != len(self.plate):
            raise ValueError("char_confidences needs one value per plate character")
        self.char_confidences = char_confidences
        self.confidence = confidence
        self.color = color
        self.box = box
        self.calls: list[int] = []
        self._lock = threading.Lock()

    def recognize(self, image: ImageInput) -> Recognition:
        """The configured plate at the configured box; no plate when `plate` is None."""
        with self._lock:
            self.calls.append(len(image) if isinstance(image, bytes) else int(image.size))
        if self.plate is None:
            return Recognition(model_set=self.model_set, model_versions=("stub",))
        x1, y1, x2, y2 = self.box
        candidate = PlateCandidate(
            text=self.plate,
            confidence=self.confidence,
            char_confidences=self.char_confidences or tuple(self.confidence for _ in self.plate),
            color=self.color,
            corners=((x1, y1), (x2, y1), (x2, y2), (x1, y2)),
            box=self.box,
            detection_score=1.0,
        )
        return Recognition(
            candidates=(candidate,), model_set=self.model_set, model_versions=("stub",)
        )
