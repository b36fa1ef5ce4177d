"""Draw the app diagram of docs/architecture.md from the code.

The layers come from the import-linter contract in pyproject.toml (the `layers` contract
without `containers`: top may import bottom, `a | b` are siblings). The arrows are the
imports that exist today between those modules, found with grimp (the import graph that
import-linter itself builds), plus the `include("smartduty.<app>.urls")` strings of URL
maps, which are dependencies that no import shows. An arrow that a longer path already
implies is left out of the picture (transitive reduction); the table under it lists every
direct import.

    .venv/bin/python docs/tools/architecture.py           # rewrite the block in place
    .venv/bin/python docs/tools/architecture.py --check   # exit 1 if the block is stale

The block sits between `<!-- apps:begin -->` and `<!-- apps:end -->` in docs/architecture.md;
`tests/architecture/test_docs.py` fails when it differs from what this script renders.
"""

from __future__ import annotations

import argparse
import ast
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- apps:begin -->"
END = "<!-- apps:end -->"
PACKAGE = "smartduty"


@dataclass(frozen=True)
class Layers:
    """The layered modules, top first; each layer is a tuple of sibling module names."""

    layers: tuple[tuple[str, ...], ...]

    @property
    def modules(self) -> list[str]:
        return [module for layer in self.layers for module in layer]


def read_layers(pyproject: Path = PYPROJECT) -> Layers:
    """The app layers of the first `layers` contract that has no `containers`."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract.get("type") == "layers" and not contract.get("containers"):
            return Layers(
                tuple(
                    tuple(part.strip().strip("()") for part in str(layer).split("|"))
                    for layer in contract["layers"]
                )
            )
    msg = "pyproject.toml has no app `layers` contract (a layers contract without containers)"
    raise LookupError(msg)


def short(module: str) -> str:
    """`smartduty.cases` → `cases`."""
    return module.removeprefix(f"{PACKAGE}.")


def _owner(module: str, members: list[str]) -> str | None:
    """The layered module that `module` belongs to (itself or a package above it)."""
    best = None
    for member in members:
        if (module == member or module.startswith(member + ".")) and (
            best is None or len(member) > len(best)
        ):
            best = member
    return best


def _source_file(module: str) -> Path | None:
    base = ROOT / "src" / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _url_includes(path: Path) -> set[str]:
    """Dotted `smartduty.…` names passed as strings to `include(...)` in a URL map."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        first = node.args[0]
        if (
            name == "include"
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and first.value.startswith(f"{PACKAGE}.")
        ):
            found.add(first.value)
    return found


def dependencies(layers: Layers) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(imports, URL includes) between layered modules, as (importer, imported) pairs."""
    members = layers.modules
    # analyse this checkout's src/, not whatever copy the virtualenv points at
    if str(ROOT / "src") not in sys.path[:1]:
        sys.path.insert(0, str(ROOT / "src"))
    graph = grimp.build_graph(PACKAGE, cache_dir=None)
    imports: set[tuple[str, str]] = set()
    includes: set[tuple[str, str]] = set()
    for module in sorted(graph.modules):
        source = _owner(module, members)
        if source is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = _owner(imported, members)
            if target is not None and target != source:
                imports.add((source, target))
        path = _source_file(module)
        for dotted in _url_includes(path) if path is not None else ():
            target = _owner(dotted, members)
            if target is not None and target != source:
                includes.add((source, target))
    return imports, includes


def _reachable(edges: set[tuple[str, str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [b for a, b in edges if a == start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(b for a, b in edges if a == node)
    return seen


def reduce(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that no longer path implies (transitive reduction of a DAG)."""
    kept = set()
    for a, b in edges:
        others = [c for x, c in edges if x == a and c != b]
        if not any(b in _reachable(edges, c) for c in others):
            kept.add((a, b))
    return kept


def _names(modules: Iterable[str]) -> str:
    return ", ".join(f"`{short(m)}`" for m in sorted(modules, key=short))


def render(layers: Layers | None = None) -> str:
    """The generated block, markers included."""
    layers = layers or read_layers()
    imports, includes = dependencies(layers)
    lines = [
        BEGIN,
        "<!-- generated by docs/tools/architecture.py from pyproject.toml and the imports;"
        " do not edit by hand -->",
        "```mermaid",
        "flowchart TD",
    ]
    for index, layer in enumerate(layers.layers):
        if len(layer) == 1:
            lines.append(f"    {short(layer[0])}")
            continue
        lines.append(f'    subgraph layer{index}["siblings: no imports between them"]')
        lines.append("        direction LR")
        lines.extend(f"        {short(m)}" for m in layer)
        lines.append("    end")
    order = {m: i for i, m in enumerate(layers.modules)}

    def key(edge: tuple[str, str]) -> tuple[int, int]:
        return order[edge[0]], order[edge[1]]

    lines.extend(f"    {short(a)} --> {short(b)}" for a, b in sorted(reduce(imports), key=key))
    lines.extend(
        f"    {short(a)} -. include .-> {short(b)}" for a, b in sorted(includes - imports, key=key)
    )
    lines += [
        "```",
        "",
        "| Module | Imports directly (layered modules only) |",
        "|---|---|",
    ]
    for module in layers.modules:
        direct = {b for a, b in imports if a == module}
        url_maps = {b for a, b in includes if a == module} - direct
        text = _names(direct) or "—"
        if url_maps:
            text += f"; `include()`s the URLs of {_names(url_maps)}"
        lines.append(f"| `{short(module)}` | {text} |")
    lines.append(END)
    return "\n".join(lines)


def current_block(text: str) -> str:
    """The block between the markers (markers included) in `text`."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        msg = f"{DOC.relative_to(ROOT)} has no {BEGIN} … {END} block"
        raise LookupError(msg)
    return text[start : end + len(END)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the block is stale")
    args = parser.parse_args(argv)
    text = DOC.read_text(encoding="utf-8")
    old, new = current_block(text), render()
    if args.check:
        if old != new:
            sys.stderr.write(
                f"{DOC.relative_to(ROOT)} is stale: "
                "run .venv/bin/python docs/tools/architecture.py\n"
            )
            return 1
        return 0
    if old != new:
        DOC.write_text(text.replace(old, new), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
