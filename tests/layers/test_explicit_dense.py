"""ExplicitDense: the hand-written delta recursion vs Dense, autodiff and finite differences."""

from __future__ import annotations

import contextlib
import functools

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import BACKEND, check_layer, random_inputs, to_numpy
from zoo.layers import ExplicitDense, gradcheck
from zoo.layers.activations import LEAKY_RELU_SLOPE as SLOPE
from zoo.layers.explicit_dense import SUPPORTED_ACTIVATIONS


def rel_err(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-12))


def input_and_weight_gradients(layer, x, upstream):
    """d sum(layer(x) * upstream) / d(x, *trainable weights), by the backend's own autodiff.

    Through ExplicitDense this differentiates the custom gradient, i.e. runs `backward`.
    """
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x) * upstream)
        grads = tape.gradient(loss, [x, *layer.trainable_weights])
        return [np.asarray(g) for g in grads]
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        def loss_fn(inputs, weights):
            outputs, _ = layer.stateless_call(weights, [], inputs)
            return jnp.sum(outputs * upstream)

        weights = [v.value for v in layer.trainable_variables]
        gx, gw = jax.grad(loss_fn, argnums=(0, 1))(jnp.asarray(x), weights)
        return [np.asarray(gx), *(np.asarray(g) for g in gw)]
    if BACKEND == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        for variable in layer.trainable_weights:
            variable.value.grad = None
        torch.sum(layer(x) * torch.tensor(upstream)).backward()
        grads = [x.grad, *(v.value.grad for v in layer.trainable_weights)]
        return [g.detach().cpu().numpy() for g in grads]
    raise RuntimeError(BACKEND)


def _pair(activation, m, n, *, use_bias=True, seed=0):
    """ExplicitDense and keras Dense with the same random weights."""
    ours = ExplicitDense(n, activation=activation, use_bias=use_bias)
    keras_activation = (  # leaky_relu: the package's slope, not Keras' default 0.2
        functools.partial(keras.activations.leaky_relu, negative_slope=SLOPE)
        if activation == "leaky_relu"
        else activation
    )
    reference = keras.layers.Dense(n, activation=keras_activation, use_bias=use_bias)
    ours.build((None, m))
    reference.build((None, m))
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-1, 1, (m, n)).astype("float32")]
    if use_bias:
        weights.append(rng.uniform(-0.5, 0.5, (n,)).astype("float32"))
    ours.set_weights(weights)
    reference.set_weights(weights)
    return ours, reference, weights


@contextlib.contextmanager
def float64_enabled():
    """JAX computes in float32 unless 64-bit types are switched on."""
    if BACKEND == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


@pytest.mark.parametrize("activation", SUPPORTED_ACTIVATIONS)
def test_matches_dense_outputs_and_autodiff(activation):
    m, n = 4, 5
    ours, reference, _ = _pair(None if activation == "linear" else activation, m, n)
    x = random_inputs((3, m), seed=1)
    upstream = random_inputs((3, n), seed=2)

    # Outputs equal Dense's.
    np.testing.assert_allclose(to_numpy(ours(x)), to_numpy(reference(x)), rtol=1e-6, atol=1e-6)

    # Gradients through the custom gradient (the hand-written backward) equal autodiff of Dense.
    got = input_and_weight_gradients(ours, x, upstream)
    want = input_and_weight_gradients(reference, x, upstream)
    for name, g, w in zip(("inputs", "kernel", "bias"), got, want, strict=True):
        assert g.shape == w.shape
        assert rel_err(g, w) <= 1e-4, (name, rel_err(g, w))

    # The public backward gives the same three gradients.
    for name, g, w in zip(
        ("dx", "dkernel", "dbias"), ours.backward(x, upstream), want, strict=True
    ):
        assert rel_err(to_numpy(g), w) <= 1e-4, name


