"""ExplicitSimpleRNN: hand-written BPTT vs SimpleRNN, autodiff, central differences; and
`gradient_norms`, the vanishing / exploding gradients of seed 000 eq. 37-38 and seed 004."""

from __future__ import annotations

import contextlib
import itertools

import keras
import numpy as np
import pytest
from keras import ops

from tests.helpers.layer_checks import BACKEND, check_layer, random_inputs, to_numpy
from zoo.layers import ExplicitSimpleRNN, gradcheck, gradient_norms
from zoo.layers import activations as lecture_activations
from zoo.layers.explicit_rnn import RNN_ACTIVATIONS

B, T, D, N = 3, 5, 4, 3  # batch, time steps, features, units

# The full matrices of cases run under TensorFlow; the other backends run the cases marked
# "everywhere" (each code path: scan and unrolled, masked or not, last state or sequence).
HEAVY = pytest.mark.backend_heavy("the same code paths run on every backend in the other cases")
# Keras' tanh returns float32 for float64 inputs under JAX (Keras 3.15): no float64 check there.
TANH_FLOAT64 = pytest.mark.skipif(
    BACKEND == "jax", reason="keras.ops.tanh demotes float64 to float32 under JAX (Keras 3.15)"
)


LABELS = {  # test ids for the False / True values of the boolean axes
    "return_sequences": ("last", "sequences"),
    "masked": ("no_mask", "mask"),
    "unroll": ("scan", "unrolled"),
    "use_bias": ("no_bias", "bias"),
}


def cases(names, everywhere, *axes, float64=False):
    """pytest params over the product of ``axes`` (named by the comma-separated ``names``);
    the combinations not in ``everywhere`` are marked `HEAVY`."""
    names = names.split(",")
    params = []
    for combo in itertools.product(*axes):
        marks = [] if combo in everywhere else [HEAVY]
        if float64 and "tanh" in combo:
            marks.append(TANH_FLOAT64)
        parts = zip(names, combo, strict=True)
        label = "-".join(LABELS[n][v] if isinstance(v, bool) else str(v) for n, v in parts)
        params.append(pytest.param(*combo, marks=marks, id=label))
    return names, params


def rel_err(got, want) -> float:
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-12))


@contextlib.contextmanager
def float64_enabled():
    """JAX computes in float32 unless 64-bit types are switched on."""
    if BACKEND == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


def mask_of(batch=B, steps=T):
    """Some masked steps: a right-padded row, a leading gap and a hole."""
    mask = np.ones((batch, steps), bool)
    mask[0, 3:] = False
    mask[1, 0] = False
    mask[2 % batch, 2] = False
    return mask


def weights_of(d=D, n=N, *, use_bias=True, seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.8, 0.8, (d, n)), rng.uniform(-0.8, 0.8, (n, n))]
    if use_bias:
        weights.append(rng.uniform(-0.3, 0.3, (n,)))
    return [w.astype(dtype) for w in weights]


def pair(activation="tanh", *, return_sequences=False, use_bias=True, seed=0, unroll=False):
    """ExplicitSimpleRNN and keras SimpleRNN with the same random weights (not leaky_relu:
    Keras' slope is 0.2, the package's 0.01)."""
    assert activation != "leaky_relu"
    ours = ExplicitSimpleRNN(
        N,
        activation=activation,
        use_bias=use_bias,
        return_sequences=return_sequences,
        unroll=unroll,
    )
    reference = keras.layers.SimpleRNN(
        N, activation=activation, use_bias=use_bias, return_sequences=return_sequences
    )
    ours.build((None, T, D))
    reference.build((None, T, D))
    weights = weights_of(use_bias=use_bias, seed=seed)
    ours.set_weights(weights)
    reference.set_weights(weights)
    return ours, reference, weights


