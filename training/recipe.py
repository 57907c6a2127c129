"""The training recipe: how a zoo model is compiled and scheduled for a run, in one place.

`zoo.training.fit`, the keras-tuner hypermodel (`zoo.tuning.hypermodel`) and the ``zoo train``
command all train through these functions, so a model trains the same way whoever calls it:

- `make_optimizer`: the optimizer by its lecture name (seed 003, "Optimizers"; seed 001,
  "Momentum"), at its default rate (`DEFAULT_LEARNING_RATES`) unless told otherwise;
- `attach_weight_penalty` / `WeightPenalty`: the lectures' regularisation, an L2 penalty
  lambda/2 ||W||^2 and an L1 penalty lambda ||W||_1 on the weights W (kernels) only;
- `default_loss`: cross-entropy matched to the model's output (probabilities or logits) and to
  the labels (class ids or one-hot), or mean squared error for the regression tasks
  (`REGRESSION_TASKS`), with the metric each logs (`metrics_for`);
- `run_schedule`: a learning-rate schedule from its name and the run's length (epochs x batches
  per epoch), behind an optional linear warmup;
- `compile_model`: the optimizer (with loss scaling under ``mixed_float16``), loss and metrics;
- `run_callbacks`: the safety nets of every run: the learning rate in the logs
  (`LearningRateLogger`), ``TerminateOnNaN``, and a `ScheduleCallback` where the schedule is
  driven from outside the optimizer.

The optimizers, as the notes write them (g = the gradient of the cost at p, t = 1, 2, ... the
step), with the Keras class each is and its default rate (`DEFAULT_LEARNING_RATES`);
``tests/training/test_optimizers.py`` checks every one step by step against a NumPy
transcription of the notes' formula, in float64:

- ``sgd``: p <- p - eta g. ``keras.optimizers.SGD(momentum=0)``, 0.01.
- ``momentum``: v <- gamma v - eta g; p <- p + v. ``SGD(momentum=gamma)`` (the same update),
  0.01, gamma 0.9.
- ``nesterov``: p~ = p + gamma v; v <- gamma v - eta grad C(p~); p <- p + v.
  ``SGD(momentum=gamma, nesterov=True)``, 0.01 (it stores p~, below).
- ``rmsprop``: v <- rho v + (1 - rho) g^2; p <- p - eta g / (sqrt(v) + eps).
  ``RMSprop(rho=0.9)``, 0.001.
- ``adam``: v1 <- rho1 v1 + (1 - rho1) g; v2 <- rho2 v2 + (1 - rho2) g^2; vi~ = vi / (1 -
  rhoi^t); p <- p - eta v1~ / (sqrt(v2~) + eps). ``Adam(beta_1=0.9, beta_2=0.999)``, 0.001.
- ``adamax``: m as Adam's v1; u <- max(beta2 u, |g|); p <- p - eta m / ((1 - beta1^t) u).
  ``Adamax(beta_1=0.9, beta_2=0.999)``, 0.002.
- ``adadelta``: E[g^2] <- rho E[g^2] + (1 - rho) g^2; D = -sqrt(E[D^2] + eps) / sqrt(E[g^2] +
  eps) g; E[D^2] <- rho E[D^2] + (1 - rho) D^2; p <- p + D. ``Adadelta(rho=0.95)`` with
  ``learning_rate=1.0`` (the rule has no rate).

Where Keras differs from the notes (each difference is tested):

- ``nesterov``: Keras stores the look-ahead point. Its variable q is the notes' p~ = p + gamma v
  and its momentum slot is the notes' v; its update m <- gamma m - eta grad C(q),
  q <- q + gamma m - eta grad C(q) is the notes' update rewritten for q (q_{t+1} = p_{t+1} +
  gamma v_{t+1}), so the gradient is taken where the notes take it. The notes' p is
  ``variable - gamma * momentum_slot``; both start at the same point (v = 0).
- ``rmsprop``: Keras puts epsilon (1e-7) inside the root, g / sqrt(v + eps); the notes write
  g / (sqrt(v) + eps). Same rho 0.9. The notes give no rate; Keras' 0.001 (Hinton's) is used.
- ``adam``: Keras folds the bias corrections into the step, eta sqrt(1-rho2^t)/(1-rho1^t) v1 /
  (sqrt(v2) + eps): the notes' formula exactly, with the notes' epsilon at step t equal to
  Keras' 1e-7 / sqrt(1 - rho2^t) (Keras' 1e-7 is Kingma & Ba's "epsilon hat", section 2).
- ``adamax``: Keras adds epsilon (1e-7) to u, m / ((1 - beta1^t) (u + eps)); the notes' rate
  0.002 is used (Keras' own default is 0.001).
- ``adadelta``: the notes' rule has no learning rate; Keras multiplies the step by
  ``learning_rate`` (its default 0.001), so the zoo passes 1.0, Zeiler's exact form. rho is
  Keras' 0.95, the value of Zeiler's paper (the notes say "around 0.9"); epsilon 1e-7 (the
  paper's 1e-6).

Precision: Keras holds the rate in a float32 variable and casts gamma and the betas of the
bias corrections (beta^t) through float32, so a float64 run follows the notes' float64 formula
with those constants rounded to float32 (0.9 -> 0.89999998).

``momentum`` applies to ``momentum`` and ``nesterov`` only. ``sgd`` is plain SGD, so a
momentum other than its default is refused there (0.0 is accepted: it says the same), and so
is any non-default momentum with the adaptive optimizers (their moments are their own).

Regularisation, two ways:

- The lectures' penalty (seed 001: J = E + lambda/2 sum w^2 "on w, not necessary on b";
  seed 003 writes C + lambda ||W||^2 with gradient 2 lambda W, i.e. its lambda is half of
  seed 001's): `attach_weight_penalty(model, l2=, l1=)`, which `fit(l2=..., l1=...)` uses. It is
  added to the cost, so every optimizer sees the gradient g + l2 W + l1 sign(W); for plain SGD
  the step is eta (g + l2 W). The weights are the trainable kernels (`is_weight`: Dense, Conv,
  depthwise/pointwise, recurrent kernels), not biases, BatchNormalization's gamma/beta,
  embeddings or peephole vectors.
- Keras' decoupled weight decay (``weight_decay``): every step shrinks the weights, p <- p -
  eta lambda p, next to the optimizer's own update from the gradient g of the cost alone
  (taken at the old p). For plain SGD that is the L2 penalty above with lambda = weight_decay
  (p <- p - eta (g + lambda p), the same step); for momentum it is not (the penalty's gradient
  would enter the velocity and be amplified by 1/(1 - gamma)), and for Adam it is AdamW
  (Loshchilov & Hutter 2019), not Adam with an L2 penalty (which the moments would rescale).
  The zoo decays the weights the penalty covers, the kernels (``exclude_from_weight_decay``
  for every other variable), as seed 001 says of weight decay; Keras alone decays every
  variable, biases included.

``clipnorm`` is Keras' per-variable gradient clipping: each variable's gradient is rescaled to
norm at most ``clipnorm`` before the step.
"""

