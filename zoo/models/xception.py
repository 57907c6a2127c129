"""Xception (Chollet 2017): Inception taken to the limit, depthwise separable convolutions.

Every convolution after the stem is a separable one (a 3x3 depthwise then a 1x1 pointwise
convolution, no activation in between) with batch normalization, arranged in residual blocks:

| flow | blocks | each block |
| --- | --- | --- |
| entry | stem: conv 32 3x3/2, conv 64 3x3 (valid) | |
| entry | 128, 256, 728 filters | 2 separable convs, 3x3/2 max-pool, + 1x1/2 conv shortcut |
| middle | 8 blocks of 728 | 3 separable convs (ReLU before each), + identity |
| exit | 728 then 1024 | as in the entry flow |
| exit | 1536, 2048 | separable convs with ReLU, global average pooling, classifier |

299x299x3 input, 22,910,480 parameters with 1000 classes: layer for layer
keras.applications.Xception, whose layer names it uses (``block1_conv1`` ...
``block14_sepconv2_act``).
"""

from __future__ import annotations

import keras

from zoo.models._blocks import activate, check_activation_name, conv_bn, global_pool_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_number

STEM = ((32, 2), (64, 1))  # (filters, stride) of the two valid 3x3 convolutions
# (block, filters of its two separable convs, activation before the first) of the
# down-sampling blocks: the entry flow's three and the exit flow's first.
ENTRY_BLOCKS = ((2, (128, 128), False), (3, (256, 256), True), (4, (728, 728), True))
MIDDLE_BLOCKS = range(5, 13)  # blocks 5-12: three separable convs of 728 each
MIDDLE_FILTERS = 728
EXIT_BLOCK = (13, (728, 1024), True)
EXIT_CONVS = (1536, 2048)  # block 14


def _separable_bn(x, filters, name, bn_momentum):
    x = keras.layers.SeparableConv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    return keras.layers.BatchNormalization(momentum=bn_momentum, name=f"{name}_bn")(x)


def _downsampling_block(x, block, filters, pre_activation, activation, bn_momentum):
    name = f"block{block}"
    shortcut = conv_bn(
        x,
        filters[-1],
        1,
        strides=2,
        activation=None,
        bn_momentum=bn_momentum,
        name=f"{name}_shortcut",
    )
    for index, width in enumerate(filters, start=1):
        if index > 1 or pre_activation:
            x = activate(x, activation, f"{name}_sepconv{index}_act")
        x = _separable_bn(x, width, f"{name}_sepconv{index}", bn_momentum)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    return keras.layers.Add(name=f"{name}_add")([x, shortcut])


@register(
    "xception",
    family="xception",
    task="image_classification",
    paper="Chollet 2017, Xception: deep learning with depthwise separable convolutions",
    year=2017,
    default_input_shape=(299, 299, 3),
    min_input_size=71,
    features=True,
    default_num_classes=1000,
)
def xception(
    spec: BuildSpec, *, activation: str = "relu", bn_momentum: float = 0.99
) -> keras.Model:
    """Xception: entry, middle (8 residual blocks) and exit flows of separable convolutions.

    The minimum input is 71x71, keras.applications' (the last map is then 3x3).

    Args:
        activation: activation of the stem and before/after the separable convolutions
            (paper: ReLU; see `zoo.models._blocks`).
        bn_momentum: momentum of every batch normalization's moving mean and variance, in
            [0, 1) (Keras' default 0.99). Inference uses the moving statistics, which lag the
            weights for the first few hundred steps at 0.99: for short runs use 0.9.

    Example: ``zoo.build("xception", input_shape=(150, 150, 3), num_classes=2)``.
    """
    check_activation_name("activation", activation)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)
    inputs, x = spec.inputs()
    for index, (filters, stride) in enumerate(STEM, start=1):
        x = conv_bn(
            x,
            filters,
            3,
            strides=stride,
            padding="valid",
            activation=activation,
            bn_momentum=bn_momentum,
            name=f"block1_conv{index}",
        )
    for block, filters, pre_activation in ENTRY_BLOCKS:
        x = _downsampling_block(x, block, filters, pre_activation, activation, bn_momentum)
    for block in MIDDLE_BLOCKS:
        residual = x
        for index in range(1, 4):
            x = activate(x, activation, f"block{block}_sepconv{index}_act")
            x = _separable_bn(x, MIDDLE_FILTERS, f"block{block}_sepconv{index}", bn_momentum)
        x = keras.layers.Add(name=f"block{block}_add")([x, residual])
    x = _downsampling_block(x, *EXIT_BLOCK, activation, bn_momentum)
    for index, filters in enumerate(EXIT_CONVS, start=1):
        x = _separable_bn(x, filters, f"block14_sepconv{index}", bn_momentum)
        x = activate(x, activation, f"block14_sepconv{index}_act")
    return global_pool_top(spec, inputs, x)
