"""Xception: keras.applications.Xception's 22,910,480 parameters and its flow shapes."""

from __future__ import annotations

import keras

import zoo

STAGES = ("block2_pool", "block3_pool", "block4_pool", "block13_pool", "block14_sepconv2_act")


def test_xception_matches_keras_applications():
    ours, theirs = zoo.build("xception"), keras.applications.Xception(weights=None)
    assert ours.count_params() == theirs.count_params() == 22_910_480
    for name in ("block1_conv2_act", *STAGES):
        assert ours.get_layer(name).output.shape == theirs.get_layer(name).output.shape, name
    assert ours.get_layer("block12_add").output.shape == (None, 19, 19, 728)
    separable = [x for x in ours.layers if isinstance(x, keras.layers.SeparableConv2D)]
    assert len(separable) == 34


def test_xception_smallest_input_and_classes():
    model = zoo.build("xception", input_shape=(71, 71, 3), num_classes=2)
    assert model.get_layer("block14_sepconv2_act").output.shape == (None, 3, 3, 2048)
    assert model.output.shape == (None, 2)
