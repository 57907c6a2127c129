"""Learning-rate schedules of the lectures (003, "Learning Rate Schedules" and "Other Learning
rate strategies"), evaluated per optimizer step ``t``.

Keras already computes four of the lecture formulas; they are re-exported here unchanged:

- fractional decay eta0 / (1 + k t): ``InverseTimeDecay(eta0, decay_steps=1, decay_rate=k)``;
- exponential decay eta0 e^(-k t): ``ExponentialDecay(eta0, decay_steps=1/k, decay_rate=1/e)``
  (Keras computes eta0 * decay_rate^(t / decay_steps));
- cosine decay and cosine with warm restarts (SGDR, Loshchilov & Hutter 2017): ``CosineDecay``,
  ``CosineDecayRestarts``;
- ``PiecewiseConstantDecay`` for hand-written step tables.

This module adds what Keras lacks: `Constant`, `StepDecay` (eta0 * drop^floor(t / T)), `CyclicLR`
(Smith 2015), `Warmup` (Goyal et al. 2017) and `OneCycle` (Smith 2018), plus `get` to build any of
them by its lecture name. Every schedule is a ``keras.optimizers.schedules.LearningRateSchedule``
registered under the package ``lecture_zoo`` whose ``get_config`` holds plain values only, so an
optimizer holding one survives a ``.keras`` save and load. The step is cast to float before any
power or division, and only ``keras.ops`` is used, so the schedules run on the TensorFlow, JAX and
torch backends and accept a whole vector of steps at once.

Example::

    schedule = zoo.training.schedules.get("cosine", learning_rate=0.1, total_steps=5000,
                                          warmup_steps=500)
    optimizer = keras.optimizers.SGD(schedule, momentum=0.9)
"""

from __future__ import annotations

import math
import numbers

import keras
import numpy as np
from keras import ops

from zoo.validation import check_choice, check_image_path, check_number, check_positive_int

LearningRateSchedule = keras.optimizers.schedules.LearningRateSchedule
ExponentialDecay = keras.optimizers.schedules.ExponentialDecay
InverseTimeDecay = keras.optimizers.schedules.InverseTimeDecay
CosineDecay = keras.optimizers.schedules.CosineDecay
CosineDecayRestarts = keras.optimizers.schedules.CosineDecayRestarts
PiecewiseConstantDecay = keras.optimizers.schedules.PiecewiseConstantDecay

CYCLIC_MODES = ("triangular", "triangular2", "exp_range")
ONE_CYCLE_ANNEALING = ("cos", "linear")


def _float_step(step):
    """The step as a float tensor (int64 steps must never reach a power or a division)."""
    return ops.cast(ops.convert_to_tensor(step), keras.config.floatx())


def _power(base: float, exponent):
    """base^exponent for a Python float base in (0, 1] and a float tensor exponent.

    A base that float32 cannot hold exactly (0.999) is raised as exp(exponent * log(base)) with
    the log taken in double precision; raising the rounded base would multiply its rounding
    error by the exponent (3e-4 relative after 5,000 steps).
    """
    if float(np.float32(base)) == base:
        return ops.power(base, exponent)
    return ops.exp(exponent * math.log(base))


def _serializable(cls):
    return keras.saving.register_keras_serializable(package="lecture_zoo")(cls)


@_serializable
class Constant(LearningRateSchedule):
    """A constant learning rate eta(t) = eta0, as a schedule (so that `Warmup` can wrap it).

    Args:
        learning_rate: the value eta0 > 0.

    Example: ``Constant(0.01)(1000)`` is 0.01.
    """

    def __init__(self, learning_rate):
        super().__init__()
        self.learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)

    def __call__(self, step):
        return ops.ones_like(_float_step(step)) * self.learning_rate

    def get_config(self):
        return {"learning_rate": self.learning_rate}


