"""Checks every zoo model passes: one training step on a tiny batch, and a ``.keras`` round trip.

- `check_training_step` compiles with Adam, runs one `train_on_batch` and asserts a finite loss
  and that every trainable weight received an update (so no part of the graph is cut off).
- `check_round_trip` saves to ``.keras``, reloads in safe mode (no Lambda, every custom layer
  registered) and asserts identical outputs.
- `check_readme_row` compares a model's row of the README's generated table with the row
  `zoo list --markdown` makes from the model (its parameters and MACs).
"""

from __future__ import annotations

import pathlib
import re

import keras
import numpy as np

import zoo
from zoo import profile


def check_training_step(model, inputs, targets, *, loss="sparse_categorical_crossentropy"):
    # Adam's first step moves every weight with a non-zero gradient by about the learning rate,
    # whatever the gradient's size (SGD's step can round away in float32: a peephole weight
    # with a 1e-8 update on jax), and leaves a zero-gradient weight exactly where it was.
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    logs = model.train_on_batch(inputs, targets, return_dict=True)
    assert np.isfinite(logs["loss"]), logs
    unchanged = [
        w.path
        for w, old in zip(model.trainable_weights, before, strict=True)
        if np.array_equal(keras.ops.convert_to_numpy(w), old)
    ]
    assert not unchanged, f"weights not updated by a training step: {unchanged}"


def check_round_trip(model, inputs, tmp_path):
    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.count_params() == model.count_params()
    expected = keras.ops.convert_to_numpy(model(inputs, training=False))
    actual = keras.ops.convert_to_numpy(loaded(inputs, training=False))
    np.testing.assert_array_equal(actual, expected)
    return loaded


def readme_model_rows() -> dict[str, str]:
    """The README's generated table of models: model name -> its row."""
    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = re.search(r"<!-- models:start -->\n(.*?)\n<!-- models:end -->", readme, re.S)
    assert table, "README.md lacks the generated model table"
    lines = table.group(1).splitlines()
    assert "\n".join(lines[:2]) == profile.MARKDOWN_HEADER
    return {line.split("`")[1]: line for line in lines[2:]}


def check_readme_row(name: str, model) -> None:
    """The README's row of ``name`` is the one `zoo list --markdown` makes for ``model``."""
    expected = profile.markdown_row(zoo.info(name), zoo.summary(model))
    assert readme_model_rows().get(name) == expected, (
        f"README row of {name} is stale: regenerate the table with `zoo list --markdown`"
    )
