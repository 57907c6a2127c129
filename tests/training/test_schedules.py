"""Learning-rate schedules against numpy implementations of the lecture formulas (steps 0..5000).

Tolerance: relative error <= 1e-6, measured against the schedule's peak rate for values far
below it (the schedules compute in float32, as the optimizers do; near zero float32 cos(pi t/T)
has no more digits).
"""

from __future__ import annotations

import json
import math

import keras
import numpy as np
import pytest

from tests.helpers.children import Child
from zoo.training import schedules
from zoo.training.recipe import make_optimizer

STEPS = np.arange(5001, dtype=np.float64)


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Overrides the suite's per-test ``clear_session`` (a full garbage collection, seconds on
    a busy machine): these tests evaluate schedules and build only throw-away toy models."""
    keras.config.set_dtype_policy("float32")
    yield


S = keras.optimizers.schedules


def assert_matches(schedule, expected, peak):
    actual = schedules.evaluate(schedule, len(STEPS))
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6 * peak)


# ---- numpy oracles ------------------------------------------------------------------------


def fractional(t, eta0, k):
    return eta0 / (1.0 + k * t)


def step_decay(t, eta0, period, drop=0.5):
    return eta0 * drop ** np.floor(t / period)


def exponential(t, eta0, k):
    return eta0 * np.exp(-k * t)


def cosine(t, eta0, period, alpha=0.0):
    done = np.minimum(t, period) / period
    return eta0 * ((1.0 - alpha) * 0.5 * (1.0 + np.cos(np.pi * done)) + alpha)


def sgdr(t, eta0, first, t_mul, m_mul, alpha=0.0):
    """Loshchilov & Hutter: restart i lasts first * t_mul^i steps and peaks at eta0 * m_mul^i."""
    out = np.empty_like(t)
    for index, step in enumerate(t):
        start, length, restart = 0.0, float(first), 0
        while step >= start + length:
            start += length
            length *= t_mul
            restart += 1
        done = (step - start) / length
        height = m_mul**restart * 0.5 * (1.0 + math.cos(math.pi * done))
        out[index] = eta0 * ((1.0 - alpha) * height + alpha)
    return out


def cyclic(t, base, top, half, mode, gamma=1.0):
    cycle = np.floor(1 + t / (2 * half))
    x = np.abs(t / half - 2 * cycle + 1)
    scale = {"triangular": 1.0, "triangular2": 1.0 / 2.0 ** (cycle - 1), "exp_range": gamma**t}
    return base + (top - base) * np.maximum(0.0, 1 - x) * scale[mode]


def one_cycle(t, top, total, pct=0.3, div=25.0, final_div=1e4, anneal="cos"):
    start = top / div
    end = start / final_div
    peak, last = pct * total - 1, total - 1

    def interpolate(a, b, p):
        if anneal == "linear":
            return a + (b - a) * p
        return b + (a - b) * (1 + np.cos(np.pi * p)) / 2

    up = interpolate(start, top, np.clip(t / peak, 0, 1))
    down = interpolate(top, end, np.clip((t - peak) / (last - peak), 0, 1))
    return np.where(t <= peak, up, down)


# ---- the formulas -------------------------------------------------------------------------


@pytest.mark.parametrize(("eta0", "k"), [(0.1, 0.01), (1.0, 1e-4), (0.05, 0.3)])
def test_fractional_decay(eta0, k):
    assert_matches(
        schedules.get("fractional", learning_rate=eta0, k=k), fractional(STEPS, eta0, k), eta0
    )
    keras_form = S.InverseTimeDecay(eta0, decay_steps=100, decay_rate=k * 100)
    assert_matches(keras_form, fractional(STEPS, eta0, k), eta0)


@pytest.mark.parametrize(
    ("eta0", "period", "drop"), [(0.1, 1000, 0.5), (0.5, 333, 0.1), (1.0, 1, 0.999)]
)
def test_step_decay(eta0, period, drop):
    assert_matches(
        schedules.StepDecay(eta0, period, drop), step_decay(STEPS, eta0, period, drop), eta0
    )


def test_step_decay_named_halves_by_default():
    schedule = schedules.get("step", learning_rate=0.2, step_size=700)
    assert_matches(schedule, step_decay(STEPS, 0.2, 700), 0.2)


@pytest.mark.parametrize(("eta0", "k"), [(0.1, 1e-3), (1.0, 1e-4), (0.02, 5e-3)])
def test_exponential_decay(eta0, k):
    expected = exponential(STEPS, eta0, k)
    assert_matches(schedules.get("exponential", learning_rate=eta0, k=k), expected, eta0)
    assert_matches(S.ExponentialDecay(eta0, 1000, math.exp(-1000 * k)), expected, eta0)


@pytest.mark.parametrize(
    ("eta0", "period", "alpha"), [(0.1, 5000, 0.0), (0.4, 1234, 0.01), (1.0, 3000, 0.5)]
)
def test_cosine_decay(eta0, period, alpha):
    schedule = schedules.get("cosine", learning_rate=eta0, decay_steps=period, alpha=alpha)
    assert_matches(schedule, cosine(STEPS, eta0, period, alpha), eta0)


@pytest.mark.parametrize(
    ("eta0", "first", "t_mul", "m_mul", "alpha"),
    [
        (0.1, 500, 1.0, 1.0, 0.0),
        (0.1, 300, 2.0, 0.5, 0.0),
        (0.5, 250, 1.5, 0.8, 0.05),
        (1.0, 1000, 1.0, 0.7, 0.0),
    ],
)
def test_sgdr(eta0, first, t_mul, m_mul, alpha):
    schedule = schedules.get(
        "sgdr", learning_rate=eta0, first_decay_steps=first, t_mul=t_mul, m_mul=m_mul, alpha=alpha
    )
    assert isinstance(schedule, S.CosineDecayRestarts)
    assert_matches(schedule, sgdr(STEPS, eta0, first, t_mul, m_mul, alpha), eta0)


@pytest.mark.parametrize("mode", schedules.CYCLIC_MODES)
@pytest.mark.parametrize(
    ("base", "top", "half", "gamma"),
    [(1e-3, 6e-3, 250, 0.9995), (0.0, 0.1, 333, 0.999), (0.01, 0.01, 7, 1.0)],
)
def test_cyclic(mode, base, top, half, gamma):
    schedule = schedules.CyclicLR(base, top, half, mode=mode, gamma=gamma)
    assert_matches(schedule, cyclic(STEPS, base, top, half, mode, gamma), top)


@pytest.mark.parametrize(
    ("top", "total", "pct", "div", "final_div", "anneal"),
    [
        (0.1, 5001, 0.3, 25.0, 1e4, "cos"),
        (0.5, 4000, 0.25, 10.0, 100.0, "cos"),
        (1.0, 2000, 0.45, 25.0, 1e4, "linear"),
    ],
)
def test_one_cycle(top, total, pct, div, final_div, anneal):
    schedule = schedules.OneCycle(top, total, pct, div, final_div, anneal=anneal)
    assert_matches(schedule, one_cycle(STEPS, top, total, pct, div, final_div, anneal), top)
    rates = schedules.evaluate(schedule, total)
    assert rates[0] == pytest.approx(top / div, rel=1e-6)
    assert rates.max() == pytest.approx(top, rel=1e-6)
    assert rates[-1] == pytest.approx(top / div / final_div, rel=1e-5)


@pytest.mark.parametrize(
    ("wrapped", "oracle", "peak"),
    [
        (schedules.Constant(0.1), lambda t: np.full_like(t, 0.1), 0.1),
        (0.1, lambda t: np.full_like(t, 0.1), 0.1),
        (S.CosineDecay(0.1, 4000), lambda t: cosine(t, 0.1, 4000), 0.1),
        (schedules.StepDecay(0.2, 600), lambda t: step_decay(t, 0.2, 600), 0.2),
        (
            schedules.CyclicLR(0.02, 0.1, 200),
            lambda t: cyclic(t, 0.02, 0.1, 200, "triangular"),
            0.1,
        ),
    ],
)
@pytest.mark.parametrize(("warmup", "start"), [(1000, 0.0), (250, 0.01)])
def test_warmup_rises_linearly_then_is_the_shifted_schedule(wrapped, oracle, peak, warmup, start):
    schedule = schedules.Warmup(wrapped, warmup, initial_learning_rate=start)
    target = oracle(np.zeros(1))[0]
    ramp = start + (target - start) * STEPS / warmup
    expected = np.where(warmup > STEPS, ramp, oracle(np.maximum(STEPS - warmup, 0)))
    assert_matches(schedule, expected, peak)
    rates = schedules.evaluate(schedule, warmup + 1)
    assert np.all(np.diff(rates[:warmup]) > 0) and rates[0] == pytest.approx(start, abs=1e-9)


def test_get_with_warmup_covers_the_remaining_steps():
    schedule = schedules.get("cosine", 100, learning_rate=0.1, total_steps=1100)
    assert isinstance(schedule, schedules.Warmup)
    expected = np.where(
        STEPS < 100, 0.1 * STEPS / 100, cosine(np.maximum(STEPS - 100, 0), 0.1, 1000)
    )
    assert_matches(schedule, expected, 0.1)


@pytest.mark.parametrize("name", schedules.NAMES)
def test_every_name_builds_from_the_training_length(name):
    schedule = schedules.get(name, learning_rate=0.1, total_steps=700)
    rates = schedules.evaluate(schedule, 700)
    assert np.all(np.isfinite(rates)) and np.all(rates >= 0) and rates.max() <= 0.1 + 1e-7
    assert rates[0] > 0


def test_aliases_and_keras_classes():
    assert isinstance(
        schedules.get("inverse_time", decay_steps=10, decay_rate=1.0), S.InverseTimeDecay
    )
    assert isinstance(schedules.get("cosine_restarts", first_decay_steps=10), S.CosineDecayRestarts)
    assert isinstance(schedules.get("One-Cycle", total_steps=100), schedules.OneCycle)
    assert isinstance(schedules.get("constant", learning_rate=0.3), schedules.Constant)
    assert schedules.PiecewiseConstantDecay is S.PiecewiseConstantDecay


def test_integer_steps_of_any_width():
    schedule = schedules.CyclicLR(0.0, 1.0, 3)
    for step in (np.int64(4), np.int32(4), 4, keras.ops.convert_to_tensor(4, "int64")):
        assert float(keras.ops.convert_to_numpy(schedule(step))) == pytest.approx(2.0 / 3.0)


# ---- serialization ------------------------------------------------------------------------


def all_schedules():
    return [
        schedules.get("constant", learning_rate=0.05),
        schedules.get("step", learning_rate=0.1, step_size=7, drop=0.3),
        schedules.get("fractional", learning_rate=0.1, k=0.01),
        schedules.get("exponential", learning_rate=0.1, k=0.001),
        schedules.get("cosine", learning_rate=0.1, decay_steps=50, alpha=0.1),
        schedules.get("sgdr", learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5),
        schedules.get("cyclic", learning_rate=0.1, step_size=5, mode="triangular2"),
        schedules.CyclicLR(0.01, 0.1, 5, mode="exp_range", gamma=0.99),
        schedules.get("one_cycle", learning_rate=0.1, total_steps=60, anneal="linear"),
        schedules.get("cosine", 10, learning_rate=0.1, total_steps=60),
        schedules.Warmup(S.PiecewiseConstantDecay([20, 40], [0.1, 0.01, 0.001]), 5, 0.001),
        schedules.Warmup(0.02, 8),
    ]


def _ids(schedule):
    inner = getattr(schedule, "schedule_or_value", None)
    suffix = f"-{type(inner).__name__}" if isinstance(inner, S.LearningRateSchedule) else ""
    return f"{type(schedule).__name__}{suffix}"


@pytest.mark.parametrize("schedule", all_schedules(), ids=_ids)
def test_config_is_plain_json_and_rebuilds_the_same_schedule(schedule):
    serialized = keras.optimizers.schedules.serialize(schedule)
    text = json.dumps(serialized)  # plain values only: no callables, no tensors
    rebuilt = keras.optimizers.schedules.deserialize(json.loads(text))
    assert type(rebuilt) is type(schedule)
    np.testing.assert_array_equal(
        schedules.evaluate(rebuilt, 200), schedules.evaluate(schedule, 200)
    )
    if type(schedule).__module__ == schedules.__name__:
        assert serialized["registered_name"] == f"lecture_zoo>{type(schedule).__name__}"


@pytest.mark.parametrize("schedule", all_schedules(), ids=_ids)
def test_optimizer_holding_the_schedule_round_trips_through_keras_file(schedule, tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(
        make_optimizer("momentum", schedule), "sparse_categorical_crossentropy", run_eagerly=True
    )
    x = np.random.default_rng(0).normal(size=(48, 4)).astype("float32")
    y = np.arange(48) % 3
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # 12 steps
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    held = loaded.optimizer._learning_rate
    assert type(held) is type(schedule)
    np.testing.assert_allclose(
        schedules.evaluate(held, 100), schedules.evaluate(schedule, 100), rtol=1e-7
    )
    assert int(loaded.optimizer.iterations) == 12
    assert float(loaded.optimizer.learning_rate) == pytest.approx(
        float(model.optimizer.learning_rate)
    )
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---- other backends -----------------------------------------------------------------------

_BACKEND_SCRIPT = """
import json
import numpy as np
from zoo.training import schedules as s
built = {
    "step": s.StepDecay(0.1, 700, 0.5),
    "triangular2": s.CyclicLR(0.0, 0.1, 333, "triangular2"),
    "exp_range": s.CyclicLR(1e-3, 6e-3, 250, "exp_range", 0.9995),
    "one_cycle": s.OneCycle(0.1, 5001),
    "warmup": s.Warmup(s.get("sgdr", learning_rate=0.1, first_decay_steps=300, t_mul=2.0), 100),
    "constant": s.Constant(0.3),
}
rates = {k: s.evaluate(v, 5001).tolist() for k, v in built.items()}

