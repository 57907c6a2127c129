"""Search spaces: the lectures' hyperparameters (lecture 003, "Hyper parameter") as data.

The lectures list what a network does not learn by itself: learning rate, momentum,
regularisation lambda, optimizer, initialisation, batch size, number of hidden layers, neurons
per layer. `TRAINING_SPACE` holds the training ones for every model; `FAMILY_SPACES` holds the
architecture knobs of each family (keyed by ``zoo.info(name).family``); a family without an
entry gets `FALLBACK_SPACE`. `space_for` resolves them for one model: a parameter that sets a
builder knob is kept only when the builder lists that knob (``info.config_arguments``), and its
default is the builder's own default, so the default configuration is the paper's.

Every family with an ``activation`` knob searches the same choices, `ACTIVATIONS`: the model
zoo's one activation table (``zoo.models._blocks.ACTIVATIONS``, which every builder accepts)
plus the builder's own default (tanh for lenet5, sigmoid for mlp, relu for the CNNs), which
stays the default. ``maxout`` is searched too: it pairs channels into units (two pieces), so it
halves the width after every activation (``crelu`` doubles it) and needs an even channel count;
every family's default widths and every searched width (mlp and LayerStack widths, mobilenet's
``alpha`` x ``depth_multiplier``, AlexNet's ``groups``) are even, so every choice builds. A
width fixed to an odd number makes the maxout trials fail (keras-tuner records them as failed).

Every parameter is declared through keras-tuner (``hp.Choice``, ``hp.Int``, ``hp.Float``,
``hp.Boolean``, ``hp.Fixed``); nothing here samples values.

Example: ``sorted(space_for(zoo.info("mlp")))`` -> ``['activation', 'batch_size', ...]``.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Mapping

import keras

from zoo.layers import initializers as initializers_lib
from zoo.models import _blocks
from zoo.training.recipe import DEFAULT_LEARNING_RATES, MOMENTUM_OPTIMIZERS, OPTIMIZERS
from zoo.training.schedules import NAMES as SCHEDULES

BUILDER_DEFAULT = "builder default"
"""Marker: the parameter's default is the builder's default for its knob."""

INITIALIZERS = {
    "glorot": "glorot_uniform",
    "he": keras.saving.get_registered_name(initializers_lib.He),
    "normal": keras.saving.get_registered_name(initializers_lib.Gaussian),
}
"""The lectures' initialisations and the initializer name each passes to the builder's
``kernel_initializer`` knob: ``glorot`` is Keras' ``glorot_uniform`` (the layers' default),
``he`` the notes' He, std sqrt(2/n_in) (`zoo.layers.initializers.He`), ``normal`` the notes'
Gaussian, std 0.01 (`zoo.layers.initializers.Gaussian`), by their registered names. A builder
whose default is another string (e.g. ``"he_normal"``) has it searched as a fourth choice, and
it stays the default."""

# Read from the zoo's table, not copied. "maxout" stays in: it halves widths and needs even
# channel counts, which every family's default and searched widths have (module docstring).
ACTIVATIONS: tuple[str, ...] = tuple(_blocks.ACTIVATIONS)
"""The searched activations (``zoo.models._blocks.ACTIVATIONS``; `space_for` adds the builder's
default). ``maxout`` halves the width after each activation and needs it even."""
SGD_OPTIMIZERS = ("sgd", "momentum", "nesterov")
"""The optimizers that share ``learning_rate`` (their default rate is the same, 0.01)."""
RATED_OPTIMIZERS = SGD_OPTIMIZERS
"""The optimizers whose rate is ``learning_rate`` (the others' is `LEARNING_RATES`')."""

LEARNING_RATES = {
    "rmsprop": "rmsprop_learning_rate",
    "adam": "adam_learning_rate",
    "adamax": "adamax_learning_rate",
    "adadelta": "adadelta_learning_rate",
}
"""Optimizer -> the hyperparameter holding its rate, where it is not ``learning_rate``.

