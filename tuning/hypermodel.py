"""`hypermodel`: a keras-tuner ``HyperModel`` for every registered zoo model.

``build(hp)`` declares the model's search space (`zoo.tuning.spaces.space_for`: its family's
knobs plus the lectures' training hyperparameters), builds the model with `zoo.build` and
compiles it with the training recipe `zoo.training.recipe` (the one `zoo.training.fit` uses);
``fit(hp, model, ...)`` applies the batch size and the recipe's learning-rate schedule and
safety callbacks (learning rate logged, ``TerminateOnNaN``), then calls ``model.fit``. Any
hyperparameter can be fixed by keyword (declared with ``hp.Fixed``), and a builder knob outside
the space can be given a constant value.

``build`` runs before keras-tuner hands over the data, so it compiles for class-id labels
(sparse cross-entropy); ``fit`` looks at the labels and, when they are one-hot (e.g.
``data.load(..., one_hot=True)``), compiles the model again for them (categorical
cross-entropy, `zoo.training.recipe.default_loss`) and remembers it, so later builds (the next
trials, ``tuner.load_model``) compile for one-hot labels at once.

The data are checked as `zoo.training.fit` checks them (`zoo.training.checks`): `check_data`
(which `zoo.tuning.search` calls before the first trial) reads every batch once against the
model of the default hyperparameters, and every trial's batches pass the per-batch check; bad
data raise ``ValueError`` (in a trial ``keras_tuner.errors.FatalValueError``, which stops the
search instead of failing one trial after another).

A trial shorter than its schedule's minimum length (``one_cycle`` needs pct_start x steps > 1,
4 steps with the default pct_start 0.3) trains at the constant ``learning_rate`` instead, with a
warning: the schedule cannot be drawn over so few steps, and keras-tuner would otherwise record
every such trial as failed.
"""

from __future__ import annotations

import difflib
import math
import warnings
from collections.abc import Mapping

import keras
import keras_tuner
import numpy as np

from zoo.models import _registry as registry
from zoo.training import checks, recipe
from zoo.tuning import spaces
from zoo.validation import check_bounded_int, check_positive_int

MAX_SEED = 2**32 - 1
"""The largest ``seed``: ``keras.utils.set_random_seed`` seeds numpy, whose seeds are 32-bit."""