def plain_rnn(x, kernel, recurrent, bias, activation, mask=None, return_sequences=True):
    """The Elman RNN as a plain keras.ops loop (the reference autodiff differentiates)."""
    act = keras.activations.get(activation)
    if activation == "leaky_relu":  # slope 0.01 exactly (Keras' rounds it to float32)
        act = lecture_activations.leaky_relu
    h = ops.zeros((x.shape[0], kernel.shape[1]), dtype=x.dtype)
    states = []
    for t in range(x.shape[1]):
        s = ops.einsum("bi,ij->bj", x[:, t], kernel) + ops.einsum("bi,ij->bj", h, recurrent)
        if bias is not None:
            s = s + bias
        new = ops.cast(act(s), x.dtype)
        h = new if mask is None else ops.where(mask[:, t : t + 1], new, h)
        states.append(h)
    return ops.stack(states, axis=1) if return_sequences else h


def autodiff_vjp(function, inputs, upstream):
    """Gradients of sum(function(*inputs) * upstream) with respect to every input."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        variables = [tf.convert_to_tensor(v) for v in inputs]
        with tf.GradientTape() as tape:
            tape.watch(variables)
            loss = tf.reduce_sum(function(*variables) * upstream)
        return [np.asarray(g) for g in tape.gradient(loss, variables)]
    if BACKEND == "jax":
        import jax

        _, pullback = jax.vjp(function, *inputs)
        return [np.asarray(g) for g in pullback(upstream)]
    if BACKEND == "torch":
        import torch

        variables = [torch.tensor(v, requires_grad=True) for v in inputs]
        torch.sum(function(*variables) * torch.tensor(upstream)).backward()
        return [v.grad.detach().cpu().numpy() for v in variables]
    raise RuntimeError(BACKEND)


def layer_gradients(layer, x, upstream, mask=None):
    """d sum(layer(x) * upstream) / d(x, *trainable weights) by the backend's autodiff; for
    ExplicitSimpleRNN that runs its custom gradient, i.e. `backward`."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        x = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, mask=mask) * upstream)
        return [np.asarray(g) for g in tape.gradient(loss, [x, *layer.trainable_weights])]
    if BACKEND == "jax":
        import jax
        import jax.numpy as jnp

        non_trainable = [v.value for v in layer.non_trainable_variables]  # SimpleRNN's seed

        def loss_fn(inputs, weights):
            outputs, _ = layer.stateless_call(weights, non_trainable, inputs, mask=mask)
            return jnp.sum(outputs * upstream)

        weights = [v.value for v in layer.trainable_variables]
        gx, gw = jax.grad(loss_fn, argnums=(0, 1))(jnp.asarray(x), weights)
        return [np.asarray(gx), *(np.asarray(g) for g in gw)]
    if BACKEND == "torch":
        import torch

        x = torch.tensor(x, requires_grad=True)
        for variable in layer.trainable_weights:
            variable.value.grad = None
        torch.sum(layer(x, mask=mask) * torch.tensor(upstream)).backward()
        grads = [x.grad, *(v.value.grad for v in layer.trainable_weights)]
        return [g.detach().cpu().numpy() for g in grads]
    raise RuntimeError(BACKEND)


# ------------------------------------------------------------------ against keras.layers.SimpleRNN


