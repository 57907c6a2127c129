"""The lecture notes' numeric worked examples, recomputed (../shared/seeds/*.txt, cited by line).

Each test names the seed file, its section and lines, and states the notes' own numbers; where a
printed number is wrong the test records both the printed value and the right one (the list is
`WRONG_IN_THE_NOTES`). Conventions of Keras that a reader of the notes must know are stated where
they matter: convolutions floor a stride that "doesn't fit", and the built-in losses average
over the batch (and over the last axis for the element-wise ones).

The 32x32x3 input with ten 5x5 filters, pad 2 (seed 004 lines 574-617: 32x32x10, 760
parameters) is tested in tests/zoo/test_profile.py::test_conv_32x32x3_with_10_5x5_filters_padding_2;
seed 001's conv2 full/valid/same example in tests/layers/test_explicit_conv.py.
"""

from __future__ import annotations

import pathlib

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import ExplicitDense

SEEDS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_FILES = {
    "000": "000_c5e0d409bf25fa67.txt",
    "001": "001_6e7f4fb160b1fc49.txt",
    "002": "002_c9928a6d63a503ff.txt",
    "003": "003_73fd5c26cbb63079.txt",
    "004": "004_0b418e6178dc4cd8.txt",
}

# (seed, line, text the line holds): what the tests below quote, so a citation cannot drift.
CITED = [
    ("004", 145, r"1.2 & 2.1 & 1.5"),
    ("004", 161, r"-1.5 & 0.3"),
    ("004", 162, r"0.79 \\ 0.92 \\ 0.16"),
    ("004", 191, r"\sigma(0.51) = \mathbf{0.62}"),
    ("004", 329, "= 0.072"),
    ("004", 333, "= -0.38"),
    ("004", 344, r"0.02\\ -0.05\\ -0.12"),
    ("004", 348, r"-0.22\\0.55\\1.42"),
    ("004", 515, "stride 1"),
    ("004", 543, "Doesn't fit!"),
    ("004", 561, "Zero pad 1 pixel border"),
    ("004", 617, "= 760"),
    ("002", 550, r"20 \times 30"),
    ("002", 552, r"4 \times 16 \times 26"),
    ("002", 554, r"(25 + 1) \times 4 = 104"),
    ("002", 566, r"4 \times 8 \times 13"),
    ("002", 87, r"\hat{y}_k(x_i, \beta) - y_{ik}"),
    ("002", 107, r"\hat{y}_k(x_i, \beta) - y_{ik}"),
    ("002", 125, r"\hat{y}_k(x_i, \beta) - y_{ik}"),
    ("000", 343, r"9 \times 9 \times 3"),
    ("001", 260, r"\nabla E(\theta) = \frac{1}{N} \sum_n x^{(n)} (h(x^{(n)}) - t^{(n)})"),
    ("001", 367, r"- \left( t_k^{(n)} - h_k^{(n)} \right)"),
    ("001", 611, r"(y_k^{(L)} - t_k) f'(u_k^{(L)})"),
    ("003", 638, r"\mathbf{a}^{(L)} - \mathbf{y}^{(L)}"),
    ("003", 1333, r"5 \times 5 \times 128"),
]

WRONG_IN_THE_NOTES = {
    "004 line 145 (Theta1)": ("+1.5 in row 1, column 3", "-1.5, as its arithmetic (line 161) uses"),
    "004 line 329 (loss)": ("0.072", "0.0703 (0.072 is 1/2 (1 - 0.62)^2, from the rounded y_hat)"),
    "004 lines 344 and 357 (dE/dTheta2)": ("(0.02, -0.05, -0.12)", "(-0.0698, -0.0809, -0.0142)"),
    "004 lines 348 and 361 (Theta2 after one step)": (
        "(-0.22, 0.55, 1.42)",
        "(-0.130, 0.581, 1.314) (the printed one subtracts the printed, wrong gradient)",
    ),
}
"""Numbers the notes print wrong: where -> (printed, right). Rounded ones (0.79, 0.92, 0.16;
0.51; 0.62; -0.38) are right to the digits shown and are not listed."""


