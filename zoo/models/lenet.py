"""LeNet-5 (LeCun, Bottou, Bengio & Haffner 1998), as in the lectures (001, 003).

C1 conv 6@5x5 -> S2 2x2 subsampling -> C3 conv 16@5x5 -> S4 2x2 subsampling -> C5 120 ->
F6 84 -> 10 outputs. On the paper's 32x32x1 input that is 61,706 parameters with 10 classes.
Departures from the paper, as in every modern re-implementation: C3 connects to all six S2 maps
(the paper's Table I connects each to a subset), subsampling has no trainable coefficient,
C5 is a dense layer on the flattened S4 maps (identical to the paper's 5x5 convolution on a
32x32 input), and the output is softmax instead of Euclidean RBF units.
"""

from __future__ import annotations

import keras

from zoo.models._blocks import check_activation_name, conv_bn, dense_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_choice

_SUBSAMPLING = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}


@register(
    "lenet5",
    aliases=("lenet",),
    family="lenet",
    task="image_classification",
    paper="LeCun, Bottou, Bengio & Haffner 1998, Gradient-based learning applied to "
    "document recognition",
    year=1998,
    default_input_shape=(32, 32, 1),
    min_input_size=16,
    features=True,
    default_num_classes=10,
)
def lenet5(spec: BuildSpec, *, activation: str = "tanh", subsampling: str = "avg") -> keras.Model:
    """LeNet-5: two 5x5 convolution + subsampling stages, then 120-84-classes dense layers.

    The minimum input is 16x16: 16 -> C1 12 -> S2 6 -> C3 2 -> S4 1.

    Args:
        activation: activation of the hidden layers C1, C3, C5 and F6 (the paper's is a scaled
            tanh): a name of `zoo.models._blocks.ACTIVATIONS` (``"relu"``, ``"leaky_relu"``,
            ``"crelu"``, ``"maxout"``, ...) or any Keras activation. Each layer is linear and
            followed by its activation ``<layer>_act`` (``c1_act``, ...).
        subsampling: ``"avg"`` (the paper's subsampling) or ``"max"`` pooling.

    Example: ``zoo.build("lenet5", num_classes=10)``.
    """
    check_activation_name("activation", activation)
    pool = _SUBSAMPLING[check_choice("subsampling", subsampling, tuple(_SUBSAMPLING))]
    inputs, x = spec.inputs()
    x = conv_bn(x, 6, 5, padding="valid", activation=activation, batch_norm=False, name="c1")
    x = pool(2, name="s2")(x)
    x = conv_bn(x, 16, 5, padding="valid", activation=activation, batch_norm=False, name="c3")
    x = pool(2, name="s4")(x)
    return dense_top(
        spec,
        inputs,
        x,
        hidden=(("c5", 120), ("f6", 84)),
        activation=activation,
        owner="LeNet-5",
    )