class ZooHyperModel(keras_tuner.HyperModel):
    """The search space of one zoo model as a keras-tuner ``HyperModel``; see `hypermodel`.

    ``distribution``: a ``keras.distribution`` setting (e.g. ``DataParallel()``) applied before
    every build, since ``keras.backend.clear_session()`` resets the global one.
    """

    def __init__(
        self,
        name: str,
        *,
        input_shape=None,
        num_classes=None,
        seed: int | None = None,
        fixed: Mapping | None = None,
    ):
        self.info = registry.info(name)
        self.input_shape = _checked_input_shape(input_shape)
        if num_classes is not None:
            if self.info.default_num_classes is None:
                raise ValueError(
                    f"num_classes does not apply to {self.info.name!r} (task {self.info.task!r})."
                )
            num_classes = check_positive_int("num_classes", num_classes)
        self.num_classes = num_classes
        self.seed = None
        if seed is not None:
            self.seed = check_bounded_int(
                "seed", seed, minimum=0, maximum=MAX_SEED, why=" (numpy's 32-bit seeds)"
            )
        self.distribution = None
        self._example_counts = {}
        self._labels = None  # a data set whose labels look like the last fit's (one-hot or ids)
        space = spaces.space_for(self.info)
        knobs = set(self.info.config_arguments)
        fixed = dict(fixed or {})
        self.config = {k: v for k, v in fixed.items() if k in knobs and k not in space}
        self.space = {k: p for k, p in space.items() if p.knob not in self.config}
        self.stacks = {
            k: s for k, s in spaces.layer_stacks(self.info).items() if k not in self.config
        }
        self.fixed = {k: v for k, v in fixed.items() if k not in self.config}
        for key, value in self.fixed.items():
            if key not in self.space:
                known = [*self.space, *self.info.config_arguments]
                close = difflib.get_close_matches(str(key), known, n=3)
                hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
                raise ValueError(
                    f"Unknown hyperparameter {key!r} for model {self.info.name!r}; its "
                    f"hyperparameters are: {', '.join(self.space)}; its builder arguments are: "
                    f"{', '.join(self.info.config_arguments) or 'none'}.{hint}"
                )
            param = self.space[key]
            if not param.accepts(value):
                raise ValueError(
                    f"Hyperparameter {key!r} of {self.info.name!r} must be "
                    f"{_allowed(param)}; got {value!r}."
                )
        self._check_fixed_rate()
        super().__init__(name=f"zoo_{self.info.name}")

    def _check_fixed_rate(self) -> None:
        """Refuse a learning rate fixed for another optimizer than the fixed one (it would be
        silently unused: each optimizer group has its own rate hyperparameter)."""
        optimizer = self.fixed.get("optimizer")
        if optimizer is None:
            return
        own = spaces.learning_rate_key(optimizer)
        rates = {"learning_rate", *spaces.LEARNING_RATES.values()}
        unused = sorted(rates.intersection(self.fixed) - {own})
        if unused:
            raise ValueError(
                f"Hyperparameter {unused[0]!r} of {self.info.name!r} is not used with optimizer "
                f"{optimizer!r}, whose learning rate is {own!r}; fix {own!r} instead."
            )

    @property
    def class_labels(self) -> bool:
        """Whether the labels are classes (checked against the outputs): not for regression."""
        return self.info.task not in recipe.REGRESSION_TASKS

    def check_data(self, train, validation=None) -> None:
        """Check ``train`` and ``validation`` as `zoo.training.fit` would, before any trial:
        `zoo.training.checks.check_dataset` against the model of the default hyperparameters,
        then every batch once through the per-batch check (counting the examples, which the
        first trial's re-batching reuses). ``(x, y)`` arrays are checked as a data set of
        batches of 256 examples. Raises ``ValueError`` naming ``"train"`` or ``"validation"``.

        Example: ``hypermodel("mlp").check_data(train, validation)``.
        """
        try:
            model = self.build(keras_tuner.HyperParameters())
        except keras_tuner.errors.FailedTrialError as error:
            raise ValueError(str(error)) from None
        for argument, data in (("train", train), ("validation", validation)):
            dataset = _as_dataset(data, argument)
            if dataset is None:
                continue
            checks.check_dataset(model, dataset, argument, labels=self.class_labels)
            checked = checks.checked_batches(model, dataset, argument, labels=self.class_labels)
            try:
                count = int(checked.reduce(0, lambda total, batch: total + _batch_length(batch)))
            except Exception as error:
                problem = checks.data_error(error)
                if problem is None:
                    raise
                raise problem from None
            if dataset is data:
                self._example_counts[id(data)] = (data, count)

    def logged_metrics(self, validation: bool) -> tuple[str, ...]:
        """The names ``model.fit`` logs for this model (with ``val_`` ones given validation)."""
        names = ("loss", *recipe.metrics_for(self.info.task))
        return names + tuple(f"val_{n}" for n in names) if validation else names

    def declare(self, hp) -> dict:
        """Declare the whole space in ``hp``; the values (None for inactive ones)."""
        values = {}
        for key, param in self.space.items():
            if param.when is None:
                values[key] = self._declare_one(hp, key, param)
                continue
            parent, allowed = param.when
            with hp.conditional_scope(parent, list(allowed)):
                values[key] = self._declare_one(hp, key, param)
        return values

    def _declare_one(self, hp, key, param):
        if key in self.fixed:
            return hp.Fixed(key, self.fixed[key])
        return param.declare(hp, key)

    def builder_config(self, values: Mapping) -> dict:
        """The ``**config`` for `zoo.build` from declared values (plus the constant knobs)."""
        config = dict(self.config)
        for key, param in self.space.items():
            if param.knob is None or param.knob in self.stacks or values.get(key) is None:
                continue
            value = values[key]
            config[param.knob] = param.knob_value(value)
        for knob, stack in self.stacks.items():
            config[knob] = stack.compose(values)
        return config

    def build(self, hp):
        values = self.declare(hp)
        config = self.builder_config(values)
        if self.distribution is not None:
            # keras-tuner clears the session before every build, which drops the global
            # keras.distribution setting; put it back.
            keras.distribution.set_distribution(self.distribution)
        if self.seed is not None:
            keras.utils.set_random_seed(self.seed)
        try:
            model = registry.build(
                self.info.name,
                input_shape=self.input_shape,
                num_classes=self.num_classes,
                **config,
            )
        except ValueError as error:
            raise keras_tuner.errors.FailedTrialError(
                f"{self.info.name} rejects {config}: {error}"
            ) from error
        return recipe.compile_model(
            model,
            optimizer=values["optimizer"],
            learning_rate=_learning_rate(values),
            # None (inactive: not momentum/nesterov) is each optimizer's own default
            momentum=values.get("momentum"),
            weight_decay=values["weight_decay"],
            loss=recipe.default_loss(model, self._labels, task=self.info.task),
            metrics=recipe.metrics_for(self.info.task),
        )

    def fit(self, hp, model, *args, **kwargs):
        values = self.declare(hp)
        batch_size = values["batch_size"]
        # A keras.distribution splits every batch over the devices: whole batches only.
        whole = self.distribution is not None
        args = list(args)
        data = args[0] if args else kwargs.get("x")
        if _is_dataset(data):
            batched, steps = self._batched(model, data, batch_size, whole)
            if args:
                args[0] = batched
            else:
                kwargs["x"] = batched
            kwargs["shuffle"] = False
            validation = kwargs.get("validation_data")
            if _is_dataset(validation) and whole:
                kwargs["validation_data"], _ = self._batched(
                    model, validation, batch_size, whole, "validation"
                )
            elif _is_dataset(validation):
                kwargs["validation_data"] = checks.checked_batches(
                    model, validation, "validation", labels=self.class_labels
                )
        else:
            kwargs["batch_size"] = batch_size
            steps = math.ceil(len(data) / batch_size)
        self._compile_for_labels(model, data, args, kwargs)
        if values["schedule"] != "constant":
            epochs = kwargs.get("epochs", 1) - kwargs.get("initial_epoch", 0)
            schedule = _trial_schedule(
                values["schedule"], _learning_rate(values), max(1, epochs * steps)
            )
            if schedule is not None:
                model.optimizer.learning_rate = schedule
        # The run's safety nets, as in zoo.training.fit: the learning rate in the logs, and a
        # trial whose loss turns NaN stops (keras-tuner then records its last finite score).
        kwargs["callbacks"] = [*recipe.run_callbacks(), *kwargs.get("callbacks", [])]
        try:
            return model.fit(*args, **kwargs)
        except Exception as error:
            # Bad data fail every configuration alike: stop the search, not just this trial.
            problem = checks.data_error(error)
            if problem is None:
                raise
            raise keras_tuner.errors.FatalValueError(str(problem)) from None

    def _compile_for_labels(self, model, data, args, kwargs) -> None:
        """Compile ``model`` again when the labels of ``data`` need another loss than the one
        `build` chose (one-hot labels: categorical cross-entropy), and remember their kind."""
        labels = data if _is_dataset(data) else _label_probe(args, kwargs)
        if labels is None:
            return
        self._labels = labels
        loss = recipe.default_loss(model, labels, task=self.info.task)
        if type(loss) is type(model.loss):
            return
        model.compile(
            optimizer=model.optimizer,
            loss=loss,
            metrics=recipe.metrics_for(self.info.task),
            jit_compile=model.jit_compile,
        )

    def _batched(self, model, dataset, batch_size: int, whole: bool, argument="train"):
        """``(dataset checked per batch and in batches of batch_size, with its length known to
        Keras, length)``."""
        import tensorflow as tf

        if id(dataset) not in self._example_counts:
            count = dataset.reduce(0, lambda total, batch: total + _batch_length(batch))
            self._example_counts[id(dataset)] = (dataset, int(count))
        examples = self._example_counts[id(dataset)][1]
        steps = examples // batch_size if whole else math.ceil(examples / batch_size)
        checked = checks.checked_batches(model, dataset, argument, labels=self.class_labels)
        batched = checked.rebatch(batch_size, drop_remainder=whole)
        return batched.apply(tf.data.experimental.assert_cardinality(steps)), steps


