"""Maxout and MaxoutDense against independent numpy oracles (TensorFlow Addons convention)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import check_layer, random_inputs, to_numpy
from zoo.layers import Maxout, MaxoutDense


def numpy_maxout(x: np.ndarray, num_units: int, axis: int = -1) -> np.ndarray:
    """The axis read as a k x N matrix flattened row-major; unit u = max over its column u."""
    moved = np.moveaxis(x, axis, -1)
    k = moved.shape[-1] // num_units
    out = moved.reshape(*moved.shape[:-1], k, num_units).max(axis=-2)
    return np.moveaxis(out, -1, axis)


def test_lecture_worked_example():
    # EE599 notes: k = 2, N = 5, the 2 x 5 pre-activation matrix flattened row-major.
    s = np.array([[2.2, -1.4, 9.7, -1.3, 0, -4, -2.1, 3.8, -3, 0.2]], dtype="float32")
    out = to_numpy(Maxout(5)(s))
    np.testing.assert_allclose(out, [[2.2, -1.4, 9.7, -1.3, 0.2]], rtol=1e-6)


def test_unit_u_takes_channels_u_plus_multiples_of_n():
    x = np.zeros((1, 12), dtype="float32")
    x[0, 1 + 2 * 4] = 7.0  # channel u + 2N for u = 1, N = 4
    out = to_numpy(Maxout(4)(x))
    np.testing.assert_array_equal(out, [[0, 7, 0, 0]])


def test_conv_feature_maps_match_numpy():
    x = random_inputs((2, 5, 6, 12), seed=1)
    np.testing.assert_allclose(to_numpy(Maxout(4)(x)), numpy_maxout(x, 4), rtol=1e-6)


def test_non_last_axis_matches_numpy():
    x = random_inputs((2, 6, 6, 3), seed=2)
    for axis in (1, 2, -3):
        out = to_numpy(Maxout(3, axis=axis)(x))
        np.testing.assert_allclose(out, numpy_maxout(x, 3, axis), rtol=1e-6)
        assert out.shape == Maxout(3, axis=axis).compute_output_shape(x.shape)


@settings(max_examples=20, deadline=None)
@given(
    lead=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    num_units=st.integers(1, 4),
    pieces=st.integers(1, 4),
    data=st.data(),
)
def test_random_shapes_match_numpy(lead, num_units, pieces, data):
    shape = (*lead, num_units * pieces)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape = list(shape)
    shape[axis], shape[-1] = shape[-1], shape[axis]
    if shape[axis] % num_units:
        shape[axis] = num_units * pieces
    x = random_inputs(tuple(shape), seed=3)
    layer = Maxout(num_units, axis=axis)
    out = to_numpy(layer(x))
    np.testing.assert_allclose(out, numpy_maxout(x, num_units, axis), rtol=1e-6)
    assert out.shape == tuple(layer.compute_output_shape(tuple(shape)))


def test_static_shape_with_unknown_batch_and_spatial_dims():
    inputs = keras.Input(shape=(None, None, 12))
    hidden = Maxout(4)(inputs)
    assert tuple(hidden.shape) == (None, None, None, 4)
    assert Maxout(4).compute_output_shape((None, None, None, 12)) == (None, None, None, 4)
    # A following Conv2D needs the static channel count; two spatial sizes run through one model.
    model = keras.Model(inputs, keras.layers.Conv2D(3, 1)(hidden))
    for size in (5, 7):
        out = model.predict(random_inputs((2, size, size, 12)), verbose=0)
        assert out.shape == (2, size, size, 3)
    axis_one = Maxout(2, axis=1)(keras.Input(shape=(6, None)))
    assert tuple(axis_one.shape) == (None, 2, None)


@pytest.mark.tensorflow_only("static shapes inside a tf.function graph")
def test_static_shape_inside_tf_function():
    import tensorflow as tf

    layer = Maxout(4)

    @tf.function(input_signature=[tf.TensorSpec([None, None, None, 12], tf.float32)])
    def run(x):
        out = layer(x)
        assert out.shape.as_list() == [None, None, None, 4]
        return out

    assert run(random_inputs((1, 3, 3, 12))).shape == (1, 3, 3, 4)


def test_harness_last_axis(tmp_path):
    check_layer(
        lambda: Maxout(4),
        (2, 3, 3, 12),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_harness_non_last_axis(tmp_path):
    check_layer(
        lambda: Maxout(2, axis=1),
        (2, 6, 5),
        tmp_path,
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_units"):
        Maxout(0)
    with pytest.raises(ValueError, match="num_units"):
        Maxout(2.5)
    with pytest.raises(ValueError, match="axis"):
        Maxout(2, axis="last")
    with pytest.raises(ValueError, match=r"num_units \(5\).*\(12\)"):
        Maxout(5)(np.zeros((1, 12), dtype="float32"))
    with pytest.raises(ValueError, match=r"num_units \(5\).*\(12\)"):
        Maxout(5).compute_output_shape((None, 12))
    with pytest.raises(ValueError, match="axis"):
        Maxout(2, axis=3)(np.zeros((1, 4), dtype="float32"))
    with pytest.raises(ValueError, match="None"):
        Maxout(2)(keras.Input(shape=(None,)))


# ---------------------------------------------------------------------------- MaxoutDense


@pytest.mark.parametrize(("use_bias", "num_pieces"), [(True, 3), (False, 2)])
def test_maxout_dense_equals_dense_then_max(use_bias, num_pieces):
    units, dim = 5, 7
    x = random_inputs((4, dim), seed=4)
    layer = MaxoutDense(units, num_pieces=num_pieces, use_bias=use_bias, bias_initializer="normal")
    out = to_numpy(layer(x))
    dense = keras.layers.Dense(units * num_pieces, use_bias=use_bias)
    dense.build((None, dim))
    dense.set_weights(layer.get_weights())
    expected = numpy_maxout(to_numpy(dense(x)), units)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # and by hand: z = x W + b, unit u = max_j z[j * N + u]
    weights = layer.get_weights()
    z = x @ weights[0] + (weights[1] if use_bias else 0.0)
    by_hand = np.stack([z[:, j * units : (j + 1) * units] for j in range(num_pieces)]).max(0)
    np.testing.assert_allclose(out, by_hand, rtol=1e-5, atol=1e-5)


def test_maxout_dense_parameter_count_and_rank3():
    layer = MaxoutDense(6, num_pieces=3)
    out = layer(random_inputs((2, 4, 10)))
    assert tuple(out.shape) == (2, 4, 6)
    assert layer.count_params() == (10 + 1) * 6 * 3
    no_bias = MaxoutDense(6, num_pieces=3, use_bias=False)
    no_bias.build((None, 10))
    assert no_bias.count_params() == 10 * 6 * 3


def test_maxout_dense_harness(tmp_path):
    check_layer(
        lambda: MaxoutDense(4, num_pieces=3, kernel_regularizer="l2", bias_initializer="ones"),
        (3, 6),
        tmp_path,
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_maxout_dense_bad_arguments():
    with pytest.raises(ValueError, match="units"):
        MaxoutDense(0)
    with pytest.raises(ValueError, match="num_pieces"):
        MaxoutDense(4, num_pieces=1)
    with pytest.raises(ValueError, match="None"):
        MaxoutDense(4)(keras.Input(shape=(None,)))
