"""Docs that are true: the app diagram is drawn from the code, every app is described, the
paths the how-tos name exist, and every default a docstring or doc states for a setting or
constant is the value the code has."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel

from smartduty import env

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "smartduty"
DOCS = ROOT / "docs"
ARCHITECTURE = DOCS / "architecture.md"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "architecture_tool", DOCS / "tools" / "architecture.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# -- the app diagram and the app list ---------------------------------------------------------


def test_the_app_diagram_is_what_the_code_gives() -> None:
    tool = _tool()
    committed = tool.current_block(ARCHITECTURE.read_text(encoding="utf-8"))
    assert committed == tool.render(), (
        "docs/architecture.md's app diagram is stale: "
        "run .venv/bin/python docs/tools/architecture.py"
    )


def test_the_diagram_has_every_layered_app() -> None:
    tool = _tool()
    block = tool.current_block(ARCHITECTURE.read_text(encoding="utf-8"))
    for module in tool.read_layers().modules:
        assert f"| `{tool.short(module)}` |" in block


def _apps_in_code() -> set[str]:
    return {path.parent.name for path in SRC.glob("*/apps.py")}


def _apps_described() -> set[str]:
    """The names in the first column of the table under `## Apps`."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("\n## Apps", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)`", section, flags=re.MULTILINE))


def test_every_app_is_described_and_every_described_app_exists() -> None:
    described = _apps_described()
    assert _apps_in_code() - described == set(), "describe the new app in docs/architecture.md"
    assert described - _apps_in_code() == set(), "docs/architecture.md describes a removed app"


# -- paths named by the how-tos and the architecture page ---------------------------------------

_ROOTS = ("src/", "tests/", "frontend/", "docs/", "deploy/", "bench/")
_PATH = re.compile(r"`([\w./-]+/[\w.-]+)`")


def _doc_paths() -> Iterator[tuple[Path, str]]:
    apps = _apps_in_code()
    for doc in [ARCHITECTURE, *sorted((DOCS / "howto").glob("*.md"))]:
        for token in _PATH.findall(doc.read_text(encoding="utf-8")):
            if token.startswith(_ROOTS) or token.split("/", 1)[0] in apps:
                yield doc, token


def _exists(token: str) -> bool:
    token = token.rstrip("/")
    for base in (ROOT, SRC):
        path = base / token
        # `services.py` may become a `services/` package and stay the same module
        if path.exists() or (path.suffix == ".py" and path.with_suffix("").is_dir()):
            return True
    return False


def test_the_paths_the_docs_name_exist() -> None:
    found = list(_doc_paths())
    assert len(found) > 20  # the check sees the how-tos
    missing = [f"{doc.relative_to(ROOT)}: {token}" for doc, token in found if not _exists(token)]
    assert missing == []


# -- stated defaults equal the code --------------------------------------------------------------

_UNIT = r"ms|s\b|seconds?\b|秒|min\b|minutes?\b|分钟|h\b|hours?\b|小时"
_NUMBER = rf"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>{_UNIT})?"
_CODE = r"(?:`[^`]*`\s*,\s*)?"
# what may follow a name when the text states its default: "`X` (1.0)", "`X` [1.0]",
# "`X` (default 2 s)",
# "(`settings.X`, default 100)", "(`X` (default `m.DEFAULT_X`, 0.1 s)", "X defaults to 5"
_STATED = re.compile(
    rf"`?\)?\s*(?:[(\[]\s*(?:default\s+)?{_CODE}|,\s*default\s+{_CODE}|\s+defaults?\s+(?:to\s+)?{_CODE})"
    + _NUMBER
)
# "(`X`, 900)" and a table's "| `X`, 5 |": a bare number right after the name, then the end
_STATED_PAIR = re.compile(rf"`?,\s*{_NUMBER}\s*[)|]")


@dataclass(frozen=True)
class Truth:
    """A value the code has for a name, and where it comes from."""

    value: float
    source: str


def _literal(node: ast.expr | None) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return None if isinstance(node.value, bool) else float(node.value)
    return None


def _env_defaults() -> dict[str, Truth]:
    """Setting name → the default of the `env.Env` field that settings.py assigns to it."""
    found: dict[str, Truth] = {}
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target, value = node.targets[0], node.value
        chain: list[str] = []
        while isinstance(value, ast.Attribute):
            chain.insert(0, value.attr)
            value = value.value
        if not (isinstance(target, ast.Name) and isinstance(value, ast.Name) and chain):
            continue
        if value.id != "ENV":
            continue
        model: type[BaseModel] = env.Env
        default: object = None
        for attr in chain:
            field = model.model_fields.get(attr)
            if field is None:
                break
            default = field.default
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                model = field.annotation
        else:
            if type(default) in (int, float):
                where = f"env.py ({'.'.join(chain)})"
                found[target.id] = Truth(float(default), where)  # type: ignore[arg-type]
    return found