from __future__ import annotations

import re

import keras

from zoo.training import callbacks as callbacks_lib
from zoo.training import checks
from zoo.training import schedules as schedules_lib
from zoo.validation import check_choice, check_number, check_positive_int

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamax", "adadelta")

DEFAULT_LEARNING_RATES = {
    "sgd": 0.01,
    "momentum": 0.01,
    "nesterov": 0.01,
    "rmsprop": 0.001,
    "adam": 0.001,
    "adamax": 0.002,
    "adadelta": 1.0,
}
"""Each optimizer's default rate: seed 003's (Adam 0.001, AdaMax 0.002, Adadelta none, i.e.
Keras' multiplier 1.0), 0.01 for the SGD family (Keras' SGD default, seed 001's "small enough
constant learning rate"), Keras' 0.001 for RMSprop (the notes give none)."""

DEFAULT_MOMENTUM = 0.9
"""gamma of ``momentum`` and ``nesterov`` (seed 001 and 003: "typically ~ 0.9")."""

MOMENTUM_OPTIMIZERS = ("momentum", "nesterov")
"""The optimizers that take ``momentum``."""

WEIGHT_NAME = r"kernel(:\d+)?$"
"""A variable is a weight W (penalised, decayed) when its name ends with ``kernel``: Keras'
kernel, recurrent_kernel, depthwise_kernel and pointwise_kernel (``:0`` is the suffix of the
TensorFlow variable's name, which is what Keras' weight-decay exclusion sees there)."""

