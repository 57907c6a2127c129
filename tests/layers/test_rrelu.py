"""RReLU: random slopes in [lower, upper] while training, (lower + upper) / 2 at inference."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import BACKEND, check_layer, random_inputs, to_numpy
from zoo.layers import RReLU


def test_training_slopes_in_range_and_varied():
    lower, upper = 0.1, 0.3
    x = random_inputs((32, 64), seed=1)
    out = to_numpy(RReLU(lower, upper, seed=3)(x, training=True))
    negative = x < 0
    np.testing.assert_array_equal(out[~negative], x[~negative])  # positive side: identity
    slopes = out[negative] / x[negative]
    assert slopes.min() >= lower - 1e-6
    assert slopes.max() <= upper + 1e-6
    assert len(np.unique(np.round(slopes, 5))) > 100  # one slope per element
    assert abs(slopes.mean() - (lower + upper) / 2) < 0.01  # roughly uniform


@settings(max_examples=20, deadline=None)
@given(
    bounds=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)).map(sorted),
    seed=st.integers(0, 2**16),
)
def test_training_slopes_any_bounds(bounds, seed):
    lower, upper = bounds
    x = -np.abs(random_inputs((4, 8), seed=seed % 97)) - 0.1
    slopes = to_numpy(RReLU(lower, upper, seed=seed)(x, training=True)) / x
    assert np.all(slopes >= lower - 1e-5)
    assert np.all(slopes <= upper + 1e-5)


def test_inference_equals_leaky_relu():
    x = random_inputs((3, 5, 7), seed=2)
    for lower, upper in ((1 / 8, 1 / 3), (0.0, 0.5), (0.2, 0.2)):
        expected = to_numpy(keras.layers.LeakyReLU(negative_slope=(lower + upper) / 2)(x))
        layer = RReLU(lower, upper, seed=0)
        np.testing.assert_allclose(to_numpy(layer(x, training=False)), expected, rtol=1e-6)
        np.testing.assert_allclose(to_numpy(layer(x)), expected, rtol=1e-6)  # default: inference


def test_default_slopes():
    layer = RReLU()
    assert (layer.lower, layer.upper) == (1 / 8, 1 / 3)
    out = to_numpy(layer(np.array([[-1.0, 2.0]], dtype="float32")))
    np.testing.assert_allclose(out, [[-(1 / 8 + 1 / 3) / 2, 2.0]], rtol=1e-6)


def test_same_seed_same_output():
    x = random_inputs((6, 10), seed=4)
    first = to_numpy(RReLU(seed=11)(x, training=True))
    second = to_numpy(RReLU(seed=11)(x, training=True))
    np.testing.assert_array_equal(first, second)
    other = to_numpy(RReLU(seed=12)(x, training=True))
    assert not np.array_equal(first, other)
    layer = RReLU(seed=11)
    assert not np.array_equal(to_numpy(layer(x, training=True)), to_numpy(layer(x, training=True)))


def test_trains_inside_compiled_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8), RReLU(seed=1), keras.layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=BACKEND != "torch")
    history = model.fit(random_inputs((16, 4)), random_inputs((16, 1), seed=1), verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_mixed_precision_training_dtype():
    keras.config.set_dtype_policy("mixed_bfloat16")
    layer = RReLU(seed=1)
    out = layer(random_inputs((2, 3)), training=True)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"


def test_harness(tmp_path):
    check_layer(
        lambda: RReLU(0.05, 0.25, seed=5),
        (2, 4, 3),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=1,
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="lower"):
        RReLU(lower=0.5, upper=0.2)
    with pytest.raises(ValueError, match="lower"):
        RReLU(lower=-0.1)
    with pytest.raises(ValueError, match="upper"):
        RReLU(upper=float("nan"))
    with pytest.raises(ValueError, match="seed"):
        RReLU(seed="abc")
