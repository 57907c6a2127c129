"""zoo.load: .keras files in safe mode, SavedModel directories as inference-only models."""

from __future__ import annotations

import hashlib
import os

import keras
import numpy as np
import pytest

import zoo


def _fingerprint(path):
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return [
        (str(f), hashlib.sha256(f.read_bytes()).hexdigest(), os.stat(f).st_mtime_ns) for f in files
    ]


def test_keras_file_round_trip_with_custom_layers(tmp_path):
    # text_cnn's custom layers are registered in its family module; vgg_a_lrn uses zoo.layers.
    for name, kwargs in [
        ("text_cnn", {"input_shape": (6,), "vocab_size": 20, "embedding_dim": 4, "num_filters": 2}),
        ("vgg_a_lrn", {"input_shape": (32, 32, 3), "num_classes": 3}),
    ]:
        model = zoo.build(name, **kwargs)
        path = tmp_path / f"{name}.keras"
        model.save(path)
        before = _fingerprint(path)
        loaded = zoo.load(path)
        assert _fingerprint(path) == before  # loading does not touch the file
        x = model.inputs[0]
        shape = (2, *x.shape[1:])
        data = (
            np.random.default_rng(0).integers(0, 20, size=shape).astype("int32")
            if "int" in str(x.dtype)
            else np.random.default_rng(0).random(shape, dtype=np.float32)
        )
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(loaded(data)),
            keras.ops.convert_to_numpy(model(data)),
            atol=1e-6,
        )


def _model_with_code(marker):
    # The function writes the marker each time it runs: when the model is rebuilt on loading.
    function = eval(f"lambda x: (open({str(marker)!r}, 'a').write('ran'), x * 2.0)[1]")
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Lambda(function, name="code")(inputs))


def test_a_file_with_code_is_refused_before_any_of_it_runs(tmp_path):
    marker = tmp_path / "marker.txt"
    path = tmp_path / "lambda.keras"
    _model_with_code(marker).save(path)
    marker.unlink(missing_ok=True)  # building the model ran the function once
    before = _fingerprint(path)
    with pytest.raises(ValueError, match="holds code") as refused:
        zoo.load(path)
    message = str(refused.value)
    assert str(path) in message
    assert "safe_mode=False" in message
    assert "--unsafe" in message
    assert not marker.exists()  # nothing of the file's code ran
    assert _fingerprint(path) == before
    # The marker does work: trusting the file runs its code.
    loaded = zoo.load(path, safe_mode=False)
    assert marker.exists()
    np.testing.assert_allclose(np.asarray(loaded(np.ones((1, 3), "float32"))), 2.0)


def test_a_truncated_file_is_not_a_valid_keras_file(tmp_path):
    path = tmp_path / "mlp.keras"
    zoo.build("mlp", input_shape=(4, 4, 1), hidden_units=[4]).save(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated\.keras.* not a valid \.keras file"):
        zoo.load(truncated)
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"not a valid \.keras file"):
        zoo.load(garbage)


def test_missing_paths_and_other_formats(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere\.keras"):
        zoo.load(tmp_path / "nowhere.keras")
    legacy = tmp_path / "model.h5"
    legacy.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"\.keras file or a SavedModel directory.*'\.h5'"):
        zoo.load(legacy)
    (tmp_path / "folder").mkdir()
    with pytest.raises(ValueError, match=r"without saved_model\.pb"):
        zoo.load(tmp_path / "folder")


@pytest.mark.tensorflow_only("a SavedModel is a TensorFlow artifact (TFSMLayer)")
def test_a_saved_model_loads_as_an_inference_only_model(tmp_path):
    model = zoo.build("lenet5", input_shape=(16, 16, 1), num_classes=3)
    path = zoo.export(model, tmp_path / "lenet")
    before = _fingerprint(path)
    with pytest.warns(UserWarning, match="inference-only.*cannot reload a SavedModel"):
        loaded = zoo.load(path, safe_mode=False)
    assert _fingerprint(path) == before
    assert isinstance(loaded, keras.Model)
    assert any(isinstance(layer, keras.layers.TFSMLayer) for layer in loaded.layers)
    x = np.random.default_rng(3).random((4, 16, 16, 1), dtype=np.float32)
    assert np.max(np.abs(np.asarray(loaded(x)) - np.asarray(model(x)))) <= 1e-5
    assert np.max(np.abs(loaded.predict(x, verbose=0) - np.asarray(model(x)))) <= 1e-5


@pytest.mark.tensorflow_only("a SavedModel is a TensorFlow artifact (TFSMLayer)")
def test_a_saved_model_with_two_inputs(tmp_path):
    model = zoo.build(
        "seq2seq",
        input_shape=(6,),
        source_vocab_size=12,
        target_vocab_size=9,
        embedding_dim=4,
        units=4,
        num_layers=1,
        target_length=5,
    )
    path = zoo.export(model, tmp_path / "s2s")
    with pytest.warns(UserWarning, match="inference-only"):
        loaded = zoo.load(path, safe_mode=False)
    assert [t.name for t in loaded.inputs] == ["source", "decoder_input"]
    rng = np.random.default_rng(4)
    x = [rng.integers(1, 9, (2, 6)).astype("int32"), rng.integers(1, 9, (2, 5)).astype("int32")]
    assert np.max(np.abs(np.asarray(loaded(x)) - np.asarray(model(x)))) <= 1e-5


@pytest.mark.tensorflow_only("a SavedModel is a TensorFlow artifact")
def test_safe_mode_refuses_a_saved_model_before_any_of_its_ops_run(tmp_path, monkeypatch):
    """Safe mode refuses a SavedModel without reading it (TensorFlow never loads it, so none
    of its restore ops runs); safe_mode=False is the user's explicit trust, and a truncated
    saved_model.pb then gets one clear error."""
    import tensorflow as tf

    path = zoo.export(
        zoo.build("mlp", input_shape=(4,), num_classes=2, hidden_units=[3]), tmp_path / "served"
    )
    loads = []
    real_load = tf.saved_model.load
    monkeypatch.setattr(
        tf.saved_model, "load", lambda *a, **k: loads.append(a) or real_load(*a, **k)
    )
    with pytest.raises(ValueError, match=r"Refusing to load the SavedModel.*safe_mode=False"):
        zoo.load(path)
    assert loads == []
    (path / "saved_model.pb").write_bytes((path / "saved_model.pb").read_bytes()[:40])
    with pytest.raises(ValueError, match="not a readable SavedModel"):
        zoo.load(path, safe_mode=False)
