"""No hand-written Python module grows past 600 lines (STYLE.md §4: split by concept at about
600, for example into a `services/` package). Migrations are generated and left out."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("src", "tests", "bench")
MAX_LINES = 600


def _modules() -> list[Path]:
    return sorted(
        path
        for folder in CHECKED
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    )


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_600_lines() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in _modules()
        if (count := _lines(path)) > MAX_LINES
    ]
    assert offenders == [], f"split these modules by concept (at most {MAX_LINES} lines)"


def test_the_size_check_sees_the_modules() -> None:
    modules = {path.relative_to(ROOT).as_posix() for path in _modules()}
    assert "src/smartduty/cases/services/transitions.py" in modules
    assert "bench/soak.py" in modules
    assert "tests/architecture/test_module_size.py" in modules
    assert not any("/migrations/" in name for name in modules)