@_serializable
class StepDecay(LearningRateSchedule):
    """Step decay (lecture 003): eta(t) = eta0 * drop^floor(t / T); the lecture halves (drop 1/2).

    Args:
        initial_learning_rate: eta0 > 0.
        step_size: T, the number of steps between drops (an integer >= 1).
        drop: the factor applied every T steps, in (0, 1].

    Example: ``StepDecay(0.1, step_size=1000)`` gives 0.1, then 0.05 from step 1000, 0.025 ...
    """

    def __init__(self, initial_learning_rate, step_size, drop=0.5):
        super().__init__()
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0, low_open=True
        )
        self.step_size = check_positive_int("step_size", step_size)
        self.drop = check_number("drop", drop, low=0.0, high=1.0, low_open=True)

    def __call__(self, step):
        t = _float_step(step)
        drops = ops.floor(t / float(self.step_size))
        return self.initial_learning_rate * _power(self.drop, drops)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "step_size": self.step_size,
            "drop": self.drop,
        }


@_serializable
class CyclicLR(LearningRateSchedule):
    """Cyclical learning rates (L. N. Smith, arXiv:1506.01186, 2015).

    With cycle = floor(1 + t / (2 s)) and x = |t / s - 2 cycle + 1|,
    eta(t) = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale, where scale is 1
    (``triangular``), 1 / 2^(cycle - 1) (``triangular2``: the amplitude halves every cycle) or
    gamma^t (``exp_range``). A cycle lasts 2 s steps; Smith suggests s = 2-10 epochs of steps.

    Args:
        base_lr: the lower bound, >= 0.
        max_lr: the upper bound, >= base_lr.
        step_size: s, the steps of one half cycle (an integer >= 1).
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: the per-step factor of ``exp_range``, in (0, 1].

    Example: ``CyclicLR(1e-3, 6e-3, step_size=2000, mode="triangular2")``.
    """

    def __init__(self, base_lr, max_lr, step_size, mode="triangular", gamma=1.0):
        super().__init__()
        self.base_lr = check_number("base_lr", base_lr, low=0.0)
        self.max_lr = check_number("max_lr", max_lr, low=0.0, low_open=True)
        if self.max_lr < self.base_lr:
            raise ValueError(f"max_lr must be >= base_lr ({base_lr!r}), got {max_lr!r}.")
        self.step_size = check_positive_int("step_size", step_size)
        self.mode = check_choice("mode", mode, CYCLIC_MODES)
        self.gamma = check_number("gamma", gamma, low=0.0, high=1.0, low_open=True)

    def __call__(self, step):
        t = _float_step(step)
        s = float(self.step_size)
        cycle = ops.floor(1.0 + t / (2.0 * s))
        # 1 - x = (s - |t - (2 cycle - 1) s|) / s: the differences are exact in floating point
        # for integer steps, so values near base_lr keep their relative precision.
        distance = ops.abs(t - (2.0 * cycle - 1.0) * s)
        height = (self.max_lr - self.base_lr) * ops.maximum(0.0, s - distance) / s
        if self.mode == "triangular2":
            height = height / ops.power(2.0, cycle - 1.0)
        elif self.mode == "exp_range":
            height = height * _power(self.gamma, t)
        return self.base_lr + height

    def get_config(self):
        return {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "step_size": self.step_size,
            "mode": self.mode,
            "gamma": self.gamma,
        }


