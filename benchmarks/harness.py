"""Ratio-benchmark harness: time two (or more) workloads interleaved in one process.

A ratio benchmark answers "how much slower is ours than the Keras built-in on the same work,
same backend, same machine". Measuring both sides in the same process, interleaved (A, B, B, A,
A, B, ...), cancels most drift (CPU frequency, other load), and the median of the per-round
ratios with its spread is what we report.

Use:
    times = time_interleaved({"ours": step_a, "keras": step_b}, repeats=20, warmup=3)
    summary = summarize(times)                    # per workload: median, min, max, IQR
    r = paired_ratio(times["ours"], times["keras"])   # median and spread of per-round ratios
    write_json(path, record(name="layers", results={...}))
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import platform
import statistics
import sys
import time
from collections.abc import Callable


def block(value):
    """Wait for an asynchronously computed result (JAX dispatch is async)."""
    ready = getattr(value, "block_until_ready", None)
    if callable(ready):
        ready()
        return value
    if isinstance(value, dict):
        for item in value.values():
            block(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            block(item)
    return value


def time_interleaved(
    workloads: dict[str, Callable[[], object]],
    *,
    repeats: int = 20,
    warmup: int = 3,
    number: int = 1,
) -> dict[str, list[float]]:
    """Seconds per call of each workload, measured in interleaved rounds.

    Every workload is first called ``warmup`` times (compilation, caches). Then each of the
    ``repeats`` rounds times every workload once (``number`` calls, averaged), alternating the
    order between rounds so that neither side always runs first.
    """
    if repeats < 1 or warmup < 0 or number < 1:
        raise ValueError(
            f"need repeats >= 1, warmup >= 0, number >= 1; got {repeats, warmup, number}"
        )
    names = list(workloads)
    for name in names:
        for _ in range(warmup):
            block(workloads[name]())
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            fn = workloads[name]
            start = time.perf_counter()
            for _ in range(number):
                block(fn())
            times[name].append((time.perf_counter() - start) / number)
    return times


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def describe(values: list[float]) -> dict[str, float]:
    """Median, min, max, inter-quartile range and relative spread (IQR / median)."""
    median = statistics.median(values)
    iqr = _quantile(values, 0.75) - _quantile(values, 0.25)
    return {
        "median": median,
        "min": min(values),
        "max": max(values),
        "iqr": iqr,
        "relative_spread": iqr / median if median else float("nan"),
        "n": len(values),
    }


def summarize(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {name: describe(values) for name, values in times.items()}


def paired_ratio(ours: list[float], reference: list[float]) -> dict[str, float]:
    """Statistics of the per-round ratios ours / reference (rounds are interleaved pairs)."""
    ratios = [a / b for a, b in zip(ours, reference, strict=True)]
    stats = describe(ratios)
    stats["ratio_of_medians"] = statistics.median(ours) / statistics.median(reference)
    return stats


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
