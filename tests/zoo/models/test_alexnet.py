"""AlexNet: the paper's 60,965,224 parameters (two-GPU grouping) and its layer shapes."""

from __future__ import annotations

import pytest

import zoo
from zoo.layers import LocalResponseNormalization


def _shapes(model):
    return {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}


@pytest.mark.parametrize(("groups", "count"), [(2, 60_965_224), (1, 62_378_344)])
def test_alexnet_parameter_counts_and_shapes(groups, count):
    model = zoo.build("alexnet", groups=groups)
    assert model.count_params() == count
    shapes = _shapes(model)
    assert shapes["conv1"] == (55, 55, 96)
    assert shapes["conv1_pool"] == (27, 27, 96)
    assert shapes["conv2"] == (27, 27, 256)
    assert shapes["conv2_pool"] == (13, 13, 256)
    assert shapes["conv4"] == (13, 13, 384)
    assert shapes["conv5_pool"] == (6, 6, 256)
    assert shapes["fc6"] == shapes["fc7"] == (4096,)
    assert shapes["predictions"] == (1000,)
    assert model.get_layer("conv4").kernel.shape == (3, 3, 384 // groups, 384)
    assert isinstance(model.get_layer("conv2_lrn"), LocalResponseNormalization)
    assert model.get_layer("fc6_dropout").rate == pytest.approx(0.5)


def test_alexnet_minimum_input_and_logits():
    model = zoo.build("alexnet", input_shape=(67, 67, 1), num_classes=7, classifier_activation=None)
    assert _shapes(model)["conv5_pool"] == (1, 1, 256)
    assert model.output.shape == (None, 7)
    assert model.get_layer("predictions").get_config()["activation"] == "linear"


def test_crelu_doubles_the_input_width_of_the_next_layer():
    model = zoo.build("alexnet", activation="crelu", include_top=False)
    assert model.get_layer("conv2").kernel.shape == (5, 5, 96, 256)  # 2 * 96 channels, 2 groups
    assert model.get_layer("conv3").kernel.shape == (3, 3, 512, 384)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"groups": 5}, r"groups must divide the input channels of 'conv2' \(96\), got 5"),
        ({"groups": 0}, "groups must be an integer >= 1, got 0"),
        ({"dropout": 1.5}, r"dropout must be in \[0.0, 1.0\)"),
        # maxout halves conv1's 96 channels: 32 groups divide 96 but not 48
        ({"activation": "maxout", "groups": 32}, r"input channels of 'conv2' \(48\), got 32"),
        ({"input_shape": (None, None, 3)}, "free spatial size.*flatten before fc6"),
    ],
)
def test_alexnet_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("alexnet", **kwargs)


def test_alexnet_features_take_any_size():
    model = zoo.build("alexnet", include_top=False, input_shape=(None, None, 3))
    assert model.output.shape == (None, None, None, 256)