Each optimizer samples its rate on a log scale around its own default
(`zoo.training.recipe.DEFAULT_LEARNING_RATES`), one decade either side: ``learning_rate``
for sgd, momentum and nesterov (0.01: 1e-3 .. 0.1), ``rmsprop_learning_rate`` and
``adam_learning_rate`` (0.001: 1e-4 .. 0.01), ``adamax_learning_rate`` (0.002: 2e-4 ..
0.02). Adadelta scales its steps by the ratio of two running RMS values, so its rate is a
multiplier near 1 (1.0 is the form of Zeiler's paper, the notes' rule without a rate), not a
step size: ``adadelta_learning_rate`` spans 0.2 .. 5 around 1.0. Each is declared in
keras-tuner's conditional scope of its optimizer(s) (``hp.conditional_scope("optimizer",
...)``), so a trial records (and tunes) only the rate its optimizer uses; they have distinct
names because keras-tuner's grid and Bayesian oracles key values by name."""

RATE_RANGES = {
    "learning_rate": (1e-3, 0.1),
    "rmsprop_learning_rate": (1e-4, 1e-2),
    "adam_learning_rate": (1e-4, 1e-2),
    "adamax_learning_rate": (2e-4, 2e-2),
    "adadelta_learning_rate": (0.2, 5.0),
}
"""Each rate hyperparameter's (low, high), log scale."""


def learning_rate_key(optimizer: str) -> str:
    """The name of the hyperparameter that holds ``optimizer``'s learning rate."""
    return LEARNING_RATES.get(optimizer, "learning_rate")


@dataclasses.dataclass(frozen=True)
class Param:
    """One hyperparameter, declared with keras-tuner's ``hp.<kind>``.

    Args:
        kind: ``"choice"``, ``"int"``, ``"float"`` or ``"boolean"``.
        values: the choices of a ``"choice"``.
        min_value, max_value, step, sampling: the range of an ``"int"`` or ``"float"``.
        default: the default value, or `BUILDER_DEFAULT` to read it from the builder.
        knob: the builder argument it sets (None: a training hyperparameter).
        knob_values: maps the value to the knob's value (e.g. ``"he"`` -> ``"he_normal"``).
        when: ``(parent, values)``: active only while ``parent`` is one of ``values``
            (keras-tuner's ``hp.conditional_scope``).
    """

    kind: str
    values: tuple = ()
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    sampling: str = "linear"
    default: object = BUILDER_DEFAULT
    knob: str | None = None
    knob_values: Mapping | None = None
    when: tuple | None = None

    def declare(self, hp, name: str):
        """Declare this parameter in ``hp`` (a ``keras_tuner.HyperParameters``); its value."""
        if self.kind == "choice":
            return hp.Choice(name, list(self.values), default=self.default)
        if self.kind == "boolean":
            return hp.Boolean(name, default=self.default)
        method = hp.Int if self.kind == "int" else hp.Float
        return method(
            name,
            min_value=self.min_value,
            max_value=self.max_value,
            step=self.step,
            sampling=self.sampling,
            default=self.default,
        )

    def knob_value(self, value):
        """The builder knob's value for this parameter's ``value`` (`knob_values`; a value
        without an entry, such as a builder's own default, is passed as it is)."""
        if self.knob_values is None:
            return value
        return self.knob_values.get(value, value)

    def accepts(self, value) -> bool:
        """Whether ``value`` is a value of this parameter's type (used to check fixed values)."""
        if self.kind == "boolean":
            return isinstance(value, bool)
        if self.kind == "choice" and all(isinstance(v, str) for v in self.values):
            return value in self.values
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return math.isfinite(value) and (self.kind != "int" or float(value).is_integer())


