"""The fast tier (`make test-fast`): the suite's cheap tests, and at least one of every file.

`select` keeps a test when it is not marked ``slow`` and its recorded duration (setup, call and
teardown in the last full run) is at most `BUDGET` seconds; a test file left with nothing keeps
its cheapest test, so every file of the suite runs at least once. CI runs everything; the tier
is for working. ``tests/durations.json`` records the tests from `RECORDED_FROM` seconds up; a
run with ``--store-durations`` updates the tests it ran (pytest-xdist's workers report to the
controller, which writes it): ``.venv/bin/pytest -n 2 --dist load --store-durations``.

Example: ``select(["tests/a.py::t1", "tests/a.py::t2"], {"tests/a.py::t1": 9.0}, set())`` is
``{"tests/a.py::t2"}``.
"""

from __future__ import annotations

import json
import pathlib

BUDGET = 0.3  # seconds per test
RECORDED_FROM = 0.2  # seconds: the record keeps the tests from here up (the others are cheap)
DURATIONS = pathlib.Path(__file__).resolve().parents[1] / "durations.json"


def select(ids: list[str], durations: dict[str, float], slow: set[str]) -> set[str]:
    """The ids of the fast tier, from every collected id, the recorded durations and the ids
    marked slow."""
    kept = {i for i in ids if i not in slow and durations.get(i, 0.0) <= BUDGET}
    by_file: dict[str, list[str]] = {}
    for test_id in ids:
        by_file.setdefault(test_id.split("::", 1)[0], []).append(test_id)
    for tests in by_file.values():
        if not kept.intersection(tests):
            kept.add(min(tests, key=lambda i: (i in slow, durations.get(i, 0.0))))
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
