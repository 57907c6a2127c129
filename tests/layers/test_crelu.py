"""CReLU: concat(relu(x), relu(-x)) along an axis, checked against numpy."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import check_layer, gradients, random_inputs, to_numpy
from zoo.layers import CReLU


def numpy_crelu(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=axis)


def test_values_and_doubled_channels():
    x = np.array([[1.0, -2.0, 0.0, 3.5]], dtype="float32")
    out = to_numpy(CReLU()(x))
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0, 3.5, 0.0, 2.0, 0.0, 0.0]])


def test_conv_feature_maps():
    x = random_inputs((2, 4, 5, 3), seed=1)
    out = to_numpy(CReLU()(x))
    assert out.shape == (2, 4, 5, 6)
    np.testing.assert_array_equal(out, numpy_crelu(x))


def test_non_last_axis():
    x = random_inputs((2, 3, 4), seed=2)
    for axis in (0, 1, -2):
        layer = CReLU(axis=axis)
        out = to_numpy(layer(x))
        np.testing.assert_array_equal(out, numpy_crelu(x, axis))
        assert out.shape == layer.compute_output_shape(x.shape)


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_random_shapes(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = random_inputs(tuple(shape), seed=3)
    layer = CReLU(axis=axis)
    out = to_numpy(layer(x))
    np.testing.assert_array_equal(out, numpy_crelu(x, axis))
    assert out.shape == tuple(layer.compute_output_shape(tuple(shape)))


def test_unknown_dims():
    out = CReLU()(keras.Input(shape=(None, None, 3)))
    assert tuple(out.shape) == (None, None, None, 6)
    assert CReLU(axis=1).compute_output_shape((None, None, 3)) == (None, None, 3)


def test_harness(tmp_path):
    for factory, shape in ((CReLU, (2, 3, 3, 4)), (lambda: CReLU(axis=1), (2, 3, 4))):
        check_layer(
            factory,
            shape,
            tmp_path,
            expected_num_trainable_weights=0,
            expected_num_non_trainable_weights=0,
            expected_num_seed_generators=0,
        )


def test_gradient_flows_to_both_phases():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), CReLU()])
    grads = gradients(model, random_inputs((5, 3), seed=4))
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads)


def test_bad_arguments():
    with pytest.raises(ValueError, match="axis"):
        CReLU(axis=1.5)
    with pytest.raises(ValueError, match="axis"):
        CReLU(axis=2)(np.zeros((1, 3), dtype="float32"))