@pytest.mark.parametrize("activation", SUPPORTED_ACTIVATIONS)
def test_matches_central_finite_differences_in_float64(activation):
    """`backward` in float64, and the float32 training gradients, against central differences
    of L = sum(forward(x) * upstream) computed in float64 (`zoo.layers.gradcheck`, which also
    checks the float64 custom-gradient path itself)."""
    if BACKEND == "jax" and activation == "tanh":
        pytest.skip("keras.ops.tanh demotes float64 to float32 under JAX (Keras 3.15)")
    m, n = 4, 5
    ours, _, weights = _pair(activation, m, n)
    x = random_inputs((3, m), seed=1)
    upstream = random_inputs((3, n), seed=2)
    autodiff = input_and_weight_gradients(ours, x, upstream)
    check = gradcheck(ours, x, upstream=upstream.astype(np.float64))
    assert check.passed(1e-6), str(check)
    numeric = [check.numeric[k] for k in ("inputs", ours.kernel.path, ours.bias.path)]
    with float64_enabled():
        x64, w64, b64 = (np.asarray(a, np.float64) for a in (x, *weights))
        g64 = upstream.astype(np.float64)
        explicit = [to_numpy(g) for g in ours.backward(x64, g64, kernel=w64, bias=b64)]
    for name, e, a, num in zip(
        ("dx", "dkernel", "dbias"), explicit, autodiff, numeric, strict=True
    ):
        assert e.dtype == np.float64
        assert rel_err(e, num) <= 1e-6, (name, rel_err(e, num))  # float64 backward
        assert rel_err(a, num) <= 1e-4, (name, rel_err(a, num))  # float32 training path


@pytest.mark.parametrize("activation", ["tanh", "softmax"])
def test_rank3_inputs_and_no_bias(activation):
    ours, reference, _ = _pair(activation, 4, 3, use_bias=False, seed=3)
    x = random_inputs((2, 5, 4), seed=4)
    upstream = random_inputs((2, 5, 3), seed=5)
    out = ours(x)
    assert tuple(out.shape) == tuple(ours.compute_output_shape(x.shape)) == (2, 5, 3)
    np.testing.assert_allclose(to_numpy(out), to_numpy(reference(x)), rtol=1e-6, atol=1e-6)
    got = input_and_weight_gradients(ours, x, upstream)
    want = input_and_weight_gradients(reference, x, upstream)
    assert len(got) == len(want) == 2
    for g, w in zip(got, want, strict=True):
        assert rel_err(g, w) <= 1e-4
    dx, dkernel, dbias = ours.backward(x, upstream)
    assert dbias is None
    no_dx, same_dkernel, _ = ours.backward(x, upstream, input_gradient=False)
    assert no_dx is None
    np.testing.assert_allclose(to_numpy(same_dkernel), to_numpy(dkernel), rtol=1e-6, atol=1e-7)
    assert rel_err(to_numpy(dx), want[0]) <= 1e-4
    assert rel_err(to_numpy(dkernel), want[1]) <= 1e-4


def test_lecture_forward_example():
    """Seed 004: x = (1, -0.5), sigmoid layers without biases -> h = (0.79, 0.92, 0.16), 0.625."""
    hidden = ExplicitDense(3, activation="sigmoid", use_bias=False)
    output = ExplicitDense(1, activation="sigmoid", use_bias=False)
    model = keras.Sequential([keras.Input((2,)), hidden, output])
    hidden.kernel.assign(np.array([[1.2, 2.1, -1.5], [-0.3, -0.7, 0.3]], "float32"))
    output.kernel.assign(np.array([[-0.2], [0.5], [1.3]], "float32"))
    x = np.array([[1.0, -0.5]], "float32")
    h = to_numpy(hidden.forward(x))
    np.testing.assert_allclose(np.round(h.astype(np.float64), 2), [[0.79, 0.92, 0.16]], atol=1e-12)
    y = to_numpy(output.forward(h))
    assert round(float(y[0, 0]), 3) == 0.625
    assert round(float(to_numpy(model(x))[0, 0]), 3) == 0.625


