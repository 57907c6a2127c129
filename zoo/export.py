"""`export`: a serving artifact written atomically and checked against the Keras model.

Three formats, all written by Keras' own ``model.export``:

- ``"tf_saved_model"``: a SavedModel directory with the serving endpoint and signature
  ``serve``; verified with ``tf.saved_model.load``.
- ``"onnx"``: one ``.onnx`` file (tf2onnx), dynamic batch; verified with onnxruntime.
- ``"litert"``: one ``.tflite`` file (the TFLite converter); verified with the LiteRT
  interpreter of ``ai-edge-litert``.

The artifact is written under a hidden temporary name next to the destination, reloaded with
its format's own runtime and compared with the Keras model on a random batch; only then is it
renamed into place (``os.replace``). A failure (or a kill) at any point leaves either the
previous artifact or none at ``path``, never a half-written one. TensorFlow, the converters and
the runtimes are imported only when an export runs (ARCHITECTURE.md section 2), and Keras too,
so that ``import zoo`` stays light.
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import tempfile
import uuid

import numpy as np

from zoo.inputs import example_inputs
from zoo.validation import check_choice

FORMATS = ("tf_saved_model", "onnx", "litert")
TOLERANCE = {"tf_saved_model": 1e-5, "onnx": 1e-4, "litert": 1e-4}
SERVING_ENDPOINT = "serve"
# Single-file formats: the suffix that marks ``path`` as the file, and the file's name when
# ``path`` is a directory.
FILE_SUFFIX = {"onnx": ".onnx", "litert": ".tflite"}
FILE_NAME = {"onnx": "model.onnx", "litert": "model.tflite"}
# (module, pip package) needed to write, and to verify, each format.
_WRITERS = {
    "tf_saved_model": (("tensorflow", "tensorflow"),),
    "onnx": (("tensorflow", "tensorflow"), ("tf2onnx", "tf2onnx"), ("onnx", "onnx")),
    "litert": (("tensorflow", "tensorflow"),),
}
_RUNTIMES = {
    "tf_saved_model": (),
    "onnx": (("onnxruntime", "onnxruntime"),),
    "litert": (("ai_edge_litert", "ai-edge-litert"),),
}


class ExportVerificationError(RuntimeError):
    """The reloaded artifact does not compute what the Keras model computes."""


def _require(format: str, verify: bool) -> None:
    needed = _WRITERS[format] + (_RUNTIMES[format] if verify else ())
    for module, package in needed:
        if importlib.util.find_spec(module) is None:
            raise ImportError(
                f"Exporting with format={format!r} needs the {package!r} package "
                f"(pip install {package})."
            )


def _as_call_arguments(examples):
    return examples[0] if len(examples) == 1 else list(examples)


def _flat_numpy(outputs) -> list[np.ndarray]:
    import keras

    return [
        np.asarray(keras.ops.convert_to_numpy(o), dtype=np.float64)
        for o in keras.tree.flatten(outputs)
    ]


def _ordered_by_suffix(named: dict) -> list:
    """Signature outputs in the Keras order: ``output_0, output_1, ...`` by index, named
    (dict) outputs sorted by name like ``keras.tree.flatten``."""
    names = list(named)
    if all(n.startswith("output_") and n[len("output_") :].isdigit() for n in names):
        names.sort(key=lambda n: int(n[len("output_") :]))
    else:
        names.sort()
    return [named[name] for name in names]


def _feed(names: list[str], model, examples) -> dict:
    """Map the runtime's input names to the examples: by Keras input name, else by order."""
    keras_names = [getattr(t, "name", None) for t in model.inputs]

    def stem(name):
        return name.split(":")[0].removeprefix("serving_default_")

    if len(names) != len(examples):
        raise ExportVerificationError(
            f"The exported model takes {len(names)} inputs ({names}), the Keras model "
            f"{len(examples)} ({keras_names})."
        )
    by_name = dict(zip(keras_names, examples, strict=True))
    if sorted(stem(n) for n in names) == sorted(k for k in keras_names if k):
        return {name: by_name[stem(name)] for name in names}
    return dict(zip(names, examples, strict=True))


