"""Child process of `bench/plates.py`: read plates with our engine, one JSON line per photo.

    python bench/_plates_worker.py LIST_FILE [--models DIR ...] [--threads 1]

`LIST_FILE` holds one image path per line. Every photo is read from memory (the file is read
before the clock starts) and timed from bytes to reading; the first photo is read once more
before timing to warm the sessions up. A photo the engine cannot read (an undecodable file) is
reported as `{"file", "ms", "error"}` and the run goes on. OpenCV is held to one thread, like
the models and the peers (`_plates_peer.py`), so that "1 thread" covers decoding and resizing
too. The last line is `{"peak_rss_kb": ...}`.
No Django setup is needed: the engine does not touch the database or settings.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import cv2

from smartduty.recognition.engine import load_engine

cv2.setNumThreads(1)


def main() -> None:
    """Read every listed photo and print the readings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("list_file")
    parser.add_argument("--models", action="append", default=[])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    files = [p for p in Path(args.list_file).read_text(encoding="utf-8").splitlines() if p]
    engine = load_engine([Path(m) for m in args.models], threads=args.threads)
    print(json.dumps({"model_set": engine.model_set, "versions": engine.model_versions}))
    for name in files[:10]:  # warm up on the first readable photo
        try:
            engine.recognize(Path(name).read_bytes())
            break
        except Exception:  # noqa: S112 - reported below, in the timed loop
            continue
    for name in files:
        data = Path(name).read_bytes()
        started = time.perf_counter()
        try:
            result = engine.recognize(data)
        except Exception as exc:  # an unreadable photo is a miss, not the end of the run
            ms = round((time.perf_counter() - started) * 1000.0, 2)
            print(f"ours: {name}: {exc}", file=sys.stderr)
            print(json.dumps({"file": name, "ms": ms, "error": str(exc)}, ensure_ascii=False))
            continue
        best = result.best
        line = {
            "file": name,
            "ms": result.ms,
            "model_ms": result.model_ms,
            "decode_ms": result.decode_ms,
            "plate": best.text if best else None,
            "confidence": best.confidence if best else 0.0,
            "box": list(best.box) if best else None,
            "needs_review": result.needs_review,
        }
        print(json.dumps(line, ensure_ascii=False), flush=True)
    print(json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))


if __name__ == "__main__":
    main()
