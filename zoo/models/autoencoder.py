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

from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_activation, check_positive_int_list


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
        activation: activation of the hidden layers (the paper's are logistic).
        code_activation: activation of the code layer (the paper's is linear).
        output_activation: activation of the reconstruction (logistic for pixels in [0, 1]).

    The output has the input's shape. ``include_top=False`` returns the encoder alone.

    Example: ``zoo.build("autoencoder", input_shape=(8, 8, 1), layer_sizes=[128, 64, 32, 2])``.
    """
    sizes = check_positive_int_list("layer_sizes", layer_sizes)
    if not sizes:
        raise ValueError("layer_sizes must hold at least the code size, got [].")
    for name, value in (
        ("activation", activation),
        ("code_activation", code_activation),
        ("output_activation", output_activation),
    ):
        check_activation(name, value)
    if any(d is None for d in spec.input_shape):
        raise ValueError(f"input_shape must be fully known, got {spec.input_shape!r}.")

    encoder_input = keras.Input(spec.input_shape, name="encoder_input")
    x = keras.layers.Flatten(name="flatten")(encoder_input)
    for index, units in enumerate(sizes[:-1], start=1):
        x = keras.layers.Dense(units, activation=activation, name=f"encoder_dense{index}")(x)
    code = keras.layers.Dense(sizes[-1], activation=code_activation, name="code")(x)
    encoder = keras.Model(encoder_input, code, name="encoder")

    inputs, x = spec.inputs()
    if not spec.include_top:
        return spec.model_from(inputs, encoder(x))

    decoder_input = keras.Input((sizes[-1],), name="decoder_input")
    y = decoder_input
    for index, units in enumerate(reversed(sizes[:-1]), start=1):
        y = keras.layers.Dense(units, activation=activation, name=f"decoder_dense{index}")(y)
    y = keras.layers.Dense(
        math.prod(spec.input_shape),
        activation=output_activation,
        dtype="float32",
        name="reconstruction",
    )(y)
    y = keras.layers.Reshape(spec.input_shape, dtype="float32", name="reshape")(y)
    decoder = keras.Model(decoder_input, y, name="decoder")
    return spec.model_from(inputs, decoder(encoder(x)))
