"""Checks every zoo model passes: one training step on a tiny batch, and a ``.keras`` round trip.

- `check_training_step` compiles with Adam, runs one `train_on_batch` and asserts a finite loss
  and that every trainable weight received an update (so no part of the graph is cut off).
- `check_round_trip` saves to ``.keras``, reloads in safe mode (no Lambda, every custom layer
  registered) and asserts identical outputs.
- `check_readme_row`, called wherever a test builds a model at its default configuration (every
  model once: tests/zoo/models/test_models.py, resnet1202 in tests/zoo/models/test_resnet.py),
  checks the model's recorded card (``zoo/models/cards.json``) against the build: the card is the
  one its family module registers, ``num_params`` and ``macs`` are the built model's profile totals
  (`zoo.summary`: ``total_params`` equal to ``count_params()``), and its README row is the one
  `zoo list --markdown` makes from the card.
- `all_layers` walks a model's layers, nested models (ResNet's chunks, the autoencoder's
  encoder) included.
"""

from __future__ import annotations

import pathlib
import re

import keras
import numpy as np

import zoo
from zoo import profile
from zoo.models import _registry


def all_layers(model: keras.Model):
    """Every layer of ``model``, descending into nested models."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


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
    expected = keras.tree.flatten(model(inputs, training=False))  # one or several outputs
    actual = keras.tree.flatten(loaded(inputs, training=False))
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(want)
        )
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
    """``model`` (``zoo.build(name)``, the default configuration) matches the recorded card of
    ``name``: its fields, its counts, and the README's row made from it."""
    recorded = _registry.recorded_cards().get(name)
    assert recorded is not None, f"{name} has no recorded card: python -m zoo.profile --write-cards"
    assert recorded == _registry.family_cards()[name], (
        f"the recorded card of {name} is stale: python -m zoo.profile --write-cards --fields-only"
    )
    measured = zoo.summary(model)
    assert measured.total_params == model.count_params()
    assert measured.total_macs == sum(row.macs for row in measured.rows) > 0
    assert 0 < measured.trainable_params <= measured.total_params
    assert (recorded.num_params, recorded.macs) == (measured.total_params, measured.total_macs), (
        f"the recorded counts of {name} are stale: python -m zoo.profile --write-cards {name}"
    )
    assert zoo.info(name) == recorded
    assert readme_model_rows().get(name) == profile.markdown_row(recorded), (
        f"README row of {name} is stale: regenerate the table with `zoo list --markdown`"
    )


def two_in_two_out():
    """A tiny model with an image and a token input, a softmax and a linear output (export
    tests: inputs and outputs matched by name and all compared)."""
    image = keras.Input((4, 4, 1), name="image")
    tokens = keras.Input((3,), dtype="int32", name="tokens")
    x = keras.layers.Flatten()(image)
    t = keras.layers.Flatten()(keras.layers.Embedding(5, 2)(tokens))
    h = keras.layers.Concatenate()([x, t])
    first = keras.layers.Dense(3, activation="softmax", name="first")(h)
    second = keras.layers.Dense(2, name="second")(keras.layers.Dense(4, activation="relu")(h))
    return keras.Model([image, tokens], [first, second])
