"""Decoding uploads upright (EXIF), shrinking large photos, and rectifying plates by corners."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from smartduty.kernel.errors import ValidationFailed
from smartduty.recognition.engine.images import decode_photo, from_array
from smartduty.recognition.engine.rectify import expand_quad, quad_size, rectify, sharpness
from tests.unit.recognition.synth import jpeg, stored_for_orientation


def _marked(width: int = 400, height: int = 300) -> np.ndarray:
    """A grey BGR image with a red block in its upper-left corner."""
    image = np.full((height, width, 3), 128, dtype=np.uint8)
    image[: height // 10, : width // 10] = (0, 0, 255)
    return image


def _red_centre(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.where((image[:, :, 2] > 200) & (image[:, :, 0] < 80))
    return xs.mean() / image.shape[1], ys.mean() / image.shape[0]


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_jpeg_exif_orientation_is_applied(orientation: int) -> None:
    upright = _marked()
    data = jpeg(stored_for_orientation(upright, orientation), orientation=orientation)
    decoded = decode_photo(data)
    assert decoded.image.shape[:2] == (300, 400)
    assert decoded.size == (400, 300)
    x, y = _red_centre(decoded.image)
    assert x < 0.2
    assert y < 0.2


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_other_formats_are_turned_the_same_way(fmt: str) -> None:
    stored = stored_for_orientation(_marked(), 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    Image.fromarray(stored[:, :, ::-1]).save(buffer, fmt, exif=exif.tobytes(), lossless=True)
    decoded = decode_photo(buffer.getvalue())
    x, y = _red_centre(decoded.image)
    assert decoded.image.shape[:2] == (300, 400)
    assert (x, y) < (0.2, 0.2)


def test_a_12_megapixel_photo_is_decoded_at_a_working_size() -> None:
    big = cv2.resize(_marked(), (4000, 3000), interpolation=cv2.INTER_NEAREST)
    decoded = decode_photo(jpeg(big, quality=80))
    assert max(decoded.image.shape[:2]) <= 2048 * 1.5
    assert decoded.size == (4000, 3000)
    assert decoded.scale * decoded.image.shape[1] == pytest.approx(4000)


def test_garbage_is_refused_with_a_chinese_message() -> None:
    with pytest.raises(ValidationFailed, match="无法识别的图片"):
        decode_photo(b"not an image at all")


def test_from_array_checks_the_shape() -> None:
    assert from_array(np.zeros((10, 20, 3), np.uint8)).size == (20, 10)
    with pytest.raises(ValidationFailed):
        from_array(np.zeros((10, 20), np.uint8))


def test_expand_quad_grows_in_the_plates_own_frame() -> None:
    square = np.float32([[10, 10], [110, 10], [110, 40], [10, 40]])
    grown = expand_quad(square, mx=0.1, my=0.5)
    np.testing.assert_allclose(grown[0], [0, -5], atol=1e-3)
    np.testing.assert_allclose(grown[2], [120, 55], atol=1e-3)
    assert quad_size(grown) == pytest.approx((120, 60))


def test_rectify_straightens_a_rotated_plate() -> None:
    image = np.zeros((200, 300, 3), np.uint8)
    corners = np.float32([[50, 80], [250, 40], [258, 100], [58, 140]])
    cv2.fillPoly(image, [corners.astype(np.int32)], (255, 255, 255))
    crop = rectify(image, corners, height=48)
    assert crop.shape[0] == 48
    assert crop.shape[1] == pytest.approx(48 * 204 / 61, rel=0.1)
    assert crop[4:-4, 4:-4].mean() > 240  # all plate, no background
    wider = rectify(image, corners, height=48, stretch=1.25)
    assert wider.shape[1] == pytest.approx(crop.shape[1] * 1.25, abs=2)


def test_sharpness_prefers_sharp_crops() -> None:
    rng = np.random.default_rng(0)
    crop = (rng.random((48, 150, 3)) * 255).astype(np.uint8)
    assert sharpness(crop) > sharpness(cv2.GaussianBlur(crop, (0, 0), 3))
