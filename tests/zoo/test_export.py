"""zoo.export: verified SavedModel, ONNX, OpenVINO and LiteRT artifacts (the formats of the
TensorFlow backend), written atomically; test_export_backends.py checks every backend."""

from __future__ import annotations

import configparser
import functools
import gc
import importlib
import importlib.util
import json
import os
import pathlib
import re
import stat
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers.model_checks import two_in_two_out
from tests.helpers.small_models import SAME_LAYERS_AS, SMALL_CONFIGS, small_model
from zoo.export import FORMATS, TOLERANCE, ExportVerificationError, supported_formats

export_module = importlib.import_module("zoo.export")  # zoo.export is also the function
pytestmark = [
    pytest.mark.tensorflow_only(
        "written and checked through TensorFlow: SavedModel, tf2onnx, OpenVINO's TensorFlow "
        "frontend, the LiteRT converter"
    ),
    # Almost every model here is freshly built; the warning has its own tests below.
    pytest.mark.filterwarnings("ignore:zoo.export. model .* looks freshly built:UserWarning"),
]
REPO = pathlib.Path(__file__).resolve().parents[2]
TF_FORMATS = supported_formats("tensorflow")  # torch's format needs the torch backend

# Models left out of the export parity sweep, with the reason.
EXCLUDED = {
    "resnet1202": "1,202 layers (4,235 Keras layers): building it alone takes ~1.5 min at 4x4 "
    "on 2 cores and each export traces every layer; resnet20-110 cover the same CIFAR blocks",
}
# (model, format) pairs a converter or runtime cannot express, with the reason.
UNSUPPORTED: dict[tuple[str, str], str] = {
    ("alexnet", "onnx"): "grouped convolution (groups=2): Keras' TensorFlow backend runs it as "
    "a nested XLA-compiled function (StatefulPartitionedCall), which tf2onnx cannot convert; "
    "ONNX Runtime then rejects the graph (groups=1 converts)",
    ("style_transfer_net", "openvino"): "OpenVINO's TensorFlow frontend adds the shape "
    "arithmetic of GroupNormalization (strided slices of the dynamic shape) to the model's "
    "outputs: 8 outputs for 1, which the verification refuses (the torch backend converts it)",
}
# On TensorFlow, OpenVINO cannot convert Keras' recurrent loop (a while-loop over TensorLists):
# zoo.export refuses every model with recurrent layers in one line (they convert on torch).
REFUSED_RECURRENT = "openvino"
# The parity sweep: the smallest set of models that exports every layer type of the registry
# in every format (test_the_sweep_exports_every_layer_type_in_every_format checks it stays
# so). A layer type converts by one rule whatever the model around it: a model whose every
# type is swept elsewhere (vgg_a: Conv2D, MaxPooling2D, Dense, Dropout, Flatten, all in
# alexnet) adds the same conversions again at ~10 s per format.
SWEEP = (
    "alexnet",  # grouped Conv2D, LocalResponseNormalization, Flatten, Dropout
    "gru",  # Bidirectional GRU
    "lenet5",
    "maxout_mlp",
    "mobilenet",  # DepthwiseConv2D, BatchNormalization
    "peephole_lstm",
    "resnet20",  # ChannelPadding, Add, GlobalAveragePooling2D
    "seq2seq",  # two inputs, LSTM
    "show_and_tell",  # a nested Functional backbone, Reshape, AveragePooling2D
    "simple_rnn",
    "style_transfer_net",  # Conv2DTranspose, GroupNormalization, Rescaling
    "text_cnn",  # Conv1D, masking, Concatenate
    "xception",  # SeparableConv2D
)
# Format -> models swept there too, for the types of a swept model the format cannot express:
# ONNX refuses alexnet's groups (googlenet has LRN), OpenVINO show_and_tell's LSTM (autoencoder
# has a nested Functional and Reshape).
SWEEP_ALSO = {"onnx": ("googlenet",), "openvino": ("autoencoder",)}
SWEEP_ALSO_MODELS = sorted({n for names in SWEEP_ALSO.values() for n in names})
RECURRENT = {"char_rnn", "gru", "lstm", "peephole_lstm", "seq2seq", "show_and_tell", "simple_rnn"}
# Models whose artifacts this file also runs with the runtimes directly (not only via verify).
INDEPENDENT = ("lenet5", "seq2seq", "text_cnn", "mobilenet")


