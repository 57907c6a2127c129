"""LocalResponseNormalization against a numpy loop over the AlexNet formula (and TF's own op)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import check_layer, gradients, random_inputs, to_numpy
from zoo.layers import LocalResponseNormalization


def numpy_lrn(a, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75):
    """b_c = a_c / (bias + alpha * sum_{j=max(0, c-r)}^{min(C-1, c+r)} a_j^2) ** beta."""
    a = np.asarray(a, dtype="float64")
    channels = a.shape[-1]
    out = np.empty_like(a)
    for c in range(channels):
        low, high = max(0, c - depth_radius), min(channels - 1, c + depth_radius)
        total = np.sum(a[..., low : high + 1] ** 2, axis=-1)
        out[..., c] = a[..., c] / (bias + alpha * total) ** beta
    return out


PARAMS = [
    {},  # AlexNet: r=2, k=2, alpha=1e-4, beta=0.75
    {"depth_radius": 0, "bias": 1.0, "alpha": 0.5, "beta": 0.5},
    {"depth_radius": 1, "bias": 0.5, "alpha": 0.3, "beta": 1.0},
    {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5},  # window wider than C=7
    {"depth_radius": 12, "bias": 1.0, "alpha": 0.2, "beta": 0.75},  # cumulative-sum path
]


def test_matches_numpy_formula():
    for params in PARAMS:
        x = 3.0 * random_inputs((2, 4, 5, 7), seed=1)
        if not params:
            x = 30.0 * x  # so that alpha=1e-4 matters
        out = to_numpy(LocalResponseNormalization(**params)(x))
        expected = numpy_lrn(x, **params)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6, err_msg=str(params))


@settings(max_examples=12, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    channels=st.integers(1, 40),
    depth_radius=st.integers(0, 20),
    bias=st.floats(0.5, 3.0),
    alpha=st.floats(0.0, 1.0),
    beta=st.floats(0.0, 1.5),
)
def test_random_shapes_and_params(shape, channels, depth_radius, bias, alpha, beta):
    x = 2.0 * random_inputs((*shape, channels), seed=channels)
    params = {"depth_radius": depth_radius, "bias": bias, "alpha": alpha, "beta": beta}
    out = to_numpy(LocalResponseNormalization(**params)(x))
    np.testing.assert_allclose(out, numpy_lrn(x, **params), rtol=1e-5, atol=1e-6)


@pytest.mark.tensorflow_only("the reference is tf.nn.local_response_normalization")
def test_matches_tf_local_response_normalization():
    import tensorflow as tf

    x = 3.0 * random_inputs((2, 4, 5, 7), seed=2)
    for params in PARAMS:
        full = {"depth_radius": 2, "bias": 2.0, "alpha": 1e-4, "beta": 0.75, **params}
        expected = tf.nn.local_response_normalization(x, **full).numpy()
        out = to_numpy(LocalResponseNormalization(**params)(x))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6, err_msg=str(params))


def test_unknown_dims_and_rank():
    layer = LocalResponseNormalization()
    assert tuple(layer(keras.Input(shape=(None, None, 8))).shape) == (None, None, None, 8)
    x = random_inputs((3, 6), seed=3)
    np.testing.assert_allclose(
        to_numpy(LocalResponseNormalization(1, 1.0, 0.5, 0.5)(x)),
        numpy_lrn(x, 1, 1.0, 0.5, 0.5),
        rtol=1e-5,
    )


def test_input_gradient_is_finite():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(6), LocalResponseNormalization(alpha=0.1)]
    )
    grads = gradients(model, random_inputs((4, 3)))
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads)


def test_harness(tmp_path):
    check_layer(
        lambda: LocalResponseNormalization(alpha=0.1),
        (2, 4, 4, 7),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )
    check_layer(
        lambda: LocalResponseNormalization(depth_radius=10, alpha=0.1),
        (2, 5, 3),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_bad_arguments():
    for kwargs in (
        {"depth_radius": -1},
        {"depth_radius": 1.5},
        {"bias": -1.0},
        {"alpha": -0.1},
        {"beta": float("inf")},
    ):
        (name,) = kwargs
        with pytest.raises(ValueError, match=name):
            LocalResponseNormalization(**kwargs)
