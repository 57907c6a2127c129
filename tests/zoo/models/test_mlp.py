"""softmax_regression and mlp: the lecture's parameter counts and configurable widths."""

from __future__ import annotations

import itertools

import pytest

import zoo


def test_lecture_mnist_mlp_has_397510_parameters():
    model = zoo.build("mlp")
    assert model.count_params() == 397_510  # 784*500 + 500 + 500*10 + 10
    assert [layer.name for layer in model.layers if "hidden" in layer.name] == [
        "hidden1",
        "hidden1_act",
    ]
    assert model.get_layer("hidden1").get_config()["activation"] == "linear"
    assert model.get_layer("hidden1_act").get_config()["activation"] == "sigmoid"


def test_softmax_regression_is_one_affine_layer():
    model = zoo.build("softmax_regression")
    assert model.count_params() == 784 * 10 + 10


@pytest.mark.parametrize("hidden_units", [[], [7], [32, 16, 8]])
def test_mlp_parameter_count_follows_the_layer_widths(hidden_units):
    widths = [8 * 8 * 1, *hidden_units, 5]
    expected = sum(a * b + b for a, b in itertools.pairwise(widths))
    model = zoo.build("mlp", input_shape=(8, 8, 1), num_classes=5, hidden_units=hidden_units)
    assert model.count_params() == expected


def test_mlp_dropout_and_feature_extractor():
    model = zoo.build("mlp", hidden_units=[20, 10], dropout=0.3, include_top=False)
    assert model.output.shape == (None, 10)
    assert model.get_layer("dropout2").rate == pytest.approx(0.3)


def test_mlp_accepts_feature_vectors():
    model = zoo.build("mlp", input_shape=(64,), hidden_units=[16])
    assert model.output.shape == (None, 10)