def _sigmoid(s):
    return 1.0 / (1.0 + np.exp(-s))


def test_the_cited_lines_say_what_the_tests_quote():
    """Every (seed, line) the tests cite holds the text they quote (../shared/seeds)."""
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent")
    for seed, line, text in CITED:
        lines = (SEEDS / SEED_FILES[seed]).read_text(encoding="utf-8").splitlines()
        assert text in lines[line - 1], f"seed {seed} line {line}: {lines[line - 1]!r}"


# ----------------------------------------------------------------- seed 004, forward/backward

# Seed 004 lines 145-191 and 322-365 ("DNN: Forward Propagation (Example)", "Backpropagation"):
# x = (1.0, -0.5), y = 1.0, h1 = sigma(Theta1^T x), y_hat = sigma(Theta2^T h1), no biases,
# E = 1/2 (y - y_hat)^2, one gradient step with gamma = 1.
X = np.array([[1.0, -0.5]])
Y = np.array([[1.0]])
THETA1_PRINTED = np.array([[1.2, 2.1, 1.5], [-0.3, -0.7, 0.3]])  # line 145
THETA1 = np.array([[1.2, 2.1, -1.5], [-0.3, -0.7, 0.3]])  # what line 161 multiplies
THETA2 = np.array([[-0.2], [0.5], [1.3]])


def _half_squared_error(y_true, y_pred):
    """The notes' E = 1/2 sum_k (y_k - y_hat_k)^2 per example (Keras averages over the batch)."""
    return 0.5 * keras.ops.sum(keras.ops.square(y_true - y_pred), axis=-1)


def _seed004_layers():
    hidden = ExplicitDense(3, activation="sigmoid", use_bias=False, name="theta1")
    output = ExplicitDense(1, activation="sigmoid", use_bias=False, name="theta2")
    hidden.build((None, 2))
    output.build((None, 3))
    return hidden, output


def test_seed004_forward_example_and_the_sign_of_theta1():
    """Seed 004 lines 145-191: Theta1^T x = (1.35, 2.45, -1.65), h1 = (0.79, 0.92, 0.16),
    Theta2^T h1 = 0.51, y_hat = 0.62. Line 145 prints Theta1 with +1.5 in its first row's third
    column, but line 161 multiplies -1.5 (the printed matrix would give 1.35, not -1.65)."""
    hidden, output = _seed004_layers()
    s1 = X @ THETA1
    np.testing.assert_allclose(s1, [[1.35, 2.45, -1.65]], atol=1e-12)
    assert (X @ THETA1_PRINTED)[0, 2] == pytest.approx(1.35)  # the printed +1.5: not -1.65
    h1 = keras.ops.convert_to_numpy(hidden.forward(X, kernel=THETA1))
    np.testing.assert_allclose(h1, _sigmoid(s1), rtol=1e-6)
    np.testing.assert_allclose(h1, [[0.79, 0.92, 0.16]], atol=0.005)  # the notes' 2 decimals
    s2 = h1 @ THETA2
    assert s2[0, 0] == pytest.approx(0.51, abs=0.005)
    y_hat = keras.ops.convert_to_numpy(output.forward(h1, kernel=THETA2))
    assert y_hat[0, 0] == pytest.approx(0.62501, abs=1e-5)  # 0.62 printed (from rounded h1)


