"""`check_dataset` and `checked_batches`: catch unusable training data before Keras turns it into
a backend error deep inside a run.

`check_dataset` runs before training and reads at most one batch: the element structure
(``(inputs, labels)``), the inputs' rank, static sizes and dtype against the model's input, the
labels' dtype and form against its output (`label_form`), an empty data set (cardinality 0),
and the first batch through the per-batch check. `checked_batches` puts that per-batch check
inside the tf.data pipeline, so every batch of every pass is checked as it is drawn:

- floating inputs are finite (no NaN, no infinity);
- class ids (shape ``(N,)``, or ``(N, 1)`` for outputs ``(N, C)``) lie in ``[0, C)``;
- one-hot rows (shape ``(N, C)``, float or integer) are ``C`` wide with values in [0, 1];
- binary labels of a one-unit output (N, 1), shape ``(N,)`` or ``(N, 1)`` (logistic
  regression's t of P(t = 1 | x)), lie in [0, 1].

The check is a few tf reductions and one short message string per batch (no ``py_function``, no
extra pass). Every `fit` and every trial maps it over its data sets again, so it is traced once
per model name, classes and structure of batches (one cached ``tf.function``), without a
``tf.cond`` (whose two traced branches doubled the trace): mapping it costs 12 ms, not 66 ms,
and `check_dataset` 57 ms, not 117 ms (2-core CPU, a digits data set). A failing batch
stops the pipeline with TensorFlow's ``InvalidArgumentError``, whose message carries `MARKER`
and names the data set, the batch (0-based, counted from the start of its pass: an epoch in
`zoo.training.fit`), the bad value and what is allowed; `data_error` turns it into one
``ValueError`` line. Like `zoo.training.data`, this module uses TensorFlow directly (imported on
first use): the checks are ops of the tf.data pipelines that module makes.
"""

from __future__ import annotations

import functools
import re

import keras

from zoo.training import data as data_lib

MARKER = "zoo data check: "
"""Starts every message of the per-batch check, so `data_error` finds it in TensorFlow's."""

_FOUND = re.compile(re.escape(MARKER) + r"(.*?\.)\]")
_ESCAPED = re.compile(r"\\(['\"\\])")  # TensorFlow escapes quotes and backslashes in messages


def _shape_text(shape) -> str:
    sizes = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


def _output_shape(model: keras.Model):
    outputs = getattr(model, "outputs", None)
    return tuple(outputs[0].shape) if outputs else None


def label_form(model: keras.Model, labels) -> str | None:
    """How ``labels`` (the ``tf.TensorSpec`` of a batch's labels) name the classes of ``model``'s
    first output ``(N, ..., C)``: ``"sparse"`` (class ids, shape ``(N, ...)`` or
    ``(N, ..., 1)``), ``"one_hot"`` (rows ``C`` wide, float or integer), ``"binary"`` (an output
    of one unit, C = 1: 0-1 labels of shape ``(N, ...)`` or ``(N, ..., 1)``, for binary
    cross-entropy), or None (labels that are not one tensor, or of another rank).

    `zoo.training.recipe.default_loss` picks sparse or categorical cross-entropy from it.

    Example: ``label_form(model, dataset.element_spec[1])`` is ``"sparse"`` for int32 ``(N, 1)``.
    """
    output = _output_shape(model)
    shape = getattr(labels, "shape", None)
    if output is None or shape is None or shape.rank is None:
        return None
    if output[-1] == 1 and shape.rank in (len(output) - 1, len(output)):
        return "binary" if shape.rank < len(output) or shape[-1] in (1, None) else None
    if shape.rank == len(output) - 1:
        return "sparse"
    if shape.rank == len(output):
        return "sparse" if shape[-1] == 1 and output[-1] != 1 else "one_hot"
    return None


def _check_spec(model: keras.Model, spec, argument: str, *, labels: bool) -> None:
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
    if labels:
        _check_label_spec(model, spec[1], argument)


