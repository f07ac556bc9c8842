"""The layering rules of DESIGN.md ("Layout: one name per flow"), enforced on the source.

Arrows run one way (defs -> flows -> genesys/cxone/receiver/lake/catalog -> http), only the
Dagster layer imports `dagster`, and the emulator stays an independent implementation of the
vendors' contracts. A review cannot keep that true by eye, so every module under `cx_assets/` is
parsed with `ast`: imports at any depth (inside functions, under `if TYPE_CHECKING:`), relative
imports resolved, literal `importlib.import_module(...)` calls included. Each broken rule fails
with every violation listed as `file:line -> module`.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIBRARIES = ("flows", "http", "genesys", "cxone", "lake", "catalog", "receiver")
DAGSTER_LAYER = ("defs", "definitions", "cli", "local_runs", "settings")  # and demo*.py
EMULATOR_GENESYS = "cx_assets.emulator.genesys"


@dataclass(frozen=True, order=True)
class Imported:
    """One imported module: where the import is and the absolute dotted name it imports."""

    path: str
    line: int
    source: str
    module: str


@dataclass(frozen=True)
class Rule:
    """`applies` picks the importing modules; `forbids(source, module)` says an import breaks it."""

    name: str
    applies: Callable[[str], bool]
    forbids: Callable[[str, str], bool]


def within(name: str, *prefixes: str) -> bool:
    """`name` is one of `prefixes` or inside one (dotted: `defs` does not cover `definitions`)."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def packages(*names: str) -> tuple[str, ...]:
    return tuple(f"cx_assets.{name}" for name in names)


def is_dagster(module: str) -> bool:
    top = module.partition(".")[0]
    return top == "dagster" or top.startswith("dagster_")


def in_dagster_layer(source: str) -> bool:
    return within(source, *packages(*DAGSTER_LAYER)) or source.startswith("cx_assets.demo")


def genesys_emulator_flow(module: str) -> str | None:
    """`privacy` for `cx_assets.emulator.genesys.privacy.store`; None outside a flow's package."""
    parts = module.split(".")
    return parts[3] if within(module, EMULATOR_GENESYS) and len(parts) > 3 else None


def never(*names: str) -> Callable[[str, str], bool]:
    return lambda _source, module: within(module, *packages(*names))


def inside(*names: str) -> Callable[[str], bool]:
    return lambda source: within(source, *packages(*names))


RULES = (
    Rule("libraries never import dagster", inside(*LIBRARIES), lambda _s, m: is_dagster(m)),
    Rule(
        "only defs, definitions, demo*, cli, local_runs and settings import dagster",
        lambda s: (
            within(s, "cx_assets")
            and not within(s, *packages(*LIBRARIES))
            and not in_dagster_layer(s)
        ),
        lambda _s, m: is_dagster(m),
    ),
    Rule(
        "the emulator imports nothing from cx_assets outside cx_assets.emulator",
        inside("emulator"),
        lambda _s, m: within(m, "cx_assets") and not within(m, "cx_assets.emulator"),
    ),
    Rule(
        "only cx_assets/cli.py imports the emulator",
        lambda s: within(s, "cx_assets") and not within(s, *packages("emulator", "cli")),
        lambda _s, m: within(m, "cx_assets.emulator"),
    ),
    Rule(
        "an emulator genesys flow never imports another flow's package",
        lambda s: genesys_emulator_flow(s) is not None,
        lambda s, m: genesys_emulator_flow(m) not in (None, genesys_emulator_flow(s)),
    ),
    Rule(
        "catalog never imports genesys, cxone, receiver, flows, defs",
        inside("catalog"),
        never("genesys", "cxone", "receiver", "flows", "defs"),
    ),
    Rule(
        "lake never imports genesys, cxone, receiver, catalog, flows, defs",
        inside("lake"),
        never("genesys", "cxone", "receiver", "catalog", "flows", "defs"),
    ),
    Rule(
        "genesys and cxone never import catalog, flows, defs, receiver",
        inside("genesys", "cxone"),
        never("catalog", "flows", "defs", "receiver"),
    ),
    Rule(
        "receiver never imports flows, defs, catalog",
        inside("receiver"),
        never("flows", "defs", "catalog"),
    ),
    Rule(
        "http imports nothing from cx_assets but cx_assets.settings",
        inside("http"),
        lambda _s, m: within(m, "cx_assets") and not within(m, *packages("http", "settings")),
    ),
    Rule("flows never import defs", inside("flows"), never("defs")),
)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def absolute(node: ast.ImportFrom, package: str, where: str) -> str:
    """The module a `from ... import` reads from, with its leading dots resolved."""
    if not node.level:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 >= len(parts):
        raise ValueError(f"{where}:{node.lineno}: relative import beyond the top-level package")
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *(node.module.split(".") if node.module else [])])


