"""Bad inputs across the package: a clear error naming the problem, and nothing written.

One table (the machinery is `tests.reliability.table`): each row is a user mistake made inside
a scratch workspace, the exception it must raise and a phrase its message must contain; the
workspace must be unchanged after the call. The other table files of this folder share the
machinery and the helpers here.
"""

from __future__ import annotations

import os
import pathlib
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import layers
from zoo.layers import activations
from zoo.training import callbacks, data, fit, schedules
from zoo.tuning import hypermodel, search

from .table import Case, CommandFailed, ids, run_case, zoo_command


def tiny_classifier(num_classes: int = 10) -> keras.Model:
    return zoo.build("mlp", input_shape=(8, 8, 1), num_classes=num_classes, hidden_units=[4])


def batches(x, y, batch_size: int = 8) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)


def digits_like(n: int = 16, *, labels=None, fill=None) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((n, 8, 8, 1), dtype=np.float32)
    if fill is not None:
        x[:] = fill
    y = rng.integers(0, 10, n).astype(np.int32) if labels is None else labels
    return x, y


def train_on(ws, dataset, **kwargs):
    return fit(tiny_classifier(), dataset, epochs=1, verbose=0, **kwargs)


def write_saved_model(ws: pathlib.Path) -> None:
    zoo.export(tiny_classifier(), ws / "served")


def write_keras_file(ws: pathlib.Path) -> None:
    tiny_classifier().save(ws / "model.keras")


