"""The maxout MLP on permutation-invariant MNIST: 1,233,610 parameters."""

from __future__ import annotations

import pytest

import zoo
from zoo.layers import MaxoutDense


def test_maxout_mlp_parameters_and_layers():
    model = zoo.build("maxout_mlp")
    assert model.count_params() == 1_233_610  # (784+1)*1200 + (240+1)*1200 + (240+1)*10
    hidden = [layer for layer in model.layers if isinstance(layer, MaxoutDense)]
    assert [(layer.units, layer.num_pieces) for layer in hidden] == [(240, 5), (240, 5)]
    assert model.get_layer("input_dropout").rate == pytest.approx(0.2)
    assert model.get_layer("dropout2").rate == pytest.approx(0.5)


def test_maxout_mlp_knobs_and_features():
    model = zoo.build("maxout_mlp", hidden_units=[32], num_pieces=2, input_shape=(8, 8, 1))
    assert model.count_params() == 65 * 64 + 33 * 10
    features = zoo.build("maxout_mlp", include_top=False, dropout=0.0, input_dropout=0.0)
    assert features.output.shape == (None, 240)
    assert not any("dropout" in layer.name for layer in features.layers)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"num_pieces": 0}, "num_pieces must be an integer >= 1, got 0"),
        ({"hidden_units": [0]}, "hidden_units must be a list of positive integers"),
        ({"input_dropout": 1}, r"input_dropout must be in \[0.0, 1.0\)"),
    ],
)
def test_maxout_mlp_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("maxout_mlp", **kwargs)
