"""The `zoo` command in subprocesses, as a user runs it (argument handling beyond one case per
subcommand runs `cli.main` in-process)."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys

import pytest

import zoo
from tests.helpers.model_checks import readme_model_rows
from zoo import cli

from ..conftest import REPO

pytestmark = pytest.mark.backend_heavy(
    "a fresh interpreter per command, and the commands' input pipelines are tf.data anyway"
)


def run_zoo(*args, timeout=300):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "zoo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def test_list_prints_every_model():
    result = run_zoo("list")
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert {"lenet5", "mlp", "mnist_cnn", "softmax_regression"} <= set(listed)


def test_feature_stages_from_the_command_line():
    listed = run_zoo("list", "--features-only")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == zoo.list_models(
        features_only=True
    )
    table = run_zoo("info", "ResNet-50", "--stages")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[-1] == "| 4 | `conv5_block3_out` | 2048 | 32 |"
    refused = run_zoo("info", "lstm", "--stages")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "'lstm' has no feature stages" in refused.stderr


def test_info_of_an_alias_as_text_and_json():
    text = run_zoo("info", "LeNet-5")
    assert text.returncode == 0, text.stderr
    for key, value in [
        ("name", "lenet5"),
        ("aliases", "lenet"),
        ("default_input_shape", "32x32x1"),
        ("default_num_classes", "10"),
        ("num_params", "61,706"),
        ("macs", "422.8K"),
        ("config_arguments", "activation, subsampling"),
        ("features", "True"),
        ("stages", "c1_act 6@/1, c3_act 16@/2, s4 16@/4"),
    ]:
        assert re.search(rf"^{key}\s+{re.escape(value)}$", text.stdout, re.M), (key, text.stdout)
    assert "[" not in text.stdout and "None" not in text.stdout  # no Python reprs
    card = json.loads(run_zoo("info", "LeNet", "--json").stdout)
    assert card["name"] == "lenet5" and card["aliases"] == ["lenet"] and card["year"] == 1998
    assert (card["num_params"], card["macs"]) == (61_706, 422_824)
    assert card["default_input_shape"] == [32, 32, 1]


def test_version():
    result = run_zoo("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"zoo {zoo.__version__}" == "zoo 0.1.0"


def test_train_one_epoch_and_export(tmp_path):
    saved = tmp_path / "lenet5.keras"
    result = run_zoo(
        "train",
        "lenet5",
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--export",
        str(tmp_path / "m"),
        "--output",
        str(saved),
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^test accuracy: 0\.\d{4}$", result.stdout, re.M)
    assert "exported SavedModel:" in result.stdout and "reload check:" in result.stdout
    assert (tmp_path / "m" / "saved_model.pb").is_file() and saved.is_file()


# (arguments, the phrase of the one line on stderr). The first row of each subcommand runs as a
# subprocess (the exit status and stderr a user sees); the others run `cli.main` in this process,
# which is the same code after the interpreter starts (a fresh one imports TensorFlow, ~8 s).
ERROR_ROWS = [
    (("info", "lenett"), "Unknown model 'lenett'. Did you mean 'lenet' or 'lenet5'"),
    (("train", "lenet5", "--epochs", "many"), "invalid int value: 'many'"),
    (("train", "mnist_cnnn"), "Did you mean 'mnist_cnn'?"),
    (("train", "lenet5", "--epochs", "0"), "epochs must be an integer >= 1, got 0"),
    (("train", "lenet5", "--dataset", "imagenet"), "--dataset must be one of 'digits'"),
    (("list", "--task", "detection"), "task must be one of"),
    (("summary", "lenet5", "--input-shape", "8,8,1"), "too small for 'lenet5'"),
    (("tune", "mlp", "--seed", "0"), "argument --seed: must be an integer >= 1, got '0'"),
    (("tune", "lstm"), "only image classifiers tune"),
    (("export", "lenet5", "out", "--format", "pickle"), "invalid choice: 'pickle'"),
    (("export", "missing.keras", "out"), "No model at 'missing.keras'"),
    (("schedule", "cosin", "--steps", "10"), "schedule must be one of"),
    (("bench", "lenet5", "--steps", "0"), "steps must be an integer >= 1, got 0"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
]
SUBPROCESS_ROWS = {
    args
    for i, (args, _) in enumerate(ERROR_ROWS)
    if args[0] not in {a[0] for a, _ in ERROR_ROWS[:i]}
}


def run_zoo_here(*args) -> tuple[int, str]:
    """``zoo ARGS`` through `cli.main` in this process: (exit status, stderr)."""
    error = io.StringIO()
    with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = cli.main(list(args))
        except SystemExit as exit:
            status = exit.code
    return status, error.getvalue()


@pytest.mark.parametrize(
    ("args", "phrase"), [pytest.param(*row, id=" ".join(row[0])) for row in ERROR_ROWS]
)
def test_user_mistakes_exit_2_with_one_line_on_stderr(args, phrase, monkeypatch):
    if args in SUBPROCESS_ROWS:
        result = run_zoo(*args)
        status, stderr = result.returncode, result.stderr
    else:
        monkeypatch.chdir(REPO)
        status, stderr = run_zoo_here(*args)
    assert status == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert phrase in lines[0]
    # one prefix for every mistake: "zoo COMMAND: error: " ("zoo: error: " without a command)
    command = args[0] if args[0] in cli._COMMANDS else None
    prefix = f"zoo {command}: error: " if command else "zoo: error: "
    assert lines[0].startswith(prefix) and lines[0].count(": error: ") == 1, lines[0]


def test_every_subcommand_is_covered_by_an_error_path_test():
    assert set(cli._COMMANDS) <= {args[0] for args in SUBPROCESS_ROWS}


def test_every_subcommand_has_help_with_an_example():
    for command in cli._COMMANDS:
        result = cli_help(command)
        assert "usage: zoo " + command in result and "example: zoo " + command in result


def cli_help(command: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output), pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return output.getvalue()


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli._Parser(prog="zoo")
    cli._add_subcommands(parser)
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices


def test_every_help_shows_the_defaults():
    for command, parser in _subparsers().items():
        text = " ".join(cli_help(command).split())
        for action in parser._actions:
            if cli._shows_default(action):
                shown = f"(default: {action.default})" in text or "(default: " in (
                    action.help or ""
                )
                assert shown, f"zoo {command} --help hides the default of {action.dest}"


def test_seeds_follow_one_rule():
    seeds = [
        action
        for parser in _subparsers().values()
        for action in parser._actions
        if action.dest == "seed"
    ]
    assert len(seeds) >= 2  # train and tune
    assert {(a.default, a.help, a.type) for a in seeds} == {(1, cli.SEED_HELP, cli._seed)}


def test_summary_as_text_and_json(capsys):
    assert cli.main(["summary", "lenet5"]) == 0
    text = capsys.readouterr().out
    assert "c1 (Conv2D)" in text and "61,706" in text
    assert cli.main(["summary", "lenet5", "--input-shape", "28,28,1", "--json"]) == 0
    profile = json.loads(capsys.readouterr().out)
    assert profile["total_params"] == zoo.build("lenet5", input_shape=(28, 28, 1)).count_params()
    assert profile["rows"][0]["output_shape"] == [None, 28, 28, 1]


def test_export_a_keras_file_to_onnx_and_summarise_it(tmp_path, capsys):
    model = zoo.build("mlp", input_shape=(8, 8, 1), hidden_units=[6])
    model.save(tmp_path / "mlp.keras")
    assert cli.main(["summary", str(tmp_path / "mlp.keras")]) == 0
    assert f"{model.count_params():,}" in capsys.readouterr().out
    assert (
        cli.main(["export", str(tmp_path / "mlp.keras"), str(tmp_path / "out"), "--format", "onnx"])
        == 0
    )
    assert "verified against the Keras model" in capsys.readouterr().out
    assert (tmp_path / "out" / "model.onnx").is_file()


def test_readme_model_table_lists_exactly_the_registry():
    # Each row's content is checked where the model is built anyway: test_models.py.
    assert sorted(readme_model_rows()) == zoo.list_models()


def test_bench_prints_throughput_and_a_ratio(capsys):
    args = ["--input-shape", "32,32,3", "--batch-size", "2", "--steps", "2", "--mode", "predict"]
    assert cli.main(["bench", "mobilenet", *args, "--compare"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^predict +[\d,.]+ samples/s", out, re.M)
    assert re.search(r"ratio ours / keras\.applications\.MobileNet: \d+\.\d{3}", out)
    assert cli.main(["bench", "lenet5", "--compare"]) == 2
    assert "has none" in capsys.readouterr().err


def test_a_ctrl_c_that_tensorflow_drops_is_raised_again_after_the_batch():
    """`zoo train`'s SIGINT handler remembers the signal: when the KeyboardInterrupt it raised
    inside a TensorFlow call is dropped there, the training callback raises it after the
    batch. The handler is Python's own again once the command ends."""
    with cli._PendingInterrupt.guard():
        handler = signal.getsignal(signal.SIGINT)
        assert handler is not signal.default_int_handler
        callback = cli._PendingInterrupt.callback()
        callback.on_train_batch_end(0)  # nothing received: training goes on
        with contextlib.suppress(KeyboardInterrupt):  # raised, then dropped (as TF does)
            handler(signal.SIGINT, None)
        with pytest.raises(KeyboardInterrupt):
            callback.on_train_batch_end(1)
        with pytest.raises(KeyboardInterrupt):
            callback.on_epoch_end(0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with cli._PendingInterrupt.guard():  # a new command starts with nothing received
        cli._PendingInterrupt.callback().on_train_batch_end(0)
