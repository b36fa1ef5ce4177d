"""The derived display copy: oriented, downscaled, with a visible watermark bar.

The bar at the bottom shows capture time, place and the officer's badge number in a CJK
TrueType font, so a printed notice or a screenshot still says where the photo came from.
The original is never touched; this works on an already decoded image.

Without that font there is no watermark: Pillow's built-in font has no Chinese glyphs, so a
fallback would silently drop the place and the labels from evidence. `load_font` raises
`WatermarkFontMissing` instead, a 503 with a Chinese message, and the upload is refused
before anything is stored (`manage.py check` reports the font as `smartduty.E001` at start-up).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from PIL import Image, ImageDraw, ImageFont, ImageOps

from smartduty.kernel.errors import ServiceUnavailable

JPEG_QUALITY: Final = 85
FIT_SLACK: Final = 0.75
"""A display copy's longer side is `max_side`, or as little as this share of it where a
whole-number reduction (JPEG DCT scaling, or k×k averaging) gets there without resampling:
with the 2048 px default, 1536-2048 px. Resampling a phone photo with Pillow's Lanczos filter
takes 115-145 ms on one core of the 2-core machine; halving it takes a few."""
THUMBNAIL_QUALITY: Final = 75
_BAR_ALPHA: Final = 150
_ELLIPSIS: Final = "…"
_RESIZABLE_MODES: Final = frozenset({"RGB", "RGBA", "L", "LA"})

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


class WatermarkFontMissing(ServiceUnavailable):
    """The CJK watermark font cannot be loaded; photos are refused rather than watermarked
    without their Chinese text."""

    default_message = (
        "服务器缺少中文字体，暂时无法为照片添加水印，请联系管理员安装 fonts-wqy-microhei"
    )


@lru_cache(maxsize=32)
def load_font(path: str, size: int) -> Font:
    """The TrueType font at `path` (first face of a .ttc); `WatermarkFontMissing` (503) when
    it cannot be loaded. Failures are not cached: an installed font works at the next call."""
    try:
        return ImageFont.truetype(path, size)
    except (OSError, ValueError) as exc:
        raise WatermarkFontMissing from exc


def to_rgb(img: Image.Image, *, copy: bool = True) -> Image.Image:
    """An RGB copy (`copy=False`: an RGB image is returned as it is); transparent areas
    become white instead of black."""
    if img.mode == "RGB":
        return img.copy() if copy else img
    if img.mode in {"RGBA", "LA", "PA"} or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _fit(text: str, font: Font, width: float) -> str:
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + _ELLIPSIS) > width:
        text = text[:-1]
    return text + _ELLIPSIS


def draw_watermark(img: Image.Image, *, lines: Sequence[str], font_path: str) -> None:
    """Draw a semi-transparent black bar with white text lines along the bottom, in place."""
    width, height = img.size
    font_size = max(12, round(max(width, height) * 0.018))
    font = load_font(font_path, font_size)
    padding = max(4, font_size // 2)
    line_height = round(font_size * 1.35)
    bar_height = min(height, padding * 2 + line_height * len(lines))
    top = height - bar_height
    box = (0, top, width, height)
    region = img.crop(box).convert("RGBA")
    overlay = Image.new("RGBA", region.size, (0, 0, 0, _BAR_ALPHA))
    draw = ImageDraw.Draw(overlay)
    for index, line in enumerate(lines):
        text = _fit(line, font, width - 2 * padding)
        draw.text(
            (padding, padding + index * line_height), text, font=font, fill=(255, 255, 255, 255)
        )
    img.paste(Image.alpha_composite(region, overlay).convert("RGB"), box[:2])


def _downscaled(img: Image.Image, max_side: int) -> Image.Image:
    """A copy no larger than `max_side`, keeping the EXIF orientation tag for later.

    Where a whole-number reduction (each output pixel the mean of k×k input pixels) lands at
    `FIT_SLACK` of `max_side` or more, it is taken instead of resampling: a 12-megapixel photo
    becomes 2000 px wide instead of being resampled to 2048 px, in a small part of the time.
    """
    if img.mode not in _RESIZABLE_MODES:
        img = to_rgb(img)
    width, height = img.size
    longest = max(width, height)
    if longest <= max_side:
        return img.copy()
    factor = int(longest // (max_side * FIT_SLACK))
    if factor >= 2:
        img = img.reduce(factor)
        width, height = img.size
        if max(width, height) <= max_side:
            return img
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _oriented(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation in place; unreadable metadata leaves the image as it is."""
    with contextlib.suppress(Exception):  # broken metadata must never block evidence
        ImageOps.exif_transpose(img, in_place=True)
    return img


def display_picture(img: Image.Image, *, max_side: int) -> Image.Image:
    """A new RGB image of a decoded one: downscaled to `max_side`, then turned upright.

    What the display copy is drawn on, before its watermark; the plate reader looks at the
    same picture (`evidence.services.prepare_photo(keep_picture=True)`). Downscaling comes
    first, so a 50-megapixel upload is copied only at display size.
    """
    return to_rgb(_oriented(_downscaled(img, max_side)), copy=False)  # _downscaled copied


def render_display_copy(
    img: Image.Image, *, lines: Sequence[str], max_side: int, font_path: str
) -> bytes:
    """JPEG bytes of the oriented, downscaled, watermarked copy of a decoded image.

    `img` is left as it is: given a `display_picture`, the watermark goes on a copy of it.
    """
    rgb = display_picture(img, max_side=max_side)
    draw_watermark(rgb, lines=lines, font_path=font_path)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def render_thumbnail(display_jpeg: bytes, *, max_side: int) -> bytes:
    """A small JPEG of a display copy, for back-office lists."""
    img = Image.open(io.BytesIO(display_jpeg), formats=["JPEG"])
    img.draft("RGB", (max_side, max_side))
    rgb = to_rgb(img)
    rgb.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()
