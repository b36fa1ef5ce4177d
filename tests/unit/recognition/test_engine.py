"""The engine on synthetic photos the project renders itself: colours, tilt, perspective, blur,
several cars, no plate, EXIF rotation, 12-megapixel photos, and many threads at once.

Skipped (with the reason) where the models are absent; see `conftest.py`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from smartduty.recognition.engine import PlateEngine
from smartduty.recognition.ports import PlateRecognizer
from smartduty.vehicles.plates import PlateColor, is_valid_plate
from tests.unit.recognition.synth import jpeg, scene, stored_for_orientation

CASES = [
    ("blue", [("鲁PA1234", "blue", 260)], {}, PlateColor.BLUE),
    ("yellow", [("京B12345", "yellow", 260)], {}, PlateColor.YELLOW),
    ("green small", [("粤BD12345", "green", 280)], {}, PlateColor.GREEN_SMALL),
    ("green large", [("粤B12345D", "green", 280)], {}, PlateColor.GREEN_LARGE),
    ("police", [("鲁P1234警", "white", 260)], {}, PlateColor.WHITE),
    ("coach", [("鲁P1234学", "yellow", 260)], {}, PlateColor.YELLOW),
    ("tilted", [("苏E6K8M9", "blue", 260)], {"angle": 12}, PlateColor.BLUE),
    ("perspective", [("浙A8C7D6", "blue", 260)], {"perspective": 0.3}, PlateColor.BLUE),
    ("blurred", [("川A5H2K8", "blue", 260)], {"blur": 2.0}, PlateColor.BLUE),
    ("small", [("沪C36912", "blue", 140)], {}, PlateColor.BLUE),
]


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


@pytest.mark.parametrize(("name", "plates", "options", "color"), CASES, ids=[c[0] for c in CASES])
def test_reads_synthetic_plates(
    full_engine: PlateEngine,
    name: str,
    plates: list[tuple[str, str, int]],
    options: dict[str, float],
    color: PlateColor,
) -> None:
    image, placed = scene(plates, **options)
    result = full_engine.recognize(jpeg(image))
    best = result.best
    assert best is not None, name
    assert best.text == placed[0].text
    assert best.color == color
    assert _iou(best.box, placed[0].box) > 0.6
    assert len(best.char_confidences) == len(best.text)
    assert 0.0 <= best.confidence <= 1.0
    assert result.model_set.startswith("hyperlpr3-det320")
    assert result.ms >= result.model_ms > 0


def test_the_largest_plate_is_the_target(full_engine: PlateEngine) -> None:
    image, placed = scene([("鲁PA1234", "blue", 170), ("京B12345", "blue", 280)])
    result = full_engine.recognize(jpeg(image))
    assert next(c.text for c in result.candidates) == "京B12345"
    assert len(result.candidates) == 2
    assert _iou(result.candidates[1].box, placed[0].box) > 0.5


def test_no_plate_is_an_empty_result(full_engine: PlateEngine) -> None:
    image, _ = scene([])
    result = full_engine.recognize(jpeg(image))
    assert result.candidates == ()
    assert result.best is None
    assert result.needs_review


def test_exif_rotated_phone_photo(full_engine: PlateEngine) -> None:
    image, placed = scene([("鲁PA1234", "blue", 260)])
    result = full_engine.recognize(jpeg(stored_for_orientation(image, 6), orientation=6))
    assert result.image_size == (image.shape[1], image.shape[0])
    assert result.best is not None
    assert result.best.text == "鲁PA1234"
    assert _iou(result.best.box, placed[0].box) > 0.6


def test_twelve_megapixel_photo_reports_full_resolution_coordinates(
    full_engine: PlateEngine,
) -> None:
    image, placed = scene([("豫A7K396", "blue", 1000)], size=(4000, 3000))
    result = full_engine.recognize(jpeg(image, quality=85))
    assert result.image_size == (4000, 3000)
    assert result.best is not None
    assert result.best.text == "豫A7K396"
    assert _iou(result.best.box, placed[0].box) > 0.6
    xs = [x for x, _ in result.best.corners]
    assert max(xs) > 2000  # full-resolution pixels, not the working copy's


def test_accepts_a_decoded_array(full_engine: PlateEngine) -> None:
    image, _ = scene([("鲁PA1234", "blue", 260)])
    result = full_engine.recognize(image)
    assert result.best is not None
    assert result.best.text == "鲁PA1234"


def test_every_reading_is_grammar_valid(full_engine: PlateEngine) -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 255, size=(480, 640, 3), dtype=np.uint8)
    noise = cv2.GaussianBlur(noise, (0, 0), 1.0)
    for candidate in full_engine.recognize(jpeg(noise)).candidates:
        assert is_valid_plate(candidate.text)


def test_is_thread_safe(full_engine: PlateEngine) -> None:
    photos = [
        jpeg(scene([(text, "blue", 260)], seed=i)[0])
        for i, text in enumerate(["鲁PA1234", "京B12345", "苏E6K8M9", "沪C36912"])
    ]
    alone = [full_engine.recognize(p).best for p in photos]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda p: full_engine.recognize(p).best, photos * 2))
    assert [b.text if b else None for b in together] == [b.text if b else None for b in alone] * 2


def test_engine_satisfies_the_port(full_engine: PlateEngine) -> None:
    assert isinstance(full_engine, PlateRecognizer)
    assert any(v.startswith("ppocrv4-rec@48fc40f24f6d") for v in full_engine.model_versions)


@pytest.mark.parametrize(
    ("text", "color", "options"),
    [("鲁PA1234", "blue", {}), ("苏E6K8M9", "blue", {"angle": 10}), ("粤BD12345", "green", {})],
)
def test_wheel_only_fallback_still_reads(
    wheel_engine: PlateEngine, text: str, color: str, options: dict[str, float]
) -> None:
    image, _ = scene([(text, color, 260)], **options)
    result = wheel_engine.recognize(jpeg(image))
    assert result.model_set.startswith("wheel-only fallback")
    assert result.best is not None
    assert result.best.text == text