def _learning_rate(values: Mapping) -> float:
    """The rate of the trial's optimizer (Adadelta's is its own hyperparameter)."""
    return values[spaces.learning_rate_key(values["optimizer"])]


def _trial_schedule(name: str, learning_rate: float, total_steps: int):
    """The schedule ``name`` over a trial of ``total_steps``, or None (a constant rate, with a
    warning) when the trial is shorter than the schedule's minimum length."""
    try:
        return recipe.run_schedule(name, learning_rate=learning_rate, total_steps=total_steps)
    except ValueError as error:
        warnings.warn(
            f"schedule {name!r} cannot span a trial of {total_steps} step(s) ({error}); the "
            f"trial trains at the constant rate {learning_rate:.4g}.",
            stacklevel=3,
        )
        return None


def _checked_input_shape(input_shape):
    """``input_shape`` as a tuple of positive ints (None for a free dimension), or None."""
    if input_shape is None:
        return None
    if not isinstance(input_shape, (tuple, list)) or not input_shape:
        raise ValueError(
            "input_shape must be a tuple of positive integers (None for a free dimension), "
            f"got {input_shape!r}."
        )
    for axis, size in enumerate(input_shape):
        if size is not None:
            check_positive_int(f"input_shape[{axis}]", size)
    return tuple(input_shape)


