"""`export`: a serving artifact written atomically and checked against the Keras model.

Five formats, all written by Keras' own ``model.export``, each reloaded with its own runtime:

- ``"tf_saved_model"``: a SavedModel directory with the serving endpoint and signature
  ``serve``; verified with ``tf.saved_model.load``.
- ``"onnx"``: one ``.onnx`` file, dynamic batch; verified with onnxruntime.
- ``"openvino"``: a directory holding OpenVINO IR, ``model.xml`` and ``model.bin``; verified
  with the OpenVINO runtime (CPU, float32 inference precision).
- ``"litert"``: one ``.tflite`` file (the TFLite converter); verified with the LiteRT
  interpreter of ``ai-edge-litert``.
- ``"torch"``: one ``.pt2`` file, a ``torch.export`` ExportedProgram with a dynamic batch
  (torch backend only); verified by running ``torch.export.load(path).module()``.

Which format works on which Keras backend, what checks it and which extra installs what it
needs is data: `SUPPORT` (rendered by `support_markdown`, the README's table). A pair Keras
cannot write is refused with one ValueError line that says what works instead.

The artifact is written in a hidden staging folder next to the destination (marked as this
process's, so that only such folders are ever swept away), reloaded with its format's own
runtime and compared with the Keras model on `zoo.inputs.example_inputs`; only then is it put in
place: a file with ``os.replace``, a directory by an atomic exchange with the old one (Linux
``renameat2``; elsewhere two renames, rolled back on error and restored by `recover` after a
kill). At every instant ``path`` holds the old artifact or the new one, whole. A directory
artifact lists its files in `MANIFEST`; an existing directory is replaced only when it holds
nothing else, so export deletes nothing it did not write. Every file and folder of the artifact
gets the mode a plain ``model.export`` would create under the current umask (the staging
folder's 0700 would keep a model server running as another user out).
TensorFlow, the converters and the runtimes are imported only when an export runs
(ARCHITECTURE.md section 2), and Keras too, so that ``import zoo`` stays light.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import errno
import importlib.util
import json
import os
import pathlib
import re
import shutil
import sys
import tempfile
import warnings

import numpy as np

from zoo.inputs import FREE_DIMENSION, example_inputs
from zoo.validation import check_bool, check_choice

FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
BACKENDS = ("tensorflow", "jax", "torch")
TOLERANCE = {
    "tf_saved_model": 1e-5,
    "onnx": 1e-4,
    "openvino": 1e-4,
    "litert": 1e-4,
    "torch": 1e-5,
}
SERVING_ENDPOINT = "serve"
# Single-file formats: the suffix that marks ``path`` as the file, and the file's name when
# ``path`` is a directory.
FILE_SUFFIX = {"onnx": ".onnx", "litert": ".tflite", "torch": ".pt2"}
FILE_NAME = {"onnx": "model.onnx", "litert": "model.tflite", "torch": "model.pt2"}
# Directory formats: the file every artifact of the format holds.
DIRECTORY_MARKER = {"tf_saved_model": "saved_model.pb", "openvino": "model.xml"}


@dataclasses.dataclass(frozen=True)
class Support:
    """How `export` handles one (format, Keras backend) pair.

    ``supported``: Keras writes it and `export` verifies it with ``verified_with``;
    ``extra``: the ``keras-lecture-zoo[EXTRA]`` extra that installs what it needs beyond the
    base install (``None``: nothing more); ``note``: for a refused pair why and what works
    instead (the ValueError's text), for a supported one its caveat, if any.
    """

    supported: bool
    verified_with: str | None = None
    extra: str | None = None
    note: str = ""


_SAVED_MODEL = "`tf.saved_model.load`"
_ORT = "onnxruntime"
_OPENVINO = "the OpenVINO runtime"
_LITERT = "the LiteRT interpreter"
SUPPORT: dict[tuple[str, str], Support] = {
    ("tf_saved_model", "tensorflow"): Support(True, _SAVED_MODEL),
    ("tf_saved_model", "jax"): Support(
        True, _SAVED_MODEL, note="written through jax2tf (part of jax)"
    ),
    ("tf_saved_model", "torch"): Support(
        False,
        note="Keras writes it through torch_xla, which has no release for torch 2.13 (the "
        "backends extra); use format='torch', 'onnx' or 'openvino', or export under "
        "KERAS_BACKEND=tensorflow",
    ),
    ("onnx", "tensorflow"): Support(True, _ORT),
    ("onnx", "jax"): Support(True, _ORT, extra="jax2onnx"),
    ("onnx", "torch"): Support(True, _ORT, note="written by torch.onnx (TorchScript exporter)"),
    ("openvino", "tensorflow"): Support(
        True,
        _OPENVINO,
        extra="openvino",
        note="models with recurrent layers are refused (OpenVINO cannot convert Keras' "
        "TensorFlow loop); they convert on torch",
    ),
    ("openvino", "jax"): Support(
        False,
        note="Keras hands OpenVINO a jax2tf graph whose XlaCallModule op it cannot convert; "
        "use format='tf_saved_model' or 'onnx', or export under KERAS_BACKEND=tensorflow "
        "or torch",
    ),
    ("openvino", "torch"): Support(True, _OPENVINO, extra="openvino"),
    ("litert", "tensorflow"): Support(
        True, _LITERT, note="models with recurrent layers get a fixed batch of 1"
    ),
    ("litert", "jax"): Support(
        False,
        note="Keras writes LiteRT on the tensorflow and torch backends only; use "
        "format='tf_saved_model' or 'onnx', or export under KERAS_BACKEND=tensorflow",
    ),
    ("litert", "torch"): Support(
        True,
        _LITERT,
        extra="litert-torch",
        note="static shapes (batch 1, free dimensions 8); integer inputs fail to convert "
        "(litert-torch 0.10)",
    ),
    ("torch", "tensorflow"): Support(
        False,
        note="torch.export captures torch programs; export under KERAS_BACKEND=torch, or use "
        "format='tf_saved_model', 'onnx', 'openvino' or 'litert'",
    ),
    ("torch", "jax"): Support(
        False,
        note="torch.export captures torch programs; export under KERAS_BACKEND=torch, or use "
        "format='tf_saved_model' or 'onnx'",
    ),
    ("torch", "torch"): Support(
        True,
        "`torch.export.load`",
        note="dynamic batch, except models with recurrent layers: batch 1",
    ),
}
# (module, pip package) needed to write each (format, backend) pair beyond Keras and the
# backend itself, and to verify each format.
_WRITERS = {
    ("tf_saved_model", "tensorflow"): (("tensorflow", "tensorflow"),),
    ("tf_saved_model", "jax"): (("tensorflow", "tensorflow"),),
    ("onnx", "tensorflow"): (("tf2onnx", "tf2onnx"), ("onnx", "onnx")),
    ("onnx", "jax"): (("jax2onnx", "jax2onnx"),),
    ("onnx", "torch"): (("onnx", "onnx"),),
    ("openvino", "tensorflow"): (("openvino", "openvino"),),
    ("openvino", "torch"): (("openvino", "openvino"),),
    ("litert", "tensorflow"): (("tensorflow", "tensorflow"),),
    ("litert", "torch"): (("litert_torch", "litert-torch"),),
    ("torch", "torch"): (),
}
_RUNTIMES = {
    "tf_saved_model": (("tensorflow", "tensorflow"),),
    "onnx": (("onnxruntime", "onnxruntime"),),
    "openvino": (("openvino", "openvino"),),
    "litert": (("ai_edge_litert", "ai-edge-litert"),),
    "torch": (),
}


class ExportVerificationError(RuntimeError):
    """The reloaded artifact does not compute what the Keras model computes."""


def _backend() -> str:
    import keras

    return keras.backend.backend()


def support(format: str, backend: str | None = None) -> Support:
    """The `Support` record of ``format`` on ``backend`` (default: the current Keras backend).

    Example: ``from zoo.export import support; support("onnx", "jax").extra`` -> ``"jax2onnx"``.
    """
    check_choice("format", format, FORMATS)
    backend = _backend() if backend is None else backend
    check_choice("backend", backend, BACKENDS)
    return SUPPORT[format, backend]


def supported_formats(backend: str | None = None) -> tuple[str, ...]:
    """The formats `export` writes on ``backend`` (default: the current Keras backend)."""
    return tuple(f for f in FORMATS if support(f, backend).supported)


def support_markdown() -> str:
    """`SUPPORT` as the README's table (format x backend), then the notes, one per pair."""

    def cell(record: Support) -> str:
        if not record.supported:
            return "no"
        extra = f"; extra `{record.extra}`" if record.extra else ""
        return f"yes: {record.verified_with}{extra}"

    lines = [
        "| format | " + " | ".join(BACKENDS) + " |",
        "| --- |" + " --- |" * len(BACKENDS),
    ]
    for format in FORMATS:
        cells = " | ".join(cell(SUPPORT[format, backend]) for backend in BACKENDS)
        lines.append(f"| `{format}` | {cells} |")
    lines.append("")
    for format in FORMATS:
        for backend in BACKENDS:
            record = SUPPORT[format, backend]
            if record.note:
                lines.append(f"- `{format}` on {backend}: {record.note}.")
    return "\n".join(lines) + "\n"


def _require(format: str, backend: str, verify: bool) -> None:
    if backend not in BACKENDS:
        raise ValueError(
            f"zoo.export runs on the {', '.join(BACKENDS)} backends, not on {backend!r}."
        )
    record = SUPPORT[format, backend]
    if not record.supported:
        raise ValueError(
            f"format={format!r} is not supported on the {backend} backend: {record.note}."
        )
    needed = _WRITERS[format, backend] + (_RUNTIMES[format] if verify else ())
    for module, package in needed:
        if importlib.util.find_spec(module) is None:
            extra = f", or pip install 'keras-lecture-zoo[{record.extra}]'" if record.extra else ""
            raise ImportError(
                f"Exporting with format={format!r} on the {backend} backend needs the "
                f"{package!r} package (pip install {package}{extra})."
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


def _run_openvino(path, model, examples) -> list[np.ndarray]:
    import openvino

    path = pathlib.Path(path)
    xml = path / DIRECTORY_MARKER["openvino"] if path.is_dir() else path
    core = openvino.Core()
    # float32: on CPUs with bfloat16 units the CPU plugin infers in bfloat16 by default
    # (differences ~1e-3), which would hide a conversion error of the same size.
    compiled = core.compile_model(
        core.read_model(os.fspath(xml)), "CPU", {"INFERENCE_PRECISION_HINT": "f32"}
    )
    names = []
    for index, port in enumerate(compiled.inputs):
        name = min(port.get_names(), default=f"input_{index}")
        names.append(name if name not in names else f"{name}_{index}")
    feed = _feed(names, model, examples)
    result = compiled(dict(enumerate(feed[name] for name in names)))
    return [np.asarray(result[port], dtype=np.float64) for port in compiled.outputs]


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


def _run_torch(path, model, examples) -> list[np.ndarray]:
    import keras
    import torch

    module = torch.export.load(os.fspath(path)).module()
    first = next(iter(module.parameters()), None)
    device = first.device if first is not None else "cpu"
    tensors = [torch.as_tensor(x, device=device) for x in examples]
    with torch.no_grad():
        outputs = module(_as_call_arguments(tensors))
    return [
        np.asarray(o.detach().cpu().numpy(), dtype=np.float64) for o in keras.tree.flatten(outputs)
    ]


_RUNNERS = {
    "tf_saved_model": _run_saved_model,
    "onnx": _run_onnx,
    "openvino": _run_openvino,
    "litert": _run_litert,
    "torch": _run_torch,
}


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
        path: the SavedModel or OpenVINO directory, the ``.onnx``, ``.tflite`` or ``.pt2`` file.
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


# --- what a plain export would do: permissions, a warning for random weights -----------------


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (/proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def _plain_permissions(path: pathlib.Path) -> None:
    """Give ``path``, and everything under it, the modes a plain ``model.export`` creates
    under the current umask: 0o777 & ~umask for folders, 0o666 & ~umask for files."""
    mask = _umask()
    folder, file = 0o777 & ~mask, 0o666 & ~mask
    if not path.is_dir():
        os.chmod(path, file)
        return
    for root, _, files in os.walk(path):
        os.chmod(root, folder)
        for name in files:
            entry = os.path.join(root, name)
            if not os.path.islink(entry):
                os.chmod(entry, file)


def _constant_initializers():
    import keras

    return (keras.initializers.Zeros, keras.initializers.Ones, keras.initializers.Constant)


def _initial_value(layer, attribute: str, initializer, variable) -> np.ndarray:
    import keras

    value = keras.ops.convert_to_numpy(initializer(variable.shape, dtype=variable.dtype))
    if attribute == "bias_initializer" and getattr(layer, "unit_forget_bias", False):
        # LSTM cells start the forget gate's bias (the second of four blocks, gate order
        # i, f, c, o) at one.
        units = value.shape[0] // 4
        value = value.copy()
        value[units : 2 * units] = 1
    return value


def looks_freshly_built(model) -> bool:
    """Whether ``model`` still has the weights it was built with: never trained, no weights
    loaded.

    Keras models carry no such flag, so the state tells: the optimizer (if any) has taken no
    step, and every weight with a constant initializer (biases, BatchNorm's gamma, beta and
    moving statistics) still holds that constant exactly. Training moves biases off zero
    and loaded weights replace them, so a trained or loaded model answers False, and so does
    a model without such weights (nothing tells).

    Example: ``looks_freshly_built(zoo.build("mlp", input_shape=(4,)))`` -> True.
    """
    import keras

    optimizer = getattr(model, "optimizer", None)
    iterations = getattr(optimizer, "iterations", None)
    if iterations is not None and int(keras.ops.convert_to_numpy(iterations)) > 0:
        return False
    constants, checked = _constant_initializers(), 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        for attribute, initializer in list(vars(layer).items()):
            if not attribute.endswith("_initializer") or not isinstance(initializer, constants):
                continue
            variable = getattr(layer, attribute[: -len("_initializer")], None)
            if not isinstance(variable, keras.Variable):
                continue
            expected = _initial_value(layer, attribute, initializer, variable)
            if not np.array_equal(keras.ops.convert_to_numpy(variable), expected):
                return False
            checked += 1
    return checked > 0


def _warn_if_freshly_built(model) -> None:
    """Warn (at the caller of `export`) when ``model`` still has its random initial weights."""
    if looks_freshly_built(model):
        warnings.warn(
            f"zoo.export: model {model.name!r} looks freshly built (never trained, no weights "
            "loaded), so the artifact computes with random initial weights.",
            UserWarning,
            stacklevel=4,  # warn <- here <- _export_directory / _export_file <- export
        )


@contextlib.contextmanager
def _openvino_telemetry_declined():
    """Decline OpenVINO's usage telemetry for the conversions zoo runs.

    OpenVINO's model converter sends usage events (and writes a client id under ``~/intel``)
    unless the user opted out with ``opt_in_out --opt_out``; zoo declines unless the user
    opted in. Without the telemetry package (or with another layout of it) nothing changes.
    """
    try:
        from openvino_telemetry.utils.opt_in_checker import ConsentCheckResult, OptInChecker
    except ImportError:
        yield
        return
    check = OptInChecker.check

    def declined_unless_opted_in(self, *args, **kwargs):
        result = check(self, *args, **kwargs)
        return ConsentCheckResult.DECLINED if result == ConsentCheckResult.NO_FILE else result

    OptInChecker.check = declined_unless_opted_in
    try:
        yield
    finally:
        OptInChecker.check = check


# --- writing: staging, checking, renaming into place --------------------------------------

# Every export stages in a folder of its own next to the destination, named
# ``.zoo-export-<pid>-<random>`` (short, whatever the destination's name: a 255-byte name stays
# valid) and marked by STAGING_MARK (the process id and the destination). Only marked folders
# of processes that are gone are ever swept away: export deletes nothing it did not create.
STAGING_PREFIX = ".zoo-export-"
STAGING_MARK = ".zoo-staging.json"
# Written into every directory artifact: the files export wrote. A directory is replaced only
# when it holds nothing else (a file a user added to a SavedModel folder is never deleted).
MANIFEST = ".zoo-export.json"
_BUILT = "artifact"  # the new artifact inside the staging folder
_RETIRED = "retired"  # the replaced artifact, inside the staging folder, until it is deleted


def _destination(path) -> pathlib.Path:
    """``path`` with its parent resolved the way the OS resolves it (``a/../out`` is
    ``out``, even when ``a`` does not exist: nothing is created at ``a``)."""
    path = pathlib.Path(path)
    if path.name in ("", ".", ".."):
        return pathlib.Path(os.path.realpath(path))
    return pathlib.Path(os.path.realpath(path.parent)) / path.name


def _make_directory(directory: pathlib.Path) -> list[pathlib.Path]:
    """Create ``directory`` and its missing parents; return those created, deepest first."""
    created = []
    current = directory
    while not current.exists() and current != current.parent:
        created.append(current)
        current = current.parent
    if not current.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "Not a directory", os.fspath(current))
    directory.mkdir(parents=True, exist_ok=True)
    return created


def _remove_created(created: list[pathlib.Path]) -> None:
    for directory in created:
        try:
            directory.rmdir()
        except OSError:
            break


def _files_under(directory: pathlib.Path) -> list[str]:
    return sorted(
        str(entry.relative_to(directory))
        for entry in directory.rglob("*")
        if not entry.is_dir() or entry.is_symlink()
    )


def _foreign_files(directory: pathlib.Path) -> list[str] | None:
    """The files in ``directory`` that its `MANIFEST` does not list (None: no manifest)."""
    try:
        listed = set(json.loads((directory / MANIFEST).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return [name for name in _files_under(directory) if name != MANIFEST and name not in listed]


def check_replaceable(path, format: str = "tf_saved_model", *, removed=()) -> None:
    """Raise FileExistsError unless `export` may write a ``format`` artifact at ``path``.

    A directory format may go to a new path, an empty directory, or a directory that
    `export` wrote and that holds nothing else (its `MANIFEST` lists every file); a file
    format to a new or existing file, or a directory (new, empty or holding its
    ``model.onnx``/``model.tflite``/``model.pt2``). ``removed`` names paths the caller
    removes before exporting (``zoo train``'s own saved model inside its ``--export``
    folder); ``zoo train`` checks its ``--export`` folder with this before training.
    """
    check_choice("format", format, FORMATS)
    path = pathlib.Path(path)
    if format not in DIRECTORY_MARKER:
        target = artifact_path(path, format)
        if target != path:
            _refuse_non_empty_folder(path, FILE_NAME[format], f"an exported {format} model")
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise FileExistsError(
                f"Export path {str(target)!r} exists and is not a file; refusing to overwrite it."
            )
        return
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise FileExistsError(
            f"Export path {str(path)!r} exists and is a file or a link, not a directory; "
            "refusing to overwrite it."
        )
    removed = {pathlib.Path(r).resolve() for r in removed}
    if not path.is_dir() or all(entry.resolve() in removed for entry in path.iterdir()):
        return
    foreign = _foreign_files(path)
    if foreign is None:
        raise FileExistsError(
            f"Export path {str(path)!r} is a non-empty directory that zoo.export did not write "
            f"(no {MANIFEST}); refusing to overwrite it (choose a new or empty directory)."
        )
    foreign = [name for name in foreign if (path / name).resolve() not in removed]
    if foreign:
        shown = ", ".join(foreign[:3]) + (
            f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        )
        raise FileExistsError(
            f"Export path {str(path)!r} holds files zoo.export did not write ({shown}); "
            "refusing to overwrite it and delete them (move them, or choose another directory)."
        )


def _refuse_non_empty_folder(directory: pathlib.Path, marker: str, what: str) -> None:
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


def _write_json(path: pathlib.Path, value) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file)
        file.flush()
        os.fsync(file.fileno())


def _new_staging(parent: pathlib.Path, target: pathlib.Path) -> pathlib.Path:
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))
    _write_json(staging / STAGING_MARK, {"pid": os.getpid(), "target": target.name})
    return staging


def recover(parent) -> list[pathlib.Path]:
    """Finish what exports killed mid-way left in the folder ``parent``; return what it
    restored.

    A marked staging folder of a process that is gone is removed; where the kill came
    between the two renames of a replacement (only on systems without an atomic exchange),
    the replaced artifact it holds is first renamed back to its destination. Unmarked folders
    are left alone, except an empty ``.zoo-export-<pid>-*`` a kill left before the mark. Every
    `export` runs this on its destination's folder first.
    """
    parent = pathlib.Path(parent)
    restored = []
    for entry in parent.iterdir() if parent.is_dir() else ():
        pid = entry.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if not entry.name.startswith(STAGING_PREFIX) or not pid.isdigit():
            continue
        if entry.is_symlink() or not entry.is_dir() or _process_alive(int(pid)):
            continue
        try:
            target = json.loads((entry / STAGING_MARK).read_text())["target"]
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                entry.rmdir()  # a kill before the mark: empty, or not ours to delete
            continue
        retired = entry / _RETIRED
        destination = parent / pathlib.PurePath(str(target)).name
        if os.path.lexists(retired) and not os.path.lexists(destination):
            os.rename(retired, destination)
            restored.append(destination)
        _remove_staging(entry)
    return restored


def _remove_staging(staging: pathlib.Path) -> None:
    """Delete a staging folder, its mark last: a kill part-way leaves a folder that is still
    marked (or empty), which `recover` finishes."""
    for entry in staging.iterdir() if staging.is_dir() else ():
        if entry.name == STAGING_MARK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        (staging / STAGING_MARK).unlink(missing_ok=True)
        staging.rmdir()


def _exchange(first: pathlib.Path, second: pathlib.Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system or the file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if function is None:
        return False
    at_cwd, rename_exchange = -100, 2
    if function(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), os.fspath(second))


def _install_directory(built: pathlib.Path, path: pathlib.Path, staging: pathlib.Path) -> None:
    """Put the directory ``built`` at ``path``: either the old or the new artifact is whole
    at ``path`` at every instant (an atomic exchange), or, without one, the old artifact waits
    in the marked staging folder while ``path`` is briefly absent (`recover` restores it after
    a kill there; an error rolls it back)."""
    if not os.path.lexists(path):
        os.rename(built, path)
        return
    if _exchange(built, path):
        return
    retired = staging / _RETIRED
    os.rename(path, retired)
    try:
        os.rename(built, path)
    except BaseException:
        os.rename(retired, path)
        raise


def _has_recurrent_layers(model) -> bool:
    import keras

    return any(
        isinstance(layer, keras.layers.RNN)
        for layer in model._flatten_layers(include_self=False, recursive=True)
    )


def _static_batch_signature(model, free: int | None = None):
    """Input specs with a batch of 1 (and the other free dimensions ``free``, if given), in
    the structure ``model.export`` expects."""
    import keras

    specs = []
    for t in model.inputs:
        rest = tuple(free if d is None and free is not None else d for d in t.shape[1:])
        specs.append(keras.InputSpec(shape=(1, *rest), dtype=str(t.dtype), name=t.name))
    return specs if len(specs) == 1 else [specs]


def _torch_dynamic_shapes(model):
    """``torch.export`` dynamic shapes for every free dimension: one batch for all inputs."""
    import torch

    batch = torch.export.Dim("batch", min=1)
    shapes = [
        {
            axis: batch if axis == 0 else torch.export.Dim(f"input{i}_axis{axis}", min=1)
            for axis, size in enumerate(t.shape)
            if size is None
        }
        for i, t in enumerate(model.inputs)
    ]
    return shapes[0] if len(shapes) == 1 else [(shapes,)]


def _export_options(model, format: str, backend: str) -> tuple[dict, int]:
    """Keyword arguments for ``model.export`` and the batch size the artifact is checked on."""
    if format == "litert" and backend == "torch":
        # litert-torch converts static shapes only (Keras would put 1 in every free dimension).
        return {"input_signature": _static_batch_signature(model, FREE_DIMENSION)}, 1
    if format == "litert" and _has_recurrent_layers(model):
        # With a dynamic batch the converter keeps Keras' recurrent loop as TensorFlow Select
        # (Flex) TensorList ops, which the LiteRT runtime cannot run; with a static batch it
        # lowers them to LiteRT builtins.
        return {"input_signature": _static_batch_signature(model)}, 1
    if format == "torch" and _has_recurrent_layers(model):
        # Keras' recurrent layers on torch specialize the batch (torch.export refuses it as
        # dynamic): a static batch of 1, like LiteRT's.
        return {"input_signature": _static_batch_signature(model, FREE_DIMENSION)}, 1
    if format == "torch":
        # Keras' torch.export otherwise fixes every free dimension at the traced size (1).
        return {"dynamic_shapes": _torch_dynamic_shapes(model)}, 2
    return {}, 2


def _openvino_refusal(model, backend: str, error: Exception) -> str:
    """OpenVINO's multi-line OpConversionFailure as one line, with what works instead."""
    found = re.search(r"No conversion rule found for operations: ([^\n]*)", str(error))
    operations = found.group(1).strip() if found else str(error).strip().splitlines()[-1]
    hint = "export under KERAS_BACKEND=torch or use format='onnx'"
    if "TensorList" in operations:
        hint = (
            "Keras runs recurrent layers on TensorFlow as a while-loop over TensorLists, which "
            f"OpenVINO cannot convert; {hint} (both convert them)"
        )
    return (
        f"OpenVINO cannot convert model {model.name!r} on the {backend} backend (no conversion "
        f"rule for {operations}): {hint}."
    )


def _write(model, target: pathlib.Path, format: str, options: dict, backend: str) -> None:
    if format != "openvino":
        model.export(os.fspath(target), format=format, verbose=False, **options)
        return
    with _openvino_telemetry_declined():
        try:
            model.export(os.fspath(target), format=format, verbose=False, **options)
        except Exception as error:
            if type(error).__name__ != "OpConversionFailure":
                raise
            raise ValueError(_openvino_refusal(model, backend, error)) from error


def _export_directory(model, path: pathlib.Path, format: str, verify: bool, backend: str):
    marker = DIRECTORY_MARKER[format]
    check_replaceable(path, format)
    _ensure_called(model)
    _warn_if_freshly_built(model)
    options, batch_size = _export_options(model, format, backend)
    created = _make_directory(path.parent)
    try:
        recover(path.parent)
        staging = _new_staging(path.parent, path)
    except BaseException:
        _remove_created(created)
        raise
    try:
        built = staging / _BUILT
        if format == "tf_saved_model":
            _write(model, built, format, options, backend)
        else:  # OpenVINO: model.xml and model.bin into the folder
            built.mkdir()
            _write(model, built / marker, format, options, backend)
        if not (built / marker).is_file():
            raise ExportVerificationError(f"Keras wrote no {marker} in {built}.")
        _write_json(built / MANIFEST, {"format": format, "files": _files_under(built)})
        _plain_permissions(built)
        if verify:
            verify_artifact(model, built, format, batch_size=batch_size)
        check_replaceable(path, format)  # again: the folder may have changed meanwhile
        _install_directory(built, path, staging)
    except BaseException:
        _remove_staging(staging)
        _remove_created(created)
        raise
    _remove_staging(staging)
    return path


def artifact_path(path, format: str) -> pathlib.Path:
    """Where `export` writes a ``format`` artifact for ``path``.

    Args:
        path: the destination given to `export`.
        format: one of `FORMATS`.

    A SavedModel or OpenVINO artifact is the directory ``path``; for ``onnx``/``litert``/
    ``torch`` a ``path`` ending in ``.onnx``/``.tflite``/``.pt2`` is the file, any other path
    a directory receiving ``model.onnx``/``model.tflite``/``model.pt2``.
    Example: ``artifact_path("out", "onnx")`` -> ``out/model.onnx``.
    """
    check_choice("format", format, FORMATS)
    path = pathlib.Path(path)
    if format in DIRECTORY_MARKER or path.suffix.lower() == FILE_SUFFIX[format]:
        return path
    return path / FILE_NAME[format]


def _export_file(model, path: pathlib.Path, format: str, verify: bool, backend: str):
    target = artifact_path(path, format)
    check_replaceable(path, format)
    _ensure_called(model)
    _warn_if_freshly_built(model)
    options, batch_size = _export_options(model, format, backend)
    created = _make_directory(target.parent)
    try:
        recover(target.parent)
        staging = _new_staging(target.parent, target)
    except BaseException:
        _remove_created(created)
        raise
    try:
        built = staging / FILE_NAME[format]
        _write(model, built, format, options, backend)
        if not built.is_file():
            raise ExportVerificationError(f"Keras wrote no {format} file at {built}.")
        _plain_permissions(built)
        if verify:
            verify_artifact(model, built, format, batch_size=batch_size)
        os.replace(built, target)
    except BaseException:
        _remove_staging(staging)
        _remove_created(created)
        raise
    _remove_staging(staging)
    return target


def export(model, path, *, format: str = "tf_saved_model", verify: bool = True):
    """Export ``model`` for serving at ``path``; return the artifact's path.

    Args:
        model: a built Keras model (functional or Sequential).
        path: ``tf_saved_model``/``openvino``: the destination directory (an artifact that
            `export` wrote there is replaced; a non-empty directory holding anything else is
            refused with FileExistsError, see `check_replaceable`; OpenVINO writes
            ``model.xml`` and ``model.bin`` into it). ``onnx``/``litert``/``torch``: a path
            ending in ``.onnx``/``.tflite``/``.pt2`` is the file; any other path is a
            directory that receives ``model.onnx``/``model.tflite``/``model.pt2`` (same
            refusal rule).
        format: ``"tf_saved_model"`` (endpoint and signature ``serve``), ``"onnx"`` (dynamic
            batch), ``"openvino"`` (dynamic batch), ``"litert"`` (dynamic batch, except models
            with recurrent layers: batch 1, as the LiteRT runtime cannot run their loop over a
            dynamic batch; on torch static shapes) or ``"torch"`` (torch backend, dynamic
            batch). `SUPPORT` says which format works on which backend; a pair that does not
            raises ValueError naming what works instead.
        verify: reload the artifact with its own runtime (``tf.saved_model.load``,
            onnxruntime, the OpenVINO runtime, the LiteRT interpreter, ``torch.export.load``)
            and compare it with the Keras model on a random batch: max abs difference within
            `TOLERANCE` (1e-5 SavedModel and torch, 1e-4 the others), else
            `ExportVerificationError` and nothing is written.

    Every file and folder of the artifact gets the mode a plain ``model.export`` gives under
    the current umask. A model that `looks_freshly_built` (random weights) is exported with a
    warning.

    Example: ``zoo.export(zoo.build("lenet5"), "artifacts/lenet5.onnx", format="onnx")``.
    """
    check_choice("format", format, FORMATS)
    check_bool("verify", verify)
    backend = _backend()
    _require(format, backend, verify)
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise TypeError(f"path must be a non-empty str or os.PathLike, got {path!r}.")
    path = _destination(path)
    if format == "openvino" and path.suffix.lower() == ".xml":
        raise ValueError(
            f"format='openvino' writes a directory (model.xml and model.bin, replaced together); "
            f"give a directory, not the .xml file {str(path)!r}."
        )
    if format in DIRECTORY_MARKER:
        return _export_directory(model, path, format, verify, backend)
    return _export_file(model, path, format, verify, backend)
