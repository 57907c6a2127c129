"""Blocks shared by the builders: activations by name, conv + BN + activation, the tops.

Every builder with an ``activation=`` knob (the activation of its hidden layers) accepts the
same names, checked by `check_activation_name` and applied the same way, by `activate`, after a
linear convolution or dense layer. `activate` turns the name into a layer sized for the tensor it
is applied to:

| name | layer | channels out |
| --- | --- | --- |
| ``relu``, ``elu`` (and any Keras activation name) | ``keras.layers.Activation`` | C |
| ``leaky_relu`` | ``keras.layers.LeakyReLU(LEAKY_RELU_SLOPE)``, slope 0.01 (Maas et al. 2013) | C |
| ``prelu`` | ``keras.layers.PReLU``, one slope per channel (He et al. 2015) | C |
| ``rrelu`` | `zoo.layers.RReLU` (Xu et al. 2015) | C |
| ``crelu`` | `zoo.layers.CReLU` (Shang et al. 2016) | 2C |
| ``maxout`` | `zoo.layers.Maxout` (C // 2), two pieces (Goodfellow et al. 2013) | C / 2 |

The layers after an activation read their input width from the tensor, so a ``crelu`` net
has twice the channels into each convolution (and more parameters) and a ``maxout`` net half.
The leaky slope is `zoo.layers.activations.LEAKY_RELU_SLOPE`, the package's one slope (Keras'
own ``"leaky_relu"`` function would use 0.2: the table's entry wins over Keras' name).
"""

from __future__ import annotations

import functools

import keras

from zoo.layers import CReLU, Maxout, RReLU
from zoo.layers.activations import LEAKY_RELU_SLOPE
from zoo.validation import (
    check_activation,
    check_bounded_int,
    check_divides,
    check_fits_in_memory,
)

ACTIVATIONS = ("relu", "elu", "leaky_relu", "prelu", "rrelu", "crelu", "maxout")

# The entries of `ACTIVATIONS` whose output width differs from their input's.
WIDTH_CHANGING = ("crelu", "maxout")

# The most layers or blocks a depth knob (num_layers, num_residual_blocks) may stack: Keras
# walks a functional graph recursively, and about 1000 layers deep it passes Python's
# recursion limit; 100 keeps even an encoder-decoder with dropout (4 layers per step) below.
MAX_REPEATS = 100