def _check_label_spec(model: keras.Model, spec, argument: str) -> None:
    dtype = getattr(spec, "dtype", None)
    if dtype is None or _output_shape(model) is None:
        return  # several label tensors (a multi-output model): left to its losses
    if not (dtype.is_floating or dtype.is_integer or dtype.is_bool):
        raise ValueError(
            f"{argument}'s labels must be numeric (class ids or one-hot rows), got dtype "
            f"{dtype.name}."
        )
    output = _output_shape(model)
    form = label_form(model, spec)
    if form is None and spec.shape.rank is not None:
        ids = _shape_text(output[:-1])
        raise ValueError(
            f"{argument}'s labels have shape {_shape_text(spec.shape)} per batch; the model "
            f"{model.name!r} outputs {_shape_text(output)}: give class ids of shape {ids} or "
            f"{_shape_text((*output[:-1], 1))}, or one-hot rows of shape {_shape_text(output)}."
        )
    width = spec.shape[-1] if form == "one_hot" else None
    if width is not None and output[-1] is not None and width != output[-1]:
        raise ValueError(
            f"{argument}'s one-hot labels are {width} wide; the model {model.name!r} has "
            f"{output[-1]} outputs."
        )


def _batch_check(model: keras.Model, spec, argument: str, *, labels: bool):
    """The per-batch check: a function ``(index, batch) -> batch`` for ``Dataset.map`` after
    ``enumerate``, whose assertions run before the batch is handed on."""
    num_classes = (_output_shape(model) or (None,))[-1]
    form = label_form(model, spec[1]) if labels and num_classes is not None else None
    return _traced_check(model.name, num_classes, form, argument)


@functools.lru_cache(maxsize=64)
def _traced_check(model_name: str, num_classes: int | None, form: str | None, argument: str):
    """`_batch_check`'s function as one ``tf.function``, kept for the next data set: every
    `fit` and trial maps the check over each of its data sets twice (`check_dataset`'s first
    batch, then every batch), and data sets of the same structure then reuse its trace."""
    import tensorflow as tf

    def text(*parts):
        """A message from Python strings and tensors (formatted values), starting with MARKER."""
        pieces = [MARKER]
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
            elif part.dtype.is_floating:
                pieces.append(tf.strings.as_string(tf.cast(part, tf.float32), shortest=True))
            else:
                pieces.append(tf.strings.as_string(tf.cast(part, tf.int64)))
        return tf.strings.join(pieces)

    def asserted(ok, message):
        """Assert ``ok``, failing with ``message`` (a string tensor: Assert adds no cond of
        its own for string data)."""
        return tf.debugging.Assert(ok, [message])

    def first_bad(values, good):
        """The first of ``values`` where ``good`` is False (0 where there is none)."""
        flat = tf.concat([tf.reshape(values, [-1]), tf.zeros([1], values.dtype)], 0)
        bad = tf.concat([tf.logical_not(tf.reshape(good, [-1])), [True]], 0)
        return tf.gather(flat, tf.where(bad)[0, 0])

    def finite_inputs(tensor, index):
        finite = tf.math.is_finite(tensor)
        return asserted(
            tf.reduce_all(finite),
            text(
                f"{argument} contains NaN or infinite inputs: value ",
                first_bad(tensor, finite),
                " in batch ",
                index,
                " (0-based); clean or impute the data before training.",
            ),
        )

    def class_ids(target, index):
        values = tf.cast(target, tf.float64)
        good = tf.logical_and(values >= 0, values < num_classes)
        return asserted(
            tf.reduce_all(good),
            text(
                f"{argument} has label ",
                first_bad(target, good),
                " in batch ",
                index,
                f" (0-based); labels must lie in [0, {num_classes}) for the model {model_name!r} "
                f"with num_classes={num_classes}.",
            ),
        )

    def binary_labels(target, index):
        values = tf.cast(target, tf.float64)
        good = tf.logical_and(values >= 0, values <= 1)
        return asserted(
            tf.reduce_all(good),
            text(
                f"{argument} has label ",
                first_bad(target, good),
                " in batch ",
                index,
                f" (0-based); the model {model_name!r} has one output unit (P(t = 1 | x)), "
                "so its labels must lie in [0, 1].",
            ),
        )

    def one_hot_rows(target, index):
        values = tf.cast(target, tf.float64)
        good = tf.logical_and(values >= 0, values <= 1)
        width = tf.shape(target)[-1]
        ok = tf.logical_and(tf.reduce_all(good), tf.equal(width, num_classes))
        return asserted(
            ok,
            tf.where(
                tf.equal(width, num_classes),
                text(
                    f"{argument} has one-hot label value ",
                    first_bad(target, good),
                    " in batch ",
                    index,
                    " (0-based); one-hot labels must lie between 0 and 1.",
                ),
                text(
                    f"{argument}'s one-hot labels in batch ",
                    index,
                    " (0-based) are ",
                    width,
                    f" wide; the model {model_name!r} has {num_classes} outputs.",
                ),
            ),
        )

    def check(index, batch):
        asserts = [
            finite_inputs(tensor, index)
            for tensor in tf.nest.flatten(batch[0])
            if isinstance(tensor, tf.Tensor) and tensor.dtype.is_floating
        ]
        target = batch[1]
        if form is not None and isinstance(target, tf.Tensor):
            target = tf.cast(target, tf.int32) if target.dtype == tf.bool else target
            checked = {"sparse": class_ids, "one_hot": one_hot_rows, "binary": binary_labels}
            asserts.append(checked[form](target, index))
        with tf.control_dependencies(asserts):
            return tf.nest.map_structure(tf.identity, batch)

    return tf.function(check)


