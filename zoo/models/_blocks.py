"""Blocks shared by the convolutional builders: activations by name, conv + BN + activation.

Every image builder takes ``activation=`` where its paper used ReLU. `activate` turns the name
into a layer sized for the tensor it is applied to:

| name | layer | channels out |
| --- | --- | --- |
| ``relu``, ``elu`` (and any Keras activation name) | ``keras.layers.Activation`` | C |
| ``leaky_relu`` | ``keras.layers.LeakyReLU(0.01)`` (Maas et al. 2013) | C |
| ``prelu`` | ``keras.layers.PReLU``, one slope per channel (He et al. 2015) | C |
| ``rrelu`` | `zoo.layers.RReLU` (Xu et al. 2015) | C |
| ``crelu`` | `zoo.layers.CReLU` (Shang et al. 2016) | 2C |
| ``maxout`` | `zoo.layers.Maxout` (C // 2), two pieces (Goodfellow et al. 2013) | C / 2 |

The layers after an activation read their input width from the tensor, so a ``crelu`` net
has twice the channels into each convolution (and more parameters) and a ``maxout`` net half.
"""

from __future__ import annotations

import keras

from zoo.layers import CReLU, Maxout, RReLU
from zoo.validation import check_divides

ACTIVATIONS = ("relu", "elu", "leaky_relu", "prelu", "rrelu", "crelu", "maxout")

_LEAKY_SLOPE = 0.01


def check_activation_name(name: str, value) -> str:
    """``value`` if it is one of `ACTIVATIONS` or a Keras activation name, else ValueError."""
    if value in ACTIVATIONS:
        return value
    try:
        if not isinstance(value, str):
            raise TypeError
        keras.activations.get(value)
    except (ValueError, TypeError):
        shown = ", ".join(repr(a) for a in ACTIVATIONS)
        raise ValueError(
            f"{name} must be one of {shown} or a Keras activation name; got {value!r}."
        ) from None
    return value


def activation_layer(activation: str, name: str, *, rank: int = 4, channels: int | None = None):
    """The layer for ``activation`` applied to tensors of ``rank`` with ``channels`` last.

    ``channels`` is needed only for ``maxout`` (it must be even: two pieces per unit).
    """
    check_activation_name("activation", activation)
    if activation == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=_LEAKY_SLOPE, name=name)
    if activation == "prelu":
        return keras.layers.PReLU(shared_axes=list(range(1, rank - 1)) or None, name=name)
    if activation == "rrelu":
        return RReLU(name=name)
    if activation == "crelu":
        return CReLU(name=name)
    if activation == "maxout":
        if channels is None or channels % 2:
            raise ValueError(
                f"activation='maxout' pairs channels into units, so layer {name!r} needs an even "
                f"number of input channels, got {channels}."
            )
        return Maxout(channels // 2, name=name)
    return keras.layers.Activation(activation, name=name)


def activate(x, activation: str | None, name: str):
    """``activation`` (a name from `ACTIVATIONS` or Keras) applied to ``x``; None is identity."""
    if activation is None:
        return x
    return activation_layer(activation, name, rank=len(x.shape), channels=x.shape[-1])(x)


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
):
    """Conv2D -> BatchNormalization -> activation, the unit of most modern CNNs.

    With ``batch_norm`` the convolution has no bias (BN's beta replaces it); without it the
    convolution keeps its bias and the block is the classic conv + activation. Layers are named
    ``name``, ``name_bn`` and ``name_act``.

    Args:
        groups: grouped convolution (AlexNet's two-GPU split); must divide the input channels
            and ``filters``.
        activation: a name from `ACTIVATIONS` or Keras, or None for no activation.
        bn_scale: learn BN's gamma (Inception v3 leaves it out: the next layer is linear).
    """
    if groups != 1:
        check_divides("groups", groups, x.shape[-1], f"the input channels of {name!r}")
        check_divides("groups", groups, filters, f"the filters of {name!r}")
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
        x = keras.layers.BatchNormalization(scale=bn_scale, name=f"{name}_bn")(x)
    return activate(x, activation, f"{name}_act")


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


def dense_top(spec, inputs, x, *, hidden, activation: str, dropout: float, owner: str):
    """The model with the classic top: flatten, ``hidden`` FC layers, classifier.

    ``hidden`` is a sequence of (layer name, units), e.g. VGG's ``(("fc1", 4096), ("fc2",
    4096))``, each followed by ``activation`` and dropout. The flatten needs a fixed input size
    (``owner`` names the network in the error). Without the top, ``spec.pool`` ends the model.
    """
    if not spec.include_top:
        return spec.model_from(inputs, spec.pool(x))
    require_fixed_size(spec, f"{owner}'s flatten before {hidden[0][0]}")
    x = keras.layers.Flatten(name="flatten")(x)
    for name, units in hidden:
        x = dense_block(x, units, activation=activation, dropout=dropout, name=name)
    return spec.model_from(inputs, spec.classifier(x))
