"""The fast tier (`make test-fast`): the suite's cheap tests, one of every file and every model.

`select` keeps a test when it is not marked ``slow`` and its recorded duration (setup, call and
teardown in the last full run) is at most `BUDGET` seconds. Then coverage is topped up with
unmarked tests, the cheapest first: a test file left with nothing keeps one, and so does every
registered model (a test names a model when one of the ``-``-separated parts of its parameter id
is the model's name), so every family module builds in the tier. A file whose every test is
``slow`` (the kill, scale and real-data runs) is CI's alone: its slow test is the file, and the
modules it drives have their own cheap tests. ``tests/durations.json`` records the tests from
`RECORDED_FROM` seconds up; a run with ``--store-durations`` updates the tests it ran
(pytest-xdist's workers report to the controller, which writes it):
``.venv/bin/pytest -n 2 --dist load --store-durations``.

Example: ``select(["tests/a.py::t1", "tests/a.py::t2"], {"tests/a.py::t1": 9.0}, set())`` is
``{"tests/a.py::t2"}``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable

BUDGET = 0.3  # seconds per test
RECORDED_FROM = 0.2  # seconds: the record keeps the tests from here up (the others are cheap)
DURATIONS = pathlib.Path(__file__).resolve().parents[1] / "durations.json"


def named_models(test_id: str, models: Iterable[str]) -> set[str]:
    """The models among ``models`` that ``test_id``'s parameter id names."""
    if not test_id.endswith("]") or "[" not in test_id:
        return set()
    parts = test_id[test_id.index("[") + 1 : -1].split("-")
    return set(parts) & set(models)


def select(
    ids: list[str], durations: dict[str, float], slow: set[str], models: Iterable[str] = ()
) -> set[str]:
    """The ids of the fast tier, from every collected id, the recorded durations, the ids
    marked slow and the registered model names."""
    kept = {i for i in ids if i not in slow and durations.get(i, 0.0) <= BUDGET}
    unmarked = sorted((i for i in ids if i not in slow), key=lambda i: durations.get(i, 0.0))
    files = {i.split("::", 1)[0] for i in kept}
    for test_id in unmarked:
        file = test_id.split("::", 1)[0]
        if file not in files:
            kept.add(test_id)
            files.add(file)
    built = set().union(*(named_models(i, models) for i in kept))
    for test_id in unmarked:
        missing = named_models(test_id, models) - built
        if missing:
            kept.add(test_id)
            built |= missing
    return kept


def load(path: pathlib.Path = DURATIONS) -> dict[str, float]:
    """The recorded durations (empty when there is no record yet)."""
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def store(durations: dict[str, float], path: pathlib.Path = DURATIONS) -> None:
    """Merge these durations into the record (a test run again gets its new figure), keep
    those from `RECORDED_FROM` up, rounded to 10 ms and sorted (the file diffs well), and write
    it atomically."""
    merged = {**load(path), **{k: round(v, 2) for k, v in durations.items()}}
    kept = {k: v for k, v in sorted(merged.items()) if v >= RECORDED_FROM}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(kept, indent=0) + "\n")
    temporary.replace(path)
