"""The search spaces: the lectures' hyperparameters as data, resolved against each builder."""

from __future__ import annotations

import types

import keras
import keras_tuner
import pytest

import zoo
from zoo.models import _blocks
from zoo.training import schedules
from zoo.training.recipe import OPTIMIZERS
from zoo.tuning import spaces


def test_training_space_is_the_lectures_list():
    space = spaces.TRAINING_SPACE
    assert set(space) == {
        "optimizer",
        "learning_rate",
        "rmsprop_learning_rate",
        "adam_learning_rate",
        "adamax_learning_rate",
        "adadelta_learning_rate",
        "momentum",
        "weight_decay",
        "dropout",
        "initializer",
        "batch_size",
        "schedule",
    }
    assert space["optimizer"].values == OPTIMIZERS
    assert space["learning_rate"].sampling == "log"
    # gamma is the momentum optimizers' (sgd is plain SGD).
    assert space["momentum"].when == ("optimizer", ("momentum", "nesterov"))
    assert space["initializer"].values == ("glorot", "he", "normal")
    # The notes' He and Gaussian (zoo.layers.initializers), Keras' glorot_uniform.
    assert space["initializer"].knob_values == {
        "glorot": "glorot_uniform",
        "he": "lecture_zoo>He",
        "normal": "lecture_zoo>Gaussian",
    }
    assert space["batch_size"].values == (32, 64, 128)
    assert space["schedule"].values == schedules.NAMES
    # Defaults are zoo.training.fit's: plain SGD at 0.01, no decay.
    assert [space[k].default for k in ("optimizer", "learning_rate", "weight_decay")] == [
        "sgd",
        0.01,
        0.0,
    ]


def test_mlp_space_is_depth_widths_activation_plus_training():
    space = spaces.space_for(zoo.info("mlp"))
    assert list(space)[:5] == ["num_layers", "units_1", "units_2", "units_3", "activation"]
    # The builder's default 784-500-10 sigmoid net is the default configuration.
    assert space["num_layers"].default == 1
    assert space["units_1"].default == 500 and 500 in space["units_1"].values
    assert space["activation"].default == "sigmoid"
    assert space["units_2"].when == ("num_layers", (2, 3))
    assert space["dropout"].default == 0.0
    # No mlp builder knob is called kernel_initializer, so no initializer is tuned.
    assert "initializer" not in space


def test_knobs_the_builder_lacks_are_left_out():
    softmax = spaces.space_for(zoo.info("softmax_regression"))
    assert set(softmax) == {
        "optimizer",
        "learning_rate",
        "rmsprop_learning_rate",
        "adam_learning_rate",
        "adamax_learning_rate",
        "adadelta_learning_rate",
        "momentum",
        "weight_decay",
        "batch_size",
        "schedule",
    }
    lenet = spaces.space_for(zoo.info("lenet5"))
    assert "dropout" not in lenet and lenet["subsampling"].values == ("avg", "max")


def _builder(spec, *, activation="tanh", dropout=0.2, units=64, kernel_initializer="he_normal"):
    """A stand-in builder of an unknown family."""


def test_fallback_space_takes_the_knobs_a_builder_has():
    info = types.SimpleNamespace(family="no_such_family", builder=_builder)
    space = spaces.space_for(info)
    assert {"activation", "units", "dropout", "initializer"} <= set(space)
    assert "alpha" not in space and "num_layers" not in space
    assert space["activation"].default == "tanh"
    assert space["dropout"].default == 0.2
    # The builder's own "he_normal" (Keras' truncated He) is not the notes' He: it is searched
    # as a choice of its own, and stays the default.
    assert space["initializer"].default == "he_normal"
    assert space["initializer"].values == ("he_normal", "glorot", "he", "normal")
    assert space["initializer"].knob_value("he_normal") == "he_normal"
    assert space["initializer"].knob_value("he") == "lecture_zoo>He"
    assert space["units"].default == 64


RATES = {
    # optimizer: (hyperparameter, low, default, high)
    "sgd": ("learning_rate", 1e-3, 0.01, 0.1),
    "momentum": ("learning_rate", 1e-3, 0.01, 0.1),
    "nesterov": ("learning_rate", 1e-3, 0.01, 0.1),
    "rmsprop": ("rmsprop_learning_rate", 1e-4, 1e-3, 1e-2),
    "adam": ("adam_learning_rate", 1e-4, 1e-3, 1e-2),
    "adamax": ("adamax_learning_rate", 2e-4, 2e-3, 2e-2),
    "adadelta": ("adadelta_learning_rate", 0.2, 1.0, 5.0),
}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_each_optimizer_samples_its_own_learning_rate_range(optimizer):
    """keras-tuner conditional scopes: each optimizer's rate is a log-scale hyperparameter
    around its own default (zoo.training.recipe.DEFAULT_LEARNING_RATES), one decade either
    side (Adadelta's multiplier 0.2 .. 5 around 1.0), active only for that optimizer."""
    from zoo.training.recipe import DEFAULT_LEARNING_RATES

    space = spaces.TRAINING_SPACE
    key, low, default, high = RATES[optimizer]
    assert spaces.learning_rate_key(optimizer) == key
    param = space[key]
    assert optimizer in param.when[1] and param.when[0] == "optimizer"
    assert (param.min_value, param.default, param.max_value, param.sampling) == (
        low,
        default,
        high,
        "log",
    )
    assert default == DEFAULT_LEARNING_RATES[optimizer]
    rates = {name for name, _, _, _ in RATES.values()}
    hp = keras_tuner.HyperParameters()
    hp.Fixed("optimizer", optimizer)
    for name in sorted(rates):
        with hp.conditional_scope(*space[name].when):
            space[name].declare(hp, name)
    assert key in hp.values and not (rates - {key}) & set(hp.values)
    (declared,) = [p for p in hp.space if p.name == key]
    samples = [declared.random_sample(seed) for seed in range(200)]
    assert low <= min(samples) and max(samples) <= high
    # log-uniform around the default: both sides of it, a decade apart
    assert min(samples) < default / 3 and max(samples) > default * 3


def test_declared_values_come_from_keras_tuner():
    hp = keras_tuner.HyperParameters()
    param = spaces.TRAINING_SPACE["learning_rate"]
    assert param.declare(hp, "learning_rate") == 0.01
    (declared,) = hp.space
    assert isinstance(declared, keras_tuner.engine.hyperparameters.Float)
    assert declared.sampling == "log"


@pytest.mark.parametrize(
    ("name", "value", "ok"),
    [
        ("optimizer", "adam", True),
        ("optimizer", "adamw", False),
        ("learning_rate", 0.1, True),
        ("learning_rate", float("nan"), False),
        ("learning_rate", "0.1", False),
        ("batch_size", 16, True),
        ("batch_size", True, False),
    ],
)
def test_param_accepts_values_of_its_type(name, value, ok):
    assert spaces.TRAINING_SPACE[name].accepts(value) is ok


def test_layer_stack_composes_the_width_list():
    stack = spaces.FAMILY_SPACES["mlp"]["hidden_units"]
    assert stack.compose({"num_layers": 2, "units_1": 64, "units_2": 32, "units_3": 16}) == [
        64,
        32,
    ]


def _activation_models() -> dict[str, list[str]]:
    """Family -> its registered models whose builder has an ``activation`` knob."""
    families: dict[str, list[str]] = {}
    for name in zoo.list_models():
        info = zoo.info(name)
        if "activation" in spaces.builder_defaults(info):
            families.setdefault(info.family, []).append(name)
    return families


def test_activation_choices_are_the_zoo_table_plus_the_builder_default():
    assert spaces.ACTIVATIONS == _blocks.ACTIVATIONS  # read from the table, in its order
    for entries in (*spaces.FAMILY_SPACES.values(), spaces.FALLBACK_SPACE):
        if "activation" in entries:
            assert entries["activation"].values == _blocks.ACTIVATIONS
    families = _activation_models()
    assert {"mlp", "lenet", "mnist_cnn", "alexnet", "vgg", "resnet", "mobilenet"} <= set(families)
    for names in families.values():
        for name in names:
            default = spaces.builder_defaults(zoo.info(name))["activation"]
            param = spaces.space_for(zoo.info(name))["activation"]
            assert param.default == default, name
            extra = () if default in _blocks.ACTIVATIONS else (default,)
            assert param.values == (*extra, *_blocks.ACTIVATIONS), name
    # The builders' own defaults stay the defaults, and are searched next to the table.
    assert spaces.space_for(zoo.info("lenet5"))["activation"].values[:2] == ("tanh", "relu")
    assert spaces.space_for(zoo.info("mlp"))["activation"].values[:2] == ("sigmoid", "relu")
    assert spaces.space_for(zoo.info("vgg_a"))["activation"].values == _blocks.ACTIVATIONS


def _small_input(info) -> tuple:
    if info.min_input_size is None:
        return info.default_input_shape
    size = info.min_input_size
    return (size, size, *info.default_input_shape[2:])


# maxout halves widths and needs even ones: every model's default widths, and the searched
# widths that change channel counts (mobilenet's alpha x depth_multiplier, AlexNet's groups).
# resnet1202 is resnet110's blocks, deeper (a 40 s build on 2 cores).
MAXOUT_BUILDS = [
    *((name, {}) for names in _activation_models().values() for name in names),
    ("mobilenet", {"alpha": 0.25, "depth_multiplier": 2}),
    ("mobilenet", {"alpha": 0.75}),
    ("alexnet", {"groups": 2}),
]
MAXOUT_BUILDS.remove(("resnet1202", {}))


@pytest.mark.parametrize(("name", "config"), MAXOUT_BUILDS, ids=lambda v: str(v))
def test_maxout_builds_with_the_default_and_searched_widths(name, config):
    info = zoo.info(name)
    model = zoo.build(name, input_shape=_small_input(info), activation="maxout", **config)
    assert isinstance(model, keras.Model)
    keras.backend.clear_session()
