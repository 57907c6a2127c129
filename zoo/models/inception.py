"""Inception networks: GoogLeNet (Szegedy et al. 2014) and Inception v3 (Szegedy et al. 2016).

An Inception module runs parallel branches on the same input and concatenates them along the
channels (lectures 001 and 003). Both networks here are data: each module is a tuple of
branches, each branch a tuple of operations (`Conv`, `Pool`, `LRN`, or a `Fork` whose
parallel tails are concatenated), and one function, `inception_module`, builds any of them.

GoogLeNet's module (Table 1 columns #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj):
``concat(conv1x1, conv1x1 -> conv3x3, conv1x1 -> conv5x5, maxpool3x3 -> conv1x1)``.
Inception v3 factorises the 5x5 into two 3x3, the 7x7 into 1x7 and 7x1, and splits the last
3x3 into parallel 1x3 and 3x1 (its Figures 5-7), with batch-normalised convolutions.
"""

from __future__ import annotations

import typing

import keras

from zoo.layers import LocalResponseNormalization
from zoo.models._blocks import check_activation_name, conv_bn, dense_block, global_pool_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_bool, check_number, check_rate


class Conv(typing.NamedTuple):
    """A convolution with ``filters`` and a ``(rows, cols)`` kernel, followed by activation."""

    filters: int
    kernel: tuple[int, int]
    strides: int = 1
    padding: str = "same"


class Pool(typing.NamedTuple):
    """A ``"max"`` or ``"avg"`` pooling with a square window."""

    kind: str
    size: int = 3
    strides: int = 1
    padding: str = "same"


class LRN(typing.NamedTuple):
    """Local response normalization (GoogLeNet's stem)."""


class Fork(typing.NamedTuple):
    """Parallel tails (each a tuple of operations) concatenated: Inception v3's 1x3 / 3x1."""

    branches: tuple


def _pool_layer(op: Pool, name: str):
    pool = keras.layers.MaxPooling2D if op.kind == "max" else keras.layers.AveragePooling2D
    return pool(op.size, strides=op.strides, padding=op.padding, name=name)


def _apply(x, operations, name: str, conv_options: dict):
    for index, op in enumerate(operations, start=1):
        layer_name = f"{name}_{index}"
        if isinstance(op, Conv):
            x = conv_bn(
                x,
                op.filters,
                op.kernel,
                strides=op.strides,
                padding=op.padding,
                name=layer_name,
                **conv_options,
            )
        elif isinstance(op, Pool):
            x = _pool_layer(op, f"{layer_name}_pool")(x)
        elif isinstance(op, LRN):
            x = LocalResponseNormalization(name=f"{layer_name}_lrn")(x)
        else:
            x = inception_module(x, op.branches, name=layer_name, **conv_options)
    return x


def inception_module(x, branches, *, name: str, **conv_options):
    """Run each branch (a tuple of operations) on ``x`` and concatenate them on the channels.

    ``conv_options`` go to every `zoo.models._blocks.conv_bn` (activation, batch_norm,
    bn_scale, bn_momentum). The concatenation is named ``name``; branch b's k-th operation
    ``{name}_branch{b}_{k}``.

    Example (GoogLeNet's inception 3a on a 28x28x192 map, giving 28x28x256)::

        inception_module(x, googlenet_branches(64, 96, 128, 16, 32, 32), name="inception_3a",
                         activation="relu", batch_norm=False)
    """
    outputs = [
        _apply(x, operations, f"{name}_branch{b}", conv_options)
        for b, operations in enumerate(branches, start=1)
    ]
    return keras.layers.Concatenate(name=name)(outputs)


def googlenet_branches(n1x1, reduce3x3, n3x3, reduce5x5, n5x5, pool_proj):
    """GoogLeNet's module from one row of its Table 1."""
    return (
        (Conv(n1x1, (1, 1)),),
        (Conv(reduce3x3, (1, 1)), Conv(n3x3, (3, 3))),
        (Conv(reduce5x5, (1, 1)), Conv(n5x5, (5, 5))),
        (Pool("max"), Conv(pool_proj, (1, 1))),
    )


_MAX_POOL_S2 = Pool("max", 3, 2)

