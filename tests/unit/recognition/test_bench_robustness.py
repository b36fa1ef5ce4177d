"""The robustness benchmark's degradations and tally (the figures it prints rest on them)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from bench.plates_robustness import DEGRADATIONS, degrade, tally


def _photo() -> bytes:
    """A 400 × 300 photo with a plate-like blue box and white marks, as a JPEG."""
    image = np.full((300, 400, 3), 90, dtype=np.uint8)
    image[120:170, 100:300] = (160, 60, 20)
    for x in range(115, 290, 25):
        image[130:160, x : x + 12] = 255
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_every_degradation_returns_a_readable_jpeg_that_differs_from_the_photo() -> None:
    photo = _photo()
    original = _decode(photo).astype(np.int16)
    assert len({d.name for d in DEGRADATIONS}) == len(DEGRADATIONS)
    for how in DEGRADATIONS:
        out = degrade(photo, how)
        assert out[:2] == b"\xff\xd8", how.name
        image = _decode(out)
        if image.shape == original.shape:
            assert np.abs(image.astype(np.int16) - original).mean() > 0.5, how.name


def test_sizes_light_and_compression_change_as_named() -> None:
    photo = _photo()
    by_name = {d.name: d for d in DEGRADATIONS}
    assert _decode(degrade(photo, by_name["small"])).shape == (180, 240, 3)
    assert _decode(degrade(photo, by_name["large"])).shape == (480, 640, 3)
    assert _decode(degrade(photo, by_name["rot+5"])).shape == (300, 400, 3)
    base = _decode(photo).mean()
    assert _decode(degrade(photo, by_name["dark"])).mean() == pytest.approx(base * 0.5, rel=0.05)
    assert _decode(degrade(photo, by_name["bright"])).mean() > base * 1.3
    assert len(degrade(photo, by_name["jpeg50"])) < len(photo)
    assert degrade(photo, by_name["noise"]) == degrade(photo, by_name["noise"])  # seeded


def test_a_file_that_is_not_a_photo_is_refused() -> None:
    with pytest.raises(ValueError, match="not an image"):
        degrade(b"not a jpeg", DEGRADATIONS[0])


def test_tally_counts_exact_matches_and_photos_lost_or_gained() -> None:
    checked = {"a": "鲁PA1234", "b": "鲁PB2345", "c": "鲁PC3456", "d": "鲁PD4567"}
    given = {**checked, "d": "鲁PD4568"}  # the file name of d is wrong
    original = {"a": "鲁PA1234", "b": "鲁PB2345", "c": "鲁PC3458", "d": "鲁PD4567"}
    degraded = {"a": "鲁PA1234", "b": None, "c": "鲁PC3456", "d": "鲁PD4567"}
    t = tally(degraded, original, checked, given, [30.0, 10.0, 20.0, 40.0])
    assert t.exact == 0.75
    assert t.exact_given == 0.5
    assert t.lost == ["b"]
    assert t.gained == ["c"]
    assert t.median_ms == 25.0
