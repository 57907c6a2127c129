"""gradcheck: central differences in float64 against the gradient a layer back-propagates."""

from __future__ import annotations

import dataclasses
import warnings

import keras
import numpy as np
import pytest
from keras import ops

from tests.helpers.layer_checks import BACKEND, random_inputs
from zoo.layers import ExplicitDense, GradcheckResult, gradcheck
from zoo.layers.gradcheck import relative_error


class WronglyDifferentiatedSquare(keras.layers.Layer):
    """y = w * x^2 with a custom gradient that forgets the factor 2 in dy/dx (and dy/dw = x)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        def forward(x, w):
            def grad_fn(*args, upstream=None):
                if upstream is None:  # TensorFlow and JAX: grad_fn(upstream); torch: keyword
                    (upstream,) = args
                return upstream * w * x, ops.sum(upstream * x, axis=0)  # right: 2 w x, sum x^2

            return w * x * x, grad_fn

        return ops.custom_gradient(forward)(x, ops.cast(self.w, self.compute_dtype))


# Keras 3.15's torch backend multiplies float64 matrices in float32 (see
# zoo.layers.explicit_dense._matmul), so central differences of a Keras Dense are rounding there.
TORCH_MATMUL = pytest.mark.skipif(
    BACKEND == "torch", reason="keras.ops.matmul rounds float64 to float32 under torch"
)


@TORCH_MATMUL
def test_keras_dense_passes():
    layer = keras.layers.Dense(4, activation="sigmoid")
    result = gradcheck(layer, random_inputs((3, 5), seed=1))
    assert isinstance(result, GradcheckResult)
    assert list(result.weights) == [w.path for w in layer.trainable_weights]
    assert list(result.inputs) == ["inputs"]
    assert result.passed(), str(result)
    assert result.max_error < 1e-6
    # The layer itself is untouched: float32 weights.
    assert all(w.dtype == "float32" for w in layer.weights)


def test_explicit_dense_passes_and_weights_are_the_layers():
    layer = ExplicitDense(3, activation="softplus")
    x = random_inputs((4, 2), seed=2)
    layer(x)
    before = [w.copy() for w in layer.get_weights()]
    result = gradcheck(layer, x)
    assert result.passed(), str(result)
    assert set(result.analytic) == set(result.numeric) == {*result.weights, "inputs"}
    for b, a in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    # The analytic kernel gradient is the hand-written backward's, for upstream drawn with seed 0.
    upstream = np.random.default_rng(0).standard_normal((4, 3))
    _, dkernel, _ = layer.backward(x, upstream)
    np.testing.assert_allclose(
        result.analytic[layer.kernel.path], keras.ops.convert_to_numpy(dkernel), rtol=1e-5
    )


@TORCH_MATMUL
def test_model_and_unbuilt_layer():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)]
    )
    result = gradcheck(model, random_inputs((2, 3), seed=3))
    assert len(result.weights) == 4 and result.passed(), str(result)
    unbuilt = keras.layers.Dense(2)
    assert gradcheck(unbuilt, random_inputs((2, 3), seed=4)).passed()
    assert unbuilt.built


def test_sin_times_x():
    def f(x):
        return ops.sin(x) * x

    if BACKEND == "jax":
        pytest.skip("keras.ops.sin demotes float64 to float32 under JAX (Keras 3.15)")
    x = random_inputs((3, 4), seed=5)
    result = gradcheck(f, x)
    assert result.weights == {} and list(result.inputs) == ["inputs"]
    assert result.passed(), str(result)
    x64, upstream = x.astype(np.float64), np.random.default_rng(0).standard_normal((3, 4))
    want = upstream * (np.cos(x64) * x64 + np.sin(x64))  # the default upstream: seed 0
    np.testing.assert_allclose(result.analytic["inputs"], want, rtol=1e-12)


def test_warns_when_the_outputs_are_not_float64():
    with pytest.warns(RuntimeWarning, match="float32"):
        result = gradcheck(lambda x: ops.cast(x * x, "float32"), random_inputs((2, 2)))
    assert not result.passed(tolerance=1e-12)


def test_functions_of_several_inputs_and_given_upstream():
    def f(a, b):
        return ops.exp(a) * b * b - a / (1.0 + b * b)

    a, b = random_inputs((2, 3), seed=6), random_inputs((2, 3), seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(f, [a, b], upstream=np.ones((2, 3)))
    assert list(result.inputs) == ["inputs[0]", "inputs[1]"]
    assert result.passed(), str(result)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    np.testing.assert_allclose(
        result.analytic["inputs[0]"], np.exp(a64) * b64**2 - 1 / (1 + b64**2), rtol=1e-12
    )
    # Non-float inputs are not differentiated.
    counts = np.arange(6).reshape(2, 3)
    only_float = gradcheck(lambda x, n: x * ops.cast(n, x.dtype), (a, counts))
    assert list(only_float.inputs) == ["inputs[0]"] and only_float.passed()


def test_wrong_custom_gradient_fails():
    layer = WronglyDifferentiatedSquare()
    x = random_inputs((2, 3), seed=8)
    result = gradcheck(layer, x)
    assert not result.passed()
    assert result.inputs["inputs"] > 0.3  # a - n = -w x^2 of n = 2 w x^2: relative error 1/2
    assert result.weights[layer.w.path] > 0.3
    assert result.max_error > 0.3
    assert not result.passed(tolerance=0.1) and result.passed(tolerance=10.0)
    assert "inputs" in str(result)


def test_restores_floatx_and_policy_even_on_errors():
    keras.config.set_dtype_policy("mixed_float16")
    before = (keras.config.floatx(), keras.config.dtype_policy().name)
    try:
        assert gradcheck(lambda x: x * x, random_inputs((2, 2))).passed()
        assert (keras.config.floatx(), keras.config.dtype_policy().name) == before
        with pytest.raises(ValueError, match="upstream"):
            gradcheck(lambda x: x * x, random_inputs((2, 2)), upstream=np.ones((3,)))
        assert (keras.config.floatx(), keras.config.dtype_policy().name) == before
    finally:
        keras.config.set_dtype_policy("float32")
    assert keras.config.floatx() == "float32"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layer_or_function": 3}, "layer_or_function"),
        ({"eps": 0.0}, "eps"),
        ({"eps": float("nan")}, "eps"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    arguments = {"layer_or_function": lambda x: x, "inputs": np.ones((2,)), **kwargs}
    with pytest.raises(ValueError, match=match):
        gradcheck(**arguments)


def test_result_is_frozen_and_relative_error():
    result = gradcheck(lambda x: x * x, np.ones((2,)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.eps = 1.0
    with pytest.raises(TypeError):
        result.inputs["inputs"] = 0.0
    assert relative_error([1.0, 0.0], [1.5, 0.0]) == pytest.approx(1 / 3)
    assert relative_error([], []) == 0.0
    # Entries below 1 % of the largest are judged against 1 % of it (round-off floor).
    assert relative_error([1.0, 1e-6], [1.0, 2e-6]) == pytest.approx(1e-4)
    assert relative_error([1.0, 1e-6], [1.0, 2e-6], floor=0.0) == pytest.approx(0.5)
