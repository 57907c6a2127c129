"""`zoo.tuning.tuners`: where the engine lives, and the import edges of the search modules."""

from __future__ import annotations

import ast
import importlib
import pathlib

import zoo.tuning

TUNING = pathlib.Path(__file__).resolve().parents[2] / "tuning"
MODULES = ("search", "parallel", "tuners")


def _tuning_imports(module: str) -> set[str]:
    """The ``zoo.tuning`` modules ``module`` imports anywhere (functions and TYPE_CHECKING too)."""
    tree = ast.parse((TUNING / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "zoo.tuning":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("zoo.tuning."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.split(".")[2] for a in node.names if a.name.startswith("zoo.tuning.")
            )
    return found


def test_search_modules_import_without_a_cycle():
    edges = {(m, t) for m in MODULES for t in _tuning_imports(m) if t in MODULES}
    assert edges == {("search", "parallel"), ("search", "tuners"), ("parallel", "tuners")}
    assert _tuning_imports("tuners") <= {"hypermodel"}  # the type of make_tuner's model only


def test_public_names_are_the_engine_modules():
    tuners = importlib.import_module("zoo.tuning.tuners")
    search_module = importlib.import_module("zoo.tuning.search")
    parallel = importlib.import_module("zoo.tuning.parallel")
    assert zoo.tuning.SearchResult is tuners.SearchResult is search_module.SearchResult
    assert zoo.tuning.TUNERS is tuners.TUNERS == ("random", "grid", "hyperband", "bayesian")
    assert zoo.tuning.search is search_module.search  # the function, as the package exports it
    assert parallel.run_search is tuners.run_search and parallel.make_tuner is tuners.make_tuner
    for name in ("ResumableGridSearchOracle", "HyperbandOracle", "ZooTuner", "ZooHyperband"):
        assert getattr(tuners, name).__module__ == "zoo.tuning.tuners"
