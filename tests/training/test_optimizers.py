"""The lectures' optimizers, step by step against NumPy transcriptions of the notes' formulas.

Every optimizer of `zoo.training.recipe.make_optimizer` runs on the ill-conditioned quadratic of
seed 003 ("Condition": kappa = 9), f(p) = 1/2 (p1^2 + 9 p2^2), gradient H p with H = diag(1, 9),
in float64 for STEPS steps, and its whole path is compared with the notes' update written out
below in NumPy (seed 003 "Optimizers": Momentum, Nesterov Momentum, RMSprop, Adam, AdaMax,
Adadelta; seed 001 "Momentum"). Keras keeps the learning rate in a float32 variable and casts
the SGD momentum gamma and the betas of Adam's and AdaMax's bias corrections (beta^t) from
Python floats through float32 (``ops.cast`` of a Python float), so the references round those
constants to float32 (`_f32`); everything else is float64, and the paths agree to RTOL.
Where Keras places epsilon differently from the notes, the reference uses Keras' placement
(said in each test) and a second check bounds the difference from the literal formula.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from zoo.training import recipe

H = np.diag([1.0, 9.0])
P0 = np.array([1.5, -1.0])
STEPS = 20
RTOL = 1e-12
EPS = 1e-7  # Keras' epsilon of RMSprop, Adam, Adamax and Adadelta


def grad(p):
    """The gradient of f(p) = 1/2 (p1^2 + 9 p2^2)."""
    return H @ p


def _f32(value):
    """A constant as Keras uses it (a float32 variable or a cast Python float), in float64."""
    return float(np.float32(value))


_eta = _f32


def keras_path(optimizer, p0=P0, steps=STEPS, gradient=grad):
    """The Keras optimizer's iterates p_0 .. p_steps on a float64 variable."""
    variable = keras.Variable(np.array(p0, np.float64), dtype="float64")
    path = [np.array(p0, np.float64)]
    for _ in range(steps):
        g = keras.ops.convert_to_tensor(gradient(keras.ops.convert_to_numpy(variable)), "float64")
        optimizer.apply_gradients([(g, variable)])
        path.append(np.array(keras.ops.convert_to_numpy(variable), np.float64))
    return np.array(path), variable


def test_default_learning_rates_are_the_notes():
    assert recipe.DEFAULT_LEARNING_RATES == {
        "sgd": 0.01,
        "momentum": 0.01,
        "nesterov": 0.01,
        "rmsprop": 0.001,
        "adam": 0.001,
        "adamax": 0.002,
        "adadelta": 1.0,
    }
    for name, rate in recipe.DEFAULT_LEARNING_RATES.items():
        optimizer = recipe.make_optimizer(name)
        assert float(optimizer.learning_rate) == pytest.approx(rate, rel=1e-7), name
        assert recipe.default_learning_rate(name) == rate
    assert recipe.default_learning_rate(keras.optimizers.Adam(0.25)) == pytest.approx(0.25)


def test_sgd_is_plain_gradient_descent():
    """Seed 003 "Momentum", normal update: p <- p - eta grad."""
    optimizer = recipe.make_optimizer("sgd", 0.1)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.momentum == 0.0 and not optimizer.nesterov
    eta, p, expected = _eta(0.1), P0.copy(), [P0.copy()]
    for _ in range(STEPS):
        p = p - eta * grad(p)
        expected.append(p)
    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, expected, rtol=RTOL, atol=0)
    # The default rate, 0.01, when none is given.
    np.testing.assert_allclose(
        keras_path(recipe.make_optimizer("sgd"), steps=1)[0][1],
        P0 - _eta(0.01) * grad(P0),
        rtol=RTOL,
    )


def test_momentum_is_the_notes_velocity_form():
    """Seed 003 / seed 001 "Momentum": v <- gamma v - eta grad; p <- p + v (Keras' SGD
    momentum update is the same form, its slot is v)."""
    optimizer = recipe.make_optimizer("momentum", 0.05, momentum=0.8)
    eta, gamma = _eta(0.05), _f32(0.8)
    p, v, expected, velocities = P0.copy(), np.zeros(2), [P0.copy()], []
    for _ in range(STEPS):
        v = gamma * v - eta * grad(p)
        p = p + v
        expected.append(p)
        velocities.append(v)
    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, expected, rtol=RTOL, atol=0)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(optimizer.momentums[0]), velocities[-1], rtol=RTOL
    )
    assert float(recipe.make_optimizer("momentum").momentum) == 0.9  # the notes' ~0.9


