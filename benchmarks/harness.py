"""Ratio-benchmark harness: time two (or more) workloads interleaved in one process.

A ratio benchmark answers "how much slower is ours than the Keras built-in on the same work,
same backend, same machine". Measuring both sides in the same process, interleaved (A, B, B, A,
A, B, ...), cancels most drift (CPU frequency, other load), and the median of the per-round
ratios with its spread is what we report. The timing loop and statistics live in `zoo.bench`
(the installed package's `zoo bench` uses them too) and are re-exported here; this module adds
the JSON record (machine, backend, versions, date).

Use:
    times = time_interleaved({"ours": step_a, "keras": step_b}, repeats=20, warmup=3)
    summary = summarize(times)                    # per workload: median, min, max, IQR
    r = paired_ratio(times["ours"], times["keras"])   # median and spread of per-round ratios
    write_json(path, record(name="layers", results={...}))
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import sys

from zoo.bench import block, describe, paired_ratio, time_interleaved

__all__ = [
    "argument_parser",
    "block",
    "describe",
    "environment",
    "finish",
    "paired_ratio",
    "record",
    "summarize",
    "time_interleaved",
    "write_json",
]


def summarize(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """`describe` of every workload's times."""
    return {name: describe(values) for name, values in times.items()}


def environment() -> dict[str, object]:
    """Machine, backend and library versions, and the date, for the JSON record."""
    versions: dict[str, str] = {"python": platform.python_version()}
    for module in ("keras", "tensorflow", "jax", "torch", "numpy"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            versions[module] = getattr(loaded, "__version__", "?")
    backend = None
    if "keras" in sys.modules:
        backend = sys.modules["keras"].backend.backend()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
        },
        "backend": backend,
        "versions": versions,
    }


def record(name: str, **fields) -> dict[str, object]:
    """A JSON-ready benchmark record: name, environment, then the given fields."""
    return {"benchmark": name, **environment(), **fields}


def write_json(path, data) -> pathlib.Path:
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


def argument_parser(doc: str, *, timing: bool = False) -> argparse.ArgumentParser:
    """The options of every benchmark: ``--tiny`` and ``--json PATH`` (``timing``: also
    ``--repeats`` and ``--warmup``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--json", metavar="PATH", help="write the record as JSON here")
    if timing:
        parser.add_argument("--repeats", type=int, help="interleaved timed rounds")
        parser.add_argument("--warmup", type=int, help="untimed calls before timing")
    return parser


def finish(data: dict, table: str, json_path) -> int:
    """Print a benchmark's table, write its record to ``json_path`` if given; exit status 0."""
    print(table)
    if json_path:
        print(f"wrote {write_json(json_path, data)}")
    return 0