@pytest.mark.parametrize(
    *cases(
        "activation,return_sequences,masked,unroll",
        {("tanh", False, False, False), ("relu", True, True, True), ("tanh", True, False, True)},
        ["tanh", "relu"],
        [False, True],  # return_sequences
        [False, True],  # masked
        [False, True],  # unroll
    ),
)
def test_matches_simple_rnn_outputs_and_gradients(activation, return_sequences, masked, unroll):
    ours, reference, _ = pair(activation, return_sequences=return_sequences, unroll=unroll)
    x = random_inputs((B, T, D), seed=1)
    mask = mask_of() if masked else None
    out = to_numpy(ours(x, mask=mask))
    assert out.shape == ((B, T, N) if return_sequences else (B, N))
    np.testing.assert_allclose(out, to_numpy(reference(x, mask=mask)), rtol=1e-6, atol=1e-6)

    # Gradients through the custom gradient (the hand-written BPTT) equal SimpleRNN's autodiff.
    upstream = random_inputs(out.shape, seed=2)
    got = layer_gradients(ours, x, upstream, mask)
    want = layer_gradients(reference, x, upstream, mask)
    for name, g, w in zip(("inputs", "kernel", "recurrent", "bias"), got, want, strict=True):
        assert g.shape == w.shape, name
        assert rel_err(g, w) <= 1e-5, (name, rel_err(g, w))
    # ... and the public backward returns the same four.
    hand = ours.backward(x, upstream, mask=mask)
    for name, g, w in zip(("dx", "dkernel", "drecurrent", "dbias"), hand, want, strict=True):
        assert rel_err(to_numpy(g), w) <= 1e-5, name


# ------------------------------------------------------------------ float64: autodiff, differences


@pytest.mark.parametrize(
    *cases(
        "activation,masked",
        {("sigmoid", True), ("linear", False)},
        RNN_ACTIVATIONS,
        [False, True],
        float64=True,
    )
)
def test_backward_equals_autodiff_of_plain_ops_in_float64(activation, masked):
    """`backward` (BPTT by hand) vs the vector-Jacobian product autodiff takes of a plain
    keras.ops loop, for upstream gradients on every state and on the last one only: 1e-10.
    The scan and the unrolled loop alternate over the cases."""
    unroll = (RNN_ACTIVATIONS.index(activation) + masked) % 2 == 1
    layer = ExplicitSimpleRNN(N, activation=activation, unroll=unroll)
    layer.build((None, T, D))
    with float64_enabled():
        x = random_inputs((B, T, D), seed=3, dtype="float64")
        weights = weights_of(seed=4, dtype="float64")
        mask = mask_of() if masked else None
        for return_sequences in (True, False):
            upstream = random_inputs((B, T, N) if return_sequences else (B, N), seed=5)
            upstream = upstream.astype("float64")
            want = autodiff_vjp(
                lambda x_, w_, u_, b_, rs=return_sequences: plain_rnn(
                    x_, w_, u_, b_, activation, mask, rs
                ),
                [x, *weights],
                upstream,
            )
            hand = layer.backward(
                x,
                upstream,
                mask=mask,
                kernel=weights[0],
                recurrent_kernel=weights[1],
                bias=weights[2],
            )
            names = ("dx", "dkernel", "drecurrent", "dbias")
            for name, g, w in zip(names, hand, want, strict=True):
                g = to_numpy(g)
                assert g.dtype == np.float64, name
                assert rel_err(g, w) <= 1e-10, (name, return_sequences, rel_err(g, w))


@pytest.mark.parametrize(
    *cases(
        "activation,return_sequences",
        {("elu", False), ("softplus", True)},
        RNN_ACTIVATIONS,
        [False, True],
        float64=True,
    )
)
def test_gradcheck_central_differences(activation, return_sequences):
    """`zoo.layers.gradcheck`: the gradient the layer back-propagates (its custom gradient)
    against central differences in float64, every weight and the input: 1e-6."""
    layer = ExplicitSimpleRNN(N, activation=activation, return_sequences=return_sequences)
    layer.build((None, 4, 2))
    layer.set_weights(weights_of(2, N, seed=6))
    result = gradcheck(layer, random_inputs((2, 4, 2), seed=7))
    assert set(result.weights) == {v.path for v in layer.trainable_weights}
    assert result.passed(1e-6), str(result)