def _modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__"): path
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
    }


@cache
def _constants(path: Path) -> dict[str, tuple[float, str | None]]:
    """Module-level NAME = <number>, with the docstring under it (if any)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    found: dict[str, tuple[float, str | None]] = {}
    for index, node in enumerate(body):
        value: ast.expr | None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        else:
            continue
        number = _literal(value)
        if isinstance(target, ast.Name) and target.id.isupper() and number is not None:
            after = body[index + 1] if index + 1 < len(body) else None
            doc = (
                after.value.value
                if isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
                else None
            )
            found[target.id] = (number, doc)
    return found


def _settings_names() -> set[str]:
    """The upper-case names settings.py assigns."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    return {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }


def _resolve(fallback: ast.expr, path: Path, modules: dict[str, Path]) -> tuple[float, str] | None:
    """The number a fallback argument stands for: a literal, a constant of the module, or
    `module.CONSTANT` of a module imported with `from smartduty.x import module`."""
    rel = path.relative_to(ROOT)
    literal = _literal(fallback)
    if literal is not None:
        return literal, f"{rel}:{fallback.lineno} fallback"
    if isinstance(fallback, ast.Name) and fallback.id in _constants(path):
        return _constants(path)[fallback.id][0], f"{rel} {fallback.id}"
    if isinstance(fallback, ast.Attribute) and isinstance(fallback.value, ast.Name):
        owner = modules.get(_aliases(path).get(fallback.value.id, ""))
        if owner is not None and fallback.attr in _constants(owner):
            return _constants(owner)[fallback.attr][0], f"{owner.relative_to(ROOT)} {fallback.attr}"
    return None


@cache
def _aliases(path: Path) -> dict[str, str]:
    """Local name → dotted module of the `from … import …` statements of a module."""
    return {
        alias.asname or alias.name: f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


def _fallbacks(path: Path, settings_names: set[str]) -> Iterator[tuple[str, ast.expr]]:
    """(setting name, the argument after it) for each call that names a setting: any call for
    a name settings.py assigns, `getattr(settings, …)` for any name."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        on_settings = (
            getattr(node.func, "id", None) == "getattr"
            and bool(node.args)
            and getattr(node.args[0], "id", None) == "settings"
        )
        values = [*node.args, *(k.value for k in node.keywords)]
        for named, fallback in itertools.pairwise(values):
            if (
                isinstance(named, ast.Constant)
                and isinstance(named.value, str)
                and (on_settings or named.value in settings_names)
            ):
                yield named.value, fallback


def _code_defaults() -> dict[str, list[Truth]]:
    """Setting name → the values the code falls back to when the setting is absent: the
    argument after the name in a call (`getattr(settings, "NAME", DEFAULT_X)`,
    `Queue(batch_setting="NAME", batch_default=DEFAULT_X)`), and a `DEFAULT_*` constant whose
    docstring names the setting (`settings.NAME`)."""
    modules = _modules()
    settings_names = _settings_names()
    found: dict[str, list[Truth]] = {}

    def add(name: str, value: float, source: str) -> None:
        truths = found.setdefault(name, [])
        if all(t.source != source for t in truths):
            truths.append(Truth(value, source))

    for path in modules.values():
        for constant, (value, doc) in _constants(path).items():
            if constant.startswith("DEFAULT_"):
                for name in re.findall(r"`settings\.([A-Z][A-Z0-9_]+)`", doc or ""):
                    add(name, value, f"{path.relative_to(ROOT)} {constant}")
        for name, fallback in _fallbacks(path, settings_names):
            resolved = _resolve(fallback, path, modules)
            if resolved is not None:
                add(name, *resolved)
    return found


def _truths() -> dict[str, list[Truth]]:
    truths = {name: list(values) for name, values in _code_defaults().items()}
    for name, truth in _env_defaults().items():
        truths.setdefault(name, []).insert(0, truth)
    return truths


@cache
def _env_var(name: str) -> list[str]:
    """`SMARTDUTY_WORKER__TIMERS_BATCH_SIZE` for a setting that env.py's `worker` group sets."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == name
        ):
            chain = ast.unparse(node.value).split(".")
            if chain[0] == "ENV":
                return ["SMARTDUTY_" + "__".join(chain[1:]).upper()]
    return []


def _texts() -> Iterator[tuple[Path, str]]:
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path, path.read_text(encoding="utf-8")
    # docs/notes/ records what was measured then, with the settings of the day: not checked
    docs = [p for p in sorted(DOCS.rglob("*.md")) if "notes" not in p.relative_to(DOCS).parts]
    for path in [ROOT / "README.md", ROOT / "AGENTS.md", *docs]:
        yield path, path.read_text(encoding="utf-8")