REGRESSION_TASKS = ("autoencoder", "q_values")
"""Tasks trained with mean squared error (and logging ``mae``); the others use cross-entropy
matched to the model's output and log ``accuracy``."""


def default_learning_rate(optimizer) -> float:
    """The default rate of a lecture optimizer (`DEFAULT_LEARNING_RATES`), or of an optimizer
    instance its own current rate (a float; a schedule's value at step 0).

    Example: ``default_learning_rate("adamax")`` -> 0.002.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        rate = optimizer._learning_rate
        if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
            return float(keras.ops.convert_to_numpy(rate(0)))
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    check_choice("optimizer", optimizer, OPTIMIZERS)
    return DEFAULT_LEARNING_RATES[optimizer]


def _check_momentum(name: str, momentum) -> float:
    """``momentum`` for optimizer ``name``: gamma of momentum/nesterov, else refused unless it
    is the default (or 0.0 for plain SGD)."""
    if momentum is None:
        return DEFAULT_MOMENTUM if name in MOMENTUM_OPTIMIZERS else 0.0
    momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
    if name in MOMENTUM_OPTIMIZERS:
        return momentum
    if momentum == DEFAULT_MOMENTUM or (name == "sgd" and momentum == 0.0):
        return 0.0
    if name == "sgd":
        raise ValueError(
            f"momentum={momentum} does not apply to optimizer 'sgd', which is plain SGD "
            "(p <- p - eta grad); use optimizer='momentum' (or 'nesterov') for SGD with "
            "momentum."
        )
    raise ValueError(
        f"momentum={momentum} applies to optimizers 'momentum' and 'nesterov' only, not to "
        f"{name!r}, whose moments are its own (pass an optimizer instance to change them)."
    )


def is_weight(variable) -> bool:
    """Whether ``variable`` is a weight W of the lectures (a kernel: `WEIGHT_NAME`), which the
    penalty and the weight decay act on; biases, BatchNormalization's gamma and beta,
    embeddings and peephole vectors are not."""
    return re.search(WEIGHT_NAME, variable.name) is not None


def penalized_weights(model: keras.Model) -> list:
    """The trainable weights of ``model`` that `attach_weight_penalty` penalises (`is_weight`)."""
    return [v for v in model.trainable_variables if is_weight(v)]


def make_optimizer(
    name,
    learning_rate=None,
    *,
    momentum=DEFAULT_MOMENTUM,
    weight_decay: float = 0.0,
    clipnorm=None,
) -> keras.optimizers.Optimizer:
    """A Keras optimizer from its lecture name (seed 003, "Optimizers"; module docstring).

    Args:
        name: ``sgd`` (plain SGD), ``momentum``, ``nesterov``, ``rmsprop``, ``adam``,
            ``adamax``, ``adadelta``; an optimizer instance is returned unchanged (then
            ``momentum``, ``weight_decay`` and ``clipnorm`` must stay at their defaults).
        learning_rate: a float > 0 or a ``LearningRateSchedule``; None: the optimizer's
            default (`DEFAULT_LEARNING_RATES`).
        momentum: gamma of ``momentum`` / ``nesterov`` (default 0.9). With another optimizer
            it must stay at its default (0.0 is accepted with ``sgd``); None is the default.
        weight_decay: Keras' decoupled decay p <- p - eta lambda p of the kernels every step
            (equal to the L2 penalty lambda/2 ||W||^2 for plain SGD only).
        clipnorm: clip each variable's gradient to this norm (None: no clipping).

    Example: ``make_optimizer("nesterov", 0.05, momentum=0.95)``.
    """
    if isinstance(name, keras.optimizers.Optimizer):
        changed = [
            key
            for key, value, default in (
                ("momentum", momentum, DEFAULT_MOMENTUM),
                ("weight_decay", weight_decay, 0.0),
                ("clipnorm", clipnorm, None),
            )
            if value is not None and value != default
        ]
        if changed:
            raise ValueError(
                f"{', '.join(changed)} cannot be applied to an optimizer instance "
                f"({type(name).__name__}); set it on the instance, or pass the optimizer by "
                "name."
            )
        return name
    check_choice("optimizer", name, OPTIMIZERS)
    if learning_rate is None:
        learning_rate = DEFAULT_LEARNING_RATES[name]
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        # a float, as Keras requires (a NumPy float is refused by its optimizers)
        learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    momentum = _check_momentum(name, momentum)
    decay = check_number("weight_decay", weight_decay, low=0.0) or None
    if clipnorm is not None:
        clipnorm = check_number("clipnorm", clipnorm, low=0.0, low_open=True)
    common = {"weight_decay": decay, "clipnorm": clipnorm}
    if name in ("sgd", "momentum", "nesterov"):
        optimizer = keras.optimizers.SGD(
            learning_rate, momentum=momentum, nesterov=name == "nesterov", **common
        )
    elif name == "rmsprop":
        optimizer = keras.optimizers.RMSprop(learning_rate, rho=0.9, **common)
    elif name == "adam":
        optimizer = keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.999, **common)
    elif name == "adamax":
        optimizer = keras.optimizers.Adamax(learning_rate, beta_1=0.9, beta_2=0.999, **common)
    else:
        optimizer = keras.optimizers.Adadelta(learning_rate, rho=0.95, **common)
    if decay:
        # Decay the weights only (seed 001: weight decay "on w, not necessary on b"): Keras
        # excludes the variables whose name this pattern matches: every name that is not a
        # kernel's.
        optimizer.exclude_from_weight_decay(var_names=[rf"^(?!.*{WEIGHT_NAME})"])
    return optimizer


@keras.saving.register_keras_serializable(package="lecture_zoo")
class WeightPenalty(keras.regularizers.Regularizer):
    """The lectures' weight penalty: ``l2 / 2 * sum(W**2) + l1 * sum(|W|)``.

    Seed 001 writes J = E + lambda/2 ||W||^2 (gradient g + lambda W); ``l1`` adds the L1
    penalty lambda ||W||_1 (gradient lambda sign(W)); both together are the elastic net.
    Keras' own ``keras.regularizers.L2(l2)`` is ``l2 * sum(W**2)`` (no 1/2): this is
    ``L1L2(l1=l1, l2=l2 / 2)``.
    """

    def __init__(self, l2: float = 0.0, l1: float = 0.0):
        self.l2 = check_number("l2", l2, low=0.0)
        self.l1 = check_number("l1", l1, low=0.0)

    def __call__(self, x):
        penalty = 0.0
        if self.l2:
            penalty += 0.5 * self.l2 * keras.ops.sum(keras.ops.square(x))
        if self.l1:
            penalty += self.l1 * keras.ops.sum(keras.ops.abs(x))
        return penalty

    def get_config(self):
        return {"l2": self.l2, "l1": self.l1}


class _Both(keras.regularizers.Regularizer):
    """A variable's own regularizer plus the run's `WeightPenalty` (never serialized)."""

    def __init__(self, own, penalty):
        self.own, self.penalty = own, penalty

    def __call__(self, x):
        return self.own(x) + self.penalty(x)


def attach_weight_penalty(model: keras.Model, *, l2: float = 0.0, l1: float = 0.0):
    """Add the lectures' penalty l2/2 ||W||^2 + l1 ||W||_1 on ``model``'s weights to its cost.

    Keras' own mechanism for ``kernel_regularizer``: each weight's ``variable.regularizer``
    (`penalized_weights`, the trainable kernels; biases and normalisation parameters are not
    penalised), which ``model.losses`` sums and ``model.fit`` adds to the loss of every batch
    (the data loss is the batch mean, the penalty is added once), under every backend. The
    layers' configs are untouched, so nothing of it is saved with the model. A weight that
    already has a regularizer keeps it, and the penalty is added to it.

    Returns ``detach()``, which puts the previous regularizers back and drops the model's
    traced train/test functions (they hold the penalty); a no-op when ``l2 = l1 = 0``.

    Example: ``detach = attach_weight_penalty(model, l2=1e-4); model.fit(...); detach()``.
    """
    penalty = WeightPenalty(l2, l1)
    if not penalty.l2 and not penalty.l1:
        return lambda: None
    previous = [(v, v.regularizer) for v in penalized_weights(model)]
    for variable, own in previous:
        variable.regularizer = penalty if own is None else _Both(own, penalty)

    def detach():
        for variable, own in previous:
            variable.regularizer = own
        for attribute in ("train_function", "test_function", "predict_function"):
            if hasattr(model, attribute):
                setattr(model, attribute, None)

    return detach


def _outputs_logits(model: keras.Model) -> bool:
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear") == "linear"


def _one_unit(model: keras.Model) -> bool:
    """Whether the model's (first) output has one unit: a binary classifier, P(t = 1 | x)."""
    outputs = getattr(model, "outputs", None)
    return bool(outputs) and outputs[0].shape[-1] == 1


