"""The lecture activation table: values from its formulas, derivatives vs finite differences."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.helpers.layer_checks import to_numpy
from zoo.layers import activations

# Each activation as the table writes it (numpy, float64), with its kinks.
TABLE = {
    "heaviside": (lambda z: np.where(z < 0, 0.0, np.where(z == 0, 0.5, 1.0)), (0.0,)),
    "sign": (lambda z: np.where(z < 0, -1.0, np.where(z == 0, 0.0, 1.0)), (0.0,)),
    "linear": (lambda z: z, ()),
    "piecewise_linear": (
        lambda z: np.where(z >= 0.5, 1.0, np.where(z > -0.5, z + 0.5, 0.0)),
        (-0.5, 0.5),
    ),
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), ()),
    "tanh": (lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)), ()),
    "relu": (lambda z: np.maximum(0.0, z), (0.0,)),
    "softplus": (lambda z: np.log1p(np.exp(z)), ()),
    "leaky_relu": (lambda z: np.where(z >= 0, z, 0.01 * z), (0.0,)),  # LEAKY_RELU_SLOPE
    "elu": (lambda z: np.where(z >= 0, z, np.exp(z) - 1.0), (0.0,)),
}
POINTS = np.array([-4.0, -1.3, -0.7, -0.2, 0.1, 0.3, 0.8, 2.5, 6.0])
# float64 where the backend keeps it (JAX without x64 computes in float32).
DOUBLE = keras.backend.standardize_dtype(activations.linear(POINTS).dtype) == "float64"
STEP = 1e-3 if DOUBLE else 1e-2
RTOL = 1e-9 if DOUBLE else 1e-3
EXACT = 1e-12 if DOUBLE else 1e-6


def central_difference(function, x):
    """Five-point central difference (error O(STEP^4)) on the backend's function."""
    f = lambda t: to_numpy(function(t)).astype("float64")  # noqa: E731
    return (f(x - 2 * STEP) - 8 * f(x - STEP) + 8 * f(x + STEP) - f(x + 2 * STEP)) / (12 * STEP)


def test_the_table_is_complete():
    assert activations.names() == list(TABLE)


def test_functions_match_table():
    x = np.concatenate([POINTS, [0.0, -0.5, 0.5]])
    for name, (oracle, _) in TABLE.items():
        out = to_numpy(activations.get(name)(x))
        np.testing.assert_allclose(out, oracle(x), rtol=EXACT, atol=EXACT, err_msg=name)
        assert activations.get(name) is getattr(activations, name)


def test_derivatives_match_central_differences():
    for name in TABLE:
        function, derivative = activations.get(name), activations.derivative(name)
        assert derivative is getattr(activations, f"{name}_derivative")
        numerical = central_difference(function, POINTS)
        analytic = to_numpy(derivative(POINTS))
        np.testing.assert_allclose(analytic, numerical, rtol=RTOL, atol=RTOL, err_msg=name)


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(list(TABLE)), x=st.floats(-8.0, 8.0))
def test_derivative_random_points(name, x):
    assume(all(abs(x - kink) > 3 * STEP for kink in TABLE[name][1]))
    point = np.array([x])
    numerical = central_difference(activations.get(name), point)
    analytic = to_numpy(activations.derivative(name)(point))
    np.testing.assert_allclose(analytic, numerical, rtol=RTOL, atol=RTOL)
    value = to_numpy(activations.get(name)(point))
    np.testing.assert_allclose(value, TABLE[name][0](point), rtol=EXACT, atol=EXACT)


def test_values_at_zero():
    zero = np.array([0.0])
    assert to_numpy(activations.heaviside(zero))[0] == 0.5
    assert to_numpy(activations.sign(zero))[0] == 0.0
    assert to_numpy(activations.piecewise_linear(zero))[0] == 0.5
    assert to_numpy(activations.sigmoid_derivative(zero))[0] == 0.25
    assert to_numpy(activations.relu_derivative(zero))[0] == 0.0


def test_parameters_of_leaky_relu_and_elu():
    x = np.array([-2.0, -0.5, 1.5])
    np.testing.assert_allclose(to_numpy(activations.leaky_relu(x, 0.01)), [-0.02, -0.005, 1.5])
    np.testing.assert_allclose(
        to_numpy(activations.leaky_relu_derivative(x, 0.01)), [0.01, 0.01, 1]
    )
    np.testing.assert_allclose(
        to_numpy(activations.elu(x, alpha=2.0)), [2 * np.expm1(-2), 2 * np.expm1(-0.5), 1.5]
    )
    np.testing.assert_allclose(
        to_numpy(activations.elu_derivative(x, alpha=2.0)), [2 * np.exp(-2), 2 * np.exp(-0.5), 1]
    )


def test_agrees_with_keras_activations():
    x = np.linspace(-5, 5, 41).astype("float32")
    for name in ("sigmoid", "tanh", "relu", "softplus", "leaky_relu", "elu"):
        if name == "leaky_relu":  # the package's slope 0.01, not Keras' default 0.2
            expected = to_numpy(keras.activations.leaky_relu(x, activations.LEAKY_RELU_SLOPE))
        else:
            expected = to_numpy(keras.activations.get(name)(x))
        out = to_numpy(activations.get(name)(x))
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_dtypes():
    assert keras.backend.standardize_dtype(activations.relu([1, -2]).dtype) == "float32"
    half = keras.ops.convert_to_tensor(np.array([0.5, -1.0]), dtype="float16")
    for name in TABLE:
        for function in (activations.get(name), activations.derivative(name)):
            assert keras.backend.standardize_dtype(function(half).dtype) == "float16", name


def test_lookup_by_function_and_unknown_names():
    assert activations.derivative(activations.tanh) is activations.tanh_derivative
    assert activations.derivative("ReLU") is activations.relu_derivative
    for bad in ("softmax", "swish", None, np.sin):
        with pytest.raises(ValueError, match="activation"):
            activations.derivative(bad)
    with pytest.raises(ValueError, match="activation"):
        activations.get("gelu")
