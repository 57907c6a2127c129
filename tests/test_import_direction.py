"""The dependency direction of ARCHITECTURE.md section 1, read from the source with `ast`.

Every ``.py`` file of the four source folders (``layers/`` = ``zoo.layers``, ``training/`` =
``zoo.training``, ``tuning/`` = ``zoo.tuning``, ``zoo/`` = ``zoo`` with ``zoo/models/`` =
``zoo.models``) is parsed, not imported, and every ``import``/``from ... import`` of a ``zoo``
module is collected, including imports inside functions and ``TYPE_CHECKING`` blocks; relative
imports are resolved. ``from zoo.x import name`` counts as an import of ``zoo.x.name`` when that
is a module, else of ``zoo.x``. Importing a module does not count as importing its parent
packages (``import zoo.models._registry`` is not an import of ``zoo/__init__.py``).

Each module belongs to one subpackage: ``layers``, ``models``, ``training``, ``tuning``, or
``services`` (the rest of ``zoo``: validation, profile, export, loading, bench); ``zoo.weights``
counts as ``models`` (`zoo.build` loads its tags); ``zoo/cli.py``, ``zoo/__main__.py`` and
``zoo/weights/train.py`` (the presets' recipe) are the wiring (``cli``), ``zoo/__init__.py`` is
``zoo`` itself.

- ``zoo.layers`` imports nothing from models, training or tuning (``zoo.validation`` is allowed);
- ``zoo.training`` imports nothing from models or tuning;
- ``zoo.models`` imports nothing from training or tuning;
- ``zoo.validation`` imports nothing from ``zoo`` at all;
- layers, models, training and tuning import neither the wiring nor ``zoo/__init__.py``;
- there is no cycle, neither between subpackages nor between the modules of one subpackage. The
  wiring and ``zoo/__init__.py`` are left out of both graphs, and so are a package ``__init__``'s
  imports of its own submodules (re-exports). In the subpackage graph ``zoo.validation`` is a node
  of its own: it is a leaf (the rule above) that layers and models may use, so it closes no cycle
  through the services that import layers and models (``zoo.profile``, ``zoo.loading``).

It also checks that the architecture families are discovered: every public module of
``zoo/models/`` is in `zoo.models._registry.family_modules()` and registers at least one model.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

# source folder -> the package it installs as (setup.cfg's package_dir)
PACKAGE_DIRS = {
    "layers": "zoo.layers",
    "training": "zoo.training",
    "tuning": "zoo.tuning",
    "zoo": "zoo",
}
# zoo.weights.train is a `python -m` entry point: it wires models and training (the recipe)
WIRING = frozenset({"zoo.cli", "zoo.__main__", "zoo.weights.train"})
LIBRARY = ("layers", "models", "training", "tuning")
# the nodes of the cycle checks: the library, the leaf helper, the other services
GRAPH_NODES = (*LIBRARY, "validation", "services")

# subpackage -> the subpackages it must not import
FORBIDDEN = {
    "layers": {"models", "training", "tuning"},
    "training": {"models", "tuning"},
    "models": {"training", "tuning"},
}


@dataclasses.dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported zoo module
    path: pathlib.Path
    line: int
    text: str  # the import statement as written

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.text}"


def _module_files() -> dict[str, pathlib.Path]:
    modules = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join([package, *parts])] = path
    return modules


MODULES = _module_files()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def subpackage(module: str) -> str:
    if module == "zoo":
        return "zoo"
    if module in WIRING:
        return "cli"
    for name in ("layers", "models", "training", "tuning"):
        if module == f"zoo.{name}" or module.startswith(f"zoo.{name}."):
            return name
    if module == "zoo.weights" or module.startswith("zoo.weights."):
        return "models"  # the architectures' weights: build(weights=tag) loads them
    return "services"


def _known(name: str) -> str:
    """The longest prefix of dotted ``name`` that is one of our modules (``zoo`` at least)."""
    parts = name.split(".")
    while len(parts) > 1 and ".".join(parts) not in MODULES:
        parts.pop()
    return ".".join(parts)


def _imports_of(module: str, path: pathlib.Path) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    package = module if _is_package(module) else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        else:
            continue
        text = " ".join((ast.get_source_segment(source, node) or ast.unparse(node)).split())
        for target in dict.fromkeys(targets):
            if target == "zoo" or target.startswith("zoo."):
                found.append(Import(module, _known(target), path, node.lineno, text))
    return found


ALL_IMPORTS = [imp for module, path in MODULES.items() for imp in _imports_of(module, path)]


def _report(violations, rule: str) -> str:
    return f"{rule}; offending imports:\n" + "\n".join(f"  {v}" for v in violations)


def test_the_sources_are_found():
    for package in ("zoo", "zoo.cli", "zoo.validation", "zoo.models", "zoo.models._registry"):
        assert package in MODULES
    for package in ("zoo.layers", "zoo.training", "zoo.tuning"):
        assert package in MODULES and _is_package(package)
    # the walk sees imports inside functions too
    assert any(imp.source == "zoo.models._registry" for imp in ALL_IMPORTS)


@pytest.mark.parametrize("importer", sorted(FORBIDDEN))
def test_forbidden_directions(importer):
    forbidden = FORBIDDEN[importer]
    violations = [
        imp
        for imp in ALL_IMPORTS
        if subpackage(imp.source) == importer and subpackage(imp.target) in forbidden
    ]
    names = ", ".join(f"zoo.{f}" for f in sorted(forbidden))
    assert not violations, _report(violations, f"zoo.{importer} must not import {names}")


def test_validation_is_a_leaf():
    violations = [imp for imp in ALL_IMPORTS if imp.source == "zoo.validation"]
    assert not violations, _report(violations, "zoo.validation must import nothing from zoo")


def test_library_does_not_import_the_wiring_or_the_lazy_package():
    violations = [
        imp
        for imp in ALL_IMPORTS
        if subpackage(imp.source) in LIBRARY and subpackage(imp.target) in ("cli", "zoo")
    ]
    assert not violations, _report(
        violations,
        "zoo.layers, zoo.models, zoo.training and zoo.tuning must not import zoo/cli.py, "
        "zoo/__main__.py or zoo/__init__.py (import the module itself by its zoo.* name)",
    )


def graph_node(module: str) -> str:
    return "validation" if module == "zoo.validation" else subpackage(module)


def _find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges`` as a closed path, or None (depth-first)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _cycle_message(cycle, edge_imports, what) -> str:
    lines = [f"import cycle between {what}: {' -> '.join(cycle)}"]
    for a, b in itertools.pairwise(cycle):
        lines.append(f"  {a} -> {b}:")
        lines.extend(f"    {imp}" for imp in edge_imports[a, b])
    return "\n".join(lines)


def test_no_cycle_between_subpackages():
    edges: dict[str, set[str]] = {}
    edge_imports: dict[tuple[str, str], list[Import]] = {}
    for imp in ALL_IMPORTS:
        a, b = graph_node(imp.source), graph_node(imp.target)
        if a != b and a in GRAPH_NODES and b in GRAPH_NODES:
            edges.setdefault(a, set()).add(b)
            edge_imports.setdefault((a, b), []).append(imp)
    cycle = _find_cycle(edges)
    assert cycle is None, _cycle_message(cycle, edge_imports, "subpackages")


@pytest.mark.parametrize("package", GRAPH_NODES)
def test_no_cycle_between_modules(package):
    edges: dict[str, set[str]] = {}
    edge_imports: dict[tuple[str, str], list[Import]] = {}
    for imp in ALL_IMPORTS:
        a, b = imp.source, imp.target
        if a == b or graph_node(a) != package or graph_node(b) != package:
            continue
        if _is_package(a) and b.startswith(f"{a}."):
            continue  # a package's __init__ re-exporting its own submodules
        edges.setdefault(a, set()).add(b)
        edge_imports.setdefault((a, b), []).append(imp)
    cycle = _find_cycle(edges)
    assert cycle is None, _cycle_message(cycle, edge_imports, f"modules of {package}")


def test_families_are_discovered_and_register_models():
    import zoo
    from zoo.models import _registry

    on_disk = sorted(
        module
        for module in MODULES
        if module.startswith("zoo.models.") and not module.rpartition(".")[2].startswith("_")
    )
    assert on_disk, "no family module found in zoo/models/"
    discovered = set(_registry.family_modules())
    missing = [m for m in on_disk if m not in discovered]
    assert not missing, f"family modules not returned by family_modules(): {missing}"

    by_module: dict[str, list[str]] = {}
    for name in zoo.list_models():
        by_module.setdefault(zoo.info(name).builder.__module__, []).append(name)
    empty = [m for m in on_disk if not by_module.get(m)]
    elsewhere = {m: names for m, names in by_module.items() if m not in on_disk}
    assert not empty, (
        f"family modules that register no model: {empty} (a model belongs to the module its "
        f"builder's __module__ names; models whose builder names another module: {elsewhere})"
    )
    # every registered model's family can be listed by that name
    for module in on_disk:
        for name in by_module[module]:
            assert name in zoo.list_models(family=zoo.info(name).family)
