"""Network in Network on CIFAR-10, with the activations of lecture 004's comparison table."""

from __future__ import annotations

import keras
import pytest

import zoo
from zoo.layers import CReLU, RReLU

NIN_PARAMETERS = 966_986
# Channels behind each activation: the eight convolutions before the classifier.
ACTIVATED = 192 + 160 + 96 + 192 + 192 + 192 + 192 + 192


def test_nin_parameters_and_shapes():
    model = zoo.build("network_in_network")
    assert model.count_params() == NIN_PARAMETERS
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers[1:]}
    assert shapes["cccp2"] == (32, 32, 96)
    assert shapes["pool1"] == (16, 16, 96)
    assert shapes["cccp4"] == (16, 16, 192)
    assert shapes["pool2"] == (8, 8, 192)
    assert shapes["cccp6"] == (8, 8, 10)  # one map per class, then global average pooling
    assert shapes["predictions"] == (10,)
    assert not any(isinstance(layer, keras.layers.Dense) for layer in model.layers)


@pytest.mark.parametrize(
    ("activation", "count", "layer_type"),
    [
        ("relu", NIN_PARAMETERS, keras.layers.Activation),
        ("leaky_relu", NIN_PARAMETERS, keras.layers.LeakyReLU),
        ("elu", NIN_PARAMETERS, keras.layers.Activation),
        ("rrelu", NIN_PARAMETERS, RReLU),
        ("prelu", NIN_PARAMETERS + ACTIVATED, keras.layers.PReLU),
        ("crelu", 1_918_154, CReLU),
    ],
)
def test_nin_activations(activation, count, layer_type):
    model = zoo.build("nin", activation=activation)
    assert model.count_params() == count
    assert isinstance(model.get_layer("cccp5_act"), layer_type)


def test_nin_classifier_runs_in_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    model = zoo.build("nin", classifier_activation=None, num_classes=4)
    assert model.get_layer("cccp5").compute_dtype == "float16"
    for name in ("cccp6", "avg_pool", "predictions"):
        assert model.get_layer(name).dtype_policy.name == "float32"
    assert model.output.shape == (None, 4)


def test_nin_bad_dropout():
    with pytest.raises(ValueError, match=r"dropout must be in \[0.0, 1.0\), got 1.0"):
        zoo.build("nin", dropout=1.0)