@dataclasses.dataclass(frozen=True)
class LayerStack:
    """A list knob (e.g. ``hidden_units``) tuned as a depth and one width per layer.

    ``count`` names the depth parameter and ``width`` the per-layer ones (``"units_{}"`` gives
    ``units_1``, ``units_2``, ...); layer i's width is active only when the depth is >= i.
    """

    count: str
    width: str
    depths: tuple[int, ...]
    widths: tuple[int, ...]

    def params(self, knob: str, builder_default) -> dict[str, Param]:
        """The depth and width parameters, with defaults read from the builder's default list."""
        default = list(builder_default) if builder_default else [self.widths[0]]
        deepest = max(*self.depths, len(default))
        params = {
            self.count: Param(
                "int",
                min_value=min(*self.depths, len(default)),
                max_value=deepest,
                default=len(default),
                knob=knob,
            )
        }
        for layer in range(1, deepest + 1):
            width = default[layer - 1] if layer <= len(default) else self.widths[0]
            params[self.width.format(layer)] = Param(
                "choice",
                values=_with(self.widths, width),
                default=width,
                knob=knob,
                when=(self.count, tuple(range(layer, deepest + 1))),
            )
        return params

    def compose(self, values: Mapping) -> list[int]:
        """The knob's value (the list of widths) from the declared values."""
        return [values[self.width.format(i)] for i in range(1, values[self.count] + 1)]


def _rate(key: str, optimizers: tuple) -> Param:
    """The rate hyperparameter ``key`` of ``optimizers`` (their default, `RATE_RANGES`)."""
    low, high = RATE_RANGES[key]
    return Param(
        "float",
        min_value=low,
        max_value=high,
        sampling="log",
        default=DEFAULT_LEARNING_RATES[optimizers[0]],
        when=("optimizer", optimizers),
    )


TRAINING_SPACE: dict[str, Param] = {
    "optimizer": Param("choice", values=OPTIMIZERS, default="sgd"),
    "learning_rate": _rate("learning_rate", RATED_OPTIMIZERS),
    **{key: _rate(key, (optimizer,)) for optimizer, key in LEARNING_RATES.items()},
    "momentum": Param(
        "float",
        min_value=0.5,
        max_value=0.99,
        default=0.9,
        when=("optimizer", MOMENTUM_OPTIMIZERS),
    ),
    "weight_decay": Param("choice", values=(0.0, 1e-5, 1e-4, 1e-3), default=0.0),
    "dropout": Param("float", min_value=0.0, max_value=0.6, step=0.1, knob="dropout"),
    "initializer": Param(
        "choice", values=tuple(INITIALIZERS), knob="kernel_initializer", knob_values=INITIALIZERS
    ),
    "batch_size": Param("choice", values=(32, 64, 128), default=32),
    "schedule": Param("choice", values=SCHEDULES, default="constant"),
}
"""Training hyperparameters of every model (``dropout`` and ``initializer`` only where the
builder has the knob). The default configuration is `zoo.training.fit`'s: plain SGD at 0.01.
Each optimizer has its own rate hyperparameter (`LEARNING_RATES`); ``momentum`` (gamma) is
tuned for ``momentum`` and ``nesterov`` only (``sgd`` is plain SGD). ``weight_decay`` is
Keras' decoupled decay of the kernels (`zoo.training.recipe.make_optimizer`), the lectures'
L2 lambda for plain SGD only. A ``schedule`` needing more steps than a short
trial has (``one_cycle`` rises over pct_start x the run's steps, so it needs 4) is not applied
to that trial, which trains at the constant rate (`zoo.tuning.hypermodel`)."""

_ACTIVATION = Param("choice", values=ACTIVATIONS, knob="activation")
_WIDTH_MULTIPLIER = Param("choice", values=(0.25, 0.5, 0.75, 1.0), knob="alpha")
_RECURRENT = {
    "cell": Param("choice", values=("simple_rnn", "lstm", "gru", "peephole_lstm"), knob="cell"),
    "units": Param("choice", values=(32, 64, 128, 256), knob="units"),
    "num_layers": Param("int", min_value=1, max_value=3, knob="num_layers"),
    "bidirectional": Param("boolean", knob="bidirectional"),
}
_HIDDEN_LAYERS = LayerStack("num_layers", "units_{}", (1, 2, 3), (32, 64, 128, 256, 512))