def _labels_one_hot(model: keras.Model, train) -> bool:
    element_spec = getattr(train, "element_spec", None)
    if not isinstance(element_spec, tuple) or len(element_spec) < 2:
        return False
    return checks.label_form(model, element_spec[1]) == "one_hot"


def default_loss(model: keras.Model, train=None, *, task: str | None = None) -> keras.losses.Loss:
    """The loss of a run: mean squared error for a regression ``task`` (`REGRESSION_TASKS`),
    else cross-entropy matched to the model's outputs (softmax or logits) and to the labels of
    ``train`` (`zoo.training.checks.label_form`): one-hot rows, float or integer, categorical;
    class ids of shape (N,) or (N, 1), or no data, sparse."""
    if task in REGRESSION_TASKS:
        return keras.losses.MeanSquaredError()
    from_logits = _outputs_logits(model)
    if _one_unit(model):  # one 0-1 unit (logistic regression, seed 001): binary cross-entropy
        return keras.losses.BinaryCrossentropy(from_logits=from_logits)
    if _labels_one_hot(model, train):
        return keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def metrics_for(task: str | None = None, model: keras.Model | None = None) -> list:
    """What a run logs besides the loss: ``mae`` for a regression task, else ``accuracy``
    (for a one-unit output of logits, ``BinaryAccuracy`` thresholded at 0 under that name:
    Keras' ``"accuracy"`` would threshold the logit at 0.5)."""
    if task in REGRESSION_TASKS:
        return ["mae"]
    if model is not None and _one_unit(model) and _outputs_logits(model):
        return [keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)]
    return ["accuracy"]


