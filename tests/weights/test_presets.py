"""The zoo's own trained presets (`zoo.weights._presets`, trained by ``python -m
zoo.weights.train``): every shipped file is the one recorded (size, SHA-256, float16 where
recorded, 25 MB in all), and each reaches its recorded figure on the real held-out data of
../shared/data (evaluation only: batches of 1,000, no training; skipped when the folder is
absent); plus the recipe's command line: a bad tag refused, and one tiny end-to-end run."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest

import zoo
from zoo.weights import _presets
from zoo.weights import train as recipes
from zoo.weights._records import UNIT

from ..conftest import REPO, SHARED_DATA

RECORDS = {f"{record.model}/{record.tag}": record for record in _presets.PRESETS}
IMAGE_TAGS = [key for key, record in RECORDS.items() if record.metric("accuracy") is not None]
MAX_TOTAL_BYTES = 25 * 10**6
TOLERANCE = 0.1  # percentage points, and nats per character


def preset_path(record):
    return recipes.PRESETS_DIR / record.file_name


def loaded(record):
    """The preset built the way a user gets it: its default configuration (plus the knobs its
    record names), ``model.load_weights`` of the shipped file."""
    model = zoo.build(record.model, **dict(record.config))
    model.load_weights(preset_path(record))
    return model


def test_every_recipe_has_its_record_and_file():
    assert set(RECORDS) == set(recipes.RECIPES)
    for key, record in RECORDS.items():
        recipe = recipes.RECIPES[key]
        assert record.file_name == recipe.file_name
        assert record.dataset == recipe.dataset
        assert record.config == recipe.build
        assert (record.source, record.url, record.file_hash) == ("zoo", None, None)
        assert record.recipe.startswith(f"python -m zoo.weights.train {key}: ")
        assert record.input_shape == zoo.info(record.model).default_input_shape
        assert record.num_classes == zoo.info(record.model).default_num_classes
        expected_license = "CC BY-SA 3.0" if record.dataset == "mnist" else "Apache-2.0"
        assert record.license.startswith(expected_license)
        if record.dataset == "tiny_shakespeare":
            assert record.preprocessing is None
        else:
            assert record.preprocessing == UNIT
        assert [m.source for m in record.metrics] == [f"zoo.weights.train {key}"]


def test_shipped_files_are_the_recorded_ones():
    total = 0
    for record in RECORDS.values():
        path = preset_path(record)
        data = path.read_bytes()
        assert len(data) == record.file_size, record.file_name
        assert hashlib.sha256(data).hexdigest() == record.sha256, record.file_name
        total += len(data)
    assert total <= MAX_TOTAL_BYTES


def dataset_dtypes(path) -> set[str]:
    found = set()

    def visit(_, item):
        if isinstance(item, h5py.Dataset):
            found.add(item.dtype.name)

    with h5py.File(path, "r") as file:
        file.visititems(visit)
    return found


def test_float16_files_hold_float16_arrays_only():
    for key, record in RECORDS.items():
        dtypes = dataset_dtypes(preset_path(record))
        expected = "float16" if recipes.RECIPES[key].float16 else "float32"
        assert dtypes == {expected}, key


def test_records_count_the_parameters_and_zoo_build_loads_the_tag():
    # zoo.build(name, weights=tag): the registry finds the shipped file, checks its SHA-256 and
    # loads exactly the arrays that model.load_weights reads.
    for record in RECORDS.values():
        reference = loaded(record)
        assert reference.count_params() == record.num_params
        built = zoo.build(record.model, weights=record.tag)
        assert tuple(built.inputs[0].shape[1:]) == record.input_shape
        for mine, theirs in zip(built.weights, reference.weights, strict=True):
            np.testing.assert_array_equal(
                keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs)
            )


@pytest.mark.parametrize("key", IMAGE_TAGS)
def test_image_preset_reaches_its_recorded_accuracy(key, request):
    record, recipe = RECORDS[key], recipes.RECIPES[key]
    # digits ship with scikit-learn; MNIST comes from ../shared/data (skipped when absent)
    root = None if recipe.dataset == "digits" else request.getfixturevalue("shared_data")
    folder = recipes.source_folder(recipe.dataset, root)
    [(_, test)] = recipes.held_out(recipe, folder)
    value, count = recipes.accuracy(loaded(record), test)
    assert count == (10_000 if record.dataset == "mnist" else 360)
    assert value == pytest.approx(record.metric("accuracy"), abs=TOLERANCE)
    if recipe.target is not None:
        assert value >= recipe.target


@pytest.fixture(scope="module")
def shakespeare():
    """The char_rnn preset, its vocabulary and the tinyshakespeare folder (module-wide: the
    held-out loss and the sampling share them)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent")
    record = RECORDS["char_rnn/tiny_shakespeare"]
    folder = recipes.source_folder("tiny_shakespeare", SHARED_DATA)
    return record, loaded(record), recipes.shakespeare_vocabulary(folder), folder


