"""PeepholeLSTM / PeepholeLSTMCell: TF's own reference values, Keras' LSTM, a numpy cell."""

from __future__ import annotations

import copy

import keras
import numpy as np
import pytest

from tests.helpers.layer_checks import (
    check_layer,
    check_mixed_precision,
    check_saving,
    check_shapes,
    check_training_step,
    check_weight_counts,
    random_inputs,
    to_numpy,
)
from zoo.layers import PeepholeLSTM, PeepholeLSTMCell


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def numpy_peephole_lstm(x, kernel, recurrent_kernel, bias, p_i, p_f, p_o, h0=None, c0=None):
    """Reference peephole LSTM (Gers & Schmidhuber 2000), float64, gate order i, f, c, o.

    Returns (all hidden states (batch, time, n), final h, final c).
    """
    x = np.asarray(x, np.float64)
    batch, steps, _ = x.shape
    n = recurrent_kernel.shape[0]
    h = np.zeros((batch, n)) if h0 is None else np.asarray(h0, np.float64)
    c = np.zeros((batch, n)) if c0 is None else np.asarray(c0, np.float64)
    w_i, w_f, w_c, w_o = (kernel[:, k * n : (k + 1) * n] for k in range(4))
    u_i, u_f, u_c, u_o = (recurrent_kernel[:, k * n : (k + 1) * n] for k in range(4))
    b_i, b_f, b_c, b_o = (bias[k * n : (k + 1) * n] for k in range(4))
    hs = []
    for t in range(steps):
        x_t = x[:, t]
        i = _sigmoid(x_t @ w_i + h @ u_i + p_i * c + b_i)
        f = _sigmoid(x_t @ w_f + h @ u_f + p_f * c + b_f)
        c = f * c + i * np.tanh(x_t @ w_c + h @ u_c + b_c)
        o = _sigmoid(x_t @ w_o + h @ u_o + p_o * c + b_o)
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def _random_weights(m, n, seed=0, peephole_scale=0.5):
    rng = np.random.default_rng(seed)
    return [
        rng.uniform(-0.5, 0.5, (m, 4 * n)).astype("float32"),
        rng.uniform(-0.5, 0.5, (n, 4 * n)).astype("float32"),
        rng.uniform(-0.5, 0.5, (4 * n,)).astype("float32"),
        *(rng.uniform(-peephole_scale, peephole_scale, (n,)).astype("float32") for _ in range(3)),
    ]


def test_tensorflow_addons_peephole_reference_values():
    """TF's PeepholeLSTMCell test: one_hot([1, 2, 3, 4], 4), 5 units, weights 1, zero bias/state."""
    indices = np.array([1, 2, 3, 4])
    inputs = (indices[:, None] == np.arange(4)[None, :]).astype("float32")  # index 4: zero row
    cell = PeepholeLSTMCell(
        5,
        kernel_initializer="ones",
        recurrent_initializer="ones",
        bias_initializer="zeros",
        unit_forget_bias=False,
    )
    state = [np.zeros((4, 5), "float32"), np.zeros((4, 5), "float32")]
    cell.build((4, 4))
    for weight in cell.weights[3:]:
        weight.assign(np.ones((5,), "float32"))
    h, (h_state, c_state) = cell(inputs, state)
    expected = np.array([[0.417551] * 5] * 3 + [[0.0] * 5], "float32")
    np.testing.assert_allclose(to_numpy(h), expected, atol=1e-6)
    np.testing.assert_allclose(to_numpy(h_state), expected, atol=1e-6)
    # The value is h = o tanh(c): c = sigmoid(1) tanh(1) for the one-hot rows (i and f see
    # c_{t-1} = 0), and o = sigmoid(1 + c) sees the new c; without that peephole h would be 0.370.
    c_one = _sigmoid(1.0) * np.tanh(1.0)
    np.testing.assert_allclose(to_numpy(c_state)[:3], c_one, atol=1e-6)
    np.testing.assert_allclose(_sigmoid(1.0 + c_one) * np.tanh(c_one), 0.417551, atol=1e-6)
    np.testing.assert_allclose(to_numpy(c_state)[3], 0.0, atol=1e-7)

    # The same step through the layer, one time step.
    layer = PeepholeLSTM(
        5,
        kernel_initializer="ones",
        recurrent_initializer="ones",
        peephole_initializer="ones",
        unit_forget_bias=False,
    )
    np.testing.assert_allclose(to_numpy(layer(inputs[:, None, :])), expected, atol=1e-6)


