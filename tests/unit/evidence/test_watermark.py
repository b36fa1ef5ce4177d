"""The display copy: orientation, downscaling, a visible bar, the CJK font."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from smartduty.evidence import watermark
from tests.factories.evidence import camera_exif, image_bytes

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
LINES = ["拍摄时间 2026-11-29 18:30:05", "地点 人民路 88 号", "执法证号 SF1001"]


def _open(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_cjk_font_is_installed_and_used() -> None:
    assert Path(FONT).is_file()
    assert isinstance(watermark.load_font(FONT, 20), ImageFont.FreeTypeFont)


def test_missing_font_is_a_503_not_a_watermark_without_chinese() -> None:
    # Pillow's default font has no CJK glyphs: falling back would drop the place silently
    with pytest.raises(watermark.WatermarkFontMissing) as caught:
        watermark.load_font("/nonexistent/font.ttf", 20)
    assert caught.value.status == 503
    assert "中文字体" in caught.value.message


def test_display_copy_is_oriented_downscaled_jpeg_with_a_dark_bar() -> None:
    original = _open(image_bytes(size=(3000, 2000), color=(240, 240, 240)))
    data = watermark.render_display_copy(original, lines=LINES, max_side=2048, font_path=FONT)
    display = _open(data)
    assert display.format == "JPEG"
    assert display.size == (2048, 1365)
    top = display.getpixel((1000, 10))
    bar = display.getpixel((2040, 1360))
    assert isinstance(top, tuple)
    assert isinstance(bar, tuple)
    assert min(top) > 220
    assert max(bar) < 140


def test_exif_orientation_is_applied() -> None:
    original = _open(image_bytes(size=(400, 200), exif=camera_exif(orientation=6)))
    display = _open(
        watermark.render_display_copy(original, lines=LINES, max_side=2048, font_path=FONT)
    )
    assert display.size == (200, 400)


def test_text_is_drawn_in_the_bar() -> None:
    img = Image.new("RGB", (800, 600), (0, 0, 0))
    watermark.draw_watermark(img, lines=["执法证号 SF1001"], font_path=FONT)
    red, _, _ = img.crop((0, 560, 800, 600)).split()
    assert sum(red.histogram()[201:]) > 100  # white text pixels


def test_long_lines_are_cut_to_the_width() -> None:
    img = Image.new("RGB", (120, 90), (255, 255, 255))
    watermark.draw_watermark(img, lines=["地点 " + "很长的地址" * 40], font_path=FONT)
    assert img.size == (120, 90)


def test_transparent_png_becomes_white_not_black() -> None:
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert watermark.to_rgb(rgba).getpixel((5, 5)) == (255, 255, 255)
    assert watermark.to_rgb(Image.new("L", (4, 4), 128)).getpixel((1, 1)) == (128, 128, 128)


def test_thumbnail_is_small() -> None:
    display = image_bytes(size=(2048, 1536))
    thumb = _open(watermark.render_thumbnail(display, max_side=160))
    assert max(thumb.size) <= 160


def test_big_rotated_and_palette_images() -> None:
    big = _open(image_bytes(size=(4000, 1000), exif=camera_exif(orientation=8)))
    display = _open(watermark.render_display_copy(big, lines=LINES, max_side=2048, font_path=FONT))
    assert display.size == (500, 2000)  # halved by 2×2 averaging (≥ ¾ of 2048), then turned
    palette = Image.new("RGB", (300, 200), (10, 200, 10)).convert("P")
    display = _open(
        watermark.render_display_copy(palette, lines=LINES, max_side=100, font_path=FONT)
    )
    assert display.size == (75, 50)  # 4×4 averaging: 75 px is ¾ of the 100 px asked for


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((4000, 3000), (2000, 1500)),  # 12 MP phone photo: 2×2 averaging, no resampling
        ((6000, 4500), (2000, 1500)),  # 27 MP: 3×3
        ((3264, 2448), (1632, 1224)),  # 8 MP: halved (1632 px ≥ ¾ of 2048)
        ((2600, 1950), (2048, 1536)),  # a halving would leave 1300 px (< ¾): resampled
        ((2100, 1000), (2048, 975)),
    ],
)
def test_large_photos_reduce_by_whole_numbers_when_that_keeps_three_quarters(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    width, height = size
    original = Image.new("RGB", size, (250, 250, 250))
    original.paste((200, 20, 20), (0, 0, width // 2, height // 2))  # a red top-left quarter
    display = _open(
        watermark.render_display_copy(original, lines=LINES, max_side=2048, font_path=FONT)
    )
    assert display.size == expected
    assert max(display.size) >= watermark.FIT_SLACK * 2048
    red = display.getpixel((expected[0] // 4, expected[1] // 4))
    white = display.getpixel((expected[0] * 3 // 4, expected[1] // 4))
    assert isinstance(red, tuple)
    assert isinstance(white, tuple)
    assert red[0] > 150  # the same picture, in the same place
    assert red[1] < 80
    assert min(white) > 220