def _entries(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("softmax_regression", (8, 8, 1)),
        ("mlp", (8, 8, 1)),
        ("lenet5", (32, 32, 1)),
        ("mnist_cnn", (28, 28, 1)),
    ],
)
def test_saved_model_reload_parity(name, shape, tmp_path):
    model = zoo.build(name, input_shape=shape)
    path = zoo.export(model, tmp_path / name)
    assert path == (tmp_path / name).resolve()
    assert (path / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(path))
    x = np.random.default_rng(1).random((3, *shape), dtype=np.float32)
    difference = np.max(np.abs(loaded.serve(x).numpy() - np.asarray(model(x))))
    assert difference <= 1e-5
    assert _entries(tmp_path) == [name]  # no staging directory left behind


def test_failed_write_leaves_no_partial_directory(tmp_path, monkeypatch):
    model = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])

    def failing_export(filepath, **kwargs):
        (tmp_path / "seen").write_text(filepath)
        os.makedirs(filepath, exist_ok=True)
        with open(f"{filepath}/saved_model.pb", "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(model, "export", failing_export)
    with pytest.raises(OSError, match="disk full"):
        zoo.export(model, tmp_path / "out")
    assert _entries(tmp_path) == ["seen"]


def test_verification_mismatch_is_an_error_and_keeps_the_old_artifact(tmp_path, monkeypatch):
    model = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])
    zoo.export(model, tmp_path / "out")
    before = (tmp_path / "out" / "saved_model.pb").read_bytes()
    other = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])
    monkeypatch.setattr(model, "export", other.export)
    with pytest.raises(ExportVerificationError, match="differs from the Keras model"):
        zoo.export(model, tmp_path / "out")
    assert (tmp_path / "out" / "saved_model.pb").read_bytes() == before
    assert _entries(tmp_path) == ["out"]


def test_an_existing_saved_model_is_replaced(tmp_path):
    first = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])
    second = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[6])
    zoo.export(first, tmp_path / "out")
    zoo.export(second, tmp_path / "out")
    loaded = tf.saved_model.load(str(tmp_path / "out"))
    x = np.ones((1, 8, 8, 1), dtype=np.float32)
    np.testing.assert_allclose(loaded.serve(x).numpy(), np.asarray(second(x)), atol=1e-6)
    assert _entries(tmp_path) == ["out"]