def test_gradcheck_with_a_mask():
    """The masked backward (g_t passed straight to h_{t-1} at a masked step) against central
    differences: a model whose boolean mask is an input (gradcheck skips non-float inputs)."""
    sequences = keras.Input((T, 2))
    mask = keras.Input((T,), dtype="bool")
    layer = ExplicitSimpleRNN(N, activation="sigmoid", return_sequences=True)
    model = keras.Model([sequences, mask], layer(sequences, mask=mask))
    layer.set_weights(weights_of(2, N, seed=8))
    result = gradcheck(model, [random_inputs((B, T, 2), seed=9), mask_of()])
    assert result.passed(1e-6), str(result)


def test_custom_gradient_is_the_hand_written_backward(monkeypatch):
    """Doubling what `backward` returns doubles the gradients autodiff reports; zeroing it
    freezes `fit`."""
    ours, _, _ = pair("tanh", return_sequences=True, seed=10)
    x = random_inputs((B, T, D), seed=11)
    upstream = random_inputs((B, T, N), seed=12)
    plain = layer_gradients(ours, x, upstream)
    original = ExplicitSimpleRNN.backward
    calls = []

    def doubled(self, *args, **kwargs):
        calls.append(1)
        return tuple(None if g is None else 2.0 * g for g in original(self, *args, **kwargs))

    monkeypatch.setattr(ExplicitSimpleRNN, "backward", doubled)
    patched = layer_gradients(ours, x, upstream)
    assert calls, "the custom gradient never called backward"
    for p, g in zip(patched, plain, strict=True):
        np.testing.assert_allclose(p, 2.0 * g, rtol=1e-6, atol=1e-7)

    def zero(self, *args, **kwargs):
        return tuple(None if g is None else 0.0 * g for g in original(self, *args, **kwargs))

    monkeypatch.setattr(ExplicitSimpleRNN, "backward", zero)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((T, D)), ExplicitSimpleRNN(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, random_inputs((B, 1), seed=13), epochs=2, batch_size=B, verbose=0)
    for b, a in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_reduces_the_loss():
    """A tiny sequence task: predict the mean of the first feature over the sequence."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6, 2)).astype("float32")
    y = x[:, :, :1].mean(axis=1)
    model = keras.Sequential([keras.Input((6, 2)), ExplicitSimpleRNN(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="mse")
    before = float(np.mean((to_numpy(model(x)) - y) ** 2))
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    after = history.history["loss"][-1]
    assert np.isfinite(after) and after < 0.5 * before, (before, after)


def test_mixed_precision_gradients_follow_float32():
    ours32, _, weights = pair("sigmoid", seed=14)
    x = random_inputs((B, T, D), seed=15)
    upstream = random_inputs((B, N), seed=16)
    want = layer_gradients(ours32, x, upstream)
    keras.config.set_dtype_policy("mixed_float16")
    ours16 = ExplicitSimpleRNN(N, activation="sigmoid")
    ours16.build((None, T, D))
    ours16.set_weights(weights)
    out = ours16(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    got = layer_gradients(ours16, x.astype("float16"), upstream.astype("float16"))
    for g, w in zip(got, want, strict=True):
        assert np.all(np.isfinite(g))
        assert rel_err(g, w) <= 2e-2


# ------------------------------------------------------------------ masking and shapes


def test_mask_from_embedding_skips_the_padding():
    """Right padding (Embedding(mask_zero=True)) leaves the last state as for the unpadded
    sequence, and with return_sequences the mask is passed on."""
    keras.utils.set_random_seed(0)
    tokens = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(7, D, mask_zero=True, name="embedding")(tokens)
    model = keras.Model(tokens, ExplicitSimpleRNN(N)(embedded))
    padded = np.array([[3, 1, 4, 0, 0], [2, 5, 6, 1, 3], [6, 0, 0, 0, 0]], "int32")
    got = to_numpy(model(padded))
    for row, ids in enumerate(padded):
        alone = to_numpy(model(ids[ids != 0][None]))[0]
        np.testing.assert_allclose(got[row], alone, rtol=1e-6, atol=1e-6)

    sequences = ExplicitSimpleRNN(N, return_sequences=True)
    assert sequences.supports_masking
    mask = mask_of()
    np.testing.assert_array_equal(to_numpy(sequences.compute_mask(None, mask)), mask)
    assert ExplicitSimpleRNN(N).compute_mask(None, mask) is None


def test_unknown_sequence_length_and_output_shapes():
    layer = ExplicitSimpleRNN(N, return_sequences=True)
    model = keras.Sequential([keras.Input((None, D)), layer])
    assert model.output_shape == (None, None, N)
    assert layer.compute_output_shape((None, None, D)) == (None, None, N)
    assert ExplicitSimpleRNN(N).compute_output_shape((2, 7, D)) == (2, N)
    for steps in (1, 3, 8):
        assert tuple(model(random_inputs((2, steps, D))).shape) == (2, steps, N)


@pytest.mark.tensorflow_only("a tf.function traced with a free time axis")
@pytest.mark.parametrize("unroll", [False, True], ids=["scan", "unrolled"])
def test_graph_with_unknown_length_gives_the_eager_gradients(unroll):
    """Traced with the time axis unknown (as `fit` may retrace), both settings run the symbolic
    loop (``unroll`` falls back to it) and give the eager outputs and hand-written gradients."""
    import tensorflow as tf

    ours, _, _ = pair("tanh", return_sequences=True, unroll=unroll, seed=17)
    x = random_inputs((B, T, D), seed=18)
    upstream = random_inputs((B, T, N), seed=19)
    mask = mask_of()

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None, D]),
            tf.TensorSpec([None, None, N]),
            tf.TensorSpec([None, None], tf.bool),
        ]
    )
    def graph(x_, upstream_, mask_):
        with tf.GradientTape() as tape:
            tape.watch(x_)
            out = ours(x_, mask=mask_)
            loss = tf.reduce_sum(out * upstream_)
        return out, tape.gradient(loss, [x_, *ours.trainable_weights])

    out, grads = graph(x, upstream, mask)
    np.testing.assert_allclose(out.numpy(), to_numpy(ours(x, mask=mask)), rtol=1e-6, atol=1e-6)
    for g, want in zip(grads, layer_gradients(ours, x, upstream, mask), strict=True):
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    *cases(
        "return_sequences,use_bias", {(False, True), (True, False)}, [False, True], [True, False]
    )
)
def test_harness(return_sequences, use_bias, tmp_path):
    check_layer(
        lambda: ExplicitSimpleRNN(
            4,
            activation="tanh",
            use_bias=use_bias,
            return_sequences=return_sequences,
            unroll=return_sequences,
        ),
        (2, 5, 3),
        tmp_path,
        expected_num_trainable_weights=3 if use_bias else 2,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=0,
    )


def test_config_round_trip():
    layer = ExplicitSimpleRNN(
        5,
        activation=keras.activations.relu,
        use_bias=False,
        return_sequences=True,
        recurrent_initializer="identity",
        kernel_regularizer="l2",
        recurrent_constraint="non_neg",
        name="rnn",
    )
    config = layer.get_config()
    assert config["activation"] == "relu" and config["return_sequences"] is True
    assert config["use_bias"] is False
    assert ExplicitSimpleRNN.from_config(config).get_config() == config
    assert ExplicitSimpleRNN(2, activation=None).get_config()["activation"] == "linear"
    registered = keras.saving.get_registered_name(ExplicitSimpleRNN)
    assert registered == "lecture_zoo>ExplicitSimpleRNN"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"units": 0}, "units"),
        ({"units": -1}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": True}, "units"),
        ({"units": 3, "activation": "softmax"}, "activation"),
        ({"units": 3, "activation": "gelu"}, "activation"),
        ({"units": 3, "activation": lambda s: s}, "activation"),
        ({"units": 3, "use_bias": 1}, "use_bias"),
        ({"units": 3, "return_sequences": "yes"}, "return_sequences"),
        ({"units": 3, "recurrent_initializer": "nope"}, "recurrent_initializer"),
        ({"units": 3, "activity_regularizer": "nope"}, "activity_regularizer"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExplicitSimpleRNN(**kwargs)


def test_bad_inputs_raise_value_error():
    with pytest.raises(ValueError, match="time, features"):
        ExplicitSimpleRNN(2).build((None, 4))
    layer = ExplicitSimpleRNN(2)
    with pytest.raises(ValueError, match="not built"):
        layer.forward(random_inputs((1, 3, 2)))
    layer.build((None, 3, 2))
    with pytest.raises(ValueError, match="upstream"):
        layer.backward(random_inputs((1, 3, 2)), np.ones((2,), "float32"))
    with pytest.raises(ValueError, match="mask"):
        layer.forward(random_inputs((1, 3, 2)), mask=np.ones((1, 3, 1), bool))
    with pytest.raises(ValueError, match="upstream"):
        gradient_norms(layer, random_inputs((1, 3, 2)), upstream=np.ones((1, 5), "float32"))
    with pytest.raises(ValueError, match="layer"):
        gradient_norms(keras.layers.SimpleRNN(2), random_inputs((1, 3, 2)))


# ------------------------------------------------------------------ gradient_norms


def scaled_orthogonal(n, radius, seed):
    """``radius`` times a random orthogonal matrix: spectral radius and norm both ``radius``."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return radius * q


