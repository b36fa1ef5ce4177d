"""`smartduty plates read|models`: one JSON object per image on stdout, no database needed."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.unit.recognition.synth import jpeg, scene


def _photos(folder: Path) -> list[Path]:
    folder.mkdir()
    (folder / "sub").mkdir()
    one = folder / "one.jpg"
    one.write_bytes(jpeg(scene([("鲁PA1234", "blue", 260)])[0]))
    empty = folder / "sub" / "empty.jpg"
    empty.write_bytes(jpeg(scene([])[0]))
    (folder / "notes.txt").write_text("not an image")
    return [one, empty]


def _read(*args: str) -> list[dict[str, object]]:
    out = StringIO()
    call_command("plates", "read", *args, stdout=out, stderr=StringIO())
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_reads_files_and_folders(hyperlpr3_dir: Path, tmp_path: Path, font_available: None) -> None:
    one, empty = _photos(tmp_path / "photos")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff garbage")
    with override_settings(RECOGNITION_MODEL_DIRS=[hyperlpr3_dir], VAR_DIR=tmp_path / "var"):
        lines = _read("--threads", "1", str(tmp_path / "photos"), str(broken))
    by_file = {line["file"]: line for line in lines}
    assert list(by_file) == [str(one), str(empty), str(broken)]
    assert by_file[str(one)]["plate"] == "鲁PA1234"
    assert by_file[str(one)]["color"] == "blue"
    assert set(by_file[str(one)]) >= {"file", "plate", "confidence", "color", "box", "ms"}
    assert len(by_file[str(one)]["box"]) == 4  # type: ignore[arg-type]
    assert by_file[str(empty)]["plate"] is None
    assert by_file[str(broken)]["plate"] is None
    assert "error" in by_file[str(broken)]


def test_no_images_is_an_error(tmp_path: Path, hyperlpr3_dir: Path) -> None:
    with (
        override_settings(RECOGNITION_MODEL_DIRS=[hyperlpr3_dir]),
        pytest.raises(CommandError, match="no image files"),
    ):
        _read(str(tmp_path))


def test_models_lists_the_chosen_set(tmp_path: Path) -> None:
    out = StringIO()
    with override_settings(VAR_DIR=tmp_path, RECOGNITION_MODEL_DIRS=[]):
        call_command("plates", "models", stdout=out)
    text = out.getvalue()
    assert "model set:" in text
    assert "y5fu_320x_sim" not in text or "hyperlpr3-det320" in text
    assert "hyperlpr3-det320" in text  # every pinned file is listed, installed or not


def test_console_script_is_declared() -> None:
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    assert 'smartduty = "smartduty.cli:main"' in pyproject.read_text(encoding="utf-8")
