"""VGG A-E: Table 1's parameter counts, and D/E against keras.applications VGG16/VGG19."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import LocalResponseNormalization
from zoo.models import vgg

COUNTS = {
    "vgg_a": 132_863_336,
    "vgg_a_lrn": 132_863_336,
    "vgg_b": 133_047_848,
    "vgg_c": 133_638_952,
    "vgg_d": 138_357_544,
    "vgg_e": 143_667_240,
}
STAGES = [(112, 64), (56, 128), (28, 256), (14, 512), (7, 512)]


KERAS_REFERENCES = [("vgg_d", keras.applications.VGG16), ("vgg_e", keras.applications.VGG19)]


def _weight_layers(model):
    weighted = (keras.layers.Conv2D, keras.layers.Dense)
    return [layer for layer in model.layers if isinstance(layer, weighted)]


@pytest.mark.parametrize("name", list(COUNTS))
def test_table_1_parameter_counts_and_depths(name):
    model = zoo.build(name)
    assert model.count_params() == COUNTS[name]
    depth = {"vgg_a": 11, "vgg_a_lrn": 11, "vgg_b": 13, "vgg_c": 16, "vgg_d": 16, "vgg_e": 19}
    assert len(_weight_layers(model)) == depth[name]
    for stage, (size, filters) in enumerate(STAGES, start=1):
        assert model.get_layer(f"block{stage}_pool").output.shape == (None, size, size, filters)


def test_configuration_c_has_1x1_and_a_lrn_has_lrn():
    c = zoo.build("vgg_c", include_top=False)
    assert c.get_layer("block3_conv3").kernel.shape == (1, 1, 256, 256)
    assert c.get_layer("block5_conv3").kernel.shape == (1, 1, 512, 512)
    lrn = zoo.build("vgg11_lrn", include_top=False)
    assert isinstance(lrn.get_layer("block1_lrn"), LocalResponseNormalization)
    assert vgg.CONFIGS["A-LRN"][0] == ["conv3-64", "LRN"]


@pytest.mark.parametrize(("name", "reference"), KERAS_REFERENCES)
def test_d_and_e_match_keras_applications(name, reference):
    ours, theirs = zoo.build(name), reference(weights=None)
    assert ours.count_params() == theirs.count_params() == COUNTS[name]
    for layer in theirs.layers[1:]:
        if layer.name.endswith("_pool") or layer.name in ("fc1", "fc2", "predictions"):
            assert ours.get_layer(layer.name).output.shape == layer.output.shape, layer.name


@pytest.mark.parametrize(("name", "reference"), KERAS_REFERENCES)
def test_d_and_e_hold_keras_weights_in_the_same_order(name, reference):
    theirs = reference(weights=None, include_top=False, input_shape=(32, 32, 3))
    ours = zoo.build(name, include_top=False, input_shape=(32, 32, 3))
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5
    )


def test_batch_norm_variant_drops_conv_biases():
    model = zoo.build("vgg_d", batch_norm=True, dropout=0.2)
    bn_channels = 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512
    assert model.count_params() == COUNTS["vgg_d"] - bn_channels + 4 * bn_channels
    assert not model.get_layer("block1_conv1").use_bias
    assert isinstance(model.get_layer("block1_conv1_bn"), keras.layers.BatchNormalization)
    assert model.get_layer("fc2_dropout").rate == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"batch_norm": "yes"}, "batch_norm must be True or False"),
        ({"dropout": -0.1}, r"dropout must be in \[0.0, 1.0\)"),
        ({"input_shape": (31, 64, 3)}, "minimum spatial size is 32x32"),
    ],
)
def test_vgg_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("vgg16", **kwargs)
