"""Residual networks (He, Zhang, Ren & Sun 2016), lectures 001, 003 and 004.

Each block learns a residual F(x) and outputs ``relu(F(x) + shortcut(x))``. Convolutions have
no bias: batch normalization follows each one. One builder reads two depth tables:

ImageNet (Table 1): a 7x7/2 convolution with 64 filters and a 3x3/2 max-pool, then four stages
of 64, 128, 256, 512 filters (stride 2 on the first block of stages 3-5), global average pooling
and the classifier. Basic blocks are two 3x3 convolutions; bottlenecks are 1x1 (width w), 3x3
(w), 1x1 (4w), with the stride on the 3x3 (the common "v1.5" placement; same parameters).
Shortcuts are identities, or 1x1 projections where the shape changes (option B).

The ImageNet depths are twins of torchvision's ``resnet18`` ... ``resnet152`` (same layers, same
order, same arithmetic), so its weights convert exactly (`zoo.weights.from_torchvision`): batch
normalization uses torch's epsilon 1e-5, and every strided convolution with a kernel wider than 1,
and the max-pool, sees kernel_size // 2 zeros on each side (a ``*_pad`` ZeroPadding2D, then a
"valid" window), as torchvision pads; Keras' "same" would pad an even input one more on the
bottom and right only, shifting every window by a pixel against the 1x1 projection shortcut.
After ReLU the pool's zero padding equals torch's -inf padding.

| depth | block | blocks per stage | parameters (trainable) |
| --- | --- | --- | --- |
| 18 | basic | 2, 2, 2, 2 | 11,689,512 |
| 34 | basic | 3, 4, 6, 3 | 21,797,672 |
| 50 | bottleneck | 3, 4, 6, 3 | 25,557,032 |
| 101 | bottleneck | 3, 4, 23, 3 | 44,549,160 |
| 152 | bottleneck | 3, 8, 36, 3 | 60,192,808 |

CIFAR-10 (section 4.2): a 3x3 convolution with 16 filters, three stages of n basic blocks with
16, 32 and 64 filters on 32x32, 16x16 and 8x8 maps, global average pooling, 10-way softmax:
depth 6n + 2 (20, 32, 44, 56, 110, 1202 for n = 3, 5, 7, 9, 18, 200; 0.27M to 19.4M
parameters). Shortcuts are identities; where the width doubles, option A subsamples by 2 and
pads the new channels with zeros (`zoo.layers.ChannelPadding`), adding no parameters.

The counts above are trainable parameters, the paper's (and torchvision's) convention;
``model.count_params()`` adds batch normalization's moving mean and variance (two per channel).
"""

from __future__ import annotations

import functools

import keras

from zoo.layers import ChannelPadding
from zoo.models._blocks import activate, check_activation_name, conv_bn, global_pool_top
from zoo.models._registry import register_variant
from zoo.models._spec import BuildSpec
from zoo.validation import check_number

# ImageNet depth -> (block, blocks per stage); the stages have 64, 128, 256, 512 filters.
IMAGENET_DEPTHS = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}
# CIFAR depth 6n + 2 -> n, the basic blocks per stage; the stages have 16, 32, 64 filters.
CIFAR_DEPTHS = {20: 3, 32: 5, 44: 7, 56: 9, 110: 18, 1202: 200}

# Keras walks a functional graph recursively, one Python frame per layer: stages longer than
# this are built as nested models of this many blocks so that even ResNet-1202 (600 blocks,
# 4000 layers) stays far below Python's default recursion limit when built or loaded.
_BLOCKS_PER_GRAPH = 50

_PAPER = "He, Zhang, Ren & Sun 2016, Deep residual learning for image recognition"

# torch's BatchNorm2d default (Keras' is 1e-3), so that torchvision's statistics mean the same.
BN_EPSILON = 1e-5


def _conv_bn(x, filters: int, kernel_size: int, *, strides: int = 1, **options):
    """`conv_bn` padded and normalised as torchvision: a strided convolution wider than 1x1
    reads ``kernel_size // 2`` zeros on every side ("symmetric"), and BN's epsilon is torch's."""
    padding = "symmetric" if strides > 1 and kernel_size > 1 else "same"
    return conv_bn(
        x, filters, kernel_size, strides=strides, padding=padding, bn_epsilon=BN_EPSILON, **options
    )


