"""style_transfer_net (Johnson et al. 2016): output shape = input shape, instance norm, errors."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import zoo
from tests.helpers.model_checks import check_round_trip, check_training_step


def tiny(**config):
    return zoo.build("style_transfer_net", filters=[4, 8, 16], num_residual_blocks=1, **config)


@pytest.mark.parametrize("shape", [(16, 16, 3), (12, 20, 3), (8, 8, 1), (4, 4, 3)])
def test_output_shape_equals_input_shape(shape):
    model = tiny(input_shape=shape)
    assert tuple(model.output.shape[1:]) == shape
    x = np.random.default_rng(0).random((2, *shape), dtype=np.float32) * 255
    y = keras.ops.convert_to_numpy(model(x))
    assert y.shape == x.shape
    assert np.all((y >= 0) & (y <= 255))


def test_any_image_size_with_free_spatial_dimensions():
    model = tiny(input_shape=(None, None, 3), output_scale=1.0)
    y = keras.ops.convert_to_numpy(model(np.zeros((1, 24, 36, 3), "float32")))
    assert y.shape == (1, 24, 36, 3) and np.all((y >= 0) & (y <= 1))


def test_paper_configuration():
    model = zoo.build("fast_style_transfer")
    assert tuple(model.output.shape) == (None, 256, 256, 3)

    def conv(k, c_in, c_out, norm=True):
        return k * k * c_in * c_out + (2 * c_out if norm else c_out)  # no bias before a norm

    expected = (
        conv(9, 3, 32)
        + conv(3, 32, 64)
        + conv(3, 64, 128)
        + 5 * 2 * conv(3, 128, 128)
        + conv(3, 128, 64)
        + conv(3, 64, 32)
        + conv(9, 32, 3, norm=False)
    )
    assert model.count_params() == expected == 1_677_635
    shapes = {
        name: tuple(model.get_layer(name).output.shape[1:])
        for name in ("conv_in_relu", "down1_relu", "down2_relu", "residual5_add", "up2_relu")
    }
    assert shapes == {
        "conv_in_relu": (256, 256, 32),
        "down1_relu": (128, 128, 64),
        "down2_relu": (64, 64, 128),
        "residual5_add": (64, 64, 128),
        "up2_relu": (256, 256, 32),
    }


def test_instance_normalisation_normalises_each_channel_of_each_image():
    model = tiny(input_shape=(8, 8, 3))
    norm = model.get_layer("conv_in_norm")
    assert isinstance(norm, keras.layers.GroupNormalization) and norm.groups == 4  # one a channel
    x = np.random.default_rng(1).normal(3.0, 2.0, size=(2, 8, 8, 4)).astype("float32")
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(var + norm.epsilon)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)), expected, atol=1e-4)


@pytest.mark.parametrize("normalization", ["instance", "batch"])
def test_trains_one_step_and_round_trips(normalization, tmp_path):
    keras.utils.set_random_seed(0)
    model = tiny(input_shape=(8, 8, 3), normalization=normalization, output_scale=1.0)
    x = np.random.default_rng(0).random((2, 8, 8, 3), dtype=np.float32)
    check_training_step(model, x, x, loss="mse")
    check_round_trip(model, x, tmp_path)


def test_feature_extractor_is_the_residual_trunk():
    assert tuple(tiny(input_shape=(16, 16, 3), include_top=False).output.shape) == (
        None,
        4,
        4,
        16,
    )
    pooled = tiny(input_shape=(16, 16, 3), include_top=False, pooling="avg")
    assert tuple(pooled.output.shape) == (None, 16)


@pytest.mark.parametrize(
    ("config", "argument"),
    [
        ({"input_shape": (30, 30, 3)}, "divisible by 4"),
        ({"input_shape": (2, 2, 3)}, "minimum"),
        ({"input_shape": (16, 16, None)}, "channels"),
        ({"normalization": "layer"}, "normalization"),
        ({"filters": []}, "filters"),
        ({"num_residual_blocks": -1}, "num_residual_blocks"),
        ({"output_scale": 0}, "output_scale"),
    ],
)
def test_bad_arguments_name_the_argument(config, argument):
    with pytest.raises(ValueError, match=argument):
        zoo.build("style_transfer_net", **config)