@pytest.mark.parametrize("masking", ["none", "masking", "embedding"])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_zero_peepholes_equal_keras_lstm(masking, go_backwards, return_sequences):
    batch, steps, m, n = 3, 6, 3, 4
    rng = np.random.default_rng(1)
    options = {"return_sequences": return_sequences, "go_backwards": go_backwards}
    ours = PeepholeLSTM(n, peephole_initializer="zeros", **options)
    reference = keras.layers.LSTM(n, **options)
    if masking == "embedding":
        inputs = keras.Input((steps,), dtype="int32")
        features = keras.layers.Embedding(7, m, mask_zero=True)(inputs)
        data = rng.integers(1, 7, (batch, steps))
        data[0, 4:] = 0  # right padding
        data[1, :2] = 0  # left padding
    else:
        inputs = keras.Input((steps, m))
        features = keras.layers.Masking(0.0)(inputs) if masking == "masking" else inputs
        data = rng.standard_normal((batch, steps, m)).astype("float32")
        if masking == "masking":
            data[0, 4:] = 0.0
            data[1, :2] = 0.0
    model = keras.Model(inputs, [ours(features), reference(features)])
    weights = _random_weights(m, n, seed=2)
    reference.set_weights(weights[:3])
    ours.set_weights(weights[:3] + [np.zeros(n, "float32")] * 3)
    got, want = (to_numpy(t) for t in model(data))
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= 1e-5


def test_random_peepholes_equal_numpy_reference_over_steps():
    batch, steps, m, n = 3, 7, 3, 4
    weights = _random_weights(m, n, seed=3, peephole_scale=1.0)
    x = random_inputs((batch, steps, m), seed=4)
    rng = np.random.default_rng(5)
    h0 = rng.uniform(-0.5, 0.5, (batch, n)).astype("float32")
    c0 = rng.uniform(-1.0, 1.0, (batch, n)).astype("float32")

    layer = PeepholeLSTM(n, return_sequences=True, return_state=True)
    layer.build((batch, steps, m))
    layer.set_weights(weights)
    outputs, h, c = (to_numpy(t) for t in layer(x))
    want_outputs, want_h, want_c = numpy_peephole_lstm(x, *weights)
    np.testing.assert_allclose(outputs, want_outputs, atol=1e-5)
    np.testing.assert_allclose(h, want_h, atol=1e-5)
    np.testing.assert_allclose(c, want_c, atol=1e-5)

    outputs, h, c = (to_numpy(t) for t in layer(x, initial_state=[h0, c0]))
    want_outputs, want_h, want_c = numpy_peephole_lstm(x, *weights, h0=h0, c0=c0)
    np.testing.assert_allclose(outputs, want_outputs, atol=1e-5)
    np.testing.assert_allclose(c, want_c, atol=1e-5)

    # The bare cell inside keras.layers.RNN computes the same.
    rnn = keras.layers.RNN(PeepholeLSTMCell(n), return_sequences=True)
    rnn.build((batch, steps, m))
    rnn.set_weights(weights)
    np.testing.assert_allclose(to_numpy(rnn(x)), numpy_peephole_lstm(x, *weights)[0], atol=1e-5)


def test_return_state_gives_output_h_and_c():
    layer = PeepholeLSTM(4, return_state=True)
    x = random_inputs((2, 5, 3), seed=6)
    output, h, c = layer(x)
    assert tuple(output.shape) == tuple(h.shape) == tuple(c.shape) == (2, 4)
    np.testing.assert_array_equal(to_numpy(output), to_numpy(h))
    want_c = numpy_peephole_lstm(x, *layer.get_weights())[2]
    np.testing.assert_allclose(to_numpy(c), want_c, atol=1e-5)
    shapes = layer.compute_output_shape((2, 5, 3))
    assert [tuple(s) for s in shapes] == [(2, 4), (2, 4), (2, 4)]


@pytest.mark.parametrize(("m", "n", "use_bias"), [(10, 32, True), (3, 7, False)])
def test_parameter_count(m, n, use_bias):
    # (the values do not matter: cheap initializers keep JAX from compiling Orthogonal's QR)
    layer = PeepholeLSTM(n, use_bias=use_bias, recurrent_initializer="zeros")
    layer.build((None, 9, m))
    expected = 4 * n * (m + n + 1) + 3 * n if use_bias else 4 * n * (m + n) + 3 * n
    assert layer.count_params() == expected
    names = sorted(w.path.split("/")[-1] for w in layer.weights)
    assert {
        "input_gate_peephole_weights",
        "forget_gate_peephole_weights",
        "output_gate_peephole_weights",
    } <= set(names)
    assert layer.cell.kernel.shape == (m, 4 * n)
    assert layer.cell.recurrent_kernel.shape == (n, 4 * n)


