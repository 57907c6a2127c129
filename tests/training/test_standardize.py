"""`zoo.training.data.standardize`: per-feature z-score and min-max standardisation (seed 003,
"Normalization": X[:, i] = (X[:, i] - mu_i) / sigma_i and (X[:, i] - m_i) / (M_i - m_i)), fitted
on the training split only, against NumPy references in float64."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.training import data


def _table(n=103, d=4, seed=0):
    """An (n, d) table whose columns have very different locations and spreads."""
    rng = np.random.default_rng(seed)
    return rng.normal([5.0, -3.0, 0.0, 100.0], [0.1, 2.0, 1.0, 30.0], (n, d))


def _batches(features, labels=None, batch_size=16):
    """A tf.data set of batches (the last one smaller), with labels or without."""
    elements = features if labels is None else (features, labels)
    return tf.data.Dataset.from_tensor_slices(elements).batch(batch_size)


def _inputs(dataset) -> np.ndarray:
    return np.concatenate([element[0] for element in dataset.as_numpy_iterator()])


def test_zscore_statistics_are_numpys_and_standardise_each_feature():
    x = _table()
    scaler = data.standardize(_batches(x, np.zeros(len(x))), "zscore")
    assert scaler.method == "zscore" and scaler.axis == (1,) and scaler.count == len(x)
    np.testing.assert_allclose(scaler.statistics["mean"], x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scaler.statistics["std"], x.std(axis=0), rtol=1e-12)  # ddof 0
    z = _inputs(scaler.apply(_batches(x.astype("float32"), np.zeros(len(x)))))
    np.testing.assert_allclose(z, (x - x.mean(axis=0)) / x.std(axis=0), atol=2e-5)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-5)


def test_minmax_statistics_map_the_training_split_onto_zero_one():
    x = _table()
    scaler = data.standardize(_batches(x), "minmax")  # input batches without labels
    np.testing.assert_array_equal(scaler.statistics["min"], x.min(axis=0))
    np.testing.assert_array_equal(scaler.statistics["max"], x.max(axis=0))
    z = np.concatenate(list(scaler.apply(_batches(x)).as_numpy_iterator()))
    reference = (x - x.min(axis=0)) / (x.max(axis=0) - x.min(axis=0))
    np.testing.assert_allclose(z, reference, rtol=1e-12)
    assert z.min() == 0.0 and z.max() == 1.0
    np.testing.assert_array_equal(z.min(axis=0), 0.0)
    np.testing.assert_allclose(z.max(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("method", data.STANDARDIZE_METHODS)
def test_other_splits_get_the_training_splits_statistics(method):
    train, test = _table(seed=1), _table(n=40, seed=2) * 1.5 + 2.0
    scaler = data.standardize(train, method)  # a NumPy array is a training set too
    if method == "zscore":
        reference = (test - train.mean(axis=0)) / train.std(axis=0)
    else:
        reference = (test - train.min(axis=0)) / (train.max(axis=0) - train.min(axis=0))
    np.testing.assert_allclose(scaler.apply(test), reference, rtol=1e-12)
    np.testing.assert_allclose(_inputs(scaler.apply(_batches(test, test[:, 0]))), reference)
    # Not the test split's own statistics: it is not standardised to mean 0 / range [0, 1].
    assert np.abs(scaler.apply(test).mean(axis=0)).max() > 0.1


@pytest.mark.parametrize(
    ("axis", "kept"),
    [(-1, (3,)), (3, (3,)), ((1, 2, 3), (1, 2, 3)), ((-2, -1), (2, 3)), (None, ())],
)
def test_axis_follows_keras_normalization(axis, kept):
    rng = np.random.default_rng(3)
    images = rng.random((30, 4, 5, 3)) * [1.0, 10.0, 100.0]
    reduced = tuple(a for a in range(4) if a not in kept)
    for method in data.STANDARDIZE_METHODS:
        scaler = data.standardize(_batches(images, np.arange(30)), method, axis=axis)
        assert scaler.axis == kept
        if method == "zscore":
            offset = images.mean(axis=reduced, keepdims=True)
            spread = images.std(axis=reduced, keepdims=True)
        else:
            offset = images.min(axis=reduced, keepdims=True)
            spread = images.max(axis=reduced, keepdims=True) - offset
        np.testing.assert_allclose(scaler.offset, offset.reshape(scaler.offset.shape), rtol=1e-12)
        np.testing.assert_allclose(scaler.scale, spread.reshape(scaler.scale.shape), rtol=1e-12)
        np.testing.assert_allclose(scaler.apply(images), (images - offset) / spread, rtol=1e-10)
        layer = scaler.layer()  # the same statistics inside keras.layers.Normalization
        np.testing.assert_allclose(
            np.asarray(layer(images.astype("float32"))), (images - offset) / spread, atol=2e-5
        )


def test_zscore_equals_keras_normalization_adapt():
    x = _table().astype("float32")
    scaler = data.standardize(_batches(x), "zscore")
    adapted = keras.layers.Normalization(axis=-1)
    adapted.adapt(x)
    np.testing.assert_allclose(scaler.offset, np.ravel(adapted.mean), rtol=1e-6)
    np.testing.assert_allclose(np.square(scaler.scale), np.ravel(adapted.variance), rtol=1e-5)


@pytest.mark.parametrize("method", data.STANDARDIZE_METHODS)
def test_layer_puts_the_same_map_inside_a_saved_model(method, tmp_path):
    x = _table().astype("float32")
    scaler = data.standardize(x, method)
    model = keras.Sequential([keras.Input((4,)), scaler.layer(name="standardize")])
    assert isinstance(model.layers[0], keras.layers.Normalization)
    np.testing.assert_allclose(np.asarray(model(x)), scaler.apply(x), rtol=1e-5, atol=1e-5)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)  # safe mode: no Lambda, plain Keras layers
    np.testing.assert_allclose(np.asarray(restored(x)), np.asarray(model(x)), rtol=1e-6)
    inverse = scaler.layer(invert=True)
    np.testing.assert_allclose(np.asarray(inverse(scaler.apply(x))), x, rtol=1e-4, atol=1e-3)


def test_a_constant_feature_gets_scale_one():
    x = _table()
    x[:, 2] = 7.0  # e.g. the digits' always-blank border pixels
    for method in data.STANDARDIZE_METHODS:
        scaler = data.standardize(x, method)
        assert scaler.scale[2] == 1.0
        z = scaler.apply(np.array([[5.0, -3.0, 9.0, 100.0]]))
        assert z[0, 2] == pytest.approx(2.0)  # x - offset, not (x - offset) / 1e-7
        assert np.all(np.isfinite(scaler.apply(x)))


def test_loaded_data_keeps_its_epoch_pass_and_each_pass_is_standardised():
    train = data.load("digits", "train", batch_size=256, seed=0, image_size=8)
    scaler = data.standardize(train, "zscore", axis=(1, 2, 3))  # per pixel
    x_train, _, x_test, _ = data.digits_arrays(8)
    x_train = x_train.astype(np.float64)
    np.testing.assert_allclose(scaler.offset, x_train.mean(axis=0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scaler.statistics["std"], x_train.std(axis=0), atol=1e-10)
    assert int((scaler.statistics["std"] == 0).sum()) == 4  # blank in every training digit

    standardised = scaler.apply(train)
    assert callable(getattr(standardised, data.EPOCH_PASS))
    for epoch in (0, 1):
        ours = list(getattr(standardised, data.EPOCH_PASS)(epoch).as_numpy_iterator())
        plain = list(getattr(train, data.EPOCH_PASS)(epoch).as_numpy_iterator())
        for (z, y), (x, label) in zip(ours, plain, strict=True):
            np.testing.assert_allclose(z, scaler.apply(x), rtol=1e-5, atol=1e-5)
            np.testing.assert_array_equal(y, label)
    stream = data.epoch_stream(standardised, first_epoch=1)
    first = next(iter(stream))[0].numpy()
    np.testing.assert_allclose(first, ours[0][0], rtol=1e-6)  # pass 1 again: exact resume

    test = scaler.apply(data.load("digits", "test", shuffle=False, image_size=8))
    reference = (x_test - x_train.mean(axis=0)) / np.where(
        x_train.std(axis=0) > 0, x_train.std(axis=0), 1.0
    )
    np.testing.assert_allclose(_inputs(test), reference, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("train", "kwargs", "phrase"),
    [
        (np.ones((4, 3)), {"method": "z-score"}, r"method must be one of .*Did you mean 'zscore'"),
        (np.ones((4, 3)), {"axis": 0}, r"axis 0 must name feature axes .* 1 to 1"),
        (np.ones((4, 3)), {"axis": 2}, r"axis 2 must name feature axes"),
        (np.ones((4, 3)), {"axis": "last"}, r"axis must be an int, a tuple of ints or None"),
        (np.ones((0, 3)), {}, r"standardize needs data: the array is empty"),
        (np.array([[1.0, np.nan]]), {}, "NaN or infinite inputs"),
        (np.array(["a", "b"]), {}, "numeric array of inputs"),
        (_batches(np.ones((0, 3))), {}, "the training set is empty"),
        (tf.data.Dataset.from_tensors(np.ones((2, 3))).repeat(), {}, "a finite training set"),
        (
            tf.data.Dataset.from_tensors(({"a": np.ones((2, 3))}, np.ones(2))),
            {},
            "one input tensor per batch",
        ),
    ],
)
def test_bad_arguments_and_data_raise_value_errors(train, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        data.standardize(train, **kwargs)


def test_applying_to_inputs_of_another_shape_is_refused():
    scaler = data.standardize(_table(), "minmax")
    with pytest.raises(ValueError, match=r"4 features along axis 1"):
        scaler.apply(_batches(np.ones((8, 5)), np.ones(8)))
    with pytest.raises(ValueError, match=r"rank 1"):
        scaler.apply(np.ones(4))
