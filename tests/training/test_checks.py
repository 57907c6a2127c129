"""`check_dataset`: usable data passes untouched; each kind of unusable data is named.

The refusals themselves are rows of tests/reliability/test_bad_inputs.py (through `fit`);
here: what must pass, and that the check does not consume a `load` data set's passes.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.training import data
from zoo.training.checks import check_dataset


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
