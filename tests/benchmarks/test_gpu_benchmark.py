"""Smoke test of benchmarks/gpu.py at tiny sizes on the CPU: under the current backend, and
under JAX with TensorFlow made unimportable, as on the GPU machine (no timing asserts)."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def _check_record(record):
    assert record["benchmark"] == "gpu" and record["mode"] == "tiny"
    assert record["peak"]["flops_per_second"] > 0
    result = record["results"]["float32"]
    for mode in ("train", "predict", "model_predict"):
        entry = result["images"]["lenet5"][mode]
        assert entry["samples_per_second"] > 0 and entry["mfu"] > 0
    rnn = result["rnn"]
    for name in ("lstm", "lstm_generic", "peephole_lstm"):
        assert rnn[name]["sequences_per_second"] > 0
    assert isinstance(rnn["peephole_vs_generic"]["meets_target"], bool)


def test_gpu_benchmark_tiny_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(REPO))
    from benchmarks import gpu

    out = tmp_path / "gpu.json"
    assert gpu.main(["--tiny", "--policies", "float32", "--json", str(out)]) == 0
    assert "peephole / generic" in capsys.readouterr().out
    record = json.loads(out.read_text())
    assert record["backend"] == keras.backend.backend()
    _check_record(record)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_gpu_benchmark_runs_under_jax_without_tensorflow(tmp_path):
    out = tmp_path / "gpu.json"
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"  # any import of it now fails
        "from benchmarks import gpu\n"
        f"gpu.main(['--tiny', '--json', {str(out)!r}])\n"
        "assert 'tensorflow' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=600)
    record = json.loads(out.read_text())
    assert record["backend"] == "jax"
    assert set(record["results"]) == {"mixed_bfloat16", "float32"}
    _check_record(record)
