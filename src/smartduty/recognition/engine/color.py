"""Plate colour: the HyperLPR3 classifier (blue / green / yellow) when installed, HSV otherwise.

The classifier (`litemodel_cls_96x_r1.onnx`) takes a 96×96 BGR crop scaled to 0-1 and answers
blue, green or yellow. White (police, 学 coach plates are yellow) and black (consulate, Hong Kong
and Macau) plates are told apart by the plate grammar and by the crop's brightness and saturation.
Green splits into small (渐变绿, new-energy cars) and large (黄绿, new-energy trucks and buses)
by the plate's kind.

Under coloured night light the classifier can call a blue plate yellow (a green-lit 川A plate:
yellow 0.95). Blue and black plates carry light characters on a dark ground, yellow ones dark
characters on a light ground, whatever the light's colour: a "yellow" plate whose grey levels
skew towards a few bright pixels (`bright_strokes`) is reported blue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from smartduty.recognition.engine.sessions import Stopwatch, run_single
from smartduty.vehicles.plates import PlateColor, PlateKind, parse_plate

CLASSIFIER_LABELS = ("blue", "green", "yellow")
_VIVID_S = 70
_VIVID_V = 60
_DARK = 70
_GREY_SHARE = 0.2
_UNSURE = 0.2
"""Below this for both blue and yellow, the classifier's choice between them means nothing."""
_BRIGHT_SKEW = 0.3
"""Skewness of the plate's grey levels above which its characters are lighter than its ground
(dev photos: yellow plates -1.3 to -0.1, the night-lit blue one +0.42; rendered: ±1.25)."""


@dataclass(frozen=True)
class ColorGuess:
    """Probabilities of blue, green and yellow, and whether the background looks white/black."""

    blue: float
    green: float
    yellow: float
    looks_white: bool = False
    looks_black: bool = False


class ColorClassifier:
    """Runs the HyperLPR3 colour classifier."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.size = int(session.get_inputs()[0].shape[2])

    def classify(self, crop: npt.NDArray[np.uint8], watch: Stopwatch | None = None) -> ColorGuess:
        """Colour probabilities of a rectified plate crop (BGR)."""
        resized = cv2.resize(crop, (self.size, self.size), interpolation=cv2.INTER_AREA)
        tensor = resized.transpose(2, 0, 1)[np.newaxis].astype(np.float32) / np.float32(255.0)
        probs = run_single(self.session, tensor, watch)[0]
        # white/black backgrounds are looked at later, only for the plates that are reported
        return ColorGuess(blue=float(probs[0]), green=float(probs[1]), yellow=float(probs[2]))


def hsv_guess(crop: npt.NDArray[np.uint8]) -> ColorGuess:
    """A colour guess from the hue of the crop's saturated pixels (no model needed)."""
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hue, sat, val = (hsv[:, :, i].astype(np.float32) for i in range(3))
    vivid = (sat > _VIVID_S) & (val > _VIVID_V)
    share = float(vivid.mean())
    looks_black = float(np.median(val)) < _DARK and share < _GREY_SHARE
    looks_white = share < _GREY_SHARE and float(np.median(val)) > 150
    if share < 0.05:
        return ColorGuess(0.34, 0.33, 0.33, looks_white=looks_white, looks_black=looks_black)
    hues = hue[vivid]
    blue = float(((hues >= 95) & (hues <= 130)).mean())
    green = float(((hues >= 35) & (hues < 95)).mean())
    yellow = float(((hues >= 12) & (hues < 35)).mean())
    total = max(blue + green + yellow, 1e-6)
    return ColorGuess(
        blue / total,
        green / total,
        yellow / total,
        looks_white=looks_white,
        looks_black=looks_black,
    )


def looks_black(crop: npt.NDArray[np.uint8]) -> bool:
    """A dark plate with little colour (black background): `hsv_guess(crop).looks_black`,
    answered with two OpenCV calls instead of the full hue analysis."""
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    if float(np.median(hsv[:, :, 2])) >= _DARK:
        return False
    vivid = cv2.inRange(hsv, (0, _VIVID_S + 1, _VIVID_V + 1), (255, 255, 255))
    return cv2.countNonZero(vivid) < _GREY_SHARE * vivid.size


def bright_strokes(crop: npt.NDArray[np.uint8]) -> bool:
    """Are the plate's characters lighter than its background (blue, black) rather than darker
    (yellow, white, green)? Characters cover the smaller part of the plate, so the grey levels
    of its inner part skew towards the characters' side."""
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape
    inner = grey[height // 5 : height - height // 5, width // 20 : width - width // 20]
    values = inner.astype(np.float32).ravel()
    if values.size < 16:
        return False
    spread = float(values.std())
    if spread < 1.0:
        return False
    centred = (values - float(values.mean())) / spread
    return float(np.mean(centred * centred * centred)) > _BRIGHT_SKEW


def resolve(
    text: str, guess: ColorGuess | None, crop: npt.NDArray[np.uint8] | None = None
) -> PlateColor:
    """The plate colour for a grammar-valid text, using the guess where the kind allows a choice
    (and the crop's own brightness and saturation for a black background)."""
    info = parse_plate(text)
    if info.kind == PlateKind.NEV_SMALL:
        return PlateColor.GREEN_SMALL
    if info.kind == PlateKind.NEV_LARGE:
        return PlateColor.GREEN_LARGE
    if info.kind != PlateKind.ORDINARY or guess is None:
        return info.default_color
    if guess.looks_black or (crop is not None and looks_black(crop)):
        return PlateColor.BLACK
    if max(guess.blue, guess.yellow) < _UNSURE and crop is not None:
        # the classifier saw green (or nothing) but the text is a 7-character plate: let the
        # crop's own hues choose between blue and yellow rather than two tiny probabilities
        guess = hsv_guess(crop)
    if guess.yellow > guess.blue:
        # a yellow plate has dark characters; light ones mean a blue plate in odd light
        return PlateColor.BLUE if crop is not None and bright_strokes(crop) else PlateColor.YELLOW
    return PlateColor.BLUE