def _as_dataset(data, argument: str):
    """``data`` as a tf.data set for `ZooHyperModel.check_data`: a data set as it is, ``(x, y)``
    arrays as batches of 256 examples; None for no data or data of another kind."""
    if data is None or _is_dataset(data):
        return data
    if not isinstance(data, (tuple, list)) or not all(hasattr(a, "shape") for a in data):
        return None
    import tensorflow as tf

    try:
        return tf.data.Dataset.from_tensor_slices(tuple(data)).batch(256)
    except (ValueError, TypeError) as error:
        raise ValueError(
            f"{argument}'s arrays must be (x, y) with one label per example; got shapes "
            f"{[tuple(a.shape) for a in data]} ({type(error).__name__})."
        ) from None


def _label_probe(args, kwargs):
    """A one-example data set with the labels of ``fit``'s ``(x, y)`` arrays, for
    `zoo.training.recipe.default_loss` (which reads a data set's label spec); None without y."""
    labels = args[1] if len(args) > 1 else kwargs.get("y")
    if labels is None or not hasattr(labels, "__len__") or len(labels) == 0:
        return None
    import tensorflow as tf

    first = np.asarray(labels[:1])
    return tf.data.Dataset.from_tensor_slices((np.zeros(1, np.float32), first)).batch(1)


def _allowed(param) -> str:
    """What values a fixed `spaces.Param` takes, in words."""
    if param.kind == "boolean":
        return "True or False"
    if param.kind == "choice" and all(isinstance(v, str) for v in param.values):
        return "one of " + ", ".join(repr(v) for v in param.values)
    if param.kind == "choice":
        return "a number such as " + ", ".join(repr(v) for v in param.values)
    kind = "an integer" if param.kind == "int" else "a number"
    return f"{kind} (searched in [{param.min_value}, {param.max_value}])"


def _is_dataset(data) -> bool:
    return type(data).__module__.startswith("tensorflow") and hasattr(data, "rebatch")


def _batch_length(batch):
    import tensorflow as tf

    first = tf.nest.flatten(batch)[0]
    return tf.shape(first, out_type=tf.int32)[0]


def hypermodel(
    name: str, /, *, input_shape=None, num_classes=None, seed: int | None = None, **fixed
) -> ZooHyperModel:
    """A keras-tuner ``HyperModel`` searching model ``name``'s architecture and training.

    The space is the family's knobs (`zoo.tuning.spaces.FAMILY_SPACES`) and the lectures'
    training hyperparameters (`zoo.tuning.spaces.TRAINING_SPACE`: optimizer, a log-scale
    learning rate per optimizer, momentum, weight decay, dropout, initializer, batch size,
    schedule). Defaults are the builder's, so ``build(keras_tuner.HyperParameters())`` is the
    paper's configuration trained with `zoo.training.fit`'s defaults (plain SGD at 0.01). Each
    optimizer's rate is its own hyperparameter around its default
    (`zoo.tuning.spaces.LEARNING_RATES`): ``learning_rate`` for sgd, momentum and nesterov,
    ``rmsprop_learning_rate``, ``adam_learning_rate``, ``adamax_learning_rate`` and
    ``adadelta_learning_rate`` (around 1.0).

    Bad arguments raise ``ValueError`` here, before any trial (as keras-tuner's own classes do):
    an unknown model, a ``num_classes`` < 1 (or one for a model without classes), an
    ``input_shape`` that is not positive integers, an unknown or ill-typed fixed value, or a
    learning rate fixed for another optimizer than the fixed one (``learning_rate`` with
    ``optimizer="adam"``, whose rate is ``adam_learning_rate``).

    Args:
        name: a registered model name or alias.
        input_shape: the model's input shape (default: the paper's).
        num_classes: classifier size, >= 1 (default: the model's).
        seed: if given, ``keras.utils.set_random_seed(seed)`` before every build, so a
            configuration rebuilt from the same hyperparameters starts from the same weights.
        **fixed: hyperparameters fixed to a value (``optimizer="adam"``, ``units_1=32``), or
            builder knobs outside the space given a constant (``hidden_units=[64]``, which
            replaces the depth and width hyperparameters).

    Example:
        ``tuner = keras_tuner.RandomSearch(hypermodel("mlp", optimizer="adam"),
        objective="val_accuracy", max_trials=10)``
    """
    return ZooHyperModel(
        name, input_shape=input_shape, num_classes=num_classes, seed=seed, fixed=fixed
    )