def test_refuses_to_overwrite_other_data(tmp_path):
    model = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError, match=r"zoo\.export did not write"):
        zoo.export(model, tmp_path / "notes")
    assert _entries(tmp_path / "notes") == ["keep.txt"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        zoo.export(model, tmp_path / "file")
    with pytest.raises(ValueError, match="format must be one of 'tf_saved_model'"):
        zoo.export(model, tmp_path / "new", format="pickle")
    assert _entries(tmp_path) == ["file", "notes"]


def test_an_empty_directory_is_a_valid_destination(tmp_path):
    (tmp_path / "empty").mkdir()
    zoo.export(zoo.build("softmax_regression", input_shape=(4, 4, 1)), tmp_path / "empty")
    assert (tmp_path / "empty" / "saved_model.pb").is_file()


# --- export deletes only what it wrote, and keeps a whole artifact at every instant ---------


def test_a_file_the_user_added_to_an_artifact_is_never_deleted(tmp_path):
    model = _tiny()
    path = zoo.export(model, tmp_path / "out")
    (path / "README.txt").write_text("my notes")
    with pytest.raises(
        FileExistsError, match=r"holds files zoo.export did not write \(README.txt\)"
    ):
        zoo.export(model, path)
    assert (path / "README.txt").read_text() == "my notes"
    (tmp_path / "keras-written").mkdir()
    model.export(str(tmp_path / "keras-written"), verbose=False)  # no manifest: not ours
    with pytest.raises(FileExistsError, match=r"did not write \(no \.zoo-export\.json\)"):
        zoo.export(model, tmp_path / "keras-written")


def test_siblings_that_only_look_like_staging_survive(tmp_path):
    backup = tmp_path / ".out.20261201.bak"
    backup.mkdir()
    (backup / "saved_model.pb").write_text("a dated backup")
    look_alike = tmp_path / f"{export_module.STAGING_PREFIX}1-abc"  # no mark: not ours
    look_alike.mkdir()
    (look_alike / "data").write_text("keep")
    zoo.export(_tiny(), tmp_path / "out")
    zoo.export(_tiny(), tmp_path / "out.onnx", format="onnx")
    assert (backup / "saved_model.pb").read_text() == "a dated backup"
    assert (look_alike / "data").read_text() == "keep"


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_an_artifact_left_between_two_renames_is_restored(tmp_path):
    """A kill between the two renames of the fallback swap: ``path`` is absent, the old
    artifact waits in the marked staging folder; the next export (or `recover`) puts it back
    instead of deleting it."""
    model = _tiny()
    path = zoo.export(model, tmp_path / "out")
    staging = tmp_path / f"{export_module.STAGING_PREFIX}{_dead_pid()}-x"
    staging.mkdir()
    (staging / export_module.STAGING_MARK).write_text(json.dumps({"target": "out"}))
    os.rename(path, staging / "retired")
    assert export_module.recover(tmp_path) == [path]
    assert (path / "saved_model.pb").is_file() and _entries(tmp_path) == ["out"]


def test_without_an_atomic_exchange_a_failed_second_rename_rolls_back(tmp_path, monkeypatch):
    model = _tiny()
    path = zoo.export(model, tmp_path / "out")
    before = (path / "saved_model.pb").read_bytes()
    monkeypatch.setattr(export_module, "_exchange", lambda first, second: False)
    real_rename = os.rename

    def failing_second_rename(source, destination):
        if pathlib.Path(source).name == "artifact":
            raise OSError(28, "No space left on device")
        real_rename(source, destination)

    monkeypatch.setattr(export_module.os, "rename", failing_second_rename)
    with pytest.raises(OSError, match="No space left"):
        zoo.export(_tiny(), path)
    monkeypatch.undo()
    assert (path / "saved_model.pb").read_bytes() == before
    assert _entries(tmp_path) == ["out"]
    monkeypatch.setattr(export_module, "_exchange", lambda first, second: False)
    zoo.export(model, path)  # the two-rename path, to completion
    assert _entries(tmp_path) == ["out"] and (path / export_module.MANIFEST).is_file()


def test_dot_dot_paths_and_long_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _tiny()
    assert zoo.export(model, "a/../out") == tmp_path / "out"
    long_name = "m" * 250  # a valid name; the staging folder's name does not grow with it
    assert zoo.export(model, long_name) == tmp_path / long_name
    assert _entries(tmp_path) == [long_name, "out"]


# --- every registered model, every format -------------------------------------------------


def test_small_configs_cover_the_registry():
    assert sorted(SMALL_CONFIGS) == zoo.list_models()
    assert set(EXCLUDED) <= set(SMALL_CONFIGS)
    for name, format in UNSUPPORTED:
        assert name in SMALL_CONFIGS
        assert format in FORMATS


def _layer_types(model) -> set[str]:
    """The layer classes a converter meets in ``model``: nested models and the layers a wrapper
    holds (Bidirectional's, an RNN's cell) included; grouped convolutions and normalisations
    count apart (``Conv2D[groups]``), since converters treat them apart (alexnet on ONNX)."""
    types = set()
    for layer in model.layers:
        grouped = getattr(layer, "groups", 1) != 1
        types.add(type(layer).__name__ + ("[groups]" if grouped else ""))
        if isinstance(layer, keras.Model):
            types |= _layer_types(layer)
        for attribute in ("layer", "forward_layer", "backward_layer", "cell"):
            inner = getattr(layer, attribute, None)
            if isinstance(inner, keras.layers.Layer):
                types.add(type(inner).__name__)
    return types


@pytest.mark.parametrize("name", sorted(SAME_LAYERS_AS))
def test_depth_variants_have_their_representatives_layer_types(name):
    representative = SAME_LAYERS_AS[name]
    assert representative not in SAME_LAYERS_AS and representative not in EXCLUDED
    assert _layer_types(small_model(name)) == _layer_types(small_model(representative))


def _exportable(name: str, format: str) -> bool:
    """Whether the parity sweep can check ``name`` in ``format`` (rather than its refusal)."""
    if (name, format) in UNSUPPORTED:
        return False
    return not (format == REFUSED_RECURRENT and name in RECURRENT)


def _swept(format: str) -> list[str]:
    return [n for n in (*SWEEP, *SWEEP_ALSO.get(format, ())) if _exportable(n, format)]


def test_the_sweep_exports_every_layer_type_in_every_format():
    """Every layer type of every model (the depth variants stand behind their representative,
    above) is exported by a swept model in each format where that model can be; and each swept
    model brings a layer type no other swept model has, or is run with the runtimes directly."""
    assert {*SWEEP, *SWEEP_ALSO_MODELS} <= set(SMALL_CONFIGS)
    assert not set(SWEEP) & (set(EXCLUDED) | set(SAME_LAYERS_AS))
    models = {
        name: small_model(name)
        for name in SMALL_CONFIGS
        if name not in EXCLUDED and name not in SAME_LAYERS_AS
    }
    types = {name: _layer_types(model) for name, model in models.items()}
    assert {n for n, m in models.items() if export_module._has_recurrent_layers(m)} == RECURRENT
    for format in TF_FORMATS:
        swept = _swept(format)
        covered = set().union(*(types[n] for n in swept))
        for name in types:
            if _exportable(name, format):
                assert types[name] <= covered, (format, name, types[name] - covered)
        for name in swept:
            others = set().union(*(types[n] for n in swept if n != name))
            assert name in INDEPENDENT or types[name] - others, (format, name, "adds nothing")
    refused = [n for n in SWEEP if n in RECURRENT]
    assert refused, "the sweep checks the openvino refusal of a recurrent model"


@functools.lru_cache(maxsize=1)
def _cached_small_model(name):
    # The parametrization runs a model's three formats one after another: build it once, and
    # free the previous model's traced graphs first (memory grows by hundreds of MB otherwise).
    keras.backend.clear_session()
    gc.collect()
    keras.utils.set_random_seed(0)
    return small_model(name)


def _run_directly(format, path, names, inputs):
    """Run the artifact with its runtime, without zoo's helpers; flat list of outputs."""
    if format == "tf_saved_model":
        loaded = tf.saved_model.load(str(path))
        assert "serve" in loaded.signatures
        outputs = loaded.serve(inputs[0] if len(inputs) == 1 else inputs)
        return [np.asarray(o) for o in tf.nest.flatten(outputs)]
    if format == "openvino":
        import openvino

        core = openvino.Core()
        compiled = core.compile_model(
            core.read_model(str(path / "model.xml")), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
        )
        assert sorted(min(i.get_names()) for i in compiled.inputs) == sorted(names)
        assert all(i.get_partial_shape()[0].is_dynamic for i in compiled.inputs)  # free batch
        by_name = dict(zip(names, inputs, strict=True))
        result = compiled({i: by_name[min(p.get_names())] for i, p in enumerate(compiled.inputs)})
        return [result[o] for o in compiled.outputs]
    if format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert sorted(i.name for i in session.get_inputs()) == sorted(names)
        assert all(isinstance(i.shape[0], str) for i in session.get_inputs())  # dynamic batch
        return session.run(None, dict(zip(names, inputs, strict=True)))
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    for detail in interpreter.get_input_details():
        # Stored as [1, ...]; the signature says which dimensions may be resized.
        assert detail["shape"][0] == 1
        assert detail["shape_signature"][0] in (-1, 1)
    # The signature runner resizes the inputs to the batch and allocates the tensors.
    outputs = interpreter.get_signature_runner()(**dict(zip(names, inputs, strict=True)))
    return [outputs[k] for k in sorted(outputs, key=lambda k: int(k.rsplit("_", 1)[1]))]


def _parity_cases():
    # A model's formats one after another: `_cached_small_model` builds it once for them.
    also = {n: [f for f, names in SWEEP_ALSO.items() if n in names] for n in SWEEP_ALSO_MODELS}
    for name in (*SWEEP, *SWEEP_ALSO_MODELS):
        for format in also.get(name, TF_FORMATS):
            marks = [pytest.mark.slow]
            if (name, format) in UNSUPPORTED:
                marks.append(pytest.mark.skip(reason=UNSUPPORTED[name, format]))
            yield pytest.param(name, format, marks=marks, id=f"{name}-{format}")


@pytest.mark.parametrize(("name", "format"), list(_parity_cases()))
def test_export_parity_for_every_layer_type(name, format, tmp_path):
    model = _cached_small_model(name)
    destination = tmp_path / name
    if format == REFUSED_RECURRENT and export_module._has_recurrent_layers(model):
        with pytest.raises(ValueError, match=r"TensorList.*KERAS_BACKEND=torch") as caught:
            zoo.export(model, destination, format=format)
        assert "\n" not in str(caught.value)
        assert list(tmp_path.iterdir()) == []
        return
    path = zoo.export(model, destination, format=format)  # verify=True: fails above tolerance
    assert path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    if name not in INDEPENDENT:
        return
    rng = np.random.default_rng(7)
    batch = 1 if format == "litert" and export_module._has_recurrent_layers(model) else 3
    inputs = []
    for tensor in model.inputs:
        shape = (batch, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            inputs.append(rng.integers(1, 9, size=shape).astype("int32"))
        else:
            inputs.append(rng.random(shape, dtype=np.float32))
    expected = [
        np.asarray(o) for o in keras.tree.flatten(model(inputs if len(inputs) > 1 else inputs[0]))
    ]
    got = _run_directly(format, path, [t.name for t in model.inputs], inputs)
    assert len(got) == len(expected)
    for e, g in zip(expected, got, strict=True):
        assert g.shape == e.shape
        assert np.max(np.abs(g - e)) <= TOLERANCE[format]


@pytest.mark.parametrize("format", TF_FORMATS)
def test_several_inputs_and_outputs_are_matched_and_all_compared(format, tmp_path, monkeypatch):
    model = two_in_two_out()
    path = zoo.export(model, tmp_path / "out", format=format)
    seen = []
    compare = export_module._compare
    monkeypatch.setattr(export_module, "_compare", lambda *a: seen.append(len(a[2])) or compare(*a))
    export_module.verify_artifact(model, path, format)
    assert seen[-1] == 2  # both outputs compared
    # Swapping the outputs' order in the artifact is caught (the second output differs).
    swapped = keras.Model(model.inputs, model.outputs[::-1])
    with pytest.raises(ExportVerificationError, match="shapes"):
        export_module.verify_artifact(swapped, path, format)


# --- paths and atomicity of the single-file formats ------------------------------------------


def _tiny():
    return zoo.build("softmax_regression", input_shape=(4, 4, 1), num_classes=3)


@pytest.mark.parametrize("format", ["onnx", "litert"])
def test_file_formats_path_semantics(format, tmp_path):
    model = _tiny()
    suffix = export_module.FILE_SUFFIX[format]
    into_dir = zoo.export(model, tmp_path / "dir", format=format)
    assert into_dir == (tmp_path / "dir" / f"model{suffix}").resolve()
    assert sorted(p.name for p in (tmp_path / "dir").iterdir()) == [f"model{suffix}"]
    as_file = zoo.export(model, tmp_path / "nested" / f"tiny{suffix}", format=format)
    assert as_file == (tmp_path / "nested" / f"tiny{suffix}").resolve()
    assert sorted(p.name for p in (tmp_path / "nested").iterdir()) == [f"tiny{suffix}"]
    # Re-exporting into the same directory replaces the artifact.
    assert zoo.export(model, tmp_path / "dir", format=format) == into_dir


@pytest.mark.parametrize("format", ["onnx", "litert"])
def test_file_formats_refuse_other_data(format, tmp_path, monkeypatch):
    model = _tiny()
    monkeypatch.setattr(model, "export", lambda *a, **k: pytest.fail("export was called"))
    suffix = export_module.FILE_SUFFIX[format]
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="non-empty directory"):
        zoo.export(model, tmp_path / "notes", format=format)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(FileExistsError, match="is a file, not a directory"):
        zoo.export(model, tmp_path / "plain", format=format)
    (tmp_path / f"folder{suffix}").mkdir()
    with pytest.raises(FileExistsError, match="not a file"):
        zoo.export(model, tmp_path / f"folder{suffix}", format=format)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"folder{suffix}", "notes", "plain"]
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["keep.txt"]


