"""VGG configurations A to E (Simonyan & Zisserman 2015, Table 1; lectures 001 and 003).

Five stages of 3x3 convolutions (stride 1, padding 1) with ReLU, each closed by a 2x2/2
max-pool, then FC-4096, FC-4096 (ReLU, dropout 0.5) and a softmax classifier. ``conv3-64``
is a 3x3 convolution with 64 filters; configuration C uses 1x1 convolutions (``conv1-256``)
and A-LRN puts local response normalization after its first convolution:

| A | A-LRN | B | C | D | E |
| --- | --- | --- | --- | --- | --- |
| 11 weight layers | 11 | 13 | 16 | 16 | 19 |
| 132,863,336 params | 132,863,336 | 133,047,848 | 133,638,952 | 138,357,544 | 143,667,240 |

(The lecture 003 table prints every row as ``C3D64``, a garbled extraction; this follows the
paper.) Layer names follow keras.applications (``block1_conv1`` ... ``block5_pool``, ``fc1``,
``fc2``, ``predictions``), and ``vgg_d`` and ``vgg_e`` hold ``VGG16``'s and ``VGG19``'s weights
in the same order.

A, B, D and E are also twins of torchvision's ``vgg11``, ``vgg13``, ``vgg16`` and ``vgg19``, and
with ``batch_norm=True`` of its ``vgg11_bn`` ... ``vgg19_bn``: their batch normalization uses
torch's epsilon 1e-5, and torchvision's convolution biases before it, which batch normalization
cancels, fold into the moving mean (`zoo.weights.from_torchvision`).
"""

from __future__ import annotations

import keras

from zoo.layers import LocalResponseNormalization
from zoo.models._blocks import check_activation_name, conv_bn, dense_top
from zoo.models._registry import register_variant
from zoo.models._spec import BuildSpec
from zoo.validation import check_bool, check_number, check_rate

# Table 1 of the paper, one list per stage (each stage ends with a 2x2/2 max-pool).
CONFIGS = {
    "A": [["conv3-64"], ["conv3-128"], ["conv3-256"] * 2, ["conv3-512"] * 2, ["conv3-512"] * 2],
    "A-LRN": [
        ["conv3-64", "LRN"],
        ["conv3-128"],
        ["conv3-256"] * 2,
        ["conv3-512"] * 2,
        ["conv3-512"] * 2,
    ],
    "B": [
        ["conv3-64"] * 2,
        ["conv3-128"] * 2,
        ["conv3-256"] * 2,
        ["conv3-512"] * 2,
        ["conv3-512"] * 2,
    ],
    "C": [
        ["conv3-64"] * 2,
        ["conv3-128"] * 2,
        ["conv3-256", "conv3-256", "conv1-256"],
        ["conv3-512", "conv3-512", "conv1-512"],
        ["conv3-512", "conv3-512", "conv1-512"],
    ],
    "D": [
        ["conv3-64"] * 2,
        ["conv3-128"] * 2,
        ["conv3-256"] * 3,
        ["conv3-512"] * 3,
        ["conv3-512"] * 3,
    ],
    "E": [
        ["conv3-64"] * 2,
        ["conv3-128"] * 2,
        ["conv3-256"] * 4,
        ["conv3-512"] * 4,
        ["conv3-512"] * 4,
    ],
}

_FC_LAYERS = (("fc1", 4096), ("fc2", 4096))
BN_MOMENTUM = 0.99  # Keras' default, the default of ``bn_momentum``
BN_EPSILON = 1e-5  # torch's BatchNorm2d default (Keras' is 1e-3), as torchvision's VGG-BN

_VARIANTS = (
    # (registered name, aliases, configuration, weight layers)
    ("vgg_a", ("vgg11",), "A", 11),
    ("vgg_a_lrn", ("vgg11_lrn",), "A-LRN", 11),
    ("vgg_b", ("vgg13",), "B", 13),
    ("vgg_c", (), "C", 16),
    ("vgg_d", ("vgg16",), "D", 16),
    ("vgg_e", ("vgg19",), "E", 19),
)


def vgg(
    spec: BuildSpec,
    *,
    configuration: str = "D",
    batch_norm: bool = False,
    bn_momentum: float = BN_MOMENTUM,
    activation: str = "relu",
    dropout: float = 0.5,
) -> keras.Model:
    """VGG configuration ``configuration`` (a key of `CONFIGS`), read from the table."""
    batch_norm = check_bool("batch_norm", batch_norm)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)
    if not batch_norm and bn_momentum != BN_MOMENTUM:
        raise ValueError(
            f"bn_momentum={bn_momentum!r} sets the momentum of the batch normalization that "
            "batch_norm=True adds, but batch_norm is False: set batch_norm=True or leave "
            f"bn_momentum at its default {BN_MOMENTUM}."
        )
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    inputs, x = spec.inputs()
    for stage, layers in enumerate(CONFIGS[configuration], start=1):
        convs = 0
        for layer in layers:
            if layer == "LRN":
                x = LocalResponseNormalization(name=f"block{stage}_lrn")(x)
                continue
            convs += 1
            kernel, filters = (int(v) for v in layer[len("conv") :].split("-"))
            x = conv_bn(
                x,
                filters,
                kernel,
                activation=activation,
                batch_norm=batch_norm,
                bn_momentum=bn_momentum,
                bn_epsilon=BN_EPSILON,
                name=f"block{stage}_conv{convs}",
            )
        x = keras.layers.MaxPooling2D(2, strides=2, name=f"block{stage}_pool")(x)
    return dense_top(
        spec, inputs, x, hidden=_FC_LAYERS, activation=activation, dropout=dropout, owner="VGG"
    )


_DOC = """VGG configuration {configuration} ({depth} weight layers), Table 1.

The minimum input is 32x32: five 2x2/2 max-pools bring it to 1x1.

Args:
    batch_norm: put BatchNormalization between each convolution and its activation (the
        later "VGG-BN" variant; the convolutions then have no bias). The paper has none.
    bn_momentum: momentum of the batch normalizations' moving mean and variance, in [0, 1)
        (Keras' default 0.99; for short runs use 0.9: inference uses the moving statistics,
        which lag the weights for the first few hundred steps at 0.99). Needs
        ``batch_norm=True``: with ``batch_norm=False`` a value other than 0.99 is refused.
    activation: activation after every convolution and hidden FC layer (paper: ReLU;
        see `zoo.models._blocks` for the choices).
    dropout: rate of the dropout after fc1 and fc2, in [0, 1) (paper: 0.5).

Example: ``zoo.build("{name}", num_classes=10, batch_norm=True)``.
"""

for _name, _aliases, _configuration, _depth in _VARIANTS:
    register_variant(
        _name,
        vgg,
        bind={"configuration": _configuration},
        doc=_DOC.format(configuration=_configuration, depth=_depth, name=_name),
        aliases=_aliases,
        family="vgg",
        task="image_classification",
        paper="Simonyan & Zisserman 2015, Very deep convolutional networks for large-scale "
        "image recognition",
        year=2015,
        default_input_shape=(224, 224, 3),
        min_input_size=32,
        features=True,
        default_num_classes=1000,
    )