def test_seed004_backward_example_loss_gradient_and_update():
    """Seed 004 lines 322-365: the loss 1/2 (y - y_hat)^2 is 0.0703 (printed 0.072, the value
    for the rounded y_hat 0.62), dE/dy_hat = y_hat - y = -0.375 (printed -0.38), dE/dTheta2 =
    (y_hat - y) sigma'(s2) h1 = (-0.0698, -0.0809, -0.0142) (printed (0.02, -0.05, -0.12):
    wrong), and Theta2 - 1 * dE/dTheta2 = (-0.130, 0.581, 1.314) (printed (-0.22, 0.55, 1.42),
    the step with the wrong gradient). ExplicitDense's hand-written backward pass against the
    notes' formula in NumPy."""
    hidden, output = _seed004_layers()
    h1 = keras.ops.convert_to_numpy(hidden.forward(X, kernel=THETA1))
    y_hat = keras.ops.convert_to_numpy(output.forward(h1, kernel=THETA2))
    loss = float(0.5 * np.sum((Y - y_hat) ** 2))
    assert loss == pytest.approx(0.0703, abs=5e-5)
    assert loss != pytest.approx(0.072, abs=5e-4)  # the printed loss
    rounded = 0.5 * (1 - 0.62) ** 2  # the printed loss is the rounded y_hat's
    assert rounded == pytest.approx(0.072, abs=5e-4)
    upstream = y_hat - Y  # dE/dy_hat
    assert upstream[0, 0] == pytest.approx(-0.375, abs=5e-5)

    dh1, d_theta2, no_bias = output.backward(h1, upstream, kernel=THETA2)
    assert no_bias is None
    d_theta2 = keras.ops.convert_to_numpy(d_theta2)
    s2 = h1 @ THETA2
    formula = (h1.T * (y_hat - Y) * _sigmoid(s2) * (1 - _sigmoid(s2))).reshape(3, 1)
    np.testing.assert_allclose(d_theta2, formula, rtol=1e-6)
    np.testing.assert_allclose(d_theta2.ravel(), [-0.0698, -0.0809, -0.0142], atol=5e-5)
    assert not np.allclose(d_theta2.ravel(), [0.02, -0.05, -0.12], atol=0.01)  # the printed one
    np.testing.assert_allclose((THETA2 - d_theta2).ravel(), [-0.130, 0.581, 1.314], atol=5e-4)
    np.testing.assert_allclose(THETA2.ravel() - [0.02, -0.05, -0.12], [-0.22, 0.55, 1.42])

    # "Similarly, we can update Theta1" (line 365): the delta recursion one layer down.
    _, d_theta1, _ = hidden.backward(X, dh1, kernel=THETA1)
    delta2 = (y_hat - Y) * _sigmoid(s2) * (1 - _sigmoid(s2))
    delta1 = (delta2 @ THETA2.T) * h1 * (1 - h1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(d_theta1), X.T @ delta1, rtol=1e-6)


