"""Deep autoencoder (Hinton & Salakhutdinov 2006; lecture 002, dimensionality reduction).

An encoder of logistic layers narrows the flattened input to a small linear code (784-1000-500-
250-2 in the paper's Fig. 3, 2-D codes of MNIST digits), and a mirrored decoder reconstructs
the input from the code: 2,823,286 parameters at the default. The paper initialised the layers
by stacking RBMs and then fine-tuned with backpropagation; here the whole network trains by
backpropagation from a random initialisation (use ``activation="relu"`` or ``"elu"`` when
training that way).

The encoder and decoder are nested models, so ``model.get_layer("encoder")`` maps inputs to
codes and ``model.get_layer("decoder")`` codes to reconstructions.
"""

from __future__ import annotations

import math

import keras

from zoo.models._blocks import activate, check_activation_name, hidden_dense
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_positive_int_list


@register(
    "autoencoder",
    aliases=("deep_autoencoder",),
    family="autoencoder",
    task="autoencoder",
    paper="Hinton & Salakhutdinov 2006, Reducing the dimensionality of data with neural networks",
    year=2006,
    default_input_shape=(28, 28, 1),
)
def autoencoder(
    spec: BuildSpec,
    *,
    layer_sizes=(1000, 500, 250, 2),
    activation: str = "sigmoid",
    code_activation: str = "linear",
    output_activation: str = "sigmoid",
) -> keras.Model:
    """Deep autoencoder: dense encoder down to a code, mirrored dense decoder back up.

    Args:
        layer_sizes: encoder widths after the input, the last being the code size; the decoder
            mirrors them (``[1000, 500, 250, 2]``: 784-1000-500-250-2-250-500-1000-784).
        activation: activation of the hidden layers (the paper's are logistic): a name of
            `zoo.models._blocks.ACTIVATIONS` (``"relu"``, ``"leaky_relu"``, ``"crelu"``,
            ``"maxout"``, ...) or any Keras activation, as for every builder's ``activation``.
        code_activation: activation of the code layer (the paper's is linear).
        output_activation: activation of the reconstruction (logistic for pixels in [0, 1]).

    ``code_activation`` and ``output_activation`` accept the same names except the two that
    change a layer's width, ``"crelu"`` and ``"maxout"`` (the code size is ``layer_sizes[-1]``
    and the reconstruction has the input's shape): a ``ValueError`` names them. Every
    activation is a layer of its own after a linear Dense (``encoder_dense1_act``, ...,
    ``code_act``, ``reconstruction_act``; none for ``"linear"``), so ``"leaky_relu"`` has the
    package's slope 0.01 everywhere.

    The output has the input's shape. ``include_top=False`` returns the encoder alone.

    Example: ``zoo.build("autoencoder", input_shape=(8, 8, 1), layer_sizes=[128, 64, 32, 2])``.
    """
    sizes = check_positive_int_list("layer_sizes", layer_sizes)
    if not sizes:
        raise ValueError("layer_sizes must hold at least the code size, got [].")
    check_activation_name("activation", activation)
    check_activation_name("code_activation", code_activation, keep_width=True)
    check_activation_name("output_activation", output_activation, keep_width=True)
    if any(d is None for d in spec.input_shape):
        raise ValueError(f"input_shape must be fully known, got {spec.input_shape!r}.")

    encoder_input = keras.Input(spec.input_shape, name="encoder_input")
    x = keras.layers.Flatten(data_format="channels_last", name="flatten")(encoder_input)
    hidden_layer = hidden_dense(activation)
    for index, units in enumerate(sizes[:-1], start=1):
        x = hidden_layer(x, units, name=f"encoder_dense{index}")
    code = activate(keras.layers.Dense(sizes[-1], name="code")(x), code_activation, "code_act")
    encoder = keras.Model(encoder_input, code, name="encoder")

    inputs, x = spec.inputs()
    if not spec.include_top:
        return spec.model_from(inputs, encoder(x))

    decoder_input = keras.Input((sizes[-1],), name="decoder_input")
    y = decoder_input
    for index, units in enumerate(reversed(sizes[:-1]), start=1):
        y = hidden_layer(y, units, name=f"decoder_dense{index}")
    y = keras.layers.Dense(math.prod(spec.input_shape), dtype="float32", name="reconstruction")(y)
    y = activate(y, output_activation, "reconstruction_act", dtype="float32")
    y = keras.layers.Reshape(spec.input_shape, dtype="float32", name="reshape")(y)
    decoder = keras.Model(decoder_input, y, name="decoder")
    return spec.model_from(inputs, decoder(encoder(x)))
