"""The engine's later passes, with stand-in models so that each step is forced and observable.

- a plate read below `retry_below` (or not at all) is read again from a tighter and a wider
  crop (a detector's corners that clip the plate's first or last character);
- below `large_detector_below` the 640 px detector looks again: a plate it finds again is read
  from its (finer) corners and keeps the better reading of the two passes (or both passes'
  crops averaged, when that scores higher still) instead of appearing twice; a plate only it
  finds is added;
- the first pass stays alone when it is sure.

Plus the real models on a rendered 12-megapixel photo stored sideways (EXIF orientation 6):
decoded at a reduced scale inside the JPEG decoder, yet the corners and box come back in the
upright original's pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from smartduty.recognition.engine import EngineConfig, PlateEngine
from smartduty.recognition.engine.color import (
    ColorGuess,
    bright_strokes,
    hsv_guess,
    looks_black,
    resolve,
)
from smartduty.recognition.engine.detector import Detection, letterbox
from smartduty.recognition.engine.images import decode_photo
from smartduty.recognition.engine.reader import PLATE_ALPHABET
from smartduty.recognition.engine.rectify import stretch_contrast
from smartduty.recognition.engine.sessions import FloatArray, Stopwatch
from smartduty.vehicles.plates import PlateColor
from tests.unit.recognition.synth import jpeg, render_plate, scene, stored_for_orientation

A = PLATE_ALPHABET


def frames(text: str, p: float) -> FloatArray:
    """Reader output for `text`, each character `p` sure, blanks between."""
    rows = []
    for char in text:
        row = np.zeros(1 + len(A), dtype=np.float32)
        row[1 + A.index(char)] = p
        row[0] = 1.0 - p
        blank = np.zeros(1 + len(A), dtype=np.float32)
        blank[0] = 1.0
        rows += [row, blank]
    return np.stack(rows)


def nothing() -> FloatArray:
    blank = np.zeros((16, 1 + len(A)), dtype=np.float32)
    blank[:, 0] = 1.0
    return blank


class Reader:
    """Answers the queued frames, one per crop, and counts the crops."""

    alphabet = A

    def __init__(self, *answers: FloatArray) -> None:
        self.answers = list(answers)
        self.crops = 0
        self.widths: list[int] = []

    def read(
        self,
        crops: list[npt.NDArray[np.uint8]],
        watch: Stopwatch | None = None,  # noqa: ARG002 - the reader's signature
    ) -> list[FloatArray]:
        self.crops += len(crops)
        self.widths += [crop.shape[1] for crop in crops]
        return [self.answers.pop(0) for _ in crops]


class Detector:
    def __init__(self, *found: Detection) -> None:
        self.found = list(found)
        self.calls = 0

    def detect(
        self,
        image: npt.NDArray[np.uint8],  # noqa: ARG002 - the detector's signature
        watch: Stopwatch | None = None,  # noqa: ARG002
    ) -> list[Detection]:
        self.calls += 1
        return self.found


def plate_at(x1: float, y1: float, x2: float, y2: float, score: float = 0.9) -> Detection:
    corners = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]], dtype=np.float32)
    return Detection(box=(x1, y1, x2, y2), corners=corners, score=score)


PHOTO = np.full((480, 640, 3), 90, dtype=np.uint8)


def engine(reader: Reader, small: Detector, large: Detector | None = None) -> PlateEngine:
    return PlateEngine(
        reader=reader,  # type: ignore[arg-type]  # a stand-in with the same methods
        detector=small,  # type: ignore[arg-type]
        detector_large=large,  # type: ignore[arg-type]
        config=EngineConfig(),
    )


def test_a_sure_first_reading_is_final() -> None:
    reader = Reader(frames("鲁PA1234", 0.99))
    large = Detector(plate_at(200, 300, 400, 360))
    result = engine(reader, Detector(plate_at(200, 300, 400, 360)), large).recognize(PHOTO)
    assert result.best is not None
    assert result.best.text == "鲁PA1234"
    assert reader.crops == 1
    assert large.calls == 0
    assert result.notes == ()


def test_a_crop_read_as_nothing_is_read_again() -> None:
    reader = Reader(nothing(), frames("鲁PA1234", 0.97), frames("鲁PA1234", 0.97))
    result = engine(reader, Detector(plate_at(200, 300, 400, 360))).recognize(PHOTO)
    assert result.best is not None
    assert result.best.text == "鲁PA1234"
    assert reader.crops == 3  # the first crop, then a tighter and a wider one


def test_once_a_plate_reads_surely_the_other_detections_get_one_look() -> None:
    weak = frames("京B12845", 0.5)
    # the large central plate first (sure), then the small one: one crop, no retries
    reader = Reader(frames("鲁PA1234", 0.99), weak)
    small = Detector(plate_at(200, 300, 400, 360), plate_at(20, 20, 80, 38))
    result = engine(reader, small).recognize(PHOTO)
    assert reader.crops == 2
    assert [c.text for c in result.candidates] == ["鲁PA1234", "京B12845"]
    # the same weak plate, read first (nothing sure yet), gets the tighter and wider crops too
    reader = Reader(weak, weak, weak, weak, frames("鲁PA1234", 0.99))
    first_weak = Detector(plate_at(200, 300, 400, 360), plate_at(20, 20, 80, 38))
    engine(reader, first_weak).recognize(PHOTO)
    assert reader.crops == 5  # first, tighter, wider, contrast-stretched; then the other plate


def test_an_unsure_plate_is_read_from_a_wider_crop_too() -> None:
    # the first and the tighter crop cannot tell 8 from 3; the wider crop reads a clear 3
    unsure = frames("鲁PA1284", 0.6)
    unsure[10, 1 + A.index("8")], unsure[10, 1 + A.index("3")] = 0.5, 0.45
    reader = Reader(unsure, unsure, frames("鲁PA1234", 0.98), unsure)
    result = engine(reader, Detector(plate_at(200, 300, 400, 360))).recognize(PHOTO)
    assert reader.crops == 4  # the contrast-stretched look (unsure too) comes last
    first, tighter, wider, stretched = reader.widths
    assert wider > max(first, tighter)  # the same height, more of the plate's sides
    assert stretched == first
    assert result.best is not None
    assert result.best.text == "鲁PA1234"


def test_the_large_detector_rereads_the_same_plate_from_finer_corners() -> None:
    # first pass: a weak reading from both crops; the 640 px detector's corners read clearly
    weak = frames("鲁PA1284", 0.4)
    reader = Reader(weak, weak, weak, weak, frames("鲁PA1234", 0.98))
    first, finer = plate_at(200, 300, 400, 360), plate_at(204, 302, 398, 358)
    result = engine(reader, Detector(first), Detector(finer)).recognize(PHOTO)
    assert result.notes == ("large_detector",)
    assert [c.text for c in result.candidates] == ["鲁PA1234"]  # one plate, not two
    assert result.best is not None
    assert result.best.box == (204, 302, 398, 358)  # the finer corners are kept
    assert result.best.confidence > 0.8
    assert reader.crops == 5  # first, tighter, wider, contrast-stretched crop; finer corners


def test_a_weaker_second_look_does_not_replace_the_first() -> None:
    first_look, second_look = frames("鲁PA1234", 0.8), frames("皖PA1284", 0.5)
    reader = Reader(*[first_look] * 4, *[second_look] * 4)
    first = plate_at(200, 300, 400, 360)
    result = engine(reader, Detector(first), Detector(plate_at(202, 301, 399, 359))).recognize(
        PHOTO
    )
    assert result.notes == ("large_detector",)
    assert [c.text for c in result.candidates] == ["鲁PA1234"]
    assert result.best is not None
    assert result.best.box == (200, 300, 400, 360)
    assert reader.crops == 8


def test_a_plate_only_the_large_detector_finds_is_added() -> None:
    weak = frames("鲁PA1284", 0.2)
    reader = Reader(weak, weak, weak, weak, frames("京B12345", 0.99))
    result = engine(
        reader, Detector(plate_at(20, 20, 120, 50)), Detector(plate_at(250, 300, 450, 360))
    ).recognize(PHOTO)
    assert {c.text for c in result.candidates} == {"鲁PA1284", "京B12345"}
    assert result.best is not None
    assert result.best.text == "京B12345"


def test_an_unsure_plate_gets_a_contrast_stretched_look() -> None:
    # the three crops read weakly; the contrast-stretched one reads clearly and is kept
    weak = frames("鲁PA1284", 0.6)
    weak[10, 1 + A.index("8")], weak[10, 1 + A.index("3")] = 0.5, 0.45  # 8 or 3?
    reader = Reader(weak, weak, weak, frames("鲁PA1234", 0.98))
    result = engine(reader, Detector(plate_at(200, 300, 400, 360))).recognize(PHOTO)
    assert reader.crops == 4
    assert result.best is not None
    # averaged over all four crops, 鲁PA1234 is now the likeliest text
    assert result.best.text == "鲁PA1234"


def test_stretching_contrast_restores_a_washed_out_plate(font_available: None) -> None:
    plate = np.ascontiguousarray(np.asarray(render_plate("鲁PA1234", "blue"))[:, :, ::-1])
    hazy = (plate.astype(np.float32) * 0.25 + 170).astype(np.uint8)  # 170…234: little contrast
    restored = stretch_contrast(hazy)
    grey = cv2.cvtColor(restored, cv2.COLOR_BGR2GRAY)
    assert int(grey.max()) - int(grey.min()) > 200
    assert int(np.ptp(cv2.cvtColor(hazy, cv2.COLOR_BGR2GRAY))) < 70
    flat = np.full((48, 150, 3), 128, dtype=np.uint8)
    assert stretch_contrast(flat) is flat  # nothing to stretch


def test_letterbox_is_rgb_scaled_and_centred() -> None:
    image = np.zeros((100, 200, 3), dtype=np.uint8)
    image[:, :, 0] = 255  # blue in BGR
    tensor, scale, left, top = letterbox(image, 320)
    assert tensor.shape == (1, 3, 320, 320)
    assert tensor.dtype == np.float32
    assert (scale, left, top) == (1.6, 0, 80)
    assert tensor[0, 2, 160, 160] == pytest.approx(1.0)  # blue is the third RGB plane
    assert tensor[0, 0, 160, 160] == 0.0
    assert tensor[0, :, 10, 160].max() == 0.0  # padding above


def test_reduced_decoding_keeps_exif_orientation_and_original_coordinates(
    full_engine: PlateEngine,
) -> None:
    upright, placed = scene([("豫A7K396", "blue", 900)], size=(4000, 3000))
    data = jpeg(stored_for_orientation(upright, 6), quality=85, orientation=6)
    decoded = decode_photo(data)
    assert decoded.size == (4000, 3000)  # upright
    assert decoded.image.shape[:2] == (1500, 2000)  # decoded at 1/2 inside the JPEG decoder
    result = full_engine.recognize(data)
    assert result.image_size == (4000, 3000)
    assert result.best is not None
    assert result.best.text == "豫A7K396"
    x1, y1, x2, y2 = result.best.box
    px1, py1, px2, py2 = placed[0].box
    ix = max(0, min(x2, px2) - max(x1, px1))
    iy = max(0, min(y2, py2) - max(y1, py1))
    union = (x2 - x1) * (y2 - y1) + (px2 - px1) * (py2 - py1) - ix * iy
    assert ix * iy / union > 0.6
    assert all(px1 - 60 < x < px2 + 60 for x, _ in result.best.corners)


@pytest.mark.parametrize("color", ["blue", "yellow", "white", "black", "green"])
def test_black_background_is_judged_from_the_reported_crop(
    font_available: None, color: str
) -> None:
    plate = np.ascontiguousarray(np.asarray(render_plate("鲁PA1234", color))[:, :, ::-1])
    crop = cv2.resize(plate, (190, 48), interpolation=cv2.INTER_AREA)
    assert looks_black(crop) == hsv_guess(crop).looks_black == (color == "black")
    classifier_says_blue = ColorGuess(blue=0.9, green=0.05, yellow=0.05)
    expected = PlateColor.BLACK if color == "black" else PlateColor.BLUE
    assert resolve("鲁PA1234", classifier_says_blue, crop) == expected


@pytest.mark.parametrize(
    ("color", "expected"), [("blue", PlateColor.BLUE), ("yellow", PlateColor.YELLOW)]
)
def test_a_seven_character_plate_the_classifier_called_green_gets_its_colour_from_the_crop(
    font_available: None, color: str, expected: PlateColor
) -> None:
    plate = np.ascontiguousarray(np.asarray(render_plate("鲁PA1234", color))[:, :, ::-1])
    crop = cv2.resize(plate, (190, 48), interpolation=cv2.INTER_AREA)
    says_green = ColorGuess(blue=0.0001, green=0.9997, yellow=0.0002)
    assert resolve("鲁PA1234", says_green, crop) == expected


@pytest.mark.parametrize(
    ("color", "expected"),
    [("blue", PlateColor.BLUE), ("yellow", PlateColor.YELLOW), ("black", PlateColor.BLUE)],
)
def test_a_blue_plate_under_green_night_light_is_not_called_yellow(
    font_available: None, color: str, expected: PlateColor
) -> None:
    plate = np.ascontiguousarray(np.asarray(render_plate("川AZ408T", color))[:, :, ::-1])
    crop = cv2.resize(plate, (190, 48), interpolation=cv2.INTER_AREA)
    # a dim, green-tinted street lamp: every plate looks yellow-green to the classifier (a
    # black plate's tinted characters are no longer grey enough to call it black: blue, then)
    night = np.clip(crop.astype(np.float32) * np.array([0.25, 0.55, 0.3]), 0, 255)
    night_crop = night.astype(np.uint8)
    says_yellow = ColorGuess(blue=0.02, green=0.03, yellow=0.95)
    assert bright_strokes(night_crop) == (color in ("blue", "black"))
    assert resolve("川AZ408T", says_yellow, night_crop) == expected
    assert resolve("川AZ408T", says_yellow) == PlateColor.YELLOW  # no crop: the classifier
    flat = np.full((48, 190, 3), 90, dtype=np.uint8)
    assert not bright_strokes(flat)
