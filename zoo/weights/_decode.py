"""`decode_predictions`: an ImageNet classifier's scores as (WordNet id, class name, score) rows.

The 1000 ImageNet-1K (ILSVRC 2012) classes ship with the package as data,
``zoo/weights/imagenet_class_index.json``: byte for byte keras.applications' class index (the file
``keras.applications.imagenet_utils.decode_predictions`` downloads from
https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json), whose md5
keras publishes and checks, `CLASS_INDEX_MD5`. So decoding needs no download, and the result is
exactly keras', tie order included: ``{"0": ["n01440764", "tench"], ...}``, the classes in the
order of the WordNet ids, as every ImageNet classifier in the zoo (keras.applications' and
torchvision's weights) numbers its outputs.
"""

from __future__ import annotations

import functools
import json
import pathlib

import numpy as np

from zoo.validation import check_bounded_int

CLASS_INDEX_FILE = "imagenet_class_index.json"
"""The class index's file name, next to this module (keras' name for it too)."""

CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
"""The md5 keras.applications publishes for its ``imagenet_class_index.json``."""

NUM_CLASSES = 1000
"""The ImageNet-1K classes: the width of the scores `decode_predictions` reads."""


@functools.cache
def imagenet_classes() -> tuple[tuple[str, str], ...]:
    """The 1000 ImageNet classes as ``(WordNet id, name)`` in index order (read once):
    ``imagenet_classes()[0] == ("n01440764", "tench")``; the names are keras' (``_`` for spaces;
    two are repeated, ``crane`` (bird 134, machine 517) and ``maillot`` (638, 639))."""
    path = pathlib.Path(__file__).with_name(CLASS_INDEX_FILE)
    index = json.loads(path.read_text(encoding="utf-8"))
    return tuple((wnid, name) for wnid, name in (index[str(i)] for i in range(len(index))))


def _as_scores(probabilities) -> np.ndarray:
    """``probabilities`` as a (batch, 1000) NumPy array of real numbers, or a ValueError."""
    if isinstance(probabilities, np.ndarray):
        scores = probabilities
    elif isinstance(probabilities, (list, tuple)):
        try:
            scores = np.asarray(probabilities)
        except ValueError:  # ragged rows
            raise ValueError(
                f"probabilities must be (batch, {NUM_CLASSES}) ImageNet scores; got a list whose "
                "rows differ in length."
            ) from None
    else:  # a backend tensor (TensorFlow, JAX, PyTorch) or another array-like
        import keras

        try:
            scores = keras.ops.convert_to_numpy(probabilities)
        except (TypeError, ValueError):
            raise ValueError(
                f"probabilities must be (batch, {NUM_CLASSES}) ImageNet scores (a NumPy array, a "
                f"list or a backend tensor); got {type(probabilities).__name__} "
                f"{probabilities!r:.80}."
            ) from None
        scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[1] != NUM_CLASSES:
        one_image = scores.shape == (NUM_CLASSES,)
        hint = " (for one image, add the batch axis: probabilities[None])" if one_image else ""
        raise ValueError(
            f"probabilities must be (batch, {NUM_CLASSES}) ImageNet scores; got shape "
            f"{tuple(scores.shape)}{hint}."
        )
    if scores.dtype == bool or not (
        np.issubdtype(scores.dtype, np.integer) or np.issubdtype(scores.dtype, np.floating)
    ):
        raise ValueError(
            f"probabilities must be (batch, {NUM_CLASSES}) ImageNet scores of a real number "
            f"dtype; got dtype {scores.dtype}."
        )
    return scores


def decode_predictions(probabilities, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """For each row of ``probabilities``, the ``top`` classes by score, highest first, as
    ``(WordNet id, class name, score)``: keras.applications.imagenet_utils.decode_predictions'
    result (same classes, order and ties), without its download.

    ``probabilities``: (batch, 1000) scores of an ImageNet classifier (softmax probabilities or
    logits; only their order matters), a NumPy array, a nested list or a backend tensor.
    ``top``: an integer from 1 to 1000. Scores come back as Python floats.

    Example: ``zoo.decode_predictions(model.predict(images), top=3)[0]`` ->
    ``[("n02123045", "tabby", 0.62), ("n02123159", "tiger_cat", 0.21), ...]``.
    """
    top = check_bounded_int("top", top, maximum=NUM_CLASSES, why=" (the ImageNet classes)")
    scores = _as_scores(probabilities)
    classes = imagenet_classes()
    results = []
    for row in scores:
        # keras' steps exactly: the last `top` of argsort, reversed, then a stable sort by score
        indices = row.argsort()[-top:][::-1]
        result = [(*classes[i], float(row[i])) for i in indices]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results
