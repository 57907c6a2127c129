"""The lecture's MNIST CNN (lecture 001, "Problem 2"; the TensorFlow "Deep MNIST" tutorial net).

conv 32@5x5 same + ReLU -> 2x2 max-pool -> conv 64@5x5 same + ReLU -> 2x2 max-pool ->
fully connected 1024 + ReLU -> fully connected 10 -> softmax: 3,274,634 parameters on 28x28x1.
"""

from __future__ import annotations

import keras

from zoo.models._blocks import check_activation_name, conv_bn, dense_top
from zoo.models._registry import register
from zoo.models._spec import BuildSpec
from zoo.validation import check_rate


@register(
    "mnist_cnn",
    family="mnist_cnn",
    task="image_classification",
    paper="Lecture 001 (X. Hu), Problem 2: MNIST CNN; the architecture of TensorFlow's "
    "'Deep MNIST for experts' tutorial (2015)",
    year=2015,
    default_input_shape=(28, 28, 1),
    min_input_size=4,
    features=True,
    default_num_classes=10,
)
def mnist_cnn(spec: BuildSpec, *, activation: str = "relu", dropout: float = 0.0) -> keras.Model:
    """Two 5x5 conv + max-pool stages (32, 64 filters), a 1024-unit dense layer, softmax.

    Args:
        activation: activation after each convolution and the dense layer: a name of
            `zoo.models._blocks.ACTIVATIONS` (``"relu"``, ``"prelu"``, ``"maxout"``, ...) or any
            Keras activation, applied as a layer ``<layer>_act`` after the linear layer.
        dropout: Dropout rate before the classifier, in [0, 1) (the lecture uses none; the
            TensorFlow tutorial used 0.5).

    Example: ``zoo.build("mnist_cnn")``.
    """
    check_activation_name("activation", activation)
    dropout = check_rate("dropout", dropout)
    inputs, x = spec.inputs()
    x = conv_bn(x, 32, 5, activation=activation, batch_norm=False, name="conv1")
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = conv_bn(x, 64, 5, activation=activation, batch_norm=False, name="conv2")
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    return dense_top(
        spec,
        inputs,
        x,
        hidden=(("fc1", 1024),),
        activation=activation,
        dropout=dropout,
        dropout_name="dropout",
        owner="the MNIST CNN",
    )
