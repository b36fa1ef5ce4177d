"""Cutting a plate out of a photo: perspective rectification by its 4 corners, with margins.

A tilted or skewed plate becomes an upright rectangle of the recogniser's height. The margins
are taken in the plate's own frame (a fraction of its width and height), so a strongly tilted
plate gets the same margin as a frontal one.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine.sessions import FloatArray

_FLAT = 10.0
"""Below this lightness range (of 255) a crop has no contrast left to stretch."""
_UNIT = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=np.float32)


def expand_quad(corners: FloatArray, *, mx: float, my: float) -> FloatArray:
    """The quadrilateral grown by `mx` of its width on each side and `my` of its height."""
    homography = cv2.getPerspectiveTransform(_UNIT, corners.astype(np.float32))
    grown = np.array([[-mx, -my], [1 + mx, -my], [1 + mx, 1 + my], [-mx, 1 + my]], dtype=np.float32)
    mapped = cv2.perspectiveTransform(grown[np.newaxis], homography)[0]
    return np.asarray(mapped, dtype=np.float32)


def quad_size(corners: FloatArray) -> tuple[float, float]:
    """Width and height of a quadrilateral (longest opposite edges)."""
    tl, tr, br, bl = corners
    width = max(float(np.linalg.norm(tr - tl)), float(np.linalg.norm(br - bl)))
    height = max(float(np.linalg.norm(bl - tl)), float(np.linalg.norm(br - tr)))
    return width, height


def rectify(
    image: npt.NDArray[np.uint8],
    corners: FloatArray,
    *,
    height: int,
    mx: float = 0.0,
    my: float = 0.0,
    max_aspect: float = 8.0,
    stretch: float = 1.0,
) -> npt.NDArray[np.uint8]:
    """The plate as an upright BGR image `height` pixels high (width by the plate's aspect).

    `stretch` widens the result: more CTC frames per character, which keeps doubled
    characters (`44`, `88`) apart on the recogniser's coarse time axis.
    """
    quad = expand_quad(corners, mx=mx, my=my)
    width, tall = quad_size(quad)
    tall = max(tall, 1.0)
    aspect = min(max(width / tall, 1.0), max_aspect)
    out_w = max(8, round(height * aspect * stretch))
    # Warp at the plate's own resolution first (capped), then shrink with area averaging, so a
    # large plate in a 12-megapixel photo is not aliased by a direct warp to a small size.
    native_h = int(min(max(tall, height), height * 3))
    native_w = max(8, round(native_h * aspect))
    target = np.array(
        [[0, 0], [native_w, 0], [native_w, native_h], [0, native_h]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(quad, target)
    warped = cv2.warpPerspective(
        image, matrix, (native_w, native_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if native_h == height and native_w == out_w:
        return np.asarray(warped, dtype=np.uint8)
    interpolation = cv2.INTER_AREA if native_h > height else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(warped, (out_w, height), interpolation=interpolation), np.uint8)


def sharpness(crop: npt.NDArray[np.uint8]) -> float:
    """Variance of the Laplacian of the grey crop: higher is sharper (blurry plates ≈ < 50)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    # 16-bit holds every 3×3 Laplacian of 8-bit pixels exactly; OpenCV's own mean/std is
    # several times faster than numpy's var on a float copy
    _, std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_16S))
    return float(std[0, 0]) ** 2


def stretch_contrast(
    crop: npt.NDArray[np.uint8], *, low: float = 2.0, high: float = 98.0
) -> npt.NDArray[np.uint8]:
    """The crop with its lightness stretched so that the `low`…`high` percentiles span 0…255
    (hue and saturation kept): a washed-out, hazy or dark plate gets back its contrast."""
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB)
    lightness = lab[:, :, 0]
    lo, hi = (float(v) for v in np.percentile(lightness, (low, high)))
    if hi - lo < _FLAT:
        return crop
    gain = 255.0 / (hi - lo)
    lab[:, :, 0] = cv2.convertScaleAbs(lightness, alpha=gain, beta=-lo * gain)
    return np.asarray(cv2.cvtColor(lab, cv2.COLOR_LAB2BGR), dtype=np.uint8)