# The callbacks on this backend: ScheduleCallback against the optimizer-held schedule.
import keras
from zoo.training import callbacks


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
y = (np.arange(40) % 2).astype("int32")
schedule = s.Warmup(s.CyclicLR(0.01, 0.2, 4, "triangular2"), 3)
runs = {}
drivers = (("held", schedule, []), ("driven", 0.5, [callbacks.ScheduleCallback(schedule)]))
for name, rate, extra in drivers:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.SGD(rate, momentum=0.9), "sparse_categorical_crossentropy")
    recorder = Recorder()
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                        callbacks=[*extra, callbacks.LearningRateLogger(), recorder])
    runs[name] = {"rates": recorder.rates, "logged": history.history["learning_rate"],
                  "weights": [w.tolist() for w in model.get_weights()]}
rates["callbacks"] = runs
print(json.dumps(rates))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_schedules_run_on_other_backends(backend, tmp_path):
    pytest.importorskip(backend)
    child = Child(tmp_path, f"schedules-{backend}", _BACKEND_SCRIPT, env={"KERAS_BACKEND": backend})
    raw = child.result()
    runs = raw.pop("callbacks")
    rates = {k: np.asarray(v) for k, v in raw.items()}
    assert_close = np.testing.assert_allclose
    assert_close(rates["step"], step_decay(STEPS, 0.1, 700), rtol=1e-6, atol=1e-7)
    assert_close(
        rates["triangular2"], cyclic(STEPS, 0.0, 0.1, 333, "triangular2"), rtol=1e-6, atol=1e-7
    )
    assert_close(
        rates["exp_range"],
        cyclic(STEPS, 1e-3, 6e-3, 250, "exp_range", 0.9995),
        rtol=1e-6,
        atol=6e-9,
    )
    assert_close(rates["one_cycle"], one_cycle(STEPS, 0.1, 5001), rtol=1e-6, atol=1e-7)
    shifted = sgdr(np.maximum(STEPS - 100, 0), 0.1, 300, 2.0, 1.0)
    assert_close(
        rates["warmup"], np.where(STEPS < 100, 0.1 * STEPS / 100, shifted), rtol=1e-6, atol=1e-7
    )
    assert_close(rates["constant"], np.full(5001, 0.3), rtol=1e-7)
    held, driven = runs["held"], runs["driven"]
    schedule = schedules.Warmup(schedules.CyclicLR(0.01, 0.2, 4, "triangular2"), 3)
    expected = schedules.evaluate(schedule, 15)
    assert_close(held["rates"], expected, rtol=1e-6)
    assert_close(driven["rates"], expected, rtol=1e-6)
    assert_close(driven["logged"], held["logged"], rtol=1e-6)
    assert_close(held["logged"], expected[4::5], rtol=1e-6)
    for a, b in zip(held["weights"], driven["weights"], strict=True):
        assert_close(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "phrase"),
    [
        (lambda: schedules.StepDecay(0.1, 0), "step_size must be an integer >= 1, got 0"),
        (lambda: schedules.StepDecay(0.1, -5), "step_size must be an integer >= 1, got -5"),
        (lambda: schedules.StepDecay(0.1, 10, drop=0), r"drop must be in \(0.0, 1.0\]"),
        (lambda: schedules.StepDecay(-0.1, 10), "initial_learning_rate must be in"),
        (lambda: schedules.CyclicLR(0.01, 0.1, 0), "step_size must be an integer >= 1, got 0"),
        (lambda: schedules.CyclicLR(0.1, 0.01, 10), r"max_lr must be >= base_lr \(0.1\), got 0.01"),
        (
            lambda: schedules.CyclicLR(0.01, 0.1, 10, mode="sine"),
            "mode must be one of 'triangular', 'triangular2', 'exp_range'",
        ),
        (lambda: schedules.CyclicLR(0.01, 0.1, 10, gamma=1.5), r"gamma must be in \(0.0, 1.0\]"),
        (lambda: schedules.Warmup(0.1, -1), "warmup_steps must be an integer >= 0, got -1"),
        (lambda: schedules.Warmup("fast", 10), "schedule_or_value must be a finite number"),
        (lambda: schedules.OneCycle(0.1, 1), "total_steps must be an integer >= 2, got 1"),
        (lambda: schedules.OneCycle(0.1, 100, pct_start=1.0), r"pct_start must be in \(0.0, 1.0\)"),
        (
            lambda: schedules.OneCycle(0.1, 3, pct_start=0.3),
            "pct_start \\* total_steps must be > 1",
        ),
        (
            lambda: schedules.OneCycle(0.1, 100, anneal="cosine"),
            "anneal must be one of 'cos', 'linear'",
        ),
        (lambda: schedules.get("warm"), "schedule must be one of 'constant', 'step', 'fractional'"),
        (
            lambda: schedules.get("step", warmup_steps=-3, step_size=10),
            "warmup_steps must be an integer >= 0, got -3",
        ),
        (lambda: schedules.get("step", step_size=0), "step_size must be a number > 0, got 0"),
        (
            lambda: schedules.get("cosine", decay_steps=-10),
            "decay_steps must be a number > 0, got -10",
        ),
        (
            lambda: schedules.get("sgdr", first_decay_steps=0),
            "first_decay_steps must be a number > 0",
        ),
        (
            lambda: schedules.get("cyclic", learning_rate=0.1, base_lr=0.5, step_size=4),
            r"max_lr must be >= base_lr",
        ),
        (
            lambda: schedules.get("cosine"),
            r"schedule 'cosine' needs decay_steps= \(or total_steps=",
        ),
        (
            lambda: schedules.get("step", step_size=10, drops=0.1),
            "unknown argument.*drops; allowed: initial_learning_rate, step_size, drop",
        ),
        (
            lambda: schedules.get("cosine", 50, total_steps=50),
            r"warmup_steps \(50\) must be smaller than total_steps \(50\)",
        ),
        (lambda: schedules.get("constant", learning_rate=0), "learning_rate must be in"),
        (
            lambda: make_optimizer("adagrad"),
            "optimizer must be one of 'sgd', 'momentum', 'nesterov'",
        ),
        (lambda: schedules.evaluate(0.1, 10), "schedule must be a keras.optimizers.schedules"),
    ],
)
def test_bad_input_names_the_argument_and_the_allowed_values(build, phrase):
    with pytest.raises(ValueError, match=phrase):
        build()


@pytest.mark.parametrize("name", ["step", "sgdr", "cyclic"])
@pytest.mark.parametrize("total_steps", [200, 2000, 7])
def test_derived_lengths_never_restart_or_drop_in_the_last_steps(name, total_steps):
    rates = schedules.evaluate(
        schedules.get(name, learning_rate=0.1, total_steps=total_steps), total_steps
    )
    expected_changes = {"step": 2, "sgdr": 2, "cyclic": 7}[name]
    if name == "step":
        assert len(set(np.round(rates, 12))) == expected_changes + 1
    elif name == "sgdr":
        restarts = np.flatnonzero(np.diff(rates) > 0)  # the rate jumps back up at a restart
        assert len(restarts) <= expected_changes
        assert rates[-1] < 0.5 * rates[0]  # the run ends low, not at a restart's peak
    else:
        turns = np.flatnonzero(np.diff(np.sign(np.diff(rates))) != 0)
        assert len(turns) <= expected_changes
