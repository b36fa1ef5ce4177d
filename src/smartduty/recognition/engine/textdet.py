"""Wheel-only fallback detector: PP-OCRv4 text detection, kept to plate-shaped text regions.

Used when the HyperLPR3 plate detector is not installed. The DB text detector marks text
pixels; each connected region becomes a rotated rectangle, grown (DB's "unclip") to cover the
whole plate, and kept when its aspect ratio and size fit a plate. Corners come from the rotated
rectangle, so tilted plates are still rectified. Slower and less precise than the plate
detector, but it needs only the models shipped inside the `rapidocr_onnxruntime` wheel.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine.detector import Detection
from smartduty.recognition.engine.sessions import Stopwatch, run_single

_SIDE = 960
_THRESHOLD = 0.3
_MIN_ASPECT, _MAX_ASPECT = 1.8, 7.5


def _order(points: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Top-left, top-right, bottom-right, bottom-left."""
    by_x = points[np.argsort(points[:, 0])]
    left, right = by_x[:2], by_x[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


class TextRegionDetector:
    """Runs the PP-OCRv4 text detector and keeps plate-like regions."""

    def __init__(self, session: Any, *, side: int = _SIDE) -> None:
        self.session = session
        self.side = side

    def detect(
        self, image: npt.NDArray[np.uint8], watch: Stopwatch | None = None
    ) -> list[Detection]:
        """Plate-like text regions of a BGR image, largest first."""
        height, width = image.shape[:2]
        scale = min(1.0, self.side / max(height, width))
        new_w = max(32, round(width * scale / 32) * 32)
        new_h = max(32, round(height * scale / 32) * 32)
        resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        tensor = (resized.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).transpose(
            2, 0, 1
        )
        prob = run_single(self.session, tensor[np.newaxis], watch)[0, 0]
        mask = (prob > _THRESHOLD).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        sx, sy = width / new_w, height / new_h
        found: list[Detection] = []
        for contour in contours:
            if cv2.contourArea(contour) < 40:
                continue
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            long_side, short_side = max(rw, rh), max(min(rw, rh), 1.0)
            # unclip: text boxes are tight, plates have a border around the characters
            grown = ((cx, cy), (rw + short_side * 0.9, rh + short_side * 0.9), angle)
            aspect = (long_side + short_side * 0.9) / (short_side * 1.9)
            if not _MIN_ASPECT <= aspect <= _MAX_ASPECT:
                continue
            points = cv2.boxPoints(grown).astype(np.float32)
            points[:, 0] *= sx
            points[:, 1] *= sy
            corners = _order(points)
            x1, y1 = (float(v) for v in points.min(axis=0))
            x2, y2 = (float(v) for v in points.max(axis=0))
            bx, by, bw, bh = cv2.boundingRect(contour)
            inside = mask[by : by + bh, bx : bx + bw] > 0
            score = float(prob[by : by + bh, bx : bx + bw][inside].mean())
            found.append(Detection(box=(x1, y1, x2, y2), corners=corners, score=score))
        found.sort(key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]), reverse=True)
        return found[:6]
