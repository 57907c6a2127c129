"""`zoo.training.transfer`: freeze / unfreeze by name, layer or stage record, frozen
BatchNormalization in inference mode, and the two-phase `fine_tune` recipe."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.training import fine_tune, freeze, transfer, unfreeze

LENET_CONV = ["input", "c1", "c1_act", "s2", "c3", "c3_act", "s4"]


@dataclasses.dataclass(frozen=True)
class Stage:
    """A stand-in for the records of ``zoo.feature_info(model)`` (duck-typed on ``.layer``)."""

    index: int
    layer: str
    channels: int
    reduction: int


@pytest.fixture(scope="module")
def lenet_model():
    keras.utils.set_random_seed(0)
    return zoo.build("lenet5", input_shape=(16, 16, 1), num_classes=3)


@pytest.fixture(scope="module")
def resnet_model():
    keras.utils.set_random_seed(0)
    return zoo.build("resnet20", input_shape=(8, 8, 3), num_classes=3)


def thawed(model):
    """``model`` with every layer trainable again (each layer's own flag: under TensorFlow,
    ``model.trainable = True`` on a model whose flag is already True changes nothing)."""
    for layer in model._flatten_layers(include_self=True):
        if not layer.trainable:
            layer.trainable = True
    return model


@pytest.fixture
def lenet(lenet_model):
    return thawed(lenet_model)  # every test starts from a fully trainable model


@pytest.fixture
def resnet(resnet_model):
    return thawed(resnet_model)


def trainable_names(model):
    return [layer.name for layer in model.layers if layer.trainable]


def random_data(shape, num_classes, count=32, batch_size=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((count, *shape), dtype=np.float32)
    y = rng.integers(0, num_classes, count).astype(np.int32)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)


def ids(variables):
    return [id(v) for v in variables]


def weights_of(model, names):
    return {name: [w.numpy().copy() for w in model.get_layer(name).weights] for name in names}


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


class WeightsAtTrainEnd(keras.callbacks.Callback):
    """Every layer's weights at the end of each `fit` call (one entry per phase)."""

    def __init__(self):
        super().__init__()
        self.snapshots = []

    def on_train_end(self, logs=None):
        self.snapshots.append(
            {layer.name: [w.numpy().copy() for w in layer.weights] for layer in self.model.layers}
        )


# --- freeze / unfreeze -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["name", "layer", "record"])
def test_freeze_up_to_name_layer_or_record(lenet, kind):
    up_to = {
        "name": "s4",
        "layer": lenet.get_layer("s4"),
        "record": Stage(index=1, layer="s4", channels=16, reduction=4),
    }[kind]
    assert freeze(lenet, up_to=up_to) == LENET_CONV
    assert trainable_names(lenet) == [n.name for n in lenet.layers[len(LENET_CONV) :]]
    kept = {id(w) for n in ("c5", "f6", "predictions") for w in lenet.get_layer(n).weights}
    assert {id(w) for w in lenet.trainable_weights} == kept


def test_freeze_none_freezes_everything(lenet):
    assert freeze(lenet) == [layer.name for layer in lenet.layers]
    assert lenet.trainable_weights == []


def test_trainable_weights_are_those_of_unfrozen_layers(resnet):
    frozen = freeze(resnet, up_to="conv3_block3_out")
    assert frozen[-1] == "conv3_block3_out" and frozen[0] == "input"
    unfrozen = [layer for layer in resnet.layers if layer.trainable]
    assert unfrozen == resnet.layers[len(frozen) :]
    assert len(resnet.trainable_weights) == sum(len(la.trainable_weights) for la in unfrozen)
    expected = sum(int(np.prod(w.shape)) for la in unfrozen for w in la.trainable_weights)
    assert sum(int(np.prod(w.shape)) for w in resnet.trainable_weights) == expected
    assert 0 < expected < sum(int(np.prod(w.shape)) for w in resnet.weights)


def test_unfreeze_after_keeps_batch_norm_frozen(resnet):
    freeze(resnet)
    names = unfreeze(resnet, after="conv4_block1_out")
    start = [la.name for la in resnet.layers].index("conv4_block1_out") + 1
    after = resnet.layers[start:]
    batch_norms = [la.name for la in after if isinstance(la, keras.layers.BatchNormalization)]
    assert batch_norms, "resnet20's last stage has batch normalization"
    assert names == [la.name for la in after if la.name not in batch_norms]
    assert trainable_names(resnet) == names
    assert not any(resnet.get_layer(n).trainable for n in batch_norms)


def test_unfreeze_batch_norm_true_and_none(resnet):
    freeze(resnet)
    names = unfreeze(resnet, after=Stage(2, "conv4_block1_out", 64, 4), batch_norm=True)
    start = [la.name for la in resnet.layers].index("conv4_block1_out") + 1
    assert names == [la.name for la in resnet.layers[start:]]
    freeze(resnet)
    everything = unfreeze(resnet, batch_norm=True)
    assert everything == [la.name for la in resnet.layers]
    assert len(resnet.trainable_weights) == len([w for w in resnet.weights if w.trainable])


