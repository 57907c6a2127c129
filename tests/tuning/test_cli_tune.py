"""``zoo tune``: a search from the command line, its final table, resume, and user mistakes."""

from __future__ import annotations

import re
import signal

import pytest

import zoo.tuning
from zoo import cli
from zoo.training import data

ARGS = ["--image-size", "8", "--max-trials", "2", "--epochs", "1", "--seed", "1"]


def test_tune_prints_progress_and_a_final_table(tmp_path, capsys, monkeypatch):
    # A Ctrl-C that TensorFlow dropped (recorded by the CLI's handler, never raised) stops the
    # first trial after its first batch: exit 130, one line, and the same command resumes.
    holdout = data.holdout

    def holdout_then_ctrl_c(*args, **kwargs):
        cli._PendingInterrupt.received.append(signal.SIGINT)
        return holdout(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(data, "holdout", holdout_then_ctrl_c)
        assert cli.main(["tune", "mlp", *ARGS, "--directory", str(tmp_path)]) == 130
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        f"zoo tune: error: interrupted; the finished trials in {str(tmp_path)!r} are kept: "
        "rerun the same command to resume"
    ]
    assert cli.main(["tune", "mlp", *ARGS, "--directory", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Search: Running Trial #1" in out  # keras-tuner's progress output
    assert f"best trials of {tmp_path / 'mlp_random'}:" in out
    table = out.split("best trials of", 1)[1].splitlines()
    assert re.match(r"^\s+trial\s+status\s+val_accuracy\s+hyperparameters$", table[1])
    completed = [line.split()[0] for line in table if "COMPLETED" in line]
    assert sorted(completed) == ["1", "2"]  # numbered as keras-tuner's "Running Trial #1"
    assert re.search(
        r"^best trial [12]: validation val_accuracy 0\.\d{4}, test accuracy 0\.\d{4}$", out, re.M
    )
    # Resume is the default: the same command finds the search finished and runs no trial
    # again (nothing of the earlier search is deleted); --resume says so explicitly.
    trials = sorted(p.name for p in (tmp_path / "mlp_random").glob("trial_*"))
    assert cli.main(["tune", "mlp", *ARGS, "--directory", str(tmp_path)]) == 0
    assert cli.main(["tune", "mlp", *ARGS, "--directory", str(tmp_path), "--resume"]) == 0
    assert "Running Trial" not in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "mlp_random").glob("trial_*")) == trials
    # Only --overwrite starts over.
    assert cli.main(["tune", "mlp", *ARGS, "--directory", str(tmp_path), "--overwrite"]) == 0
    assert "Search: Running Trial #1" in capsys.readouterr().out


class _Called(Exception):
    pass


def test_tune_passes_its_options_to_search(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_search(name, train, validation, **kwargs):
        seen.update(kwargs, name=name)
        raise _Called

    monkeypatch.setattr(zoo.tuning, "search", fake_search)
    argv = ["tune", "lenet", "--tuner", "hyperband", "--max-trials", "4", "--epochs", "3"]
    argv += ["--directory", str(tmp_path), "--parallel-trials", "2"]
    assert cli.main(argv) == 1  # the fake's exception: an internal error, one line
    assert "internal error (_Called" in capsys.readouterr().err
    assert seen["name"] == "lenet5"
    assert (seen["tuner"], seen["max_trials"], seen["epochs"]) == ("hyperband", 4, 3)
    assert seen["parallel_trials"] == 2 and seen["overwrite"] is False
    assert seen["callbacks"] == ()  # the workers train; this process only waits
    assert seen["input_shape"] == (32, 32, 1) and seen["num_classes"] == 10
    assert "optimizer" not in seen  # searched unless --optimizer fixes it
    seen.clear()
    assert cli.main([*argv, "--optimizer", "adam"]) == 1
    assert seen["optimizer"] == "adam"
    seen.clear()
    assert cli.main(argv[:-2]) == 1  # trials in this process: Ctrl-C is raised between batches
    assert [type(c).__name__ for c in seen["callbacks"]] == ["RaisePendingInterrupt"]


@pytest.mark.parametrize(
    ("argv", "phrase"),
    [
        (["tune", "mlp", "--tuner", "evolution"], "tuner must be one of 'random', 'grid'"),
        (["tune", "mlp", "--max-trials", "0"], "max_trials must be an integer >= 1, got 0"),
        (["tune", "mlp", "--parallel-trials", "0"], "parallel_trials must be an integer >= 1"),
        (["tune", "mlp", "--dataset", "mnist2"], "'mnist2'"),
        (["tune", "lstm"], "'lstm' is a sequence_classification model"),
        (["tune", "mlpp"], "Did you mean 'mlp'?"),
        (["tune", "mlp", "--epochs", "many"], "invalid int value: 'many'"),
        (["tune", "mlp", "--optimizer", "adamw"], "optimizer"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(argv, phrase, tmp_path, capsys):
    assert cli.main([*argv, "--directory", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert phrase in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
