"""The training parts of the `zoo` command: `zoo schedule` and `zoo train`'s options (schedule,
warmup, checkpoint and resume, mixed precision, input size, builder knobs, validation split,
saving, output-path checks, progress output), in-process through `zoo.cli.main`, and one
subprocess for the progress output into a pipe."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import zoo
from zoo import cli
from zoo.training import schedules

from ..conftest import REPO

# A small, fast run: mlp on 8x8 digits with one hidden layer of 16 units.
SMALL = ["train", "mlp", "--image-size", "8", "--set", "hidden_units=16", "--batch-size", "64"]


def zoo_main(capsys, *args):
    status = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def table(out):
    rows = [
        line.split() for line in out.splitlines()[1:] if line.strip() and line.split()[0].isdigit()
    ]
    return {int(step): float(rate) for step, rate in rows}


def test_schedule_prints_a_table_of_rates(capsys):
    status, out, err = zoo_main(capsys, "schedule", "cosine", "--steps", 100, "--lr", 0.1)
    assert status == 0, err
    assert out.splitlines()[0].split() == ["step", "learning", "rate"]
    rates = table(out)
    assert sorted(rates) == [*range(0, 100, 5), 99]
    expected = schedules.evaluate(schedules.get("cosine", learning_rate=0.1, total_steps=100), 100)
    for step, rate in rates.items():
        assert rate == pytest.approx(expected[step], rel=1e-5, abs=1e-12)


def test_schedule_with_warmup_parameters_and_a_plot(capsys, tmp_path):
    path = tmp_path / "sgdr.png"
    status, out, err = zoo_main(
        capsys,
        "schedule",
        "sgdr",
        "--steps",
        700,
        "--warmup-steps",
        70,
        "--param",
        "m_mul=0.5",
        "--param",
        "first_decay_steps=105",
        "--every",
        35,
        "--plot",
        path,
    )
    assert status == 0, err
    rates = table(out)
    assert rates[0] == 0.0 and rates[35] == pytest.approx(0.05)
    assert rates[70] == pytest.approx(0.1)
    assert rates[70 + 105] == pytest.approx(0.05)  # second cycle at half the height (m_mul)
    assert path.read_bytes()[:4] == b"\x89PNG" and f"plot: {path}" in out


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("schedule", "linear", "--steps", "10"), "schedule must be one of 'constant', 'step'"),
        (("schedule", "cosine"), "the following arguments are required: --steps"),
        (("schedule", "cosine", "--steps", "0"), "--steps must be an integer >= 1, got 0"),
        (
            ("schedule", "step", "--steps", "10", "--param", "step_size=0"),
            "step_size must be a number > 0",
        ),
        (("schedule", "step", "--steps", "10", "--param", "drop"), "--param expects KEY=VALUE"),
        (
            ("schedule", "cyclic", "--steps", "10", "--param", "max_lr=0.001"),
            "max_lr must be >= base_lr",
        ),
        (
            ("schedule", "cosine", "--steps", "10", "--warmup-steps", "-1"),
            "warmup_steps must be an integer >= 0",
        ),
        (("train", "lenet5", "--schedule", "linear"), "schedule must be one of"),
        (
            ("train", "lenet5", "--optimizer", "adagrad"),
            "optimizer must be one of 'sgd', 'momentum'",
        ),
        (("train", "lenet5", "--dataset", "imdb_reviews"), "--dataset must be an image data set"),
        (
            ("train", "lenet5", "--optimizer", "sgd", "--momentum", "0.5"),
            "does not apply to optimizer 'sgd', which is plain SGD",
        ),
        (("train", "lenet5", "--l2", "-1"), "l2 must be in [0.0, inf]"),
        (("train", "lenet5", "--clipnorm", "0"), "clipnorm must be in (0.0, inf]"),
        (
            ("train", "lenet5", "--schedule", "cosine", "--warmup-steps", "-5"),
            "warmup_steps must be an integer >= 0",
        ),
    ],
)
def test_user_mistakes_give_one_line_and_status_2(capsys, args, phrase):
    status, _, err = zoo_main(capsys, *args)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and phrase in err
    assert "Traceback" not in err


def test_train_with_schedule_warmup_checkpoint_and_mixed_precision(capsys, tmp_path):
    folder = tmp_path / "run"
    arguments = [
        "train",
        "lenet5",
        "--epochs",
        2,
        "--batch-size",
        64,
        "--optimizer",
        "adam",
        "--lr",
        0.003,
        "--schedule",
        "one_cycle",
        "--warmup-steps",
        5,
        "--checkpoint-dir",
        folder,
        "--mixed-precision",
        "--no-save",
    ]
    status, out, err = zoo_main(capsys, *arguments)
    assert status == 0, err
    accuracy = float(out.split("test accuracy: ")[1].split()[0])
    assert accuracy > 0.5
    state = json.loads((folder / "state.json").read_text())
    assert state["epoch"] == 2 and (folder / "best.keras").is_file()
    with open(folder / "history.csv") as file:
        rates = [float(row["learning_rate"]) for row in csv.DictReader(file)]
    # 23 steps per epoch: 5 warmup steps, then one_cycle over the other 41.
    expected = schedules.evaluate(
        schedules.get("one_cycle", 5, learning_rate=0.003, total_steps=46), 46
    )
    np.testing.assert_allclose(rates, expected[[22, 45]], rtol=1e-5)
    # Run again: the checkpoint says the work is done, so no epoch is repeated.
    status, out, err = zoo_main(capsys, *arguments)
    assert status == 0, err
    assert f"already finished: 2 of 2 epochs ({folder})" in out and "Epoch" not in out
    assert float(out.split("test accuracy: ")[1].split()[0]) == pytest.approx(accuracy)


def test_train_at_the_optimizer_default_rate_with_the_penalty_and_clipping(
    capsys, tmp_path, monkeypatch
):
    """--lr defaults to the optimizer's rate (adamax: 0.002); --momentum, --weight-decay,
    --l2, --l1 and --clipnorm reach zoo.training.fit."""
    folder = tmp_path / "run"
    argv = [*SMALL, "--epochs", 1, "--optimizer", "adamax", "--checkpoint-dir", folder]
    status, _, err = zoo_main(capsys, *argv, "--l2", "1e-4", "--clipnorm", "1", "--no-save")
    assert status == 0, err
    with open(folder / "history.csv") as file:
        (row,) = csv.DictReader(file)
    assert float(row["learning_rate"]) == pytest.approx(0.002)
    seen = {}

    def fake_fit(model, train, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr("zoo.training.fit", fake_fit)
    options = ["--momentum", "0.8", "--weight-decay", "1e-3", "--l1", "1e-5"]
    status, _, _ = zoo_main(capsys, *SMALL, "--optimizer", "nesterov", *options, "--no-save")
    assert status == 130
    assert (seen["optimizer"], seen["learning_rate"], seen["momentum"]) == ("nesterov", None, 0.8)
    assert (seen["weight_decay"], seen["l2"], seen["l1"], seen["clipnorm"]) == (
        1e-3,
        0.0,
        1e-5,
        None,
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.25", 0.25),
        ("2", 2),
        ("True", True),
        ("false", False),
        ("none", None),
        ("64,32", [64, 32]),
        ("[64]", [64]),
        ("[0.5, relu]", [0.5, "relu"]),
        ("relu", "relu"),
    ],
)
def test_set_values_read_as_numbers_booleans_none_lists_or_strings(text, value):
    assert cli._value(text) == value and type(cli._value(text)) is type(value)


def test_train_with_input_size_knobs_validation_split_and_an_output_path(capsys, tmp_path):
    path = tmp_path / "models" / "digits-mlp.keras"
    argv = [*SMALL, "--set", "activation=relu", "--validation-split", "0.25", "--epochs", "1"]
    status, out, err = zoo_main(capsys, *argv, "--output", path)
    assert status == 0, err
    # One line per epoch (the output is not a terminal), with the validation metrics: the
    # last quarter of the 1,437 training digits is held out, 1,078 remain (17 batches of 64).
    epoch_lines = [line for line in out.splitlines() if line.startswith("17/17 - ")]
    assert len(epoch_lines) == 1 and "val_accuracy" in epoch_lines[0] and "\r" not in out
    assert f"saved model: {path}\n" in out
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left
    model = zoo.load(path)
    assert model.input_shape == (None, 8, 8, 1)
    assert model.get_layer("hidden1").units == 16
    assert model.get_layer("hidden1_act").get_config()["activation"] == "relu"


def test_default_save_path_resume_messages_and_no_save(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = [*SMALL, "--checkpoint-dir", "run"]
    status, out, err = zoo_main(capsys, *run, "--epochs", 1)
    assert status == 0, err
    saved = tmp_path / "artifacts" / "mlp" / "model.keras"
    assert "saved model: artifacts/mlp/model.keras" in out and saved.is_file()
    assert "resumed" not in out and "already finished" not in out
    status, out, err = zoo_main(capsys, *run, "--epochs", 2)
    assert status == 0, err
    assert "resumed at epoch 2 of 2 (1 done in run)" in out
    assert "Epoch 2/2" in out and "Epoch 1/2" not in out
    modified = saved.stat().st_mtime_ns
    status, out, err = zoo_main(capsys, *run, "--epochs", 2, "--no-save")
    assert status == 0, err
    assert "already finished: 2 of 2 epochs (run)" in out
    assert "saved model" not in out and saved.stat().st_mtime_ns == modified


def test_a_progress_bar_only_on_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    status, out, err = zoo_main(capsys, *SMALL, "--epochs", 1, "--no-save")
    assert status == 0, err
    assert "\r" in out and "\u2501" in out  # Keras' bar, redrawn in place


def test_export_into_the_save_folder_keeps_both(capsys, tmp_path, monkeypatch):
    """``--export artifacts/NAME`` holds the default save path ``artifacts/NAME/model.keras``
    (the README's demo command): the SavedModel replaces the folder, the model file is
    written into it afterwards, on the first run and on a rerun."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "artifacts" / "mlp"
    for _ in range(2):
        status, out, err = zoo_main(capsys, *SMALL, "--epochs", 1, "--export", "artifacts/mlp")
        assert status == 0, err
        assert "exported SavedModel:" in out and "saved model: artifacts/mlp/model.keras" in out
        assert {"saved_model.pb", "model.keras"} <= {p.name for p in folder.iterdir()}
    assert [p.name for p in folder.parent.iterdir()] == ["mlp"]  # nothing staged left behind


def _layout(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_text("a user's file")
    return tmp_path


@pytest.mark.parametrize(
    ("options", "phrase"),
    [
        (["--output", "model.h5"], "--output must end in .keras"),
        (["--output", "{tmp}/file/model.keras"], "is not a directory"),
        (["--output", "{tmp}/folder.keras"], "is a directory"),
        (["--export", "{tmp}/photos"], "zoo.export did not write"),
        (["--export", "{tmp}/file"], "--export '{tmp}/file' exists and is not a directory"),
        (["--checkpoint-dir", "{tmp}/file"], "exists and is not a directory"),
        (["--checkpoint-dir", "{tmp}/file/run"], "is not a directory"),
        (["--export", "{tmp}/out", "--checkpoint-dir", "{tmp}/out/run"], "lies in --export"),
        (["--output", "{tmp}/m.keras", "--export", "{tmp}/m.keras/sm"], "lies in the save"),
        (["--output", "a.keras", "--no-save"], "not allowed with argument"),
        (["--input-shape", "8,9,1"], "--input-shape must be S,S,1 for digits"),
        (["--input-shape", "8,8,3"], "--input-shape must be S,S,1 for digits"),
        (["--input-shape", "8,8,1", "--image-size", "8"], "not allowed with argument"),
        (["--image-size", "0"], "--image-size must be an integer >= 1"),
        (["--set", "alpha"], "--set expects KEY=VALUE"),
        (["--set", "input_shape=8"], "is set by --input-shape or --image-size"),
        (["--validation-split", "1"], "--validation-split must be in (0, 1), got 1.0"),
    ],
)
def test_output_paths_and_options_are_checked_before_training(capsys, tmp_path, options, phrase):
    tmp = _layout(tmp_path)
    argv = [option.format(tmp=tmp) for option in options]
    status, out, err = zoo_main(capsys, "train", "mlp", "--epochs", 1, *argv)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and phrase.format(tmp=tmp) in err, err
    assert "Epoch" not in out and "Traceback" not in err
    assert (tmp / "photos" / "cat.jpg").read_text() == "a user's file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_target_is_refused_before_training(capsys, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        for flag in ("--output", "--export", "--checkpoint-dir"):
            target = locked / ("m.keras" if flag == "--output" else "out")
            status, out, err = zoo_main(capsys, "train", "mlp", flag, target)
            assert status == 2 and "cannot be written" in err and "Epoch" not in out
    finally:
        locked.chmod(0o700)


def test_a_folder_refusing_new_files_is_reported_before_training(capsys, tmp_path, monkeypatch):
    """The same check as above wherever the tests run as root: the probe file's creation fails
    with EACCES, as it does in a read-only folder."""

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "mkstemp", refuse)
    status, out, err = zoo_main(capsys, "train", "mlp", "--output", tmp_path / "m.keras")
    assert status == 2 and "Epoch" not in out
    assert f"the save path '{tmp_path / 'm.keras'}' cannot be written (Permission denied" in err


def test_an_unknown_knob_gets_the_registry_error(capsys, tmp_path):
    status, out, err = zoo_main(
        capsys, *SMALL, "--set", "depth=3", "--output", tmp_path / "m.keras"
    )
    assert status == 2
    assert "Unknown argument 'depth' for model 'mlp'" in err and "hidden_units" in err
    assert "Epoch" not in out and not (tmp_path / "m.keras").exists()


def test_progress_into_a_pipe_is_one_line_per_epoch(tmp_path):
    """A real process whose stdout is a pipe: Keras' verbose=2 lines, no redrawn bar."""
    result = subprocess.run(
        [sys.executable, "-m", "zoo", *SMALL, "--epochs", "2", "--no-save"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert "\r" not in result.stdout and "\u2501" not in result.stdout
    first = lines.index("Epoch 1/2")
    assert lines[first + 2] == "Epoch 2/2"
    assert all(lines[i].startswith("23/23 - ") for i in (first + 1, first + 3))