FAMILY_SPACES: dict[str, dict[str, Param | LayerStack]] = {
    "mlp": {"hidden_units": _HIDDEN_LAYERS, "activation": _ACTIVATION},
    "maxout": {
        "hidden_units": LayerStack("num_layers", "units_{}", (1, 2, 3), (60, 120, 240, 480)),
        "num_pieces": Param("int", min_value=2, max_value=5, knob="num_pieces"),
        "input_dropout": Param(
            "float", min_value=0.0, max_value=0.4, step=0.1, knob="input_dropout"
        ),
    },
    "lenet": {
        "activation": _ACTIVATION,
        "subsampling": Param("choice", values=("avg", "max"), knob="subsampling"),
    },
    "mnist_cnn": {"activation": _ACTIVATION},
    "alexnet": {
        "activation": _ACTIVATION,
        "groups": Param("choice", values=(1, 2), knob="groups"),
    },
    "vgg": {
        "activation": _ACTIVATION,
        "batch_norm": Param("boolean", knob="batch_norm"),
    },
    "resnet": {"activation": _ACTIVATION},
    "inception": {"activation": _ACTIVATION},
    "mobilenet": {
        "alpha": _WIDTH_MULTIPLIER,
        "depth_multiplier": Param("choice", values=(1, 2), knob="depth_multiplier"),
        "activation": _ACTIVATION,
    },
    "xception": {"activation": _ACTIVATION},
    "nin": {"activation": _ACTIVATION},
    "dqn": {"activation": _ACTIVATION},
    "rnn": _RECURRENT,
    "char_rnn": _RECURRENT,
    "seq2seq": _RECURRENT,
}
"""Architecture knobs per family: depth and widths and activation for MLPs; width multiplier,
activation and the family's switches for CNNs; cell, units, layers, direction for RNNs."""

FALLBACK_SPACE: dict[str, Param | LayerStack] = {
    "activation": _ACTIVATION,
    "alpha": _WIDTH_MULTIPLIER,
    "units": _RECURRENT["units"],
    "num_layers": _RECURRENT["num_layers"],
}
"""The knobs tuned for a family without an entry, each only where its builder has it (a builder
registered from outside with an ``activation`` knob must accept `ACTIVATIONS`, or fix it)."""


def _with(values: tuple, default) -> tuple:
    return values if default in values else (default, *values)


def builder_defaults(info) -> dict:
    """The builder's keyword-only knobs and their defaults."""
    return {
        p.name: p.default
        for p in inspect.signature(info.builder).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _resolve(param: Param, defaults: Mapping) -> Param | None:
    """``param`` with its builder default filled in, or None when the builder lacks the knob."""
    if param.knob is not None and param.knob not in defaults:
        return None
    default = param.default
    if default == BUILDER_DEFAULT:
        default = defaults[param.knob]
        if param.knob_values is not None:
            inverse = {v: k for k, v in param.knob_values.items()}
            if default in inverse:
                default = inverse[default]
            elif not isinstance(default, str):
                default = next(iter(param.knob_values))
            # else: the builder's own name, searched next to the choices (`knob_value`)
    if param.kind == "choice":
        return dataclasses.replace(
            param, values=_with(tuple(param.values), default), default=default
        )
    if param.kind == "boolean":
        return dataclasses.replace(param, default=bool(default))
    low, high = min(param.min_value, default), max(param.max_value, default)
    return dataclasses.replace(param, default=default, min_value=low, max_value=high)


def space_for(info) -> dict[str, Param]:
    """The resolved search space of one model: its family's knobs plus `TRAINING_SPACE`.

    Args:
        info: the model's ``zoo.ModelInfo``.

    Returns:
        Parameter name -> `Param` with concrete defaults, in declaration order (parents before
        the parameters conditioned on them).
    """
    defaults = builder_defaults(info)
    family = FAMILY_SPACES.get(info.family, FALLBACK_SPACE)
    space: dict[str, Param] = {}
    for key, entry in {**family, **TRAINING_SPACE}.items():
        if isinstance(entry, LayerStack):
            if key in defaults:
                space.update(entry.params(key, defaults[key]))
            continue
        resolved = _resolve(entry, defaults)
        if resolved is not None:
            space[key] = resolved
    return space


def layer_stacks(info) -> dict[str, LayerStack]:
    """The list knobs of the model's family that its builder has: knob -> `LayerStack`."""
    defaults = builder_defaults(info)
    family = FAMILY_SPACES.get(info.family, FALLBACK_SPACE)
    return {k: v for k, v in family.items() if isinstance(v, LayerStack) and k in defaults}