def _shortcut(x, channels: int, stride: int, option: str, name: str, bn_momentum: float):
    """Identity when the shape is kept; else option A (subsample, zero channels) or B (1x1)."""
    in_channels = x.shape[-1]
    if in_channels == channels and stride == 1:
        return x
    if option == "A" and channels >= in_channels:
        if stride > 1:
            x = keras.layers.MaxPooling2D(1, strides=stride, name=f"{name}_0_subsample")(x)
        extra = channels - in_channels
        if extra:
            x = ChannelPadding(extra // 2, extra - extra // 2, name=f"{name}_0_pad")(x)
        return x
    return _conv_bn(
        x,
        channels,
        1,
        strides=stride,
        activation=None,
        bn_momentum=bn_momentum,
        name=f"{name}_0_conv",
    )


def _residual_block(
    x, filters: int, stride: int, *, block: str, option: str, activation, bn_momentum, name
):
    conv = functools.partial(_conv_bn, bn_momentum=bn_momentum)
    if block == "bottleneck":
        y = conv(x, filters, 1, activation=activation, name=f"{name}_1_conv")
        y = conv(y, filters, 3, strides=stride, activation=activation, name=f"{name}_2_conv")
        y = conv(y, 4 * filters, 1, activation=None, name=f"{name}_3_conv")
    else:
        y = conv(x, filters, 3, strides=stride, activation=activation, name=f"{name}_1_conv")
        y = conv(y, filters, 3, activation=None, name=f"{name}_2_conv")
    shortcut = _shortcut(x, y.shape[-1], stride, option, name, bn_momentum)
    x = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return activate(x, activation, f"{name}_out")


def _blocks(x, stage: int, first: int, last: int, filters: int, stride: int, options: dict):
    for index in range(first, last + 1):
        x = _residual_block(
            x,
            filters,
            stride if index == 1 else 1,
            name=f"conv{stage}_block{index}",
            **options,
        )
    return x


def resnet(
    spec: BuildSpec,
    *,
    depth: int = 50,
    cifar: bool = False,
    activation: str = "relu",
    bn_momentum: float = 0.99,
) -> keras.Model:
    """The ResNet of ``depth`` from `CIFAR_DEPTHS` (``cifar``) or `IMAGENET_DEPTHS`."""
    check_activation_name("activation", activation)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)
    inputs, x = spec.inputs()
    if cifar:
        block, option = "basic", "A"
        n = CIFAR_DEPTHS[depth]
        stages = [(16, n, 1), (32, n, 2), (64, n, 2)]
        x = _conv_bn(x, 16, 3, activation=activation, bn_momentum=bn_momentum, name="conv1")
    else:
        block, repeats = IMAGENET_DEPTHS[depth]
        option = "B"
        stages = [(64 * 2**i, n, 1 if i == 0 else 2) for i, n in enumerate(repeats)]
        x = _conv_bn(
            x, 64, 7, strides=2, activation=activation, bn_momentum=bn_momentum, name="conv1"
        )
        x = keras.layers.ZeroPadding2D(1, name="pool1_pad")(x)
        x = keras.layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for stage, (filters, blocks, stride) in enumerate(stages, start=2):
        options = {
            "block": block,
            "option": option,
            "activation": activation,
            "bn_momentum": bn_momentum,
        }
        for first in range(1, blocks + 1, _BLOCKS_PER_GRAPH):
            last = min(first + _BLOCKS_PER_GRAPH - 1, blocks)
            if blocks <= _BLOCKS_PER_GRAPH:
                x = _blocks(x, stage, first, last, filters, stride, options)
                continue
            chunk_input = keras.Input(shape=x.shape[1:], name=f"conv{stage}_block{first}_in")
            chunk = _blocks(chunk_input, stage, first, last, filters, stride, options)
            name = f"conv{stage}_blocks{first}_{last}"
            x = keras.Model(chunk_input, chunk, name=name)(x)
    return global_pool_top(spec, inputs, x)


_DOC = """{summary} ({details}).

The minimum input is {minimum}.

Args:
    activation: activation inside the blocks and after each addition (paper: ReLU; see
        `zoo.models._blocks`). Where it changes the width (``crelu`` doubles it, ``maxout``
        halves it) a block's input no longer matches its output, and the shortcut becomes the
        zero-padding (option A) or the 1x1 projection (option B) that reconciles them.
    bn_momentum: momentum of every batch normalization's moving mean and variance, in
        [0, 1) (Keras' default 0.99). Inference uses the moving statistics, which lag the
        weights for the first few hundred steps at 0.99: for short runs use 0.9.

Example: ``zoo.build("{name}", num_classes=10)``.
"""


def _doc(depth: int, cifar: bool) -> str:
    """The docstring of the registered ResNet of ``depth``, from its row of the tables."""
    if cifar:
        return _DOC.format(
            summary=f"ResNet-{depth} for CIFAR-10: 3 stages of {CIFAR_DEPTHS[depth]} basic "
            "blocks each",
            details="section 4.2, option-A shortcuts",
            minimum="4x4: two stride-2 stages bring it to a 1x1 map",
            name=f"resnet{depth}",
        )
    kind, repeats = IMAGENET_DEPTHS[depth]
    return _DOC.format(
        summary=f"ResNet-{depth} for ImageNet: {', '.join(map(str, repeats))} {kind} blocks "
        "per stage",
        details="Table 1, projection shortcuts where the shape changes",
        minimum="32x32 (the total stride, as in keras.applications): the last map is 1x1",
        name=f"resnet{depth}",
    )


for _cifar, _depths in ((False, IMAGENET_DEPTHS), (True, CIFAR_DEPTHS)):
    for _depth in _depths:
        register_variant(
            f"resnet{_depth}",
            resnet,
            bind={"depth": _depth, "cifar": _cifar},
            doc=_doc(_depth, _cifar),
            family="resnet",
            task="image_classification",
            paper=f"{_PAPER}{', section 4.2 (CIFAR-10)' if _cifar else ''}",
            year=2016,
            default_input_shape=(32, 32, 3) if _cifar else (224, 224, 3),
            min_input_size=4 if _cifar else 32,
            features=True,
            default_num_classes=10 if _cifar else 1000,
        )
