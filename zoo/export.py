"""`export`: a serving artifact written atomically and checked against the Keras model.

The SavedModel is written by Keras' own ``model.export`` into a hidden temporary directory next to
the destination, reloaded with ``tf.saved_model.load`` and compared with the Keras model on a
random batch; only then is it renamed into place. A failure (or a kill) at any point leaves
either the previous artifact or none at ``path``, never a half-written one. TensorFlow is
imported here only, when an export runs (ARCHITECTURE.md section 2), and Keras too, so that
``import zoo`` stays light.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import uuid

import numpy as np

from zoo.validation import check_choice

FORMATS = ("tf_saved_model",)
TOLERANCE = {"tf_saved_model": 1e-5}


class ExportVerificationError(RuntimeError):
    """The reloaded artifact does not compute what the Keras model computes."""


def _example_inputs(model, batch_size: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    examples = []
    for tensor in model.inputs:
        shape = [batch_size] + [8 if d is None else d for d in tensor.shape[1:]]
        if "int" in str(tensor.dtype):
            examples.append(rng.integers(0, 2, size=shape).astype(str(tensor.dtype)))
        else:
            examples.append(rng.random(shape, dtype=np.float32).astype(str(tensor.dtype)))
    return examples


def _flat_numpy(outputs) -> list[np.ndarray]:
    import keras

    return [
        np.asarray(keras.ops.convert_to_numpy(o), dtype=np.float64)
        for o in keras.tree.flatten(outputs)
    ]


def verify_saved_model(model, path) -> float:
    """Reload the SavedModel at ``path``, run it and the Keras model on the same random batch.

    Returns the maximum absolute difference; raises `ExportVerificationError` above the
    tolerance (1e-5).
    """
    import tensorflow as tf

    loaded = tf.saved_model.load(os.fspath(path))
    examples = _example_inputs(model)
    args = examples[0] if len(examples) == 1 else examples
    expected = _flat_numpy(model(args, training=False))
    got = _flat_numpy(loaded.serve(args))
    if len(expected) != len(got) or any(
        e.shape != g.shape for e, g in zip(expected, got, strict=True)
    ):
        raise ExportVerificationError(
            f"The exported model at {path} returns outputs of shapes "
            f"{[g.shape for g in got]}, the Keras model {[e.shape for e in expected]}."
        )
    difference = max(
        float(np.max(np.abs(e - g), initial=0.0)) for e, g in zip(expected, got, strict=True)
    )
    if not difference <= TOLERANCE["tf_saved_model"]:
        raise ExportVerificationError(
            f"The exported model at {path} differs from the Keras model by {difference:.3g} "
            f"(max abs difference; allowed {TOLERANCE['tf_saved_model']:g})."
        )
    return difference


def _check_destination(path: pathlib.Path) -> None:
    if path.is_file() or path.is_symlink():
        raise FileExistsError(f"Export path {str(path)!r} exists and is a file, not a directory.")
    if path.is_dir() and any(path.iterdir()) and not (path / "saved_model.pb").is_file():
        raise FileExistsError(
            f"Export path {str(path)!r} is a non-empty directory that is not a SavedModel; "
            "refusing to overwrite it (choose a new or empty directory)."
        )


def export(model, path, *, format: str = "tf_saved_model", verify: bool = True):
    """Export ``model`` for serving at ``path`` and return the path.

    Args:
        model: a built Keras model.
        path: destination directory; an existing SavedModel there is replaced atomically, any
            other non-empty directory is refused.
        format: ``"tf_saved_model"`` (Keras' ``model.export``; endpoint ``serve``).
        verify: reload the artifact and compare it with the Keras model (max abs diff <= 1e-5).

    Example: ``zoo.export(zoo.build("lenet5"), "artifacts/lenet5")``.
    """
    check_choice("format", format, FORMATS)
    path = pathlib.Path(path)
    _check_destination(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    )
    try:
        model.export(os.fspath(staging), format=format, verbose=False)
        if verify:
            verify_saved_model(model, staging)
        if path.exists():
            retired = path.parent / f".{path.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(path, retired)
            os.replace(staging, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return path.resolve()
