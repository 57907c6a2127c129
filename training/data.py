"""`load`: data sets as tf.data pipelines (batched, shuffled every epoch, prefetched).

``digits`` is scikit-learn's bundled copy of the UCI optical handwritten digits (Alpaydin &
Kaynak 1998): 1,797 real 8x8 grey-scale images, available offline, the embedded default data set.
Its 0-16 pixel counts are scaled to [0, 1] and resized (bilinear) to ``image_size`` x
``image_size`` so that LeNet-style models see their paper's input size. The split is fixed: a
stratified 80/20 split with scikit-learn's ``train_test_split(random_state=0)``, 1,437 train
and 360 test images.

This module is one of the two places where TensorFlow is used directly (ARCHITECTURE.md 2).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from zoo.validation import check_choice, check_positive_int


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    name: str
    splits: tuple[str, ...]
    num_classes: int
    channels: int
    default_image_size: int


DATASETS = {
    "digits": DatasetSpec("digits", ("train", "test"), 10, 1, 32),
}


def spec(name: str) -> DatasetSpec:
    """The `DatasetSpec` (splits, classes, channels, default image size) of a data set."""
    check_choice("name", name, tuple(DATASETS))
    return DATASETS[name]


@functools.lru_cache(maxsize=4)
def digits_arrays(image_size: int = 32):
    """The digits split as numpy arrays: ``(x_train, y_train, x_test, y_test)``.

    Images are float32 in [0, 1] with shape (N, image_size, image_size, 1); labels int32.
    """
    import tensorflow as tf
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    labels = bunch.target.astype(np.int32)
    if image_size != images.shape[1]:
        resized = tf.image.resize(
            images, (image_size, image_size), method="bilinear", antialias=True
        )
        images = np.clip(resized.numpy(), 0.0, 1.0).astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=0
    )
    return x_train, y_train, x_test, y_test


def load(
    name: str,
    split: str = "train",
    *,
    batch_size: int = 128,
    shuffle: bool = True,
    augment: bool = False,
    one_hot: bool = False,
    data_dir=None,
    seed: int | None = None,
    image_size: int | None = None,
):
    """A batched, prefetched ``tf.data.Dataset`` of ``(image, label)`` pairs.

    Args:
        name: data set name; one of ``DATASETS``.
        split: ``"train"`` or ``"test"``.
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: reshuffle the examples every epoch (deterministic given ``seed``).
        augment: random augmentation of the train split (none is defined for ``digits``).
        one_hot: float one-hot labels instead of int32 class ids.
        data_dir: where downloaded data sets are cached (unused by ``digits``).
        seed: seed of the shuffle order.
        image_size: side of the square images (``digits``: default 32).

    Example: ``train = zoo.training.data.load("digits", batch_size=64, seed=0)``.
    """
    import tensorflow as tf

    dataset_spec = spec(name)
    check_choice("split", split, dataset_spec.splits)
    batch_size = check_positive_int("batch_size", batch_size)
    image_size = check_positive_int(
        "image_size", dataset_spec.default_image_size if image_size is None else image_size
    )
    if augment:
        raise ValueError(f"augment=True is not defined for {name!r}; use augment=False.")
    x_train, y_train, x_test, y_test = digits_arrays(image_size)
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    if one_hot:
        labels = np.eye(dataset_spec.num_classes, dtype=np.float32)[labels]
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