def test_nesterov_keras_stores_the_look_ahead_point():
    """Seed 003 "Nesterov Momentum": p~ = p + gamma v; v <- gamma v - eta grad C(p~);
    p <- p + v. Keras' variable is the look-ahead point q = p + gamma v (its slot is v), so the
    notes' p is ``variable - gamma * slot``; both paths start at p0 (v = 0)."""
    optimizer = recipe.make_optimizer("nesterov", 0.05, momentum=0.9)
    assert optimizer.nesterov
    eta, gamma = _eta(0.05), _f32(0.9)
    p, v = P0.copy(), np.zeros(2)
    notes_p, look_ahead = [P0.copy()], [P0.copy()]
    for _ in range(STEPS):
        ahead = p + gamma * v
        v = gamma * v - eta * grad(ahead)
        p = p + v
        notes_p.append(p)
        look_ahead.append(p + gamma * v)
    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, look_ahead, rtol=RTOL, atol=1e-15)
    slot = keras.ops.convert_to_numpy(optimizer.momentums[0])
    np.testing.assert_allclose(slot, v, rtol=RTOL)
    np.testing.assert_allclose(path[-1] - gamma * slot, notes_p[-1], rtol=1e-10, atol=1e-15)
    # Not the same path as plain momentum: the gradient is taken at the look-ahead point.
    plain, _ = keras_path(recipe.make_optimizer("momentum", 0.05, momentum=0.9))
    assert np.abs(plain - path).max() > 1e-3


def test_rmsprop_with_keras_epsilon_inside_the_root():
    """Seed 003 "RMSprop": v <- rho v + (1 - rho) g^2; p <- p - eta g / (sqrt(v) + eps),
    rho = 0.9. Keras computes g / sqrt(v + eps): the reference uses Keras' placement, and the
    notes' literal placement differs by less than 1e-6 relative here."""
    optimizer = recipe.make_optimizer("rmsprop", 0.01)
    assert optimizer.rho == 0.9 and optimizer.epsilon == EPS
    eta, rho = _eta(0.01), 0.9

    def reference(inside: bool):
        p, v, path = P0.copy(), np.zeros(2), [P0.copy()]
        for _ in range(STEPS):
            g = grad(p)
            v = rho * v + (1 - rho) * g**2
            p = p - eta * g / (np.sqrt(v + EPS) if inside else np.sqrt(v) + EPS)
            path.append(p)
        return np.array(path)

    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, reference(inside=True), rtol=RTOL, atol=0)
    np.testing.assert_allclose(path, reference(inside=False), rtol=1e-6)


def test_adam_is_bias_corrected():
    """Seed 003 "Adam": v1 <- rho1 v1 + (1 - rho1) g; v2 <- rho2 v2 + (1 - rho2) g^2;
    vi~ = vi / (1 - rhoi^t); p <- p - eta v1~ / (sqrt(v2~) + eps), eta 0.001, rho 0.9 / 0.999.
    Keras folds the corrections into the step size, eta sqrt(1 - rho2^t) / (1 - rho1^t) v1 /
    (sqrt(v2) + eps): the notes' formula with the notes' eps at step t equal to Keras' 1e-7 /
    sqrt(1 - rho2^t)."""
    optimizer = recipe.make_optimizer("adam", 0.05)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.9, 0.999, EPS)
    eta, rho1, rho2 = _eta(0.05), 0.9, 0.999

    def reference(eps_at):
        p, v1, v2, path = P0.copy(), np.zeros(2), np.zeros(2), [P0.copy()]
        for t in range(1, STEPS + 1):
            g = grad(p)
            v1 = rho1 * v1 + (1 - rho1) * g
            v2 = rho2 * v2 + (1 - rho2) * g**2
            v1_hat = v1 / (1 - _f32(rho1) ** t)
            v2_hat = v2 / (1 - _f32(rho2) ** t)
            p = p - eta / (np.sqrt(v2_hat) + eps_at(t)) * v1_hat
            path.append(p)
        return np.array(path)

    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(
        path, reference(lambda t: EPS / np.sqrt(1 - _f32(rho2) ** t)), rtol=RTOL, atol=0
    )
    # The notes' literal eps = 1e-7 moves the path by less than 1e-5 relative here.
    np.testing.assert_allclose(path, reference(lambda t: EPS), rtol=1e-5)
    # The first step is eta * sign(g) whatever the gradient's size: the bias correction.
    np.testing.assert_allclose(path[1], P0 - eta * np.sign(grad(P0)), rtol=1e-6)


def test_adamax_is_the_infinity_norm_adam():
    """Seed 003 "AdaMax": m as Adam's v1; u_t = max(beta2 u_{t-1}, |g_t|);
    p <- p - eta / u_t * m_t / (1 - beta1^t), eta 0.002, beta 0.9 / 0.999 (no correction for
    u). Keras divides by u + eps (1e-7): the reference does too, and the notes' u alone
    differs by less than 1e-6 relative here."""
    optimizer = recipe.make_optimizer("adamax")
    assert float(optimizer.learning_rate) == pytest.approx(0.002)
    assert (optimizer.beta_1, optimizer.beta_2) == (0.9, 0.999)
    eta, beta1, beta2 = _eta(0.002), 0.9, 0.999

    def reference(eps):
        p, m, u, path = P0.copy(), np.zeros(2), np.zeros(2), [P0.copy()]
        for t in range(1, STEPS + 1):
            g = grad(p)
            m = beta1 * m + (1 - beta1) * g
            u = np.maximum(beta2 * u, np.abs(g))
            p = p - eta / (u + eps) * m / (1 - _f32(beta1) ** t)
            path.append(p)
        return np.array(path)

    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, reference(EPS), rtol=RTOL, atol=0)
    np.testing.assert_allclose(path, reference(0.0), rtol=1e-6)