def steps_per_epoch(train) -> int | None:
    """Batches in one pass over ``train`` (``None`` when unknown or infinite)."""
    cardinality = getattr(train, "cardinality", None)
    if cardinality is not None:
        count = int(keras.ops.convert_to_numpy(cardinality()))
        return count if count > 0 else None
    try:
        return len(train) or None
    except TypeError:
        return None


def run_schedule(schedule, *, learning_rate, total_steps: int | None, warmup_steps: int = 0):
    """The learning-rate schedule of a run, or None for a constant rate.

    Args:
        schedule: None (constant ``learning_rate``), a name of `zoo.training.schedules.get`
            (its lengths follow ``total_steps``: a step decay drops every third of the run, a
            cosine decays over all of it, ...) or a ``LearningRateSchedule``, used as it is.
        learning_rate: the constant rate, or the peak of a named schedule.
        total_steps: the run's length in optimizer steps (epochs x batches per epoch), None
            when unknown (a named schedule then needs its lengths given another way).
        warmup_steps: W >= 0 steps of linear warmup from 0 before the schedule (or before the
            constant rate), whose steps then count from W (`zoo.training.schedules.Warmup`).

    Example: ``run_schedule("cosine", learning_rate=0.1, total_steps=4500, warmup_steps=500)``.
    """
    warmup_steps = check_positive_int("warmup_steps", warmup_steps, minimum=0)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return schedules_lib.Warmup(schedule, warmup_steps) if warmup_steps else schedule
    if schedule is None:
        if not warmup_steps:
            return None
        check_number("learning_rate", learning_rate, low=0.0, low_open=True)
        return schedules_lib.Warmup(learning_rate, warmup_steps)
    if not isinstance(schedule, str):
        raise ValueError(
            "schedule must be a name (one of "
            f"{', '.join(repr(n) for n in schedules_lib.NAMES)}) or a "
            f"keras.optimizers.schedules.LearningRateSchedule, got {schedule!r}."
        )
    return schedules_lib.get(
        schedule, warmup_steps, learning_rate=learning_rate, total_steps=total_steps
    )