@_serializable
class Warmup(LearningRateSchedule):
    """Linear warmup (Goyal et al. 2017, "Accurate, Large Minibatch SGD", arXiv:1706.02677).

    For t < W: eta(t) = eta_init + (target - eta_init) * t / W with target = wrapped(0); from
    t = W on: eta(t) = wrapped(t - W), the wrapped schedule shifted by the warmup length.

    Args:
        schedule_or_value: the schedule (or constant learning rate) to reach after warmup.
        warmup_steps: W, an integer >= 0 (0 leaves the wrapped schedule unchanged).
        initial_learning_rate: eta_init, the value at step 0 (>= 0).

    Example: ``Warmup(keras.optimizers.schedules.CosineDecay(0.1, 9000), warmup_steps=1000)``.
    """

    def __init__(self, schedule_or_value, warmup_steps, initial_learning_rate=0.0):
        super().__init__()
        if isinstance(schedule_or_value, dict):
            schedule_or_value = keras.optimizers.schedules.deserialize(schedule_or_value)
        if not isinstance(schedule_or_value, LearningRateSchedule):
            schedule_or_value = check_number(
                "schedule_or_value", schedule_or_value, low=0.0, low_open=True
            )
        self.schedule_or_value = schedule_or_value
        self.warmup_steps = check_positive_int("warmup_steps", warmup_steps, minimum=0)
        self.initial_learning_rate = check_number(
            "initial_learning_rate", initial_learning_rate, low=0.0
        )

    def _wrapped(self, t):
        if isinstance(self.schedule_or_value, LearningRateSchedule):
            return ops.cast(self.schedule_or_value(t), keras.config.floatx())
        return ops.ones_like(t) * self.schedule_or_value

    def __call__(self, step):
        t = _float_step(step)
        warmup = float(self.warmup_steps)
        after = self._wrapped(ops.maximum(t - warmup, 0.0))
        if not self.warmup_steps:
            return after
        target = self._wrapped(ops.zeros_like(t))
        ramp = self.initial_learning_rate + (target - self.initial_learning_rate) * (t / warmup)
        return ops.where(t < warmup, ramp, after)

    def get_config(self):
        wrapped = self.schedule_or_value
        if isinstance(wrapped, LearningRateSchedule):
            wrapped = keras.optimizers.schedules.serialize(wrapped)
        return {
            "schedule_or_value": wrapped,
            "warmup_steps": self.warmup_steps,
            "initial_learning_rate": self.initial_learning_rate,
        }


@_serializable
class OneCycle(LearningRateSchedule):
    """The one-cycle policy (L. N. Smith, arXiv:1803.09820, 2018), two-phase as PyTorch's.

    With eta_start = max_lr / div_factor, eta_end = eta_start / final_div_factor,
    a = pct_start * total_steps - 1 and b = total_steps - 1: the rate rises from eta_start at
    t = 0 to max_lr at t = a, then anneals to eta_end at t = b and stays there. ``anneal="cos"``
    interpolates with (1 - cos(pi p)) / 2 (p the fraction of the phase done, PyTorch's
    ``OneCycleLR`` default), ``"linear"`` linearly (Smith's paper). Pair it with momentum cycling
    in the opposite direction if the optimizer allows; here only the rate is scheduled.

    Args:
        max_lr: the peak rate, > 0.
        total_steps: the number of training steps (an integer >= 2).
        pct_start: the fraction of the steps spent rising, in (0, 1); pct_start * total_steps
            must exceed 1.
        div_factor: max_lr / eta_start, >= 1.
        final_div_factor: eta_start / eta_end, >= 1.
        anneal: ``"cos"`` or ``"linear"``.

    Example: ``OneCycle(0.1, total_steps=epochs * steps_per_epoch)``.
    """

    def __init__(
        self,
        max_lr,
        total_steps,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal="cos",
    ):
        super().__init__()
        self.max_lr = check_number("max_lr", max_lr, low=0.0, low_open=True)
        self.total_steps = check_positive_int("total_steps", total_steps, minimum=2)
        self.pct_start = check_number(
            "pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True
        )
        if self.pct_start * self.total_steps <= 1.0:
            raise ValueError(
                "pct_start * total_steps must be > 1 so that the rate has a step to rise, got "
                f"pct_start={pct_start!r}, total_steps={total_steps!r}."
            )
        self.div_factor = check_number("div_factor", div_factor, low=1.0)
        self.final_div_factor = check_number("final_div_factor", final_div_factor, low=1.0)
        self.anneal = check_choice("anneal", anneal, ONE_CYCLE_ANNEALING)

    def _interpolate(self, start, end, done, left):
        """start -> end; ``done`` and ``left`` (= 1 - done) are computed separately so that
        neither end of a phase loses precision to cancellation."""
        if self.anneal == "linear":
            return start * left + end * done
        # (1 - cos(pi p)) / 2 = sin^2(pi p / 2) and (1 + cos(pi p)) / 2 = sin^2(pi (1 - p) / 2).
        return end * ops.square(ops.sin(0.5 * math.pi * done)) + start * ops.square(
            ops.sin(0.5 * math.pi * left)
        )

    def __call__(self, step):
        t = _float_step(step)
        start = self.max_lr / self.div_factor
        end = start / self.final_div_factor
        peak_step = self.pct_start * self.total_steps - 1.0
        last_step = float(self.total_steps - 1)
        up = self._interpolate(
            start,
            self.max_lr,
            ops.clip(t / peak_step, 0.0, 1.0),
            ops.clip((peak_step - t) / peak_step, 0.0, 1.0),
        )
        length = last_step - peak_step
        down = self._interpolate(
            self.max_lr,
            end,
            ops.clip((t - peak_step) / length, 0.0, 1.0),
            ops.clip((last_step - t) / length, 0.0, 1.0),
        )
        return ops.where(t <= peak_step, up, down)

    def get_config(self):
        return {
            "max_lr": self.max_lr,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal": self.anneal,
        }


