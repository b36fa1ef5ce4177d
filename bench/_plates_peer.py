"""Child process of `bench/plates.py` for the peers, run with the peers' own interpreter.

    /work/peers-venv/bin/python bench/_plates_peer.py {hyperlpr2|rapidocr} LIST_FILE

The peers need `opencv-python<5` (hyperlpr2) and `rapidocr_onnxruntime`, which conflict with
the product's OpenCV 5, so they live in a separate virtual environment and never in the
product's dependencies. This file imports nothing from smartduty. Each photo is decoded with
OpenCV and timed from bytes to result (decode included, as for our engine), with one thread.
Output: one JSON line per photo with every text the peer returned
(`[[text, score, [x1, y1, x2, y2]], ...]`); the parent picks the plate. The last line is
`{"peak_rss_kb": ...}`.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
import numpy as np

cv2.setNumThreads(1)

Texts = list[tuple[str, float, list[float]]]


def _decode(data: bytes) -> Any:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("undecodable image")
    return image


def hyperlpr2() -> Callable[[bytes], Texts]:
    """HyperLPR2 (`pip install hyperlpr2`): cascade detection + its recogniser."""
    from hyperlpr2 import HyperLPR_plate_recognition  # noqa: PLC0415 - optional peer

    def run(data: bytes) -> Texts:
        found = HyperLPR_plate_recognition(_decode(data))
        return [(str(t), float(s), [float(v) for v in box]) for t, s, box in found]

    return run


def rapidocr() -> Callable[[bytes], Texts]:
    """RapidOCR alone (PP-OCRv4 detection + recognition over the whole photo)."""
    from rapidocr_onnxruntime import RapidOCR  # noqa: PLC0415 - optional peer

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def run(data: bytes) -> Texts:
        result, _ = engine(_decode(data))
        texts: Texts = []
        for points, text, score in result or []:
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            texts.append((str(text), float(score), [min(xs), min(ys), max(xs), max(ys)]))
        return texts

    return run


def main() -> None:
    """Run one peer over the listed photos."""
    name, list_file = sys.argv[1], sys.argv[2]
    files = [p for p in Path(list_file).read_text(encoding="utf-8").splitlines() if p]
    run = {"hyperlpr2": hyperlpr2, "rapidocr": rapidocr}[name]()
    if files:
        run(Path(files[0]).read_bytes())
    for file in files:
        data = Path(file).read_bytes()
        started = time.perf_counter()
        try:
            texts = run(data)
        except Exception as exc:
            texts = []
            print(f"{name}: {file}: {exc}", file=sys.stderr)
        ms = (time.perf_counter() - started) * 1000.0
        print(json.dumps({"file": file, "ms": round(ms, 2), "texts": texts}, ensure_ascii=False))
    print(json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
