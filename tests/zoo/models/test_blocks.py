"""zoo.models._blocks: activations by name, conv + BN + activation, the classic and modern tops."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pytest

from zoo.layers import CReLU, Maxout, RReLU
from zoo.models import _blocks as blocks
from zoo.models._spec import BuildSpec
from zoo.validation import check_divides


@pytest.mark.parametrize(
    ("name", "layer_type", "channels"),
    [
        ("relu", keras.layers.Activation, 6),
        ("elu", keras.layers.Activation, 6),
        ("tanh", keras.layers.Activation, 6),
        ("leaky_relu", keras.layers.LeakyReLU, 6),
        ("prelu", keras.layers.PReLU, 6),
        ("rrelu", RReLU, 6),
        ("crelu", CReLU, 12),
        ("maxout", Maxout, 3),
    ],
)
def test_activation_by_name_and_its_output_width(name, layer_type, channels):
    x = keras.Input((4, 4, 6))
    y = blocks.activate(x, name, "act")
    layer = y._keras_history.operation
    assert isinstance(layer, layer_type) and layer.name == "act"
    assert tuple(y.shape) == (None, 4, 4, channels)


def test_prelu_learns_one_slope_per_channel_and_leaky_relu_uses_maas_slope():
    model = keras.Sequential([keras.Input((5, 5, 8)), blocks.activation_layer("prelu", "p")])
    assert model.get_layer("p").alpha.shape == (1, 1, 8)
    dense = blocks.activation_layer("prelu", "q", rank=2)
    dense.build((None, 7))
    assert dense.alpha.shape == (7,)
    leaky = blocks.activation_layer("leaky_relu", "leaky")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(leaky(np.array([-2.0, 3.0]))), [-0.02, 3])


def test_none_and_linear_are_the_identity():
    x = keras.Input((3, 3, 2))
    assert blocks.activate(x, None, "unused") is x
    assert blocks.activate(x, "linear", "unused") is x


def test_keep_width_refuses_crelu_and_maxout_only():
    assert blocks.check_activation_name("code", "prelu", keep_width=True) == "prelu"
    for name in blocks.WIDTH_CHANGING:
        with pytest.raises(ValueError, match=rf"code must keep the width.*got '{name}'"):
            blocks.check_activation_name("code", name, keep_width=True)


@pytest.mark.parametrize("bad", ["relux", "", None, 3])
def test_unknown_activation_names_the_argument_and_the_choices(bad):
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'elu', 'leaky_relu'"):
        blocks.check_activation_name("activation", bad)


def test_maxout_needs_an_even_width():
    with pytest.raises(ValueError, match=r"activation='maxout'.*even number.*got 5"):
        blocks.activate(keras.Input((4, 4, 5)), "maxout", "m")


def test_conv_bn_drops_the_bias_before_batch_norm():
    x = keras.Input((8, 8, 3))
    y = blocks.conv_bn(x, 4, 3, strides=2, name="c")
    model = keras.Model(x, y)
    assert not model.get_layer("c").use_bias
    assert model.get_layer("c_bn").scale and model.get_layer("c_act").name == "c_act"
    assert model.count_params() == 3 * 3 * 3 * 4 + 4 * 4
    plain = keras.Model(x, blocks.conv_bn(x, 4, 3, batch_norm=False, activation=None, name="p"))
    assert plain.get_layer("p").use_bias and plain.count_params() == 3 * 3 * 3 * 4 + 4
    assert len(plain.layers) == 2


def test_conv_bn_groups_must_divide_both_widths():
    x = keras.Input((8, 8, 6))
    model = keras.Model(x, blocks.conv_bn(x, 4, 3, groups=2, name="g"))
    assert model.get_layer("g").kernel.shape == (3, 3, 3, 4)
    with pytest.raises(ValueError, match=r"groups must divide the input channels of 'g' \(6\)"):
        blocks.conv_bn(x, 8, 3, groups=4, name="g")
    with pytest.raises(ValueError, match=r"groups must divide the filters of 'g' \(5\), got 3"):
        blocks.conv_bn(x, 5, 3, groups=3, name="g")


def test_check_divides():
    assert check_divides("groups", 2, 96, "the channels") == 2
    with pytest.raises(ValueError, match=r"groups must be an integer >= 1, got 0"):
        check_divides("groups", 0, 96, "the channels")


def test_dense_block_is_dense_activation_dropout():
    x = keras.Input((10,))
    y = blocks.dense_block(x, 4, activation="relu", dropout=0.5, name="fc")
    assert y._keras_history.operation.name == "fc_dropout" and y.shape == (None, 4)


def test_dense_stack_is_the_one_flatten_hidden_classifier_top():
    """mlp, maxout_mlp and the classic CNN tops (dense_top) all come from `dense_stack`."""
    spec = BuildSpec(
        model="m",
        input_shape=(2, 2, 3),
        num_classes=5,
        include_top=True,
        pooling=None,
        classifier_activation="softmax",
        name="m",
    )
    inputs = keras.Input((2, 2, 3))
    model = blocks.dense_stack(
        spec,
        inputs,
        inputs,
        hidden=(("a", 6), ("b", 4)),
        layer=blocks.hidden_dense("crelu"),
        dropout=0.5,
        input_dropout=0.2,
        dropout_name="drop{index}_{name}",
    )
    assert [layer.name for layer in model.layers[1:]] == [
        "flatten",
        "input_dropout",
        "a",
        "a_act",
        "drop1_a",
        "b",
        "b_act",
        "drop2_b",
        "predictions",
    ]
    # crelu doubles each width: 12 -> 6 (x2) -> 4 (x2) -> 5.
    assert model.count_params() == (12 * 6 + 6) + (12 * 4 + 4) + (8 * 5 + 5)
    free = dataclasses.replace(spec, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match=r"free spatial size.*LeNet's flatten before a"):
        blocks.dense_stack(
            free,
            inputs,
            inputs,
            hidden=(("a", 6),),
            layer=blocks.hidden_dense("relu"),
            owner="LeNet",
        )


def test_conv_bn_sets_the_batch_norm_momentum():
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, blocks.conv_bn(x, 4, 3, bn_momentum=0.9, name="c"))
    assert model.get_layer("c_bn").momentum == 0.9
    default = keras.Model(x, blocks.conv_bn(x, 4, 3, name="d"))
    assert default.get_layer("d_bn").momentum == 0.99  # Keras' default