_PER_UNIT = {"ms": 0.001, "min": 60, "minute": 60, "minutes": 60, "分钟": 60}
_PER_UNIT |= {"h": 3600, "hour": 3600, "hours": 3600, "小时": 3600}


def _value(name: str, number: str, unit: str | None) -> float:
    """The stated number in the setting's own unit (seconds for `*_S` / `*_SECONDS`)."""
    if name.endswith(("_S", "_SECONDS")) and unit in _PER_UNIT:
        return round(float(number) * _PER_UNIT[unit], 6)
    return float(number)


def _stated(text: str, names: list[str]) -> Iterator[tuple[int, str, float]]:
    """(line, name, value) for each place `text` states a default right after a name."""
    if not names:
        return
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    for match in re.finditer(rf"(?<![\w.])(?:settings\.)?({alternatives})(?!\w)", text):
        stated = _STATED.match(text, match.end()) or _STATED_PAIR.match(text, match.end())
        if stated:
            line = text.count("\n", 0, match.start()) + 1
            yield line, match[1], _value(match[1], stated["n"], stated["unit"])


def _mismatches() -> list[str]:
    problems: list[str] = []
    truths = _truths()
    for name, values in sorted(truths.items()):
        first = values[0]
        for other in values[1:]:
            if other.value != first.value:
                problems.append(
                    f"{name}: {other.source} is {other.value:g}, but {first.source} is "
                    f"{first.value:g}"
                )
    aliases = {alias: name for name in truths for alias in [name, *_env_var(name)]}
    for path, text in _texts():
        rel = path.relative_to(ROOT)
        for line, alias, value in _stated(text, list(aliases)):
            actual = truths[aliases[alias]][0]
            if value != actual.value:
                problems.append(
                    f"{rel}:{line}: `{alias}` stated {value:g}, actual {actual.value:g} "
                    f"({actual.source})"
                )
        # a module's own constants: "`MAX_ATTEMPTS` (8)" in the module that defines it
        if path.suffix == ".py":
            constants = _constants(path)
            for line, constant, stated in _stated(text, list(constants)):
                if stated != constants[constant][0]:
                    problems.append(
                        f"{rel}:{line}: `{constant}` stated {stated:g}, "
                        f"actual {constants[constant][0]:g}"
                    )
    return sorted(set(problems))


def test_the_defaults_check_knows_the_worker_settings() -> None:
    truths = _truths()
    for name in (
        "TIMERS_PUMP_INTERVAL_S",
        "TIMERS_BATCH_SIZE",
        "TIMERS_BATCH_MAX_SECONDS",
        "NOTIFICATIONS_PUMP_INTERVAL_S",
        "NOTIFICATIONS_BATCH_SIZE",
        "NOTIFICATIONS_LEASE_SECONDS",
    ):
        assert name in truths, name
        # each has the env default and at least one constant the code falls back to
        assert len(truths[name]) >= 2, truths[name]


def test_the_defaults_check_reads_the_forms_docs_use() -> None:
    text = (
        "Settings: `TIMERS_PUMP_INTERVAL_S` (1.0), `TIMERS_BATCH_SIZE` (100),\n"
        "(`settings.NOTIFICATIONS_BATCH_SIZE`, default 10)\n"
        "`settings.NOTIFICATIONS_PUMP_INTERVAL_S` (default `outbox.DEFAULT_INTERVAL_S`, 0.1 s)\n"
        "`SMARTDUTY_WORKER__NOTIFICATIONS_LEASE_SECONDS` defaults to 60 s\n"
        "`TIMERS_BATCH_MAX_SECONDS` (200 ms); `TIMERS_BATCH_SIZE` timers per batch, 7 of them\n"
        "`SESSION_IDLE_SECONDS` (default 30 min), `TIMERS_PUMP_INTERVAL_S` [1.0]\n"
        "| `TIMERS_BATCH_SIZE`, 100 | (`NOTIFICATIONS_BATCH_SIZE`, 10) `TIMERS_BATCH_SIZE`, 7 of\n"
    )
    names = [
        "TIMERS_PUMP_INTERVAL_S",
        "TIMERS_BATCH_SIZE",
        "NOTIFICATIONS_BATCH_SIZE",
        "NOTIFICATIONS_PUMP_INTERVAL_S",
        "SMARTDUTY_WORKER__NOTIFICATIONS_LEASE_SECONDS",
        "TIMERS_BATCH_MAX_SECONDS",
        "SESSION_IDLE_SECONDS",
    ]
    assert sorted((line, value) for line, _name, value in _stated(text, names)) == [
        (1, 1.0),
        (1, 100.0),
        (2, 10.0),
        (3, 0.1),
        (4, 60.0),
        (5, 0.2),
        (6, 1.0),
        (6, 1800.0),
        (7, 10.0),
        (7, 100.0),
    ]


def test_stated_defaults_equal_the_code() -> None:
    assert _mismatches() == []
