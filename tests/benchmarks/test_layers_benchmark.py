"""Smoke test of benchmarks/layers.py at tiny sizes: it runs and writes its record (no timing
asserts)."""

from __future__ import annotations

import json
import pathlib

import keras

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_layers_benchmark_tiny_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import layers as bench

    out = tmp_path / "bench" / "layers.json"
    assert bench.main(["--tiny", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "peephole_lstm" in printed and "explicit_dense" in printed

    record = json.loads(out.read_text())
    assert record["benchmark"] == "layers"
    assert record["backend"] == keras.backend.backend()
    assert record["mode"] == "tiny"
    assert {"date", "machine", "versions"} <= set(record)
    assert record["versions"]["keras"] == keras.__version__
    for name in ("peephole_lstm", "explicit_dense"):
        result = record["results"][name]
        ratio = result["ratio"]
        assert ratio["n"] == record["repeats"]
        assert ratio["median"] > 0
        for side in ("ours", "keras"):
            assert result["step_seconds"][side]["median"] > 0
        assert result["target"] == bench.TARGETS[name]
        assert isinstance(result["meets_target"], bool)


def test_harness_interleaves_and_summarizes(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import harness

    order = []
    times = harness.time_interleaved(
        {"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=3, warmup=1
    )
    assert order == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert [len(v) for v in times.values()] == [3, 3]
    stats = harness.describe([1.0, 2.0, 3.0, 4.0])
    assert stats["median"] == 2.5 and stats["iqr"] == 1.5 and stats["n"] == 4
    assert harness.paired_ratio([2.0, 4.0], [1.0, 2.0])["median"] == 2.0
