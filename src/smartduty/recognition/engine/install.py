"""Installing pinned model files from a folder, a file, a wheel/zip, or a URL.

Every file is checked against the SHA-256 pinned in `catalog.PINNED` before it is copied
(atomically) into the destination folder; a file that carries a pinned name but other bytes is
refused with a message in Chinese and English. Downloads happen only here, when an operator runs
`manage.py install_models --from URL`, never while recognising.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from smartduty.recognition.engine.catalog import BY_NAME, BY_SHA256, ModelFile

MAX_DOWNLOAD: Final = 256 * 1024 * 1024
_CHUNK: Final = 1 << 20


class InstallError(Exception):
    """The source could not be read, or a file failed its checksum."""


@dataclass
class InstallReport:
    """What was installed, what was already there, and what was refused."""

    installed: list[ModelFile] = field(default_factory=list)
    unchanged: list[ModelFile] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def mismatch_message(name: str, got: str, want: str) -> str:
    """The refusal for a file whose bytes do not match its pinned hash."""
    return (
        f"模型文件校验失败：{name} 的 SHA-256 为 {got}，应为 {want}，已拒绝安装。"
        f" / Checksum mismatch for {name}: SHA-256 {got}, expected {want}; not installed."
    )


def _copy_verified(handle: IO[bytes], name: str, dest: Path, report: InstallReport) -> None:
    """Stream `handle` to a temporary file in `dest`, check it, then move it into place."""
    dest.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=".installing-", dir=dest)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(block)
                out.write(block)
        got = digest.hexdigest()
        spec = BY_NAME.get(name) or BY_SHA256.get(got)
        if spec is None:
            return
        if got != spec.sha256:
            report.refused.append(mismatch_message(name, got, spec.sha256))
            return
        target = dest / spec.name
        if target.is_file() and _sha256(target) == spec.sha256:
            report.unchanged.append(spec)
            return
        tmp.chmod(0o644)
        os.replace(tmp, target)
        report.installed.append(spec)
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _archive_members(path: Path) -> Iterator[tuple[str, zipfile.ZipFile, zipfile.ZipInfo]]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            base = info.filename.rsplit("/", 1)[-1]
            if base in BY_NAME and not info.is_dir():
                yield base, archive, info


def _install_file(path: Path, dest: Path, report: InstallReport) -> None:
    if zipfile.is_zipfile(path):
        for base, archive, info in _archive_members(path):
            with archive.open(info) as handle:
                _copy_verified(handle, base, dest, report)
        return
    if path.name in BY_NAME or path.suffix == ".onnx":
        with path.open("rb") as handle:
            _copy_verified(handle, path.name, dest, report)


def _download(url: str, folder: Path) -> Path:
    name = Path(urllib.parse.urlparse(url).path).name or "download"
    target = folder / name
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:  # noqa: S310 - scheme checked by the caller
            size = 0
            for block in iter(lambda: response.read(_CHUNK), b""):
                size += len(block)
                if size > MAX_DOWNLOAD:
                    raise InstallError(f"下载内容过大 / download larger than {MAX_DOWNLOAD} bytes")
                out.write(block)
    except OSError as exc:
        raise InstallError(f"下载失败 / download failed: {url}: {exc}") from exc
    return target


def install_models(source: str, dest: Path) -> InstallReport:
    """Install every pinned model file found in `source` into `dest`.

    `source` is a folder (searched recursively), a model file, a wheel or zip, or an
    http(s)/file URL of one of those. Files that are not pinned are ignored.
    """
    report = InstallReport()
    scheme = urllib.parse.urlparse(source).scheme.lower()
    if scheme in {"http", "https", "file"}:
        with tempfile.TemporaryDirectory() as tmp:
            _install_file(_download(source, Path(tmp)), dest, report)
        return report
    path = Path(source)
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file():
                _install_file(item, dest, report)
    elif path.is_file():
        _install_file(path, dest, report)
    else:
        raise InstallError(f"找不到模型来源 / model source not found: {source}")
    return report