# name -> (class, arguments the class accepts). Lecture names first, Keras names as aliases.
_SCHEDULES = {
    "constant": (Constant, ("learning_rate",)),
    "step": (StepDecay, ("initial_learning_rate", "step_size", "drop")),
    "fractional": (
        InverseTimeDecay,
        ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "k"),
    ),
    "exponential": (
        ExponentialDecay,
        ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "k"),
    ),
    "cosine": (CosineDecay, ("initial_learning_rate", "decay_steps", "alpha")),
    "sgdr": (
        CosineDecayRestarts,
        ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha"),
    ),
    "cyclic": (CyclicLR, ("base_lr", "max_lr", "step_size", "mode", "gamma")),
    "one_cycle": (
        OneCycle,
        ("max_lr", "total_steps", "pct_start", "div_factor", "final_div_factor", "anneal"),
    ),
}
ALIASES = {"inverse_time": "fractional", "cosine_restarts": "sgdr", "onecycle": "one_cycle"}
NAMES = tuple(_SCHEDULES)


def _length_defaults(name: str, steps: int | None) -> dict:
    """Lengths derived from the training length (after warmup) when the caller gives none.

    Rounded up, so that the last drop, restart or cycle never starts inside the run's final
    steps (``steps // 7`` for SGDR would restart at the peak rate just before the end).
    """
    if steps is None:
        return {}
    return {
        "step": {"step_size": max(1, -(-steps // 3))},
        "fractional": {"decay_steps": steps, "decay_rate": 9.0},
        "exponential": {"decay_steps": steps, "decay_rate": 0.01},
        "cosine": {"decay_steps": steps},
        "sgdr": {"first_decay_steps": max(1, -(-steps // 7)), "t_mul": 2.0},
        "cyclic": {"step_size": max(1, -(-steps // 8))},
        "one_cycle": {"total_steps": max(2, steps)},
    }.get(name, {})


_REQUIRED_LENGTH = {
    "step": "step_size",
    "fractional": "decay_steps",
    "exponential": "decay_steps",
    "cosine": "decay_steps",
    "sgdr": "first_decay_steps",
    "cyclic": "step_size",
    "one_cycle": "total_steps",
}


def get(
    name: str,
    warmup_steps: int = 0,
    *,
    learning_rate: float = 0.01,
    total_steps: int | None = None,
    warmup_initial_learning_rate: float = 0.0,
    **kwargs,
) -> LearningRateSchedule:
    """Build a schedule by its lecture name, optionally behind a linear `Warmup`.

    Names: ``constant``, ``step``, ``fractional`` (alias ``inverse_time``), ``exponential``,
    ``cosine``, ``sgdr`` (alias ``cosine_restarts``), ``cyclic``, ``one_cycle``. ``kwargs`` are
    the arguments of the schedule's class (e.g. ``drop=`` for ``step``, ``t_mul=``/``m_mul=`` for
    ``sgdr``, ``mode=`` for ``cyclic``); ``fractional`` and ``exponential`` also take the lecture's
    ``k`` (eta0 / (1 + k t) and eta0 e^(-k t)).

    Args:
        name: the schedule's name.
        warmup_steps: W >= 0; when positive the schedule is wrapped in `Warmup` and the decay
            lengths derived from ``total_steps`` cover the ``total_steps - W`` steps after it.
        learning_rate: the peak rate: ``initial_learning_rate`` of the decays, ``max_lr`` of
            ``cyclic`` (whose ``base_lr`` defaults to a tenth of it) and ``one_cycle``.
        total_steps: the training length; fills the lengths not given (``step``: a drop every
            third, ``fractional`` and ``exponential``: a tenth and a hundredth of the rate at the
            end, ``cosine``: one decay, ``sgdr``: cycles of 1, 2 and 4 sevenths, ``cyclic``: four
            cycles, ``one_cycle``: all of it).
        warmup_initial_learning_rate: the rate at step 0 of the warmup.
        **kwargs: the class's own arguments; they override the defaults above.

    Example: ``get("sgdr", learning_rate=0.1, first_decay_steps=1000, t_mul=2.0, m_mul=0.8)``.
    """
    if not isinstance(name, str):
        raise ValueError(f"schedule must be a name such as 'cosine', got {name!r}.")
    canonical = ALIASES.get(name.lower().replace("-", "_"), name.lower().replace("-", "_"))
    check_choice("schedule", canonical, NAMES + tuple(ALIASES))
    cls, allowed = _SCHEDULES[canonical]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown argument(s) for schedule {canonical!r}: {', '.join(unknown)}; allowed: "
            f"{', '.join(allowed)}, warmup_steps, learning_rate, total_steps."
        )
    warmup_steps = check_positive_int("warmup_steps", warmup_steps, minimum=0)
    learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    after_warmup = None
    if total_steps is not None:
        total_steps = check_positive_int("total_steps", total_steps)
        if total_steps <= warmup_steps:
            raise ValueError(
                f"warmup_steps ({warmup_steps}) must be smaller than total_steps ({total_steps})."
            )
        after_warmup = total_steps - warmup_steps
    arguments = _length_defaults(canonical, after_warmup)
    peak = "max_lr" if canonical in ("cyclic", "one_cycle") else "initial_learning_rate"
    arguments[peak] = learning_rate
    if canonical == "constant":
        arguments = {"learning_rate": learning_rate}
    if canonical == "cyclic":
        arguments["base_lr"] = learning_rate / 10.0
    if "k" in kwargs:
        k = check_number("k", kwargs.pop("k"), low=0.0, low_open=True)
        if canonical == "fractional":
            arguments.update(decay_steps=1, decay_rate=k)
        else:
            arguments.update(decay_steps=1.0 / k, decay_rate=math.exp(-1.0))
    arguments.update(kwargs)
    length = _REQUIRED_LENGTH.get(canonical)
    if length is not None:
        if length not in arguments:
            raise ValueError(
                f"schedule {canonical!r} needs {length}= (or total_steps= to derive it)."
            )
        value = arguments[length]
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
            raise ValueError(f"{length} must be a number > 0, got {value!r}.")
    schedule = cls(**arguments)
    if warmup_steps:
        schedule = Warmup(schedule, warmup_steps, warmup_initial_learning_rate)
    return schedule


def evaluate(schedule, num_steps: int) -> np.ndarray:
    """The learning rates of steps 0 .. num_steps - 1 as a float64 numpy array.

    Example: ``evaluate(get("cosine", total_steps=100), 100)[-1]``.
    """
    num_steps = check_positive_int("num_steps", num_steps)
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(
            f"schedule must be a keras.optimizers.schedules.LearningRateSchedule, got {schedule!r}."
        )
    steps = np.arange(num_steps, dtype=np.float32)
    values = ops.convert_to_numpy(schedule(steps))
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (num_steps,)).copy()


def plot(schedule, num_steps: int, path, *, title: str | None = None):
    """Draw the learning rate of steps 0 .. num_steps - 1 into an image file (matplotlib, Agg).

    Example: ``plot(get("sgdr", total_steps=7000), 7000, "sgdr.png")``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    values = evaluate(schedule, num_steps)
    figure = Figure(figsize=(6, 3.5))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.plot(np.arange(num_steps), values)
    axes.set_xlabel("step")
    axes.set_ylabel("learning rate")
    axes.set_title(title or type(schedule).__name__)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(check_image_path("path", path))
    return path
