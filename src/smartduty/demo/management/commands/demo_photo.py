"""`manage.py demo_photo`: draw a street scene with a car and a readable plate, for demos.

The picture is synthetic (no real vehicle or person), so it can be used in READMEs, demos and
tests. Blue plates are drawn for 7-character plates, gradient-green ones for 8 characters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from PIL import Image, ImageDraw, ImageFont


def draw_scene(plate: str, *, size: tuple[int, int] = (1280, 960)) -> Image.Image:
    """A simple street scene with a car whose plate shows `plate`."""
    width, height = size
    img = Image.new("RGB", size, (150, 165, 180))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, int(height * 0.62), width, height), fill=(70, 72, 78))
    draw.rectangle((0, int(height * 0.58), width, int(height * 0.62)), fill=(190, 190, 185))
    body = (int(width * 0.18), int(height * 0.40), int(width * 0.82), int(height * 0.78))
    draw.rounded_rectangle(body, radius=40, fill=(180, 30, 40))
    cabin = (int(width * 0.28), int(height * 0.27), int(width * 0.70), int(height * 0.46))
    draw.rounded_rectangle(cabin, radius=30, fill=(170, 28, 38))
    draw.rectangle(
        (cabin[0] + 25, cabin[1] + 20, cabin[2] - 25, cabin[3] - 5), fill=(120, 160, 200)
    )
    for cx in (int(width * 0.28), int(width * 0.72)):
        cy = int(height * 0.79)
        draw.ellipse((cx - 70, cy - 70, cx + 70, cy + 70), fill=(25, 25, 25))
    green = len(plate) == 8
    pw, ph = int(width * 0.24), int(width * 0.24 / 3.14)
    px, py = (width - pw) // 2, int(height * 0.63)
    draw.rectangle((px, py, px + pw, py + ph), fill=(90, 190, 110) if green else (20, 70, 180))
    draw.rectangle((px + 4, py + 4, px + pw - 4, py + ph - 4), outline=(255, 255, 255), width=3)
    try:
        font: Any = ImageFont.truetype(settings.EVIDENCE_FONT_PATH, int(ph * 0.62))
    except OSError:
        font = ImageFont.load_default()
    text = f"{plate[:2]}·{plate[2:]}"
    box = draw.textbbox((0, 0), text, font=font)
    tx = px + (pw - (box[2] - box[0])) // 2 - box[0]
    ty = py + (ph - (box[3] - box[1])) // 2 - box[1]
    draw.text((tx, ty), text, font=font, fill=(0, 0, 0) if green else (255, 255, 255))
    return img


class Command(BaseCommand):
    """Write a synthetic scene photo (JPEG) with the given plate."""

    help = "生成一张带车牌的演示现场照片（合成图像）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plate", required=True, help="例如 鲁PA12345")
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:  # noqa: ARG002
        image = draw_scene(options["plate"])
        image.save(options["out"], "JPEG", quality=90)
        self.stdout.write(f"已生成 {options['out']}（{image.width}×{image.height}）")