def _half_writer(record):
    def failing_export(filepath, format=None, **kwargs):
        record.append(filepath)
        with open(filepath, "wb") as handle:
            handle.write(b"half an artifact")
        raise OSError("disk full")

    return failing_export


@pytest.mark.parametrize("format", ["onnx", "litert"])
@pytest.mark.parametrize("as_directory", [True, False], ids=["dir", "file"])
def test_failed_write_leaves_the_old_artifact_or_none(format, as_directory, tmp_path, monkeypatch):
    model = _tiny()
    suffix = export_module.FILE_SUFFIX[format]
    destination = tmp_path / ("out" if as_directory else f"out{suffix}")
    written = []
    monkeypatch.setattr(model, "export", _half_writer(written))
    with pytest.raises(OSError, match="disk full"):
        zoo.export(model, destination, format=format)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a created directory is left
    assert written and written[0].endswith(suffix)

    monkeypatch.undo()
    artifact = zoo.export(model, destination, format=format)
    before = artifact.read_bytes()
    monkeypatch.setattr(model, "export", _half_writer(written))
    with pytest.raises(OSError, match="disk full"):
        zoo.export(model, destination, format=format)
    assert artifact.read_bytes() == before
    assert sorted(p.name for p in artifact.parent.iterdir()) == [artifact.name]


