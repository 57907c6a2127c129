"""Safe mode, writes and the command line's failures: one clear error, nothing lost or left.

Rows of the reliability table (`tests.reliability.table`) for issue 15's classes 1 (code from
files), 2 (data lost) and 3 (raw tracebacks): each makes the mistake or the fault in a scratch
workspace, names the exception (for the CLI: the exit status, one stderr line) and a phrase,
and checks that the workspace is unchanged afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pathlib
import resource
import signal

import keras
import numpy as np
import pytest

import zoo
from zoo.training import callbacks, fit

from .table import Case, CommandFailed, ids, run_case, zoo_command
from .test_bad_inputs import batches, digits_like, tiny_classifier

export_module = importlib.import_module("zoo.export")  # zoo.export is also the function


def saved_model(ws: pathlib.Path) -> None:
    zoo.export(tiny_classifier(), ws / "served")


def saved_model_with_user_file(ws: pathlib.Path) -> None:
    saved_model(ws)
    (ws / "served" / "NOTES.md").write_text("the user's notes")


def keras_saved_model(ws: pathlib.Path) -> None:
    tiny_classifier().export(str(ws / "plain"), verbose=False)


def truncated_saved_model(ws: pathlib.Path) -> None:
    saved_model(ws)
    pb = ws / "served" / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[:64])


def keras_file(ws: pathlib.Path) -> None:
    tiny_classifier().save(ws / "model.keras")


def garbage_keras_file(ws: pathlib.Path) -> None:
    (ws / "model.keras").write_bytes(b"PK\x03\x04 not really a zip")


def system_call_keras_file(ws: pathlib.Path) -> None:
    """A .keras file whose config names ``os.system`` as a layer class."""
    import json
    import zipfile

    keras_file(ws)
    with zipfile.ZipFile(ws / "model.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    layer = config["config"]["layers"][1]
    layer.update({"module": "os", "class_name": "system", "registered_name": "system"})
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(ws / "model.keras", "w") as archive:
        for name, blob in members.items():
            archive.writestr(name, blob)


def marked_backup(ws: pathlib.Path) -> None:
    saved_model(ws)
    backup = ws / ".served.20261201.bak"
    backup.mkdir()
    (backup / "saved_model.pb").write_text("a dated backup, not zoo's")


def in_use_checkpoint(ws: pathlib.Path) -> None:
    """The folder of a run in progress: its lock file holds the running process's id."""
    (ws / "run").mkdir()
    (ws / "run" / callbacks.LOCK).write_text(str(os.getpid()))


def holding_lock(ws: pathlib.Path):
    """fit on ``ws/run`` while this process holds its lock (as a second run would find it)."""
    with callbacks.checkpoint_lock(ws / "run"):
        x, y = digits_like()
        return fit(tiny_classifier(), batches(x, y), epochs=1, checkpoint_dir=ws / "run", verbose=0)


