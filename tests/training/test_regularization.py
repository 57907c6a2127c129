"""The lectures' regularisation in `zoo.training.fit`: the L2 / L1 penalty on the weights only,
Keras' decoupled weight decay next to it, and gradient clipping.

Seed 001 ("Weight decay ... on w, not necessary on b"): J = E + lambda/2 sum w^2, so a plain SGD
step is w <- w - eta dE/dw - eta lambda w and b <- b - eta dE/db. Each test takes one (or a few)
steps of `fit` on one fixed batch and compares the weights with that rule, the data gradient
dE/dW computed separately with TensorFlow's tape.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers.children import Child
from zoo.training import fit, recipe

ETA = 0.5
RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 5)).astype("float32")
Y = RNG.integers(0, 3, size=16)


def model():
    keras.utils.set_random_seed(1)
    return keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(4, activation="tanh", bias_initializer="ones", name="hidden"),
            keras.layers.Dense(3, activation="softmax", bias_initializer="ones", name="out"),
        ]
    )


def batch(steps=1):
    """One batch of 16, ``steps`` times (the same batch each step)."""
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(16).repeat(steps)


def data_gradients(net):
    """dE/d(variable) of the mean cross-entropy on the batch, by autodiff (no penalty)."""
    loss = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        value = loss(Y, net(X))
    return [g.numpy() for g in tape.gradient(value, net.trainable_variables)]


def weights(net):
    return [keras.ops.convert_to_numpy(v).copy() for v in net.trainable_variables]


def one_step(**kwargs):
    """(weights before, data gradients before, weights after, history) of one plain SGD step."""
    net = model()
    before, gradients = weights(net), data_gradients(net)
    history = fit(net, batch(), epochs=1, optimizer="sgd", learning_rate=ETA, verbose=0, **kwargs)
    return net, before, gradients, weights(net), history


def test_l2_gradient_is_g_plus_lambda_w_on_kernels_only():
    lam = 0.3
    net, before, gradients, after, history = one_step(l2=lam)
    for variable, w0, g, w1 in zip(net.trainable_variables, before, gradients, after, strict=True):
        penalty = lam * w0 if variable.name == "kernel" else 0.0  # biases are not penalised
        np.testing.assert_allclose(w1, w0 - ETA * (g + penalty), rtol=1e-5, atol=1e-6)
    # The logged loss is J = E + lambda/2 sum ||W||^2 at the weights of the step.
    data_loss = float(keras.losses.SparseCategoricalCrossentropy()(Y, model()(X)))
    pairs = zip(net.trainable_variables, before, strict=True)
    kernels = [w for v, w in pairs if v.name == "kernel"]
    expected = data_loss + lam / 2 * sum(float(np.sum(w**2)) for w in kernels)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_l1_and_elastic_net_gradients():
    l1, l2 = 0.05, 0.2
    for kwargs in ({"l1": l1}, {"l1": l1, "l2": l2}):
        net, before, gradients, after, _ = one_step(**kwargs)
        rows = zip(net.trainable_variables, before, gradients, after, strict=True)
        for variable, w0, g, w1 in rows:
            penalty = 0.0
            if variable.name == "kernel":
                penalty = kwargs["l1"] * np.sign(w0) + kwargs.get("l2", 0.0) * w0
            np.testing.assert_allclose(w1, w0 - ETA * (g + penalty), rtol=1e-5, atol=1e-6)


def test_without_penalty_the_step_is_the_data_gradient():
    _, before, gradients, after, _ = one_step()
    for w0, g, w1 in zip(before, gradients, after, strict=True):
        np.testing.assert_allclose(w1, w0 - ETA * g, rtol=1e-5, atol=1e-6)


def test_the_penalty_is_for_the_run_only_and_nothing_of_it_is_saved(tmp_path):
    net, *_ = one_step(l2=0.1, l1=0.01)
    assert all(v.regularizer is None for v in net.variables)
    assert net.losses == []
    for layer in net.layers:
        assert layer.get_config()["kernel_regularizer"] is None
    path = tmp_path / "net.keras"
    net.save(path)
    loaded = keras.models.load_model(path)
    assert all(v.regularizer is None for v in loaded.variables)
    # Evaluating after the run reports the data loss alone.
    (evaluated, _) = net.evaluate(X, Y, verbose=0)
    assert evaluated == pytest.approx(
        float(keras.losses.SparseCategoricalCrossentropy()(Y, net(X))), rel=1e-5
    )


def test_a_layer_regularizer_is_kept_and_the_penalty_added():
    net = model()
    own = keras.regularizers.L2(0.01)
    kernel = net.get_layer("out").kernel
    kernel.regularizer = own
    detach = recipe.attach_weight_penalty(net, l2=0.2)
    w = keras.ops.convert_to_numpy(kernel)
    total = float(sum(keras.ops.convert_to_numpy(loss) for loss in net.losses))
    hidden = keras.ops.convert_to_numpy(net.get_layer("hidden").kernel)
    expected = 0.01 * np.sum(w**2) + 0.1 * np.sum(w**2) + 0.1 * np.sum(hidden**2)
    assert total == pytest.approx(float(expected), rel=1e-5)
    detach()
    assert kernel.regularizer is own and net.get_layer("hidden").kernel.regularizer is None


def test_the_weights_are_the_kernels():
    """Dense, Conv, depthwise, separable and recurrent kernels; not biases, BN's gamma/beta,
    embeddings."""
    inputs = keras.Input((8, 8, 2))
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.DepthwiseConv2D(3, name="depthwise")(x)
    x = keras.layers.SeparableConv2D(4, 1, name="separable")(x)
    x = keras.layers.Reshape((16, 4))(x)
    x = keras.layers.LSTM(3, name="lstm")(x)
    tokens = keras.Input((5,), dtype="int32")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(10, 2, name="embedding")(tokens))
    outputs = keras.layers.Dense(2, name="dense")(keras.layers.Concatenate()([x, embedded]))
    net = keras.Model([inputs, tokens], outputs)
    names = sorted(v.path for v in recipe.penalized_weights(net))
    assert names == [
        "conv/kernel",
        "dense/kernel",
        "depthwise/kernel",
        "lstm/lstm_cell/kernel",
        "lstm/lstm_cell/recurrent_kernel",
        "separable/depthwise_kernel",
        "separable/pointwise_kernel",
    ]
    left = {v.path for v in net.trainable_variables} - set(names)
    assert left == {
        "conv/bias",
        "bn/gamma",
        "bn/beta",
        "depthwise/bias",
        "separable/bias",
        "lstm/lstm_cell/bias",
        "embedding/embeddings",
        "dense/bias",
    }


def test_weight_decay_equals_the_l2_penalty_for_plain_sgd_only():
    """Keras' decoupled decay p <- p - eta lambda p on the kernels, biases untouched: for plain
    SGD the same steps as the L2 penalty lambda/2 ||W||^2; for momentum not (the penalty's
    gradient enters the velocity, the decay does not)."""
    lam, steps = 0.2, 3
    runs = {}
    for optimizer in ("sgd", "momentum"):
        for kind in ("l2", "weight_decay"):
            net = model()
            fit(
                net,
                batch(steps),
                epochs=1,
                optimizer=optimizer,
                learning_rate=0.1,
                verbose=0,
                **{kind: lam},
            )
            runs[optimizer, kind] = weights(net)
    for a, b in zip(runs["sgd", "l2"], runs["sgd", "weight_decay"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    pairs = zip(runs["momentum", "l2"], runs["momentum", "weight_decay"], strict=True)
    differences = [np.abs(a - b).max() for a, b in pairs]
    assert max(differences) > 1e-3


def test_weight_decay_leaves_biases_alone():
    lam = 0.2
    net, before, gradients, after, _ = one_step(weight_decay=lam)
    for variable, w0, g, w1 in zip(net.trainable_variables, before, gradients, after, strict=True):
        decay = lam * w0 if variable.name == "kernel" else 0.0
        np.testing.assert_allclose(w1, w0 - ETA * (g + decay), rtol=1e-5, atol=1e-6)


def test_clipnorm_clips_each_gradient_before_the_step():
    clip = 1e-3
    net, before, gradients, after, _ = one_step(clipnorm=clip)
    assert net.optimizer.clipnorm == clip
    for w0, g, w1 in zip(before, gradients, after, strict=True):
        assert np.linalg.norm(g) > clip
        np.testing.assert_allclose(w1, w0 - ETA * g * clip / np.linalg.norm(g), rtol=1e-4)
        assert np.linalg.norm(w1 - w0) == pytest.approx(ETA * clip, rel=1e-3)


def test_the_penalty_reaches_a_rebuilt_model():
    """mixed_precision trains a copy of the model (rebuilt in the dtype policy): the penalty
    is attached to the copy's kernels, and the model gets the trained weights back."""
    lam = 0.3
    net, before, gradients, after, _ = one_step(l2=lam, mixed_precision="mixed_bfloat16")
    for variable, w0, g, w1 in zip(net.trainable_variables, before, gradients, after, strict=True):
        penalty = lam * w0 if variable.name == "kernel" else 0.0
        np.testing.assert_allclose(w1, w0 - ETA * (g + penalty), rtol=0.05, atol=0.02)
    assert all(v.regularizer is None for v in net.variables)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"l2": -1.0}, r"l2 must be in \[0.0, inf\]"),
        ({"l1": float("nan")}, "l1 must be a finite number"),
        ({"clipnorm": -1.0}, r"clipnorm must be in \(0.0, inf\]"),
        ({"momentum": 0.5}, "does not apply to optimizer 'sgd', which is plain SGD"),
        ({"optimizer": "adam", "momentum": 0.5}, "applies to optimizers 'momentum'"),
    ],
)
def test_bad_regularisation_arguments(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        fit(model(), batch(), epochs=1, verbose=0, **kwargs)


JAX_SCRIPT = """
import json
import keras
import numpy as np
from zoo.training import fit

rng = np.random.default_rng(0)
x = rng.normal(size=(16, 5)).astype("float32")
y = rng.integers(0, 3, size=16)
keras.utils.set_random_seed(1)
net = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax",
                                                              bias_initializer="ones")])
w0, b0 = (np.array(v) for v in net.trainable_variables)
import jax
def loss(w, b):
    p = jax.nn.softmax(x @ w + b)
    return -jax.numpy.mean(jax.numpy.log(p[np.arange(16), y]))
gw, gb = jax.grad(loss, argnums=(0, 1))(w0, b0)
import tensorflow as tf
data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
fit(net, data, epochs=1, optimizer="sgd", learning_rate=0.5, l2=0.3, verbose=0)
w1, b1 = (np.array(v) for v in net.trainable_variables)
print(json.dumps({
    "kernel": float(np.abs(w1 - (w0 - 0.5 * (np.array(gw) + 0.3 * w0))).max()),
    "bias": float(np.abs(b1 - (b0 - 0.5 * np.array(gb))).max()),
}))
"""


def test_the_penalty_under_the_jax_backend(tmp_path):
    """The penalty rides on Keras' variable regularizers, which the JAX trainer's stateless
    step evaluates at the traced weights: the same g + lambda W."""
    pytest.importorskip("jax")
    errors = Child(tmp_path, "penalty", JAX_SCRIPT, env={"KERAS_BACKEND": "jax"}).result()
    assert errors["kernel"] < 1e-6 and errors["bias"] < 1e-6, errors
