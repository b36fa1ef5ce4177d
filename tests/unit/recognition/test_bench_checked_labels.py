"""The benchmark's list of labels checked by eye: well formed, and pointing at real dev photos.

`bench/plates.py` prints exact-match figures against these corrections beside the official
ones; a typo here would silently move those figures, so every row is checked.
"""

from __future__ import annotations

import csv

import pytest
from bench.plates import CHECKED_LABELS, Sample, load_checks, relabelled

from smartduty.vehicles.plates import is_valid_plate
from tests.unit.recognition.conftest import DEV_PHOTOS

CHECKS = CHECKED_LABELS


def _rows() -> list[dict[str, str]]:
    with CHECKS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_correction_is_a_valid_plate_that_differs_and_says_why() -> None:
    rows = _rows()
    assert rows
    assert len({(r["folder"], r["file"]) for r in rows}) == len(rows)
    for row in rows:
        assert is_valid_plate(row["shows"]), row
        assert row["shows"] != row["label"], row
        assert row["why"].strip(), row


def test_relabelled_replaces_only_the_listed_photos() -> None:
    checks = load_checks(CHECKS, DEV_PHOTOS)
    listed = next(iter(checks))
    samples = [
        Sample(listed, "原标签", "HyperLPR", None),
        Sample(str(DEV_PHOTOS / "EasyPR" / "not-listed.jpg"), "鲁PA1234", "EasyPR", None),
    ]
    fixed = relabelled(samples, checks)
    assert [s.plate for s in fixed] == [checks[listed], "鲁PA1234"]
    assert load_checks(None, DEV_PHOTOS) == {}


def test_corrections_match_the_dev_labels_where_the_photos_exist() -> None:
    if not DEV_PHOTOS.is_dir():
        pytest.skip(f"{DEV_PHOTOS} is absent (research-only photos, not in the repository)")
    for row in _rows():
        labels = DEV_PHOTOS / row["folder"] / "labels.csv"
        with labels.open(encoding="utf-8") as handle:
            given = {r["file"]: r["plate"] for r in csv.DictReader(handle)}
        assert given.get(row["file"]) == row["label"], row
        assert (DEV_PHOTOS / row["folder"] / row["file"]).is_file(), row
