"""Smoke test on real labelled photos from `../shared/data/plates/dev` (never copied here).

Skips cleanly where the folder or the models are absent. The full figures come from
`bench/plates.py`; this only guards against a pipeline that stopped working on real photos.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from smartduty.recognition.engine import PlateEngine
from tests.unit.recognition.conftest import DEV_PHOTOS

SAMPLE = 24


def _scene_photos() -> list[tuple[Path, str]]:
    labels = DEV_PHOTOS / "EasyPR" / "labels.csv"
    if not labels.is_file():
        pytest.skip(f"real photos not found at {DEV_PHOTOS}")
    with labels.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "scene"]
    return [(labels.parent / r["file"], r["plate"]) for r in rows[:SAMPLE]]


def test_reads_most_real_phone_photos(full_engine: PlateEngine) -> None:
    photos = _scene_photos()
    right = sum(
        1
        for path, plate in photos
        if (b := full_engine.recognize(path.read_bytes()).best) and b.text == plate
    )
    assert right >= 0.8 * len(photos), f"{right}/{len(photos)}"