def test_unroll_and_stateful_agree_with_plain_layer():
    weights = _random_weights(3, 4, seed=7)
    x = random_inputs((2, 6, 3), seed=8)
    plain = PeepholeLSTM(4, return_sequences=True)
    unrolled = PeepholeLSTM(4, return_sequences=True, unroll=True)
    stateful = PeepholeLSTM(4, return_sequences=True, stateful=True)
    for layer in (plain, unrolled, stateful):
        layer.build((2, 6, 3))
        layer.set_weights(weights)
    want = to_numpy(plain(x))
    np.testing.assert_allclose(to_numpy(unrolled(x)), want, atol=1e-5)
    first, second = to_numpy(stateful(x[:, :2])), to_numpy(stateful(x[:, 2:]))
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), want, atol=1e-5)


def test_dropout_only_in_training():
    layer = PeepholeLSTM(4, dropout=0.5, recurrent_dropout=0.5, seed=3)
    x = random_inputs((8, 5, 3), seed=9)
    inference = to_numpy(layer(x, training=False))
    np.testing.assert_array_equal(inference, to_numpy(layer(x, training=False)))
    trained = to_numpy(layer(x, training=True))
    assert np.all(np.isfinite(trained))
    assert not np.allclose(trained, inference)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"units": 0},
        {"units": -2},
        {"units": 2.5},
        {"units": 3, "dropout": 1.0},
        {"units": 3, "dropout": -0.1},
        {"units": 3, "recurrent_dropout": 1.5},
    ],
)
def test_bad_arguments_raise_value_error(kwargs):
    name = [k for k in kwargs if k != "units"] or ["units"]
    with pytest.raises(ValueError, match=name[-1]):
        PeepholeLSTM(**kwargs)
    with pytest.raises(ValueError, match=name[-1]):
        PeepholeLSTMCell(**kwargs)


def test_config_round_trip_keeps_every_argument():
    layer = PeepholeLSTM(
        6,
        activation="relu",
        recurrent_activation="hard_sigmoid",
        use_bias=False,
        peephole_initializer="zeros",
        peephole_regularizer="l2",
        unit_forget_bias=False,
        dropout=0.1,
        recurrent_dropout=0.2,
        seed=4,
        return_sequences=True,
        return_state=True,
        go_backwards=True,
        unroll=True,
        name="peep",
    )
    config = layer.get_config()
    clone = PeepholeLSTM.from_config(config)
    assert clone.get_config() == config
    assert config["peephole_initializer"]["class_name"] == "Zeros"
    assert config["recurrent_dropout"] == 0.2 and clone.cell.recurrent_dropout == 0.2
    assert clone.return_state and clone.go_backwards and clone.unroll
    cell = PeepholeLSTMCell(3, peephole_constraint="non_neg")
    assert PeepholeLSTMCell.from_config(cell.get_config()).get_config() == cell.get_config()


def test_harness_layer(tmp_path):
    check_layer(
        lambda: PeepholeLSTM(4),
        (2, 5, 3),
        tmp_path,
        expected_num_trainable_weights=6,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=1,
    )


def test_harness_sequences_with_dropout(tmp_path):
    check_layer(
        lambda: PeepholeLSTM(4, return_sequences=True, dropout=0.2, recurrent_dropout=0.2, seed=1),
        (2, 5, 3),
        tmp_path,
        expected_num_trainable_weights=6,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=1,
    )


def test_harness_cell_in_keras_rnn(tmp_path):
    """The bare cell inside `keras.layers.RNN`: every harness check.

    `keras.layers.RNN.from_config` pops "cell" out of the dict it is given, so the harness'
    `clone.get_config() == config` comparison cannot hold for a plain RNN (Keras' own LSTMCell
    fails it too); the round trip is checked here on a copy instead.
    """

    def factory():
        return keras.layers.RNN(PeepholeLSTMCell(4))

    shape = (2, 5, 3)
    check_weight_counts(
        factory,
        shape,
        expected_num_trainable_weights=6,
        expected_num_non_trainable_weights=0,
        expected_num_seed_generators=1,
    )
    check_shapes(factory, shape)
    check_saving(factory, shape, tmp_path)
    check_training_step(factory, shape)
    check_mixed_precision(factory, shape)
    layer = factory()
    x = random_inputs(shape)
    expected = to_numpy(layer(x))
    config = layer.get_config()
    clone = keras.layers.RNN.from_config(copy.deepcopy(config))
    assert clone.get_config() == config
    clone.build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(to_numpy(clone(x)), expected, atol=1e-6)