def _run_saved_model(path, model, examples) -> list[np.ndarray]:
    import tensorflow as tf

    loaded = tf.saved_model.load(os.fspath(path))
    if SERVING_ENDPOINT not in loaded.signatures:
        raise ExportVerificationError(
            f"The SavedModel at {path} has no {SERVING_ENDPOINT!r} signature "
            f"(signatures: {sorted(loaded.signatures)})."
        )
    got = _flat_numpy(getattr(loaded, SERVING_ENDPOINT)(_as_call_arguments(examples)))
    signature = loaded.signatures[SERVING_ENDPOINT]
    _, keywords = signature.structured_input_signature
    feed = _feed(list(keywords), model, examples)
    named = signature(**{k: tf.constant(v) for k, v in feed.items()})
    by_signature = [np.asarray(v, dtype=np.float64) for v in _ordered_by_suffix(named)]
    _compare(
        path, f"signature {SERVING_ENDPOINT!r}", got, by_signature, TOLERANCE["tf_saved_model"]
    )
    return got


def _run_onnx(path, model, examples) -> list[np.ndarray]:
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own exception types
        raise ExportVerificationError(
            f"ONNX Runtime cannot load the ONNX model converted to {path}: "
            f"{str(error).splitlines()[0]}"
        ) from error
    feed = _feed([i.name for i in session.get_inputs()], model, examples)
    return [np.asarray(o, dtype=np.float64) for o in session.run(None, feed)]


def _run_litert(path, model, examples) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=os.fspath(path))
    signatures = interpreter.get_signature_list()
    key = SERVING_ENDPOINT if SERVING_ENDPOINT in signatures else next(iter(signatures), None)
    if key is not None:
        # The signature runner resizes the [1, ...] inputs (shape_signature [-1, ...]) to the
        # batch and re-allocates the tensors; outputs come back named output_0, output_1, ...
        runner = interpreter.get_signature_runner(key)
        feed = _feed(list(signatures[key]["inputs"]), model, examples)
        try:
            outputs = runner(**feed)
        except RuntimeError as error:
            if "Select TensorFlow op" not in str(error):
                raise
            raise ExportVerificationError(
                f"The LiteRT model at {path} needs TensorFlow Select (Flex) ops, which the "
                f"LiteRT runtime (ai-edge-litert) cannot run: {str(error).splitlines()[0]}"
            ) from error
        return [np.asarray(v, dtype=np.float64) for v in _ordered_by_suffix(outputs)]
    details = interpreter.get_input_details()
    for detail, value in zip(details, examples, strict=True):
        interpreter.resize_tensor_input(detail["index"], value.shape)
    interpreter.allocate_tensors()
    for detail, value in zip(details, examples, strict=True):
        interpreter.set_tensor(detail["index"], value.astype(detail["dtype"]))
    interpreter.invoke()
    return [
        np.asarray(interpreter.get_tensor(d["index"]), dtype=np.float64)
        for d in interpreter.get_output_details()
    ]


_RUNNERS = {"tf_saved_model": _run_saved_model, "onnx": _run_onnx, "litert": _run_litert}


def _compare(path, what: str, expected, got, tolerance: float) -> float:
    if len(expected) != len(got) or any(
        e.shape != g.shape for e, g in zip(expected, got, strict=False)
    ):
        raise ExportVerificationError(
            f"The exported model at {path} ({what}) returns outputs of shapes "
            f"{[g.shape for g in got]}, the Keras model {[e.shape for e in expected]}."
        )
    difference = max(
        (float(np.max(np.abs(e - g), initial=0.0)) for e, g in zip(expected, got, strict=True)),
        default=0.0,
    )
    if not difference <= tolerance:
        raise ExportVerificationError(
            f"The exported model at {path} ({what}) differs from the Keras model by "
            f"{difference:.3g} (max abs difference; allowed {tolerance:g})."
        )
    return difference


