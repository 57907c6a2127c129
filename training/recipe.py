"""The training recipe: how a zoo model is compiled and scheduled for a run, in one place.

`zoo.training.fit`, the keras-tuner hypermodel (`zoo.tuning.hypermodel`) and the ``zoo train``
command all train through these functions, so a model trains the same way whoever calls it:

- `make_optimizer`: the optimizer by its lecture name (lecture 003, "Optimizers");
- `default_loss`: cross-entropy matched to the model's output (probabilities or logits) and to
  the labels (class ids or one-hot), or mean squared error for the regression tasks
  (`REGRESSION_TASKS`), with the metric each logs (`metrics_for`);
- `run_schedule`: a learning-rate schedule from its name and the run's length (epochs x batches
  per epoch), behind an optional linear warmup;
- `compile_model`: the optimizer (with loss scaling under ``mixed_float16``), loss and metrics;
- `run_callbacks`: the safety nets of every run: the learning rate in the logs
  (`LearningRateLogger`), ``TerminateOnNaN``, and a `ScheduleCallback` where the schedule is
  driven from outside the optimizer.
"""

from __future__ import annotations

import keras

from zoo.training import callbacks as callbacks_lib
from zoo.training import checks
from zoo.training import schedules as schedules_lib
from zoo.validation import check_choice, check_number, check_positive_int

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamax", "adadelta")

REGRESSION_TASKS = ("autoencoder", "q_values")
"""Tasks trained with mean squared error (and logging ``mae``); the others use cross-entropy
matched to the model's output and log ``accuracy``."""


def make_optimizer(
    name, learning_rate=0.01, *, momentum: float = 0.9, weight_decay: float = 0.0
) -> keras.optimizers.Optimizer:
    """A Keras optimizer from its lecture name (lecture 003, "Optimizers").

    ``sgd`` and ``momentum`` are SGD with the given ``momentum`` (v = g v - a grad; w = w + v),
    ``nesterov`` adds Nesterov's look-ahead; ``rmsprop``, ``adam``, ``adamax`` and ``adadelta`` are
    Keras' implementations with their default moments. ``weight_decay`` is Keras' decoupled decay
    w -= lr * weight_decay * w, which equals an L2 penalty (weight_decay / 2) ||w||^2 for plain SGD.
    An optimizer instance is returned unchanged.
    """
    if isinstance(name, keras.optimizers.Optimizer):
        return name
    check_choice("optimizer", name, OPTIMIZERS)
    if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        # a float, as Keras requires (a NumPy float is refused by its optimizers)
        learning_rate = check_number("learning_rate", learning_rate, low=0.0, low_open=True)
    momentum = check_number("momentum", momentum, low=0.0, high=1.0, high_open=True)
    decay = check_number("weight_decay", weight_decay, low=0.0) or None
    if name in ("sgd", "momentum", "nesterov"):
        return keras.optimizers.SGD(
            learning_rate, momentum=momentum, nesterov=name == "nesterov", weight_decay=decay
        )
    classes = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "adamax": keras.optimizers.Adamax,
        "adadelta": keras.optimizers.Adadelta,
    }
    return classes[name](learning_rate, weight_decay=decay)


def _outputs_logits(model: keras.Model) -> bool:
    activation = getattr(model.layers[-1], "activation", None)
    return getattr(activation, "__name__", "linear") == "linear"


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
    if _labels_one_hot(model, train):
        return keras.losses.CategoricalCrossentropy(from_logits=from_logits)
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def metrics_for(task: str | None = None) -> list[str]:
    """What a run logs besides the loss: ``mae`` for a regression task, else ``accuracy``."""
    return ["mae"] if task in REGRESSION_TASKS else ["accuracy"]


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
    learning_rate=0.01,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    loss=None,
    metrics=None,
    jit_compile="auto",
    loss_scale: bool = False,
) -> keras.Model:
    """Compile ``model`` with the optimizer of `make_optimizer` and the given loss and metrics.

    Args:
        optimizer: a lecture optimizer name or a Keras optimizer instance.
        learning_rate: a float or a ``LearningRateSchedule`` held by the optimizer.
        momentum, weight_decay: as in `make_optimizer`.
        loss: the loss (default: `default_loss` of the model, sparse labels).
        metrics: the metrics (default: ``["accuracy"]``).
        jit_compile: passed to ``model.compile``.
        loss_scale: wrap the optimizer in ``LossScaleOptimizer`` (``mixed_float16``).
    """
    chosen = make_optimizer(optimizer, learning_rate, momentum=momentum, weight_decay=weight_decay)
    if loss_scale:
        chosen = keras.optimizers.LossScaleOptimizer(chosen)
    model.compile(
        optimizer=chosen,
        loss=loss if loss is not None else default_loss(model),
        metrics=metrics_for() if metrics is None else metrics,
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