# GoogLeNet, Table 1: the stem, then the module rows (name, #1x1, #3x3 reduce, #3x3,
# #5x5 reduce, #5x5, pool proj) and the 3x3/2 max-pools (name, Pool) between them.
GOOGLENET_STEM = (
    Conv(64, (7, 7), 2),
    _MAX_POOL_S2,
    LRN(),
    Conv(64, (1, 1)),
    Conv(192, (3, 3)),
    LRN(),
    _MAX_POOL_S2,
)
GOOGLENET_MODULES = (
    ("inception_3a", 64, 96, 128, 16, 32, 32),
    ("inception_3b", 128, 128, 192, 32, 96, 64),
    ("pool4", _MAX_POOL_S2),
    ("inception_4a", 192, 96, 208, 16, 48, 64),
    ("inception_4b", 160, 112, 224, 24, 64, 64),
    ("inception_4c", 128, 128, 256, 24, 64, 64),
    ("inception_4d", 112, 144, 288, 32, 64, 64),
    ("inception_4e", 256, 160, 320, 32, 128, 128),
    ("pool5", _MAX_POOL_S2),
    ("inception_5a", 256, 160, 320, 32, 128, 128),
    ("inception_5b", 384, 192, 384, 48, 128, 128),
)
# The auxiliary classifiers sit on these modules' outputs (section 5).
GOOGLENET_AUX = ("inception_4a", "inception_4d")
_AUX_MIN_SIZE = 65  # 5x5/3 average pool on the 1/16 map: ceil(65 / 16) = 5


def _auxiliary_head(spec: BuildSpec, x, activation: str, name: str):
    """avg-pool 5x5/3, conv 1x1 (128), FC 1024, dropout 0.7, classifier (section 5)."""
    x = keras.layers.AveragePooling2D(5, strides=3, name=f"{name}_pool")(x)
    x = conv_bn(x, 128, 1, activation=activation, batch_norm=False, name=f"{name}_conv")
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    x = dense_block(x, 1024, activation=activation, dropout=0.7, name=f"{name}_fc")
    return spec.classifier(x, name=f"{name}_predictions")


@register(
    "googlenet",
    aliases=("inception_v1",),
    family="inception",
    task="image_classification",
    paper="Szegedy et al. 2015 (arXiv 2014), Going deeper with convolutions",
    year=2014,
    default_input_shape=(224, 224, 3),
    min_input_size=32,
    features=True,
    default_num_classes=1000,
)
def googlenet(
    spec: BuildSpec, *, aux_logits: bool = False, activation: str = "relu", dropout: float = 0.4
) -> keras.Model:
    """GoogLeNet (Inception v1): the stem, nine Inception modules, average pooling, softmax.

    As in the paper's Table 1: convolutions with biases and ReLU, LRN in the stem, no batch
    normalization; 6,998,552 parameters with 1000 classes (without the auxiliary heads). The
    minimum input is 32x32 (the total stride: the last map is 1x1); ``aux_logits`` needs
    65x65, where its 5x5/3 pooling still fits on the 1/16 map.

    Args:
        aux_logits: add the two auxiliary classifiers on inception 4a and 4d; the model then
            has three outputs ``[main, aux1, aux2]`` (train with loss weights such as
            ``[1, 0.3, 0.3]``, the paper's; use the first at inference). Needs the top.
        activation: activation after every convolution and hidden FC layer (paper: ReLU;
            see `zoo.models._blocks`).
        dropout: rate of the dropout before the classifier, in [0, 1) (paper: 0.4).

    Example: ``zoo.build("googlenet", aux_logits=True, num_classes=10)``.
    """
    aux_logits = check_bool("aux_logits", aux_logits)
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    if aux_logits and not spec.include_top:
        raise ValueError("aux_logits=True needs include_top=True (the heads are classifiers).")
    if aux_logits and any(d is None or d < _AUX_MIN_SIZE for d in spec.input_shape[:-1]):
        raise ValueError(
            f"aux_logits=True needs a fixed input of at least {_AUX_MIN_SIZE}x{_AUX_MIN_SIZE}, "
            f"got input_shape {spec.input_shape!r}."
        )
    options = {"activation": activation, "batch_norm": False}
    inputs, x = spec.inputs()
    x = _apply(x, GOOGLENET_STEM, "stem", options)
    auxiliary = []
    for name, *widths in GOOGLENET_MODULES:
        if isinstance(widths[0], Pool):
            x = _pool_layer(widths[0], name)(x)
            continue
        x = inception_module(x, googlenet_branches(*widths), name=name, **options)
        if aux_logits and name in GOOGLENET_AUX:
            auxiliary.append(_auxiliary_head(spec, x, activation, f"aux{len(auxiliary) + 1}"))
    return global_pool_top(spec, inputs, x, dropout=dropout, auxiliary=auxiliary)


def _module_a(pool_proj):
    return (
        (Conv(64, (1, 1)),),
        (Conv(48, (1, 1)), Conv(64, (5, 5))),
        (Conv(64, (1, 1)), Conv(96, (3, 3)), Conv(96, (3, 3))),
        (Pool("avg"), Conv(pool_proj, (1, 1))),
    )