def verify_artifact(model, path, format: str = "tf_saved_model", *, batch_size: int = 2) -> float:
    """Reload the artifact at ``path`` with its runtime and compare it with ``model``.

    Args:
        model: the Keras model that was exported.
        path: the SavedModel directory, ``.onnx`` or ``.tflite`` file.
        format: one of `FORMATS`.

    Returns the maximum absolute difference on a random batch of ``batch_size``; raises
    `ExportVerificationError` above ``TOLERANCE[format]``.
    Example: ``verify_artifact(model, "model.onnx", "onnx")``.
    """
    check_choice("format", format, FORMATS)
    examples = example_inputs(model, batch_size)
    expected = _flat_numpy(model(_as_call_arguments(examples), training=False))
    got = _RUNNERS[format](path, model, examples)
    return _compare(path, format, expected, got, TOLERANCE[format])


def verify_saved_model(model, path) -> float:
    """`verify_artifact` for a SavedModel (tolerance 1e-5)."""
    return verify_artifact(model, path, "tf_saved_model")


def _make_directory(directory: pathlib.Path) -> list[pathlib.Path]:
    """Create ``directory`` and its missing parents; return those created, deepest first."""
    created = []
    current = directory
    while not current.exists() and current != current.parent:
        created.append(current)
        current = current.parent
    directory.mkdir(parents=True, exist_ok=True)
    return created


def _remove_created(created: list[pathlib.Path]) -> None:
    for directory in created:
        try:
            directory.rmdir()
        except OSError:
            break


def _refuse_non_empty(directory: pathlib.Path, marker: str, what: str) -> None:
    if directory.is_file() or directory.is_symlink():
        raise FileExistsError(
            f"Export path {str(directory)!r} exists and is a file, not a directory."
        )
    if directory.is_dir() and any(directory.iterdir()) and not (directory / marker).is_file():
        raise FileExistsError(
            f"Export path {str(directory)!r} is a non-empty directory that is not {what}; "
            "refusing to overwrite it (choose a new or empty directory)."
        )


def _ensure_called(model) -> None:
    """ONNX export refuses a model that was never called: call it once on a batch of one.

    (An empty batch would do for most models, but recurrent cells fail on it.)
    """
    if not getattr(model, "inputs", None):
        raise ValueError(
            "model must be a built Keras model with known inputs (a functional or Sequential "
            "model built with an input shape)."
        )
    if not getattr(model, "_called", True):
        model(_as_call_arguments(example_inputs(model, batch_size=1)), training=False)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:  # e.g. PermissionError: the process exists
        return True
    return True


def _clear_stale_staging(path: pathlib.Path) -> None:
    """Remove what SavedModel exports killed mid-way left next to ``path``.

    Staging (``.<name>.<pid>.*.partial``) and retired (``.<name>.<pid>.old-*``) folders carry
    the exporting process's id; those of processes that are gone are stale (a live one may be
    another export in progress, and is left alone).
    """
    head = f".{path.name}."
    for leftover in path.parent.iterdir() if path.parent.is_dir() else ():
        pid = leftover.name[len(head) :].split(".", 1)[0]
        stale = pid.isdigit() and leftover.is_dir() and not _process_alive(int(pid))
        if leftover.name.startswith(head) and stale:
            shutil.rmtree(leftover, ignore_errors=True)