@pytest.mark.parametrize("format", ["onnx", "litert"])
def test_file_format_verification_mismatch_keeps_the_old_artifact(format, tmp_path, monkeypatch):
    model = _tiny()
    artifact = zoo.export(model, tmp_path / "out", format=format)
    before = artifact.read_bytes()
    other = _tiny()
    other(np.zeros((1, 4, 4, 1), "float32"))  # ONNX export needs a model called once
    monkeypatch.setattr(model, "export", other.export)
    with pytest.raises(ExportVerificationError, match="differs from the Keras model"):
        zoo.export(model, tmp_path / "out", format=format)
    assert artifact.read_bytes() == before
    assert sorted(p.name for p in artifact.parent.iterdir()) == [artifact.name]


def test_saved_model_has_the_named_serving_signature(tmp_path):
    model = _tiny()
    path = zoo.export(model, tmp_path / "sm")
    loaded = tf.saved_model.load(str(path))
    assert "serve" in loaded.signatures
    x = np.random.default_rng(2).random((2, 4, 4, 1), dtype=np.float32)
    (output,) = loaded.signatures["serve"](tf.constant(x)).values()
    assert np.max(np.abs(output.numpy() - np.asarray(model(x)))) <= 1e-5


@pytest.mark.parametrize(
    ("format", "package"),
    [
        ("onnx", "onnxruntime"),
        ("onnx", "tf2onnx"),
        ("openvino", "openvino"),
        ("litert", "ai-edge-litert"),
    ],
)
def test_a_missing_converter_or_runtime_names_the_pip_package(format, package, monkeypatch):
    real = importlib.util.find_spec
    module = package.replace("-", "_")
    monkeypatch.setattr(
        export_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == module else real(name, *a),
    )
    with pytest.raises(ImportError, match=f"pip install {package}"):
        zoo.export(_tiny(), "unused", format=format)