def linear_rnn(recurrent, d=2):
    n = recurrent.shape[0]
    layer = ExplicitSimpleRNN(n, activation=None, use_bias=False, unroll=True)
    layer.build((None, None, d))
    kernel = np.random.default_rng(1).standard_normal((d, n))
    layer.set_weights([kernel.astype("float32"), recurrent.astype("float32")])
    return layer


def numpy_norms(recurrent, g_last, steps):
    """Seed 000 eq. 38, linear case: dL/dh_t = dL/dh_T (U^T)^(T-t), t = 1..T."""
    return np.array(
        [
            np.linalg.norm(g_last @ np.linalg.matrix_power(recurrent.T, steps - t))
            for t in range(1, steps + 1)
        ]
    )


@pytest.mark.parametrize(("radius", "grows"), [(0.5, False), (1.5, True)])
def test_gradient_norms_linear_geometric(radius, grows):
    """Linear activation: ||dL/dh_t|| changes by exactly the radius per step back in time
    (U a scaled orthogonal matrix), decaying for 0.5, growing for 1.5, as numpy's powers say."""
    steps, n = 12, 4
    recurrent = scaled_orthogonal(n, radius, seed=2)
    layer = linear_rnn(recurrent)
    x = random_inputs((2, steps, 2), seed=3)
    norms = gradient_norms(layer, x)
    assert norms.shape == (steps,) and norms.dtype == np.float64
    np.testing.assert_allclose(norms, numpy_norms(recurrent, np.ones((2, n)), steps), rtol=1e-5)
    np.testing.assert_allclose(norms[:-1] / norms[1:], radius, rtol=1e-5)
    assert bool(norms[0] > norms[-1]) is grows