def test_unfreeze_lifts_model_trainable_false(lenet):
    lenet.trainable = False  # hides every weight, whatever the layers' flags
    unfreeze(lenet, after="s4")
    assert trainable_names(lenet) == [n.name for n in lenet.layers[len(LENET_CONV) :]]
    assert len(lenet.trainable_weights) == 6


def nested_model():
    inner = keras.Sequential(
        [
            keras.Input((6, 6, 2)),
            keras.layers.Conv2D(4, 3, name="inner_conv"),
            keras.layers.BatchNormalization(name="inner_bn"),
        ],
        name="backbone",
    )
    inputs = keras.Input((6, 6, 2), name="image")
    x = inner(inputs)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs), inner


def test_nested_model_is_frozen_and_unfrozen_whole():
    model, inner = nested_model()
    assert freeze(model, up_to="flatten") == ["image", "backbone", "flatten"]
    assert not any(layer.trainable for layer in inner.layers)
    assert {id(w) for w in model.trainable_weights} == {
        id(w) for w in model.get_layer("head").weights
    }
    assert unfreeze(model) == ["image", "backbone", "flatten", "head"]
    assert inner.get_layer("inner_conv").trainable
    assert not inner.get_layer("inner_bn").trainable  # stays frozen, in inference mode
    with pytest.raises(ValueError, match=r"up_to='inner_conv' is a layer inside the nested model"):
        freeze(model, up_to="inner_conv")


def test_unfreeze_reaches_sublayers_frozen_one_by_one():
    model, inner = nested_model()
    inner.get_layer("inner_conv").trainable = False  # inner's own flag stays True
    assert inner.trainable
    unfreeze(model, batch_norm=True)
    assert inner.get_layer("inner_conv").trainable
    trainable = ids(model.trainable_weights)
    assert all(id(w) in trainable for w in inner.get_layer("inner_conv").weights)


def test_unknown_name_suggests_close_names(lenet):
    with pytest.raises(ValueError, match=r"up_to='c33' is not a layer of model .*'c3'"):
        freeze(lenet, up_to="c33")
    with pytest.raises(ValueError, match=r"after='predictons' .*'predictions'"):
        unfreeze(lenet, after="predictons")
    assert ids(lenet.trainable_weights) == ids(lenet.weights)  # nothing changed


@pytest.mark.parametrize(
    "value, message",
    [
        (3, r"up_to must be a layer name \(str\), a keras.layers.Layer .*; got 3"),
        (Stage(0, None, 6, 1), r"got a record whose \.layer is None"),
        (keras.layers.Dense(2, name="stranger"), r"'stranger' is not one of the layers"),
    ],
)
def test_bad_up_to(lenet, value, message):
    with pytest.raises(ValueError, match=message):
        freeze(lenet, up_to=value)


def test_bad_model_and_flag(lenet):
    with pytest.raises(ValueError, match=r"model must be a keras\.Model"):
        freeze("lenet5")
    with pytest.raises(ValueError, match="batch_norm must be True or False"):
        unfreeze(lenet, batch_norm=1)


# --- frozen batch normalization ---------------------------------------------------------------


