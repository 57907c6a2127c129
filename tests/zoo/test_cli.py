"""The `zoo` command in subprocesses, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from zoo import cli

from ..conftest import REPO


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


def test_info_of_an_alias_as_text_and_json():
    text = run_zoo("info", "lenet")
    assert text.returncode == 0, text.stderr
    assert re.search(r"^name\s+lenet5$", text.stdout, re.M)
    assert re.search(r"^num_params\s+61706$", text.stdout, re.M)
    card = json.loads(run_zoo("info", "LeNet", "--json").stdout)
    assert card["name"] == "lenet5" and card["aliases"] == ["lenet"] and card["year"] == 1998


def test_train_one_epoch_and_export(tmp_path):
    result = run_zoo(
        "train", "lenet5", "--epochs", "1", "--batch-size", "64", "--export", str(tmp_path / "m")
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^test accuracy: 0\.\d{4}$", result.stdout, re.M)
    assert "exported SavedModel:" in result.stdout and "reload check:" in result.stdout
    assert (tmp_path / "m" / "saved_model.pb").is_file()


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("info", "lenett"), "Unknown model 'lenett'. Did you mean 'lenet' or 'lenet5'"),
        (("train", "mnist_cnnn"), "Did you mean 'mnist_cnn'?"),
        (("train", "lenet5", "--epochs", "0"), "epochs must be an integer >= 1, got 0"),
        (("train", "lenet5", "--epochs", "many"), "invalid int value: 'many'"),
        (("train", "lenet5", "--dataset", "imagenet"), "name must be one of 'digits'"),
        (("list", "--task", "detection"), "task must be one of"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
    ],
)
def test_user_mistakes_exit_2_with_one_line_on_stderr(args, phrase):
    result = run_zoo(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert phrase in lines[0]


def test_readme_model_table_is_generated_from_the_registry():
    readme = (REPO / "README.md").read_text()
    table = re.search(r"<!-- models:start -->\n(.*?)\n<!-- models:end -->", readme, re.S)
    assert table, "README.md lacks the generated model table"
    expected = cli.markdown_table(__import__("zoo").list_models())
    assert table.group(1) == expected, (
        "README table is stale: regenerate with `zoo list --markdown`"
    )