def _module_c(width):
    return (
        (Conv(192, (1, 1)),),
        (Conv(width, (1, 1)), Conv(width, (1, 7)), Conv(192, (7, 1))),
        (
            Conv(width, (1, 1)),
            Conv(width, (7, 1)),
            Conv(width, (1, 7)),
            Conv(width, (7, 1)),
            Conv(192, (1, 7)),
        ),
        (Pool("avg"), Conv(192, (1, 1))),
    )


_SPLIT_384 = Fork(((Conv(384, (1, 3)),), (Conv(384, (3, 1)),)))
_REDUCTION_B = (
    (Conv(384, (3, 3), 2, "valid"),),
    (Conv(64, (1, 1)), Conv(96, (3, 3)), Conv(96, (3, 3), 2, "valid")),
    (Pool("max", 3, 2, "valid"),),
)
_REDUCTION_D = (
    (Conv(192, (1, 1)), Conv(320, (3, 3), 2, "valid")),
    (Conv(192, (1, 1)), Conv(192, (1, 7)), Conv(192, (7, 1)), Conv(192, (3, 3), 2, "valid")),
    (Pool("max", 3, 2, "valid"),),
)
_MODULE_E = (
    (Conv(320, (1, 1)),),
    (Conv(384, (1, 1)), _SPLIT_384),
    (Conv(448, (1, 1)), Conv(384, (3, 3)), _SPLIT_384),
    (Pool("avg"), Conv(192, (1, 1))),
)

# Inception v3 as in keras.applications.InceptionV3 (the paper's Table 1 with the widths of
# the reference implementation): a valid-padded stem, then mixed0 ... mixed10.
INCEPTION_V3_STEM = (
    Conv(32, (3, 3), 2, "valid"),
    Conv(32, (3, 3), 1, "valid"),
    Conv(64, (3, 3)),
    Pool("max", 3, 2, "valid"),
    Conv(80, (1, 1), 1, "valid"),
    Conv(192, (3, 3), 1, "valid"),
    Pool("max", 3, 2, "valid"),
)
INCEPTION_V3_MODULES = (
    ("mixed0", _module_a(32)),  # 35x35x256 (Figure 5 modules)
    ("mixed1", _module_a(64)),
    ("mixed2", _module_a(64)),
    ("mixed3", _REDUCTION_B),  # 17x17x768
    ("mixed4", _module_c(128)),  # Figure 6 modules, n = 7
    ("mixed5", _module_c(160)),
    ("mixed6", _module_c(160)),
    ("mixed7", _module_c(192)),
    ("mixed8", _REDUCTION_D),  # 8x8x1280
    ("mixed9", _MODULE_E),  # Figure 7 modules, 8x8x2048
    ("mixed10", _MODULE_E),
)


@register(
    "inception_v3",
    family="inception",
    task="image_classification",
    paper="Szegedy, Vanhoucke, Ioffe, Shlens & Wojna 2016, Rethinking the Inception "
    "architecture for computer vision",
    year=2016,
    default_input_shape=(299, 299, 3),
    min_input_size=75,
    features=True,
    default_num_classes=1000,
)
def inception_v3(
    spec: BuildSpec, *, activation: str = "relu", bn_momentum: float = 0.99
) -> keras.Model:
    """Inception v3: factorised Inception modules with batch normalization, 299x299 input.

    Layer for layer keras.applications.InceptionV3 (23,851,784 parameters with 1000 classes;
    convolutions without bias, BN without scale, modules named ``mixed0`` ... ``mixed10``).
    The minimum input is 75x75, the smallest the valid-padded stem and reductions accept.

    Args:
        activation: activation after every convolution (paper: ReLU; see `zoo.models._blocks`).
        bn_momentum: momentum of every batch normalization's moving mean and variance, in
            [0, 1) (Keras' default 0.99). Inference uses the moving statistics, which lag the
            weights for the first few hundred steps at 0.99: for short runs use 0.9.

    Example: ``zoo.build("inception_v3", input_shape=(150, 150, 3), num_classes=5)``.
    """
    check_activation_name("activation", activation)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)
    options = {
        "activation": activation,
        "batch_norm": True,
        "bn_scale": False,
        "bn_momentum": bn_momentum,
    }
    inputs, x = spec.inputs()
    x = _apply(x, INCEPTION_V3_STEM, "stem", options)
    for name, branches in INCEPTION_V3_MODULES:
        x = inception_module(x, branches, name=name, **options)
    return global_pool_top(spec, inputs, x)