def bn_model():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((4, 4, 2), name="image")
    x = keras.layers.Conv2D(3, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(momentum=0.5, name="bn")(x)
    x = keras.layers.Activation("relu", name="relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs)


def bn_state(model):
    bn = model.get_layer("bn")
    return [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]


def test_frozen_batch_norm_runs_in_inference_mode():
    model = bn_model()
    freeze(model)
    assert unfreeze(model) == ["image", "conv", "relu", "flatten", "head"]
    bn = model.get_layer("bn")
    assert not bn.trainable
    # shifted, scaled inputs: batch statistics far from the moving ones (0 and 1)
    x = 3.0 + 2.0 * np.random.default_rng(0).standard_normal((8, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(bn(x, training=True), bn(x, training=False), rtol=1e-6)
    before, conv_before = bn_state(model), weights_of(model, ["conv"])["conv"]
    gamma_before = [bn.gamma.numpy().copy(), bn.beta.numpy().copy()]
    zoo.training.fit(model, random_data((4, 4, 2), 3), epochs=1, verbose=0)
    assert same(bn_state(model), before), "a frozen BatchNormalization updated its statistics"
    assert same([bn.gamma.numpy(), bn.beta.numpy()], gamma_before)
    assert not same(weights_of(model, ["conv"])["conv"], conv_before)


def test_unfrozen_batch_norm_updates_its_statistics():
    model = bn_model()
    freeze(model)
    assert "bn" in unfreeze(model, batch_norm=True)
    x = 3.0 + 2.0 * np.random.default_rng(0).standard_normal((8, 4, 4, 3)).astype("float32")
    bn = model.get_layer("bn")
    assert not np.allclose(bn(x, training=True), bn(x, training=False), atol=1e-3)
    before = bn_state(model)
    zoo.training.fit(model, random_data((4, 4, 2), 3), epochs=1, verbose=0)
    after = bn_state(model)
    assert not np.array_equal(after[0], before[0]) and not np.array_equal(after[1], before[1])


# --- fine_tune --------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:fit. train has no epoch_pass")
def test_fine_tune_two_phases(tmp_path):
    keras.utils.set_random_seed(0)
    model = zoo.build("lenet5", input_shape=(16, 16, 1), num_classes=3)
    initial = {layer.name: [w.numpy().copy() for w in layer.weights] for layer in model.layers}
    recorder = WeightsAtTrainEnd()
    head, tuned = fine_tune(
        model,
        random_data((16, 16, 1), 3),
        backbone=Stage(1, "s4", 16, 4),
        head_epochs=2,
        epochs=1,
        learning_rate=0.05,
        unfreeze_after="s2",
        callbacks=[recorder],
        verbose=0,
        checkpoint_dir=tmp_path / "run",
    )
    assert len(head.history["loss"]) == 2 and len(tuned.history["loss"]) == 1
    np.testing.assert_allclose(head.history["learning_rate"], [0.05, 0.05], rtol=1e-6)
    np.testing.assert_allclose(tuned.history["learning_rate"], [0.005], rtol=1e-6)
    phase_1, phase_2 = recorder.snapshots
    for name in ("c1", "c3"):  # the backbone, frozen in phase 1
        assert same(phase_1[name], initial[name]), name
    for name in ("c5", "f6", "predictions"):  # the head
        assert not same(phase_1[name], initial[name]), name
    assert same(phase_2["c1"], phase_1["c1"])  # before unfreeze_after: still frozen
    for name in ("c3", "c5", "f6", "predictions"):
        assert not same(phase_2[name], phase_1[name]), name
    assert trainable_names(model)[:4] == ["c3", "c3_act", "s4", "flatten"]
    for phase in ("head", "fine_tune"):
        assert (tmp_path / "run" / phase / "state.json").is_file()
    # a rerun with the same arguments finds both phases done: nothing trains, same weights
    final = model.get_weights()
    again = fine_tune(
        model,
        random_data((16, 16, 1), 3),
        backbone=Stage(1, "s4", 16, 4),
        head_epochs=2,
        epochs=1,
        learning_rate=0.05,
        unfreeze_after="s2",
        verbose=0,
        checkpoint_dir=tmp_path / "run",
    )
    assert [h.history for h in again] == [{}, {}]
    assert same(model.get_weights(), final)


def test_fine_tune_default_rates_and_frozen_batch_norm():
    model = bn_model()
    initial = weights_of(model, ["conv", "bn", "head"])
    statistics = bn_state(model)
    recorder = WeightsAtTrainEnd()
    head, tuned = fine_tune(
        model,
        random_data((4, 4, 2), 3),
        backbone="relu",
        head_epochs=1,
        epochs=1,
        callbacks=[recorder],
        verbose=0,
    )
    np.testing.assert_allclose(head.history["learning_rate"], [0.01], rtol=1e-6)  # fit's default
    np.testing.assert_allclose(tuned.history["learning_rate"], [0.001], rtol=1e-6)
    phase_1, phase_2 = recorder.snapshots
    assert same(phase_1["conv"], initial["conv"]) and same(phase_1["bn"], initial["bn"])
    assert not same(phase_1["head"], initial["head"])
    assert not same(phase_2["conv"], phase_1["conv"])  # unfreeze_after=None: all but BN
    assert same(phase_2["bn"], initial["bn"])  # gamma, beta and the moving statistics
    assert same(bn_state(model), statistics)
    assert trainable_names(model) == ["image", "conv", "relu", "flatten", "head"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"head_epochs": 0}, r"head_epochs must be an integer >= 1, got 0"),
        ({"epochs": 1.5}, r"epochs must be an integer >= 1, got 1.5"),
        ({"backbone": "s44"}, r"backbone='s44' is not a layer .*'s4'"),
        ({"unfreeze_after": 7}, r"unfreeze_after must be a layer name"),
        ({"learning_rate": -1.0}, r"learning_rate must be in \(0.0, inf\]"),
        ({"fine_tune_learning_rate": 0}, r"fine_tune_learning_rate must be in \(0.0, inf\]"),
        ({"optimizer": keras.optimizers.SGD()}, r"fine_tune needs optimizer as a name"),
        (
            {"learning_rate": keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)},
            r"fine_tune_learning_rate must be given when learning_rate is a schedule",
        ),
    ],
)
def test_fine_tune_checks_arguments_before_training(lenet, arguments, message):
    kwargs = {"backbone": "s4", "head_epochs": 1, "epochs": 1, **arguments}
    with pytest.raises(ValueError, match=message):
        fine_tune(lenet, random_data((16, 16, 1), 3), **kwargs)
    assert ids(lenet.trainable_weights) == ids(lenet.weights)  # nothing frozen, nothing trained


def test_layer_index_is_the_position_in_model_layers(lenet):
    assert transfer.layer_index(lenet, "f6_act", "up_to") == 11
    assert lenet.layers[11].name == "f6_act"