@contextlib.contextmanager
def file_size_limit(size: int):
    """``ulimit -f``: writes past ``size`` bytes fail with EFBIG (Python ignores SIGXFSZ)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    assert signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def export_under_limit(ws: pathlib.Path, *argv, size: int = 4096):
    with file_size_limit(size):
        zoo_command(*argv)


def failing_verification(ws: pathlib.Path):
    original = export_module.verify_artifact

    def wrong(model, path, format="tf_saved_model", **kwargs):
        raise export_module.ExportVerificationError("differs from the Keras model by 1")

    export_module.verify_artifact = wrong
    try:
        zoo_command("export", "mlp", ws / "out")
    finally:
        export_module.verify_artifact = original


def internal_error(ws: pathlib.Path):
    original = zoo.summary

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    zoo.summary = broken
    try:
        zoo_command("summary", "mlp")
    finally:
        zoo.summary = original


def fit_with(argument: str, value):
    def call(ws: pathlib.Path):
        x, y = digits_like()
        return fit(tiny_classifier(), batches(x, y), epochs=1, **{"verbose": 0, argument: value})

    return call


LONG = "n" * 256  # one byte past NAME_MAX

CASES = [
    # 1. code from files: refused in safe mode, before any of it runs
    Case(
        "load-saved-model-safe-mode",
        lambda ws: zoo.load(ws / "served"),
        ValueError,
        "Refusing to load the SavedModel",
        setup=saved_model,
    ),
    Case(
        "load-saved-model-says-how",
        lambda ws: zoo.load(ws / "served"),
        ValueError,
        "Pass safe_mode=False (CLI: --unsafe)",
        setup=saved_model,
    ),
    Case(
        "load-keras-saved-model-safe-mode",
        lambda ws: zoo.load(ws / "plain"),
        ValueError,
        "TensorFlow program",
        setup=keras_saved_model,
    ),
    Case(
        "load-truncated-saved-model-unsafe",
        lambda ws: zoo.load(ws / "served", safe_mode=False),
        ValueError,
        "not a readable SavedModel",
        setup=truncated_saved_model,
    ),
    Case(
        "cli-summary-saved-model",
        lambda ws: zoo_command("summary", ws / "served"),
        CommandFailed,
        "zoo summary: error: Refusing to load the SavedModel",
        setup=saved_model,
    ),
    Case(
        "cli-summary-saved-model-no-slash",
        lambda ws: zoo_command("summary", "served"),
        CommandFailed,
        "Refusing to load the SavedModel 'served'",
        setup=saved_model,
    ),
    Case(
        "cli-export-saved-model",
        lambda ws: zoo_command("export", ws / "served", ws / "again"),
        CommandFailed,
        "zoo export: error: Refusing to load the SavedModel",
        setup=saved_model,
    ),
    Case(
        "cli-export-truncated-saved-model-unsafe",
        lambda ws: zoo_command("export", ws / "served", ws / "again", "--unsafe"),
        CommandFailed,
        "not a readable SavedModel",
        setup=truncated_saved_model,
    ),
    Case(
        "cli-summary-os-system-keras-file",
        lambda ws: zoo_command("summary", ws / "model.keras"),
        CommandFailed,
        "its config names 'os.system', which is neither a Keras class nor a registered zoo",
        setup=system_call_keras_file,
    ),
    Case(
        "cli-summary-garbage-keras-file",
        lambda ws: zoo_command("summary", ws / "model.keras"),
        CommandFailed,
        "is not a valid .keras file",
        setup=garbage_keras_file,
    ),
    Case(
        "load-safe-mode-not-bool",
        lambda ws: zoo.load(ws / "model.keras", safe_mode="no"),
        ValueError,
        "safe_mode must be True or False, got 'no'",
        setup=keras_file,
    ),
    Case(
        "load-compile-not-bool",
        lambda ws: zoo.load(ws / "model.keras", compile=None),
        ValueError,
        "compile must be True or False, got None",
        setup=keras_file,
    ),
    Case(
        "load-path-not-a-path",
        lambda ws: zoo.load(3),
        TypeError,
        "path must be a non-empty str or os.PathLike, got 3",
    ),
    Case(
        "load-empty-path",
        lambda ws: zoo.load(""),
        TypeError,
        "path must be a non-empty str",
    ),
    # 2. data lost: export replaces only what it wrote; one run per checkpoint folder
    Case(
        "export-over-a-users-file",
        lambda ws: zoo.export(tiny_classifier(), ws / "served"),
        FileExistsError,
        "holds files zoo.export did not write (NOTES.md)",
        setup=saved_model_with_user_file,
    ),
    Case(
        "export-over-keras-saved-model",
        lambda ws: zoo.export(tiny_classifier(), ws / "plain"),
        FileExistsError,
        "zoo.export did not write (no .zoo-export.json)",
        setup=keras_saved_model,
    ),
    Case(
        "export-onnx-into-users-folder",
        lambda ws: zoo.export(tiny_classifier(), ws / "served", format="onnx"),
        FileExistsError,
        "not an exported onnx model",
        setup=saved_model,
    ),
    Case(
        "cli-export-over-a-users-file",
        lambda ws: zoo_command("export", "mlp", ws / "served"),
        CommandFailed,
        "NOTES.md",
        setup=saved_model_with_user_file,
    ),
    Case(
        "export-backup-sibling-kept-on-refusal",
        lambda ws: zoo.export(tiny_classifier(), ws / "served", format="tflite"),
        ValueError,
        "format must be one of",
        setup=marked_backup,
    ),
    Case(
        "export-path-not-a-path",
        lambda ws: zoo.export(tiny_classifier(), 42),
        TypeError,
        "path must be a non-empty str or os.PathLike, got 42",
    ),
    Case(
        "export-path-empty",
        lambda ws: zoo.export(tiny_classifier(), ""),
        TypeError,
        "path must be a non-empty str",
    ),
    Case(
        "export-verify-not-bool",
        lambda ws: zoo.export(tiny_classifier(), ws / "out", verify="yes"),
        ValueError,
        "verify must be True or False, got 'yes'",
    ),
    Case(
        "export-name-too-long",
        lambda ws: zoo.export(tiny_classifier(), ws / LONG),
        OSError,
        "File name too long",
    ),
    Case(
        "fit-checkpoint-in-use",
        holding_lock,
        callbacks.CheckpointError,
        "is in use by another run",
        setup=in_use_checkpoint,
    ),
    # 5. fit's arguments
    *[
        Case(f"fit-{argument}-{label}", fit_with(argument, value), ValueError, phrase, setup)
        for argument, label, value, phrase, setup in [
            ("jit_compile", "int", 1, "jit_compile must be 'auto', True or False; got 1", None),
            ("mixed_precision", "int", 1, "mixed_precision must be one of True, False", None),
            ("checkpoint_dir", "int", 3, "checkpoint_dir must be a path", None),
            ("checkpoint_dir", "empty", "", "checkpoint_dir must be a path", None),
            ("checkpoint_dir", "file", "model.keras", "exists and is not a directory", keras_file),
            ("tensorboard_dir", "int", 3, "tensorboard_dir must be a path", None),
            ("callbacks", "single", keras.callbacks.TerminateOnNaN(), "wrap it in a list", None),
            ("callbacks", "not-callbacks", [3], "must be a list of keras.callbacks.Callback", None),
            ("verbose", "five", 5, "verbose must be one of 0, 1, 2, 'auto'; got 5", None),
            ("verbose", "bool", True, "verbose must be one of 0, 1, 2, 'auto'; got True", None),
        ]
    ],
    # 3. the command line: one line for every failure, with its exit status
    Case(
        "cli-tune-resume-and-overwrite",
        lambda ws: zoo_command("tune", "mlp", "--resume", "--overwrite"),
        CommandFailed,
        "argument --overwrite: not allowed with argument --resume",
    ),
    Case(
        "cli-export-name-too-long",
        lambda ws: zoo_command("export", "mlp", ws / LONG),
        CommandFailed,
        "File name too long",
    ),
    Case(
        "cli-export-file-too-large",
        lambda ws: export_under_limit(ws, "export", ws / "model.keras", ws / "big"),
        CommandFailed,
        "File too large",
        setup=keras_file,
    ),
    Case(
        "cli-export-onnx-file-too-large",
        lambda ws: export_under_limit(
            ws, "export", ws / "model.keras", ws / "big.onnx", "--format", "onnx", size=256
        ),
        CommandFailed,
        "File too large",
        setup=keras_file,
    ),
    Case(
        "cli-export-under-a-file",
        lambda ws: zoo_command("export", "mlp", ws / "model.keras" / "out"),
        CommandFailed,
        "Not a directory",
        setup=keras_file,
    ),
    Case(
        "cli-train-export-name-too-long",
        lambda ws: zoo_command("train", "mlp", "--epochs", "1", "--export", ws / LONG),
        CommandFailed,
        "File name too long",
    ),
    Case(
        "cli-train-checkpoint-in-use",
        lambda ws: holding_cli_lock(ws),
        CommandFailed,
        "is in use by another run",
        setup=in_use_checkpoint,
    ),
    Case(
        "cli-schedule-plot-without-suffix",
        lambda ws: zoo_command("schedule", "cosine", "--steps", "10", "--plot", ws / "curve"),
        CommandFailed,
        "--plot must be an image file ending in .png",
    ),
    Case(
        "cli-schedule-plot-into-a-folder",
        lambda ws: zoo_command("schedule", "cosine", "--steps", "10", "--plot", ws / "d.png"),
        CommandFailed,
        "is a directory, not an image file",
        setup=lambda ws: (ws / "d.png").mkdir(),
    ),
    Case(
        "cli-train-dataset-misspelt",
        lambda ws: zoo_command("train", "lenet5", "--dataset", "minst"),
        CommandFailed,
        "--dataset must be one of 'digits'",
    ),
    Case(
        "cli-export-verification-failed",
        failing_verification,
        CommandFailed,
        "export failed verification, nothing written",
        status=1,
    ),
    Case(
        "cli-internal-error",
        internal_error,
        CommandFailed,
        "internal error (ZeroDivisionError: a bug); rerun with --debug",
        status=1,
    ),
]


def holding_cli_lock(ws: pathlib.Path):
    with callbacks.checkpoint_lock(ws / "run"):
        zoo_command("train", "mlp", "--epochs", "1", "--no-save", "--checkpoint-dir", ws / "run")


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_fault_is_reported_in_one_line_and_nothing_is_lost(case, tmp_path, monkeypatch):
    error = run_case(case, tmp_path, monkeypatch)
    assert "Traceback" not in str(error)
    leftovers = [p for p in tmp_path.rglob(f"{export_module.STAGING_PREFIX}*")]
    assert leftovers == []


def test_debug_adds_the_traceback(tmp_path, capsys, monkeypatch):
    from zoo import cli

    monkeypatch.chdir(tmp_path)
    saved_model(tmp_path)
    assert cli.main(["summary", "served", "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("zoo summary: error: Refusing to load")


def test_a_system_call_named_in_a_keras_file_never_runs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    system_call_keras_file(tmp_path)
    keras.backend.clear_session()
    with pytest.raises(ValueError, match=r"names 'os\.system'.*nothing from it was run"):
        zoo.load(tmp_path / "model.keras")
    assert calls == []


def test_ctrl_c_exits_130_in_one_line_and_the_same_command_resumes(tmp_path):
    import subprocess
    import sys
    import time

    from tests.helpers.children import CHILD_TIMEOUT, child_env

    command = [sys.executable, "-m", "zoo", "train", "mlp", "--image-size", "8", "--no-save"]
    command += ["--checkpoint-dir", "run", "--epochs"]
    train = subprocess.Popen(
        [*command, "500"],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background job ignores SIGINT, and a child inherits that: give it the
        # default a terminal's foreground process has, where Python turns ^C into
        # KeyboardInterrupt (else the run ignores the signal and trains all 500 epochs).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + CHILD_TIMEOUT
    while not (tmp_path / "run" / "state.json").exists():
        assert train.poll() is None and time.monotonic() < deadline, train.stderr.read()
        time.sleep(0.05)
    train.send_signal(signal.SIGINT)
    _, err = train.communicate(timeout=CHILD_TIMEOUT)
    assert train.returncode == 130, err
    line = err.strip().splitlines()
    assert len(line) == 1 and line[0].startswith("zoo train: error: interrupted; 'run' keeps "), err
    done = callbacks.ResumableCheckpoint(tmp_path / "run").epochs_done()
    assert f"keeps {done} finished epoch(s): rerun the same command to resume" in line[0]
    resumed = subprocess.run(
        [*command, str(done + 1)],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed at epoch {done + 1} of {done + 1}" in resumed.stdout


def test_numpy_numbers_are_fit_arguments_like_python_ones():
    x, y = digits_like()
    history = fit(
        tiny_classifier(),
        batches(x, y),
        epochs=np.int64(2),
        learning_rate=np.float32(0.05),
        warmup_steps=np.int64(1),
        optimizer="momentum",
        momentum=np.float64(0.5),
        verbose=0,
    )
    assert len(history.history["loss"]) == 2
