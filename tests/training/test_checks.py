"""`check_dataset` and `checked_batches`: usable data passes untouched; each kind of unusable
data is named.

The refusals themselves are rows of tests/reliability/test_bad_inputs.py and
test_data_errors.py; here: what must pass (every label form, with the loss `default_loss` picks
for it), that the checks do not consume or change a `load` data set's passes, and how batches
are counted.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.training import checks, data, recipe
from zoo.training.checks import check_dataset, checked_batches, data_error, label_form


@pytest.fixture(scope="module")
def model():
    return zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4])


def test_digits_passes_and_keeps_its_pass_order(model):
    train = data.load("digits", batch_size=32, seed=3, image_size=8)
    first = next(iter(data.epoch_stream(train, 0)))[1].numpy()
    check_dataset(model, train)
    np.testing.assert_array_equal(next(iter(data.epoch_stream(train, 0)))[1].numpy(), first)


def test_unknown_cardinality_one_hot_and_label_free_checks(model):
    x = np.zeros((8, 8, 8, 1), np.float32)
    one_hot = np.eye(10, dtype=np.float32)[np.arange(8)]
    check_dataset(
        model, tf.data.Dataset.from_tensor_slices((x, one_hot)).batch(4).filter(lambda a, b: True)
    )
    regression = np.full(8, 99.0, np.float32)  # not class labels: a custom loss is in use
    check_dataset(model, tf.data.Dataset.from_tensor_slices((x, regression)).batch(4), labels=False)


def test_inputs_without_labels_are_named(model):
    inputs_only = tf.data.Dataset.from_tensor_slices(np.zeros((4, 8, 8, 1), np.float32)).batch(2)
    with pytest.raises(ValueError, match=r"validation must yield \(inputs, labels\) batches"):
        check_dataset(model, inputs_only, "validation")


def test_other_data_is_left_to_keras(model):
    assert check_dataset(model, [np.zeros((2, 8, 8, 1))]) is None


# ---- label forms ----------------------------------------------------------------------------


def _pairs(labels, batch_size=8):
    x = np.random.default_rng(0).random((len(labels), 8, 8, 1), dtype=np.float32)
    return tf.data.Dataset.from_tensor_slices((x, labels)).batch(batch_size)


@pytest.mark.parametrize(
    ("labels", "form", "loss"),
    [
        (np.arange(16, dtype=np.int32) % 10, "sparse", "SparseCategoricalCrossentropy"),
        ((np.arange(16) % 10).reshape(-1, 1).astype(np.int32), "sparse", "Sparse"),
        (np.eye(10, dtype=np.int32)[np.arange(16) % 10], "one_hot", "CategoricalCrossentropy"),
        (np.eye(10, dtype=np.float32)[np.arange(16) % 10], "one_hot", "CategoricalCrossentropy"),
    ],
    ids=["ids", "ids-n-by-1", "int-one-hot", "float-one-hot"],
)
def test_each_label_form_gets_its_loss_and_trains(labels, form, loss):
    model = zoo.build("mlp", input_shape=(8, 8, 1), num_classes=10, hidden_units=[4])
    train = _pairs(labels)
    assert label_form(model, train.element_spec[1]) == form
    chosen = recipe.default_loss(model, train)
    assert type(chosen).__name__.startswith(loss)
    check_dataset(model, train)
    model.compile("sgd", chosen, metrics=["accuracy"])
    history = model.fit(checked_batches(model, train), epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


def test_soft_labels_and_sample_weights_pass_unchanged(model):
    soft = np.full((16, 10), 0.1, np.float32)  # mixup-like rows
    x = np.ones((16, 8, 8, 1), np.float32)
    weights = np.linspace(0.0, 1.0, 16, dtype=np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((x, soft, weights)).batch(8)
    checked = checked_batches(model, dataset)
    assert checked.element_spec == dataset.element_spec
    for given, seen in zip(dataset, checked, strict=True):
        for a, b in zip(given, seen, strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---- the per-batch check in the pipeline --------------------------------------------------


def test_a_load_data_set_keeps_its_epoch_link_and_batches(model):
    train = data.load("digits", batch_size=128, seed=4, image_size=8)
    checked = checked_batches(model, train)
    assert int(checked.cardinality()) == int(train.cardinality())
    plain = [y.numpy() for _, y in data.epoch_stream(train, 2).take(14)]
    seen = [y.numpy() for _, y in data.epoch_stream(checked, 2).take(14)]
    for a, b in zip(plain, seen, strict=True):
        np.testing.assert_array_equal(a, b)


def test_batch_indices_count_from_zero_in_every_pass(model):
    labels = np.arange(24, dtype=np.int32) % 10
    labels[17] = 10  # the third batch of 8
    repeated = checked_batches(model, _pairs(labels)).repeat(2)
    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        for _ in repeated:
            pass
    problem = data_error(raised.value)
    assert str(problem) == (
        "train has label 10 in batch 2 (0-based); labels must lie in [0, 10) for the model "
        f"{model.name!r} with num_classes=10."
    )
    assert "\n" not in str(problem)


def _first_error(model, dataset, argument="train") -> str:
    with pytest.raises(tf.errors.InvalidArgumentError) as raised:
        for _ in checked_batches(model, dataset, argument):
            pass
    return str(data_error(raised.value))


def test_the_check_is_traced_once_and_still_names_each_model(model):
    """Every fit and trial maps the check again: data sets of one structure, for models of one
    name and number of classes, share its traced function; another name, number of classes or
    argument gets its own, and each message names its own model."""
    labels = np.arange(24, dtype=np.int32) % 10
    labels[17] = 10
    spec = _pairs(labels).element_spec
    twin = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[8])
    check = checks._batch_check(model, spec, "train", labels=True)
    assert checks._batch_check(twin, spec, "train", labels=True) is check
    assert checks._batch_check(model, spec, "validation", labels=True) is not check
    renamed = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4], name="other")
    narrow = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[4], num_classes=4)
    for other in (renamed, narrow):
        assert checks._batch_check(other, spec, "train", labels=True) is not check
    assert "for the model 'mlp' with num_classes=10." in _first_error(twin, _pairs(labels))
    assert "for the model 'other' with" in _first_error(renamed, _pairs(labels))
    assert "must lie in [0, 4) for the model 'mlp' with num_classes=4." in _first_error(
        narrow, _pairs(labels % 5)
    )
    assert _first_error(model, _pairs(labels), "validation").startswith("validation has label 10")


def test_other_errors_are_not_data_errors():
    assert data_error(ValueError("something else")) is None
    assert data_error(tf.errors.InvalidArgumentError(None, None, "Received a label value")) is None


def test_labels_are_left_alone_for_a_custom_loss(model):
    regression = np.full(16, 99.0, np.float32)
    for _ in checked_batches(model, _pairs(regression), labels=False):
        pass