@pytest.mark.parametrize("radius", [0.5, 1.5])
def test_gradient_norms_follow_the_matrix_power(radius):
    """A random (non-normal) U scaled to spectral radius ``radius``: the norms are those of
    dL/dh_T U^(T-t), and asymptotically they change by the radius per step."""
    steps, n = 30, 4
    u = np.random.default_rng(4).standard_normal((n, n))
    recurrent = u * radius / np.max(np.abs(np.linalg.eigvals(u)))
    layer = linear_rnn(recurrent)
    g_last = random_inputs((1, n), seed=5)
    norms = gradient_norms(layer, random_inputs((1, steps, 2), seed=6), upstream=g_last)
    np.testing.assert_allclose(norms, numpy_norms(recurrent, g_last, steps), rtol=1e-4)
    ratio = (norms[0] / norms[10]) ** (1 / 10)  # ten steps further back
    assert ratio == pytest.approx(radius, rel=0.15)


def test_gradient_norms_with_an_upstream_over_the_sequence():
    """A loss on every state: g_t = u_t + g_{t+1} U^T, the BPTT recursion in numpy."""
    steps, n = 6, 3
    recurrent = scaled_orthogonal(n, 0.9, seed=7)
    layer = linear_rnn(recurrent)
    upstream = random_inputs((2, steps, n), seed=8)
    norms = gradient_norms(layer, random_inputs((2, steps, 2), seed=9), upstream)
    g, want = np.zeros((2, n)), []
    for t in reversed(range(steps)):
        g = upstream[:, t] + g @ recurrent.T
        want.append(np.linalg.norm(g))
    np.testing.assert_allclose(norms, want[::-1], rtol=1e-5)


