"""Evidence unit tests: every test gets its own empty storage directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories.evidence import isolated_storage


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """An empty `default_storage` root for this test."""
    return isolated_storage(settings, tmp_path / "media")
