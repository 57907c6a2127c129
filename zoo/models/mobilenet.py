"""MobileNet v1 (Howard et al. 2017), the table of lecture 003.

A 3x3/2 convolution, then 13 depthwise separable convolutions: a 3x3 depthwise convolution
(one filter per channel, stride s) and a 1x1 pointwise convolution (``filters`` outputs), each
followed by batch normalization and ReLU. A depthwise separable layer costs
``D_K^2 M + M N`` parameters instead of ``D_K^2 M N`` for the full convolution it replaces.

| layer | pointwise filters | depthwise stride | input (224x224) |
| --- | --- | --- | --- |
| conv / s2 | 32 | | 224x224x3 |
| dw 1 | 64 | 1 | 112x112x32 |
| dw 2, 3 | 128 | 2, 1 | 112x112x64 |
| dw 4, 5 | 256 | 2, 1 | 56x56x128 |
| dw 6 - 11 | 512 | 2, 1, 1, 1, 1, 1 | 28x28x256 |
| dw 12, 13 | 1024 | 2, 1 | 14x14x512 |
| avg pool, FC, softmax | classes | | 7x7x1024 |

The width multiplier ``alpha`` scales every layer's filters (``int(filters * alpha)``, as in
keras.applications), ``depth_multiplier`` the depthwise outputs per channel (the paper's
resolution multiplier is simply the input size). At alpha = 1 this is 4,253,864 parameters,
the same as keras.applications.MobileNet, whose layer names it uses (``conv1``, ``conv_dw_1``,
``conv_pw_1``, ...).
"""

from __future__ import annotations

import keras

from zoo.models._blocks import activate, check_activation_name, conv_bn, global_pool_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_number, check_positive_int, check_rate

STEM_FILTERS = 32
# (pointwise filters, depthwise stride) of the 13 depthwise separable layers (the table).
SEPARABLE_LAYERS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


def _depthwise_separable(x, filters, stride, depth_multiplier, activation, bn_momentum, index):
    x = keras.layers.DepthwiseConv2D(
        3,
        strides=stride,
        padding="same",
        depth_multiplier=depth_multiplier,
        use_bias=False,
        name=f"conv_dw_{index}",
    )(x)
    x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"conv_dw_{index}_bn")(x)
    x = activate(x, activation, f"conv_dw_{index}_act")
    return conv_bn(
        x, filters, 1, activation=activation, bn_momentum=bn_momentum, name=f"conv_pw_{index}"
    )


@register(
    "mobilenet",
    aliases=("mobilenet_v1",),
    family="mobilenet",
    task="image_classification",
    paper="Howard et al. 2017, MobileNets: efficient convolutional neural networks for "
    "mobile vision applications",
    year=2017,
    default_input_shape=(224, 224, 3),
    min_input_size=32,
    features=True,
    default_num_classes=1000,
)
def mobilenet(
    spec: BuildSpec,
    *,
    alpha: float = 1.0,
    depth_multiplier: int = 1,
    dropout: float = 1e-3,
    activation: str = "relu",
    bn_momentum: float = 0.99,
) -> keras.Model:
    """MobileNet v1: a 3x3/2 convolution and 13 depthwise separable convolutions.

    The minimum input is 32x32 (the total stride, as in keras.applications): the last map
    is 1x1.

    Args:
        alpha: width multiplier > 0 (the paper uses 1, 0.75, 0.5, 0.25); each layer keeps
            ``max(1, int(filters * alpha))`` filters.
        depth_multiplier: depthwise outputs per input channel, an integer >= 1.
        dropout: rate of the dropout before the classifier, in [0, 1) (keras.applications'
            default 1e-3).
        activation: activation after every batch normalization (paper: ReLU; keras.applications
            uses ``"relu6"``; see `zoo.models._blocks`).
        bn_momentum: momentum of every batch normalization's moving mean and variance, in
            [0, 1) (Keras' default 0.99). Inference uses those moving statistics: after a few
            hundred training steps they still lag the weights at 0.99, and a briefly trained
            network can score near chance at test time while its training accuracy is high;
            0.9 lets them keep up.

    Example: ``zoo.build("mobilenet", alpha=0.5, input_shape=(128, 128, 3), num_classes=10)``.
    """
    alpha = check_number("alpha", alpha, low=0.0, low_open=True)
    depth_multiplier = check_positive_int("depth_multiplier", depth_multiplier)
    dropout = check_rate("dropout", dropout)
    check_activation_name("activation", activation)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)

    def width(filters):
        return max(1, int(filters * alpha))

    inputs, x = spec.inputs()
    x = conv_bn(
        x,
        width(STEM_FILTERS),
        3,
        strides=2,
        activation=activation,
        bn_momentum=bn_momentum,
        name="conv1",
    )
    for index, (filters, stride) in enumerate(SEPARABLE_LAYERS, start=1):
        x = _depthwise_separable(
            x, width(filters), stride, depth_multiplier, activation, bn_momentum, index
        )
    return global_pool_top(spec, inputs, x, dropout=dropout)
