"""How our plate reading holds up on degraded copies of the dev scene photos.

    .venv/bin/python -m bench.plates_robustness --data ../shared/data/plates/dev \
        [--only small,blur] [--models DIR ...] [--misses]

`bench/plates.py` measures the photos as they are; the issue's figures will also be checked on
photos we do not have. This script reads every scene photo once as it is and once per
degradation (smaller and larger, rotated, in perspective, darker, brighter, blurred, JPEG at
quality 50, sensor noise), with our engine in this process on one thread, and prints per
degradation: exact match against the checked labels (`plates_checked_labels.csv`, so that a
wrong file name does not hide a change) and against the labels as given, how many photos read
right as they are but wrong degraded (lost) and the reverse (gained), and the median time.
A reader that only fits the dev photos loses many; one that reads plates loses few.
Degraded copies live in memory only (the photos are research-only, see the data README).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import numpy.typing as npt  # noqa: E402

from bench.plates import (  # noqa: E402
    CHECKED_LABELS,
    default_models,
    load_checks,
    load_samples,
    relabelled,
)

Image = npt.NDArray[np.uint8]
ORIGINAL = "original"
JPEG_QUALITY = 92
"""Quality the degraded copies are stored at (a phone's usual)."""


def _rotate(image: Image, degrees: float) -> Image:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(
        cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE), np.uint8
    )


def _perspective(image: Image) -> Image:
    """The photo seen from the right: its left edge 12 % shorter."""
    height, width = image.shape[:2]
    src = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    dst = np.array(
        [[0, height * 0.06], [width, 0], [width, height], [0, height * 0.94]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(src, dst)
    return np.asarray(
        cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE),
        np.uint8,
    )


def _gain(image: Image, gain: float, offset: float = 0.0) -> Image:
    return np.asarray(cv2.convertScaleAbs(image, alpha=gain, beta=offset), np.uint8)


def _noise(image: Image) -> Image:
    rng = np.random.default_rng(0)
    noisy = image.astype(np.float32) + rng.normal(0.0, 8.0, image.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def _scale(factor: float) -> Callable[[Image], Image]:
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return lambda image: np.asarray(
        cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation), np.uint8
    )


@dataclass(frozen=True)
class Degradation:
    """One way of spoiling a photo."""

    name: str
    what: str
    apply: Callable[[Image], Image]
    quality: int = JPEG_QUALITY


DEGRADATIONS: tuple[Degradation, ...] = (
    Degradation("small", "resized to 0.6 ×", _scale(0.6)),
    Degradation("large", "resized to 1.6 ×", _scale(1.6)),
    Degradation("rot+5", "rotated 5° anticlockwise", lambda i: _rotate(i, 5.0)),
    Degradation("rot-5", "rotated 5° clockwise", lambda i: _rotate(i, -5.0)),
    Degradation("persp", "seen from the right", _perspective),
    Degradation("dark", "half the light", lambda i: _gain(i, 0.5)),
    Degradation("bright", "overexposed (1.4 × + 20)", lambda i: _gain(i, 1.4, 20.0)),
    Degradation("blur", "Gaussian blur σ 1.3 px", lambda i: cv2.GaussianBlur(i, (0, 0), 1.3)),
    Degradation("jpeg50", "recompressed at JPEG quality 50", lambda i: i, quality=50),
    Degradation("noise", "sensor noise σ 8", _noise),
)


def degrade(data: bytes, how: Degradation) -> bytes:
    """The photo's bytes, decoded, spoiled and stored again as a JPEG."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not an image")
    ok, encoded = cv2.imencode(".jpg", how.apply(image), [cv2.IMWRITE_JPEG_QUALITY, how.quality])
    if not ok:
        raise ValueError("could not encode the degraded photo")
    return encoded.tobytes()


@dataclass(frozen=True)
class Tally:
    """One degradation's figures against the photos as they are."""

    exact: float
    exact_given: float
    lost: list[str]
    gained: list[str]
    median_ms: float


def tally(
    readings: dict[str, str | None],
    original: dict[str, str | None],
    checked: dict[str, str],
    given: dict[str, str],
    ms: list[float],
) -> Tally:
    """Exact match (checked and given labels) and the photos lost or gained against the
    original readings."""
    right = {p for p, text in readings.items() if text == checked[p]}
    right_before = {p for p, text in original.items() if text == checked[p]}
    return Tally(
        exact=len(right) / len(readings),
        exact_given=sum(text == given[p] for p, text in readings.items()) / len(readings),
        lost=sorted(right_before - right),
        gained=sorted(right - right_before),
        median_ms=statistics.median(ms) if ms else 0.0,
    )


def main() -> None:
    """Read the dev scene photos as they are and degraded; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--kinds", default="scene,scene_overlay")
    parser.add_argument("--models", action="append", default=None)
    parser.add_argument("--only", default="", help="comma-separated degradation names")
    parser.add_argument("--checked-labels", default=str(CHECKED_LABELS))
    parser.add_argument("--misses", action="store_true", help="list the photos lost")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no data folder at {args.data}")

    from smartduty.recognition.engine import load_engine  # noqa: PLC0415 - ONNX Runtime only for a run, not for tests of the helpers

    cv2.setNumThreads(1)
    engine = load_engine([Path(m) for m in args.models or default_models()], threads=1)
    samples = load_samples(args.data, set(args.kinds.split(",")))
    checks = load_checks(Path(args.checked_labels) if args.checked_labels else None, args.data)
    checked = {s.path: s.plate for s in relabelled(samples, checks)}
    given = {s.path: s.plate for s in samples}
    wanted = [d for d in DEGRADATIONS if not args.only or d.name in args.only.split(",")]
    print(f"{len(samples)} scene photos, model set {engine.model_set}, 1 thread")
    photos = {s.path: Path(s.path).read_bytes() for s in samples}
    engine.recognize(next(iter(photos.values())))  # warm the sessions up

    def read_all(how: Degradation | None) -> tuple[dict[str, str | None], list[float]]:
        readings: dict[str, str | None] = {}
        ms: list[float] = []
        for path, data in photos.items():
            result = engine.recognize(data if how is None else degrade(data, how))
            readings[path] = result.best.text if result.best else None
            ms.append(result.ms)
        return readings, ms

    original, ms = read_all(None)
    rows = [(ORIGINAL, "as they are", tally(original, original, checked, given, ms))]
    for how in wanted:
        readings, ms = read_all(how)
        rows.append((how.name, how.what, tally(readings, original, checked, given, ms)))
        if args.misses:
            for path in rows[-1][2].lost:
                name = Path(path).name
                print(f"  {how.name} lost {name}: read {readings[path]}, is {checked[path]}")
    head = ("degradation", "what", "exact", "given", "lost", "gained", "median")
    print("\n{:12} {:34} {:>7} {:>7} {:>5} {:>6} {:>8}".format(*head))
    for name, what, t in rows:
        print(
            f"{name:12} {what:34} {t.exact:7.1%} {t.exact_given:7.1%} {len(t.lost):5d}"
            f" {len(t.gained):6d} {t.median_ms:6.1f}ms"
        )
    spoiled = [t for name, _, t in rows if name != ORIGINAL]
    if spoiled:
        mean = statistics.mean(t.exact for t in spoiled)
        print(
            f"mean exact over {len(spoiled)} degradations: {mean:.1%} (checked labels);"
            f" as they are: {rows[0][2].exact:.1%}"
        )


if __name__ == "__main__":
    main()
