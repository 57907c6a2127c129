"""benchmarks/report.py: runs a benchmark at tiny sizes and writes the Markdown report to the
given path (never the repository's BENCHMARKS.md), keeping a hand-written GPU section."""

from __future__ import annotations

import json
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_report_tiny_writes_markdown_and_json(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import report

    output = tmp_path / "BENCHMARKS.md"
    json_dir = tmp_path / "records"
    argv = ["--tiny", "--only", "layers", "--output", str(output), "--json-dir", str(json_dir)]
    assert report.main(argv) == 0
    text = output.read_text()
    assert text.startswith("# Benchmarks")
    assert "## Layers vs the Keras built-ins" in text and "| peephole_lstm |" in text
    assert "No GPU was lent for this run" in text
    assert json.loads((json_dir / "layers.json").read_text())["benchmark"] == "layers"

    # a GPU section filled in by hand survives the next rewrite
    output.write_text(text.replace("No GPU was lent for this run", "H100: 2,900 images/s"))
    records = {"layers": json.loads((json_dir / "layers.json").read_text())}
    rewritten = report.render(
        records, wall_seconds=1.0, load=(0.0, 0.0, 0.0), gpu=report.gpu_section(output)
    )
    assert "H100: 2,900 images/s" in rewritten and "No GPU was lent" not in rewritten


def test_report_renders_every_cpu_section(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import report

    stats = {"median": 0.01, "iqr": 0.001, "n": 1}
    machine = {"platform": "p", "processor": "x", "cpu_count": 2, "usable_cpus": 2}
    common = {"date": "d", "machine": machine, "backend": "tensorflow", "versions": {"keras": "3"}}
    records = {
        "keras_applications": {
            **common,
            "mode": "tiny",
            "repeats": 1,
            "results": {
                "mobilenet/predict": {
                    "model": "mobilenet",
                    "keras_model": "mobilenet",
                    "mode": "predict",
                    "input_shape": [32, 32, 3],
                    "batch_size": 1,
                    "step_seconds": {"ours": stats, "keras": stats},
                    "ratio": stats,
                    "meets_target": False,
                }
            },
        },
        "startup": {
            **common,
            "mode": "tiny",
            "repeats": 1,
            "build_target_seconds": 2.0,
            "imports": {
                "seconds": {"keras": stats, "zoo_registry": stats},
                "zoo_registry": {"added_seconds": stats, "ratio": stats},
                "target_added_seconds": 1.0,
                "meets_target": True,
            },
            "builds": {
                "vgg_d": {
                    "seconds": {"ours": stats, "keras": stats},
                    "ratio": stats,
                    "meets_target": True,
                }
            },
        },
    }
    text = report.render(records, wall_seconds=3.0, load=(1.0, 2.0, 3.0), gpu="GPU")
    assert "| mobilenet (keras mobilenet) | predict | 32x32x3 | 1 |" in text
    assert "**no**" in text and "| zoo_registry | 0.01 | 0.01 | 0.010 |" in text
    assert "| vgg_d | 0.01 | 0.01 | 0.01 | yes |" in text and text.endswith("GPU\n")
