"""AlexNet (Krizhevsky, Sutskever & Hinton 2012), lectures 001 and 003.

| layer | filters | kernel / stride | grouped (two GPUs) | then |
| --- | --- | --- | --- | --- |
| conv1 | 96 | 11x11 / 4, no padding | no | ReLU, LRN, max-pool 3/2 |
| conv2 | 256 | 5x5 / 1, padding 2 | yes | ReLU, LRN, max-pool 3/2 |
| conv3 | 384 | 3x3 / 1, padding 1 | no | ReLU |
| conv4 | 384 | 3x3 / 1, padding 1 | yes | ReLU |
| conv5 | 256 | 3x3 / 1, padding 1 | yes | ReLU, max-pool 3/2 |
| fc6, fc7 | 4096 | | | ReLU, dropout 0.5 |
| fc8 | classes | | | softmax |

On the 227x227x3 input (the paper's "224" does not divide: (227 - 11) / 4 + 1 = 55) that is the
lecture's 60 million parameters: 60,965,224 with the two-GPU grouping, 62,378,344 without.
"""

from __future__ import annotations

import keras

from zoo.layers import LocalResponseNormalization
from zoo.models._blocks import check_activation_name, conv_bn, dense_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_positive_int, check_rate

# (name, filters, kernel, stride, padding, grouped, LRN, max-pool after)
_CONV_LAYERS = (
    ("conv1", 96, 11, 4, "valid", False, True, True),
    ("conv2", 256, 5, 1, "same", True, True, True),
    ("conv3", 384, 3, 1, "same", False, False, False),
    ("conv4", 384, 3, 1, "same", True, False, False),
    ("conv5", 256, 3, 1, "same", True, False, True),
)
_FC_LAYERS = (("fc6", 4096), ("fc7", 4096))


@register(
    "alexnet",
    family="alexnet",
    task="image_classification",
    paper="Krizhevsky, Sutskever & Hinton 2012, ImageNet classification with deep "
    "convolutional neural networks",
    year=2012,
    default_input_shape=(227, 227, 3),
    min_input_size=67,
    features=True,
    default_num_classes=1000,
)
def alexnet(
    spec: BuildSpec, *, groups: int = 2, activation: str = "relu", dropout: float = 0.5
) -> keras.Model:
    """AlexNet: five convolutions (LRN after the first two, overlapping 3/2 max-pooling), 3 FC.

    The minimum input is 67x67: 67 -> conv1 15 -> pool 7 -> pool 3 -> pool 1.

    Args:
        groups: the paper's split of conv2, conv4 and conv5 over ``groups`` GPUs (2); 1 gives
            ordinary convolutions. Must divide the channels of those layers.
        activation: activation after every convolution and hidden FC layer (paper: ReLU;
            see `zoo.models._blocks` for the choices).
        dropout: rate of the dropout after fc6 and fc7, in [0, 1) (paper: 0.5).

    Example: ``zoo.build("alexnet", groups=1, num_classes=10)``.
    """
    groups = check_positive_int("groups", groups)
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    inputs, x = spec.inputs()
    for name, filters, kernel, stride, padding, grouped, lrn, pool in _CONV_LAYERS:
        x = conv_bn(
            x,
            filters,
            kernel,
            strides=stride,
            padding=padding,
            groups=groups if grouped else 1,
            activation=activation,
            batch_norm=False,
            name=name,
        )
        if lrn:
            x = LocalResponseNormalization(name=f"{name}_lrn")(x)
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2, name=f"{name}_pool")(x)
    return dense_top(
        spec, inputs, x, hidden=_FC_LAYERS, activation=activation, dropout=dropout, owner="AlexNet"
    )