def check_repeats(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an int in [minimum, `MAX_REPEATS`]: how many layers or blocks to stack."""
    return check_bounded_int(
        name,
        value,
        minimum=minimum,
        maximum=MAX_REPEATS,
        why=" (deeper graphs pass Python's recursion limit when Keras walks them)",
    )


def check_activation_name(name: str, value, *, keep_width: bool = False) -> str:
    """``value`` if it is one of `ACTIVATIONS` or a Keras activation name, else ValueError.

    ``keep_width`` refuses `WIDTH_CHANGING` (``crelu``, ``maxout``) too, for layers whose width
    is fixed by something else (a code size, the reconstruction of an input).
    """
    if keep_width and value in WIDTH_CHANGING:
        raise ValueError(
            f"{name} must keep the width of its layer, so it cannot be 'crelu' (doubles it) or "
            f"'maxout' (halves it); got {value!r}."
        )
    return check_activation(name, value, table=ACTIVATIONS)


def activation_layer(
    activation: str, name: str, *, rank: int = 4, channels: int | None = None, dtype=None
):
    """The layer for ``activation`` applied to tensors of ``rank`` with ``channels`` last.

    ``channels`` is needed only for ``maxout`` (it must be even: two pieces per unit);
    ``dtype`` is the layer's dtype policy (None: the global one).
    """
    check_activation_name("activation", activation)
    if activation == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=LEAKY_RELU_SLOPE, name=name, dtype=dtype)
    if activation == "prelu":
        shared = list(range(1, rank - 1)) or None
        return keras.layers.PReLU(shared_axes=shared, name=name, dtype=dtype)
    if activation == "rrelu":
        return RReLU(name=name, dtype=dtype)
    if activation == "crelu":
        return CReLU(name=name, dtype=dtype)
    if activation == "maxout":
        if channels is None or channels % 2:
            raise ValueError(
                f"activation='maxout' pairs channels into units, so layer {name!r} needs an even "
                f"number of input channels, got {channels}."
            )
        return Maxout(channels // 2, name=name, dtype=dtype)
    return keras.layers.Activation(activation, name=name, dtype=dtype)


def activate(x, activation: str | None, name: str, *, dtype=None):
    """``activation`` (a name from `ACTIVATIONS` or Keras) applied to ``x`` by a layer ``name``.

    ``None`` and ``"linear"`` are the identity: ``x`` itself, no layer.
    """
    if activation is None or activation == "linear":
        return x
    layer = activation_layer(activation, name, rank=len(x.shape), channels=x.shape[-1], dtype=dtype)
    return layer(x)


def conv_bn(
    x,
    filters: int,
    kernel_size,
    *,
    name: str,
    strides=1,
    padding: str = "same",
    groups: int = 1,
    activation: str | None = "relu",
    batch_norm: bool = True,
    bn_scale: bool = True,
    bn_momentum: float = 0.99,
    bn_epsilon: float = 1e-3,
):
    """Conv2D -> BatchNormalization -> activation, the unit of most modern CNNs.

    With ``batch_norm`` the convolution has no bias (BN's beta replaces it); without it the
    convolution keeps its bias and the block is the classic conv + activation. Layers are named
    ``name``, ``name_bn`` and ``name_act``.

    Args:
        padding: ``"same"``, ``"valid"``, or ``"symmetric"``: ``kernel_size // 2`` zeros on
            every side (a ZeroPadding2D ``name_pad``, then "valid"), as torch and Caffe pad.
            It differs from "same" only for a stride above 1 on an even input, where "same"
            pads one more on the bottom and right only (and from "valid" at stride 1).
        groups: grouped convolution (AlexNet's two-GPU split); must divide the input channels
            and ``filters``.
        activation: a name from `ACTIVATIONS` or Keras, or None for no activation.
        bn_scale: learn BN's gamma (Inception v3 leaves it out: the next layer is linear).
        bn_momentum: momentum of BN's moving mean and variance (Keras' default 0.99; lower
            values let a briefly trained network's inference statistics catch up). The
            builders check it; unused without ``batch_norm``.
        bn_epsilon: BN's epsilon (Keras' default 1e-3; torch's is 1e-5, which the twins of
            torchvision's models use so that its statistics mean the same).
    """
    if groups != 1:
        check_divides("groups", groups, x.shape[-1], f"the input channels of {name!r}")
        check_divides("groups", groups, filters, f"the filters of {name!r}")
    if padding == "symmetric":
        x = keras.layers.ZeroPadding2D(_half(kernel_size), name=f"{name}_pad")(x)
        padding = "valid"
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        groups=groups,
        use_bias=not batch_norm,
        name=name,
    )(x)
    if batch_norm:
        x = keras.layers.BatchNormalization(
            momentum=bn_momentum, epsilon=bn_epsilon, scale=bn_scale, name=f"{name}_bn"
        )(x)
    return activate(x, activation, f"{name}_act")


def _half(kernel_size):
    """``kernel_size // 2`` per spatial axis (an int or a pair), ZeroPadding2D's argument."""
    if isinstance(kernel_size, int):
        return kernel_size // 2
    return tuple(k // 2 for k in kernel_size)


def dense_block(x, units: int, *, name: str, activation: str, dropout: float = 0.0):
    """Dense (linear) -> activation -> Dropout: the fully connected layers of classic tops."""
    x = keras.layers.Dense(units, name=name)(x)
    x = activate(x, activation, f"{name}_act")
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def require_fixed_size(spec, reason: str) -> None:
    """ValueError unless every spatial size of ``spec.input_shape`` is known."""
    if any(d is None for d in spec.input_shape[:-1]):
        raise ValueError(
            f"input_shape {spec.input_shape!r} has a free spatial size, but {reason} needs a "
            "fixed one (give the size, or use include_top=False)."
        )


def global_pool_top(spec, inputs, x, *, dropout: float = 0.0, auxiliary=()) -> keras.Model:
    """The model with the modern top: global average pooling, dropout, classifier.

    Without the top, ``spec.pool`` (keras.applications' ``pooling``) ends the model instead.
    ``auxiliary`` outputs (GoogLeNet's side classifiers) follow the main one.
    """
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = spec.classifier(x)
    return spec.model_from(inputs, [x, *auxiliary] if auxiliary else x)


def hidden_dense(activation: str):
    """The hidden-layer maker of `dense_stack` for Dense (linear) -> ``activation`` layers."""
    return functools.partial(dense_block, activation=activation)


def dense_stack(
    spec,
    inputs,
    x,
    *,
    hidden,
    layer,
    dropout: float = 0.0,
    input_dropout: float = 0.0,
    dropout_name: str = "{name}_dropout",
    owner: str = "the network",
    widths: str | None = None,
) -> keras.Model:
    """The model with the classic fully connected end: flatten, hidden layers, classifier.

    Args:
        hidden: a sequence of (layer name, units), e.g. ``(("fc1", 4096), ("fc2", 4096))``.
        layer: the hidden-layer maker, called as ``layer(x, units, name=name)``:
            `hidden_dense(activation)` for Dense + activation, a MaxoutDense for maxout MLPs.
        dropout: rate of the Dropout after each hidden layer (none at 0), named
            ``dropout_name.format(name=layer name, index=i)``, i counting the layers from 1.
        input_dropout: rate of a Dropout ``input_dropout`` on the flattened input.
        owner: names the network in the errors raised when the input size is free or a layer
            too large for this machine's memory.
        widths: the builder's argument that sets the hidden widths (e.g. ``"hidden_units"``),
            named in that error; None where the architecture fixes them.

    The flatten reads the feature maps channels-last whatever ``keras.config.image_data_format``
    says. Each hidden layer's weights (inputs x units, a lower bound for maxout units) are
    counted before it is built: one too large for this machine's memory is refused by name.
    Without the top (``spec.include_top=False``) the model ends at the last hidden layer.
    """
    if hidden or spec.include_top:
        first = hidden[0][0] if hidden else "predictions"
        require_fixed_size(spec, f"{owner}'s flatten before {first}")
    x = keras.layers.Flatten(data_format="channels_last", name="flatten")(x)
    if input_dropout:
        x = keras.layers.Dropout(input_dropout, name="input_dropout")(x)
    arguments = f"{widths} or input_shape" if widths else "input_shape"
    for index, (name, units) in enumerate(hidden, start=1):
        check_fits_in_memory(
            x.shape[-1] * units,
            f"{owner}'s layer {name!r} ({x.shape[-1]:,} inputs x {units:,} units)",
            arguments,
        )
        x = layer(x, units, name=name)
        if dropout:
            x = keras.layers.Dropout(dropout, name=dropout_name.format(name=name, index=index))(x)
    if spec.include_top:
        x = spec.classifier(x)
    return spec.model_from(inputs, x)


def dense_top(
    spec,
    inputs,
    x,
    *,
    hidden,
    activation: str,
    dropout: float = 0.0,
    owner: str,
    dropout_name: str = "{name}_dropout",
) -> keras.Model:
    """The model with the classic top on feature maps: `dense_stack` of Dense + ``activation``.

    ``hidden`` is a sequence of (layer name, units), e.g. VGG's ``(("fc1", 4096), ("fc2",
    4096))``, each followed by ``activation`` and dropout. The flatten needs a fixed input size
    (``owner`` names the network in the error). Without the top, ``spec.pool`` ends the model
    at the feature maps.
    """
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    return dense_stack(
        spec,
        inputs,
        x,
        hidden=hidden,
        layer=hidden_dense(activation),
        dropout=dropout,
        dropout_name=dropout_name,
        owner=owner,
    )
