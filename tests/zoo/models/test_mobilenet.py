"""MobileNet v1: the lecture's table, and keras.applications.MobileNet layer for layer."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from zoo.models import mobilenet


def test_mobilenet_matches_keras_applications():
    ours, theirs = zoo.build("mobilenet"), keras.applications.MobileNet(weights=None)
    assert ours.count_params() == theirs.count_params() == 4_253_864
    assert ours.get_layer("conv1_act").output.shape == theirs.get_layer("conv1_relu").output.shape
    for index in range(1, 14):
        ours_shape = ours.get_layer(f"conv_pw_{index}_act").output.shape
        assert ours_shape == theirs.get_layer(f"conv_pw_{index}_relu").output.shape, index
    assert ours.get_layer("conv_pw_13_act").output.shape == (None, 7, 7, 1024)
    assert len(mobilenet.SEPARABLE_LAYERS) == 13


def test_width_and_depth_multipliers_match_keras_applications():
    kwargs = {"alpha": 0.5, "depth_multiplier": 2, "input_shape": (128, 128, 3)}
    ours = zoo.build("mobilenet", **kwargs, num_classes=10)
    theirs = keras.applications.MobileNet(weights=None, classes=10, **kwargs)
    assert ours.count_params() == theirs.count_params()
    assert ours.get_layer("conv_pw_13").output.shape == (None, 4, 4, 512)


def test_same_outputs_as_keras_applications_with_its_weights_and_relu6():
    kwargs = {"alpha": 0.25, "input_shape": (32, 32, 3), "include_top": False}
    theirs = keras.applications.MobileNet(weights=None, **kwargs)
    ours = zoo.build("mobilenet", activation="relu6", **kwargs)
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(ours(x)),
        keras.ops.convert_to_numpy(theirs(x)),
        rtol=1e-4,
        atol=1e-5,
    )


def test_any_input_from_32_and_tiny_widths():
    model = zoo.build("mobilenet", input_shape=(33, 47, 1), alpha=0.01, num_classes=2)
    assert model.get_layer("conv1").filters == 1  # max(1, int(32 * 0.01))
    assert model.get_layer("conv_pw_13_act").output.shape == (None, 2, 2, 10)


@pytest.mark.parametrize(
    ("kwargs", "phrase"),
    [
        ({"alpha": 0}, r"alpha must be in \(0.0, inf\], got 0"),
        ({"alpha": -0.5}, "alpha must be in"),
        ({"alpha": "wide"}, "alpha must be a finite number"),
        ({"depth_multiplier": 0}, "depth_multiplier must be an integer >= 1"),
        ({"dropout": 2}, r"dropout must be in \[0.0, 1.0\)"),
        ({"activation": "swishh"}, "activation must be one of"),
        ({"input_shape": (31, 224, 3)}, "minimum spatial size is 32x32"),
    ],
)
def test_mobilenet_bad_knobs(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        zoo.build("mobilenet", **kwargs)