def test_gradient_norms_tanh_contracting_decays_geometrically():
    """tanh' <= 1: with ||U|| = 0.5 each step back multiplies the norm by at most 0.5."""
    layer = ExplicitSimpleRNN(4, activation="tanh")
    layer.build((None, None, 3))
    kernel, _, bias = weights_of(3, 4, seed=10)
    layer.set_weights([kernel, scaled_orthogonal(4, 0.5, seed=11).astype("float32"), bias])
    norms = gradient_norms(layer, random_inputs((2, 15, 3), seed=12))
    assert np.all(norms[:-1] <= 0.5 * norms[1:] * (1 + 1e-6))
    assert norms[0] < 0.5**14 * norms[-1] * (1 + 1e-6)


def test_sigmoid_chain_shrinks_by_a_quarter_per_step():
    """Seed 004: sigma' <= 1/4 (at s = 0), so each sigmoid in the chain multiplies the gradient
    by at most 1/4 |theta|. With one unit, W = U = 1, b = -1/2 and x = (1/2, 0, 0, ...) every
    pre-activation is 0 and h_t = 1/2: dL/dh_t = 0.25^(T-t) exactly."""
    steps = 8
    layer = ExplicitSimpleRNN(1, activation="sigmoid")
    layer.build((None, steps, 1))
    one = np.ones((1, 1), "float32")
    layer.set_weights([one, one, np.array([-0.5], "float32")])
    x = np.zeros((1, steps, 1), "float32")
    x[0, 0, 0] = 0.5
    np.testing.assert_allclose(to_numpy(layer.forward(x))[0, :, 0], 0.5, atol=1e-7)
    norms = gradient_norms(layer, x)
    np.testing.assert_allclose(norms, 0.25 ** np.arange(steps - 1, -1, -1), rtol=1e-6)

    # Any weights: ||dL/dh_{t-1}|| <= 1/4 ||U||_2 ||dL/dh_t|| with the loss on the last state.
    layer = ExplicitSimpleRNN(4, activation="sigmoid")
    layer.build((None, None, 3))
    layer.set_weights(weights_of(3, 4, seed=13))
    spectral = np.linalg.norm(to_numpy(layer.recurrent_kernel), 2)
    norms = gradient_norms(layer, random_inputs((1, 10, 3), seed=14))
    assert np.all(norms[:-1] <= 0.25 * spectral * norms[1:] * (1 + 1e-5))


def test_gradient_norms_with_a_mask_carry_the_gradient_over_masked_steps():
    """A masked step passes h_{t-1} on unchanged, so it passes dL/dh_t back unchanged too."""
    recurrent = scaled_orthogonal(3, 0.5, seed=15)
    layer = linear_rnn(recurrent)
    mask = np.array([[True, True, False, False, True, True]])
    norms = gradient_norms(layer, random_inputs((1, 6, 2), seed=16), mask=mask)
    np.testing.assert_allclose(norms[:-1] / norms[1:], [0.5, 1.0, 1.0, 0.5, 0.5], rtol=1e-5)