def _classification_data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((128, 4)).astype("float32")
    labels = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, np.eye(3, dtype="float32")[labels]


def _mlp():
    return keras.Sequential(
        [
            keras.Input((4,)),
            ExplicitDense(16, activation="tanh"),
            ExplicitDense(8, activation="elu"),
            ExplicitDense(3, activation="softmax"),
        ]
    )


def test_fit_reduces_the_loss():
    keras.utils.set_random_seed(0)
    x, y = _classification_data()
    model = _mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.3), loss="categorical_crossentropy")
    before = float(np.mean(to_numpy(keras.losses.categorical_crossentropy(y, model(x)))))
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    after = history.history["loss"][-1]
    assert np.isfinite(after) and after < 0.7 * before, (before, after)


def test_custom_gradient_is_the_hand_written_backward(monkeypatch):
    """Doubling what `backward` returns doubles the gradients autodiff reports; zeroing it
    freezes `fit`."""
    ours, _, _ = _pair("tanh", 4, 3, seed=6)
    x = random_inputs((5, 4), seed=7)
    upstream = random_inputs((5, 3), seed=8)
    plain = input_and_weight_gradients(ours, x, upstream)
    original = ExplicitDense.backward
    calls = []

    def doubled(self, *args, **kwargs):
        calls.append(1)
        return tuple(None if g is None else 2.0 * g for g in original(self, *args, **kwargs))

    monkeypatch.setattr(ExplicitDense, "backward", doubled)
    patched = input_and_weight_gradients(ours, x, upstream)
    assert calls, "the custom gradient never called backward"
    for p, g in zip(patched, plain, strict=True):
        np.testing.assert_allclose(p, 2.0 * g, rtol=1e-6, atol=1e-7)

    def zero(self, x, upstream, **kwargs):
        return tuple(None if g is None else 0.0 * g for g in original(self, x, upstream, **kwargs))

    monkeypatch.setattr(ExplicitDense, "backward", zero)
    keras.utils.set_random_seed(1)
    data, labels = _classification_data(1)
    model = _mlp()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    model.fit(data, labels, epochs=1, batch_size=64, verbose=0)
    for b, a in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_mixed_precision_gradients_follow_float32():
    ours32, _, weights = _pair("sigmoid", 6, 4, seed=9)
    x = random_inputs((8, 6), seed=10)
    upstream = random_inputs((8, 4), seed=11)
    want = input_and_weight_gradients(ours32, x, upstream)
    keras.config.set_dtype_policy("mixed_float16")
    ours16 = ExplicitDense(4, activation="sigmoid")
    ours16.build((None, 6))
    ours16.set_weights(weights)
    got = input_and_weight_gradients(ours16, x.astype("float16"), upstream.astype("float16"))
    for g, w in zip(got, want, strict=True):
        assert np.all(np.isfinite(g))
        assert rel_err(g, w) <= 2e-2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"units": 0}, "units"),
        ({"units": -1}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": True}, "units"),
        ({"units": 3, "activation": "gelu"}, "softmax"),
        ({"units": 3, "activation": "swish"}, "leaky_relu"),
        ({"units": 3, "activation": lambda x: x}, "activation"),
        ({"units": 3, "activation": keras.activations.selu}, "activation"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExplicitDense(**kwargs)


def test_activation_given_as_function_and_config():
    layer = ExplicitDense(3, activation=keras.activations.relu, use_bias=False, name="ed")
    config = layer.get_config()
    assert config["activation"] == "relu" and config["use_bias"] is False
    assert ExplicitDense.from_config(config).get_config() == config
    assert ExplicitDense(2).get_config()["activation"] == "linear"


@pytest.mark.parametrize(
    ("activation", "shape"), [("tanh", (3, 5)), ("softmax", (2, 3, 5)), ("leaky_relu", (4, 6))]
)
def test_harness(activation, shape, tmp_path):
    check_layer(
        lambda: ExplicitDense(4, activation=activation),
        shape,
        tmp_path,
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )
