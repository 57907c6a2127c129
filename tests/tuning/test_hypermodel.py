"""`hypermodel`: every registered model builds and compiles from its search space."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np
import pytest

import zoo
from zoo.tuning import hypermodel, spaces

TRAINING = {"optimizer", "learning_rate", "momentum", "weight_decay", "batch_size", "schedule"}
SLOW_BUILDS = {"inception_v3", "resnet101", "resnet110", "resnet152"}


def _small(info) -> dict:
    """A small configuration: the smallest input the architecture takes, 10 classes."""
    arguments = {}
    if info.min_input_size is not None:
        side = max(info.min_input_size, 8)
        arguments["input_shape"] = (side, side, info.default_input_shape[-1])
    if info.default_num_classes is not None:
        arguments["num_classes"] = 10
    return arguments


def _expected_names(info) -> set[str]:
    """The family's parameters and the training ones whose knob the builder has."""
    defaults = spaces.builder_defaults(info)
    family = spaces.FAMILY_SPACES.get(info.family, spaces.FALLBACK_SPACE)
    names = set()
    for key, entry in {**family, **spaces.TRAINING_SPACE}.items():
        if isinstance(entry, spaces.LayerStack):
            if key in defaults:
                names |= set(entry.params(key, defaults[key]))
        elif entry.knob is None or entry.knob in defaults:
            names.add(key)
    return names


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if n in SLOW_BUILDS else n
        for n in zoo.list_models()
        if n != "resnet1202"  # resnet20's builder and space; 30 s per build (tests/zoo)
    ],
)
def test_every_model_builds_and_compiles_from_its_space(name):
    info = zoo.info(name)
    model = hypermodel(name, **_small(info))
    hp = keras_tuner.HyperParameters()
    built = model.build(hp)
    assert isinstance(built, keras.Model) and built.compiled
    declared = {p.name for p in hp.space}
    assert declared == set(model.space) == _expected_names(info)
    assert declared >= TRAINING
    # The default configuration is the builder's own.
    defaults = spaces.builder_defaults(info)
    for key, param in model.space.items():
        if param.knob == key and param.knob_values is None:
            assert hp.values[key] == defaults[key], key


def test_default_configuration_is_the_paper_model():
    model = hypermodel("mlp", input_shape=(8, 8, 1)).build(keras_tuner.HyperParameters())
    reference = zoo.build("mlp", input_shape=(8, 8, 1))
    assert model.count_params() == reference.count_params() == 64 * 500 + 500 + 5010
    # zoo.training.fit's default: plain SGD (momentum 0) at 0.01.
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.momentum) == 0.0
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)


def test_fixed_hyperparameters_and_knobs():
    model = hypermodel("mlp", input_shape=(8, 8, 1), optimizer="adam", units_1=16)
    hp = keras_tuner.HyperParameters()
    built = model.build(hp)
    assert hp.values["optimizer"] == "adam" and "momentum" not in hp.values
    fixed = {p.name: p for p in hp.space}
    assert isinstance(fixed["units_1"], keras_tuner.engine.hyperparameters.Fixed)
    assert built.get_layer("hidden1").units == 16
    assert isinstance(built.optimizer, keras.optimizers.Adam)
    # A knob outside the space replaces the parameters that set it.
    stacked = hypermodel("mlp", input_shape=(8, 8, 1), hidden_units=[24, 12])
    assert "num_layers" not in stacked.space and "units_1" not in stacked.space
    net = stacked.build(keras_tuner.HyperParameters())
    assert [net.get_layer(f"hidden{i}").units for i in (1, 2)] == [24, 12]


@pytest.mark.parametrize(
    ("fixed", "phrases"),
    [
        ({"depth": 3}, ["'depth'", "num_layers", "learning_rate", "hidden_units"]),
        ({"optimizer": "adamw"}, ["'optimizer'", "'adam'", "'adamw'"]),
        ({"learning_rate": "fast"}, ["'learning_rate'", "a number", "0.001, 0.1"]),
        ({"subsampling": "max"}, ["'subsampling'"]),
    ],
)
def test_bad_fixed_values_name_the_allowed_ones(fixed, phrases):
    with pytest.raises(ValueError) as error:
        hypermodel("mlp", **fixed)
    for phrase in phrases:
        assert phrase in str(error.value)


def test_a_configuration_the_builder_rejects_fails_the_trial():
    model = hypermodel("mlp", input_shape=(8, 8, 1), dropout=1.5)
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="dropout"):
        model.build(keras_tuner.HyperParameters())


class _Batches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1


def test_fit_applies_batch_size_and_schedule(digits):
    train, validation = digits
    model = hypermodel("mlp", input_shape=(8, 8, 1), units_1=16, batch_size=64, schedule="cosine")
    hp = keras_tuner.HyperParameters()
    net = model.build(hp)
    batches = _Batches()
    history = model.fit(hp, net, train, validation_data=validation, epochs=2, callbacks=[batches])
    assert batches.count == 2 * 23  # 1,437 examples in batches of 64
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}
    schedule = net.optimizer._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.CosineDecay)
    assert schedule.decay_steps == 2 * 23
    assert float(net.optimizer.learning_rate) < 1e-6  # decayed to zero at the end


def test_fit_on_arrays_passes_the_batch_size():
    x = np.random.default_rng(0).random((100, 8, 8, 1), dtype=np.float32)
    y = np.arange(100) % 10
    model = hypermodel("mlp", input_shape=(8, 8, 1), units_1=8, batch_size=32)
    hp = keras_tuner.HyperParameters()
    batches = _Batches()
    model.fit(hp, model.build(hp), x, y, epochs=1, callbacks=[batches], verbose=0)
    assert batches.count == 4


def test_regression_tasks_log_mae():
    model = hypermodel("dqn", input_shape=(36, 36, 4), num_actions=3)
    assert model.logged_metrics(validation=True) == ("loss", "mae", "val_loss", "val_mae")
    net = model.build(keras_tuner.HyperParameters())
    assert isinstance(net.loss, keras.losses.MeanSquaredError)
    assert hypermodel("mlp").logged_metrics(validation=False) == ("loss", "accuracy")


def test_a_trial_trains_with_the_recipe_it_logs_the_rate_and_stops_on_nan():
    """The hypermodel compiles and fits through zoo.training.recipe, as zoo.training.fit does:
    the learning rate is in the logs, and a diverging trial stops at the first NaN epoch."""
    model_space = hypermodel("softmax_regression", input_shape=(4,), num_classes=3)
    hp = keras_tuner.HyperParameters()
    model = model_space.build(hp)
    x = np.random.default_rng(0).random((64, 4), dtype=np.float32)
    y = np.arange(64) % 3
    history = model_space.fit(hp, model, x, y, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["learning_rate"], [0.01, 0.01], rtol=1e-6)
    assert len(history.history["loss"]) == 2
    x[40:] = np.nan  # the second half of the first epoch diverges
    model = model_space.build(hp)
    history = model_space.fit(hp, model, x, y, epochs=5, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 1 and np.isnan(history.history["loss"][0])


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        ({"num_classes": 0}, "num_classes must be an integer >= 1, got 0"),
        ({"num_classes": 2.5}, "num_classes must be an integer >= 1, got 2.5"),
        ({"input_shape": (8, 0, 1)}, "input_shape[1] must be an integer >= 1, got 0"),
        ({"input_shape": 64}, "input_shape must be a tuple of positive integers"),
        ({"seed": -1}, "seed must be an integer >= 0"),
        (
            {"optimizer": "adadelta", "learning_rate": 0.5},
            "'learning_rate' of 'mlp' is not used with optimizer 'adadelta', whose learning "
            "rate is 'adadelta_learning_rate'",
        ),
        ({"optimizer": "adam", "adadelta_learning_rate": 1.0}, "fix 'adam_learning_rate' instead"),
        (
            {"optimizer": "adam", "learning_rate": 0.01},
            "'learning_rate' of 'mlp' is not used with optimizer 'adam', whose learning rate is "
            "'adam_learning_rate'",
        ),
    ],
)
def test_bad_arguments_raise_at_once(arguments, phrase):
    """As keras-tuner's own classes do: a ValueError when the hypermodel is made, not a failed
    trial later."""
    with pytest.raises(ValueError) as error:
        hypermodel("mlp", **arguments)
    assert phrase in str(error.value)
    with pytest.raises(ValueError, match="num_classes does not apply to 'autoencoder'"):
        hypermodel("autoencoder", num_classes=10)


def test_adadelta_trains_at_its_own_rate():
    model = hypermodel("mlp", input_shape=(8, 8, 1), units_1=8, optimizer="adadelta")
    hp = keras_tuner.HyperParameters()
    net = model.build(hp)
    assert hp.values["adadelta_learning_rate"] == 1.0 and "learning_rate" not in hp.values
    assert isinstance(net.optimizer, keras.optimizers.Adadelta)
    assert float(net.optimizer.learning_rate) == pytest.approx(1.0)
    fixed = hypermodel("mlp", optimizer="adadelta", adadelta_learning_rate=0.3, units_1=8)
    assert float(fixed.build(keras_tuner.HyperParameters()).optimizer.learning_rate) == (
        pytest.approx(0.3)
    )


@pytest.mark.parametrize(
    ("optimizer", "kind", "rate", "momentum"),
    [
        ("sgd", keras.optimizers.SGD, 0.01, 0.0),
        ("momentum", keras.optimizers.SGD, 0.01, 0.9),
        ("nesterov", keras.optimizers.SGD, 0.01, 0.9),
        ("rmsprop", keras.optimizers.RMSprop, 0.001, None),
        ("adam", keras.optimizers.Adam, 0.001, None),
        ("adamax", keras.optimizers.Adamax, 0.002, None),
        ("adadelta", keras.optimizers.Adadelta, 1.0, None),
    ],
)
def test_each_optimizer_builds_at_its_own_default_rate(optimizer, kind, rate, momentum):
    space = hypermodel("softmax_regression", input_shape=(4,), num_classes=3, optimizer=optimizer)
    hp = keras_tuner.HyperParameters()
    net = space.build(hp)
    assert type(net.optimizer) is kind
    assert float(net.optimizer.learning_rate) == pytest.approx(rate, rel=1e-6)
    assert hp.values[spaces.learning_rate_key(optimizer)] == rate
    assert ("momentum" in hp.values) == (momentum not in (None, 0.0))
    if momentum is not None:
        assert float(net.optimizer.momentum) == pytest.approx(momentum)
        assert net.optimizer.nesterov == (optimizer == "nesterov")


def _arrays(count, features=4, classes=3):
    x = np.random.default_rng(0).random((count, features), dtype=np.float32)
    return x, np.arange(count) % classes


def test_a_trial_shorter_than_its_schedule_trains_at_the_constant_rate():
    """one_cycle needs pct_start x steps > 1 (4 steps at pct_start 0.3): a 1-step trial falls
    back to the constant rate with a warning instead of failing; 4 steps get the schedule."""
    space = hypermodel("softmax_regression", input_shape=(4,), num_classes=3, schedule="one_cycle")
    hp = keras_tuner.HyperParameters()
    model = space.build(hp)
    with pytest.warns(UserWarning, match="'one_cycle' cannot span a trial of 1 step"):
        history = space.fit(hp, model, *_arrays(10), epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["learning_rate"], [0.01], rtol=1e-6)
    assert not isinstance(
        model.optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
    )
    model = space.build(hp)
    space.fit(hp, model, *_arrays(128), epochs=1, verbose=0)  # 4 batches of 32
    held = model.optimizer._learning_rate
    assert type(held).__name__ == "OneCycle" and held.total_steps == 4


def test_one_hot_labels_compile_categorical_cross_entropy():
    """build() compiles for class ids; fit() sees one-hot labels (data.load(one_hot=True)),
    compiles again for them and remembers it for the next builds (trials, load_model)."""
    from zoo.training import data

    load = {"batch_size": 64, "image_size": 8, "one_hot": True}
    train = data.load("digits", "train", seed=0, **load)
    validation = data.load("digits", "test", shuffle=False, **load)
    space = hypermodel(
        "mlp", input_shape=(8, 8, 1), units_1=16, optimizer="adam", adam_learning_rate=0.01
    )
    hp = keras_tuner.HyperParameters()
    model = space.build(hp)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    history = space.fit(hp, model, train, validation_data=validation, epochs=1, verbose=0)
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    assert history.history["val_accuracy"][0] > 0.5  # labels read right: well above chance
    assert isinstance(space.build(hp).loss, keras.losses.CategoricalCrossentropy)
    # One-hot label arrays are recognised too.
    x, y = _arrays(64)
    arrays = hypermodel("softmax_regression", input_shape=(4,), num_classes=3)
    net = arrays.build(hp := keras_tuner.HyperParameters())
    arrays.fit(hp, net, x, np.eye(3, dtype=np.float32)[y], epochs=1, verbose=0)
    assert isinstance(net.loss, keras.losses.CategoricalCrossentropy)
