"""Start-up cost: ``import zoo`` relative to ``import keras``, the card commands relative to
``zoo --help``, and ``zoo.build`` of every model.

    python -m benchmarks.startup [--tiny] [--json PATH] [--repeats N] [--all]

Imports are timed as fresh Python processes (the wall time of ``python -c CODE``), interleaved
round by round, under the current backend:

- ``keras``: ``import keras``;
- ``zoo``: ``import keras, zoo`` (the public names load lazily);
- ``zoo_registry``: ``import keras, zoo; zoo.list_models()`` (every family module and
  ``zoo.layers``: what ``zoo.build`` needs). Target: it adds < 1 s to ``import keras``.

The ``zoo`` commands that answer from the recorded cards (`zoo.models._cards`: no Keras, no
build) are timed the same way, as fresh ``python -m zoo ...`` processes interleaved with
``zoo --help`` (argument parsing only): ``zoo list``, ``zoo list --json`` and ``zoo info
resnet50``, each reported as its ratio to ``zoo --help``. Target: each <= 1.5x.

Builds are timed in this process at each model's default configuration (target < 2 s each;
resnet1202 is left out unless ``--all``); models with a keras.applications twin
(`zoo.bench.KERAS_APPLICATIONS`) are built interleaved with it (``weights=None``) and get a
ratio of our seconds over keras'.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

if __name__ == "__main__":  # a benchmark process of its own: CPU only, quiet TensorFlow
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if not __package__:  # run as a script: make `benchmarks` importable from the repo root
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import keras

import zoo
from benchmarks import harness
from zoo import bench

IMPORTS = {
    "keras": "import keras",
    "zoo": "import keras, zoo",
    "zoo_registry": "import keras, zoo; zoo.list_models()",
}
IMPORT_TARGET_SECONDS = 1.0
# The CLI commands timed against `zoo --help` (the first), as fresh processes.
COMMANDS = {
    "zoo --help": ("--help",),
    "zoo list": ("list",),
    "zoo list --json": ("list", "--json"),
    "zoo info resnet50": ("info", "resnet50"),
}
COMMAND_TARGET_RATIO = 1.5
BUILD_TARGET_SECONDS = 2.0
SLOW_BY_DESIGN = ("resnet1202",)  # 4,000 layers; exempt from the build target

SIZES = {
    "default": {
        "imports": tuple(IMPORTS),
        "commands": tuple(COMMANDS),
        "models": None,
        "repeats": 5,
        "warmup": 1,
        "build_repeats": 1,
    },
    "tiny": {
        "imports": ("keras", "zoo_registry"),
        "commands": tuple(COMMANDS),  # no Keras in any of them: a fraction of a second each
        "models": ("lenet5", "mlp"),
        "repeats": 1,
        "warmup": 0,
        "build_repeats": 1,
    },
}


def _python(*arguments: str):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "KERAS_BACKEND": keras.backend.backend()}
    command = [sys.executable, *arguments]
    return lambda: subprocess.run(command, env=env, check=True, capture_output=True)


def import_times(names, *, repeats: int, warmup: int = 1) -> dict:
    """Seconds of each import command in fresh processes, and each one's cost over keras'."""
    times = bench.time_interleaved(
        {name: _python("-c", IMPORTS[name]) for name in names}, repeats=repeats, warmup=warmup
    )
    results = {"seconds": harness.summarize(times)}
    for name in names:
        if name != "keras":
            added = [a - b for a, b in zip(times[name], times["keras"], strict=True)]
            results[name] = {
                "added_seconds": bench.describe(added),
                "ratio": bench.paired_ratio(times[name], times["keras"]),
            }
    added = results["zoo_registry"]["added_seconds"]["median"]
    results["target_added_seconds"] = IMPORT_TARGET_SECONDS
    results["meets_target"] = added < IMPORT_TARGET_SECONDS
    return results


def command_times(names, *, repeats: int, warmup: int = 1) -> dict:
    """Seconds of each `COMMANDS` entry as a fresh ``python -m zoo`` process, and each one's
    ratio to ``zoo --help`` (the first; included whatever ``names`` says)."""
    baseline = next(iter(COMMANDS))
    names = [baseline, *(name for name in names if name != baseline)]
    times = bench.time_interleaved(
        {name: _python("-m", "zoo", *COMMANDS[name]) for name in names},
        repeats=repeats,
        warmup=warmup,
    )
    results = {"seconds": harness.summarize(times), "target_ratio": COMMAND_TARGET_RATIO}
    for name in names[1:]:
        ratio = bench.paired_ratio(times[name], times[baseline])
        results[name] = {"ratio": ratio, "meets_target": ratio["median"] <= COMMAND_TARGET_RATIO}
    results["meets_target"] = all(results[name]["meets_target"] for name in names[1:])
    return results


def build_times(models, *, repeats: int) -> dict:
    """Seconds of ``zoo.build(name)`` per model (and of its keras.applications twin)."""
    zoo.list_models()  # registry and layers imported before any timing
    results = {}
    for name in models:
        workloads = {"ours": lambda name=name: zoo.build(name)}
        twin = bench.KERAS_APPLICATIONS.get(name)
        if twin:
            constructor = getattr(keras.applications, twin)
            workloads["keras"] = lambda constructor=constructor: constructor(weights=None)
        times = bench.time_interleaved(workloads, repeats=repeats, warmup=0)
        result = {"seconds": harness.summarize(times)}
        if twin:
            result["keras_model"] = twin
            result["ratio"] = bench.paired_ratio(times["ours"], times["keras"])
        result["meets_target"] = (
            name in SLOW_BY_DESIGN or result["seconds"]["ours"]["median"] < BUILD_TARGET_SECONDS
        )
        results[name] = result
        keras.backend.clear_session()
    return results


def run(*, tiny=False, repeats=None, include_all=False) -> dict:
    sizes = SIZES["tiny" if tiny else "default"]
    repeats = sizes["repeats"] if repeats is None else repeats
    models = sizes["models"] or [
        name for name in zoo.list_models() if include_all or name not in SLOW_BY_DESIGN
    ]
    return harness.record(
        "startup",
        mode="tiny" if tiny else "default",
        repeats=repeats,
        imports=import_times(sizes["imports"], repeats=repeats, warmup=sizes["warmup"]),
        commands=command_times(sizes["commands"], repeats=repeats, warmup=sizes["warmup"]),
        builds=build_times(models, repeats=sizes["build_repeats"]),
        build_target_seconds=BUILD_TARGET_SECONDS,
    )


def format_table(data: dict) -> str:
    imports = data["imports"]
    lines = [
        f"backend {data['backend']}, {data['repeats']} interleaved process starts per import",
        f"{'import':<16}{'seconds':>10}{'added':>10}{'ratio':>8}",
    ]
    for name, stats in imports["seconds"].items():
        line = f"{name:<16}{stats['median']:>10.2f}"
        extra = imports.get(name)
        if extra:
            line += f"{extra['added_seconds']['median']:>10.2f}{extra['ratio']['median']:>8.2f}"
        lines.append(line)
    commands = data["commands"]
    lines += [
        "",
        f"{'command':<22}{'seconds':>10}{'ratio':>8}  (target <= "
        f"{commands['target_ratio']}x zoo --help)",
    ]
    for name, stats in commands["seconds"].items():
        line = f"{name:<22}{stats['median']:>10.2f}"
        extra = commands.get(name)
        if extra:
            missed = "" if extra["meets_target"] else "  (missed)"
            line += f"{extra['ratio']['median']:>8.2f}{missed}"
        lines.append(line)
    lines += ["", f"{'zoo.build':<22}{'seconds':>10}{'keras s':>10}{'ratio':>8}"]
    for name, result in data["builds"].items():
        seconds = result["seconds"]
        line = f"{name:<22}{seconds['ours']['median']:>10.2f}"
        if "keras" in seconds:
            line += f"{seconds['keras']['median']:>10.2f}{result['ratio']['median']:>8.2f}"
        lines.append(line + ("" if result["meets_target"] else "  (missed)"))
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = harness.argument_parser(__doc__)
    parser.add_argument("--repeats", type=int, help="interleaved process starts per import")
    parser.add_argument("--all", action="store_true", help="also build resnet1202")
    args = parser.parse_args(argv)
    data = run(tiny=args.tiny, repeats=args.repeats, include_all=args.all)
    return harness.finish(data, format_table(data), args.json)


if __name__ == "__main__":
    sys.exit(main())
