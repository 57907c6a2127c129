"""zoo.export: verified SavedModels, written atomically."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.export import ExportVerificationError


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
    with pytest.raises(FileExistsError, match="not a SavedModel"):
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
