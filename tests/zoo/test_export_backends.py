"""zoo.export on the current Keras backend: every format is either written and verified with its
own runtime or refused in one line, as `zoo.export.SUPPORT` (the README's table) says.

Tiny models only: `make test` runs this file under TensorFlow, `make test-backends` (the
Makefile's BACKEND_SUITES) under jax and torch. A supported pair whose optional package is not
installed (the `jax2onnx` and `litert-torch` extras) is skipped with the reason;
test_export.py sweeps every registered model through the TensorFlow formats.
"""

from __future__ import annotations

import importlib
import importlib.util
import stat

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import two_in_two_out
from zoo.export import FORMATS, SUPPORT, TOLERANCE, ExportVerificationError

export_module = importlib.import_module("zoo.export")  # zoo.export is also the function
BACKEND = keras.backend.backend()
pytestmark = pytest.mark.filterwarnings(
    "ignore:zoo.export. model .* looks freshly built:UserWarning"
)


def _missing(format: str) -> list[str]:
    needed = export_module._WRITERS[format, BACKEND] + export_module._RUNTIMES[format]
    return [package for module, package in needed if importlib.util.find_spec(module) is None]


def _skip_unless_installed(format: str) -> None:
    missing = _missing(format)
    if missing:
        extra = SUPPORT[format, BACKEND].extra
        pytest.skip(
            f"{format} on {BACKEND} needs {', '.join(missing)} (pip install "
            f"'keras-lecture-zoo[{extra}]'), which is not installed"
        )


def _mlp():
    return zoo.build("mlp", input_shape=(4,), hidden_units=[8], num_classes=3)


def _check_plain_modes(path):
    for entry in [path, *path.rglob("*")] if path.is_dir() else [path]:
        wanted = 0o755 if entry.is_dir() else 0o644
        assert stat.S_IMODE(entry.stat().st_mode) == wanted, entry


def _run_torch_program(path, inputs):
    import torch

    module = torch.export.load(str(path)).module()
    with torch.no_grad():
        return module(torch.as_tensor(inputs)).numpy()


@pytest.fixture
def home(tmp_path_factory, monkeypatch):
    """A home folder of its own, outside CI as far as OpenVINO's telemetry can tell."""
    folder = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(folder))
    for name in ("CI", "TF_BUILD", "JENKINS_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.mark.parametrize("format", FORMATS)
def test_each_format_is_verified_or_refused(format, tmp_path, umask_022, home):
    record = SUPPORT[format, BACKEND]
    model = _mlp()
    if not record.supported:
        with pytest.raises(ValueError) as caught:
            zoo.export(model, tmp_path / "out", format=format)
        message = str(caught.value)
        assert "\n" not in message
        for part in (f"format={format!r}", f"{BACKEND} backend", "use format="):
            assert part in message
        assert list(tmp_path.iterdir()) == []
        return
    _skip_unless_installed(format)
    with pytest.warns(UserWarning, match="'mlp' looks freshly built"):
        path = zoo.export(model, tmp_path / "out", format=format)  # verify=True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert not (home / "intel").exists()  # no OpenVINO telemetry client id (zoo declines)
    _check_plain_modes(path)
    _, batch_size = export_module._export_options(model, format, BACKEND)
    assert (
        export_module.verify_artifact(model, path, format, batch_size=batch_size)
        <= (TOLERANCE[format])
    )
    with pytest.raises(ExportVerificationError, match="differs from the Keras model"):
        export_module.verify_artifact(_mlp(), path, format, batch_size=batch_size)
    if format == "torch":  # run the program directly, at two batch sizes (a dynamic batch)
        for batch in (1, 3):
            x = np.random.default_rng(batch).random((batch, 4), dtype=np.float32)
            expected = keras.ops.convert_to_numpy(model(x, training=False))
            assert np.max(np.abs(_run_torch_program(path, x) - expected)) <= TOLERANCE["torch"]


@pytest.mark.parametrize("format", FORMATS)
def test_several_inputs_and_outputs_on_this_backend(format, tmp_path):
    if BACKEND == "tensorflow":
        pytest.skip("test_export.py checks several inputs and outputs on tensorflow")
    if not SUPPORT[format, BACKEND].supported:
        pytest.skip(f"{format} is refused on {BACKEND} (the test above checks the refusal)")
    if (format, BACKEND) == ("litert", "torch"):
        pytest.skip(SUPPORT[format, BACKEND].note)  # integer (token) inputs fail to convert
    _skip_unless_installed(format)
    model = two_in_two_out()
    path = zoo.export(model, tmp_path / "out", format=format)  # verify=True: both outputs
    swapped = keras.Model(model.inputs, model.outputs[::-1])
    with pytest.raises(ExportVerificationError, match="shapes"):
        export_module.verify_artifact(swapped, path, format)