def test_unknown_format_names_argument_value_and_choices(tmp_path):
    choices = r"format must be one of .*'litert', 'torch'; got 'tflite'"
    with pytest.raises(ValueError, match=choices):
        zoo.export(_tiny(), tmp_path / "x", format="tflite")
    assert list(tmp_path.iterdir()) == []


# --- OpenVINO: a directory (model.xml + model.bin) replaced whole -----------------------------


def test_openvino_writes_a_directory_and_replaces_it_whole(tmp_path, monkeypatch):
    model = _tiny()
    path = zoo.export(model, tmp_path / "ov", format="openvino")
    assert path == (tmp_path / "ov").resolve()
    assert _entries(path) == [export_module.MANIFEST, "model.bin", "model.xml"]
    before = (path / "model.bin").read_bytes()
    with pytest.raises(ValueError, match=r"writes a directory .* not the \.xml file"):
        zoo.export(model, tmp_path / "model.xml", format="openvino")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(FileExistsError, match=r"zoo\.export did not write"):
        zoo.export(model, tmp_path / "notes", format="openvino")
    written = []
    monkeypatch.setattr(model, "export", _half_writer(written))
    with pytest.raises(OSError, match="disk full"):
        zoo.export(model, tmp_path / "ov", format="openvino")
    assert written and written[0].endswith("model.xml")
    assert (path / "model.bin").read_bytes() == before  # the old artifact, whole
    assert _entries(tmp_path) == ["notes", "ov"]
    monkeypatch.undo()
    other = _tiny()
    assert zoo.export(other, tmp_path / "ov", format="openvino") == path
    assert (path / "model.bin").read_bytes() != before
    assert _entries(tmp_path) == ["notes", "ov"]


