"""The README's table of lecture formulas and worked examples cannot drift from the code.

Every row of the table between ``<!-- lectures:start -->`` and ``<!-- lectures:end -->`` names the
notes it comes from (a seed of ``../shared/seeds``), what implements it (a dotted name that must
import) and the test that checks it (``tests/path.py::test_name``, which must be defined in that
file, read with `ast`, so renaming or deleting the test breaks this one). No row may repeat a test
without saying something else.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re

import pytest

from .conftest import REPO

ROW = re.compile(
    r"^\| (?P<what>[^|]+) \| (?P<notes>[^|]+) \| `(?P<impl>[^`]+)` \| (?P<tests>.+) \|$"
)
TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([\w-]+)\])?`")
SEED = re.compile(r"seed 00[0-4]")


def table_rows() -> list[dict]:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"<!-- lectures:start -->\n(.*?)\n<!-- lectures:end -->", readme, re.S)
    assert block, "README.md lacks the table of lecture formulas (<!-- lectures:start -->)"
    lines = block.group(1).splitlines()
    assert lines[0].startswith("| lecture formula or worked example |"), lines[0]
    rows = []
    for line in lines[2:]:
        match = ROW.match(line)
        assert match, f"malformed row of the lecture table: {line}"
        rows.append(match.groupdict())
    return rows


@functools.cache
def defined_tests(path: str) -> frozenset[str]:
    tree = ast.parse((REPO / path).read_text(), filename=path)
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def test_the_table_has_rows_from_every_seed():
    rows = table_rows()
    assert len(rows) >= 30
    seeds = {seed for row in rows for seed in SEED.findall(row["notes"])}
    assert seeds == {f"seed 00{i}" for i in range(5)}
    assert len({row["what"] for row in rows}) == len(rows), "a formula is listed twice"


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row["what"][:60])
def test_each_row_names_real_notes_code_and_tests(row):
    assert SEED.search(row["notes"]), f"no seed named in {row['notes']!r}"
    _resolve(row["impl"])
    tests = TEST.findall(row["tests"])
    assert tests, f"no test named in {row['tests']!r}"
    for path, name, parameter in tests:
        assert (REPO / path).is_file(), path
        assert name in defined_tests(path), f"{path} defines no {name}"
        if path == "tests/examples/test_examples.py":  # the parameter is an example script
            assert (REPO / "examples" / f"{parameter}.py").is_file(), parameter
