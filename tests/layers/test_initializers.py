"""`zoo.layers.initializers`: seed 001's Gaussian, Xavier and He (MSRA) as Keras initializers.

Each draws a large sample and checks the sample standard deviation against the formula within
three standard errors (the standard error of a sample std of n draws is about std sqrt(k / n),
k = (kurtosis - 1) / 4: 1/2 for a normal, 1/5 for a uniform), and the config round trip.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from zoo.layers import initializers

SHAPE = (500, 400)  # a Dense kernel: n_in = 500, n_out = 400
CONV = (5, 5, 20, 400)  # a Conv2D kernel: n_in = 5 * 5 * 20 = 500
N_IN = 500


def _std(initializer, shape=SHAPE):
    values = keras.ops.convert_to_numpy(initializer(shape, dtype="float32")).astype(np.float64)
    assert abs(values.mean()) < 4 * values.std() / math.sqrt(values.size)
    return values.std(), values


def _three_sigma(sample, expected, size, uniform=False):
    error = expected * math.sqrt((0.2 if uniform else 0.5) / size)
    assert abs(sample - expected) < 3 * error, (sample, expected, error)


@pytest.mark.parametrize(
    ("initializer", "expected"),
    [
        (initializers.Gaussian(seed=0), 0.01),
        (initializers.Gaussian(stddev=0.2, seed=0), 0.2),
        (initializers.Xavier(seed=0), 1 / math.sqrt(N_IN)),
        (initializers.He(seed=0), math.sqrt(2 / N_IN)),
    ],
    ids=["gaussian", "gaussian_0.2", "xavier", "he"],
)
@pytest.mark.parametrize("shape", [SHAPE, CONV], ids=["dense", "conv"])
def test_normal_initializers_have_the_notes_std(initializer, expected, shape):
    std, values = _std(initializer, shape)
    _three_sigma(std, expected, values.size)
    # Untruncated Gaussians (the notes' "Gaussian"): about 0.27% of draws beyond 3 std,
    # where Keras' truncated normal (he_normal, lecun_normal) has none beyond 2 std.
    beyond = float(np.mean(np.abs(values) > 3 * expected))
    assert 0.0015 < beyond < 0.004


@pytest.mark.parametrize(
    ("initializer", "expected"),
    [
        (initializers.Xavier(distribution="uniform", seed=0), 1 / math.sqrt(N_IN)),
        (initializers.He(distribution="uniform", seed=0), math.sqrt(2 / N_IN)),
    ],
    ids=["xavier", "he"],
)
def test_uniform_variants_have_the_same_std(initializer, expected):
    std, values = _std(initializer)
    _three_sigma(std, expected, values.size, uniform=True)
    assert np.abs(values).max() <= math.sqrt(3) * expected


def test_the_notes_initializers_are_configured_keras_ones():
    xavier, he = initializers.Xavier(), initializers.He()
    assert isinstance(xavier, keras.initializers.VarianceScaling)
    assert (xavier.scale, xavier.mode, xavier.distribution) == (
        1.0,
        "fan_in",
        "untruncated_normal",
    )
    assert (he.scale, he.mode, he.distribution) == (2.0, "fan_in", "untruncated_normal")
    assert isinstance(initializers.Gaussian(), keras.initializers.RandomNormal)
    assert initializers.Gaussian().stddev == 0.01 and initializers.Gaussian().mean == 0.0


@pytest.mark.parametrize(
    "initializer",
    [
        initializers.Gaussian(stddev=0.03, seed=3),
        initializers.Xavier(distribution="uniform", seed=4),
        initializers.He(seed=5),
    ],
    ids=["gaussian", "xavier", "he"],
)
def test_config_round_trip_and_saving(initializer, tmp_path):
    config = keras.initializers.serialize(initializer)
    assert config["registered_name"] == f"lecture_zoo>{type(initializer).__name__}"
    restored = keras.initializers.deserialize(config)
    assert type(restored) is type(initializer)
    assert restored.get_config() == initializer.get_config()
    again = type(initializer).from_config(initializer.get_config())
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(restored((30, 20))), keras.ops.convert_to_numpy(again((30, 20)))
    )
    dense = keras.layers.Dense(3, kernel_initializer=initializer)
    model = keras.Sequential([keras.Input((6,)), dense])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[0].kernel_initializer) is type(initializer)
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_get_by_lecture_and_keras_names():
    assert isinstance(initializers.get("gaussian"), initializers.Gaussian)
    assert isinstance(initializers.get("normal"), initializers.Gaussian)
    assert isinstance(initializers.get("Xavier"), initializers.Xavier)
    assert isinstance(initializers.get("he"), initializers.He)
    assert isinstance(initializers.get("msra"), initializers.He)
    assert initializers.get("xavier", distribution="uniform").distribution == "uniform"
    assert isinstance(initializers.get("glorot_uniform"), keras.initializers.GlorotUniform)
    assert isinstance(initializers.get("he_normal"), keras.initializers.HeNormal)
    he = initializers.He()
    assert initializers.get(he) is he
    # The registered names resolve through Keras itself (a layer's kernel_initializer string).
    assert isinstance(keras.initializers.get("lecture_zoo>He"), initializers.He)
    dense = keras.layers.Dense(2, kernel_initializer="lecture_zoo>Gaussian")
    assert isinstance(dense.kernel_initializer, initializers.Gaussian)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda: initializers.get("kaiming"), "initializer must be a lecture name"),
        (lambda: initializers.get("glorot_uniform", seed=1), "apply to the lecture names"),
        (lambda: initializers.Xavier(distribution="truncated"), "distribution must be one of"),
        (lambda: initializers.Gaussian(stddev=0.0), r"stddev must be in \(0.0, inf\]"),
    ],
)
def test_bad_arguments(call, phrase):
    with pytest.raises(ValueError, match=phrase):
        call()


def test_the_builders_use_keras_glorot_uniform():
    """What the module docstring says: zoo.build leaves Keras' default initializer."""
    import zoo

    model = zoo.build("mlp", input_shape=(8, 8, 1))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert dense and all(
        isinstance(layer.kernel_initializer, keras.initializers.GlorotUniform) for layer in dense
    )
    lenet = zoo.build("lenet5")
    convs = [layer for layer in lenet.layers if isinstance(layer, keras.layers.Conv2D)]
    assert convs and all(
        isinstance(layer.kernel_initializer, keras.initializers.GlorotUniform) for layer in convs
    )