def test_adadelta_needs_no_learning_rate():
    """Seed 003 "Adadelta": E[g^2] <- rho E[g^2] + (1 - rho) g^2;
    D = -RMS[D]_{t-1} / RMS[g]_t g with RMS[x] = sqrt(E[x^2] + eps);
    E[D^2] <- rho E[D^2] + (1 - rho) D^2; p <- p + D. No rate: Keras multiplies D by
    learning_rate, which the zoo sets to 1.0 (Keras' own default is 0.001). rho = 0.95 (Keras
    and Zeiler's paper; the notes say "around 0.9"), eps = 1e-7."""
    optimizer = recipe.make_optimizer("adadelta")
    assert float(optimizer.learning_rate) == 1.0
    assert (optimizer.rho, optimizer.epsilon) == (0.95, EPS)
    assert float(keras.optimizers.Adadelta().learning_rate) == pytest.approx(0.001)
    rho = 0.95
    p, eg2, ed2, expected = P0.copy(), np.zeros(2), np.zeros(2), [P0.copy()]
    for _ in range(STEPS):
        g = grad(p)
        eg2 = rho * eg2 + (1 - rho) * g**2
        delta = -np.sqrt(ed2 + EPS) / np.sqrt(eg2 + EPS) * g
        ed2 = rho * ed2 + (1 - rho) * delta**2
        p = p + delta
        expected.append(p)
    path, _ = keras_path(optimizer)
    np.testing.assert_allclose(path, expected, rtol=RTOL, atol=0)


def _steps_to(optimizer, tolerance=1e-3, limit=2000) -> int:
    """Steps until f(p) < tolerance on the kappa = 9 quadratic."""
    variable = keras.Variable(P0, dtype="float64")
    for step in range(1, limit + 1):
        g = keras.ops.convert_to_tensor(grad(keras.ops.convert_to_numpy(variable)), "float64")
        optimizer.apply_gradients([(g, variable)])
        p = keras.ops.convert_to_numpy(variable)
        if 0.5 * p @ H @ p < tolerance:
            return step
    return limit


def test_momentum_beats_plain_sgd_on_the_ill_conditioned_quadratic():
    """Seed 003: "Gradient descent with momentum converges quickly even when ill-conditioned"
    (at the same eta; the comparison the notes draw, which needs sgd to be plain)."""
    plain = _steps_to(recipe.make_optimizer("sgd", 0.02))
    momentum = _steps_to(recipe.make_optimizer("momentum", 0.02))
    nesterov = _steps_to(recipe.make_optimizer("nesterov", 0.02))
    assert momentum < plain / 2 and nesterov < plain / 2, (plain, momentum, nesterov)


@pytest.mark.parametrize(
    ("name", "momentum", "phrase"),
    [
        ("sgd", 0.5, "does not apply to optimizer 'sgd', which is plain SGD"),
        ("adam", 0.5, "applies to optimizers 'momentum' and 'nesterov' only, not to 'adam'"),
        ("rmsprop", 0.0, "not to 'rmsprop'"),
        ("momentum", 1.0, r"momentum must be in \[0.0, 1.0\)"),
    ],
)
def test_momentum_applies_to_momentum_and_nesterov_only(name, momentum, phrase):
    with pytest.raises(ValueError, match=phrase):
        recipe.make_optimizer(name, momentum=momentum)


def test_momentum_defaults_and_plain_sgd_with_zero_momentum():
    assert recipe.make_optimizer("sgd", momentum=0.0).momentum == 0.0
    assert recipe.make_optimizer("sgd", momentum=0.9).momentum == 0.0  # the default: unused
    assert recipe.make_optimizer("adam", momentum=None).beta_1 == 0.9
    assert recipe.make_optimizer("nesterov", momentum=None).momentum == 0.9
    assert recipe.make_optimizer("momentum", momentum=0.0).momentum == 0.0


def test_optimizer_instances_refuse_recipe_options():
    instance = keras.optimizers.Adam()
    assert recipe.make_optimizer(instance) is instance
    with pytest.raises(ValueError, match="clipnorm cannot be applied to an optimizer instance"):
        recipe.make_optimizer(instance, clipnorm=1.0)
    with pytest.raises(ValueError, match="weight_decay cannot be applied"):
        recipe.make_optimizer(instance, weight_decay=1e-4)


def test_clipnorm_and_weight_decay_reach_the_keras_optimizer():
    optimizer = recipe.make_optimizer("adam", clipnorm=2.0, weight_decay=1e-4)
    assert optimizer.clipnorm == 2.0 and optimizer.weight_decay == pytest.approx(1e-4)
    with pytest.raises(ValueError, match=r"clipnorm must be in \(0.0, inf\]"):
        recipe.make_optimizer("sgd", clipnorm=0.0)
