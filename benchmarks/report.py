"""Run the CPU benchmarks and rewrite BENCHMARKS.md (``make bench``).

    python -m benchmarks.report [--tiny] [--only layers ...] [--output BENCHMARKS.md]
                                [--json-dir artifacts/benchmarks]

Each benchmark runs in a process of its own (``python -m benchmarks.NAME --json ...``) and the
records become the tables of the output file, with the machine, load and date. The GPU section
between the ``gpu:start`` / ``gpu:end`` markers is filled in by hand from ``benchmarks/gpu.py``
on a GPU machine; a rewrite keeps it as it is (or writes a placeholder when there is none).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

CPU_BENCHMARKS = ("keras_applications", "layers", "startup")
GPU_START, GPU_END = "<!-- gpu:start -->", "<!-- gpu:end -->"
GPU_PLACEHOLDER = f"""{GPU_START}
## GPU (JAX backend)

**No GPU was lent for this run**: no GPU figures yet. On a GPU machine run
`KERAS_BACKEND=jax python -m benchmarks.gpu --json artifacts/benchmarks/gpu.json` and put its
table here by hand (resnet50 and mobilenet images/s and MFU, mixed_bfloat16 and float32; LSTM
vs PeepholeLSTM sequences/s). `make bench` keeps this section as it is.
{GPU_END}"""


def run_benchmark(name: str, json_path: pathlib.Path, *, tiny: bool) -> dict:
    """``python -m benchmarks.NAME --json json_path`` in a fresh process; its record."""
    command = [sys.executable, "-m", f"benchmarks.{name}", "--json", str(json_path)]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    root = pathlib.Path(__file__).resolve().parents[1]
    subprocess.run(command + (["--tiny"] if tiny else []), check=True, cwd=root, env=env)
    return json.loads(json_path.read_text())


def _ms(stats: dict) -> str:
    return f"{stats['median'] * 1e3:.1f}"


def _ratio(stats: dict) -> str:
    return f"{stats['median']:.3f} ± {stats['iqr'] / 2:.3f}"


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def keras_applications_section(data: dict) -> list[str]:
    lines = [
        "## Our builders vs keras.applications",
        "",
        "Same input, batch and parameter count on both sides, one compiled step "
        "(`predict_on_batch` / `train_on_batch`, SGD). Ratio = our throughput / keras' "
        f"(target >= 0.97), median of {data['repeats']} interleaved rounds ± half the IQR.",
        "",
        "| model | step | input | batch | ours ms | keras ms | ratio | target met |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | --- |",
    ]
    for result in data["results"].values():
        shape = "x".join(map(str, result["input_shape"]))
        steps = result["step_seconds"]
        lines.append(
            f"| {result['model']} (keras {result['keras_model']}) | {result['mode']} | {shape} "
            f"| {result['batch_size']} | {_ms(steps['ours'])} | {_ms(steps['keras'])} "
            f"| {_ratio(result['ratio'])} | {_met(result['meets_target'])} |"
        )
    return lines


def layers_section(data: dict) -> list[str]:
    lines = [
        "## Layers vs the Keras built-ins",
        "",
        "One training step (`train_on_batch`) of the same model with our layer or Keras' own. "
        f"Ratio = our step time / keras' (lower is better), median of {data['repeats']} "
        "interleaved rounds ± half the IQR.",
        "",
        "| pair | sizes | ours ms | keras ms | ratio | target | target met |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, result in data["results"].items():
        steps = result["step_seconds"]
        sizes = ", ".join(f"{k} {v}" for k, v in result["sizes"].items())
        target = result.get("target")
        lines.append(
            f"| {name} | {sizes} | {_ms(steps['ours'])} | {_ms(steps['keras'])} "
            f"| {_ratio(result['ratio'])} | {'-' if target is None else f'<= {target}'} "
            f"| {'-' if target is None else _met(result['meets_target'])} |"
        )
    return lines


def startup_section(data: dict) -> list[str]:
    imports = data["imports"]
    lines = [
        "## Start-up",
        "",
        f"Fresh Python processes, {data['repeats']} interleaved rounds (median seconds). "
        f"Target: `zoo_registry` adds < {imports['target_added_seconds']:.0f} s to "
        f"`import keras` (met: {_met(imports['meets_target'])}).",
        "",
        "| command | seconds | added to `import keras` | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, stats in imports["seconds"].items():
        extra = imports.get(name)
        added = (
            f"{extra['added_seconds']['median']:.2f} | {extra['ratio']['median']:.3f}"
            if extra
            else "- | -"
        )
        lines.append(f"| {name} | {stats['median']:.2f} | {added} |")
    lines += [
        "",
        f"`zoo.build(name)` at the default configuration (target < "
        f"{data['build_target_seconds']:.0f} s; resnet1202 exempt), interleaved with the "
        "keras.applications twin where there is one (ratio = our seconds / keras').",
        "",
        "| model | seconds | keras seconds | ratio | target met |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, result in data["builds"].items():
        seconds = result["seconds"]
        twin = (
            f"{seconds['keras']['median']:.2f} | {result['ratio']['median']:.2f}"
            if "keras" in seconds
            else "- | -"
        )
        lines.append(
            f"| {name} | {seconds['ours']['median']:.2f} | {twin} "
            f"| {_met(result['meets_target'])} |"
        )
    return lines


SECTIONS = {
    "keras_applications": keras_applications_section,
    "layers": layers_section,
    "startup": startup_section,
}


def gpu_section(output: pathlib.Path) -> str:
    """The hand-written GPU section of ``output`` if it has one, else the placeholder."""
    if output.exists():
        found = re.search(
            re.escape(GPU_START) + ".*?" + re.escape(GPU_END), output.read_text(), re.DOTALL
        )
        if found:
            return found.group(0)
    return GPU_PLACEHOLDER


def render(records: dict, *, wall_seconds: float, load: tuple, gpu: str) -> str:
    """BENCHMARKS.md from the benchmarks' records (keyed by benchmark name)."""
    first = next(iter(records.values()))
    machine = first["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in first["versions"].items())
    lines = [
        "# Benchmarks",
        "",
        "Speed is measured only as ratios taken in one process on one machine (interleaved "
        "rounds, median and spread); absolute times are for orientation. Regenerate with "
        "`make bench` (CPU, TensorFlow backend).",
        "",
        f"- date: {first['date']}",
        f"- machine: {machine['platform']}, {machine['processor']}, "
        f"{machine['usable_cpus']} usable of {machine['cpu_count']} CPUs",
        f"- load average when the run started: {', '.join(f'{v:.2f}' for v in load)} "
        "(other processes share the machine when it is above 0)",
        f"- backend {first['backend']}; {versions}",
        f"- wall time of the run: {wall_seconds:.0f} s",
    ]
    if first["mode"] == "tiny":
        lines.append("- **tiny sizes** (a smoke run: the ratios mean nothing)")
    for name, data in records.items():
        lines += ["", *SECTIONS[name](data)]
    return "\n".join([*lines, "", gpu, ""])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", nargs="+", choices=CPU_BENCHMARKS, default=CPU_BENCHMARKS)
    parser.add_argument("--output", default="BENCHMARKS.md", help="the Markdown file to write")
    parser.add_argument("--json-dir", default="artifacts/benchmarks", help="the records go here")
    args = parser.parse_args(argv)
    json_dir = pathlib.Path(args.json_dir)
    json_dir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    start = time.perf_counter()
    records = {
        name: run_benchmark(name, json_dir / f"{name}.json", tiny=args.tiny) for name in args.only
    }
    output = pathlib.Path(args.output)
    text = render(
        records, wall_seconds=time.perf_counter() - start, load=load, gpu=gpu_section(output)
    )
    output.write_text(text)
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
