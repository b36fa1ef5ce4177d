"""Benchmark: the watermarked display copy of phone-sized photos, as the report upload makes it.

    .venv/bin/python -m bench.display_copy [--repeat 5]

For generated photo-like JPEGs of common phone sizes (12 MP 4:3, iPhone 4032×3024, 8 MP, 4K
16:9, 1080p), times `imaging.open_image` + `watermark.render_display_copy` (decode, orient,
downscale, watermark, encode) on one core, side by side in one run: the current rule (a
whole-number reduction when it keeps ¾ of the display side, `watermark.FIT_SLACK`) and the
previous one (always the full display side: full-size decode, then a Lanczos resample). Prints
the median milliseconds and the copy's size for both. No target: the figures say what one
upload costs the web process.
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SIZES = ((4000, 3000), (4032, 3024), (3264, 2448), (3840, 2160), (1920, 1080))
MAX_SIDE = 2048
LINES = (
    "2026-11-30 10:00:00 设备时间",
    "东区 人民路 88 号门前 · 36.45600, 115.98500",
    "证号 SF1002",
)


def photo(size: tuple[int, int]) -> bytes:
    """A JPEG with a phone photo's mix of smooth areas and detail (quality 92)."""
    import numpy as np  # noqa: PLC0415 - bench only
    from PIL import Image  # noqa: PLC0415

    width, height = size
    rng = np.random.default_rng(width * height)
    x = np.linspace(0, 1, width, dtype=np.float32)[np.newaxis, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, np.newaxis]
    base = np.stack([90 + 120 * x + 0 * y, 80 + 100 * y + 0 * x, 140 - 60 * x * y], axis=2)
    detail = rng.normal(0, 18, (height // 4, width // 4, 3)).astype(np.float32)
    detail = np.repeat(np.repeat(detail, 4, axis=0), 4, axis=1)[:height, :width]
    pixels = np.clip(base + detail, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=92)
    return out.getvalue()


def render(data: bytes, slack: float, font: str) -> tuple[float, tuple[int, int]]:
    """Milliseconds and output size of one display copy with `FIT_SLACK = slack`."""
    from PIL import Image  # noqa: PLC0415

    from smartduty.evidence import imaging, watermark  # noqa: PLC0415

    watermark.FIT_SLACK = slack  # type: ignore[misc]  # the two rules, side by side
    fmt = imaging.sniff_format(data[:64])
    assert fmt is not None  # noqa: S101 - generated JPEGs
    started = time.perf_counter()
    draft = math.ceil(MAX_SIDE * slack)
    with imaging.open_image(data, fmt, max_pixels=80_000_000, draft_side=draft) as opened:
        out = watermark.render_display_copy(
            opened.image, lines=LINES, max_side=MAX_SIDE, font_path=font
        )
    ms = (time.perf_counter() - started) * 1000.0
    return ms, Image.open(io.BytesIO(out)).size


def main() -> None:
    """Time both rules on every size and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from smartduty.env import EvidenceEnv  # noqa: PLC0415
    from smartduty.evidence import watermark  # noqa: PLC0415

    current = watermark.FIT_SLACK
    font = EvidenceEnv().font_path  # the product's default watermark font
    print(f"display side {MAX_SIDE} px; median of {args.repeat} runs, one core")
    print(f"{'photo':>11} {'KB':>6}  {'previous rule':>24}  {'current rule':>24}  {'speed-up':>8}")
    for size in SIZES:
        data = photo(size)
        times: dict[float, list[float]] = {1.0: [], current: []}
        shapes: dict[float, tuple[int, int]] = {}
        for _ in range(args.repeat):
            for slack in (1.0, current):  # alternating, so drifts hit both alike
                ms, shapes[slack] = render(data, slack, font)
                times[slack].append(ms)
        old, new = statistics.median(times[1.0]), statistics.median(times[current])
        old_size = "×".join(map(str, shapes[1.0]))
        new_size = "×".join(map(str, shapes[current]))
        print(
            f"{size[0]:>5}×{size[1]:<5} {len(data) // 1024:>6}  {old:>7.0f} ms {old_size:>13}  "
            f"{new:>7.0f} ms {new_size:>13}  {old / new:>7.1f}×"
        )
    watermark.FIT_SLACK = current  # type: ignore[misc]


if __name__ == "__main__":
    main()