@pytest.mark.parametrize("layer", [keras.layers.Dense, ExplicitDense])
def test_seed004_one_sgd_step_of_keras_gives_the_notes_update(layer):
    """Seed 004 lines 286-288 and 359-361: Theta_k <- Theta_k - gamma dE/dTheta_k with gamma
    = 1. One `fit` step of keras.optimizers.SGD(1.0) on the example (batch of one, so Keras'
    mean over the batch changes nothing) moves Theta2 to (-0.130, 0.581, 1.314), through
    Keras' autodiff (Dense) or ExplicitDense's hand-written backward pass alike."""
    model = keras.Sequential(
        [
            keras.Input((2,)),
            layer(3, activation="sigmoid", use_bias=False),
            layer(1, activation="sigmoid", use_bias=False),
        ]
    )
    model.set_weights([THETA1, THETA2])
    model.compile(keras.optimizers.SGD(1.0), loss=_half_squared_error)
    history = model.fit(X, Y, batch_size=1, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(0.0703, abs=5e-5)  # before the step
    theta1, theta2 = model.get_weights()
    np.testing.assert_allclose(theta2.ravel(), [-0.130, 0.581, 1.314], atol=5e-4)
    np.testing.assert_allclose(theta2.ravel(), [-0.13017, 0.58090, 1.31416], atol=5e-5)
    assert not np.allclose(theta2.ravel(), [-0.22, 0.55, 1.42], atol=0.01)
    assert np.abs(theta1 - THETA1).max() > 1e-3  # Theta1 moved too (line 365)


# ----------------------------------------------------------------- convolution arithmetic


def _profile(input_shape, *layers):
    model = keras.Sequential([keras.Input(input_shape), *layers])
    return model, {row.name: row for row in zoo.summary(model).rows}


def test_seed002_20x30_input_four_5x5_maps_and_pooling():
    """Seed 002 lines 548-566 ("CNN - Hidden Layer", "CNN - Pooling Layer"): a 20 x 30 input,
    4 feature maps of 5 x 5 -> 4 x 16 x 26 neurons with (25 + 1) x 4 = 104 weights and biases;
    2 x 2 pooling -> 4 x 8 x 13. Keras is channels-last: (16, 26, 4) and (8, 13, 4)."""
    model, rows = _profile(
        (20, 30, 1),
        keras.layers.Conv2D(4, 5, name="conv"),
        keras.layers.MaxPooling2D(2, name="pool"),
    )
    assert rows["conv"].output_shape == (None, 16, 26, 4)
    assert rows["conv"].params == (5 * 5 + 1) * 4 == 104
    assert rows["conv"].macs == 16 * 26 * 4 * 5 * 5 == 41_600
    assert rows["pool"].output_shape == (None, 8, 13, 4)
    assert rows["pool"].params == 0 and rows["pool"].macs == 8 * 13 * 4 * 2 * 2
    assert model.count_params() == 104


@pytest.mark.parametrize(("stride", "side"), [(1, 5), (2, 3), (3, 2)])
def test_seed004_7x7_input_3x3_filter_by_stride(stride, side):
    """Seed 004 lines 511-543: a 7 x 7 input and a 3 x 3 filter give 5 x 5 at stride 1 and
    3 x 3 at stride 2; at stride 3 "doesn't fit" ((7 - 3) / 3 + 1 = 2.33). Keras does not
    refuse it: a 'valid' convolution floors, (7 - 3) // 3 + 1 = 2, so 2 x 2, and the last row
    and column of the input are never read (checked by changing them)."""
    model, rows = _profile(
        (7, 7, 1), keras.layers.Conv2D(1, 3, strides=stride, use_bias=False, name="conv")
    )
    assert rows["conv"].output_shape == (None, side, side, 1)
    assert side == (7 - 3) // stride + 1
    x = np.random.default_rng(0).random((1, 7, 7, 1)).astype("float32")
    changed = x.copy()
    changed[:, 6, :, :] += 1.0
    changed[:, :, 6, :] += 1.0
    same = np.allclose(np.asarray(model(x)), np.asarray(model(changed)))
    assert same == ((7 - 3) % stride != 0)  # only the stride that does not fit skips them


def test_seed004_7x7_input_padded_by_1_with_stride_3():
    """Seed 004 lines 545-563: zero-padding a 1-pixel border makes stride 3 fit:
    (7 - 3 + 2 * 1) / 3 + 1 = 3, a 3 x 3 output. Keras' padding="same" pads the same border
    here (total (3 - 1) * 3 + 3 - 7 = 2, one pixel each side) and agrees."""
    kernel = np.random.default_rng(1).random((3, 3, 1, 1)).astype("float32")
    padded, rows = _profile(
        (7, 7, 1),
        keras.layers.ZeroPadding2D(1, name="pad"),
        keras.layers.Conv2D(1, 3, strides=3, use_bias=False, name="conv"),
    )
    assert rows["pad"].output_shape == (None, 9, 9, 1)
    assert rows["conv"].output_shape == (None, 3, 3, 1) and (7 - 3 + 2) % 3 == 0
    same, same_rows = _profile(
        (7, 7, 1), keras.layers.Conv2D(1, 3, strides=3, padding="same", use_bias=False, name="c")
    )
    assert same_rows["c"].output_shape == (None, 3, 3, 1)
    padded.layers[-1].set_weights([kernel])
    same.layers[-1].set_weights([kernel])
    x = np.random.default_rng(2).random((2, 7, 7, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(padded(x)), np.asarray(same(x)), rtol=1e-6)


def test_seed000_9x9x3_input_3x3x3_kernel_stride_2():
    """Seed 000 line 343 (section 4.1, Figure 9): h^(t-1) in R^{9x9x3}, K in R^{3x3x3x1},
    stride 2 -> h^(t) in R^{4x4x1}: (9 - 3) / 2 + 1 = 4, with 3 * 3 * 3 + 1 = 28 parameters."""
    _, rows = _profile((9, 9, 3), keras.layers.Conv2D(1, 3, strides=2, name="conv"))
    assert rows["conv"].output_shape == (None, 4, 4, 1)
    assert rows["conv"].params == 3 * 3 * 3 + 1 == 28
    assert rows["conv"].macs == 4 * 4 * 1 * 3 * 3 * 3


def test_seed003_depthwise_separable_5x5x3_to_5x5x128():
    """Seed 003 lines 1320-1349 ("Depthwise Separable Convolutions"): three 3 x 3 x 1 kernels,
    one per channel, give 5 x 5 x 3 (so the input is 7 x 7 x 3, 'valid'); 128 1 x 1 x 3 kernels
    then give 5 x 5 x 128. The notes give the shapes only; by seed 003's counting rules the
    separable layer has 3*3*3 + 3*128 + 128 = 539 parameters and 675 + 9,600 = 10,275 MACs,
    against 3,584 and 86,400 for the plain 3 x 3 x 3 x 128 convolution it replaces (12 %)."""
    _, rows = _profile((7, 7, 3), keras.layers.SeparableConv2D(128, 3, name="separable"))
    _, plain = _profile((7, 7, 3), keras.layers.Conv2D(128, 3, name="conv"))
    _, depthwise = _profile((7, 7, 3), keras.layers.DepthwiseConv2D(3, name="depthwise"))
    assert depthwise["depthwise"].output_shape == (None, 5, 5, 3)  # the first step
    assert rows["separable"].output_shape == (None, 5, 5, 128) == plain["conv"].output_shape
    assert rows["separable"].params == 3 * 3 * 3 + 3 * 128 + 128 == 539
    assert rows["separable"].macs == 5 * 5 * 3 * 3 * 3 + 5 * 5 * 128 * 3 == 675 + 9_600
    assert plain["conv"].params == (3 * 3 * 3 + 1) * 128 == 3_584
    assert plain["conv"].macs == 5 * 5 * 128 * 3 * 3 * 3 == 86_400
    assert rows["separable"].macs / plain["conv"].macs == pytest.approx(0.119, abs=1e-3)


# ----------------------------------------------------------------- output-layer identities


def _gradient(function, value: np.ndarray) -> np.ndarray:
    """d function(value) / d value by the backend's autodiff (function returns a scalar)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        variable = tf.convert_to_tensor(value)
        with tf.GradientTape() as tape:
            tape.watch(variable)
            result = function(variable)
        return tape.gradient(result, variable).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(function)(value))
    if backend == "torch":
        import torch

        variable = torch.tensor(value, requires_grad=True)
        function(variable).backward()
        return variable.grad.detach().cpu().numpy()
    pytest.skip(f"no autodiff helper for backend {backend!r}")


def _case(n=5, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 2.0, (n, k)).astype("float32"), rng


def test_softmax_with_cross_entropy_has_delta_y_hat_minus_y():
    """Seed 002 lines 111-125 and seed 003 lines 628-638 ("Combining: delta = a - y"), seed
    001 line 367 (delta_k = -(t_k - h_k)): for y_hat = softmax(a) and E = -sum_k y_k ln y_hat_k,
    dE/da = y_hat - y. keras.losses.CategoricalCrossentropy averages E over the N examples of
    the batch, so its gradient is (y_hat - y) / N; from probabilities and from logits alike."""
    a, rng = _case()
    n, k = a.shape
    y = np.eye(k, dtype="float32")[rng.integers(0, k, n)]
    y_hat = keras.ops.convert_to_numpy(keras.activations.softmax(a))
    probabilities = keras.losses.CategoricalCrossentropy()
    logits = keras.losses.CategoricalCrossentropy(from_logits=True)
    sparse = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    labels = y.argmax(axis=1)
    for gradient in (
        _gradient(lambda s: probabilities(y, keras.activations.softmax(s)), a),
        _gradient(lambda s: logits(y, s), a),
        _gradient(lambda s: sparse(labels, s), a),
    ):
        np.testing.assert_allclose(n * gradient, y_hat - y, atol=2e-6)


def test_sigmoid_with_binary_cross_entropy_has_delta_y_hat_minus_y():
    """Seed 002 lines 91-107 (K separate binary classifications) and seed 001 lines 224-260
    (logistic regression): for y_hat = sigmoid(a) and E = -sum_k y_k ln y_hat_k + (1 - y_k)
    ln(1 - y_hat_k), dE/da = y_hat - y. keras.losses.BinaryCrossentropy averages over the last
    axis as well as over the batch: its gradient is (y_hat - y) / (N K); for the one-unit
    logistic regression (K = 1), (y_hat - y) / N."""
    for k in (1, 4):
        a, rng = _case(k=k, seed=k)
        n = len(a)
        y = rng.integers(0, 2, a.shape).astype("float32")
        y_hat = keras.ops.convert_to_numpy(keras.activations.sigmoid(a))
        probabilities = keras.losses.BinaryCrossentropy()
        logits = keras.losses.BinaryCrossentropy(from_logits=True)
        for gradient in (
            _gradient(lambda s: probabilities(y, keras.activations.sigmoid(s)), a),  # noqa: B023
            _gradient(lambda s: logits(y, s), a),  # noqa: B023
        ):
            np.testing.assert_allclose(n * k * gradient, y_hat - y, atol=2e-6)


def test_identity_with_squared_error_has_delta_y_hat_minus_y():
    """Seed 002 lines 77-87 (sum of squares, y_hat_k = a_k), seed 001 lines 589-611 (delta =
    (y - t) f'(u), f' = 1 for the identity), seed 004 line 254: for E = 1/2 sum_k (y_hat_k -
    y_k)^2, dE/dy_hat = y_hat - y. keras.losses.MeanSquaredError is mean_k (y_hat_k - y_k)^2,
    averaged over the batch: (2 / K) times the notes' E per example, so its gradient is
    2 (y_hat - y) / (N K); the notes' 1/2 sum of squares, averaged over the batch, gives
    (y_hat - y) / N."""
    a, rng = _case()
    n, k = a.shape
    y = rng.normal(size=a.shape).astype("float32")
    mse = keras.losses.MeanSquaredError()
    np.testing.assert_allclose(n * k / 2 * _gradient(lambda s: mse(y, s), a), a - y, atol=2e-6)

    def notes_error(s):
        return keras.ops.mean(_half_squared_error(y, keras.activations.linear(s)))

    np.testing.assert_allclose(n * _gradient(notes_error, a), a - y, atol=2e-6)
    notes = float(keras.ops.convert_to_numpy(notes_error(a)))
    assert float(keras.ops.convert_to_numpy(mse(y, a))) * k / 2 == pytest.approx(notes, rel=1e-6)


# ----------------------------------------------------------------- logistic regression


def test_seed001_logistic_regression_gradient_step():
    """Seed 001 lines 170-276 ("Logistic regression", "Training and testing"): P(t = 1 | x) =
    sigmoid(theta^T x), E = -(1/N) sum t ln h + (1 - t) ln(1 - h), grad E = (1/N) sum_n x^(n)
    (h(x^(n)) - t^(n)), theta <- theta - alpha grad. One `fit` step of the zoo's
    logistic_regression (binary cross-entropy, SGD with rate alpha) against the formula; the
    bias is the weight of a constant input 1."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    t = rng.integers(0, 2, (8, 1)).astype("float32")
    model = zoo.build("logistic_regression", input_shape=(3,))
    assert model.output.shape == (None, 1) and model.count_params() == 3 + 1
    theta, bias = rng.normal(size=(3, 1)).astype("float32"), np.array([0.3], "float32")
    model.set_weights([theta, bias])
    h = _sigmoid(x.astype(np.float64) @ theta + bias)
    alpha = 0.5
    model.compile(keras.optimizers.SGD(alpha), keras.losses.BinaryCrossentropy())
    model.fit(x, t, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    new_theta, new_bias = model.get_weights()
    np.testing.assert_allclose(new_theta, theta - alpha * x.T @ (h - t) / len(x), atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - alpha * np.mean(h - t), atol=1e-6)
    # Testing (line 274): class 1 when P(t = 1 | x) > P(t = 0 | x), i.e. theta^T x + b > 0.
    probabilities = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_array_equal(probabilities > 0.5, x @ new_theta + new_bias > 0)