def test_char_rnn_preset_reaches_its_recorded_held_out_loss(shakespeare):
    record, model, _, folder = shakespeare
    recipe = recipes.RECIPES["char_rnn/tiny_shakespeare"]
    splits = recipes.held_out(recipe, folder)
    value, count = recipes.loss_nats_per_char(model, [split for _, split in splits])
    assert count > 0.099 * 1_115_394  # the last 10 % of the text, in windows of 50
    assert value == pytest.approx(record.metric("loss_nats_per_char"), abs=TOLERANCE)
    assert value <= recipe.target


def test_char_rnn_vocabulary_is_the_pipelines_ids_plus_one(shakespeare):
    from zoo.training import data

    record, _, vocab, folder = shakespeare
    assert vocab.size == dict(record.config)["vocab_size"] == 66
    x, _ = next(
        data.load(
            "tiny_shakespeare", "validation", batch_size=4, shuffle=False, source_dir=folder
        ).as_numpy_iterator()
    )
    text = (folder / "input.txt").read_text(encoding="utf-8")
    held = data.split_shakespeare(text)["validation"]
    np.testing.assert_array_equal(vocab.encode(held[: x.shape[1]]), x[0] + 1)


def test_char_rnn_preset_samples_shakespeare_like_text(shakespeare):
    from zoo.models.char_rnn import sample

    _, model, vocab, _ = shakespeare
    text = sample(model, vocab, "ROMEO:\n", 150, temperature=0.5, seed=0)
    new = text[len("ROMEO:\n") :]
    words = new.lower().replace("\n", " ").split()
    common = {"the", "and", "i", "to", "of", "my", "you", "that", "a", "is", "in", "not", "thy"}
    assert len(new) == 150
    assert sum(w.strip(".,;:!?'") in common for w in words) >= 4, text
    assert sum(c.isalpha() or c in " \n" for c in new) / len(new) > 0.9, text


def test_recipe_refuses_a_bad_tag_in_one_line():
    result = subprocess.run(
        [sys.executable, "-m", "zoo.weights.train", "lenet5/imagenet"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown tag 'lenet5/imagenet'" in lines[0]
    assert all(key in lines[0] for key in recipes.RECIPES)
    assert result.stdout == ""


def test_recipe_runs_end_to_end_on_a_few_batches(tmp_path, capsys):
    # lenet5/digits needs no shared data (scikit-learn ships the digits): one epoch of two
    # batches, evaluated on the first two test batches (2 x 1,000 > 360: all of them).
    status = recipes.main(
        ["lenet5/digits", "--epochs", "1", "--limit", "2", "--out", str(tmp_path), "--json"]
    )
    out = capsys.readouterr().out
    assert status == 0
    path = tmp_path / "lenet5.digits.weights.h5"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left
    assert f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in out
    assert f"size {path.stat().st_size} bytes" in out
    assert "digits test (360)" in out and "1 epochs" in out
    model = zoo.build("lenet5")
    model.load_weights(path)  # the float16 file loads into the default model
