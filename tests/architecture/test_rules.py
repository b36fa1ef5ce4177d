"""Architecture rules that import-linter cannot see: model relations and banned imports."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

SRC = Path(__file__).resolve().parents[2] / "src" / "smartduty"

# Top may point at bottom (STYLE.md §5); apps on one line are siblings.
ORDER: list[set[str]] = [
    {"open311"},
    {"stats"},
    {"parking"},
    {"cases"},
    {"recognition"},
    {"notifications", "vehicles", "evidence"},
    {"grids"},
    {"policy"},
    {"org"},
    {"kernel"},
    {"auth", "contenttypes"},
]
LEVEL = {label: level for level, labels in enumerate(ORDER) for label in labels}


def test_model_relations_point_down_the_layers() -> None:
    problems = []
    for model in apps.get_models():
        source = model._meta.app_label
        if source not in LEVEL or source in {"auth", "contenttypes"}:
            continue
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target == source:
                continue
            if LEVEL.get(target, -1) <= LEVEL[source]:
                problems.append(f"{model.__name__}.{field.name}: {source} -> {target}")
    assert problems == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_layers_do_not_import_http() -> None:
    offenders = []
    for role in ("services", "selectors", "models"):
        for path in [*SRC.glob(f"*/{role}.py"), *SRC.glob(f"*/{role}/*.py")]:
            bad = {n for n in _imports(path) if n.startswith(("django.http", "ninja", "httpx"))}
            if bad:
                offenders.append(f"{path.relative_to(SRC)}: {sorted(bad)}")
    assert offenders == []


def test_the_rule_checker_sees_files() -> None:
    assert len(list(SRC.glob("*/services.py"))) >= 3