# --- permissions: those of a plain model.export under the umask --------------------------------


def _modes(root):
    entries = [root, *root.rglob("*")] if root.is_dir() else [root]
    return {str(p.relative_to(root.parent)): stat.S_IMODE(p.stat().st_mode) for p in entries}


@pytest.mark.parametrize("format", TF_FORMATS)
def test_artifacts_get_the_modes_of_a_plain_export(format, tmp_path, umask_022):
    model = _tiny()
    for _ in range(2):  # a new artifact, then one replacing it
        path = zoo.export(model, tmp_path / "out", format=format)
        modes = _modes(path)
        assert len(modes) >= (1 if path.is_file() else 2)
        for name, mode in modes.items():
            wanted = 0o755 if (tmp_path / name).is_dir() else 0o644
            assert mode == wanted, f"{name}: {oct(mode)}, a plain export gives {oct(wanted)}"
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755
    plain = tmp_path / "plain"
    model.export(str(plain), format="tf_saved_model", verbose=False)
    if format == "tf_saved_model":  # the same modes as Keras' own export, entry by entry
        ours = _modes(tmp_path / "out")
        assert ours.pop(f"out/{export_module.MANIFEST}") == 0o644
        assert {k.replace("plain", "out", 1): v for k, v in _modes(plain).items()} == ours


def test_the_umask_is_read_without_changing_it(umask_022):
    assert export_module._umask() == 0o022
    os.umask(0o027)
    assert export_module._umask() == 0o027
    assert os.umask(0o022) == 0o027  # still what the test set


# --- a warning for random weights ----------------------------------------------------------


def _mlp():
    return zoo.build("mlp", input_shape=(4,), hidden_units=[8], num_classes=3)


