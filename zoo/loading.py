"""`load`: open a ``.keras`` file (safe mode on) or an exported SavedModel directory.

A ``.keras`` file is loaded with ``keras.saving.load_model`` after every zoo family module and
``zoo.layers`` are imported, so each registered custom layer resolves. Safe mode refuses a file
that carries code (a ``Lambda`` layer's bytecode, a serialized lambda) before any of it runs.

A SavedModel directory (``zoo.export``'s ``tf_saved_model``) is a TensorFlow program: loading it
runs its restore ops, which TensorFlow's security guidance ("Using TensorFlow Securely") treats
as running untrusted code. Safe mode therefore refuses it; with ``safe_mode=False`` it comes
back as an inference-only Keras model wrapping ``keras.layers.TFSMLayer`` (Keras 3 cannot
rebuild a trainable model from a SavedModel). Loading never writes to ``path``.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import warnings
import zipfile

from zoo.export import SERVING_ENDPOINT
from zoo.validation import check_bool


def _is_code_refusal(error: Exception) -> bool:
    text = str(error)
    return "safe_mode" in text or "safe mode" in text.lower()


def _load_keras_file(path: pathlib.Path, safe_mode: bool, compile: bool):
    import keras

    import zoo.layers  # noqa: F401  (registers every custom layer a zoo model uses)

    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not a valid .keras file (not a zip archive: truncated or corrupt?)."
        )
    try:
        return keras.saving.load_model(path, safe_mode=safe_mode, compile=compile)
    except (zipfile.BadZipFile, json.JSONDecodeError, EOFError, KeyError) as error:
        raise ValueError(
            f"{str(path)!r} is not a valid .keras file ({type(error).__name__}: {error})."
        ) from error
    except TypeError as error:
        found = re.search(r"Could not locate (?:class|function) '([^']+)'", str(error))
        if found is None:
            raise
        module = re.search(r"Full object config: \{'module': '([^']+)'", str(error))
        name = f"{module.group(1)}.{found.group(1)}" if module else found.group(1)
        raise ValueError(
            f"Cannot load {str(path)!r}: its config names {name!r}, which is neither a Keras "
            "class nor a registered zoo layer (a file from another project, or crafted); "
            "nothing from it was run."
        ) from None
    except ValueError as error:
        if safe_mode and _is_code_refusal(error):
            raise ValueError(
                f"Refusing to load {str(path)!r}: the file holds code (e.g. a Lambda layer's "
                "Python bytecode) that would run on loading. Pass safe_mode=False (CLI: "
                "--unsafe) only if you trust the file's source."
            ) from error
        raise


def _load_saved_model(path: pathlib.Path):
    import keras
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(os.fspath(path))
    except (OSError, ValueError, tf.errors.OpError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"{str(path)!r} is not a readable SavedModel (truncated or corrupt "
            f"saved_model.pb or variables?): {first}"
        ) from None
    except Exception as error:  # protobuf's DecodeError and other parser errors
        if type(error).__name__ != "DecodeError":
            raise
        raise ValueError(
            f"{str(path)!r} is not a readable SavedModel: saved_model.pb cannot be parsed "
            "(truncated or corrupt)."
        ) from None
    endpoint = getattr(loaded, SERVING_ENDPOINT, None)
    concrete = getattr(endpoint, "concrete_functions", None)
    if not concrete:
        raise ValueError(
            f"The SavedModel {str(path)!r} has no {SERVING_ENDPOINT!r} endpoint; zoo.load opens "
            "SavedModels written by zoo.export or keras' model.export."
        )
    args, _ = concrete[0].structured_input_signature
    specs = tf.nest.flatten(args)
    inputs = [
        keras.Input(
            shape=tuple(spec.shape[1:]), dtype=spec.dtype.name, name=spec.name or f"input_{i}"
        )
        for i, spec in enumerate(specs)
    ]
    layer = keras.layers.TFSMLayer(os.fspath(path), call_endpoint=SERVING_ENDPOINT)
    outputs = layer(inputs[0] if len(inputs) == 1 else inputs)
    model = keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs, name=path.name)
    warnings.warn(
        f"Loaded the SavedModel {str(path)!r} as an inference-only model (it wraps "
        "keras.layers.TFSMLayer): Keras 3 cannot reload a SavedModel as a trainable model. "
        "Load the .keras file to train or fine-tune.",
        UserWarning,
        stacklevel=3,
    )
    return model


def load(path, *, safe_mode: bool = True, compile: bool = True):
    """Load a model saved as a ``.keras`` file or exported as a SavedModel directory.

    Args:
        path: a ``.keras`` file (``model.save``) or a SavedModel directory (``zoo.export``).
        safe_mode: refuse files that carry code: a ``.keras`` file with a Lambda layer's
            bytecode, and every SavedModel directory (a TensorFlow program); pass ``False``
            (CLI ``--unsafe``) only for files you trust.
        compile: restore the ``.keras`` file's compile state (optimizer, loss, metrics).

    Returns a ``keras.Model``; for a SavedModel an inference-only one (a warning says so).

    Example: ``model = zoo.load("lenet5.keras")``;
    ``zoo.load("artifacts/lenet5", safe_mode=False)`` for a SavedModel you exported yourself.
    """
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise TypeError(f"path must be a non-empty str or os.PathLike, got {path!r}.")
    safe_mode = check_bool("safe_mode", safe_mode)
    compile = check_bool("compile", compile)
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No model at {str(path)!r}: the path does not exist.")
    if path.is_dir():
        if (path / "saved_model.pb").is_file():
            if safe_mode:
                raise ValueError(
                    f"Refusing to load the SavedModel {str(path)!r} in safe mode: a SavedModel "
                    "is a TensorFlow program whose ops run on loading (TensorFlow's security "
                    "guidance treats it as code). Pass safe_mode=False (CLI: --unsafe) only if "
                    "you trust its source, or load the model's .keras file."
                )
            return _load_saved_model(path)
        raise ValueError(
            f"{str(path)!r} is a directory without saved_model.pb; zoo.load opens a .keras file "
            "or a SavedModel directory (from zoo.export)."
        )
    if path.suffix.lower() != ".keras":
        raise ValueError(
            f"Cannot load {str(path)!r}: zoo.load opens a .keras file or a SavedModel directory "
            f"(from zoo.export); {path.suffix or 'a file without suffix'!r} is not supported "
            "(weights files, .weights.h5, go to zoo.build(..., weights=...))."
        )
    return _load_keras_file(path, safe_mode, compile)
