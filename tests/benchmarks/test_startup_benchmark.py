"""Smoke test of benchmarks/startup.py at tiny sizes: it runs and writes its record (no timing
asserts)."""

from __future__ import annotations

import json
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_startup_benchmark_tiny_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import startup

    out = tmp_path / "startup.json"
    assert startup.main(["--tiny", "--json", str(out)]) == 0
    assert "zoo_registry" in capsys.readouterr().out

    record = json.loads(out.read_text())
    assert record["benchmark"] == "startup" and record["mode"] == "tiny"
    imports = record["imports"]
    assert set(imports["seconds"]) == {"keras", "zoo_registry"}
    assert imports["zoo_registry"]["ratio"]["n"] == record["repeats"]
    assert isinstance(imports["meets_target"], bool)
    commands = record["commands"]  # the card commands against `zoo --help` (no timing asserted)
    assert set(commands["seconds"]) == set(startup.COMMANDS)
    for name in ("zoo list", "zoo list --json", "zoo info resnet50"):
        assert commands[name]["ratio"]["n"] == record["repeats"]
        assert isinstance(commands[name]["meets_target"], bool)
    assert commands["target_ratio"] == 1.5
    assert set(record["builds"]) == {"lenet5", "mlp"}
    for result in record["builds"].values():
        assert result["seconds"]["ours"]["median"] > 0
        assert isinstance(result["meets_target"], bool)


def test_startup_pairs_builds_with_keras_twins(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import startup

    results = startup.build_times(["mobilenet"], repeats=1)
    assert results["mobilenet"]["keras_model"] == "MobileNet"
    assert set(results["mobilenet"]["seconds"]) == {"ours", "keras"}
