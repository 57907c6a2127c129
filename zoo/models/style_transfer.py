"""Image transformation network for fast style transfer (Johnson, Alahi & Fei-Fei 2016).

One forward pass renders an image in a style, instead of Gatys et al.'s per-image optimisation
(lecture 001): the network is trained with the perceptual losses of `zoo.training.losses`
(content, style, total variation) measured by a fixed loss network.

    c9s1-32 -> d64 -> d128 -> 5 residual blocks of 128 -> u64 -> u32 -> c9s1-3 -> scaled tanh

cNsS-F: N x N convolution, stride S, F filters; dF: 3x3 stride-2 convolution; uF: 3x3
stride-1/2 (transposed) convolution; every convolution but the last is followed by
normalisation and ReLU; a residual block is two 3x3 convolutions around an identity shortcut.
Normalisation is instance normalisation (Ulyanov et al. 2016, the variant Johnson's released
code uses; ``GroupNormalization(groups=-1)`` is exactly that) or the paper's batch
normalisation. Departures: "same" zero padding everywhere, so the output has the input's shape
without the paper's 40-pixel reflection padding and cropped residual blocks; H and W must be
divisible by 2^(number of downsamplings).
"""

from __future__ import annotations

import keras

from zoo.models._blocks import check_repeats
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_choice, check_number, check_positive_int_list

JOHNSON_2016 = {
    "filters": (32, 64, 128),
    "num_residual_blocks": 5,
    "outer_kernel_size": 9,
    "kernel_size": 3,
}

NORMALIZATIONS = ("instance", "batch")


def _normalization(kind: str, bn_momentum: float):
    """The maker ``name -> layer`` of the network's normalization layers."""
    if kind == "instance":
        return lambda name: keras.layers.GroupNormalization(groups=-1, epsilon=1e-5, name=name)
    return lambda name: keras.layers.BatchNormalization(momentum=bn_momentum, name=name)


def _conv_norm_relu(x, filters, kernel_size, strides, norm, name, *, transpose=False):
    conv = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    x = conv(filters, kernel_size, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = norm(f"{name}_norm")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _residual_block(x, filters, kernel_size, norm, name):
    y = _conv_norm_relu(x, filters, kernel_size, 1, norm, f"{name}_conv1")
    y = keras.layers.Conv2D(
        filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv2"
    )(y)
    y = norm(f"{name}_conv2_norm")(y)
    return keras.layers.Add(name=f"{name}_add")([x, y])


@register(
    "style_transfer_net",
    aliases=("fast_style_transfer", "johnson_transformer"),
    family="style_transfer",
    task="autoencoder",
    paper="Johnson, Alahi & Fei-Fei 2016, Perceptual losses for real-time style transfer and "
    "super-resolution",
    year=2016,
    default_input_shape=(256, 256, 3),
    min_input_size=4,
    features=True,
)
def style_transfer_net(
    spec: BuildSpec,
    *,
    filters=JOHNSON_2016["filters"],
    num_residual_blocks: int = JOHNSON_2016["num_residual_blocks"],
    normalization: str = "instance",
    bn_momentum: float = 0.99,
    output_scale: float = 255.0,
) -> keras.Model:
    """Johnson et al.'s image transformation network: image in, stylised image of the same shape.

    Args:
        filters: widths of the first convolution and of each stride-2 downsampling (the
            upsampling mirrors them); ``[32, 64, 128]`` in the paper.
        num_residual_blocks: residual blocks at the lowest resolution (5 in the paper; at
            most 100).
        normalization: ``"instance"`` (default) or ``"batch"`` (the paper's).
        bn_momentum: momentum of the BatchNormalization moving statistics with
            ``normalization="batch"``, in [0, 1) (Keras' 0.99; 0.9 for short runs).
        output_scale: the output is (tanh + 1) * output_scale / 2, in [0, output_scale]
            (255 for 0-255 pixels, 1 for [0, 1] images).

    The task is image-to-image (registered as ``autoencoder``: output shape = input shape).
    ``include_top=False`` returns the residual trunk's feature maps (pooled with ``pooling``).

    Example: ``zoo.build("style_transfer_net", input_shape=(64, 64, 3), filters=[8, 16, 32],
    num_residual_blocks=2)``.
    """
    filters = check_positive_int_list("filters", filters)
    if not filters:
        raise ValueError("filters must hold at least the first convolution's width, got [].")
    num_residual_blocks = check_repeats("num_residual_blocks", num_residual_blocks, minimum=0)
    check_choice("normalization", normalization, NORMALIZATIONS)
    bn_momentum = check_number("bn_momentum", bn_momentum, low=0.0, high=1.0, high_open=True)
    if normalization != "batch" and bn_momentum != 0.99:
        raise ValueError(
            f"bn_momentum={bn_momentum!r} applies only with normalization='batch' "
            f"(normalization is {normalization!r})."
        )
    norm = _normalization(normalization, bn_momentum)
    output_scale = check_number("output_scale", output_scale, low=0.0, low_open=True)
    if spec.input_shape[-1] is None:
        raise ValueError(f"input_shape {spec.input_shape!r} needs a known number of channels.")
    factor = 2 ** (len(filters) - 1)
    if any(d is not None and d % factor for d in spec.input_shape[:2]):
        raise ValueError(
            f"input_shape {spec.input_shape!r}: height and width must be divisible by {factor} "
            f"({len(filters) - 1} stride-2 downsamplings), so that the output has the same shape."
        )
    outer, kernel = JOHNSON_2016["outer_kernel_size"], JOHNSON_2016["kernel_size"]

    inputs, x = spec.inputs()
    x = _conv_norm_relu(x, filters[0], outer, 1, norm, "conv_in")
    for index, width in enumerate(filters[1:], start=1):
        x = _conv_norm_relu(x, width, kernel, 2, norm, f"down{index}")
    for index in range(1, num_residual_blocks + 1):
        x = _residual_block(x, filters[-1], kernel, norm, f"residual{index}")
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    for index, width in enumerate(reversed(filters[:-1]), start=1):
        x = _conv_norm_relu(x, width, kernel, 2, norm, f"up{index}", transpose=True)
    x = keras.layers.Conv2D(
        spec.input_shape[-1], outer, padding="same", activation="tanh", name="conv_out"
    )(x)
    x = keras.layers.Rescaling(
        output_scale / 2.0, offset=output_scale / 2.0, dtype="float32", name="output_scaling"
    )(x)
    return spec.model_from(inputs, x)