def write_truncated_keras_file(ws: pathlib.Path) -> None:
    write_keras_file(ws)
    blob = (ws / "model.keras").read_bytes()
    (ws / "model.keras").write_bytes(blob[: len(blob) // 3])


def write_lambda_keras_file(ws: pathlib.Path) -> None:
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda t: t * 2.0, name="doubler")(inputs)
    keras.Model(inputs, outputs).save(ws / "lambda.keras")


def write_foreign_directory(ws: pathlib.Path) -> None:
    (ws / "notes").mkdir()
    (ws / "notes" / "todo.txt").write_text("keep me")


def write_blocking_file(ws: pathlib.Path) -> None:
    (ws / "blocker").write_text("a file where a directory is needed")


def write_text_file(ws: pathlib.Path) -> None:
    (ws / "weights.txt").write_text("not weights")


def write_zip_without_model(ws: pathlib.Path) -> None:
    with zipfile.ZipFile(ws / "empty.keras", "w") as archive:
        archive.writestr("readme.txt", "no model here")


def search_digits(ws, **kwargs):
    x, y = digits_like(32)
    train = batches(x, y)
    arguments = {
        "max_trials": 1,
        "epochs": 1,
        "directory": ws / "tuning",
        "input_shape": (8, 8, 1),
        "num_classes": 10,
    }
    return search("mlp", train, train, **{**arguments, **kwargs})


CASES = [
    # zoo: the registry and the builders
    Case("unknown-model", lambda ws: zoo.build("mobilnet"), ValueError, "Did you mean 'mobilenet'"),
    Case("unknown-info", lambda ws: zoo.info("resnet5"), ValueError, "Did you mean"),
    Case(
        "num-classes-zero",
        lambda ws: zoo.build("lenet5", num_classes=0),
        ValueError,
        "num_classes must be an integer >= 1, got 0",
    ),
    Case(
        "alpha-negative",
        lambda ws: zoo.build("mobilenet", alpha=-1.0),
        ValueError,
        "alpha",
    ),
    Case(
        "image-too-small",
        lambda ws: zoo.build("vgg_d", input_shape=(16, 16, 3)),
        ValueError,
        "the minimum spatial size is 32",
    ),
    Case(
        "input-wrong-rank",
        lambda ws: zoo.build("lenet5", input_shape=(32, 32)),
        ValueError,
        "input_shape must have 3 dimensions",
    ),
    Case(
        "pooling-unknown",
        lambda ws: zoo.build("resnet18", include_top=False, pooling="median"),
        ValueError,
        "pooling must be one of",
    ),
    Case(
        "pooling-with-top",
        lambda ws: zoo.build("resnet18", pooling="avg"),
        ValueError,
        "applies only with include_top=False",
    ),
    Case(
        "classifier-activation",
        lambda ws: zoo.build("lenet5", classifier_activation="softmaxx"),
        ValueError,
        "classifier_activation must be None",
    ),
    Case(
        "unknown-knob",
        lambda ws: zoo.build("lenet5", alpha=0.5),
        ValueError,
        "Unknown argument 'alpha' for model 'lenet5'",
    ),
    Case(
        "alexnet-groups",
        lambda ws: zoo.build("alexnet", groups=3),
        ValueError,
        "groups",
    ),
    Case(
        "weights-missing-file",
        lambda ws: zoo.build("lenet5", weights=str(ws / "absent.weights.h5")),
        FileNotFoundError,
        "absent.weights.h5",
    ),
    Case(
        "weights-wrong-suffix",
        lambda ws: zoo.build("lenet5", weights=str(ws / "weights.txt")),
        ValueError,
        "'.weights.h5'",
        setup=write_text_file,
    ),
    Case(
        "list-unknown-task",
        lambda ws: zoo.list_models(task="detection"),
        ValueError,
        "task must be one of",
    ),
    Case(
        "summary-shape-with-model",
        lambda ws: zoo.summary(tiny_classifier(), input_shape=(8, 8, 1)),
        ValueError,
        "input_shape",
    ),
    # layers
    Case(
        "maxout-not-dividing",
        lambda ws: layers.Maxout(3)(np.zeros((2, 8), np.float32)),
        ValueError,
        "divide",
    ),
    Case("maxout-zero-units", lambda ws: layers.Maxout(0), ValueError, "num_units"),
    Case("maxout-dense-units", lambda ws: layers.MaxoutDense(0), ValueError, "units"),
    Case(
        "maxout-dense-pieces",
        lambda ws: layers.MaxoutDense(4, num_pieces=0),
        ValueError,
        "num_pieces",
    ),
    Case(
        "rrelu-lower-above-upper",
        lambda ws: layers.RReLU(lower=0.5, upper=0.1),
        ValueError,
        "lower",
    ),
    Case(
        "lrn-negative-radius",
        lambda ws: layers.LocalResponseNormalization(depth_radius=-1),
        ValueError,
        "depth_radius",
    ),
    Case("peephole-units", lambda ws: layers.PeepholeLSTM(0), ValueError, "units"),
    Case("explicit-dense-units", lambda ws: layers.ExplicitDense(-2), ValueError, "units"),
    Case(
        "crelu-axis-out-of-range",
        lambda ws: layers.CReLU(axis=5)(np.zeros((2, 3), np.float32)),
        ValueError,
        "axis",
    ),
    Case(
        "activation-unknown",
        lambda ws: activations.derivative("swishy"),
        ValueError,
        "swishy",
    ),
    # training: schedules, callbacks, data, fit
    Case(
        "step-decay-step-size",
        lambda ws: schedules.StepDecay(0.1, step_size=0),
        ValueError,
        "step_size must be an integer >= 1, got 0",
    ),
    Case(
        "cyclic-max-below-base",
        lambda ws: schedules.CyclicLR(base_lr=0.1, max_lr=0.01, step_size=10),
        ValueError,
        "max_lr",
    ),
    Case(
        "cyclic-mode",
        lambda ws: schedules.CyclicLR(0.01, 0.1, 10, mode="sine"),
        ValueError,
        "mode must be one of",
    ),
    Case(
        "one-cycle-pct-start",
        lambda ws: schedules.OneCycle(0.1, total_steps=100, pct_start=1.5),
        ValueError,
        "pct_start",
    ),
    Case(
        "warmup-negative",
        lambda ws: schedules.Warmup(0.1, warmup_steps=-1),
        ValueError,
        "warmup_steps",
    ),
    Case("schedule-unknown", lambda ws: schedules.get("cosin"), ValueError, "cosine"),
    Case(
        "lr-finder-range",
        lambda ws: callbacks.LRFinder(min_lr=1.0, max_lr=0.1, num_steps=10),
        ValueError,
        "max_lr",
    ),
    Case("dataset-unknown", lambda ws: data.load("imagenet"), ValueError, "name must be one of"),
    Case(
        "dataset-split",
        lambda ws: data.load("digits", "dev"),
        ValueError,
        "split",
    ),
    Case(
        "dataset-batch-size",
        lambda ws: data.load("digits", batch_size=0),
        ValueError,
        "batch_size must be an integer >= 1, got 0",
    ),
    Case(
        "fit-empty-data",
        lambda ws: train_on(ws, batches(*digits_like()).take(0)),
        ValueError,
        "train is empty",
    ),
    Case(
        "fit-empty-after-filter",
        lambda ws: train_on(ws, batches(*digits_like()).filter(lambda x, y: False)),
        ValueError,
        "train is empty",
    ),
    Case(
        "fit-wrong-rank",
        lambda ws: train_on(ws, batches(np.zeros((16, 64), np.float32), np.zeros(16, np.int32))),
        ValueError,
        "inputs have shape (None, 64) per batch",
    ),
    Case(
        "fit-wrong-size",
        lambda ws: train_on(
            ws, batches(np.zeros((16, 9, 9, 1), np.float32), np.zeros(16, np.int32))
        ),
        ValueError,
        "expects (None, 8, 8, 1)",
    ),
    Case(
        "fit-string-inputs",
        lambda ws: train_on(ws, batches(np.full((16, 8, 8, 1), "x"), np.zeros(16, np.int32))),
        ValueError,
        "inputs must be numeric, got dtype string",
    ),
    Case(
        "fit-labels-out-of-range",
        lambda ws: train_on(ws, batches(*digits_like(labels=np.full(16, 12, np.int32)))),
        ValueError,
        "labels must lie in [0, 10)",
    ),
    Case(
        "fit-negative-labels",
        lambda ws: train_on(ws, batches(*digits_like(labels=np.full(16, -1, np.int32)))),
        ValueError,
        "has label -1",
    ),
    Case(
        "fit-one-hot-width",
        lambda ws: train_on(ws, batches(digits_like()[0], np.eye(4, dtype=np.float32)[[0] * 16])),
        ValueError,
        "one-hot labels are 4 wide",
    ),
    Case(
        "fit-nan-inputs",
        lambda ws: train_on(ws, batches(*digits_like(fill=np.nan))),
        ValueError,
        "NaN or infinite inputs",
    ),
    Case(
        "fit-nan-validation",
        lambda ws: train_on(
            ws, batches(*digits_like()), validation=batches(*digits_like(fill=np.inf))
        ),
        ValueError,
        "validation contains NaN",
    ),
    Case(
        "fit-epochs-zero",
        lambda ws: fit(tiny_classifier(), batches(*digits_like()), epochs=0),
        ValueError,
        "epochs must be an integer >= 1, got 0",
    ),
    Case(
        "fit-optimizer",
        lambda ws: train_on(ws, batches(*digits_like()), optimizer="adamw2"),
        ValueError,
        "optimizer must be one of",
    ),
    Case(
        "fit-momentum",
        lambda ws: train_on(ws, batches(*digits_like()), momentum=1.5),
        ValueError,
        "momentum must be in [0.0, 1.0)",
    ),
    # tuning
    Case("hypermodel-unknown", lambda ws: hypermodel("lenett"), ValueError, "Did you mean"),
    Case(
        "tuner-unknown",
        lambda ws: search_digits(ws, tuner="genetic"),
        ValueError,
        "tuner must be one of",
    ),
    Case(
        "tuner-objective-not-logged",
        lambda ws: search_digits(ws, objective="val_f1"),
        ValueError,
        "objective 'val_f1' is not a metric",
    ),
    Case(
        "tuner-max-trials",
        lambda ws: search_digits(ws, max_trials=0),
        ValueError,
        "max_trials must be an integer >= 1, got 0",
    ),
    # export and loading
    Case(
        "export-format",
        lambda ws: zoo.export(tiny_classifier(), ws / "out", format="pickle"),
        ValueError,
        "format must be one of",
    ),
    Case(
        "export-into-foreign-directory",
        lambda ws: zoo.export(tiny_classifier(), ws / "notes"),
        FileExistsError,
        "refusing to overwrite",
        setup=write_foreign_directory,
    ),
    Case(
        "export-onto-a-file",
        lambda ws: zoo.export(tiny_classifier(), ws / "blocker"),
        FileExistsError,
        "is a file",
        setup=write_blocking_file,
    ),
    Case(
        "export-under-a-file",
        lambda ws: zoo.export(tiny_classifier(), ws / "blocker" / "model"),
        OSError,
        "blocker",
        setup=write_blocking_file,
    ),
    Case(
        "export-unwritable",
        lambda ws: zoo.export(tiny_classifier(), pathlib.Path("/proc/zoo-export/model")),
        OSError,
        "/proc",
    ),
    Case(
        "load-missing",
        lambda ws: zoo.load(ws / "absent.keras"),
        FileNotFoundError,
        "absent.keras",
    ),
    Case(
        "load-truncated",
        lambda ws: zoo.load(ws / "model.keras"),
        ValueError,
        "model.keras",
        setup=write_truncated_keras_file,
    ),
    Case(
        "load-zip-without-model",
        lambda ws: zoo.load(ws / "empty.keras"),
        ValueError,
        "empty.keras",
        setup=write_zip_without_model,
    ),
    Case(
        "load-lambda-refused",
        lambda ws: zoo.load(ws / "lambda.keras"),
        ValueError,
        "safe_mode=False",
        setup=write_lambda_keras_file,
    ),
    Case(
        "load-wrong-suffix",
        lambda ws: zoo.load(ws / "weights.txt"),
        ValueError,
        "weights.txt",
        setup=write_text_file,
    ),
    # the command line: exit status 2, one line on stderr
    Case(
        "cli-unknown-model",
        lambda ws: zoo_command("summary", "mobilnet"),
        CommandFailed,
        "zoo summary: error: Unknown model 'mobilnet'. Did you mean 'mobilenet'",
    ),
    Case(
        "cli-bad-input-shape",
        lambda ws: zoo_command("summary", "lenet5", "--input-shape", "32,x,1"),
        CommandFailed,
        "expected positive integers separated by commas",
    ),
    Case(
        "cli-export-format",
        lambda ws: zoo_command("export", "lenet5", str(ws / "out"), "--format", "pickle"),
        CommandFailed,
        "zoo export: error: argument --format: invalid choice: 'pickle'",
    ),
    Case(
        "cli-export-into-foreign-directory",
        lambda ws: zoo_command("export", "mlp", str(ws / "notes")),
        CommandFailed,
        "refusing to overwrite",
        setup=write_foreign_directory,
    ),
    Case(
        "cli-export-lambda-file",
        lambda ws: zoo_command("export", str(ws / "lambda.keras"), str(ws / "out")),
        CommandFailed,
        "--unsafe",
        setup=write_lambda_keras_file,
    ),
    Case(
        "cli-export-file-with-input-shape",
        lambda ws: zoo_command(
            "export", str(ws / "model.keras"), str(ws / "out"), "--input-shape", "8,8,1"
        ),
        CommandFailed,
        "--input-shape applies to a model name, not a file",
        setup=write_keras_file,
    ),
    Case(
        "cli-bench-batch-size",
        lambda ws: zoo_command("bench", "lenet5", "--batch-size", "0"),
        CommandFailed,
        "batch_size must be an integer >= 1, got 0",
    ),
    Case(
        "cli-schedule-steps",
        lambda ws: zoo_command("schedule", "cosine", "--steps", "0"),
        CommandFailed,
        "zoo schedule: error: --steps must be an integer >= 1, got 0",
    ),
    Case(
        "cli-train-sequence-model",
        lambda ws: zoo_command("train", "lstm", "--epochs", "1"),
        CommandFailed,
        "only image classifiers train",
    ),
    Case(
        "cli-tune-tuner",
        lambda ws: zoo_command("tune", "mlp", "--tuner", "genetic", "--directory", str(ws)),
        CommandFailed,
        "tuner must be one of",
    ),
]


def test_the_table_is_large_and_its_ids_unique():
    ids = [case.id for case in CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_bad_input_is_refused_clearly_and_writes_nothing(case, tmp_path, monkeypatch):
    run_case(case, tmp_path, monkeypatch)
    assert not os.path.exists("/proc/zoo-export")