def compile_model(
    model: keras.Model,
    *,
    optimizer="sgd",
    learning_rate=None,
    momentum=DEFAULT_MOMENTUM,
    weight_decay: float = 0.0,
    clipnorm=None,
    loss=None,
    metrics=None,
    jit_compile="auto",
    loss_scale: bool = False,
) -> keras.Model:
    """Compile ``model`` with the optimizer of `make_optimizer` and the given loss and metrics.

    Args:
        optimizer: a lecture optimizer name or a Keras optimizer instance.
        learning_rate: a float or a ``LearningRateSchedule`` held by the optimizer; None: the
            optimizer's default (`DEFAULT_LEARNING_RATES`).
        momentum, weight_decay, clipnorm: as in `make_optimizer`.
        loss: the loss (default: `default_loss` of the model, sparse labels).
        metrics: the metrics (default: ``["accuracy"]``).
        jit_compile: passed to ``model.compile``.
        loss_scale: wrap the optimizer in ``LossScaleOptimizer`` (``mixed_float16``).
    """
    chosen = make_optimizer(
        optimizer,
        learning_rate,
        momentum=momentum,
        weight_decay=weight_decay,
        clipnorm=clipnorm,
    )
    if loss_scale:
        chosen = keras.optimizers.LossScaleOptimizer(chosen)
    model.compile(
        optimizer=chosen,
        loss=loss if loss is not None else default_loss(model),
        metrics=metrics_for(model=model) if metrics is None else metrics,
        jit_compile=jit_compile,
    )
    return model


def run_callbacks(schedule_callback=None) -> list[keras.callbacks.Callback]:
    """The callbacks every run starts with: the learning rate logged each epoch
    (`LearningRateLogger`), a `ScheduleCallback` for ``schedule_callback`` (a schedule that sets
    the optimizer's rate before every batch) when given, and ``TerminateOnNaN``."""
    run = [callbacks_lib.LearningRateLogger()]
    if schedule_callback is not None:
        run.append(callbacks_lib.ScheduleCallback(schedule_callback))
    run.append(keras.callbacks.TerminateOnNaN())
    return run
