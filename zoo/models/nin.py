"""Network in Network (Lin, Chen & Yan 2014), the CIFAR-10 configuration.

Each "mlpconv" block is a convolution followed by two 1x1 convolutions (a small MLP slid over
the image), all with ReLU; no fully connected layers: the last 1x1 convolution has one map per
class and global average pooling turns each map into a class score.

| block | convolutions (filters, kernel) | then |
| --- | --- | --- |
| 1 | 192 5x5, 160 1x1, 96 1x1 | max-pool 3x3/2, dropout 0.5 |
| 2 | 192 5x5, 192 1x1, 192 1x1 | avg-pool 3x3/2, dropout 0.5 |
| 3 | 192 3x3, 192 1x1, classes 1x1 | global average pooling, softmax |

On 32x32x3 with 10 classes that is 966,986 parameters (the authors' cuda-convnet / Caffe
model). Lecture 004's table compares ReLU, leaky ReLU, PReLU and RReLU on this network (Xu et
al. 2015): ``zoo.build("nin", activation="rrelu")``.
"""

from __future__ import annotations

import keras

from zoo.models._blocks import check_activation_name, conv_bn
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_rate

# Per mlpconv block: its convolutions (filters, kernel) and the 3x3/2 pooling after it. The
# last block's last convolution is the classifier (one map per class), built in the top.
MLPCONV_BLOCKS = (
    (((192, 5), (160, 1), (96, 1)), "max"),
    (((192, 5), (192, 1), (192, 1)), "avg"),
    (((192, 3), (192, 1)), None),
)
_POOLS = {"max": keras.layers.MaxPooling2D, "avg": keras.layers.AveragePooling2D}


@register(
    "nin",
    aliases=("network_in_network",),
    family="nin",
    task="image_classification",
    paper="Lin, Chen & Yan 2014, Network in network",
    year=2014,
    default_input_shape=(32, 32, 3),
    min_input_size=4,
    features=True,
    default_num_classes=10,
)
def nin(spec: BuildSpec, *, activation: str = "relu", dropout: float = 0.5) -> keras.Model:
    """Network in Network: three mlpconv blocks, global average pooling of per-class maps.

    The minimum input is 4x4 (the total stride): two 3x3/2 poolings bring it to 1x1.

    Args:
        activation: activation after every convolution but the classifier's: ``relu`` (the
            paper's), ``leaky_relu``, ``prelu``, ``rrelu``, ``crelu``, ``elu``, ... (see
            `zoo.models._blocks`).
        dropout: rate of the dropout after the first two blocks, in [0, 1) (paper: 0.5).

    Example: ``zoo.build("nin", activation="prelu")``.
    """
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    inputs, x = spec.inputs()
    index = 0
    for block, (convolutions, pool) in enumerate(MLPCONV_BLOCKS, start=1):
        for filters, kernel in convolutions:
            index += 1
            name = f"conv{block}" if kernel > 1 else f"cccp{index - block}"
            x = conv_bn(x, filters, kernel, activation=activation, batch_norm=False, name=name)
        if pool:
            x = _POOLS[pool](3, strides=2, padding="same", name=f"pool{block}")(x)
            if dropout:
                x = keras.layers.Dropout(dropout, name=f"dropout{block}")(x)
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    # The classifier: float32 from the last convolution on, so softmax is never rounded.
    x = keras.layers.Conv2D(spec.num_classes, 1, dtype="float32", name="cccp6")(x)
    x = keras.layers.GlobalAveragePooling2D(dtype="float32", name="avg_pool")(x)
    activation = spec.classifier_activation or "linear"
    x = keras.layers.Activation(activation, dtype="float32", name="predictions")(x)
    return spec.model_from(inputs, x)