def checked_batches(model: keras.Model, dataset, argument: str = "train", *, labels=True):
    """``dataset`` with the per-batch check (module doc) inside its pipeline: each batch's
    inputs are finite and its labels fit ``model``, or iterating stops with an error that
    `data_error` turns into a ``ValueError`` naming ``argument`` and the batch.

    The batches and their structure are unchanged; a data set from `zoo.training.data` keeps
    its `zoo.training.data.EPOCH_PASS` (checked per pass, through `zoo.training.data.transform`),
    so wrap it before `zoo.training.data.epoch_stream`: batch indices then count from 0 in every
    epoch. Other data (not a ``tf.data.Dataset``) is returned as it is.

    Args:
        model: the built Keras model to be trained.
        dataset: a ``tf.data.Dataset`` of ``(inputs, labels)`` batches.
        argument: the name used in messages (``"train"``, ``"validation"``).
        labels: also check class labels against the model's outputs (classification loss).

    Example: ``for batch in checked_batches(model, train): ...`` raises
    ``InvalidArgumentError`` ("zoo data check: train has label 12 in batch 6 (0-based); ...").
    """
    spec = getattr(dataset, "element_spec", None)
    if spec is None:
        return dataset
    _check_spec(model, spec, argument, labels=labels)
    check = _batch_check(model, spec, argument, labels=labels)

    def checked(batches):
        return batches.enumerate().map(check)

    if getattr(dataset, data_lib.EPOCH_PASS, None) is None:
        return checked(dataset)
    return data_lib.transform(dataset, checked)


def data_error(error: BaseException) -> ValueError | None:
    """The ``ValueError`` (one line, no TensorFlow op trace) that ``error`` carries when the
    per-batch check of `checked_batches` raised it (TensorFlow's ``InvalidArgumentError``, as
    ``model.fit`` or an iterator re-raise it); None for any other error.

    Example: ``except Exception as error: raise (data_error(error) or error) from None``.
    """
    found = _FOUND.search(str(error))
    return None if found is None else ValueError(_ESCAPED.sub(r"\1", found.group(1)))


def check_dataset(model: keras.Model, dataset, argument: str = "train", *, labels=True):
    """Raise ``ValueError`` naming ``argument`` when ``dataset`` cannot train ``model``: the
    static checks (module doc), an empty data set, and the per-batch check on the first batch.

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
    _check_spec(model, spec, argument, labels=labels)
    if int(dataset.cardinality()) == 0:
        raise ValueError(f"{argument} is empty: it yields no batches.")
    import tensorflow as tf

    try:
        for _ in checked_batches(model, dataset.take(1), argument, labels=labels):
            return
    except tf.errors.InvalidArgumentError as error:
        problem = data_error(error)
        if problem is None:
            raise
        raise problem from None
    raise ValueError(f"{argument} is empty: it yields no batches.")
