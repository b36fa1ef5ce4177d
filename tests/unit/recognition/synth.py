"""Synthetic plates and scenes the project makes itself (no third-party photos in the repository).

`render_plate` draws a GA 36-style plate with the WenQuanYi Micro Hei CJK font (Debian's
`fonts-wqy-microhei`, which CI installs): blue with white characters, yellow or white with black,
the new-energy gradient green with black, black with white. `scene` puts one or more plates on a
textured "car" background, optionally rotated, in perspective, blurred or with JPEG noise.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")

_STYLES = {
    "blue": ((20, 70, 180), (255, 255, 255)),
    "yellow": ((240, 190, 20), (10, 10, 10)),
    "white": ((245, 245, 245), (10, 10, 10)),
    "black": ((15, 15, 15), (250, 250, 250)),
    "green": ((120, 220, 130), (10, 10, 10)),
}


def font(size: int) -> ImageFont.FreeTypeFont:
    """The CJK font at `size` pixels."""
    return ImageFont.truetype(str(FONT_PATH), size)


def render_plate(text: str, color: str = "blue", *, height: int = 140) -> Image.Image:
    """A plate image (RGB): 440×140 for 7 characters, 480×140 for 8, with a frame and a dot."""
    width = round(height * (480 / 140 if len(text) == 8 else 440 / 140))
    background, ink = _STYLES[color]
    plate = Image.new("RGB", (width, height), background)
    if color == "green":  # new-energy gradient: green at the bottom fading to white on top
        gradient = np.linspace(255, 0, height)[:, None, None]
        base = np.array(background, dtype=np.float32)[None, None, :]
        white = np.full((1, 1, 3), 250, dtype=np.float32)
        mix = gradient / 255.0 * 0.6
        arr = (base * (1 - mix) + white * mix).repeat(width, axis=1)
        plate = Image.fromarray(arr.astype(np.uint8))
    draw = ImageDraw.Draw(plate)
    margin = max(3, height // 28)
    draw.rectangle(
        (margin, margin, width - margin - 1, height - margin - 1), outline=ink, width=margin
    )
    glyph = font(round(height * 0.62))
    chars = list(text)
    slots = len(chars) + 1  # one slot's worth of space for the separating dot
    step = (width - 6 * margin) / slots
    x = 3 * margin
    for i, char in enumerate(chars):
        left, top, right, bottom = draw.textbbox((0, 0), char, font=glyph)
        cx = x + step / 2
        draw.text(
            (cx - (right - left) / 2 - left, height / 2 - (bottom - top) / 2 - top),
            char,
            font=glyph,
            fill=ink,
        )
        x += step
        if i == 1:
            r = max(2, height // 30)
            draw.ellipse((x + step / 2 - r, height / 2 - r, x + step / 2 + r, height / 2 + r), ink)
            x += step
    return plate


@dataclass(frozen=True)
class Placed:
    """A plate placed into a scene: its text and where it ended up."""

    text: str
    box: tuple[int, int, int, int]


def _background(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    base = np.zeros((height, width, 3), dtype=np.float32)
    base[:] = rng.integers(60, 160, size=3)
    base += rng.normal(0, 12, size=(height, width, 1))
    yy = np.linspace(0, 1, height)[:, None, None]
    base *= 0.7 + 0.5 * yy  # a little shading
    return np.clip(base, 0, 255).astype(np.uint8)


def scene(
    plates: list[tuple[str, str, int]],
    *,
    size: tuple[int, int] = (1280, 960),
    angle: float = 0.0,
    perspective: float = 0.0,
    blur: float = 0.0,
    seed: int = 7,
    positions: list[tuple[float, float]] | None = None,
) -> tuple[npt.NDArray[np.uint8], list[Placed]]:
    """A BGR scene with plates `(text, colour, plate width in px)` drawn on "cars".

    `angle` rotates each plate (degrees), `perspective` squeezes one side (0-0.4), `blur` is a
    Gaussian sigma. Default positions spread the plates across the lower middle.
    """
    width, height = size
    image = _background(width, height, seed)
    rng = random.Random(seed)
    placed = []
    spots = positions or [((i + 1) / (len(plates) + 1), 0.62) for i in range(len(plates))]
    for (text, color, plate_w), (fx, fy) in zip(plates, spots, strict=True):
        plate = np.asarray(render_plate(text, color))[:, :, ::-1]
        ph, pw = plate.shape[:2]
        scale = plate_w / pw
        cx, cy = fx * width, fy * height
        # a car body around the plate
        body_w, body_h = plate_w * 2.6, plate_w * 1.4
        car_color = tuple(
            int(c) for c in rng.choice([(30, 30, 30), (200, 200, 205), (40, 40, 120)])
        )
        cv2.rectangle(
            image,
            (int(cx - body_w / 2), int(cy - body_h * 0.7)),
            (int(cx + body_w / 2), int(cy + body_h * 0.3)),
            car_color,
            -1,
        )
        src = np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]])
        half_w, half_h = pw * scale / 2, ph * scale / 2
        squeeze = perspective * half_h
        dst = np.float32(
            [
                [-half_w, -half_h],
                [half_w, -half_h + squeeze],
                [half_w, half_h - squeeze],
                [-half_w, half_h],
            ]
        )
        theta = np.deg2rad(angle)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        dst = (dst @ rot.T + np.float32([cx, cy])).astype(np.float32)
        matrix = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(plate, matrix, (width, height))
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (width, height))
        image[mask > 127] = warped[mask > 127]
        xs, ys = dst[:, 0], dst[:, 1]
        placed.append(Placed(text, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))))
    if blur:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    return image, placed


def jpeg(image: npt.NDArray[np.uint8], *, quality: int = 90, orientation: int = 1) -> bytes:
    """JPEG bytes of a BGR image, with an EXIF orientation tag when it is not 1."""
    rgb = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
    buffer = io.BytesIO()
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        rgb.save(buffer, "JPEG", quality=quality, exif=exif.tobytes())
    else:
        rgb.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def stored_for_orientation(image: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """How a camera stores an upright scene so that EXIF `orientation` turns it upright."""
    if orientation == 6:  # viewer rotates 90° clockwise to display
        return np.ascontiguousarray(np.rot90(image, k=1))
    if orientation == 8:
        return np.ascontiguousarray(np.rot90(image, k=-1))
    if orientation == 3:
        return np.ascontiguousarray(image[::-1, ::-1])
    return image