def _export_saved_model(model, path: pathlib.Path, verify: bool) -> pathlib.Path:
    _refuse_non_empty(path, "saved_model.pb", "a SavedModel")
    _ensure_called(model)
    created = _make_directory(path.parent)
    _clear_stale_staging(path)
    staging = pathlib.Path(
        tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".partial", dir=path.parent)
    )
    try:
        model.export(os.fspath(staging), format="tf_saved_model", verbose=False)
        if verify:
            verify_artifact(model, staging, "tf_saved_model")
        if path.exists():
            retired = path.parent / f".{path.name}.{os.getpid()}.old-{uuid.uuid4().hex[:8]}"
            os.replace(path, retired)
            os.replace(staging, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_created(created)
        raise
    return path.resolve()


def artifact_path(path, format: str) -> pathlib.Path:
    """Where `export` writes a ``format`` artifact for ``path``.

    Args:
        path: the destination given to `export`.
        format: one of `FORMATS`.

    A SavedModel is the directory ``path``; for ``onnx``/``litert`` a ``path`` ending in
    ``.onnx``/``.tflite`` is the file, any other path a directory receiving ``model.onnx`` /
    ``model.tflite``. Example: ``artifact_path("out", "onnx")`` -> ``out/model.onnx``.
    """
    check_choice("format", format, FORMATS)
    path = pathlib.Path(path)
    if format == "tf_saved_model" or path.suffix.lower() == FILE_SUFFIX[format]:
        return path
    return path / FILE_NAME[format]


def _has_recurrent_layers(model) -> bool:
    import keras

    return any(
        isinstance(layer, keras.layers.RNN)
        for layer in model._flatten_layers(include_self=False, recursive=True)
    )


def _static_batch_signature(model):
    """Input specs with a batch of 1, in the structure ``model.export`` expects."""
    import keras

    specs = [
        keras.InputSpec(shape=(1, *t.shape[1:]), dtype=str(t.dtype), name=t.name)
        for t in model.inputs
    ]
    return specs if len(specs) == 1 else [specs]


def _export_file(model, path: pathlib.Path, format: str, verify: bool) -> pathlib.Path:
    target = artifact_path(path, format)
    if target != path:
        _refuse_non_empty(path, FILE_NAME[format], f"an exported {format} model")
    if target.is_dir() or (target.exists() and not target.is_file()):
        raise FileExistsError(
            f"Export path {str(target)!r} exists and is not a file; refusing to overwrite it."
        )
    _ensure_called(model)
    created = _make_directory(target.parent)
    suffix = FILE_SUFFIX[format]
    staging = target.parent / f".{target.stem}.{uuid.uuid4().hex[:8]}.partial{suffix}"
    options, batch_size = {}, 2
    if format == "litert" and _has_recurrent_layers(model):
        # With a dynamic batch the converter keeps Keras' recurrent loop as TensorFlow Select
        # (Flex) TensorList ops, which the LiteRT runtime cannot run; with a static batch it
        # lowers them to LiteRT builtins.
        options, batch_size = {"input_signature": _static_batch_signature(model)}, 1
    try:
        model.export(os.fspath(staging), format=format, verbose=False, **options)
        if not staging.is_file():
            raise ExportVerificationError(f"Keras wrote no {format} file at {staging}.")
        if verify:
            verify_artifact(model, staging, format, batch_size=batch_size)
        os.replace(staging, target)
    except BaseException:
        staging.unlink(missing_ok=True)
        _remove_created(created)
        raise
    return target.resolve()


def export(model, path, *, format: str = "tf_saved_model", verify: bool = True):
    """Export ``model`` for serving at ``path``; return the artifact's path.

    Args:
        model: a built Keras model (functional or Sequential).
        path: ``tf_saved_model``: the destination directory (an existing SavedModel is
            replaced, any other non-empty directory refused). ``onnx``/``litert``: a path
            ending in ``.onnx``/``.tflite`` is the file; any other path is a directory that
            receives ``model.onnx``/``model.tflite`` (same refusal rule).
        format: ``"tf_saved_model"`` (endpoint and signature ``serve``), ``"onnx"`` (dynamic
            batch) or ``"litert"`` (dynamic batch, except models with recurrent layers: batch 1,
            as the LiteRT runtime cannot run their loop over a dynamic batch).
        verify: reload the artifact with its own runtime (``tf.saved_model.load``,
            onnxruntime, the LiteRT interpreter) and compare it with the Keras model on a random
            batch: max abs difference <= 1e-5 (SavedModel) or 1e-4 (ONNX, LiteRT), else
            `ExportVerificationError` and nothing is written.

    Example: ``zoo.export(zoo.build("lenet5"), "artifacts/lenet5.onnx", format="onnx")``.
    """
    check_choice("format", format, FORMATS)
    _require(format, verify)
    path = pathlib.Path(path)
    if format == "tf_saved_model":
        return _export_saved_model(model, path, verify)
    return _export_file(model, path, format, verify)
