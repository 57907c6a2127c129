"""The training parts of the `zoo` command: `zoo schedule` and `zoo train`'s schedule,
warmup, checkpoint and mixed-precision options (run in-process through `zoo.cli.main`)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from zoo import cli
from zoo.training import schedules


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
    assert float(out.split("test accuracy: ")[1].split()[0]) == pytest.approx(accuracy)