def _fitted(model, steps=1):
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 4), dtype=np.float32)
    model.fit(x, np.arange(8) % 3, epochs=1, batch_size=8 // steps, verbose=0)
    return model


def test_exporting_a_freshly_built_model_warns_in_one_line(tmp_path):
    with pytest.warns(UserWarning, match="'mlp' looks freshly built .* random initial weights"):
        zoo.export(_mlp(), tmp_path / "out", format="onnx")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        zoo.export(_mlp(), tmp_path / "out", format="onnx")
    (warning,) = [w for w in seen if "freshly built" in str(w.message)]
    assert "\n" not in str(warning.message)
    assert warning.filename == __file__  # points at the caller of zoo.export


def test_trained_or_loaded_models_do_not_warn(tmp_path):
    trained = _fitted(_mlp())
    assert not export_module.looks_freshly_built(trained)
    trained.save_weights(tmp_path / "mlp.weights.h5")
    loaded = _mlp()
    assert export_module.looks_freshly_built(loaded)
    loaded.load_weights(tmp_path / "mlp.weights.h5")
    assert not export_module.looks_freshly_built(loaded)
    trained.save(tmp_path / "mlp.keras")
    assert not export_module.looks_freshly_built(zoo.load(tmp_path / "mlp.keras"))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        zoo.export(loaded, tmp_path / "out", format="onnx")
    assert not [w for w in seen if "freshly built" in str(w.message)]


def test_fresh_detection_covers_lstm_and_batchnorm_and_needs_constant_weights():
    recurrent = keras.Sequential([keras.Input((3, 2)), keras.layers.LSTM(4), keras.layers.Dense(2)])
    assert export_module.looks_freshly_built(recurrent)  # the forget gate's bias starts at 1
    normalised = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, use_bias=False),
            keras.layers.BatchNormalization(),
        ]
    )
    assert export_module.looks_freshly_built(normalised)
    normalised.layers[-1].moving_mean.assign(np.ones(3, "float32"))  # as after training
    assert not export_module.looks_freshly_built(normalised)
    bare = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, use_bias=False)])
    assert not export_module.looks_freshly_built(bare)  # nothing tells: no warning


# --- formats x backends: the data, the README table, the extras --------------------------------


def test_every_format_and_backend_pair_is_decided():
    assert set(export_module.SUPPORT) == {(f, b) for f in FORMATS for b in export_module.BACKENDS}
    for (format, backend), record in export_module.SUPPORT.items():
        if record.supported:
            assert record.verified_with and (format, backend) in export_module._WRITERS
        else:
            assert "use format=" in record.note and record.extra is None, (format, backend)
    assert set(FORMATS) == set(TOLERANCE) == set(export_module._RUNNERS)


def test_the_readme_table_is_the_support_data():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Export and loading", 1)[1].split("\n## ", 1)[0]
    assert export_module.support_markdown() in section


def _extras() -> dict[str, list[str]]:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    extras = {}
    for name, value in config["options.extras_require"].items():
        extras[re.sub(r"[-_.]+", "-", name)] = [
            re.split(r"[<>=!~;\[ ]", line.strip(), maxsplit=1)[0].lower()
            for line in value.splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    return extras


def test_each_extra_named_in_the_table_installs_what_the_pair_needs():
    extras = _extras()
    for (format, backend), record in export_module.SUPPORT.items():
        if record.extra is None:
            continue
        packages = {package.lower() for _, package in export_module._WRITERS[format, backend]}
        packages |= {package.lower() for _, package in export_module._RUNTIMES[format]}
        assert record.extra in extras, f"setup.cfg has no extra {record.extra!r}"
        installed = set(extras[record.extra]) | {"tensorflow", "onnxruntime", "ai-edge-litert"}
        assert packages <= installed, (format, backend, packages, extras[record.extra])
    assert "openvino" in extras["test"]  # so CI verifies OpenVINO on tensorflow and torch


def test_a_pair_keras_cannot_write_is_refused_in_one_line(tmp_path):
    model = _tiny()
    with pytest.raises(ValueError) as caught:
        zoo.export(model, tmp_path / "out", format="torch")
    message = str(caught.value)
    assert "\n" not in message
    for part in ("format='torch'", "tensorflow backend", "KERAS_BACKEND=torch", "'onnx'"):
        assert part in message
    assert list(tmp_path.iterdir()) == []