def literal_import(node: ast.Call) -> str | None:
    """The module of `importlib.import_module("x")` or `__import__("x")` when it is a literal."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def imports_in(path: Path, root: Path) -> Iterator[Imported]:
    """Every module `path` imports, anywhere in its body."""
    source = module_name(path, root)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    where = path.relative_to(root).as_posix()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=where)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Imported(where, node.lineno, source, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node, package, where)
            for alias in node.names:
                # `from cx_assets import emulator` imports the module cx_assets.emulator.
                sub = f"{base}.{alias.name}"
                yield Imported(where, node.lineno, source, sub if is_module(sub, root) else base)
        elif isinstance(node, ast.Call) and (module := literal_import(node)):
            yield Imported(where, node.lineno, source, module)


def scan(root: Path) -> list[Imported]:
    found = {imp for path in (root / "cx_assets").rglob("*.py") for imp in imports_in(path, root)}
    return sorted(found)


def violations(root: Path) -> dict[str, list[str]]:
    """Rule name -> `file:line -> module` for every import under `root/cx_assets` breaking it."""
    found: dict[str, list[str]] = {rule.name: [] for rule in RULES}
    for imp in scan(root):
        for rule in RULES:
            if rule.applies(imp.source) and rule.forbids(imp.source, imp.module):
                found[rule.name].append(f"{imp.path}:{imp.line} -> {imp.module}")
    return found


@functools.cache
def real_tree() -> dict[str, list[str]]:
    return violations(REPO)


def test_the_scanner_sees_the_real_tree() -> None:
    modules = scan(REPO)
    assert len({imp.path for imp in modules}) > 100
    assert any(imp.path == "cx_assets/definitions.py" and is_dagster(imp.module) for imp in modules)


@pytest.mark.parametrize("rule", [rule.name for rule in RULES])
def test_layering_rule_holds(rule: str) -> None:
    broken = real_tree()[rule]
    assert not broken, f"{rule}: {len(broken)} violation(s)\n" + "\n".join(broken)


# A tiny tree that keeps every rule, then one bad module at a time: the checker must report it.
CLEAN_TREE = {
    "__init__.py": "",
    "settings.py": "import dagster",
    "cli.py": "def main():\n    from cx_assets.emulator import app",
    "defs/__init__.py": "import dagster as dg\nfrom ..flows import conversations",
    "flows/__init__.py": "",
    "flows/conversations.py": "from cx_assets.genesys import client\nfrom ..catalog import audit",
    "genesys/__init__.py": "",
    "genesys/client.py": "from cx_assets.http import client\nfrom cx_assets.lake import files",
    "http/__init__.py": "",
    "http/client.py": "from cx_assets import settings\nfrom . import retry",
    "lake/__init__.py": "",
    "lake/files.py": "import os",
    "catalog/__init__.py": "",
    "catalog/audit.py": "from .records import Record",
    "receiver/__init__.py": "",
    "receiver/server.py": "from cx_assets.lake import files",
    "emulator/__init__.py": "from .genesys.privacy import store",
    "emulator/app.py": "from cx_assets.emulator.genesys import privacy, rules",
    "emulator/genesys/__init__.py": "",
    "emulator/genesys/privacy/__init__.py": "",
    "emulator/genesys/privacy/store.py": "from ...errors import ApiError",
    "emulator/genesys/rules/__init__.py": "",
    "emulator/genesys/rules/store.py": "",
}

#: (index in RULES, module under cx_assets/, its text, what the checker must say after `path:`)
BAD_IMPORTS = [
    (0, "lake/files.py", "if TYPE_CHECKING:\n    import dagster", "2 -> dagster"),
    (1, "catalog_cli.py", "import dagster_duckdb", "1 -> dagster_duckdb"),
    (2, "emulator/app.py", "import cx_assets.settings", "1 -> cx_assets.settings"),
    (3, "demo.py", "from cx_assets import emulator", "1 -> cx_assets.emulator"),
    (
        4,
        "emulator/genesys/privacy/tutorial.py",
        "from ..rules import store",
        "1 -> cx_assets.emulator.genesys.rules.store",
    ),
    (
        5,
        "catalog/audit.py",
        "def f():\n    from ..genesys import client",
        "2 -> cx_assets.genesys.client",
    ),
    (
        6,
        "lake/files.py",
        "import importlib\nimportlib.import_module('cx_assets.catalog')",
        "2 -> cx_assets.catalog",
    ),
    (7, "genesys/client.py", "from ..catalog import audit", "1 -> cx_assets.catalog.audit"),
    (8, "receiver/server.py", "from cx_assets.catalog import privacy", "1 -> cx_assets.catalog"),
    (9, "http/client.py", "from cx_assets.genesys import client", "1 -> cx_assets.genesys.client"),
    (10, "flows/conversations.py", "from cx_assets.defs import resources", "1 -> cx_assets.defs"),
]


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / "cx_assets" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")


def test_a_tree_that_keeps_the_rules_has_no_violations(tmp_path: Path) -> None:
    write_tree(tmp_path, CLEAN_TREE)
    assert violations(tmp_path) == {rule.name: [] for rule in RULES}


@pytest.mark.parametrize(("rule", "path", "text", "where"), BAD_IMPORTS)
def test_the_checker_reports_a_bad_import(
    tmp_path: Path, rule: int, path: str, text: str, where: str
) -> None:
    write_tree(tmp_path, {**CLEAN_TREE, path: text})
    expected = {r.name: [] for r in RULES} | {RULES[rule].name: [f"cx_assets/{path}:{where}"]}
    assert violations(tmp_path) == expected


def test_every_rule_has_a_bad_import_that_breaks_it() -> None:
    assert sorted(rule for rule, *_ in BAD_IMPORTS) == list(range(len(RULES)))
