"""`check_dataset`: catch unusable training data before Keras turns it into a backend error.

Checked without touching the data: the element structure (``(inputs, labels)``), the inputs'
rank, static sizes and dtype against the model's input, and an empty data set (cardinality 0).
Checked on the first batch (one extra pass start, drawn the same way in every run, so resumed
and uninterrupted runs still agree): it exists, its inputs are finite, and class labels fit the
model's outputs (sparse labels in ``[0, num_classes)``, one-hot labels ``num_classes`` wide).
Later batches are guarded by ``keras.callbacks.TerminateOnNaN`` in `zoo.training.fit`.
"""

from __future__ import annotations

import keras
import numpy as np


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _check_spec(model: keras.Model, spec, argument: str) -> None:
    if not isinstance(spec, tuple) or len(spec) < 2:
        raise ValueError(
            f"{argument} must yield (inputs, labels) batches, got elements of {spec!r}."
        )
    inputs = keras.tree.flatten(spec[0])
    expected = model.inputs
    if len(inputs) != len(expected):
        raise ValueError(
            f"{argument} yields {len(inputs)} input tensor(s); the model {model.name!r} takes "
            f"{len(expected)}."
        )
    for given, wanted in zip(inputs, expected, strict=True):
        if not (given.dtype.is_floating or given.dtype.is_integer or given.dtype.is_bool):
            raise ValueError(
                f"{argument}'s inputs must be numeric, got dtype {given.dtype.name} "
                f"(the model {model.name!r} takes {wanted.dtype})."
            )
        shape = tuple(given.shape)
        want = tuple(wanted.shape)
        if given.shape.rank is None:
            continue
        if len(shape) != len(want) or any(
            g is not None and w is not None and g != w
            for g, w in zip(shape[1:], want[1:], strict=True)
        ):
            raise ValueError(
                f"{argument}'s inputs have shape {_shape_text(shape)} per batch; the model "
                f"{model.name!r} expects {_shape_text(want)} (batch first)."
            )


def _check_batch(model: keras.Model, batch, argument: str, *, labels: bool) -> None:
    for tensor in keras.tree.flatten(batch[0]):
        values = np.asarray(tensor)
        if values.dtype.kind == "f" and not np.all(np.isfinite(values)):
            raise ValueError(
                f"{argument} contains NaN or infinite inputs (found in its first batch); "
                "clean or impute the data before training."
            )
    if not labels:
        return
    target = np.asarray(batch[1])
    num_classes = model.outputs[0].shape[-1]
    if target.ndim == len(model.outputs[0].shape):
        if target.shape[-1] != num_classes:
            raise ValueError(
                f"{argument}'s one-hot labels are {target.shape[-1]} wide; the model "
                f"{model.name!r} has {num_classes} outputs."
            )
        return
    if target.size and (target.min() < 0 or target.max() >= num_classes):
        bad = target.min() if target.min() < 0 else target.max()
        raise ValueError(
            f"{argument} has label {bad} (in its first batch); labels must lie in "
            f"[0, {num_classes}) for the model {model.name!r} with num_classes={num_classes}."
        )


def check_dataset(model: keras.Model, dataset, argument: str = "train", *, labels=True):
    """Raise ``ValueError`` naming ``argument`` when ``dataset`` cannot train ``model``.

    Args:
        model: the built Keras model to be trained.
        dataset: a ``tf.data.Dataset`` of ``(inputs, labels)`` batches (other kinds of data
            are left to Keras).
        argument: the name used in messages (``"train"``, ``"validation"``).
        labels: also check class labels against the model's outputs (classification loss).

    Example: ``check_dataset(zoo.build("lenet5"), data.load("digits", image_size=32))``.
    """
    spec = getattr(dataset, "element_spec", None)
    if spec is None:
        return
    _check_spec(model, spec, argument)
    if int(dataset.cardinality()) == 0:
        raise ValueError(f"{argument} is empty: it yields no batches.")
    for batch in dataset.take(1):
        _check_batch(model, batch, argument, labels=labels)
        return
    raise ValueError(f"{argument} is empty: it yields no batches.")
