"""The embedded `digits` data set: the fixed split, values, classes and seeded shuffling."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.training import data


def _collect(dataset):
    images, labels = [], []
    for x, y in dataset:
        images.append(x.numpy())
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


def test_split_sizes_shapes_range_and_classes():
    train_x, train_y = _collect(data.load("digits", "train", batch_size=500, shuffle=False))
    test_x, test_y = _collect(data.load("digits", "test", batch_size=500, shuffle=False))
    assert train_x.shape == (1437, 32, 32, 1) and test_x.shape == (360, 32, 32, 1)
    assert train_x.dtype == np.float32 and train_y.dtype == np.int32
    for images in (train_x, test_x):
        assert images.min() >= 0.0 and images.max() <= 1.0 and images.max() > 0.9
    assert set(train_y) == set(test_y) == set(range(10))
    # Stratified: every class keeps its share of the 1,797 images in both splits.
    assert np.all(np.abs(np.bincount(test_y) / 360 - np.bincount(train_y) / 1437) < 0.01)


def test_native_size_matches_scikit_learn():
    from sklearn.datasets import load_digits

    x_train, _, x_test, _ = data.digits_arrays(8)
    original = {img.tobytes() for img in (load_digits().images / 16.0).astype(np.float32)}
    assert {img[..., 0].tobytes() for img in x_train} <= original
    assert {img[..., 0].tobytes() for img in x_test} <= original
    assert len(x_train) + len(x_test) == 1797


def test_shuffling_is_deterministic_with_a_seed_and_differs_across_epochs():
    first = data.load("digits", batch_size=1437, seed=7)
    second = data.load("digits", batch_size=1437, seed=7)
    epoch_a = next(iter(first))[1].numpy()
    assert np.array_equal(epoch_a, next(iter(second))[1].numpy())
    assert not np.array_equal(epoch_a, next(iter(first))[1].numpy())  # reshuffled next epoch
    other = next(iter(data.load("digits", batch_size=1437, seed=8)))[1].numpy()
    assert not np.array_equal(epoch_a, other)


def test_batches_one_hot_and_image_size():
    x, y = next(iter(data.load("digits", batch_size=10, one_hot=True, image_size=28)))
    assert x.shape == (10, 28, 28, 1) and y.shape == (10, 10)
    np.testing.assert_array_equal(y.numpy().sum(axis=1), np.ones(10))


@pytest.mark.parametrize(
    ("args", "kwargs", "phrase"),
    [
        (("imagenet",), {}, "name must be one of"),
        (("digits", "validation"), {}, "split must be one of 'train', 'test'"),
        (("digits",), {"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
        (("digits",), {"image_size": -4}, "image_size must be an integer >= 1"),
    ],
)
def test_bad_arguments(args, kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        data.load(*args, **kwargs)
