"""Smoke test of benchmarks/keras_applications.py at tiny sizes: it runs and writes its record
(no timing asserts)."""

from __future__ import annotations

import json
import pathlib

import keras

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_keras_applications_benchmark_tiny_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import keras_applications as bench

    out = tmp_path / "keras_applications.json"
    assert bench.main(["--tiny", "--models", "mobilenet", "--json", str(out)]) == 0
    assert "mobilenet/train" in capsys.readouterr().out

    record = json.loads(out.read_text())
    assert record["benchmark"] == "keras_applications" and record["mode"] == "tiny"
    assert record["backend"] == keras.backend.backend()
    assert {"date", "machine", "versions"} <= set(record)
    assert set(record["results"]) == {"mobilenet/predict", "mobilenet/train"}
    for result in record["results"].values():
        assert result["keras_model"].startswith("mobilenet")
        assert result["ratio"]["n"] == record["repeats"]
        assert result["ratio"]["median"] > 0
        assert result["target"] == bench.TARGET
        assert isinstance(result["meets_target"], bool)
