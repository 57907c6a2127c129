"""LeNet-5: the paper's 61,706 parameters at 32x32x1 and its layer shapes."""

from __future__ import annotations

import pytest

import zoo


def test_lenet5_has_61706_parameters_and_the_paper_shapes():
    model = zoo.build("lenet5")
    assert model.count_params() == 61_706
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}
    assert shapes["c1"] == (28, 28, 6)
    assert shapes["s2"] == (14, 14, 6)
    assert shapes["c3"] == (10, 10, 16)
    assert shapes["s4"] == (5, 5, 16)
    assert shapes["c5"] == (120,)
    assert shapes["f6"] == (84,)
    assert shapes["predictions"] == (10,)


@pytest.mark.parametrize(("pooling", "shape"), [(None, (5, 5, 16)), ("avg", (16,)), ("max", (16,))])
def test_lenet5_feature_extractor(pooling, shape):
    model = zoo.build("lenet5", include_top=False, pooling=pooling)
    assert tuple(model.output.shape[1:]) == shape


def test_lenet5_knobs():
    model = zoo.build("lenet5", activation="relu", subsampling="max", input_shape=(32, 32, 3))
    assert model.get_layer("s2").__class__.__name__ == "MaxPooling2D"
    assert model.get_layer("c1").get_config()["activation"] == "linear"
    assert model.get_layer("c1_act").get_config()["activation"] == "relu"
    assert model.count_params() == 61_706 + 2 * 25 * 6  # two more input channels in C1
