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


def _contracts() -> list[dict[str, object]]:
    import tomllib  # noqa: PLC0415

    pyproject = SRC.parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["contracts"])


def _named(text: str) -> set[str]:
    return {part.strip().strip("()") for part in text.split("|")}


def test_every_app_is_in_the_import_contracts_and_the_model_layers() -> None:
    """A new app must be placed in the layers (import-linter and ORDER above), listed as a
    container (services → selectors → models inside it) and forbidden to the kernel."""
    ours = {
        config.name.removeprefix("smartduty.")
        for config in apps.get_app_configs()
        if config.name.startswith("smartduty.") and config.name != "smartduty.kernel"
    }
    contracts = {str(c["name"]): c for c in _contracts()}
    layered = {
        name.removeprefix("smartduty.")
        for layer in contracts["Apps are layered (top may import bottom)"]["layers"]  # type: ignore[attr-defined]
        for name in _named(layer)
    }
    containers = {
        name.removeprefix("smartduty.")
        for name in contracts["Inside an app: entry points -> services -> selectors -> models"][
            "containers"
        ]  # type: ignore[attr-defined]
    }
    kernel_forbidden = {
        name.removeprefix("smartduty.")
        for name in contracts["Kernel knows no domain app"]["forbidden_modules"]  # type: ignore[attr-defined]
    }
    with_models = {m._meta.app_label for m in apps.get_models()} & ours
    assert ours - layered == set()
    assert ours - kernel_forbidden == set()
    # apps with a services/selectors/models split are containers; `demo` and `web` have none
    split = {label for label in ours if (SRC / label / "models.py").exists()}
    assert split - containers == set()
    assert with_models - set(LEVEL) == set()
